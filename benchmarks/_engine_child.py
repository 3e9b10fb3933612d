"""Benchmark child processes: each measurement in a fresh interpreter.

Fresh processes keep the figures honest: the fast path tunes process-wide state (glibc malloc
thresholds, compiled kernels) that would otherwise leak into the stock measurement, and peak
RSS is per process. Prints one JSON line.

    python -m benchmarks._engine_child time MODEL_DIR VARIANT N_PHONEMES REPEATS THREADS OUT.npy
    python -m benchmarks._engine_child rss MODEL_DIR WORKERS THREADS
    python -m benchmarks._engine_child lengths MODEL_DIR VARIANT THREADS
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import _model as bm
from tts_engine.config import EngineConfig
from tts_engine.model.fast import FastOptions, draw_noise_in_memory_order, optimize
from tts_engine.synthesis.local import LocalEngine

_NO_BF16: frozenset[str] = frozenset()
#: Cumulative optimisation steps, for the step table.
STEPS: dict[str, FastOptions] = {
    "fold": FastOptions(tune_malloc=False, fuse=False, compile=False, bf16=_NO_BF16,
                        memory_order_noise=False),
    "fused-eager": FastOptions(tune_malloc=False, compile=False, bf16=_NO_BF16,
                               channels_last=False, memory_order_noise=False),
    "compiled": FastOptions(tune_malloc=False, bf16=_NO_BF16, channels_last=False,
                            memory_order_noise=False),
    "bf16": FastOptions(tune_malloc=False, channels_last=False, memory_order_noise=False),
    "malloc": FastOptions(channels_last=False, memory_order_noise=False),
    "channels-last": FastOptions(memory_order_noise=False),
    "noise": FastOptions(frame_buckets=0),
    "buckets": FastOptions(frame_buckets=8),
}


def _runner(model_dir: Path, variant: str, phonemes: str, threads: int) -> Callable[[], Any]:
    ref = bm.style_row(model_dir, phonemes)
    if variant == "onnx":
        return bm.onnx_runner(model_dir, phonemes, threads)
    if variant == "engine":
        config = EngineConfig(model_dir=model_dir, device="cpu", threads=threads, fast=True)
        engine = LocalEngine(config)
        engine.load()
        return lambda: engine._infer(phonemes, ref, 1.0)
    model = bm.load_stock(model_dir)
    if variant == "reference":  # stock, its noise drawn as the fast path draws it
        draw_noise_in_memory_order(model)
    elif variant != "stock":
        optimize(model, STEPS[variant])
    return lambda: model(phonemes, ref)


def time_variant(model_dir: Path, variant: str, n: int, repeats: int, threads: int,
                 out: Path) -> dict[str, Any]:
    """Warm up, then time `repeats` seeded runs; save the last audio to `out`."""
    torch.set_num_threads(threads)
    run = _runner(model_dir, variant, bm.PHONEMES[:n], threads)
    bm.seeded(run)
    seconds = []
    audio = np.zeros(0, np.float32)
    for _ in range(repeats):
        audio, elapsed = bm.seeded(run)
        seconds.append(elapsed)
    np.save(out, audio)
    return {"variant": variant, "seconds": seconds, "audio_s": len(audio) / 24000}


def time_lengths(model_dir: Path, variant: str, threads: int) -> dict[str, Any]:
    """Each of `bm.chat_lines()` (all of other lengths) twice in a row: seconds the first time
    (a length new to the process) and the second (the same length at once again)."""
    torch.set_num_threads(threads)
    model = bm.load_stock(model_dir)
    optimize(model, STEPS[variant])
    warm = bm.PHONEMES[:12]
    bm.seeded(lambda: model(warm, bm.style_row(model_dir, warm)))
    result: dict[str, list[float]] = {"first": [], "again": [], "audio_s": []}
    for phonemes in bm.chat_lines():
        ref = bm.style_row(model_dir, phonemes)

        def run(p: str = phonemes, r: torch.Tensor = ref) -> Any:
            return model(p, r)

        for label in ("first", "again"):
            audio, seconds = bm.seeded(run)
            result[label].append(seconds)
        result["audio_s"].append(len(audio) / 24000)
    return {"variant": variant, **result}


async def serve(model_dir: Path, workers: int, threads: int) -> dict[str, Any]:
    """Peak RSS of one engine (one model) serving `workers` requests at once."""
    config = EngineConfig(model_dir=model_dir, device="cpu", threads=threads,
                          executor_workers=workers, cache_entries=0)
    engine = LocalEngine(config)
    await engine.start()
    loaded = _peak_mb()
    _reset_peak()
    reqs = [engine.validate(bm.WORKER_TEXTS[i % len(bm.WORKER_TEXTS)]) for i in range(workers)]
    started = time.perf_counter()
    clips = await asyncio.gather(*(engine.synthesize(r) for r in reqs))
    wall = time.perf_counter() - started
    engine.close()
    return {"workers": workers, "loaded_mb": loaded, "serving_peak_mb": _peak_mb(),
            "audio_s": sum(c.duration for c in clips), "wall_s": wall}


def _peak_mb() -> float:
    """Peak RSS since start or the last reset (VmHWM), in MB."""
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _reset_peak() -> None:
    # Linux: writing 5 to clear_refs resets VmHWM to the current RSS.
    clear = Path("/proc/self/clear_refs")
    if clear.exists():
        clear.write_text("5")


def main() -> None:
    """Entry point: dispatch on the mode, print the result as JSON."""
    warnings.filterwarnings("ignore")
    mode, model_dir, *rest = sys.argv[1:]
    if mode == "time":
        variant, n, repeats, threads, out = rest
        result = time_variant(Path(model_dir), variant, int(n), int(repeats), int(threads),
                              Path(out))
    elif mode == "lengths":
        variant, threads = rest
        result = time_lengths(Path(model_dir), variant, int(threads))
    else:
        workers, threads = rest
        result = asyncio.run(serve(Path(model_dir), int(workers), int(threads)))
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
