"""Benchmark: stock Kokoro vs our engine on 2 CPU cores. Prints figures; not a test.

    python -m benchmarks.engine            # full run (~10 min on 2 shared cores)
    python -m benchmarks.engine --quick    # short run
    python -m benchmarks.engine --real     # real Kokoro-82M weights: stock, ours, onnxruntime

Builds a full-size random-weight checkpoint (3 frames per phoneme) under `.bench/` once. Every
ratio is measured within this run, with the compared models timed round-robin so load from
other processes hits them alike; xRT is seconds of audio per wall second of the best run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from benchmarks import _model as bm
from benchmarks._engine_child import STEPS
from tts_engine.config import EngineConfig
from tts_engine.model.fast import optimize
from tts_engine.synthesis.local import LocalEngine
from tts_engine.tools.quality import log_mel_distance, snr_db

#: Labels of the cumulative steps (`_engine_child.STEPS`) in the step table.
STEP_LABELS = {
    "fold": "fold weight norm",
    "fused-eager": "+ fused AdaIN/Snake (eager)",
    "compiled": "+ compiled kernels (Inductor)",
    "bf16": "+ bf16 residual-block convs",
    "malloc": "+ malloc thresholds",
    "channels-last": "+ channels-last generator",
    "noise": "+ memory-order noise (fast, fp32)",
    "buckets": "+ frame buckets (fast, bf16)",
}


def _out(line: str = "") -> None:
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


def _child(*args: str) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks._engine_child", *args]
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"benchmark child {args[:3]} failed:\n{done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _timed_child(ctx: _Ctx, variant: str, repeats: int) -> tuple[list[float], np.ndarray, float]:
    out = ctx.scratch / f"{variant}.npy"
    r = _child("time", str(ctx.model_dir), variant, str(ctx.n_phonemes), str(repeats),
               str(ctx.threads), str(out))
    return r["seconds"], np.load(out), r["audio_s"]


@dataclass
class _Ctx:
    model_dir: Path
    scratch: Path
    n_phonemes: int
    threads: int


def compare(ctx: _Ctx, rounds: int, repeats: int) -> dict[str, float]:
    """Stock `KModel` vs our engine's inference call, same phonemes and seed, alternating."""
    times: dict[str, list[float]] = {"stock": [], "engine": []}
    audio: dict[str, list[np.ndarray]] = {"stock": [], "engine": []}
    seconds_audio = 0.0
    for _ in range(rounds):
        for variant in times:
            secs, clip, seconds_audio = _timed_child(ctx, variant, repeats)
            times[variant] += secs
            audio[variant].append(clip)
    stock, ours = min(times["stock"]), min(times["engine"])
    # Compared at one seed with stock given the fast path's noise draw (plain stock draws other
    # noise values: another rendering, like another seed).
    _, ref, _ = _timed_child(ctx, "reference", 1)
    out = audio["engine"][0]
    snr, mel = snr_db(ref, out), log_mel_distance(ref, out)
    _out(f"input: {ctx.n_phonemes} phonemes -> {seconds_audio:.2f} s of audio; "
         f"{rounds} x {repeats} timed runs each (fresh processes, alternating), seed 0")
    _out(f"stock kokoro.KModel fp32 : xRT {seconds_audio / stock:5.2f}   "
         f"(median {seconds_audio / statistics.median(times['stock']):.2f})")
    _out(f"our engine (fast=true)   : xRT {seconds_audio / ours:5.2f}   "
         f"(median {seconds_audio / statistics.median(times['engine']):.2f})")
    _out(f"speed-up                 : {stock / ours:.2f}x   (medians "
         f"{statistics.median(times['stock']) / statistics.median(times['engine']):.2f}x)")
    _out(f"quality vs stock fp32    : SNR {snr:.1f} dB, log-mel distance {mel:.3f} dB RMS "
         f"(stock with the same noise draw; plain stock: SNR "
         f"{snr_db(audio['stock'][0], out):.1f} dB)")
    same = all(np.array_equal(audio["stock"][0], a) for a in audio["stock"])
    _out(f"stock reproducible across processes with one seed: {'yes' if same else 'NO'}")
    return {"stock_s": stock, "ratio": stock / ours, "snr_db": snr, "logmel_db": mel,
            "audio_s": seconds_audio}


def real(model_dir: Path, threads: int, repeats: int) -> None:
    """Real weights: stock `KModel`, our engine and onnxruntime on the int8 graph, alternating."""
    voice = bm.bench_voice(model_dir)
    _out(f"Kokoro real-weights benchmark: {threads} threads, voice {voice}, {model_dir}")
    labels = {"stock": "stock kokoro.KModel fp32", "engine": "our engine (fast=true)",
              "onnx": "onnxruntime, kokoro-onnx int8"}
    with tempfile.TemporaryDirectory(prefix="kokoro-bench-") as tmp:
        ctx = _Ctx(model_dir, Path(tmp), len(bm.PHONEMES), threads)
        times: dict[str, list[float]] = {v: [] for v in labels}
        audio_s: dict[str, float] = {}
        for _ in range(2):
            for variant in labels:
                secs, _clip, audio_s[variant] = _timed_child(ctx, variant, repeats)
                times[variant] += secs
    _out(f"input: {len(bm.PHONEMES)} phonemes; xRT = seconds of audio per wall second (best)")
    for variant, label in labels.items():
        _out(f"{label:30s}: xRT {audio_s[variant] / min(times[variant]):5.2f}   "
             f"({audio_s[variant]:.2f} s of audio, best {min(times[variant]):.2f} s)")


def steps(ctx: _Ctx, stock_s: float, audio_s: float, repeats: int) -> None:
    """Each cumulative optimisation step, in its own process, against the stock best."""
    stock, reference = np.load(ctx.scratch / "stock.npy"), np.load(ctx.scratch / "reference.npy")
    _out("step                                  xRT   vs stock   SNR dB  log-mel dB")
    for variant, label in STEP_LABELS.items():
        secs, clip, _ = _timed_child(ctx, variant, repeats)
        # Against stock with the same noise draw as the step's.
        ref = reference if STEPS[variant].memory_order_noise else stock
        _out(f"{label:36s} {audio_s / min(secs):5.2f}   {stock_s / min(secs):5.2f}x  "
             f"{snr_db(ref, clip):7.1f}  {log_mel_distance(ref, clip):8.3f}")


async def latency(model_dir: Path, threads: int, fast: bool) -> dict[str, float]:
    """Time to first chunk of a 300-character text through `engine.stream`, and cache hits."""
    engine = LocalEngine(
        EngineConfig(model_dir=model_dir, device="cpu", fast=fast, threads=threads)
    )
    await engine.start()
    req = engine.validate(bm.TEXT_300)
    started = time.perf_counter()
    first = None
    async for _chunk in engine.stream(req):
        first = first if first is not None else time.perf_counter() - started
    total = time.perf_counter() - started
    hits = []
    for _ in range(5):
        t0 = time.perf_counter()
        await engine.synthesize(req)
        hits.append(time.perf_counter() - t0)
    engine.close()
    return {"ttfc_s": first or total, "stream_total_s": total, "cache_hit_ms": min(hits) * 1000}


def peak_rss(model_dir: Path, workers: int, threads: int) -> dict[str, Any]:
    """Peak RSS of a fresh process serving `workers` concurrent requests with one model."""
    return _child("rss", str(model_dir), str(workers), str(threads))


def profile(model_dir: Path, phonemes: str) -> None:
    """The per-op table of the fast model (where the time goes now)."""
    from torch.profiler import ProfilerActivity
    from torch.profiler import profile as torch_profile

    model = bm.load_stock(model_dir)
    optimize(model)
    ref = bm.style_row(model_dir, phonemes)
    bm.seeded(lambda: model(phonemes, ref))
    with torch_profile(activities=[ProfilerActivity.CPU]) as prof:
        bm.seeded(lambda: model(phonemes, ref))
    _out(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    p = argparse.ArgumentParser(prog="python -m benchmarks.engine", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true", help="short run: fewer repeats, no steps")
    p.add_argument("--threads", type=int, default=2, help="torch threads (default 2)")
    p.add_argument("--root", type=Path, default=bm.DEFAULT_ROOT, help="checkpoint cache dir")
    p.add_argument("--profile", action="store_true", help="also print the per-op profile")
    p.add_argument("--real", action="store_true",
                   help="real weights (registry packages): stock, ours and onnxruntime int8")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore")
    logging.basicConfig(level=logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if args.real:
        real(bm.real_checkpoint(args.root), args.threads, repeats=2 if args.quick else 3)
        _out(f"\nbenchmark took {time.perf_counter() - started:.0f} s")
        return
    model_dir = bm.full_checkpoint(args.root)
    n = len(bm.QUICK_PHONEMES if args.quick else bm.PHONEMES)
    _out(f"Kokoro benchmark: torch {torch.__version__}, {args.threads} threads, "
         f"{os.cpu_count()} CPUs, full-size random weights at {model_dir}")
    with tempfile.TemporaryDirectory(prefix="kokoro-bench-") as tmp:
        ctx = _Ctx(model_dir, Path(tmp), n, args.threads)
        _out("\n== stock vs ours (same phonemes, same seed)")
        figures = compare(ctx, rounds=1 if args.quick else 2, repeats=2)
        if not args.quick:
            _out("\n== each step vs stock (cumulative, one process each)")
            steps(ctx, figures["stock_s"], figures["audio_s"], repeats=2)
    _report_latency(model_dir, args.threads)
    _report_rss(model_dir, args.threads)
    if args.profile:
        _out("\n== per-op profile of the fast path")
        profile(model_dir, bm.PHONEMES[:n])
    _out(f"\nratio {figures['ratio']:.2f}x (target >= 2.0), SNR {figures['snr_db']:.1f} dB "
         f"(bar >= 25); benchmark took {time.perf_counter() - started:.0f} s")


def _report_latency(model_dir: Path, threads: int) -> None:
    _out("\n== time to first chunk, 300-character text, engine.stream")
    for fast in (False, True):
        lat = asyncio.run(latency(model_dir, threads, fast))
        _out(f"fast={str(fast).lower():5s}: first chunk {lat['ttfc_s']:.2f} s, whole stream "
             f"{lat['stream_total_s']:.2f} s, cache hit {lat['cache_hit_ms']:.2f} ms")


def _report_rss(model_dir: Path, threads: int) -> None:
    _out("\n== peak RSS, one engine (one shared model), fresh process each")
    for workers in (1, 4):
        r = peak_rss(model_dir, workers, threads)
        peak = max(r["loaded_mb"], r["serving_peak_mb"])
        _out(f"{workers} worker(s): peak RSS {peak:.0f} MB (load + warm-up {r['loaded_mb']:.0f} "
             f"MB, serving {r['serving_peak_mb']:.0f} MB); {workers} requests at once: "
             f"{r['audio_s']:.1f} s of audio in {r['wall_s']:.1f} s")


if __name__ == "__main__":
    main()
