"""Benchmark (not a test): an API process's memory under long mixed load.

Starts `python -m bot api` (HTTP API, OpenAI endpoint and Wyoming; one job worker) on the
full-size random-weight checkpoint with realistic durations, then keeps `--concurrency`
clients busy for `--duration` seconds with a seeded mix: OpenAI `/v1/audio/speech` (streamed
PCM, whole WAV and MP3, repeated texts that the clip cache serves, voice blends, speeds),
`/api/v1/tts/generate` jobs polled to the end and deleted, Wyoming `synthesize`, and bad input
(unknown voice, empty and oversized text, speed out of range). Samples the process's RSS every
5 s; prints it (and the highest since the line before) every `--every` seconds, then the growth
after warm-up, with what was sent.

    python -m benchmarks.soak [--duration 3600] [--concurrency 2] [--every 300]
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
from wyoming.audio import AudioStop
from wyoming.client import AsyncTcpClient
from wyoming.tts import Synthesize

from benchmarks._model import TEXT_300, full_checkpoint, parser
from benchmarks.first_audio import LINES
from benchmarks.remote import free_port, rss_mb, spawn_api

KEY = "soak-key"
#: Seconds between RSS samples (the lines printed are `--every` apart).
SAMPLE_S = 5.0
VOICES = ("af_heart", "af_bella", "am_adam", "bf_emma", "af_heart(3)+am_adam(2)")


def start_api(model_dir: Path, tmp: Path) -> tuple[subprocess.Popen[bytes], str, int]:
    """The API process with Wyoming and one job worker; returns once its engine is warm."""
    port, wyoming = free_port(), free_port()
    config = tmp / "soak.toml"
    config.write_text(
        f'[engine]\nmodel_dir = "{model_dir.resolve()}"\ndevice = "cpu"\n'
        f'[database]\nurl = "sqlite://{tmp}/soak.sqlite3"\n[storage]\nlocal_dir = "{tmp}/a"\n'
        f'[jobs]\nworkers = 1\n[api]\nenabled = true\nport = {port}\n'
        f'rate_limit_per_minute = 100000\n[api.keys]\n"{KEY}" = "soak"\n'
        f'[wyoming]\nenabled = true\nuri = "tcp://127.0.0.1:{wyoming}"\n', "utf-8")
    return spawn_api(config), f"http://127.0.0.1:{port}", wyoming


async def _speech(http: aiohttp.ClientSession, url: str, rng: random.Random) -> str:
    text = rng.choice(LINES[:3]) if rng.random() < 0.3 else rng.choice((*LINES, TEXT_300))
    fmt = rng.choice(("pcm", "wav", "mp3"))
    body = {"model": "kokoro", "input": text, "voice": rng.choice(VOICES),
            "response_format": fmt, "speed": rng.choice((0.8, 1.0, 1.3)),
            "stream": fmt == "pcm"}
    async with http.post(f"{url}/v1/audio/speech", json=body) as resp:
        await resp.read()
        return f"speech {fmt} {resp.status}"


async def _job(http: aiohttp.ClientSession, url: str, rng: random.Random) -> str:
    body = {"text": rng.choice(LINES), "voice": rng.choice(VOICES[:4]), "user_id": "soak"}
    async with http.post(f"{url}/api/v1/tts/generate", json=body) as resp:
        data = await resp.json()
        if resp.status >= 300:
            return f"job {resp.status}"
    job = data["tts_id"]
    for _ in range(600):  # bounded: a job of one line finishes in seconds
        async with http.get(f"{url}/api/v1/tts/{job}") as resp:
            state = (await resp.json()).get("status")
        if state in ("completed", "failed"):
            break
        await asyncio.sleep(0.5)
    async with http.delete(f"{url}/api/v1/tts/{job}") as resp:
        await resp.read()
    return f"job {state}"


async def _bad(http: aiohttp.ClientSession, url: str, rng: random.Random) -> str:
    body: dict[str, Any] = rng.choice((
        {"model": "kokoro", "input": "hello", "voice": "xx_nobody"},
        {"model": "kokoro", "input": "", "voice": "af_heart"},
        {"model": "kokoro", "input": "word " * 20_000, "voice": "af_heart"},
        {"model": "kokoro", "input": "hello", "voice": "af_heart", "speed": 9.0},
    ))
    async with http.post(f"{url}/v1/audio/speech", json=body) as resp:
        await resp.read()
        return f"bad input {resp.status}"


async def _wyoming(port: int, rng: random.Random) -> str:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Synthesize(rng.choice(LINES)).event())
        for _ in range(10_000):  # bounded: the chunks of one line, then AudioStop
            event = await client.read_event()
            if event is None or AudioStop.is_type(event.type):
                break
    return "wyoming"


async def _client(url: str, port: int, seed: int, until: float, sent: Counter[str]) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {KEY}"}
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(headers=headers, timeout=timeout) as http:
        while time.monotonic() < until:
            kind = rng.choices(("speech", "job", "bad", "wyoming"), (6, 2, 1, 2))[0]
            try:
                if kind == "speech":
                    sent[await _speech(http, url, rng)] += 1
                elif kind == "job":
                    sent[await _job(http, url, rng)] += 1
                elif kind == "bad":
                    sent[await _bad(http, url, rng)] += 1
                else:
                    sent[await _wyoming(port, rng)] += 1
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                sent[f"{kind} error {type(exc).__name__}"] += 1


async def run(args: Any, model_dir: Path) -> None:
    """Start the API process, load it, sample its RSS."""
    with tempfile.TemporaryDirectory() as tmp:
        process, url, port = start_api(model_dir, Path(tmp))
        try:
            samples: list[tuple[float, float]] = [(0.0, rss_mb(process.pid))]
            sent: Counter[str] = Counter()
            t0 = time.monotonic()
            until = t0 + args.duration
            clients = [asyncio.create_task(_client(url, port, args.seed + n, until, sent))
                       for n in range(args.concurrency)]
            printed = t0
            while time.monotonic() < until:
                await asyncio.sleep(min(SAMPLE_S, max(0.0, until - time.monotonic())))
                samples.append((time.monotonic() - t0, rss_mb(process.pid)))
                if time.monotonic() - printed >= args.every or time.monotonic() >= until:
                    printed = time.monotonic()
                    recent = [rss for at, rss in samples if at > printed - t0 - args.every]
                    print(f"{samples[-1][0] / 60:5.1f} min  RSS {samples[-1][1]:7.0f} MB  "
                          f"(max since the last line {max(recent):7.0f} MB)  "
                          f"load {os.getloadavg()[0]:.1f}", flush=True)
            await asyncio.gather(*clients)
        finally:
            process.kill()
            process.wait()
    warm = [rss for at, rss in samples if at >= args.warmup]
    print(f"\nsent: {dict(sorted(sent.items()))}")
    thirds = [warm[i * len(warm) // 3:(i + 1) * len(warm) // 3] for i in range(3)]
    print(f"RSS MB: start {samples[0][1]:.0f}, after warm-up ({args.warmup / 60:.0f} min) "
          f"{warm[0]:.0f}, end {samples[-1][1]:.0f}, max {max(r for _, r in samples):.0f}")
    print("after warm-up, by thirds of the time (median / max MB): " + ", ".join(
        f"{statistics.median(t):.0f} / {max(t):.0f}" for t in thirds if t))


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.soak`."""
    command = parser(__doc__)
    command.add_argument("--duration", type=float, default=3600.0)
    command.add_argument("--concurrency", type=int, default=2)
    command.add_argument("--every", type=float, default=300.0, help="seconds between samples")
    command.add_argument("--warmup", type=float, default=600.0,
                         help="seconds before the growth is counted")
    command.add_argument("--seed", type=int, default=18)
    args = command.parse_args(argv)
    asyncio.run(run(args, full_checkpoint(args.bench_dir)))


if __name__ == "__main__":
    main()
