"""Random-weight Kokoro checkpoints, laid out exactly like a real model dir.

Tests and benchmarks cannot download the real weights, so they build a checkpoint with the real
`kokoro` classes and the real phoneme vocabulary, then load it through the same code path users
take (`EngineConfig.model_dir`).
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

import torch

#: The stored Kokoro-82M v1.0 `config.json` (architecture and phoneme vocabulary).
CONFIG_RESOURCE = "kokoro-v1_0-config.json"
WEIGHTS_NAME = "kokoro-v1_0.pth"
#: Top-level modules of `KModel`, each stored as its own state dict in the `.pth` file.
COMPONENTS = ("bert", "bert_encoder", "predictor", "text_encoder", "decoder")
VOICE_PACK_ROWS = 510
STYLE_DIM = 256


def stock_config() -> dict[str, Any]:
    """The real Kokoro-82M v1.0 configuration."""
    text = resources.files("tts_engine.data").joinpath(CONFIG_RESOURCE).read_text("utf-8")
    config: dict[str, Any] = json.loads(text)
    return config


def tiny_config() -> dict[str, Any]:
    """The real vocabulary with the smallest text side the classes accept (for fast tests).

    The iSTFTNet decoder's widths (and the hidden size it reads) are fixed in kokoro's code, so
    mostly the text side shrinks.
    """
    config = copy.deepcopy(stock_config())
    config["n_layer"] = 1
    config["plbert"].update(
        hidden_size=32, num_attention_heads=2, intermediate_size=64, num_hidden_layers=1
    )
    return config


def build_checkpoint(
    out_dir: Path,
    voices: Iterable[str],
    *,
    config: dict[str, Any] | None = None,
    frames_per_phoneme: float | None = 3.0,
    seed: int = 0,
) -> Path:
    """Write `config.json`, random weights and random `voices/*.pt` into `out_dir`.

    `frames_per_phoneme` pins the duration head so audio length per phoneme is realistic
    (random weights predict about 25 frames per phoneme; real speech is about 3). `None`
    leaves the head random.
    """
    from kokoro import KModel

    config = config or stock_config()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "config.json").write_text(json.dumps(config), "utf-8")
    torch.manual_seed(seed)
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty.pth"
        torch.save({}, empty)
        model = KModel(repo_id="hexgrad/Kokoro-82M", config=config, model=str(empty))
    if frames_per_phoneme is not None:
        _pin_durations(model, frames_per_phoneme, config["max_dur"])
    state = {name: getattr(model, name).state_dict() for name in COMPONENTS}
    torch.save(state, out_dir / WEIGHTS_NAME)
    voice_dir = out_dir / "voices"
    voice_dir.mkdir(exist_ok=True)
    generator = torch.Generator().manual_seed(seed + 1)
    for name in voices:
        pack = torch.randn(VOICE_PACK_ROWS, 1, STYLE_DIM, generator=generator) * 0.1
        torch.save(pack, voice_dir / f"{name}.pt")
    return out_dir


def _pin_durations(model: torch.nn.Module, frames: float, max_dur: int) -> None:
    """Make every phoneme last `frames` frames: sigmoid(bias) summed over `max_dur` bins."""
    weight = model.get_parameter("predictor.duration_proj.linear_layer.weight")
    bias = model.get_parameter("predictor.duration_proj.linear_layer.bias")
    p = frames / max_dur
    with torch.no_grad():
        weight.zero_()
        bias.fill_(math.log(p / (1 - p)))
