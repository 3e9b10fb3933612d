"""Benchmark: text normalisation's cost and how many written/spoken pairs it reads right.

`python -m benchmarks.normalisation [--runs 2000] [--nemo-python PATH]`. Prints the start-up
cost (a fresh interpreter importing and compiling every language's rules), the cost per
message (p50/p99) for a chat line and a 5,000-character text, and per language the share of
the test pairs whose phonemes match the spoken form, without and with normalisation.
`--nemo-python` names an interpreter with `nemo_text_processing` installed (kept out of the
project's environment: it pins its own pynini and transformers); NeMo's English normaliser
is then timed and scored on the same pairs. Prints figures; it is not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time

from benchmarks._stats import quantile
from tests.tts_engine.text.pairs import BY_LANGUAGE
from tts_engine.text.g2p import G2P
from tts_engine.text.normalize import normalize

_STARTUP = (
    "import time; import tts_engine; t = time.perf_counter(); import num2words;"
    "t1 = time.perf_counter(); from tts_engine.text.normalize import prepare;"
    "t2 = time.perf_counter(); [prepare(l) for l in 'abefiphjz'];"
    "print(t1 - t, t2 - t1, time.perf_counter() - t2)"
)
_NEMO = """
import json, sys, time
t = time.perf_counter()
from nemo_text_processing.text_normalization.normalize import Normalizer
n = Normalizer(input_case="cased", lang="en", cache_dir=sys.argv[1])
start = time.perf_counter() - t
lines = json.load(sys.stdin)
out, cost = [], []
for line in lines:
    s = time.perf_counter()
    out.append(n.normalize(line, punct_post_process=True))
    cost.append(time.perf_counter() - s)
print(json.dumps({"start": start, "out": out, "cost": cost}))
"""
_WORDS = ("ok", "so", "see", "you", "later", "then", "lol", "that", "was", "great", "honestly",
          "no", "idea")


def chat_line(rng: random.Random) -> str:
    """A chat line with a few written forms, different numbers each time (no cache hits)."""
    h, mi, price = rng.randint(1, 12), rng.randint(0, 59), rng.randint(1, 999)
    filler = " ".join(rng.choice(_WORDS) for _ in range(4))
    return (f"{filler} meet at {h}:{mi:02d} on {rng.randint(1, 12)}/{rng.randint(1, 28)}, "
            f"it's ${price}.{rng.randint(0, 99):02d} or {rng.randint(2, 90)}% off #deals")


def long_text(rng: random.Random, size: int = 5000) -> str:
    """About `size` characters of prose with forms of every kind."""
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        parts.append(rng.choice([
            f"On {rng.randint(2000, 2030)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d} "
            f"the team shipped version {rng.randint(1, 9)}.{rng.randint(0, 20)}."
            f"{rng.randint(0, 9)}.",
            f"It weighs {rng.randint(1, 99)} kg and costs £{rng.randint(1, 999)}.",
            f"Call 555-{rng.randint(1000, 9999)} before {rng.randint(1, 12)}pm, said Dr. Smith.",
            "The quick brown fox jumps over the lazy dog, as everyone knows by now.",
            "Visit https://example.com/docs or mail bob@example.org about chapter IV.",
            f"Growth was {rng.randint(1, 99)}.{rng.randint(0, 9)}% in the "
            f"{rng.randint(196, 201)}0s.",
        ]))
    return " ".join(parts)[:size]


def percentiles(samples: list[float]) -> tuple[float, float]:
    return statistics.median(samples), quantile(samples, 0.99)


def time_messages(make: list[str], lang: str) -> tuple[float, float, float]:
    """p50 and p99 wall time per message, and p99 CPU time (what a busy machine's preemption
    does not inflate)."""
    costs, cpu = [], []
    for text in make:
        start, start_cpu = time.perf_counter(), time.thread_time()
        normalize(text, lang)
        costs.append(time.perf_counter() - start)
        cpu.append(time.thread_time() - start_cpu)
    return (*percentiles(costs), percentiles(cpu)[1])


def startup() -> tuple[float, float, float]:
    out = subprocess.run([sys.executable, "-c", _STARTUP], capture_output=True, text=True,
                         check=True).stdout.split()
    return float(out[0]), float(out[1]), float(out[2])


def share_right(g2p: G2P, lang: str, said: list[str]) -> float:
    pairs = BY_LANGUAGE[lang]
    right = sum(g2p.phonemize(lang, s) == g2p.phonemize(lang, spoken)
                for s, (_, spoken) in zip(said, pairs, strict=True))
    return right / len(pairs)


def scores(g2p: G2P) -> None:
    print("\nshare of pairs read right (phonemes equal to the spoken form's)")
    print(f"{'lang':<5}{'pairs':>6}{'as written':>12}{'normalised':>12}")
    for lang, pairs in BY_LANGUAGE.items():
        written = [w for w, _ in pairs]
        before = share_right(g2p, lang, written)
        after = share_right(g2p, lang, [normalize(w, lang) for w in written])
        print(f"{lang:<5}{len(pairs):>6}{before:>11.0%}{after:>12.0%}")


def nemo(g2p: G2P, python: str, cache_dir: str) -> None:
    for lang in ("a", "b"):
        written = [w for w, _ in BY_LANGUAGE[lang]]
        done = subprocess.run([python, "-c", _NEMO, cache_dir], input=json.dumps(written),
                              capture_output=True, text=True, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        p50, p99 = percentiles(result["cost"])
        print(f"NeMo en ({lang}): start-up {result['start']:.2f} s, per pair p50 "
              f"{p50 * 1e3:.1f} ms p99 {p99 * 1e3:.1f} ms, read right "
              f"{share_right(g2p, lang, result['out']):.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument("--nemo-python", help="an interpreter with nemo_text_processing")
    parser.add_argument("--nemo-cache", default=os.path.expanduser("~/.cache/nemo_tn"))
    args = parser.parse_args()
    print(f"load {os.getloadavg()[0]:.1f} (uptime: {os.popen('uptime').read().strip()})")
    library, imported, compiled = startup()
    print(f"start-up, after `import tts_engine`: num2words {library * 1e3:.0f} ms (misaki's "
          f"English G2P imports it anyway), rules {imported * 1e3:.0f} ms, compiling all 9 "
          f"languages {compiled * 1e3:.0f} ms")
    rng = random.Random(17)
    for lang in ("a", "b"):
        chat = time_messages([chat_line(rng) for _ in range(args.runs)], lang)
        plain = time_messages([" ".join(rng.choice(_WORDS) for _ in range(12))
                               for _ in range(args.runs)], lang)
        big = time_messages([long_text(rng) for _ in range(max(20, args.runs // 20))], lang)
        print(f"{lang}: chat line p50 {chat[0] * 1e3:.3f} ms p99 {chat[1] * 1e3:.3f} ms "
              f"(CPU p99 {chat[2] * 1e3:.3f} ms) | no forms p50 {plain[0] * 1e3:.3f} ms | "
              f"5,000 chars p50 {big[0] * 1e3:.1f} ms p99 {big[1] * 1e3:.1f} ms "
              f"(CPU p99 {big[2] * 1e3:.1f} ms)")
    g2p = G2P()
    scores(g2p)
    if args.nemo_python:
        nemo(g2p, args.nemo_python, args.nemo_cache)
    print(f"load {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
