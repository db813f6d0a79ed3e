"""scripts/calibrate.py: the logistic, the spine shift's and the frontal scale's fits recover
known parameters."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import SAMPLES, load_script, turned_skeleton

calibrate = load_script("calibrate")


def test_logistic_fit_recovers_the_generating_curve():
    rng = np.random.default_rng(3)
    evidence = rng.uniform(0.0, 0.4, 4000)
    probability = 1.0 / (1.0 + np.exp(-15.0 * (evidence - 0.15)))
    present = rng.uniform(size=evidence.size) < probability
    at_half, slope = calibrate.fit_logistic(evidence, present)
    assert abs(at_half - 0.15) < 0.01
    assert abs(slope - 15.0) < 2.0


def test_separable_classes_put_the_midpoint_between_them():
    evidence = np.array([0.05, 0.06, 0.07, 0.3, 0.31, 0.32])
    present = np.array([False, False, False, True, True, True])
    at_half, slope = calibrate.fit_logistic(evidence, present)
    assert 0.07 < at_half < 0.3 and slope > 10


def test_spine_shift_fit_recovers_the_line_and_its_spread():
    rng = np.random.default_rng(5)
    turns = rng.uniform(-0.8, 0.6, 3000)
    midpoints = -0.35 * (turns + 0.1) + rng.normal(0.0, 0.05, turns.size)
    slope, turn_when_square, spread = calibrate.fit_spine_shift(turns, midpoints)
    assert abs(slope + 0.35) < 0.01
    assert abs(turn_when_square + 0.1) < 0.01
    assert abs(spread - 0.05) < 0.003


def test_frontal_scale_evens_out_the_two_kinds_of_match():
    """Frontal matches reading half the directional ones' depth per true millimetre need their
    contrast scaled by 2 ** (1 / LIGHT_RELATIVE_WEIGHT) more; pairs below the line, however
    they read, do not count."""
    from detector.pairing import FRONTAL_CONTRAST_SCALE, LIGHT_RELATIVE_WEIGHT

    at_half = 0.06
    directional = [(0.2, 0.0, ratio) for ratio in (0.9, 1.0, 1.1)]
    frontal = [(0.2, 1.0, ratio) for ratio in (0.45, 0.5, 0.55)]
    unclaimed = [(0.01, 1.0, 5.0)] * 5
    matches = np.array(directional + frontal + unclaimed)
    scale = calibrate.fit_frontal_scale(matches, at_half)
    assert scale == pytest.approx(FRONTAL_CONTRAST_SCALE * 2.0 ** (1.0 / LIGHT_RELATIVE_WEIGHT))
    assert calibrate.fit_frontal_scale(np.array(directional + unclaimed), at_half) is None


def test_the_detector_s_own_pose_estimator_remembers_the_people_for_the_spine_fit():
    """One pose inference per render: the detector runs the recording estimator it is given,
    and the people it found are the report's."""
    from detector import Detector, load_image

    pose = calibrate.RecordingPoseEstimator()
    with Detector(pose=pose) as detector:
        image = load_image(SAMPLES / "back_turned_moderate.jpg", max_side=detector.max_side)
        report, _ = detector.examine(image)
    assert report.status == "ok" and report.people == len(pose.found) >= 1


def test_the_spine_fit_reads_the_dimples_midpoint_in_square_on_hip_widths():
    """A body turned 45 degrees shows its hips at the cosine of the turn; the midpoint of its
    dimples, 0.2 square-on hip widths left of the hips' middle, is read as 0.2 whatever the
    frame's own (foreshortened, floored) hip width."""
    from types import SimpleNamespace

    from detector.pose import square_on_hip_width

    person = turned_skeleton(45.0)
    middle = 500.0 - 0.2 * square_on_hip_width(person.points)  # the person's left: image's left
    entry = {"dimples": [{"x": middle - 20.0, "y": 650.0}, {"x": middle + 20.0, "y": 650.0}]}
    image = SimpleNamespace(rgb=np.zeros((1000, 1000, 3), np.uint8), scale=1.0)
    turn, midpoint = calibrate.spine_shift_sample([person], image, entry)
    assert turn == pytest.approx(np.sin(np.radians(45.0)))
    assert midpoint == pytest.approx(0.2)
