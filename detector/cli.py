"""Command line: ``dimples detect PHOTO``, ``dimples batch PATH...``, ``dimples trend PATH...``."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client
    from tqdm import tqdm

    from detector.batch import BatchResult, FoundImages, Job

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
#: The reader of the output closed it: the status of a command killed by SIGPIPE.
EXIT_BROKEN_PIPE = 141
#: The options (argparse names) that name an output file, whose folder is made if missing (as
#: the ``--overlays`` folder is).
OUTPUT_FILE_OPTIONS = ("out", "csv", "html", "overlay", "plot")


def build_parser() -> argparse.ArgumentParser:
    """The ``dimples`` argument parser."""
    from detector import __version__
    from detector.batch import DEFAULT_TIMEOUT

    parser = argparse.ArgumentParser(
        prog="dimples",
        description="Find the dimples of Venus in a photo of a person's back.",
    )
    parser.add_argument("--version", action="version", version=f"dimples {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    detect = commands.add_parser("detect", help="analyse one photo")
    detect.add_argument(
        "photo", help="image file (JPEG, PNG, WebP, TIFF, BMP...); - reads the image from stdin"
    )
    detect.add_argument("--json", action="store_true", help="print the dimples/1 report as JSON")
    detect.add_argument(
        "--overlay", metavar="OUT.png", help="write the photo with the result drawn"
    )

    many = argparse.ArgumentParser(add_help=False)
    many.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="folders (searched recursively) and image files; - reads paths from stdin, one a line",
    )
    many.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="worker processes, each loading the model once (default: one per core)",
    )
    many.add_argument(
        "--timeout",
        type=_timeout,
        default=DEFAULT_TIMEOUT,
        metavar="SECONDS",
        help="stop a local worker that spends longer on one photo and give the photo an error row "
        f"(default: {DEFAULT_TIMEOUT:g}; 0: no limit)",
    )
    many.add_argument(
        "-q", "--quiet", action="store_true", help="no progress bar and no summary on stderr"
    )

    batch = commands.add_parser(
        "batch",
        parents=[many],
        help="analyse every photo in folders, in parallel, one row per file",
        description="Analyse every photo in folders (recursively; images recognised by "
        "content) in parallel, writing one dimples/1 row per file as it finishes.",
    )
    batch.add_argument(
        "-o",
        "--out",
        metavar="RESULTS.jsonl",
        help="write the rows to this JSON Lines file, replaced unless --resume (default: stdout)",
    )
    batch.add_argument("--csv", metavar="RESULTS.csv", help="also write the rows flattened to CSV")
    batch.add_argument(
        "--overlays", metavar="DIR", help="write each photo with the result drawn into DIR"
    )
    batch.add_argument(
        "--html", metavar="REPORT.html", help="write a self-contained HTML report with thumbnails"
    )
    batch.add_argument(
        "--resume",
        action="store_true",
        help="keep the rows already in --out and analyse only the files without one",
    )
    batch.add_argument(
        "--dask",
        metavar="SCHEDULER",
        help="run on this Dask scheduler (e.g. tcp://host:8786) instead of local processes",
    )

    trend = commands.add_parser(
        "trend",
        parents=[many],
        help="score and grade of one person's photos over time",
        description="Analyse a series of photos of one person and show the score and grade by "
        "date (EXIF DateTimeOriginal, else a date in the file name, else the file time).",
    )
    trend.add_argument("--plot", metavar="TREND.png", help="draw the score over time")
    trend.add_argument("--csv", metavar="TREND.csv", help="also write the table as CSV")
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _timeout(text: str) -> float | None:
    """``--timeout``: seconds, 0 for no limit (None)."""
    with contextlib.suppress(ValueError):
        value = float(text)
        if 0 <= value < float("inf"):
            return value or None
    raise argparse.ArgumentTypeError(f"must be a number of seconds (0: no limit), got {text!r}")


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dimples`` console script; returns the exit status."""
    args = build_parser().parse_args(argv)
    commands = {"detect": run_detect, "batch": run_batch, "trend": run_trend}
    outputs = [getattr(args, name, None) for name in OUTPUT_FILE_OPTIONS]
    problem = _unwritable_format(args) or _prepare_outputs(
        [path for path in outputs if path], getattr(args, "overlays", None)
    )
    if problem:
        return _fail(problem)
    try:
        return commands[args.command](args)
    except BrokenPipeError:
        # The reader of the output went away (``dimples batch DIR | head``): stop quietly, as a
        # command killed by SIGPIPE does, and keep Python's last flush at exit from failing too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


def _prepare_outputs(files: list[str], folder: str | None) -> str | None:
    """Make the folders the output ``files`` go into, and the output ``folder`` (``--overlays``)
    itself, where missing; the one-line reason when one cannot be made, or a file is named as
    a folder, else None."""
    for path in files:
        if os.path.isdir(path):
            return f"cannot write {path}: it is a folder; name a file in it"
    for path in filter(None, [*map(os.path.dirname, files), folder]):
        try:
            os.makedirs(path, exist_ok=True)
        except OSError as exc:
            return f"cannot create the folder {path}: {exc.strerror or exc}"
    return None


def _unwritable_format(args: argparse.Namespace) -> str | None:
    """Why an image output (``--overlay``, ``--plot``) cannot be written in the format its name
    asks for, or None."""
    overlay, plot = getattr(args, "overlay", None), getattr(args, "plot", None)
    if overlay:
        from detector.overlay import can_save_overlay

        if not can_save_overlay(overlay):
            return f"cannot write overlay {overlay}: name it .png or .jpg"
    if plot:
        from detector.trend import can_plot_to

        if not can_plot_to(plot):
            return f"cannot write plot {plot}: name it .png, .svg or .pdf"
    return None


def run_detect(args: argparse.Namespace) -> int:
    """``dimples detect``: exit 0 whenever a report was made, 2 for unreadable input."""
    # Read the photo before the models load, so a bad file is reported at once.
    from detector.loading import DEFAULT_MAX_SIDE, ImageLoadError, load_image, one_line

    if os.path.isdir(args.photo):
        return _fail(f"{args.photo} is a folder: `dimples batch {args.photo}` analyses its photos")
    try:
        source = sys.stdin.buffer.read() if args.photo == "-" else args.photo
        image = load_image(source, max_side=DEFAULT_MAX_SIDE)
    except ImageLoadError as exc:
        return _fail(str(exc))
    from detector.pipeline import Detector

    with Detector() as detector:
        report = detector.analyse(image)
    print(report.to_json() if args.json else report.summary())
    if args.overlay:
        try:
            report.save_overlay(args.overlay)
        except (OSError, ValueError) as exc:
            return _fail(f"cannot write overlay {args.overlay}: {one_line(exc)}")
    return EXIT_OK


def run_batch(args: argparse.Namespace) -> int:
    """``dimples batch``: one row per input file, written as each finishes; exit 0 whatever
    the rows' statuses, 2 for bad arguments, 130 when interrupted (run again with --resume)."""
    from detector.batch import make_jobs
    from detector.html_report import THUMBNAIL_SIDE, write_html
    from detector.results import format_summary, open_rows, read_rows, summarise, write_csv

    if args.resume and not args.out:
        return _fail("--resume needs --out RESULTS.jsonl")
    try:
        earlier, keep = read_rows(args.out) if args.resume else ([], 0)
    except (OSError, ValueError) as exc:
        return _fail(f"cannot resume: {exc}")
    found = _find(args.paths, exclude=[args.overlays] if args.overlays else [])
    if found is None:
        return EXIT_BAD_INPUT
    if not found.paths and not args.quiet:
        print(f"dimples: no images found in {' '.join(args.paths)}", file=sys.stderr)
    done = {os.path.realpath(row["source"]) for row in earlier}
    jobs = [
        job
        for job in make_jobs(found, args.overlays, THUMBNAIL_SIDE if args.html else None)
        if os.path.realpath(job.source) not in done
    ]
    rows = list(earlier)
    thumbnails: dict[str, bytes] = {}
    start = time.perf_counter()
    with contextlib.ExitStack() as stack:
        try:
            client = stack.enter_context(_dask_client(args.dask)) if args.dask else None
            writer = stack.enter_context(open_rows(args.out, keep))
        except (ImportError, OSError) as exc:
            return _fail(str(exc))
        bar = stack.enter_context(_progress(len(jobs), args.quiet))
        results = stack.enter_context(
            contextlib.closing(_results(jobs, args.workers, client, bar, args.timeout))
        )
        try:
            for result in results:
                writer.write(result.row)
                rows.append(result.row)
                if result.thumbnail is not None:
                    thumbnails[result.source] = result.thumbnail
        except KeyboardInterrupt:
            bar.close()
            return _fail(
                f"interrupted after {len(rows) - len(earlier)} of {len(jobs)} files; "
                "the rows written are kept: run again with --resume to finish",
                EXIT_INTERRUPTED,
            )
    seconds = time.perf_counter() - start
    try:
        if args.csv:
            write_csv(rows, args.csv)
        if args.html:
            write_html(rows, thumbnails, args.html)
    except OSError as exc:
        return _fail(f"cannot write {exc.filename}: {exc.strerror or exc}")
    if not args.quiet:
        summary = format_summary(summarise(rows), len(rows) - len(earlier), seconds)
        print(summary, file=sys.stderr)
    return EXIT_OK


def run_trend(args: argparse.Namespace) -> int:
    """``dimples trend``: the photos' score and grade by date, as a table on stdout, and
    optionally a plot and a CSV file."""
    from detector.batch import make_jobs
    from detector.results import CSV_COLUMNS, write_csv
    from detector.trend import (
        TrendPoint,
        describe_change,
        format_table,
        photo_date,
        plot_trend,
        sort_points,
    )

    found = _find(args.paths)
    if found is None:
        return EXIT_BAD_INPUT
    jobs = make_jobs(found)
    with _progress(len(jobs), args.quiet) as bar:
        points = sort_points(
            TrendPoint(*photo_date(result.source), result.row)
            for result in _results(jobs, args.workers, None, bar, args.timeout)
        )
    print(format_table(points))
    print(describe_change(points))
    try:
        if args.plot:
            plot_trend(points, args.plot)
        if args.csv:
            table = [
                {
                    "date": point.when.isoformat(" ", "seconds"),
                    "date_from": point.origin,
                    **point.row,
                }
                for point in points
            ]
            write_csv(table, args.csv, columns=("date", "date_from", *CSV_COLUMNS))
    except OSError as exc:
        return _fail(f"cannot write {exc.filename}: {exc.strerror or exc}")
    return EXIT_OK


def _find(paths: list[str], exclude: Iterable[str] = ()) -> FoundImages | None:
    """The images among ``paths`` (``-``: the paths on stdin, one a line), folders that cannot
    be read reported on stderr; None (after a one-line error) when a path does not exist."""
    from detector.batch import find_images

    if "-" in paths:
        listed = [line.rstrip("\r\n") for line in sys.stdin]
        paths = [p for path in paths for p in (listed if path == "-" else [path]) if p]
    for path in paths:
        if not os.path.lexists(path):
            _fail(f"no such file or folder: {path}")
            return None
    found = find_images(paths, exclude=exclude)
    for problem in found.problems:
        print(f"dimples: warning: {problem}", file=sys.stderr)
    return found


def _results(
    jobs: list[Job], workers: int | None, client: Client | None, bar: tqdm, timeout: float | None
) -> Iterator[BatchResult]:
    """The jobs' results as they finish, advancing the progress bar and reporting warnings."""
    from detector.batch import run_jobs

    with contextlib.closing(run_jobs(jobs, workers, client, timeout)) as results:
        for result in results:
            if result.warning is not None:
                bar.write(f"dimples: warning: {result.warning}", file=sys.stderr)
            bar.update()
            yield result


def _progress(total: int, quiet: bool) -> tqdm:
    """A progress bar on stderr (images/s, ETA), off with --quiet or when stderr is not a TTY."""
    from tqdm import tqdm

    return tqdm(
        total=total,
        unit="img",
        file=sys.stderr,
        disable=quiet or not sys.stderr.isatty(),
        dynamic_ncols=True,
        smoothing=0.1,
        bar_format="{l_bar}{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}, {rate_noinv_fmt}]",
    )


@contextlib.contextmanager
def _dask_client(address: str) -> Iterator[Client]:
    """A Dask client connected to ``address``; ImportError or OSError with a one-line reason."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise ImportError(
            "--dask needs the optional extra: pip install 'back-dimples[dask]'"
        ) from exc
    try:
        client = Client(address, timeout="20s")
    except (OSError, TimeoutError) as exc:
        raise OSError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
    with client:
        yield client


def _fail(message: str, status: int = EXIT_BAD_INPUT) -> int:
    """Print a one-line error on stderr and return the exit status."""
    print(f"dimples: error: {message}", file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())
