"""Benchmark: how soon streamed audio starts, over HTTP and Wyoming, versus a whole clip.

`python -m benchmarks.api [--model-dir DIR] [--runs 3] [--short]`. Without a model dir it uses
the benchmarks' random-weight checkpoint of the real Kokoro-82M size with realistic phoneme
durations (built once under `.bench/`; timings are those of the real model, the audio is
noise). No clip cache, so a repeated text is synthesised each time. Prints the median and p95
of each door with the machine's load; it is not a test.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp
from wyoming.audio import AudioChunk, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from api._context import ApiContext
from api.app import create_app
from api.server import serve_app
from api.wyoming_tts import WyomingServer
from benchmarks._model import full_checkpoint
from benchmarks._stats import quantile
from bot.jobs import JobService
from bot.settings import ApiSettings, JobSettings, Settings
from storage.audio import LocalAudioStore
from tts_engine import EngineConfig, LocalEngine

TEXT = (
    "The kitchen lights are on, and the front door is locked. Tomorrow will be sunny with a "
    "high of twenty-two degrees. Your next meeting starts at ten thirty in the small room "
    "upstairs, so leave a few minutes early."
)


#: One short sentence (what a voice assistant usually answers).
SHORT = "The kitchen lights are on."


async def _http(url: str, stream: bool, text: str) -> tuple[float, float, int]:
    body = {"input": text, "voice": "af_heart", "response_format": "pcm", "stream": stream}
    async with aiohttp.ClientSession() as session:
        start = time.perf_counter()
        async with session.post(url + "/v1/audio/speech", json=body) as resp:
            resp.raise_for_status()
            first = await resp.content.readany()
            ttfb = time.perf_counter() - start
            rest = await resp.read()
        total = time.perf_counter() - start
    return ttfb, total, len(first) + len(rest)


async def _wyoming(port: int, text: str) -> tuple[float, float]:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        start = time.perf_counter()
        await client.write_event(Synthesize(text).event())
        first = None
        while (event := await client.read_event()) is not None:
            if first is None and AudioChunk.is_type(event.type):
                first = time.perf_counter() - start
            if AudioStop.is_type(event.type):
                break
        return first or 0.0, time.perf_counter() - start


def _report(name: str, firsts: list[float], totals: list[float]) -> None:
    print(f"{name:<28} first audio {statistics.median(firsts) * 1000:6.0f} ms "
          f"(p95 {quantile(firsts, 0.95) * 1000:.0f} ms)   "
          f"complete {statistics.median(totals):6.2f} s")


async def _run(model_dir: Path, runs: int, text: str) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="api-bench-"))
    engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", cache_entries=0))
    await engine.start()
    settings = Settings(engine=engine.config, api=ApiSettings())
    # The speech routes don't touch jobs; an unstarted service (no database) completes the app.
    jobs = JobService(engine, LocalAudioStore(tmp, ""), JobSettings(workers=0), "sqlite://:memory:")
    server = await serve_app(create_app(ApiContext(engine, jobs, settings)), "127.0.0.1", 0)
    wyoming = WyomingServer("tcp://127.0.0.1:0", engine, "af_heart")
    await wyoming.start()
    port = int(wyoming.address.rsplit(":", 1)[1])
    load = os.getloadavg()[0]
    try:
        results: dict[str, tuple[list[float], list[float]]] = {}
        audio_s = 0.0
        for _ in range(runs):
            for name, stream in (("HTTP stream=true", True), ("HTTP stream=false", False)):
                first, total, size = await _http(server.url, stream, text)
                audio_s = size / 2 / 24000
                results.setdefault(name, ([], []))[0].append(first)
                results[name][1].append(total)
            first, total = await _wyoming(port, text)
            results.setdefault("Wyoming synthesize", ([], []))[0].append(first)
            results["Wyoming synthesize"][1].append(total)
        print(f"text {len(text)} chars -> {audio_s:.1f} s of audio; median of {runs} runs; "
              f"load {load:.1f} before, {os.getloadavg()[0]:.1f} after ({os.cpu_count()} CPUs)")
        for name, (firsts, totals) in results.items():
            _report(name, firsts, totals)
    finally:
        await wyoming.stop()
        await server.stop()
        engine.close()


def main() -> None:
    """Parse the arguments and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, help="a Kokoro model dir (default: build one)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--short", action="store_true",
                        help=f"one short sentence ({SHORT!r}) instead of three")
    args = parser.parse_args()
    model_dir = args.model_dir or full_checkpoint()
    asyncio.run(_run(model_dir, args.runs, SHORT if args.short else TEXT))


if __name__ == "__main__":
    main()
