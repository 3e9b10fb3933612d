"""Benchmark (not a test): the first audio byte of a short sentence over HTTP and Wyoming.

A child process serves the HTTP API and the Wyoming server on one event loop (as
`python -m bot api` does) with the full-size random-weight checkpoint (realistic phoneme
durations), torch threads one per core, no clip cache. This process sends one-line messages
one at a time, each through both doors (which first alternates): OpenAI's
`POST /v1/audio/speech` (`response_format: pcm`, streamed) until the first body byte, and
Wyoming's `synthesize` until the first `audio-chunk`. Prints median and p95 per door, with
the machine's load.

    python -m benchmarks.first_byte [--trials 10]
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
from wyoming.audio import AudioChunk, AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize, SynthesizeVoice

from benchmarks._doors import serve_doors
from benchmarks._model import full_checkpoint, parser
from benchmarks.first_audio import distinct_lines
from tts_engine import EngineConfig

VOICE = "af_heart"


async def _openai(session: aiohttp.ClientSession, url: str, text: str) -> float:
    body = {"model": "kokoro", "input": text, "voice": VOICE, "response_format": "pcm"}
    began = time.perf_counter()
    async with session.post(url + "/v1/audio/speech", json=body) as resp:
        resp.raise_for_status()
        first = await resp.content.readany()
        took = time.perf_counter() - began
        assert first, "no audio"
        await resp.read()  # the rest, so the next request starts on an idle engine
    return took


async def _wyoming(port: int, text: str) -> float:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        began = time.perf_counter()
        await client.write_event(Synthesize(text, voice=SynthesizeVoice(VOICE)).event())
        took = None
        while True:
            event = await asyncio.wait_for(client.read_event(), 120)
            assert event is not None, "the server closed the connection"
            if took is None and AudioChunk.is_type(event.type):
                took = time.perf_counter() - began
            if AudioStop.is_type(event.type):
                assert took is not None, "no audio"
                return took


def _line(label: str, values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (f"{label}: median {statistics.median(values) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms "
            f"(best {ordered[0] * 1000:.0f}, worst {ordered[-1] * 1000:.0f}; {len(values)} lines)")


async def _run(url: str, port: int, trials: int) -> None:
    lines: Iterator[str] = distinct_lines()
    async with aiohttp.ClientSession() as session:
        await _openai(session, url, "Warming up the server.")  # not counted
        await _wyoming(port, "Warming up the other door.")
        print(f"load {os.getloadavg()[0]:.1f} ({os.cpu_count()} CPUs)", flush=True)
        openai, wyoming = [], []
        for n in range(trials):  # each line through both doors (the server caches no clip),
            line = next(lines)  # which goes first alternating
            if n % 2:
                wyoming.append(await _wyoming(port, line))
            openai.append(await _openai(session, url, line))
            if not n % 2:
                wyoming.append(await _wyoming(port, line))
    print(_line("OpenAI /v1/audio/speech (pcm), first body byte", openai))
    print(_line("Wyoming synthesize, first audio-chunk", wyoming))
    print(f"load {os.getloadavg()[0]:.1f}", flush=True)


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.first_byte`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--serve":
        config = EngineConfig(model_dir=Path(argv[1]), device="cpu", cache_entries=0,
                              default_voice=VOICE)
        asyncio.run(serve_doors(config, Path(argv[2]), VOICE))
        return
    args = parser(__doc__, trials=10).parse_args(argv)
    model_dir = full_checkpoint(args.bench_dir)
    root = Path(tempfile.mkdtemp(prefix="first-byte-"))
    child = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.first_byte", "--serve", str(model_dir), str(root)],
        stdout=subprocess.PIPE, text=True, env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    try:
        assert child.stdout is not None
        url, port = child.stdout.readline().split()
        asyncio.run(_run(url, int(port), args.trials))
    finally:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    main()
