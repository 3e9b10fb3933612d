"""Where the model comes from, and the one clear error when it is nowhere."""

from __future__ import annotations

import shutil
import time

import pytest

from tts_engine import EngineConfig, LocalEngine
from tts_engine.errors import LanguageExtraMissing, ModelUnavailable
from tts_engine.text.g2p import check_language
from tts_engine.text.g2p.japanese import dictionary_dir


def test_missing_model_dir_fails_fast_naming_it(tmp_path):
    missing = tmp_path / "no-model"
    engine = LocalEngine(EngineConfig(model_dir=missing, device="cpu"))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as err:
        engine.load()
    assert time.monotonic() - started < 5
    message = str(err.value)
    assert str(missing) in message and "model_dir" in message and "huggingface-cli" in message
    assert not engine.ready


def test_missing_weights_only(tmp_path, model_dir):
    partial = tmp_path / "partial"
    shutil.copytree(model_dir, partial)
    for weights in partial.glob("*.pth"):
        weights.unlink()
    with pytest.raises(ModelUnavailable) as err:
        LocalEngine(EngineConfig(model_dir=partial, device="cpu")).load()
    assert "is missing a .pth weights file." in str(err.value)


def test_corrupt_weights(tmp_path, model_dir):
    broken = tmp_path / "broken"
    shutil.copytree(model_dir, broken)
    next(broken.glob("*.pth")).write_bytes(b"not a checkpoint")
    with pytest.raises(ModelUnavailable, match="could not be loaded"):
        LocalEngine(EngineConfig(model_dir=broken, device="cpu")).load()


def test_offline_hub_with_empty_cache_fails_fast(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    engine = LocalEngine(EngineConfig(device="cpu"))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as err:
        engine.load()
    assert time.monotonic() - started < 5
    assert "HF_HUB_OFFLINE" in str(err.value) and "model_dir" in str(err.value)


def test_unreachable_hub_fails_within_the_timeout(tmp_path, monkeypatch):
    # A closed port on loopback stands in for an unreachable hub.
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr("huggingface_hub.constants.ENDPOINT", "http://127.0.0.1:9")
    monkeypatch.setattr(
        "huggingface_hub.constants.HUGGINGFACE_CO_URL_TEMPLATE",
        "http://127.0.0.1:9/{repo_id}/resolve/{revision}/{filename}",
    )
    engine = LocalEngine(EngineConfig(device="cpu", hub_timeout_s=2))
    started = time.monotonic()
    with pytest.raises(ModelUnavailable) as err:
        engine.load()
    assert time.monotonic() - started < 5
    assert "Could not reach" in str(err.value) and "model_dir" in str(err.value)


def test_hub_voices_are_known_without_network(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    engine = LocalEngine(EngineConfig(device="cpu"))
    voices = engine.voices()
    assert len(voices) == 54
    assert {v.lang for v in voices} == set("abefhipjz")
    assert engine.validate("Hi", voice="am_michael").lang == "a"


def test_unavailable_device_is_a_clear_error(model_dir, monkeypatch):
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    with pytest.raises(ModelUnavailable, match="no cuda"):
        LocalEngine(EngineConfig(model_dir=model_dir, device="cuda")).load()


def test_japanese_without_a_dictionary_names_the_package(monkeypatch):
    dictionary_dir.cache_clear()
    monkeypatch.setitem(__import__("sys").modules, "unidic", None)
    monkeypatch.setitem(__import__("sys").modules, "unidic_lite", None)
    try:
        with pytest.raises(LanguageExtraMissing) as err:
            check_language("j")
        assert "pip install unidic-lite" in str(err.value)
    finally:
        dictionary_dir.cache_clear()


def test_japanese_dictionary_is_found_offline():
    assert dictionary_dir()
    check_language("j")


def fake_hub_cache(cache, model_dir, repo_id="hexgrad/Kokoro-82M"):
    """Lay `model_dir` out as huggingface_hub's cache holds a downloaded repo."""
    commit = "0" * 40
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(commit)
    shutil.copytree(model_dir, repo / "snapshots" / commit)


def test_hub_model_loads_from_the_local_cache_offline(tmp_path, model_dir, monkeypatch):
    cache = tmp_path / "hub"
    fake_hub_cache(cache, model_dir)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    engine = LocalEngine(EngineConfig(device="cpu", threads=1))
    try:
        engine.load()
        clip = engine.synthesize_sync(engine.validate("Hi.", voice="af_heart"))
        assert clip.duration > 0.1
        # A known voice the cache doesn't hold: a clear error, not a hang.
        with pytest.raises(ModelUnavailable, match=r"voices/am_echo\.pt"):
            engine.synthesize_sync(engine.validate("Hi.", voice="am_echo"))
    finally:
        engine.close()


def test_v1_1_zh_voices_come_from_the_cached_repo(tmp_path, model_dir, monkeypatch):
    cache = tmp_path / "hub"
    fake_hub_cache(cache, model_dir, repo_id="hexgrad/Kokoro-82M-v1.1-zh")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_CACHE", str(cache))
    engine = LocalEngine(EngineConfig(repo_id="hexgrad/Kokoro-82M-v1.1-zh", device="cpu"))
    names = [v.name for v in engine.voices()]
    assert names == sorted(p.stem for p in (model_dir / "voices").glob("*.pt"))
    assert engine.validate("你好", voice="zf_xiaobei").lang == "z"


def test_japanese_never_needs_pyopenjtalk(monkeypatch):
    # pyopenjtalk downloads its dictionary at first use: the engine must not import it at all.
    monkeypatch.setitem(__import__("sys").modules, "pyopenjtalk", None)
    from tts_engine.text.g2p.japanese import japanese_g2p

    phonemes, _ = japanese_g2p()("こんにちは、世界。")
    assert phonemes.startswith("koɲɲiʨiβa") and "," in phonemes
