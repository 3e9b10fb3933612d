"""Synthesis on other machines: two API processes serve speech, the bot streams from them
(`engine.remote`), and one of them is killed in the middle of a message."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tts_engine import EngineConfig, LocalEngine
from tts_engine.errors import TTSError
from tts_engine.synthesis.remote import RemoteEngine

KEY = "synth-key"
START_S = 180.0  # an API process imports torch and warms the model up (2 shared cores)
LONG = ("The synthesis server reads this first sentence. Then it reads a second one, a bit "
        "longer than the first. A third sentence follows, and a fourth one ends the message.")


@dataclass
class SynthServer:
    url: str
    process: subprocess.Popen[bytes]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _ready(process: subprocess.Popen[bytes]) -> None:
    """Until the process logs that it listens and that its engine is warm."""
    assert process.stderr is not None
    stream = process.stderr
    seen: set[str] = set()
    while seen != {"listening", "warm"}:
        line = await asyncio.to_thread(stream.readline)
        if not line:
            raise AssertionError("the synthesis server exited during start-up")
        text = line.decode(errors="replace")
        seen |= {w for w in ("listening", "warm") if w in text}
    # Drain the rest so the process never blocks on a full pipe.
    threading.Thread(target=stream.read, daemon=True).start()


def _start(tmp: Path, model_dir: Path, n: int) -> SynthServer:
    port = _free_port()
    config = tmp / f"synth{n}.toml"
    config.write_text(
        f'[engine]\nmodel_dir = "{model_dir}"\ndevice = "cpu"\nthreads = 1\nfast = false\n'
        f'cache_entries = 0\n[database]\nurl = "sqlite://{tmp}/synth{n}.sqlite3"\n'
        f'[storage]\nlocal_dir = "{tmp}/audio{n}"\n[jobs]\nworkers = 0\n'
        f'[api]\nenabled = true\nport = {port}\n[api.keys]\n"{KEY}" = "bot"\n', "utf-8")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(Path.cwd())}
    process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "api"],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return SynthServer(f"http://127.0.0.1:{port}", process)


@pytest.fixture(scope="module")
def _pool(tmp_path_factory, model_dir) -> Iterator[list[SynthServer]]:
    tmp = tmp_path_factory.mktemp("synth")
    pool = [_start(tmp, model_dir, n) for n in (1, 2)]
    try:
        asyncio.run(_all_ready(pool))
        yield pool
    finally:
        for server in pool:
            server.process.kill()
            server.process.wait(30)


async def _all_ready(pool: list[SynthServer]) -> None:
    await asyncio.wait_for(asyncio.gather(*(_ready(s.process) for s in pool)), START_S)


@pytest.fixture
async def servers(_pool, tmp_path, model_dir) -> list[SynthServer]:
    """The two synthesis servers, a fresh one in place of any an earlier test killed."""
    for n, server in enumerate(_pool):
        if server.process.poll() is not None:
            _pool[n] = _start(tmp_path, model_dir, n)
            await _all_ready([_pool[n]])
    return list(_pool)


@pytest.fixture
async def engine(servers, model_dir) -> AsyncIterator[RemoteEngine]:
    """The bot's engine: no model here, only the two servers."""
    eng = RemoteEngine(EngineConfig(model_dir=model_dir, remote=[s.url for s in servers],
                                    remote_key=KEY, remote_health_s=0.5))
    await eng.start()
    yield eng
    eng.close()


@pytest.fixture(scope="module")
def local(model_dir) -> Iterator[LocalEngine]:
    eng = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=1, fast=False,
                                 cache_entries=0))
    eng.load()
    yield eng
    eng.close()


async def test_voices_and_validation_come_from_the_servers(engine):
    assert "af_heart" in {v.name for v in engine.voices()}
    with pytest.raises(TTSError, match="af_nobody"):
        engine.validate("Hi.", voice="af_nobody")
    clip = await engine.synthesize(engine.validate("Hello from far away."))
    assert clip.duration > 0.3


def _kill_after_first_piece(engine: RemoteEngine, servers: list[SynthServer]) -> list[str]:
    """Make the first server that streams die right after its first piece of audio."""
    killed: list[str] = []
    original = engine._read

    async def dying(server, resp, cancel, skip):  # type: ignore[no-untyped-def]
        async for piece in original(server, resp, cancel, skip):
            yield piece
            if not killed:
                killed.append(server.url)
                next(s for s in servers if s.url == server.url).process.kill()

    engine._read = dying  # type: ignore[method-assign]
    return killed


async def test_the_bot_speaks_through_a_server_that_dies_mid_message(
        engine, servers, local, make_voice_harness):
    h = await make_voice_harness()
    await h.join()
    expected = local.synthesize_sync(local.validate(LONG, speed=2.0)).duration
    killed = _kill_after_first_piece(engine, servers)
    start = len(h.voice.packets)
    await h.slash(h.alice, "say", text=LONG, speed=2.0)
    heard = (await h.voice.wait_utterances(1, start=start, within=120))[0]
    speech = await h.speech_s(0, heard)
    assert killed and engine.failovers == 1
    assert speech == pytest.approx(expected, abs=0.3)  # the whole message, nothing twice
