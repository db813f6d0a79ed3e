"""The pose stage's background thread: the pose model's retry and BlazeFace run beside the
caller's own work, and give the same answers as when run in turn."""

from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest
from conftest import SAMPLES

import detector.pipeline as detector_pipeline
from detector.loading import load_image
from detector.pose import PoseEstimator
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
