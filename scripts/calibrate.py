"""Fit the score's logistic calibration and the depth scale on labelled renders.

    python scripts/calibrate.py bench/renders --labels bench/renders/labels.json
    python scripts/calibrate.py bench/renders bench/st_turned bench/st_three_quarter

Runs the detector on the full-body back renders of every folder, takes the pairing stage's raw
evidence and depth estimates, and prints the constants to put into ``detector/pairing.py``:

- ``EVIDENCE_AT_HALF`` and ``EVIDENCE_SLOPE``: a logistic regression of ``present`` on the pair
  evidence (maximum likelihood), so that ``score`` reads as a probability on renders;
- ``DEPTH_PER_CONTRAST_MM`` and ``DEPTH_PER_RELIEF_MM``: the factors that make the median
  absolute (contrast) and reported (relief) depth estimates of positives that pass the fitted
  threshold equal their median true depth;
- ``FRONTAL_CONTRAST_SCALE``: the scale of a frontal match's light-relative contrast that
  gives the dimples of those positives matched under frontal light the same median reported
  depth per millimetre of true depth as those matched under a directional light; the reported
  depth depends on it, so ``DEPTH_PER_RELIEF_MM`` is refitted once it is in the code;

and those for ``detector/shading.py``:

- ``SIDE_PER_LATERAL_SLOPE``, ``UP_AT_LEVEL`` and ``UP_PER_HEIGHT_SLOPE``: least-squares fits
  of the key light's sideways and upward components on the back's shading gradients;

and those for ``detector/pose.py``:

- ``SPINE_SHIFT_PER_TURN`` and ``TURN_WHEN_SQUARE``: a least-squares line of the labelled
  dimples' midpoint across the pose's frame (+ left, in the hip widths the body would show
  square on) on how far the pose model's 3D landmarks say the body is turned
  (:func:`detector.pose.turned_away`). The benchmark's cameras turn up to 15 degrees round
  the person; add folders rendered with ``--variant turned`` (20-35 degrees) and ``--variant
  three_quarter`` (35-55) for the slope.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detector import Detector, load_image
from detector.loading import LoadedImage
from detector.pairing import (
    DEPTH_PER_CONTRAST_MM,
    DEPTH_PER_RELIEF_MM,
    FRONTAL_CONTRAST_SCALE,
    LIGHT_RELATIVE_WEIGHT,
    depth_estimate_mm,
)
from detector.pose import (
    Pose,
    PoseEstimator,
    body_frame,
    main_person,
    square_on_hip_width,
    turned_away,
)
from detector.shading import LIGHT_HYPOTHESES


def fit_logistic(evidence: np.ndarray, present: np.ndarray) -> tuple[float, float]:
    """Maximum-likelihood ``(at_half, slope)`` of
    ``P(present) = 1 / (1 + exp(-slope (evidence - at_half)))``."""

    def loss(params: np.ndarray) -> float:
        at_half, log_slope = params
        z = np.exp(log_slope) * (evidence - at_half)
        return float(np.sum(np.logaddexp(0.0, -z) * present + np.logaddexp(0.0, z) * ~present))

    start = np.array([float(np.median(evidence)), np.log(10.0)])
    best = minimize(loss, start, method="Nelder-Mead")
    return float(best.x[0]), float(np.exp(best.x[1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", type=Path, nargs="+", metavar="FOLDER")
    parser.add_argument(
        "--labels", type=Path, help="labels of a single FOLDER (default: FOLDER/labels.json)"
    )
    args = parser.parse_args(argv)
    if args.labels is not None and len(args.folders) > 1:
        parser.error("--labels goes with a single FOLDER")
    entries = [
        (folder, e)
        for folder in args.folders
        for e in json.loads((args.labels or folder / "labels.json").read_text())["images"]
        if e["framing"] == "full_body"
    ]
    evidence, present, depth_true, contrast, relief = [], [], [], [], []
    # Per dimple of a positive's pair: evidence, frontal match, reported depth per true mm.
    matches: list[tuple[float, bool, float]] = []
    gradients, key_lights, turns, midpoints = [], [], [], []
    # The spine shift's fit needs the pose model's person, which the report does not carry:
    # the detector's own estimator remembers the people it found.
    pose = RecordingPoseEstimator()
    with Detector(pose=pose) as detector:
        for folder, entry in entries:
            image = load_image(folder / entry["file"], max_side=detector.max_side)
            pose.found = []
            report, pair = detector.examine(image)
            sample = spine_shift_sample(pose.found, image, entry)
            if sample is not None:
                turns.append(sample[0])
                midpoints.append(sample[1])
            if report.light is not None:
                gradients.append(report.light.gradients)
                key_lights.append(entry["light"])
            if pair is None:
                continue
            evidence.append(pair.evidence)
            present.append(bool(entry["present"]))
            depth_true.append(np.mean([d["depth_mm"] for d in entry["dimples"]]))
            found = [] if pair.left is None else [pair.left.candidate, pair.right.candidate]
            mm = pair.mm_per_pixel
            contrast.append(np.mean([depth_estimate_mm(c, mm) for c in found] or [0.0]))
            relief.append(pair.depth_mm)
            if entry["present"] and pair.left is not None:
                for dimple in (pair.left, pair.right):
                    frontal = LIGHT_HYPOTHESES[dimple.candidate.light].frontal
                    matches.append((pair.evidence, frontal, dimple.depth_mm / depth_true[-1]))
    print_light_fit(gradients, key_lights)
    print_spine_shift_fit(np.array(turns), np.array(midpoints))
    evidence_array, present_array = np.array(evidence), np.array(present)
    at_half, slope = fit_logistic(evidence_array, present_array)
    detected = present_array & (evidence_array >= at_half)
    true_median = np.median(np.array(depth_true)[detected])
    contrast_scale = DEPTH_PER_CONTRAST_MM * true_median / np.median(np.array(contrast)[detected])
    relief_scale = DEPTH_PER_RELIEF_MM * true_median / np.median(np.array(relief)[detected])
    print(f"{len(evidence)} judged full-body renders, {sum(present)} with dimples")
    print(f"EVIDENCE_AT_HALF = {at_half:.4f}")
    print(f"EVIDENCE_SLOPE = {slope:.3f}")
    print(f"DEPTH_PER_CONTRAST_MM = {contrast_scale:.3f}")
    print(
        f"DEPTH_PER_RELIEF_MM = {relief_scale:.3f}  (from {int(detected.sum())} detected positives)"
    )
    frontal_scale = fit_frontal_scale(np.array(matches).reshape(-1, 3), at_half)
    if frontal_scale is None:
        print("FRONTAL_CONTRAST_SCALE: needs matches under both kinds of light")
    else:
        print(f"FRONTAL_CONTRAST_SCALE = {frontal_scale:.3f}  ({len(matches)} positives' dimples)")
    return 0


def fit_frontal_scale(matches: np.ndarray, at_half: float) -> float | None:
    """FRONTAL_CONTRAST_SCALE from ``(evidence, frontal, reported depth per true mm)`` rows of
    the positives' dimples, those of pairs that pass ``at_half``; None without matches under
    both kinds of light. A frontal match's reported depth goes with the scale to the power
    LIGHT_RELATIVE_WEIGHT."""
    passed = matches[matches[:, 0] >= at_half]
    frontal = passed[:, 1].astype(bool)
    if frontal.all() or not frontal.any():
        return None
    ratio = np.median(passed[~frontal, 2]) / np.median(passed[frontal, 2])
    return float(FRONTAL_CONTRAST_SCALE * ratio ** (1.0 / LIGHT_RELATIVE_WEIGHT))


def print_light_fit(gradients: list[tuple[float, float]], key_lights: list[dict]) -> None:
    """Fit and print the light constants of ``detector/shading.py``: the reports' shading
    gradients against the renders' key light (side: towards the person's right; up; both as
    components of the unit vector)."""
    azimuth = np.radians([light["azimuth_deg"] for light in key_lights])
    elevation = np.radians([light["elevation_deg"] for light in key_lights])
    side, up = np.cos(elevation) * np.sin(azimuth), np.sin(elevation)
    lateral, height = np.array(gradients).T
    side_per_slope = float(np.sum(lateral * side) / np.sum(lateral**2))
    (up_at_level, up_per_slope), *_ = np.linalg.lstsq(
        np.column_stack([np.ones_like(height), height]), up, rcond=None
    )
    print(f"SIDE_PER_LATERAL_SLOPE = {side_per_slope:.3f}  (from {len(gradients)} renders)")
    print(f"UP_AT_LEVEL = {up_at_level:.3f}")
    print(f"UP_PER_HEIGHT_SLOPE = {up_per_slope:.3f}")


class RecordingPoseEstimator(PoseEstimator):
    """The pose model, remembering the people it last found (``found``)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[Pose] = []

    def find_people(
        self, rgb: np.ndarray, meanwhile: Callable[[], object] | None = None
    ) -> list[Pose]:
        self.found = super().find_people(rgb, meanwhile)
        return self.found


def spine_shift_sample(
    people: list[Pose], image: LoadedImage, entry: dict
) -> tuple[float, float] | None:
    """For a full-body render with dimples where the pose model found ``people``: how far the
    body is turned (:func:`detector.pose.turned_away`) and the labelled dimples' midpoint
    across the pose's frame (+ left), in the hip widths the body would show square on
    (:func:`detector.pose.square_on_hip_width`); None otherwise."""
    if not people or not entry["dimples"]:
        return None
    person = main_person(people, image.rgb.shape)
    frame = body_frame(person.points)
    turn = turned_away(person, frame)
    if turn is None:
        return None
    # The labels are in the photo's pixels, the landmarks in those of the decoded image.
    dimples = np.array([[d["x"], d["y"]] for d in entry["dimples"]]) * image.scale
    square_on = frame.hip_width / square_on_hip_width(person.points)
    return turn, float(frame.to_body(dimples)[:, 0].mean()) * square_on


def print_spine_shift_fit(turns: np.ndarray, midpoints: np.ndarray) -> None:
    """Fit and print the spine shift's constants of ``detector/pose.py``."""
    slope, turn_when_square, spread = fit_spine_shift(turns, midpoints)
    print(f"SPINE_SHIFT_PER_TURN = {slope:.3f}  (from {len(turns)} renders)")
    print(f"TURN_WHEN_SQUARE = {turn_when_square:.3f}")
    print(f"  residual spread {spread:.3f} hip widths (SPINE_SHIFT_SPREAD)")


def fit_spine_shift(turns: np.ndarray, midpoints: np.ndarray) -> tuple[float, float, float]:
    """The least-squares line ``midpoint = slope (turn - turn_when_square)``: ``(slope,
    turn_when_square, the residuals' standard deviation)``."""
    slope, intercept = np.polyfit(turns, midpoints, 1)
    residual = midpoints - (slope * turns + intercept)
    return float(slope), float(-intercept / slope), float(residual.std())


if __name__ == "__main__":
    sys.exit(main())
