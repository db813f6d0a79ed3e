"""Tests of scripts/bench.py's own machinery (no timing is asserted: figures come from running
the script, never from tests)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from conftest import load_script
from PIL import Image

from detector.loading import load_image

bench = load_script("bench")


def test_stage_clock_counts_nested_time_only_in_the_inner_stage():
    clock = bench.StageClock()
    with clock.measure("outer"):
        time.sleep(0.02)
        with clock.measure("inner"):
            time.sleep(0.05)
    totals = clock.take()
    assert 0.015 < totals["outer"] < 0.045
    assert totals["inner"] >= 0.05
    assert clock.take() == {}


def test_stage_hooks_time_the_pipeline_functions_and_restore_them():
    import detector.pipeline
    from detector.pose import PoseEstimator

    originals = (detector.pipeline.best_pair, PoseEstimator.find_people)
    clock = bench.StageClock()
    with bench.stage_hooks(clock) as missing:
        assert detector.pipeline.best_pair is not originals[0]
        assert PoseEstimator.find_people is not originals[1]
    assert (detector.pipeline.best_pair, PoseEstimator.find_people) == originals
    # Public stage functions must exist: a renamed one would silently move its time to "other".
    assert all(name.rsplit(".", 1)[-1].startswith("_") for name in missing), missing


def test_image_set_keeps_proportions_and_stores_phone_photos_rotated(tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "SIZES", {"small": (120, 160), "phone": (300, 400)})
    monkeypatch.setattr(bench, "PHONE_STORED", frozenset({"phone"}))
    sample = tmp_path / "render.png"
    pixels = np.full((80, 50, 3), 40, np.uint8)  # a tall render: padded left and right
    pixels[:8, :8] = (255, 0, 0)
    Image.fromarray(pixels).save(sample)
    photos = bench.make_image_set([sample], tmp_path / "out")
    small, phone = photos["small"][0], photos["phone"][0]
    assert Image.open(small).size == (120, 160)
    assert Image.open(phone).size == (400, 300)  # stored landscape, EXIF orientation 6
    upright = load_image(phone).rgb
    assert upright.shape == (400, 300, 3)
    # The red corner of the render is at the top-left of the figure once displayed: the figure
    # is 250 px wide, centred, so it starts at column 25.
    assert upright[10, 30, 0] > 200 and upright[10, 30, 1] < 80
    assert upright[390, 270, 0] < 80


def test_targets_are_checked_against_their_limits():
    detect = {"over_floor": {"median": 1.1}, "after_pose_over_pose": {"median": 0.1}}
    results = {
        "images": {
            "12MP": {"detect": {"over_floor": {"median": 0.9}}},
            "1080p": {"detect": detect},
        },
        "batch": [
            {"workers": 1, "images_per_s_steady": 10.0, "peak_rss_per_worker_mb": 300.0},
            {"workers": 2, "images_per_s_steady": 16.0, "peak_rss_per_worker_mb": 450.0},
        ],
        "cold_start": {"1080p": {"median_s": 1.5}},
    }
    targets = bench.check_targets(results)
    met = {key: row["met"] for key, row in targets.items()}
    assert met == {
        "detect_over_floor_12MP": True,
        "detect_over_floor_1080p": True,
        "after_pose_over_pose_1080p": True,
        "two_worker_speedup": False,  # 1.6 x
        "peak_rss_per_worker_mb": False,
        "cold_start_s": True,
    }
    assert targets["two_worker_speedup"]["value"] == pytest.approx(1.6)


def test_a_failed_batch_leaves_its_targets_unmeasured():
    results = {
        "images": {},
        "batch": [{"workers": 1, "error": "detector.batch.detect_batch unavailable"}],
        "cold_start": {},
    }
    targets = bench.check_targets(results)
    assert all(row["met"] is None for row in targets.values())
