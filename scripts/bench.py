"""Benchmark the detector against the decode-plus-pose floor (issue 7).

Usage::

    python scripts/bench.py [--out bench/perf.json] [--quick] [--images DIR] [--max-side N]

On a fixed set made from ``sample_images/`` (each render resized into a 1080 x 1440 JPEG, and
into a 12-megapixel JPEG stored the way phones store portraits: 4000 x 3000 pixels with the
EXIF orientation 6), it measures in one process:

- the time of each stage of ``Detector.detect`` (decode, pose, view, region, shading, pairing,
  report, overlay, and "other" for the pipeline's own glue), by wrapping the stage functions
  that :mod:`detector.pipeline` calls (nothing in the package is modified);
- ``Detector.detect(path)`` end to end beside the floor, measured on the same images in the
  same run: full-resolution ``cv2.imread`` plus one bare MediaPipe ``PoseLandmarker.detect``;
- the same with the JPEG decoded at a capped working resolution
  (``load_image(path, max_side=N)`` then ``Detector.analyse``), and how far its reports move;

then, in fresh processes: batch throughput with ``detector.batch.detect_batch`` at 1, 2 and
one-per-core workers with each worker's peak RSS, ``import detector`` time and the heaviest
imports, and the cold start of ``dimples detect`` (process start to exit). It prints a table,
checks the targets of issue 7 and writes everything to a JSON file.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import importlib
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import PIL
from PIL import Image

from detector.loading import load_image
from detector.native import quiet_native_stderr
from detector.overlay import draw_overlay
from detector.pipeline import Detector
from detector.pose import POSE_MODEL, bundled_model

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "sample_images"

#: Displayed sizes (width, height) of the generated photos; the renders are portraits.
SIZES = {"1080p": (1080, 1440), "12MP": (3000, 4000)}
#: Sizes stored as a phone stores a portrait: landscape pixels, EXIF orientation 6.
PHONE_STORED = frozenset({"12MP"})
JPEG_QUALITY = 92
#: Renders used by --quick: a full-body back, a headless close-up (no pose: the fallback) and
#: a front view (stops after the view decision).
QUICK_SAMPLES = ("back_pronounced.jpg", "closeup_moderate.jpg", "front_view.jpg")
#: Default working-resolution cap of the prototype: a 12 MP photo is decoded at half size.
DEFAULT_MAX_SIDE = 2000

#: Stages, in pipeline order, and the functions that make them up, as (module, attribute)
#: pairs patched while timing. Hooks on names a newer pipeline lacks are skipped (and listed
#: in the JSON); their time then shows up under "other".
STAGES = ("decode", "pose", "view", "region", "shading", "pairing", "report", "overlay")
STAGE_HOOKS: dict[str, tuple[tuple[str, str], ...]] = {
    "decode": (("detector.pipeline", "load_image"),),
    "pose": (("detector.pose", "PoseEstimator.find_people"),),
    # BlazeFace runs in the background while the back is judged: decide_view's wait for it
    # counts here.
    "view": (
        ("detector.pipeline", "main_person"),
        ("detector.pipeline", "head_crop"),
        ("detector.pipeline", "decide_view"),
    ),
    "region": (
        ("detector.pipeline", "body_frame"),
        ("detector.pipeline", "find_back"),
        ("detector.pipeline", "extract_region"),
        ("detector.pipeline", "_region_problem"),
        ("detector.pipeline", "_hands_over_zone"),
        ("detector.pipeline", "_too_blurred"),
        ("detector.pipeline", "is_monochrome"),
    ),
    "shading": (
        ("detector.pipeline", "skin_shading"),
        ("detector.pipeline", "under_hard_shadows"),
        ("detector.pipeline", "lit_beside_a_cast_shadow"),
        ("detector.pipeline", "indentation_candidates"),
    ),
    "pairing": (("detector.pipeline", "best_pair"),),
    "report": (("detector.pipeline", "_judged_report"),),
}
#: Stages that ``Detector.detect`` runs after the pose model (overlay is optional, CLI only).
AFTER_POSE = ("view", "region", "shading", "pairing", "report", "other")

#: Issue 7's targets: (key in the results, limit, what it means).
TARGETS = (
    ("detect_over_floor_12MP", 1.0, "Detector.detect on 12 MP <= 1.0 x floor"),
    ("detect_over_floor_1080p", 1.25, "Detector.detect on 1080p <= 1.25 x floor"),
    ("after_pose_over_pose_1080p", 0.20, "after-pose stages <= 20 % of pose on 1080p"),
    ("two_worker_speedup", 1.7, "2 workers >= 1.7 x images/s of 1 worker"),
    ("peak_rss_per_worker_mb", 400.0, "peak RSS per worker <= 400 MB"),
    ("cold_start_s", 2.0, "dimples detect cold start <= 2 s"),
)


# --- the image set ------------------------------------------------------------------------


def make_image_set(samples: Sequence[Path], folder: Path) -> dict[str, list[Path]]:
    """The benchmark photos, one per sample and size, written to ``folder`` unless present.

    Each render is scaled to fit the size (Lanczos) and its border replicated to fill it, so
    bodies keep their proportions; 12 MP photos are stored rotated with EXIF orientation 6.
    """
    folder.mkdir(parents=True, exist_ok=True)
    images: dict[str, list[Path]] = {}
    for label, (width, height) in SIZES.items():
        for sample in samples:
            path = folder / f"{sample.stem}_{label}.jpg"
            if not path.is_file():
                _write_photo(sample, path, (width, height), label in PHONE_STORED)
            images.setdefault(label, []).append(path)
    return images


def _write_photo(sample: Path, path: Path, size: tuple[int, int], phone: bool) -> None:
    width, height = size
    render = Image.open(sample).convert("RGB")
    factor = min(width / render.width, height / render.height)
    inner = (round(render.width * factor), round(render.height * factor))
    pixels = np.asarray(render.resize(inner, Image.Resampling.LANCZOS))
    left, top = (width - inner[0]) // 2, (height - inner[1]) // 2
    pixels = cv2.copyMakeBorder(
        pixels,
        top,
        height - inner[1] - top,
        left,
        width - inner[0] - left,
        cv2.BORDER_REPLICATE,
    )
    exif = Image.Exif()
    if phone:  # stored turned a quarter counter-clockwise; orientation 6 turns it back
        pixels = np.ascontiguousarray(np.rot90(pixels))
        exif[0x0112] = 6
    Image.fromarray(pixels).save(path, quality=JPEG_QUALITY, exif=exif)


# --- timing hooks -------------------------------------------------------------------------


class StageClock:
    """Exclusive wall time per stage: time spent in a nested timed call counts only for the
    inner stage."""

    def __init__(self) -> None:
        self._totals: dict[str, float] = defaultdict(float)
        self._inner: list[float] = []

    @contextlib.contextmanager
    def measure(self, stage: str) -> Iterator[None]:
        """Add the time spent in the block to ``stage``."""
        self._inner.append(0.0)
        start = time.perf_counter()
        try:
            yield
        finally:
            elapsed = time.perf_counter() - start
            self._totals[stage] += elapsed - self._inner.pop()
            if self._inner:
                self._inner[-1] += elapsed

    def wrap(self, stage: str, func: Callable[..., Any]) -> Callable[..., Any]:
        """``func`` timed as part of ``stage``."""

        @functools.wraps(func)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.measure(stage):
                return func(*args, **kwargs)

        return timed

    def take(self) -> dict[str, float]:
        """Seconds per stage since the last call, and reset."""
        totals = dict(self._totals)
        self._totals.clear()
        return totals


@contextlib.contextmanager
def stage_hooks(clock: StageClock) -> Iterator[list[str]]:
    """Patch the stage functions of :data:`STAGE_HOOKS` to report to ``clock``; yields the
    hooks that could not be installed (names a newer pipeline does not have)."""
    patched: list[tuple[object, str, object]] = []
    missing: list[str] = []
    try:
        for stage, hooks in STAGE_HOOKS.items():
            for module_name, dotted in hooks:
                owner: object = importlib.import_module(module_name)
                *parents, name = dotted.split(".")
                for parent in parents:
                    owner = getattr(owner, parent, None)
                original = getattr(owner, name, None)
                if original is None:
                    missing.append(f"{module_name}.{dotted}")
                    continue
                patched.append((owner, name, original))
                setattr(owner, name, clock.wrap(stage, original))
        yield missing
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)


# --- the floor ----------------------------------------------------------------------------


class Floor:
    """Decode plus pose at its cheapest: full-resolution ``cv2.imread`` (which applies the EXIF
    orientation), BGR to RGB, and one bare ``PoseLandmarker.detect`` (IMAGE mode, default
    options: one pose, no segmentation) on the whole photo."""

    def __init__(self) -> None:
        import mediapipe as mp
        from mediapipe.tasks.python import BaseOptions, vision

        self._mp = mp
        options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(bundled_model(POSE_MODEL))),
            running_mode=vision.RunningMode.IMAGE,
        )
        with quiet_native_stderr():
            self._landmarker = vision.PoseLandmarker.create_from_options(options)

    def time(self, path: Path) -> tuple[float, float]:
        """Seconds to decode ``path`` and to run the pose model on it."""
        start = time.perf_counter()
        rgb = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
        decoded = time.perf_counter()
        with quiet_native_stderr():
            self._landmarker.detect(
                self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=rgb)
            )
        return decoded - start, time.perf_counter() - decoded

    def close(self) -> None:
        """Release the model."""
        with quiet_native_stderr():
            self._landmarker.close()


# --- in-process measurements --------------------------------------------------------------


@dataclass
class ImageRuns:
    """Per-run timings of one image (seconds) and what its last runs concluded."""

    path: Path
    floor_decode: list[float] = field(default_factory=list)
    floor_pose: list[float] = field(default_factory=list)
    detect: list[float] = field(default_factory=list)
    stages: list[dict[str, float]] = field(default_factory=list)
    capped: list[float] = field(default_factory=list)
    capped_stages: list[dict[str, float]] = field(default_factory=list)
    outcome: dict[str, Any] = field(default_factory=dict)


def run_images(
    detector: Detector, floor: Floor, paths: Sequence[Path], runs: int, max_side: int | None
) -> tuple[list[ImageRuns], list[str]]:
    """Time every image ``runs`` times: floor, ``Detector.detect``, and the capped prototype,
    interleaved so that drift in the machine's speed touches all three alike. Returns the
    timings and the stage hooks that could not be installed."""
    clock = StageClock()
    records = [ImageRuns(path) for path in paths]
    with stage_hooks(clock) as missing:
        for path in paths[:1]:  # first calls initialise MediaPipe's graphs and caches
            floor.time(path)
            _timed_detect(detector, clock, path, None)
        clock.take()
        for _ in range(runs):
            for record in records:
                decode, pose = floor.time(record.path)
                record.floor_decode.append(decode)
                record.floor_pose.append(pose)
                seconds, stages, record.outcome["full"] = _timed_detect(
                    detector, clock, record.path, None
                )
                record.detect.append(seconds)
                record.stages.append(stages)
                if max_side is not None:
                    seconds, stages, record.outcome["capped"] = _timed_detect(
                        detector, clock, record.path, max_side
                    )
                    record.capped.append(seconds)
                    record.capped_stages.append(stages)
    return records, missing


def _timed_detect(
    detector: Detector, clock: StageClock, path: Path, max_side: int | None
) -> tuple[float, dict[str, float], dict[str, Any]]:
    """One analysis: seconds end to end, seconds per stage (with the report's serialisation and
    the overlay, which ``detect`` does not do), and what it concluded."""
    clock.take()
    start = time.perf_counter()
    if max_side is None:
        report = detector.detect(path)
        to_full = np.asarray
    else:  # prototype of a Detector with a working-resolution cap
        with clock.measure("decode"):
            image = load_image(path, detector.max_pixels, max_side=max_side)
        report = detector.analyse(image)
        to_full = image.to_full
    seconds = time.perf_counter() - start
    stages = clock.take()
    stages["other"] = seconds - sum(stages.values())
    with clock.measure("report"):
        report.to_json()
    if report.pixels is not None:
        with clock.measure("overlay"):
            draw_overlay(report.pixels, report)
    for stage, extra in clock.take().items():
        stages[stage] = stages.get(stage, 0.0) + extra
    outcome = {
        "status": report.status,
        "people": report.people,
        "present": report.present,
        "score": report.score,
        "dimples": [to_full(np.array([d.x, d.y])).tolist() for d in report.dimples],
    }
    return seconds, stages, outcome


def _ms(values: Sequence[float]) -> dict[str, float]:
    """Median and 90th percentile, in milliseconds."""
    return {
        "median_ms": round(1000 * float(np.median(values)), 2),
        "p90_ms": round(1000 * float(np.percentile(values, 90)), 2),
    }


def summarise_images(records: list[ImageRuns], with_capped: bool) -> dict[str, Any]:
    """Per-size summary: per-image medians over runs, then median and p90 over images."""
    floor = [
        statistics.median(map(sum, zip(r.floor_decode, r.floor_pose, strict=True))) for r in records
    ]
    summary: dict[str, Any] = {
        "images": len(records),
        "floor": _ms(floor),
        "floor_decode": _ms([statistics.median(r.floor_decode) for r in records]),
        "floor_pose": _ms([statistics.median(r.floor_pose) for r in records]),
    }
    variants = [("detect", "stages")] + ([("capped", "capped_stages")] if with_capped else [])
    for name, stages_key in variants:
        totals = [statistics.median(getattr(r, name)) for r in records]
        per_image = [_median_stages(getattr(r, stages_key)) for r in records]
        after = [sum(s.get(k, 0.0) for k in AFTER_POSE) for s in per_image]
        pose = [s.get("pose", 0.0) for s in per_image]
        summary[name] = {
            "end_to_end": _ms(totals),
            "over_floor": _ratios([t / f for t, f in zip(totals, floor, strict=True)]),
            "stages": {
                stage: _ms([s[stage] for s in per_image if stage in s])
                | {"images": sum(stage in s for s in per_image)}
                for stage in (*STAGES, "other")
            },
            "after_pose_over_pose": _ratios([a / p for a, p in zip(after, pose, strict=True)]),
        }
    return summary


def _median_stages(runs: list[dict[str, float]]) -> dict[str, float]:
    """Per-stage median over runs of one image (stages that ran in every run)."""
    common = set.intersection(*(set(run) for run in runs))
    return {stage: statistics.median(run[stage] for run in runs) for stage in common}


def _ratios(values: Sequence[float]) -> dict[str, float]:
    """Median, 90th percentile and maximum of ratios."""
    return {
        "median": round(float(np.median(values)), 3),
        "p90": round(float(np.percentile(values, 90)), 3),
        "max": round(float(np.max(values)), 3),
    }


def agreement(records: list[ImageRuns]) -> list[dict[str, Any]]:
    """How the capped prototype's reports differ from full-resolution ones, per image."""
    rows = []
    for record in records:
        full, capped = record.outcome["full"], record.outcome["capped"]
        offsets = [
            float(np.hypot(a[0] - b[0], a[1] - b[1]))
            for a, b in zip(full["dimples"], capped["dimples"], strict=False)
        ]
        rows.append(
            {
                "image": record.path.name,
                "status": [full["status"], capped["status"]],
                "present": [full["present"], capped["present"]],
                "score": [full["score"], capped["score"]],
                "dimple_offset_px": round(max(offsets), 1) if offsets else None,
            }
        )
    return rows


# --- measurements in fresh processes ------------------------------------------------------


def _batch_child(paths: list[str], workers: int, conn: Connection) -> None:
    """Run one batch in this (fresh) process and send back completion times, statuses, the
    workers' CPU time and the largest peak RSS among them (the kernel's high-water mark of
    reaped children)."""
    try:
        from detector.batch import detect_batch
    except ImportError as exc:
        conn.send({"error": f"detector.batch.detect_batch unavailable: {exc}"})
        return
    start = time.perf_counter()
    finished, statuses = [], []
    for result in detect_batch(paths, workers=workers):
        finished.append(time.perf_counter() - start)
        statuses.append(result.status)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 1024)
    cpu_s = usage.ru_utime + usage.ru_stime
    conn.send({"finished": finished, "statuses": statuses, "peak_rss_mb": peak_mb, "cpu_s": cpu_s})


def run_batch(paths: Sequence[Path], workers: int) -> dict[str, Any]:
    """Images/s of ``detect_batch(paths, workers=workers)`` run from a fresh process: over the
    whole wall time (worker start and model loading included), and steady (from the moment
    every worker has returned its first result to the last result); and how many cores the
    workers kept busy on average (their CPU time over the wall time: below ``workers`` when
    other processes take the cores, or when the workers wait)."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_batch_child, args=([str(p) for p in paths], workers, sender))
    child.start()
    sender.close()
    result = receiver.recv()
    child.join()
    if "error" in result:
        return {"workers": workers, "error": result["error"]}
    finished = result["finished"]
    started = min(workers, len(finished))  # a batch starts no more workers than files
    warm = finished[started - 1]
    steady = (len(finished) - started) / (finished[-1] - warm) if finished[-1] > warm else None
    return {
        "workers": workers,
        "images": len(finished),
        "errors": result["statuses"].count("error"),
        "wall_s": round(finished[-1], 2),
        "first_result_s": round(finished[0], 2),
        "images_per_s_wall": round(len(finished) / finished[-1], 2),
        "images_per_s_steady": None if steady is None else round(steady, 2),
        "cores_busy": round(result["cpu_s"] / finished[-1], 2),
        "cpu_s_per_image": round(result["cpu_s"] / len(finished), 3),
        "peak_rss_per_worker_mb": round(result["peak_rss_mb"], 1),
    }


def _spin(seconds: float, conn: Connection) -> None:
    """Busy-loop for ``seconds`` and send back the share of a core this process got."""
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < seconds:
        pass
    conn.send((time.process_time() - cpu) / (time.perf_counter() - start))


def free_cores(count: int, seconds: float = 1.0) -> float:
    """How many cores ``count`` busy processes actually get together: ``count`` on an idle
    machine, less when other processes compete for the cores (the figures are then slower, and
    batch throughput cannot scale)."""
    context = multiprocessing.get_context("spawn")
    pipes, processes = [], []
    for _ in range(count):
        receiver, sender = context.Pipe(duplex=False)
        processes.append(context.Process(target=_spin, args=(seconds, sender)))
        pipes.append(receiver)
        processes[-1].start()
        sender.close()
    shares = [receiver.recv() for receiver in pipes]
    for process in processes:
        process.join()
    return round(sum(shares), 2)


def _wall(command: Sequence[str], runs: int) -> list[float]:
    """Wall seconds of ``command`` (started from scratch each time); raises when it fails."""
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True, cwd=REPO)
        seconds.append(time.perf_counter() - start)
    return seconds


def measure_imports(runs: int) -> dict[str, Any]:
    """``import detector`` and ``import detector.cli`` wall time over a bare interpreter start,
    and the packages that ``import detector.cli`` spends most time importing (own time of all
    their modules, from ``python -X importtime``)."""
    python = [sys.executable, "-c"]
    bare = statistics.median(_wall([*python, "pass"], runs))
    result: dict[str, Any] = {"interpreter_start_s": round(bare, 3)}
    for module in ("detector", "detector.cli"):
        wall = statistics.median(_wall([*python, f"import {module}"], runs))
        result[f"import_{module.replace('.', '_')}_s"] = round(wall - bare, 3)
    trace = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import detector.cli"],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
    ).stderr
    packages: dict[str, float] = defaultdict(float)
    for match in re.finditer(r"import time:\s*(\d+) \|\s*\d+ \| *(\S+)", trace):
        package = match.group(2).split(".")[0]
        if package not in sys.stdlib_module_names:
            packages[package] += int(match.group(1)) / 1e6
    heaviest = sorted(packages.items(), key=lambda item: -item[1])[:8]
    result["heaviest_imports_s"] = {name: round(seconds, 3) for name, seconds in heaviest}
    return result


def cli_command() -> list[str]:
    """The ``dimples`` console script beside this interpreter, else ``python -m detector.cli``."""
    script = Path(sys.executable).parent / "dimples"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "detector.cli"]


def measure_cold_start(photos: dict[str, Path], runs: int) -> dict[str, Any]:
    """Wall seconds of ``dimples detect PHOTO`` from process start to exit, after one untimed
    run that brings the package and the models into the page cache."""
    command = cli_command()
    result: dict[str, Any] = {"command": " ".join([Path(command[0]).name, *command[1:]])}
    for label, photo in photos.items():
        _wall([*command, "detect", str(photo)], 1)
        seconds = _wall([*command, "detect", str(photo)], runs)
        result[label] = {
            "median_s": round(statistics.median(seconds), 3),
            "min_s": round(min(seconds), 3),
        }
    return result


# --- report -------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """Where the figures come from."""
    import mediapipe

    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.is_file() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return {
        "cpu": models[0] if models else platform.processor(),
        "cores": usable_cores(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "mediapipe": mediapipe.__version__,
        "opencv": cv2.__version__,
        "pillow": PIL.__version__,
        "numpy": np.__version__,
        "opencv_threads": cv2.getNumThreads(),
    }


def usable_cores() -> int:
    """Cores this process may run on."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def check_targets(results: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Issue 7's targets against the measured values (None where not measured)."""
    by_size = results["images"]
    batch = {row["workers"]: row for row in results["batch"] if "error" not in row}
    one = batch.get(1, {}).get("images_per_s_steady")
    two = batch.get(2, {}).get("images_per_s_steady")
    values = {
        "detect_over_floor_12MP": by_size.get("12MP", {}).get("detect", {}),
        "detect_over_floor_1080p": by_size.get("1080p", {}).get("detect", {}),
    }
    values = {key: v.get("over_floor", {}).get("median") for key, v in values.items()}
    values["after_pose_over_pose_1080p"] = (
        by_size.get("1080p", {}).get("detect", {}).get("after_pose_over_pose", {}).get("median")
    )
    values["two_worker_speedup"] = round(two / one, 2) if one and two else None
    values["peak_rss_per_worker_mb"] = max(
        (row["peak_rss_per_worker_mb"] for row in batch.values()), default=None
    )
    values["cold_start_s"] = results["cold_start"].get("1080p", {}).get("median_s")
    checked = {}
    for key, limit, text in TARGETS:
        value = values[key]
        at_least = key == "two_worker_speedup"
        met = None if value is None else (value >= limit if at_least else value <= limit)
        checked[key] = {"value": value, "limit": limit, "met": met, "target": text}
    return checked


def print_report(results: dict[str, Any]) -> None:
    """The figures as plain-text tables."""
    host = results["machine"]
    print(
        f"machine: {host['cpu']}, {host['cores']} cores; load average before/after "
        f"{host['load_before']:.1f}/{host['load_after']:.1f}; cores free for the benchmark at "
        f"start/before the batch {host['free_cores_start']}/{host['free_cores_batch']}"
    )
    if min(host["free_cores_start"], host["free_cores_batch"]) < 0.9 * host["cores"]:
        print("WARNING: other processes were using the cores: figures are slower than on an idle")
        print("         machine, and batch throughput cannot scale with workers.")
    sizes = list(results["images"])
    counts = ", ".join(f"{results['images'][s]['images']} x {s}" for s in sizes)
    print(
        f"images: {counts}; {results['runs']} runs each; per image the median over runs, "
        "then median and p90 over images\n"
    )
    columns = [(size, "detect") for size in sizes]
    if results["max_side"] is not None:  # the cap changes only photos larger than it
        columns += [(size, "capped") for size in sizes if max(SIZES[size]) > results["max_side"]]
    titles = {"detect": "", "capped": f" cap {results['max_side']}"}
    print(f"{'ms':<22}" + "".join(f"{size + titles[v]:>17}{'p90':>7}" for size, v in columns))
    for stage in (*STAGES, "other"):
        cells = [results["images"][size][v]["stages"][stage] for size, v in columns]
        print(f"{stage:<22}" + "".join(_cell(cell) for cell in cells))
    cells = [results["images"][size][v]["end_to_end"] for size, v in columns]
    print(f"{'end to end':<22}" + "".join(_cell(cell) for cell in cells))
    for label, key in (("floor", "floor"), ("  imread", "floor_decode"), ("  pose", "floor_pose")):
        cells = [results["images"][size][key] for size, _ in columns]
        print(f"{label:<22}" + "".join(_cell(cell) for cell in cells))
    for label, key in (("x floor", "over_floor"), ("after-pose / pose", "after_pose_over_pose")):
        cells = [results["images"][size][v][key] for size, v in columns]
        print(f"{label:<22}" + "".join(f"{c['median']:>17.2f}{c['p90']:>7.2f}" for c in cells))
    for size in sizes:
        rows = results["images"][size].get("capped_vs_full", [])
        if any(
            row["dimple_offset_px"] is not None
            or row["status"][0] != row["status"][1]
            or row["score"][0] != row["score"][1]
            for row in rows
        ):
            print(
                f"\ncapped vs full, {size}: "
                + "; ".join(
                    f"{row['image']} {row['status'][0]}/{row['status'][1]} score "
                    f"{_score(row['score'][0])}/{_score(row['score'][1])}"
                    for row in rows
                )
            )
    print(
        f"\n{'batch workers':<16}{'img/s steady':>14}{'img/s wall':>12}"
        f"{'1st result s':>14}{'cores busy':>12}{'peak RSS MB':>13}"
    )
    for row in results["batch"]:
        if "error" in row:
            print(f"{row['workers']:<16}{row['error']}")
            continue
        print(
            f"{row['workers']:<16}{row['images_per_s_steady'] or float('nan'):>14.2f}"
            f"{row['images_per_s_wall']:>12.2f}{row['first_result_s']:>14.2f}"
            f"{row['cores_busy']:>12.2f}{row['peak_rss_per_worker_mb']:>13.0f}"
        )
    imports = results["imports"]
    print(
        f"\nDetector() in process {results['detector_init_s']:.2f} s (MediaPipe import and "
        f"models); import detector {imports['import_detector_s']:.2f} s, detector.cli "
        f"{imports['import_detector_cli_s']:.2f} s; own import time by package: "
        + ", ".join(f"{n} {s:.2f}" for n, s in imports["heaviest_imports_s"].items())
    )
    cold = results["cold_start"]
    print(
        f"cold start `{cold['command']} detect`: "
        + ", ".join(f"{s} {cold[s]['median_s']:.2f} s" for s in sizes if s in cold)
    )
    print("\ntargets (issue 7)")
    for row in results["targets"].values():
        verdict = {True: "met", False: "NOT met", None: "not measured"}[row["met"]]
        print(f"  {row['target']:<46} {row['value']!s:>8}  {verdict}")


def _cell(stats: dict[str, Any]) -> str:
    if stats.get("images") == 0:
        return f"{'-':>17}{'-':>7}"
    return f"{stats['median_ms']:>17.1f}{stats['p90_ms']:>7.1f}"


def _score(score: float | None) -> str:
    return "-" if score is None else f"{score:.2f}"


#: Copies of the 22 photos in the batch: with two (44 files, about 2 s with two workers) the
#: two-worker speed-up of three runs ranged 1.56-1.82; with four the window is twice as long.
BATCH_COPIES = 4


def batch_set(photos: dict[str, list[Path]], copies: int) -> list[Path]:
    """The batch's inputs: every photo, ``copies`` times under distinct names (a batch analyses
    each file once), so that worker start-up weighs little against the work."""
    paths = []
    for copy in range(copies):
        for original in (p for group in photos.values() for p in group):
            path = original.parent / "batch" / f"{copy}_{original.name}"
            if not path.is_file():
                path.parent.mkdir(exist_ok=True)
                shutil.copyfile(original, path)
            paths.append(path)
    return paths


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "perf.json")
    parser.add_argument("--quick", action="store_true", help="3 renders, 1 run (under a minute)")
    parser.add_argument(
        "--images",
        type=Path,
        default=REPO / "bench" / "perf_images",
        help="where the photos are written (delete it to make them anew)",
    )
    parser.add_argument(
        "--max-side",
        type=int,
        default=DEFAULT_MAX_SIDE,
        help="working-resolution cap of the prototype variant (0: skip it)",
    )
    args = parser.parse_args(argv)
    max_side = args.max_side or None
    started = time.perf_counter()
    load_before = os.getloadavg()[0]
    free_start = free_cores(usable_cores())
    names = QUICK_SAMPLES if args.quick else sorted(p.name for p in SAMPLES.glob("*.jpg"))
    photos = make_image_set([SAMPLES / name for name in names], args.images)
    runs = 1 if args.quick else 3

    init_start = time.perf_counter()
    detector = Detector()
    init_s = time.perf_counter() - init_start
    floor = Floor()
    images: dict[str, Any] = {}
    outcomes: dict[str, list[dict[str, Any]]] = {}
    try:
        for label, paths in photos.items():
            records, missing = run_images(detector, floor, paths, runs, max_side)
            images[label] = summarise_images(records, max_side is not None)
            outcomes[label] = [{"image": r.path.name} | r.outcome["full"] for r in records]
            if max_side is not None:
                images[label]["capped_vs_full"] = agreement(records)
    finally:
        floor.close()
        detector.close()

    batch_paths = batch_set(photos, 1 if args.quick else BATCH_COPIES)
    free_batch = free_cores(usable_cores())
    results: dict[str, Any] = {
        "command": " ".join(["python scripts/bench.py", *(sys.argv[1:] if argv is None else argv)]),
        "machine": machine(),
        "runs": runs,
        "max_side": max_side,
        "detector_init_s": round(init_s, 3),
        "untimed_hooks": missing,
        "images": images,
        "outcomes": outcomes,
        "batch": [run_batch(batch_paths, count) for count in sorted({1, 2, usable_cores()})],
        "imports": measure_imports(1 if args.quick else 3),
        "cold_start": measure_cold_start(
            {label: paths[0] for label, paths in photos.items()}, 1 if args.quick else 3
        ),
    }
    results["machine"] |= {
        "load_before": load_before,
        "load_after": os.getloadavg()[0],
        "free_cores_start": free_start,
        "free_cores_batch": free_batch,
    }
    results["targets"] = check_targets(results)
    results["bench_s"] = round(time.perf_counter() - started, 1)
    print_report(results)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n{results['bench_s']:.0f} s; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
