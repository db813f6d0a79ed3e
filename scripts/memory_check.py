"""Peak memory of the detector (issue 6): ``dimples detect`` on the largest image the loader
accepts, and batch workers on ordinary photos.

Usage::

    python scripts/memory_check.py [--workdir DIR] [--workers N]

It makes (in a temporary folder, or in ``DIR``, kept and reused):

- the largest accepted photo: ``sample_images/back_pronounced.jpg`` scaled, proportions kept,
  to the most pixels under ``detector.loading.DEFAULT_MAX_PIXELS`` (8660 x 11547, 99.997 MP),
  as a JPEG, an RGBA PNG (alpha composited onto grey when loaded) and a 16-bit greyscale PNG
  (scaled to 8 bits), the loader's three conversion paths;
- ordinary photos: the eight sample renders as 1080 x 1440 and as 12 MP phone JPEGs
  (``bench.make_image_set``).

Each ``dimples detect`` runs in its own process and its peak resident memory is the kernel's
high-water mark of that process (``os.wait4``). The batch figure is the largest high-water mark
among the workers of one ``detect_batch`` run in a fresh process (``bench.run_batch``). Prints a
table against the targets (largest image < 1500 MiB, batch worker < 400 MiB); the exit status
is 1 when a figure exceeds its target.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

from detector.loading import DEFAULT_MAX_PIXELS

#: scripts/bench.py, beside this script: its photo set and its batch measurement in a fresh
#: process (imported by name, not in the import block, whose sorting would then depend on
#: whether the git-ignored bench/ folder exists).
bench = importlib.import_module("bench")

#: The render scaled up to the largest accepted size.
LARGEST_SOURCE = bench.SAMPLES / "back_pronounced.jpg"
#: Targets of issue 6, MiB.
LARGEST_TARGET_MIB = 1500.0
WORKER_TARGET_MIB = 400.0


@dataclass(frozen=True)
class Measurement:
    """One peak-memory figure.

    Attributes
    ----------
    what : str
        What was run, for a person.
    peak_mib : float
        Peak resident set size, MiB.
    target_mib : float
        The most it may be.
    seconds : float
        Wall time of the run.
    outcome : str
        What the run produced (the report's status, or the batch's statuses).
    """

    what: str
    peak_mib: float
    target_mib: float
    seconds: float
    outcome: str

    @property
    def within(self) -> bool:
        """Whether the peak is under the target."""
        return self.peak_mib < self.target_mib


def largest_size(width: int, height: int, max_pixels: int) -> tuple[int, int]:
    """The largest size with the proportions of ``width x height`` and at most ``max_pixels``.

    Examples
    --------
    >>> largest_size(600, 800, 100_000_000)
    (8660, 11547)
    """
    factor = math.sqrt(max_pixels / (width * height))
    return math.floor(width * factor), math.floor(height * factor)


def make_largest(folder: Path) -> tuple[tuple[int, int], dict[str, Path]]:
    """The size of the largest accepted photo, and that photo in ``folder`` in each format
    (made once): JPEG, RGBA PNG, 16-bit greyscale PNG."""
    render = Image.open(LARGEST_SOURCE).convert("RGB")
    size = largest_size(*render.size, DEFAULT_MAX_PIXELS)
    assert size[0] * size[1] <= DEFAULT_MAX_PIXELS
    paths = {
        "JPEG": folder / "largest.jpg",
        "RGBA PNG": folder / "largest_rgba.png",
        "16-bit grey PNG": folder / "largest_grey16.png",
    }
    if not all(path.is_file() for path in paths.values()):
        large = render.resize(size, Image.Resampling.LANCZOS)
        large.save(paths["JPEG"], quality=90)
        large.convert("RGBA").save(paths["RGBA PNG"], compress_level=1)
        grey16 = np.asarray(large.convert("L"), dtype=np.uint16) * 257
        Image.fromarray(grey16).save(paths["16-bit grey PNG"], compress_level=1)
    return size, paths


#: Runs a command and prints the peak RSS (KiB) of that command alone. The measured process is
#: started from this small launcher, not from the benchmark process: a child forked from a big
#: parent starts with the parent's pages, and the kernel's high-water mark keeps them.
LAUNCHER = (
    "import resource, subprocess, sys; "
    "code = subprocess.run(sys.argv[1:]).returncode; "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); "
    "sys.exit(code)"
)


def measure_detect(photo: Path, what: str) -> Measurement:
    """Peak RSS of ``dimples detect PHOTO --json`` in a process of its own."""
    command = [sys.executable, "-m", "detector.cli", "detect", str(photo), "--json"]
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True
    )
    seconds = time.perf_counter() - start
    peak_kib = int(result.stderr.strip().splitlines()[-1])
    if result.returncode == 0:
        outcome = "status " + json.loads(result.stdout)["status"]
    else:
        outcome = f"exit status {result.returncode}: {result.stderr.strip().splitlines()[-2:-1]}"
    return Measurement(
        what=what,
        peak_mib=peak_kib / (2**10 if sys.platform == "darwin" else 1) / 1024,
        target_mib=LARGEST_TARGET_MIB,
        seconds=seconds,
        outcome=outcome,
    )


def measure_workers(photos: Sequence[Path], label: str, workers: int) -> Measurement:
    """The largest peak RSS among the workers of one batch over ``photos``."""
    batch = bench.run_batch(photos, workers)
    if "error" in batch:
        raise RuntimeError(batch["error"])
    return Measurement(
        what=f"batch worker ({workers} workers), {len(photos)} photos {label}",
        peak_mib=batch["peak_rss_per_worker_mb"],
        target_mib=WORKER_TARGET_MIB,
        seconds=batch["wall_s"],
        outcome=f"{batch['images']} rows, {batch['errors']} errors",
    )


def format_table(measurements: Sequence[Measurement]) -> str:
    """The figures as a table, one line each."""
    width = max(len(m.what) for m in measurements)
    lines = [
        f"{'run':{width}}  {'peak RSS':>10}  {'target':>10}  {'':4}  {'wall':>6}  outcome",
        *(
            f"{m.what:{width}}  {m.peak_mib:>6.0f} MiB  {m.target_mib:>6.0f} MiB  "
            f"{'ok' if m.within else 'OVER':4}  {m.seconds:>4.1f} s  {m.outcome}"
            for m in measurements
        ),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Make the photos, measure, print the table; 1 when a target is exceeded."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, help="keep the generated photos here")
    parser.add_argument("--workers", type=int, default=2, help="batch workers (default: 2)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.workdir or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        (width, height), largest = make_largest(folder)
        ordinary = bench.make_image_set(sorted(bench.SAMPLES.glob("*.jpg")), folder / "ordinary")
        measurements = [
            measure_detect(path, f"dimples detect, {label} {width} x {height}")
            for label, path in largest.items()
        ]
        measurements += [
            measure_workers(ordinary[label], f"{width} x {height}", args.workers)
            for label, (width, height) in bench.SIZES.items()
        ]
    print(f"pixel limit: {DEFAULT_MAX_PIXELS:,} pixels (detector.loading.DEFAULT_MAX_PIXELS)")
    print(format_table(measurements))
    return 0 if all(m.within for m in measurements) else 1


if __name__ == "__main__":
    sys.exit(main())
