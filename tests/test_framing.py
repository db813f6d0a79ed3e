"""Photos framed from the waist up: the legs are cut off, the pose model's hips move up, and
the dimples must still be found."""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import SAMPLES, load_script

from detector.pipeline import _legs_cut_off
from detector.pose import BodyFrame

evaluate = load_script("evaluate")


def _upright(hip_y: float, hip_width: float = 50.0) -> BodyFrame:
    return BodyFrame(
        origin=np.array([100.0, hip_y]),
        up=np.array([0.0, -1.0]),
        left=np.array([-1.0, 0.0]),
        hip_width=hip_width,
    )


def test_legs_are_cut_off_when_the_photo_ends_above_the_knees():
    assert _legs_cut_off(_upright(hip_y=300.0), (400, 200, 3))  # 2 hip widths below the hips
    assert not _legs_cut_off(_upright(hip_y=300.0), (500, 200, 3))  # 4 below: knees in view
    # A photo turned a quarter: the body's down is the image's right.
    turned = BodyFrame(np.array([100.0, 100.0]), np.array([-1.0, 0.0]), np.array([0.0, 1.0]), 50.0)
    assert _legs_cut_off(turned, (200, 200, 3))
    assert not _legs_cut_off(turned, (200, 400, 3))


def _cut(name: str, below: float) -> np.ndarray:
    """Sample ``name`` cut ``below`` inter-dimple distances under its labelled dimples, as
    ``evaluate.py --cut-below`` cuts the renders."""
    labels = json.loads((SAMPLES / "labels.json").read_text())["images"]
    entry = next(e for e in labels if e["file"] == name)
    return evaluate.reframed(SAMPLES / name, entry, None, below)[0]


@pytest.mark.parametrize(
    ("name", "below"),
    [
        ("back_pronounced.jpg", 2.5),  # scored 0.36 before the legs-cut search
        ("back_subtle.jpg", 2.5),  # 0.13 before
        ("back_subtle.jpg", 1.2),  # at the buttocks' crease; 0.17 before
        ("back_moderate.jpg", 1.2),
    ],
)
def test_dimples_are_found_in_photos_cut_at_the_thighs(detector, name, below):
    report = detector.detect(_cut(name, below))
    assert report.status == "ok" and report.present


@pytest.mark.parametrize("below", [2.5, 1.2])
def test_a_back_without_dimples_cut_at_the_thighs_shows_none(detector, below):
    report = detector.detect(_cut("back_none.jpg", below))
    assert report.status == "ok" and not report.present
