"""Benchmark fixtures: the full-size random-weight checkpoint, fixed inputs, timing, the
command line."""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from tts_engine.tools.checkpoint import WEIGHTS_NAME, build_checkpoint

DEFAULT_ROOT = Path(".bench")
VOICES = ("af_heart", "af_bella", "am_adam", "bf_emma")
_DONE = ".complete"

#: 272 phonemes of American English (misaki's alphabet), the stock-vs-ours input.
PHONEMES = (
    "ðə kwˈɪk bɹˈWn fˈɑks ʤˈʌmps ˌOvəɹ ðə lˈAzi dˈɔɡ, ænd ðˈɛn ɪt ɹˈʌnz əwˈA ˈɪntu ðə fˈɔɹɪst. "
    "wˌɛn ðə sˈʌn ɡˈOz dˈWn, ðə stˈɑɹz kˈʌm ˈWt ænd ðə wˈɜɹld ɡɹˈOz kwˈIət. ˈɛvɹiwˌʌn ɪn ðə "
    "vˈɪləʤ slˈips pˈisfəli, dɹˈimɪŋ ʌv bˈɛtəɹ dˈAz əhˈɛd. ðə mˈɔɹnɪŋ bɹˈɪŋz nˈu hˈOp ænd "
    "fɹˈɛʃ ˈɛɹ."
)
QUICK_PHONEMES = PHONEMES[:100]


def chat_lines(shortest: int = 24, longest: int = 110) -> list[str]:
    """Chat-line-sized inputs, each of another length: `PHONEMES` cut after each word whose end
    falls between `shortest` and `longest` characters (1.5-6 s of speech), in a fixed shuffled
    order (as a chat's lines come)."""
    ends = [i for i, ch in enumerate(PHONEMES) if ch == " " and shortest <= i <= longest]
    random.Random(0).shuffle(ends)
    return [PHONEMES[:end] for end in ends]


#: A 300-character English text for time to first chunk.
TEXT_300 = (
    "Good evening, everyone. Tonight we will read the minutes of the last meeting, then vote on "
    "the new schedule for the community garden. After that, anyone who wants to speak about the "
    "summer festival may do so, but please keep it short, because the hall closes at nine and "
    "the caretaker would like to go home on time."
)

#: Distinct short texts for the concurrent-workers memory run.
WORKER_TEXTS = (
    "The first worker reads a short sentence about the weather, which is mild today.",
    "The second worker reads a line about trains that leave the station every hour.",
    "The third worker reads a note about the library, now open until eight each night.",
    "The fourth worker reads a reminder that the market moves to the square on Sunday.",
)


def full_checkpoint(root: Path = DEFAULT_ROOT) -> Path:
    """The stock-size random-weight model dir (3 frames per phoneme), built once under `root`."""
    out = root / "kokoro-full"
    if not (out / _DONE).exists():
        build_checkpoint(out, VOICES)
        (out / _DONE).write_text("ok", "utf-8")
    return out


def parser(doc: str, trials: int | None = None) -> argparse.ArgumentParser:
    """A benchmark's command line, described by its docstring's first paragraph: `--trials`
    (when given its default) and `--bench-dir` (where the checkpoints are cached)."""
    out = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    if trials is not None:
        out.add_argument("--trials", type=int, default=trials)
    out.add_argument("--bench-dir", type=Path, default=DEFAULT_ROOT)
    return out


def trials_and_checkpoint(doc: str, trials: int, argv: list[str] | None) -> tuple[int, Path]:
    """Parse `--trials` (default `trials`) and `--bench-dir`, and build or reuse the full-size
    checkpoint there: (trials, model dir)."""
    args = parser(doc, trials).parse_args(argv)
    return args.trials, full_checkpoint(args.bench_dir)


async def first_chunk(engine: Any, text: str) -> float:
    """Seconds from asking `engine.stream` (local or remote) to its first chunk of audio."""
    began = time.perf_counter()
    stream = engine.stream(engine.validate(text))
    async for _ in stream:
        break
    elapsed = time.perf_counter() - began
    await stream.aclose()
    return elapsed


def real_checkpoint(root: Path = DEFAULT_ROOT) -> Path:
    """Kokoro-82M's real weights, converted from the registry packages once under `root`."""
    from tts_engine.tools.onnx_packages import packaged_model_dir

    return packaged_model_dir(root / "kokoro-real")


def onnx_runner(model_dir: Path, phonemes: str, threads: int) -> Callable[[], Any]:
    """onnxruntime on kokoro-onnx's int8 graph (kept in the real model dir), as its users run it."""
    import json

    import onnxruntime as ort

    from tts_engine.tools.onnx_packages import ONNX_NAME

    vocab = json.loads((model_dir / "config.json").read_text("utf-8"))["vocab"]
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        str(model_dir / ONNX_NAME), sess_options=options, providers=["CPUExecutionProvider"]
    )
    feed = {
        "tokens": np.array([[0, *(vocab[p] for p in phonemes if p in vocab), 0]], np.int64),
        "style": style_row(model_dir, phonemes).numpy().reshape(1, 256).astype(np.float32),
        "speed": np.array([1.0], np.float32),
    }
    return lambda: session.run(None, feed)[0]


def load_stock(model_dir: Path) -> Any:
    """Stock `kokoro.KModel`, exactly as its README loads it, in eval mode."""
    from kokoro import KModel

    return KModel(
        repo_id="hexgrad/Kokoro-82M", config=str(model_dir / "config.json"),
        model=str(model_dir / WEIGHTS_NAME),
    ).eval()


def bench_voice(model_dir: Path) -> str:
    """af_heart where the model dir has it (random weights), else its first voice (real)."""
    names = sorted(p.stem for p in (model_dir / "voices").glob("*.pt"))
    return "af_heart" if "af_heart" in names else names[0]


def style_row(model_dir: Path, phonemes: str, voice: str | None = None) -> torch.Tensor:
    """The voice pack row Kokoro picks for an input of this length."""
    voice = voice or bench_voice(model_dir)
    pack = torch.load(model_dir / "voices" / f"{voice}.pt", weights_only=True)
    return pack[len(phonemes) - 1]


@dataclass
class Timing:
    """Wall times of repeated runs of one synthesis, and the audio of the last run."""

    seconds: list[float]
    audio: np.ndarray

    @property
    def best(self) -> float:
        """The fastest run: least disturbed by other load on a shared machine."""
        return min(self.seconds)

    @property
    def median(self) -> float:
        """The typical run."""
        return statistics.median(self.seconds)

    def xrt(self, use_median: bool = False) -> float:
        """Seconds of audio per wall second."""
        return len(self.audio) / 24000 / (self.median if use_median else self.best)


def seeded(fn: Callable[[], Any], seed: int = 0) -> tuple[np.ndarray, float]:
    """Run `fn` after seeding torch (the sine source is random); its audio and wall time."""
    torch.manual_seed(seed)
    started = time.perf_counter()
    with torch.inference_mode():
        out = fn()
    elapsed = time.perf_counter() - started
    return np.asarray(out, dtype=np.float32).reshape(-1), elapsed


def interleaved(runs: dict[str, Callable[[], Any]], repeats: int) -> dict[str, Timing]:
    """Time each run `repeats` times, round-robin, so load from others hits all alike."""
    for fn in runs.values():
        seeded(fn)  # warm-up: allocator, oneDNN primitives, compiled kernels
    timings: dict[str, Timing] = {}
    for _ in range(repeats):
        for name, fn in runs.items():
            audio, seconds = seeded(fn)
            timing = timings.setdefault(name, Timing([], audio))
            timing.seconds.append(seconds)
            timing.audio = audio
    return timings
