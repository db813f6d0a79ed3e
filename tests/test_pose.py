"""The pose stage's background thread: the pose model's retry and BlazeFace run beside the
caller's own work, and give the same answers as when run in turn."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import SAMPLES, turned_skeleton

import detector.pipeline as detector_pipeline
from detector.loading import load_image
from detector.pose import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER, Pose, PoseEstimator
from detector.view import head_crop


@pytest.fixture(scope="module")
def poses():
    with PoseEstimator() as estimator:
        yield estimator


def test_the_retry_runs_while_the_callers_work_goes_on(poses, monkeypatch):
    """A close-up has no pose at first: its retry starts in the background, and the caller's
    work sees it running (it waits for the retry to start, which it would never do if the
    two ran in turn)."""
    rgb = load_image(SAMPLES / "closeup_moderate.jpg").rgb
    expected = poses.find_people(rgb)
    retry_started = threading.Event()
    threads = []
    original_run = PoseEstimator._run

    def run(self, *args):
        threads.append(threading.current_thread())
        if len(threads) == 2:  # the first pass, then the retry
            retry_started.set()
        return original_run(self, *args)

    monkeypatch.setattr(PoseEstimator, "_run", run)
    seen = []

    def meanwhile():
        seen.append(retry_started.wait(timeout=30))

    people = poses.find_people(rgb, meanwhile=meanwhile)
    assert seen == [True]
    assert threads[0] is threading.main_thread()
    assert threads[1] is not threading.main_thread()
    assert len(people) == len(expected) == 0


def test_the_callers_work_is_skipped_when_the_first_pass_finds_someone(poses):
    rgb = load_image(SAMPLES / "back_pronounced.jpg").rgb
    calls = []
    people = poses.find_people(rgb, meanwhile=lambda: calls.append(1))
    assert calls == []
    assert len(people) == 1
    np.testing.assert_allclose(people[0].points, poses.find_people(rgb)[0].points)


def test_a_face_found_in_the_background_is_the_face_found_in_turn(poses):
    rgb = load_image(SAMPLES / "front_view.jpg").rgb
    person = poses.find_people(rgb)[0]
    head = head_crop(person.points, rgb)
    assert head is not None
    in_turn = poses.find_face(head)
    assert in_turn.confidence > 0.5  # the sample's face is in view
    assert in_turn.keypoints.shape == (6, 2)
    meanwhile = poses.find_face_soon(head)()
    assert meanwhile.confidence == pytest.approx(in_turn.confidence)
    np.testing.assert_allclose(meanwhile.keypoints, in_turn.keypoints)
    assert poses.find_face_soon(None)() is None


def test_a_front_view_reports_no_region_though_its_back_was_judged_meanwhile(detector, monkeypatch):
    """A skeleton that faces away has its back judged while BlazeFace runs; when the face
    says front view after all (as on mirrored skeletons), the report keeps none of it."""
    judged = []

    def faces_away(points):
        judged.append(True)
        return True

    monkeypatch.setattr(detector_pipeline, "handedness_says_back", faces_away)
    report = detector.detect(SAMPLES / "front_view.jpg")
    assert judged == [True]
    assert report.status == "not_back_view"
    assert report.region is None and report.geometry is None and report.dimples == []


def test_loading_the_models_leaves_plotting_unimported_until_it_is_used():
    """MediaPipe's drawing utilities import matplotlib.pyplot (most of the CLI's start): the
    models load without it, and it still works, as the real module, wherever it is used."""
    script = """
import sys
from detector.pose import PoseEstimator
with PoseEstimator():
    pass
assert "matplotlib.pyplot" not in sys.modules and "matplotlib" not in sys.modules
from mediapipe.tasks.python.vision import drawing_utils
import matplotlib.pyplot as plt
assert sys.modules["matplotlib.pyplot"] is plt and type(plt).__name__ == "module"
assert drawing_utils.plt.figure is plt.figure
"""
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("quarter_turns", [0, 1, 2])
def test_a_turned_body_moves_the_spine_towards_the_side_turned_away(quarter_turns: int) -> None:
    """The model's depths say how far the body is turned (the sine of the angle), whichever
    way the photo is turned; the spine is moved towards the side further from the camera, by
    the fitted slope in the hip widths the body would show square on (the photo's are
    narrower by the turn's cosine), less the estimate's spread."""
    from detector.pose import (
        SPINE_SHIFT_PER_TURN,
        SPINE_SHIFT_SPREAD,
        TURN_WHEN_SQUARE,
        body_frame,
        spine_shift,
        turned_away,
    )

    away = turned_skeleton(30.0, quarter_turns)
    frame = body_frame(away.points)
    assert turned_away(away, frame) == pytest.approx(0.5, abs=1e-9)
    shift = spine_shift(away, frame)
    square_on = SPINE_SHIFT_PER_TURN * (0.5 - TURN_WHEN_SQUARE)
    expected = square_on / np.cos(np.radians(30.0)) + SPINE_SHIFT_SPREAD
    assert shift == pytest.approx(expected, abs=1e-9) and shift < -0.1  # + is the image's left
    spine = frame.shifted(shift).origin
    moved_towards = spine - frame.origin
    far_side = away.points[24] - away.points[23]  # right hip minus left hip: the image's right
    assert moved_towards @ far_side > 0
    other_way = turned_skeleton(-30.0, quarter_turns)
    assert spine_shift(other_way, body_frame(other_way.points)) > 0.05


def test_a_back_square_to_the_camera_or_without_depths_keeps_its_midline() -> None:
    from dataclasses import replace

    from detector.pose import TURN_WHEN_SQUARE, body_frame, spine_shift

    square = turned_skeleton(float(np.degrees(np.arcsin(TURN_WHEN_SQUARE))))
    assert spine_shift(square, body_frame(square.points)) == 0.0
    slightly = turned_skeleton(float(np.degrees(np.arcsin(TURN_WHEN_SQUARE + 0.1))))
    assert spine_shift(slightly, body_frame(slightly.points)) == 0.0  # within the spread
    flat = replace(turned_skeleton(30.0), world=None)
    assert spine_shift(flat, body_frame(flat.points)) == 0.0


@pytest.mark.parametrize("quarter_turns", [0, 1])
def test_a_turned_body_s_frame_is_unturned_to_its_square_on_proportions(quarter_turns: int) -> None:
    """A body turned 45 degrees shows its hips across at the cosine of the turn: the unturned
    frame keeps the photo's scale across and takes the square-on hip width along the spine,
    so the hip landmarks lie half a hip width either side of the midline, as square on."""
    from detector.pose import MIN_ACROSS, body_frame, square_on_hip_width, unturned

    turned = turned_skeleton(45.0, quarter_turns)
    frame = body_frame(turned.points)
    unturned_frame = unturned(turned, frame)
    assert unturned_frame.hip_width == pytest.approx(square_on_hip_width(turned.points))
    assert unturned_frame.across == pytest.approx(np.cos(np.radians(45.0)))
    hips = unturned_frame.to_body(turned.points[[LEFT_HIP, RIGHT_HIP]])
    assert hips[:, 0] == pytest.approx([0.5, -0.5])  # the person's left is +
    assert hips[:, 1] == pytest.approx([0.0, 0.0])
    assert unturned_frame.to_image(0.5, 0.0) == pytest.approx(turned.points[LEFT_HIP])
    side_on = turned_skeleton(80.0, quarter_turns)
    assert unturned(side_on, body_frame(side_on.points)).across == MIN_ACROSS  # at most 60 deg


def test_a_body_square_to_the_camera_or_without_depths_keeps_its_frame() -> None:
    from dataclasses import replace

    from detector.pose import TURN_WHEN_SQUARE, body_frame, unturned

    square = turned_skeleton(float(np.degrees(np.arcsin(TURN_WHEN_SQUARE + 0.2))))
    frame = body_frame(square.points)
    assert unturned(square, frame) is frame
    flat = replace(turned_skeleton(45.0), world=None)
    frame = body_frame(flat.points)
    assert unturned(flat, frame) is frame


def test_only_a_turn_beyond_the_depths_noise_counts_as_clear() -> None:
    from detector.pose import TURN_WHEN_SQUARE, body_frame, clearly_turned

    def turned(turn_deg: float, least_sine: float) -> bool:
        skeleton = turned_skeleton(turn_deg)
        return clearly_turned(skeleton, body_frame(skeleton.points), least_sine)

    square_deg = float(np.degrees(np.arcsin(TURN_WHEN_SQUARE)))
    assert not turned(square_deg, 0.3) and not turned(square_deg, 0.0001)
    assert turned(20.0, 0.3) and not turned(20.0, 0.5)  # sine 0.34 + 0.08 from square
    assert turned(45.0, 0.3) and turned(45.0, 0.5)
    assert turned(-45.0, 0.5)  # either way


def test_the_shoulders_alone_can_say_how_far_a_body_is_turned() -> None:
    """Where the legs are cut off the hips' depths are guesses: a skeleton whose hips read a
    turn of 60 degrees and its shoulders none is turned by both together, not by the
    shoulders."""
    from detector.pose import SHOULDERS, TURN_WHEN_SQUARE, body_frame, clearly_turned

    square = turned_skeleton(float(np.degrees(np.arcsin(TURN_WHEN_SQUARE))))
    hips_turned = turned_skeleton(60.0)
    world = square.world.copy()
    world[[LEFT_HIP, RIGHT_HIP]] = hips_turned.world[[LEFT_HIP, RIGHT_HIP]]
    mixed = Pose(points=square.points, mask=None, world=world)
    frame = body_frame(mixed.points)
    assert clearly_turned(mixed, frame, 0.3)
    assert not clearly_turned(mixed, frame, 0.2, SHOULDERS)


@pytest.mark.parametrize("turn_deg", [0.0, 30.0, 60.0, 80.0])
def test_squareness_is_the_cosine_of_a_turn_about_the_spine(turn_deg: float) -> None:
    """A body of the renders' square-on proportions, turned about its vertical axis: its
    shoulders and hips shrink across by the cosine of the turn, and so does its squareness."""
    from detector.pose import SQUARE_HIPS_PER_TORSO, SQUARE_SHOULDERS_PER_TORSO, squareness

    torso = 200.0
    across = np.cos(np.radians(turn_deg)) * torso / 2.0
    points = np.zeros((33, 2))
    points[LEFT_SHOULDER] = (300.0 - across * SQUARE_SHOULDERS_PER_TORSO, 100.0)
    points[RIGHT_SHOULDER] = (300.0 + across * SQUARE_SHOULDERS_PER_TORSO, 100.0)
    points[LEFT_HIP] = (300.0 - across * SQUARE_HIPS_PER_TORSO, 100.0 + torso)
    points[RIGHT_HIP] = (300.0 + across * SQUARE_HIPS_PER_TORSO, 100.0 + torso)
    assert squareness(points) == pytest.approx(np.cos(np.radians(turn_deg)))
