"""`python -m bot api` on its own: the HTTP API and the Wyoming server, until SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import sys
from pathlib import Path

import aiohttp
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.info import Describe, Info

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def wait_for_lines(stream: asyncio.StreamReader, wanted: list[str]) -> list[str]:
    """Read log lines until each of `wanted` has appeared; returns every line read."""
    seen: list[str] = []
    missing = list(wanted)
    while missing:
        line = (await stream.readline()).decode(errors="replace")
        if not line:
            raise AssertionError("the process ended early:\n" + "".join(seen[-40:]))
        seen.append(line)
        missing = [w for w in missing if w not in line]
    return seen


@pytest.mark.slow
async def test_the_api_process_serves_http_and_wyoming(model_dir: Path, tmp_path: Path) -> None:
    http_port, wyoming_port = free_port(), free_port()
    config = tmp_path / "config.toml"
    config.write_text(f"""
[engine]
model_dir = "{model_dir}"
device = "cpu"
[database]
url = "sqlite://{tmp_path}/db.sqlite3"
[storage]
backend = "local"
local_dir = "{tmp_path}/audio"
[jobs]
workers = 0
[api]
port = {http_port}
[api.keys]
"secret" = "u1"
[wyoming]
enabled = true
uri = "tcp://127.0.0.1:{wyoming_port}"
""")
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "api",
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    assert proc.stderr is not None
    try:
        async with asyncio.timeout(180):
            await wait_for_lines(proc.stderr, ["HTTP API listening", "Wyoming TTS server"])
        drain = asyncio.create_task(proc.stderr.read())  # keep the pipe from filling up
        base = f"http://127.0.0.1:{http_port}"
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{base}/v1/audio/voices") as r:
                assert r.status == 401
            body = {"input": "Hi.", "voice": "af_heart", "response_format": "wav"}
            async with session.post(f"{base}/v1/audio/speech", json=body,
                                    headers={"Authorization": "Bearer secret"}) as r:
                assert r.status == 200 and (await r.read()).startswith(b"RIFF")
        async with AsyncTcpClient("127.0.0.1", wyoming_port, read_timeout=60) as client:
            await client.write_event(Describe().event())
            event = await client.read_event()
            assert event is not None and Info.is_type(event.type)
        proc.send_signal(signal.SIGTERM)
        async with asyncio.timeout(60):
            assert await proc.wait() == 0
        await drain
    finally:
        if proc.returncode is None:
            proc.kill()
            with contextlib.suppress(ProcessLookupError):
                await proc.wait()


async def _start_failure(config: Path) -> tuple[int, str]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "--config", str(config), "api",
        cwd=ROOT, env={**os.environ, "HF_HUB_OFFLINE": "1"},
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with asyncio.timeout(120):
            _, err = await proc.communicate()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode is not None
    return proc.returncode, err.decode(errors="replace")


def _config(tmp_path: Path, model_dir: Path, name: str, database: str, port: int) -> Path:
    config = tmp_path / f"{name}.toml"
    config.write_text(f"""
[engine]
model_dir = "{model_dir}"
device = "cpu"
[database]
url = "{database}"
[storage]
backend = "local"
local_dir = "{tmp_path}/audio"
[api]
port = {port}
""")
    return config


@pytest.mark.slow
async def test_start_up_failures_are_one_clear_line_and_a_failure_status(
    model_dir: Path, tmp_path: Path
) -> None:
    sqlite = f"sqlite://{tmp_path}/db.sqlite3"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy_port = int(taken.getsockname()[1])
        dead_db = free_port()  # nothing listens there
        results = await asyncio.gather(
            _start_failure(_config(tmp_path, model_dir, "busy", sqlite, busy_port)),
            _start_failure(_config(tmp_path, model_dir, "nodb",
                                   f"postgres://postgres@127.0.0.1:{dead_db}/x", free_port())),
            _start_failure(_config(tmp_path, model_dir, "mysql",
                                   "mysql://root@127.0.0.1/x", free_port())),
        )
    expected = [f"{busy_port}", "database", "mysql"]
    for (status, err), words in zip(results, expected, strict=True):
        assert status != 0, err
        assert "Traceback" not in err, err
        errors = [line for line in err.splitlines() if line.startswith("error: ")]
        assert len(errors) == 1 and words in errors[0], err
    busy_err = results[0][1]
    assert "in use" in busy_err
    # The port is checked before the slow work: no engine was loaded, no worker started.
    assert "workers started" not in busy_err and "warm" not in busy_err.lower()
    assert "aiomysql" not in results[2][1]
