"""Benchmark (not a test): first audio from the local engine vs from a synthesis server.

Starts one API process (`python -m bot api`) on the full-size random-weight checkpoint as a
synthesis server, and times `engine.stream`'s first chunk for a short sentence and a
300-character message: first with a local `LocalEngine`, then with a `RemoteEngine` pointed at
the server (`engine.remote`). Also prints each process's memory.

    python -m benchmarks.remote [--trials 5]
"""

from __future__ import annotations

import asyncio
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from benchmarks._model import first_chunk, trials_and_checkpoint
from tts_engine import Engine, EngineConfig, LocalEngine
from tts_engine.synthesis.remote import RemoteEngine

KEY = "bench-key"
SHORT = "Who is up for a game tonight?"


async def measure(engine: Engine, trials: int) -> dict[str, float]:
    """Median first-chunk time per text (after one untimed warm-up of each)."""
    from benchmarks._model import TEXT_300

    out = {}
    for name, text in (("short sentence", SHORT), ("300 characters", TEXT_300)):
        await first_chunk(engine, text)
        out[name] = statistics.median([await first_chunk(engine, text) for _ in range(trials)])
    return out


def start_server(model_dir: Path, tmp: Path, nice: int = 0
                 ) -> tuple[subprocess.Popen[bytes], str]:
    """An API process on a free loopback port (at `nice`); returns once its engine is warm."""
    port = free_port()
    config = tmp / "synth.toml"
    config.write_text(
        f'[engine]\nmodel_dir = "{model_dir.resolve()}"\ndevice = "cpu"\nthreads = 1\n'
        f'cache_entries = 0\n'
        f'[database]\nurl = "sqlite://{tmp}/synth.sqlite3"\n[storage]\nlocal_dir = "{tmp}/a"\n'
        f'[jobs]\nworkers = 0\n[api]\nenabled = true\nport = {port}\n'
        f'[api.keys]\n"{KEY}" = "bench"\n', "utf-8")
    return spawn_api(config, nice), f"http://127.0.0.1:{port}"


def free_port() -> int:
    """A loopback TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def spawn_api(config: Path, nice: int = 0) -> subprocess.Popen[bytes]:
    """`python -m bot --config CONFIG api` (at `nice`), once its engine is warm."""
    process = subprocess.Popen([sys.executable, "-m", "bot", "--config", str(config), "api"],
                               env={**os.environ, "HF_HUB_OFFLINE": "1"},
                               preexec_fn=(lambda: os.nice(nice)) if nice else None,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert process.stderr is not None
    for line in iter(process.stderr.readline, b""):
        if b"Engine warm" in line:
            break
    else:
        raise SystemExit("the API process did not start")
    threading.Thread(target=process.stderr.read, daemon=True).start()
    return process


def rss_mb(pid: int | None = None) -> float:
    """Resident memory of a process now (this one by default), in MB."""
    path = Path(f"/proc/{pid or os.getpid()}/status")
    for line in path.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def run(model_dir: Path, trials: int) -> None:
    """Local first, then remote (never both synthesising at once)."""
    local = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", cache_entries=0,
                                   threads=1))
    await local.start()
    here = await measure(local, trials)
    local_rss = rss_mb()
    local.close()
    with tempfile.TemporaryDirectory() as tmp:
        process, url = start_server(model_dir, Path(tmp))
        try:
            remote = RemoteEngine(EngineConfig(remote=[url], remote_key=KEY))
            await remote.start()
            there = await measure(remote, trials)
            server_rss = rss_mb(process.pid)
            remote.close()
        finally:
            process.kill()
            process.wait()
    print(f"first chunk, median of {trials} (load {os.getloadavg()[0]:.1f}):")
    for name in here:
        print(f"  {name:>15}: local {here[name]:.3f} s, remote {there[name]:.3f} s "
              f"(+{(there[name] - here[name]) * 1000:.0f} ms)")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"memory: process with the model {local_rss:.0f} MB (peak {peak:.0f} MB); "
          f"synthesis server {server_rss:.0f} MB")


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.remote`."""
    trials, model_dir = trials_and_checkpoint(__doc__, 5, argv)
    asyncio.run(run(model_dir, trials))


if __name__ == "__main__":
    main()
