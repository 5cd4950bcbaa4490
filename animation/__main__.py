"""Command line: python -m animation PORTRAIT [AUDIO] -o out.mp4 [--seed ...]."""

from __future__ import annotations

import argparse
import json
import sys

from .errors import AnimationInputError
from .motion import DEFAULT_PREDICTOR, PREDICTORS


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m animation",
        description="Turn a still portrait and speech into a talking-head MP4.",
    )
    parser.add_argument("portrait", help="portrait image (JPEG, PNG, WebP, ...)")
    parser.add_argument("audio", nargs="?", help="speech audio (WAV, MP3, M4A, ...)")
    parser.add_argument("-o", "--output", required=True, help="MP4 file to write")
    parser.add_argument("--seed", type=int, default=0, help="seed of head motion and blinks")
    parser.add_argument("--size", type=int, default=512, help="longest side of the video (<=1024)")
    parser.add_argument("--fps", type=float, default=25.0, help="frames per second")
    parser.add_argument("--device", default=None, help="torch device (default: cuda if present)")
    parser.add_argument("--driving", help="driving video whose face motion is transferred")
    parser.add_argument("--idle", type=float, metavar="SECONDS", help="idle clip of this length")
    parser.add_argument(
        "--predictor",
        choices=PREDICTORS,
        default=DEFAULT_PREDICTOR,
        help="audio-to-mouth predictor (default: %(default)s, the trained model)",
    )
    parser.add_argument("--face-index", type=int, help="face to animate, 0 = leftmost")
    parser.add_argument("--quiet", action="store_true", help="no progress on stderr")
    args = parser.parse_args(argv)
    if args.audio is None and args.driving is None and args.idle is None:
        parser.error("give AUDIO, --driving VIDEO or --idle SECONDS")

    def progress(stage: str, fraction: float) -> None:
        if not args.quiet:
            print(f"\r{stage:<10} {fraction:6.1%}", end="", file=sys.stderr, flush=True)

    from .pipeline import animate

    try:
        result = animate(
            args.portrait, args.audio, args.output, seed=args.seed, size=args.size,
            fps=args.fps, device=args.device, driving=args.driving, idle_seconds=args.idle,
            face_index=args.face_index, predictor=args.predictor, progress=progress,
        )  # fmt: skip
    except AnimationInputError as exc:
        if not args.quiet:
            print(file=sys.stderr)
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.quiet:
        print(file=sys.stderr)
    print(json.dumps(result.summary(), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
