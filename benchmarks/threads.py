"""Benchmark (not a test): torch's threads when the cores are shared with other work.

Times the engine's first chunk of a one-line message (G2P and the model on a whole short
sentence, the full-size random-weight checkpoint) in a fresh process per setting: torch
intra-op threads (1 or one per core) and how OpenMP's threads wait at each barrier (libgomp's
default spins 300,000 turns, then sleeps; PASSIVE sleeps at once; BRIEF, the engine's setting,
spins 10,000 turns), on an idle machine and beside `--hogs` CPU-bound processes. Prints
median and p95 per setting.

    python -m benchmarks.threads [--trials 10] [--hogs 2]
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from benchmarks._model import full_checkpoint, parser
from benchmarks._stats import quantile
from benchmarks.first_audio import LINES, hogs

#: (engine.threads, wait): "0" is one per core. "SPIN" is libgomp's default (it spins a while,
#: then sleeps), "BRIEF" what the engine sets when the environment says nothing
#: (`GOMP_SPINCOUNT`, see tts_engine/__init__.py).
SETTINGS = (("1", "SPIN"), ("1", "PASSIVE"), ("0", "SPIN"), ("0", "PASSIVE"), ("1", "BRIEF"),
            ("0", "BRIEF"))


def child(model_dir: Path, threads: int, trials: int) -> None:
    """Time `trials` first chunks; print them as one JSON line."""
    from tts_engine import EngineConfig, LocalEngine

    async def run() -> list[float]:
        engine = LocalEngine(EngineConfig(model_dir=model_dir, device="cpu", threads=threads,
                                          cache_entries=0))
        await engine.start()
        out = []
        for n in range(trials + 1):
            began = time.perf_counter()
            stream = engine.stream(engine.validate(LINES[n % len(LINES)]))
            async for _ in stream:
                break
            await stream.aclose()  # type: ignore[attr-defined]
            if n:  # the first one warms up
                out.append(time.perf_counter() - began)
        engine.close()
        return out
    print(json.dumps(asyncio.run(run())))


def _measure(model_dir: Path, threads: str, wait: str, trials: int) -> list[float]:
    # libgomp's default is what it does with no OMP_WAIT_POLICY at all; the engine would set a
    # spin count then, so "SPIN" is passed as an unknown value that libgomp ignores.
    # "BRIEF" keeps a GOMP_SPINCOUNT given to this benchmark (to compare spin counts).
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env["HF_HUB_OFFLINE"] = "1"
    if wait != "BRIEF":
        env.pop("GOMP_SPINCOUNT", None)
        env["OMP_WAIT_POLICY"] = wait
    out = subprocess.run([sys.executable, "-m", "benchmarks.threads", "--child", str(model_dir),
                          threads, str(trials)], env=env, check=True, capture_output=True,
                         text=True, timeout=900)
    return [float(x) for x in json.loads(out.stdout.strip().splitlines()[-1])]


def main(argv: list[str] | None = None) -> None:
    """`python -m benchmarks.threads`."""
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child":
        child(Path(argv[1]), int(argv[2]), int(argv[3]))
        return
    command = parser(__doc__, trials=10)
    command.add_argument("--hogs", type=int, default=2, help="CPU-bound processes beside")
    command.add_argument("--settings", nargs="+", type=int, help="rows of SETTINGS (from 0)")
    args = command.parse_args(argv)
    model_dir = full_checkpoint(args.bench_dir)
    print(f"{os.cpu_count()} CPUs; first chunk of a one-line message, ms (median / p95)")
    print("| torch threads | OMP_WAIT_POLICY | idle | beside "
          f"{args.hogs} CPU hogs | slow-down |")
    print("| --- | --- | --- | --- | --- |")
    rows = [SETTINGS[n] for n in args.settings] if args.settings else SETTINGS
    for threads, wait in rows:
        idle = _measure(model_dir, threads, wait, args.trials)
        load_idle = os.getloadavg()[0]
        with hogs(args.hogs, 900):
            busy = _measure(model_dir, threads, wait, args.trials)
        spins = f" ({os.environ['GOMP_SPINCOUNT']} turns)" \
            if wait == "BRIEF" and "GOMP_SPINCOUNT" in os.environ else ""
        print(f"| {threads if threads != '0' else 'one per core'} | {wait}{spins} "
              f"| {statistics.median(idle) * 1000:.0f} / {quantile(idle, 0.95) * 1000:.0f} "
              f"(load {load_idle:.1f}) "
              f"| {statistics.median(busy) * 1000:.0f} / {quantile(busy, 0.95) * 1000:.0f} "
              f"| {statistics.median(busy) / statistics.median(idle):.1f}x |", flush=True)


if __name__ == "__main__":
    main()
