"""Turn kokoro-onnx's int8 `kokoro-v1.0.int8.onnx` into a model dir the engine loads.

`convert()` (the command line is `python -m tts_engine.tools.convert_onnx`) writes `config.json`,
`kokoro-v1_0.pth` (KModel's component state dicts, loadable with `strict=True`) and
`voices/<name>.pt` ([510, 1, 256] each). Needs the `onnx` package
(`pip install 'kokoro-discord-tts[onnx]'`).

How the graph maps back to `kokoro.KModel`:
- a parameter with a module name keeps it (`encoder.bert.x` -> `bert.x`); an anonymous one is
  named by the node that consumes it (`/decoder/decoder/decode.0/conv1/Conv_quant` ->
  `decoder.decode.0.conv1`);
- int8 weights dequantise as (q - zero_point) * scale, per tensor or per channel;
- MatMul weights are stored [in, out] (`nn.Linear` wants [out, in]); LSTM weights are
  [directions, in, 4 * hidden] with gates i, o, f, c (torch: i, f, g, o);
- weight norm is folded into one weight: weight_v = w, weight_g = its norm over all but dim 0
  (a slice rounded to all zeros by int8 gets weight_g = 0 and weight_v = 1, avoiding 0/0);
- InstanceNorm affine parameters and the ALBERT pooler are not in the graph: identity / unused.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_engine.errors import TTSError
from tts_engine.tools.checkpoint import COMPONENTS, WEIGHTS_NAME, stock_config

#: Where the ONNX wrapper's parameter names and node paths put KModel's modules.
_NAME_PREFIXES = {
    "encoder.bert.": "bert.", "encoder.bert_encoder.": "bert_encoder.",
    "encoder.text_encoder.": "text_encoder.", "encoder.predictor.": "predictor.",
    "decoder.decoder.": "decoder.",
}
_ENCODER_TOP = {"bert", "bert_encoder", "text_encoder", "predictor"}
_WEIGHT_OPS = {"MatMulInteger": 1, "MatMul": 1, "ConvInteger": 1, "Conv": 1, "ConvTranspose": 1}
#: ONNX LSTM gate blocks (i, o, f, c) in torch's order (i, f, g, o).
_GATES = [0, 2, 3, 1]
_QUANT_SUFFIX = re.compile(r"_(quantized|scale|zero_point)$")


class ConversionError(TTSError):
    """The ONNX file is not the Kokoro graph this converter knows, or its packages are missing."""


def _param_name(init: str) -> str | None:
    base = _QUANT_SUFFIX.sub("", init)
    for onnx_prefix, ours in _NAME_PREFIXES.items():
        if base.startswith(onnx_prefix):
            return ours + base[len(onnx_prefix):]
    return None


def module_path(node_name: str) -> str | None:
    """KModel's module path of the node `node_name` (its last component is the op)."""
    parts = [p for p in node_name.split("/") if p][:-1]
    if len(parts) < 2:
        return None
    top, rest = parts[0], parts[1:]
    if top == "decoder" and rest[0] == "decoder":
        path = ["decoder"]
        rest = rest[1:]
    elif top == "encoder":
        path = [] if rest[0] in _ENCODER_TOP else ["predictor"]
    else:
        return None
    for part in rest:
        part = re.sub(r"_\d+$", "", part)  # a shared module called again: query_3 -> query
        if path and part.startswith(path[-1] + "."):
            path[-1] = part  # torch scopes nest Sequential indexes: cnn.0/cnn.0.0
        else:
            path.append(part)
    return ".".join(path)


class _Graph:
    """The initializers of the graph and the nodes that consume them."""

    def __init__(self, path: Path) -> None:
        import onnx
        from onnx import numpy_helper

        graph = onnx.load(str(path)).graph
        self.arrays = {i.name: numpy_helper.to_array(i) for i in graph.initializer}
        self.nodes = list(graph.node)
        # Identical zero points are shared between tensors, so they are found by consumer.
        self.quant: dict[str, tuple[str, str | None]] = {}
        # A quantised embedding is gathered first, then its rows are dequantised.
        gathered = {n.output[0]: n.input[0] for n in self.nodes if n.op_type == "Gather"}
        #: Weights stored [in, out] (MatMul's right operand).
        self.matmul_weights = {
            n.input[1] for n in self.nodes if n.op_type in ("MatMul", "MatMulInteger")
        }
        for node in self.nodes:
            ins = list(node.input)
            if node.op_type == "DequantizeLinear" and len(ins) == 3:
                self.quant[gathered.get(ins[0], ins[0])] = (ins[2], ins[1])
            elif node.op_type in ("MatMulInteger", "ConvInteger") and len(ins) == 4:
                self.quant.setdefault(ins[1], (ins[3], None))

    def dequant(self, name: str, zero_point: str | None = None, scale: str | None = None,
                axis: int = -1) -> np.ndarray:
        """Float weights of initializer `name` (int8/uint8 ones dequantised)."""
        q = self.arrays[name]
        if not name.endswith("_quantized"):
            return q.astype(np.float32)
        base = name[: -len("_quantized")]
        known_zp, known_scale = self.quant.get(name, (None, None))
        zp = self.arrays[zero_point or known_zp or base + "_zero_point"].astype(np.float32)
        sc = self.arrays[scale or known_scale or base + "_scale"].astype(np.float32)
        shape = [1] * q.ndim
        if zp.ndim or sc.ndim:
            shape[axis] = -1
        w: np.ndarray = (q.astype(np.float32) - zp.reshape(shape)) * sc.reshape(shape)
        return w


def _weight_norm(w: torch.Tensor) -> dict[str, torch.Tensor]:
    """weight_g / weight_v for a folded weight; a slice int8 rounded to zeros stays zero."""
    g = w.flatten(1).norm(dim=1).reshape(-1, *([1] * (w.dim() - 1)))
    dead = (g == 0).expand_as(w)
    return {"weight_g": g, "weight_v": torch.where(dead, torch.ones_like(w), w)}


def _lstm(graph: _Graph, inputs: list[str]) -> dict[str, torch.Tensor]:
    w = graph.dequant(inputs[1], inputs[9], inputs[8], axis=0)   # [dirs, in, 4h]
    r = graph.dequant(inputs[2], inputs[11], inputs[10], axis=0)
    b = graph.arrays[inputs[3]].astype(np.float32)               # [dirs, 8h]: input, recurrent

    def gates(x: np.ndarray) -> torch.Tensor:
        blocks = np.split(x, 4, axis=0)
        return torch.from_numpy(np.ascontiguousarray(np.concatenate([blocks[i] for i in _GATES])))

    out = {}
    for d, suffix in enumerate(("", "_reverse")):
        wb, rb = np.split(b[d], 2)
        out[f"weight_ih_l0{suffix}"] = gates(w[d].T)
        out[f"weight_hh_l0{suffix}"] = gates(r[d].T)
        out[f"bias_ih_l0{suffix}"] = gates(wb)
        out[f"bias_hh_l0{suffix}"] = gates(rb)
    return out


def _from_nodes(graph: _Graph, wanted: dict[str, torch.Size]) -> Iterator[tuple[str, torch.Tensor]]:
    """Parameters named by the node that consumes them (weights, LSTMs)."""
    for node in graph.nodes:
        module = module_path(node.name)
        if module is None:
            continue
        inputs = list(node.input)
        if node.op_type == "DynamicQuantizeLSTM":
            for key, value in _lstm(graph, inputs).items():
                yield f"{module}.{key}", value
            continue
        index = _WEIGHT_OPS.get(node.op_type)
        if index is None or inputs[index] not in graph.arrays:
            continue
        zero_point = inputs[3] if node.op_type.endswith("Integer") else None
        w = torch.from_numpy(graph.dequant(inputs[index], zero_point))
        if node.op_type.startswith("MatMul"):
            yield f"{module}.weight", w.T.contiguous()
        elif f"{module}.weight_v" in wanted:
            for key, value in _weight_norm(w).items():
                yield f"{module}.{key}", value
        else:
            yield f"{module}.weight", w


def _defaults(key: str, shape: torch.Size) -> torch.Tensor | None:
    """The parameters the graph does not hold: InstanceNorm affine, the unused pooler."""
    if ".norm.weight" in key:
        return torch.ones(shape)
    if ".norm.bias" in key or key.startswith("bert.pooler."):
        return torch.zeros(shape)
    return None


def convert_weights(onnx_path: Path, config: dict[str, Any]) -> dict[str, dict[str, torch.Tensor]]:
    """KModel's component state dicts from the int8 ONNX graph at `onnx_path`."""
    wanted = _expected_shapes(config)
    graph = _Graph(onnx_path)
    found: dict[str, torch.Tensor] = {}
    for name in graph.arrays:
        key = _param_name(name)
        if key in wanted and key not in found and not name.endswith(("_scale", "_zero_point")):
            value = torch.from_numpy(graph.dequant(name))
            found[key] = value.T.contiguous() if name in graph.matmul_weights else value
    for key, value in _from_nodes(graph, wanted):
        if key in wanted:
            found.setdefault(key, value)
    for key, shape in wanted.items():
        if key not in found and (default := _defaults(key, shape)) is not None:
            found[key] = default
    bad = [k for k, shape in wanted.items() if k not in found or found[k].shape != shape]
    if bad:
        raise ConversionError(f"{len(bad)} parameters not found or misshapen, e.g. {bad[:5]}")
    state: dict[str, dict[str, torch.Tensor]] = {c: {} for c in COMPONENTS}
    for key, value in found.items():
        component, rest = key.split(".", 1)
        state[component][rest] = value.float().contiguous()
    return state


def _expected_shapes(config: dict[str, Any]) -> dict[str, torch.Size]:
    from kokoro import KModel

    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.pth"
        torch.save({}, empty)
        model = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    return {k: v.shape for k, v in model.state_dict().items()}


def convert(onnx_path: Path, voices_path: Path, out_dir: Path) -> Path:
    """Write a model dir (config, weights, voice packs) from kokoro-onnx's files."""
    config = stock_config()
    state = convert_weights(onnx_path, config)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config), "utf-8")
    torch.save(state, out_dir / WEIGHTS_NAME)
    voice_dir = out_dir / "voices"
    voice_dir.mkdir(exist_ok=True)
    with np.load(voices_path) as packs:
        for name in packs.files:
            pack = torch.from_numpy(packs[name].astype(np.float32)).reshape(-1, 1, 256)
            torch.save(pack.contiguous(), voice_dir / f"{name}.pt")
    return out_dir
