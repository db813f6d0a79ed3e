"""Command line: ``dimples detect PHOTO [--json] [--overlay OUT.png]``."""

from __future__ import annotations

import argparse
import sys

EXIT_OK = 0
EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    """The ``dimples`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="dimples",
        description="Find the dimples of Venus in a photo of a person's back.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    detect = commands.add_parser("detect", help="analyse one photo")
    detect.add_argument("photo", help="image file (JPEG, PNG, WebP, TIFF, BMP...)")
    detect.add_argument("--json", action="store_true", help="print the dimples/1 report as JSON")
    detect.add_argument(
        "--overlay", metavar="OUT.png", help="write the photo with the result drawn"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dimples`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    return run_detect(args)


def run_detect(args: argparse.Namespace) -> int:
    """``dimples detect``: exit 0 whenever a report was made, 2 for unreadable input."""
    from detector.loading import ImageLoadError, load_image  # fast path for bad input

    try:
        image = load_image(args.photo)
    except ImageLoadError as exc:
        print(f"dimples: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from detector.overlay import save_overlay
    from detector.pipeline import Detector

    with Detector() as detector:
        report = detector.analyse(image)
    print(report.to_json() if args.json else report.summary())
    if args.overlay:
        try:
            save_overlay(image.rgb, report, args.overlay)
        except (OSError, ValueError) as exc:
            print(f"dimples: error: cannot write overlay {args.overlay}: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
