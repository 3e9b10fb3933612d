"""Command line: `python -m tts_engine "text" --voice af_heart -o out.wav [--model-dir DIR]`."""

from __future__ import annotations

import argparse
import logging
import sys
import warnings
from pathlib import Path

from tts_engine.audio import FORMATS, encode
from tts_engine.config import EngineConfig
from tts_engine.errors import TTSError, UnsupportedFormat
from tts_engine.speech import LANGUAGES
from tts_engine.synthesis.local import LocalEngine

log = logging.getLogger(__name__)

# Texts at least this long get a progress bar.
PROGRESS_MIN_CHARS = 200


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m tts_engine", description="Kokoro text to speech.")
    p.add_argument("text", nargs="?", help="text to speak; '-' reads standard input")
    p.add_argument(
        "--voice", help="voice or blend: af_heart, 'af_bella,af_sky', 'af_bella(2)+af_sky(1)'"
    )
    codes = ", ".join(f"{k}={v}" for k, v in LANGUAGES.items())
    p.add_argument("--lang", help=f"language code: {codes}")
    p.add_argument("--any-voice", action="store_true",
                   help="let the voice speak a language that is not its own (with its accent)")
    p.add_argument("--speed", type=float, default=1.0, help="0.5 to 2.0 (default 1.0)")
    p.add_argument("-o", "--output", type=Path, default=Path("out.wav"), help="output file")
    p.add_argument("--format", choices=sorted(FORMATS), help="default: from the output's suffix")
    p.add_argument("--model-dir", type=Path, help="local model (config.json, *.pth, voices/)")
    p.add_argument("--repo-id", help="hub repo (default hexgrad/Kokoro-82M)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], default="auto")
    p.add_argument(
        "--stock", action="store_true",
        help="run stock Kokoro instead of the fast CPU path (engine.fast = false), to compare",
    )
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: one per core)")
    p.add_argument("--list-voices", action="store_true", help="list the voices and exit")
    p.add_argument("-v", "--verbose", action="store_true", help="log what the engine does")
    return p


def _config(args: argparse.Namespace) -> EngineConfig:
    extra = {"repo_id": args.repo_id} if args.repo_id else {}
    return EngineConfig(
        model_dir=args.model_dir, device=args.device, threads=max(0, args.threads),
        fast=not args.stock, cross_language_voices=args.any_voice, **extra,
    )


def _list_voices(engine: LocalEngine, lang: str | None) -> None:
    for info in engine.voices(lang):
        print(f"{info.name:<16} {info.lang}  {info.gender:<7} {info.label}")


def _speak(engine: LocalEngine, args: argparse.Namespace, text: str) -> None:
    from tqdm import tqdm

    req = engine.validate(text, voice=args.voice, lang=args.lang, speed=args.speed)
    fmt = args.format or args.output.suffix.lstrip(".").lower() or "wav"
    if fmt not in FORMATS:  # fail before the slow part
        raise UnsupportedFormat(fmt, list(FORMATS))
    engine.load()
    with tqdm(
        total=100, unit="%", disable=len(text) < PROGRESS_MIN_CHARS, file=sys.stderr,
        bar_format="{l_bar}{bar}| {elapsed}<{remaining}",
    ) as bar:

        def progress(fraction: float) -> None:
            bar.update(round(fraction * 100) - bar.n)

        clip = engine.synthesize_sync(req, on_progress=progress)
    args.output.write_bytes(encode(clip.samples, fmt))
    print(f"{args.output}: {clip.duration:.2f} s of {fmt} ({req.voice}, {LANGUAGES[req.lang]})")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; returns the exit status (a domain error is one line on stderr, status 1)."""
    args = _parser().parse_args(argv)
    # kokoro's torch modules warn about deprecations a CLI user can do nothing about.
    warnings.filterwarnings("ignore", category=UserWarning, module="torch")
    warnings.filterwarnings("ignore", category=FutureWarning, module="torch")
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    engine = LocalEngine(_config(args))
    try:
        if args.list_voices:
            _list_voices(engine, args.lang)
            return 0
        text = sys.stdin.read() if args.text == "-" else args.text
        if text is None:
            _parser().error("give the text to speak, or --list-voices")
        _speak(engine, args, text)
        return 0
    except TTSError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    finally:
        engine.close()


if __name__ == "__main__":
    sys.exit(main())
