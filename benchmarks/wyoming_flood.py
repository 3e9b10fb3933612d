"""Benchmark: `/healthz` latency while a Wyoming client streams 20 MB of text with no sentence end.

`python -m benchmarks.wyoming_flood [--mb 20] [--seconds 60]`. A child process serves the HTTP
API and the Wyoming server on one event loop (as `python -m bot api` does), with the tiny
random-weight test checkpoint; this process floods Wyoming with 10 KB `synthesize-chunk` events
and asks `/healthz` every 0.2 s. Prints the latencies and how much text the server took in.
Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
from wyoming.event import async_write_event
from wyoming.tts import SynthesizeChunk, SynthesizeStart

CHUNK = ("lorem ipsum dolor sit amet " * 400)[:10_000]


async def _serve(root: Path) -> None:
    from api._context import ApiContext
    from api.app import create_app
    from api.server import serve_app
    from api.wyoming_tts import WyomingServer
    from bot.jobs import JobService
    from bot.settings import ApiSettings, JobSettings, Settings
    from storage.audio import LocalAudioStore
    from storage.db import init_db
    from tts_engine import EngineConfig, LocalEngine
    from tts_engine.tools.checkpoint import build_checkpoint, tiny_config

    model = build_checkpoint(root / "model", ("af_heart",), config=tiny_config())
    engine = LocalEngine(EngineConfig(model_dir=model, device="cpu", threads=1, cache_entries=0))
    await engine.start()
    url = f"sqlite://{root}/db.sqlite3"
    await init_db(url)
    settings = Settings(engine=engine.config, api=ApiSettings())
    jobs = JobService(engine, LocalAudioStore(root, ""), JobSettings(workers=0), url)
    server = await serve_app(create_app(ApiContext(engine, jobs, settings)), "127.0.0.1", 0)
    wyoming = WyomingServer("tcp://127.0.0.1:0", engine, "af_heart")
    await wyoming.start()
    print(server.url, wyoming.address.rsplit(":", 1)[1], flush=True)
    await asyncio.Event().wait()


async def _probe(url: str, stop: asyncio.Event, latencies: list[float]) -> None:
    async with aiohttp.ClientSession() as session:
        while not stop.is_set():
            start = time.perf_counter()
            async with session.get(url + "/healthz") as resp:
                await resp.read()
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.2)


async def _drain(reader: asyncio.StreamReader) -> None:
    # Like a real client, read (and drop) the audio the server sends back.
    while await reader.read(1 << 16):
        pass


async def _flood(port: int, total: int, seconds: float) -> tuple[int, float]:
    sent = 0
    start = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    drain = asyncio.create_task(_drain(reader))
    await async_write_event(SynthesizeStart().event(), writer)
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            while sent < total:
                await async_write_event(SynthesizeChunk(CHUNK).event(), writer)
                sent += len(CHUNK)
    took = time.perf_counter() - start
    writer.transport.abort()
    drain.cancel()
    await asyncio.gather(drain, return_exceptions=True)
    return sent, took


async def _run(url: str, port: int, mb: float, seconds: float) -> None:
    latencies: list[float] = []
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(url, stop, latencies))
    await asyncio.sleep(1.0)
    idle = list(latencies)
    sent, took = await _flood(port, int(mb * 1_000_000), seconds)
    stop.set()
    await probe
    busy = latencies[len(idle):]
    print(f"idle /healthz: median {statistics.median(idle) * 1000:.1f} ms")
    print(f"text the client got in: {sent / 1e6:.2f} MB in {took:.1f} s "
          f"(the server reads only as fast as it speaks)")
    print(f"/healthz during the flood ({len(busy)} probes): "
          f"median {statistics.median(busy) * 1000:.1f} ms, "
          f"p95 {sorted(busy)[int(len(busy) * 0.95)] * 1000:.1f} ms, max {max(busy) * 1000:.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--serve", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        asyncio.run(_serve(args.serve))
        return
    root = Path(tempfile.mkdtemp(prefix="wyoming-flood-"))
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.wyoming_flood", "--serve", str(root)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        assert child.stdout is not None
        url, port = child.stdout.readline().split()
        asyncio.run(_run(url, int(port), args.mb, args.seconds))
    finally:
        child.terminate()
        child.wait()


if __name__ == "__main__":
    main()
