"""`python -m tts_engine.tools.convert_onnx`: how kokoro-onnx's graph maps back to KModel."""

from __future__ import annotations

import pytest
import torch

from tts_engine.tools.convert_onnx import main
from tts_engine.tools.onnx_weights import _weight_norm, module_path


@pytest.mark.parametrize(("node", "module"), [
    ("/encoder/bert/encoder/albert_layer_groups.0/albert_layers.0/attention/query_3/MatMul_quant",
     "bert.encoder.albert_layer_groups.0.albert_layers.0.attention.query"),
    ("/encoder/text_encoder/cnn.0/cnn.0.0/Conv_quant", "text_encoder.cnn.0.0"),
    ("/encoder/F0.1/pool/ConvTranspose", "predictor.F0.1.pool"),
    ("/encoder/shared/LSTM_quant", "predictor.shared"),
    ("/encoder/predictor/text_encoder/lstms.2/LSTM_quant", "predictor.text_encoder.lstms.2"),
    ("/encoder/bert_encoder/MatMul_quant", "bert_encoder"),
    ("/decoder/decoder/generator/resblocks.4/convs1.0/Conv_quant",
     "decoder.generator.resblocks.4.convs1.0"),
    ("Gather_token_1", None),
])
def test_nodes_name_their_module(node, module):
    assert module_path(node) == module


def test_weight_norm_recomposes_the_folded_weight_without_nan():
    w = torch.randn(4, 3, 5)
    w[1] = 0  # an output channel int8 rounded to zeros
    parts = _weight_norm(w)
    v, g = parts["weight_v"], parts["weight_g"]
    recomposed = g * v / v.flatten(1).norm(dim=1).reshape(-1, 1, 1)
    assert torch.isfinite(recomposed).all()
    torch.testing.assert_close(recomposed, w)


def test_a_missing_file_is_one_line_not_a_traceback(tmp_path, capsys):
    status = main([str(tmp_path / "missing.onnx"), str(tmp_path / "v.npz"), "-o", str(tmp_path)])
    assert status == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "\n" not in err
