"""Benchmark (not a test): sentences of lengths the process has not decoded before.

A chat's lines each have their own length, and oneDNN builds its convolution kernels per shape,
so a new length pays for building them. This runs `chat_lines` (17 inputs of 1.5-6 s of speech,
each of another length; full-size random-weight checkpoint) through the fast path in a fresh
process, each line twice in a row (the first time its length is new to the process, the second
it is not), with the generator's frame buckets off (`FastOptions(frame_buckets=0)`, the default
on CPUs without native bf16) and on (eight per octave, the default with bf16), the two
alternating over `--rounds` processes each. Prints, per variant, the median milliseconds per
second of speech the first time and the second, and the machine's load.

    python -m benchmarks.lengths [--rounds 2] [--threads 2]
"""

from __future__ import annotations

import os
import statistics
import sys
import time

from benchmarks import _model as bm
from benchmarks._stats import quantile
from benchmarks.engine import _child

VARIANTS = {"noise": "frame buckets off", "buckets": "frame buckets on"}


def main(argv: list[str] | None = None) -> None:
    """Run both variants `--rounds` times, alternating, and print the figures."""
    p = bm.parser(__doc__)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--threads", type=int, default=2)
    args = p.parse_args(argv)
    model_dir = bm.full_checkpoint(args.bench_dir)
    started = time.perf_counter()
    out: dict[str, dict[str, list[float]]] = {v: {"first": [], "again": []} for v in VARIANTS}
    for _ in range(args.rounds):
        for variant in VARIANTS:
            r = _child("lengths", str(model_dir), variant, str(args.threads))
            for label in ("first", "again"):
                out[variant][label] += [1000 * s / a for s, a in zip(r[label], r["audio_s"],
                                                                     strict=True)]
    n = len(bm.chat_lines())
    print(f"{n} lines of other lengths, {args.rounds} process(es) per variant, "
          f"{args.threads} threads, load {os.getloadavg()[0]:.1f}; ms per second of speech, "
          "median (p90)")
    print(f"{'variant':28s} {'first time':>16s} {'second time':>16s}")
    for variant, label in VARIANTS.items():
        cells = [f"{statistics.median(v):7.0f} ({quantile(v, 0.9):5.0f})"
                 for v in out[variant].values()]
        print(f"{label:28s} {cells[0]:>16s} {cells[1]:>16s}")
    print(f"took {time.perf_counter() - started:.0f} s")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
