from __future__ import annotations

from pathlib import Path

import pytest

from bot.settings import load_settings


def test_defaults_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    settings = load_settings(tmp_path / "missing.toml")
    assert settings.discord.token is None
    assert settings.database.url.startswith("sqlite://")
    assert settings.storage.backend == "auto"


def test_file_then_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[jobs]\nworkers = 3\nper_user_cap = 7\n[discord]\ntoken = "from-file"\n')
    monkeypatch.setenv("DISCORD_TOKEN", "from-env")
    monkeypatch.setenv("TTSBOT__JOBS__WORKERS", "5")
    settings = load_settings(config)
    assert settings.jobs.workers == 5
    assert settings.jobs.per_user_cap == 7
    assert settings.discord.token is not None
    assert settings.discord.token.get_secret_value() == "from-env"
    assert "from-env" not in repr(settings)


def test_example_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    settings = load_settings(example)
    assert settings.engine.default_voice == "af_heart"
