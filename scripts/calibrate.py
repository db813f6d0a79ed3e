"""Fit the score's logistic calibration and the depth scale on labelled renders.

    python scripts/calibrate.py bench/renders --labels bench/renders/labels.json

Runs the detector on the full-body back renders, takes the pairing stage's raw evidence and
depth estimates, and prints the constants to put into ``detector/pairing.py``:

- ``EVIDENCE_AT_HALF`` and ``EVIDENCE_SLOPE``: a logistic regression of ``present`` on the pair
  evidence (maximum likelihood), so that ``score`` reads as a probability on renders;
- ``DEPTH_PER_CONTRAST_MM`` and ``DEPTH_PER_RELIEF_MM``: the factors that make the median
  absolute (contrast) and reported (relief) depth estimates of positives that pass the fitted
  threshold equal their median true depth.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from detector import Detector, load_image
from detector.pairing import (
    DEPTH_PER_CONTRAST_MM,
    DEPTH_PER_RELIEF_MM,
    depth_estimate_mm,
    reported_depth_mm,
)


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
    parser.add_argument("folder", type=Path)
    parser.add_argument("--labels", type=Path, required=True)
    args = parser.parse_args(argv)
    entries = [
        e for e in json.loads(args.labels.read_text())["images"] if e["framing"] == "full_body"
    ]
    evidence, present, depth_true, contrast, relief = [], [], [], [], []
    with Detector() as detector:
        for entry in entries:
            image = load_image(args.folder / entry["file"], max_side=detector.max_side)
            _, pair = detector.examine(image)
            if pair is None:
                continue
            evidence.append(pair.evidence)
            present.append(bool(entry["present"]))
            depth_true.append(np.mean([d["depth_mm"] for d in entry["dimples"]]))
            found = [] if pair.left is None else [pair.left.candidate, pair.right.candidate]
            mm = pair.mm_per_pixel
            contrast.append(np.mean([depth_estimate_mm(c, mm) for c in found] or [0.0]))
            relief.append(np.mean([reported_depth_mm(c) for c in found] or [0.0]))
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
