"""`python -m bot`: token checks, start-up against the fake Discord, graceful SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from bot.__main__ import run_bot
from bot.settings import Settings
from tests.fakes.discord import FakeDiscord
from tts_engine import EngineConfig

ROOT = Path(__file__).resolve().parents[2]


def test_missing_token_is_one_line_and_exit_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items()
           if k != "DISCORD_TOKEN" and not k.startswith("TTSBOT")}
    env["TTSBOT_CONFIG"] = str(tmp_path / "absent.toml")
    proc = subprocess.run([sys.executable, "-m", "bot"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "DISCORD_TOKEN" in lines[0], proc.stderr
    assert "Traceback" not in proc.stderr


def _settings(tmp_path: Path, model_dir: Path, token: str, **extra: object) -> Settings:
    return Settings(**extra,
        discord={"token": token, "dev_guild_id": None},
        engine=EngineConfig(model_dir=model_dir, device="cpu", load="lazy"),
        database={"url": f"sqlite://{tmp_path}/bot.sqlite3"},
        storage={"local_dir": tmp_path / "audio"},
        jobs={"workers": 1, "shutdown_grace_s": 1.0},
    )


@pytest.fixture
async def fake() -> FakeDiscord:
    fake = FakeDiscord(token="good-token")
    fake.add_guild()
    await fake.start()
    with fake.patched():
        yield fake
    await fake.stop()


async def test_rejected_token_is_one_line(fake: FakeDiscord, tmp_path: Path, model_dir: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    code = await asyncio.wait_for(run_bot(_settings(tmp_path, model_dir, "bad-token")), 60)
    assert code == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rejected the bot token" in err[0]


async def test_rejected_token_is_found_before_the_model_loads(
        fake: FakeDiscord, tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from bot import runtime

    started: list[object] = []
    real_start = runtime.Runtime.start.__func__  # type: ignore[attr-defined]

    async def start(cls: type, settings: Settings, **kw: object) -> object:
        started.append(settings)
        return await real_start(cls, settings, **kw)

    monkeypatch.setattr(runtime.Runtime, "start", classmethod(start))
    settings = _settings(tmp_path, model_dir, "bad-token")
    settings.engine = EngineConfig(model_dir=model_dir, device="cpu", load="startup")
    code = await asyncio.wait_for(run_bot(settings), 60)
    assert code == 1
    assert started == []  # no database, no model loading, no warm-up for a bot that can't log in
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "rejected the bot token" in err[0], err


# `python -m bot` with discord.py pointed at the fake (the process cannot see the test's patch).
_RUN_AGAINST = """
import sys, discord.http
discord.http.Route.BASE = sys.argv[1] + "/api/v10"
from bot.__main__ import main
sys.exit(main([]))
"""


async def test_rejected_token_process_exits_at_once_with_one_line(
        fake: FakeDiscord, tmp_path: Path, model_dir: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[engine]\nmodel_dir = "{model_dir}"\ndevice = "cpu"\nload = "startup"\n'
        f'[database]\nurl = "sqlite://{tmp_path}/bot.sqlite3"\n'
        f'[storage]\nlocal_dir = "{tmp_path}/audio"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("TTSBOT")}
    env.update(DISCORD_TOKEN="bad-token", TTSBOT_CONFIG=str(config),
               PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""))
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", _RUN_AGAINST, fake.base_url, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    _, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode == 1
    lines = err.decode().strip().splitlines()
    assert len(lines) == 1 and "rejected the bot token" in lines[0], lines
    assert [r.path for r in fake.requests] == ["/users/@me"]  # nothing else was attempted


async def test_runs_syncs_commands_and_stops_on_sigterm(
        fake: FakeDiscord, tmp_path: Path, model_dir: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    settings = _settings(tmp_path, model_dir, "good-token",
                         api={"enabled": True, "host": "127.0.0.1", "port": 0})
    caplog.set_level(logging.INFO, logger="api.server")
    run = asyncio.create_task(run_bot(settings))
    await fake.wait_for_frame(2, within=60)  # IDENTIFY
    identify = next(f.d for f in fake.frames if f.op == 2)
    intents = identify["intents"]
    assert intents & (1 << 0) and intents & (1 << 7) and intents & (1 << 9) and intents & (
        1 << 15)  # guilds, voice states, guild messages, message content
    await fake.wait_until(lambda: None in fake.commands, 30)
    names = {c["name"] for c in fake.commands[None]}
    assert {"tts", "history", "delete", "voices", "settings"} <= names
    # The HTTP API runs inside the bot process when enabled.
    url = next(re.search(r"listening on (\S+)", r.getMessage()).group(1)
               for r in caplog.records if "HTTP API listening" in r.getMessage())
    async with aiohttp.ClientSession() as http, http.get(f"{url}/healthz") as resp:
        assert resp.status in (200, 503)  # answers (503 while the engine still loads)
    os.kill(os.getpid(), signal.SIGTERM)
    assert await asyncio.wait_for(run, 60) == 0
    assert not fake.sessions  # the gateway connection was closed
