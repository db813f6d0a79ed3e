"""scripts/implant.py: dimples shaded into a photo, where the detector's body frame puts them."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import REPO, SAMPLES, load_script

from detector.pipeline import LEGS_CUT_EXTENT, POSE_EXTENT, _geometry
from detector.pose import BodyFrame
from detector.shading import LightHypothesis

implant = load_script("implant")


def test_a_pit_under_light_from_above_is_dark_above_and_light_below():
    top = LightHypothesis(*implant.TOP_LIGHT).vector()
    centre = np.array([[50.0, 50.0]])
    ratio = implant.shading_ratio((101, 101), centre, sigma_px=10.0, depth_px=5.0, light=top)
    assert ratio[40, 50] < 0.97 and ratio[60, 50] > 1.03  # upper wall faces away
    assert ratio[50, 40] == pytest.approx(ratio[50, 60])  # symmetric across
    flat = implant.shading_ratio((101, 101), centre, sigma_px=10.0, depth_px=0.0, light=top)
    assert np.allclose(flat, 1.0)
    frontal = implant.shading_ratio(
        (101, 101), centre, 10.0, 5.0, LightHypothesis(None, 0.0).vector()
    )
    assert frontal.max() <= 1.0 + 1e-9 and frontal.min() < 0.99


@pytest.mark.parametrize("extent", [POSE_EXTENT, LEGS_CUT_EXTENT])
def test_the_body_frame_is_recovered_from_the_reported_region(extent):
    up = np.array([0.2, -1.0]) / np.hypot(0.2, 1.0)
    frame = BodyFrame(
        origin=np.array([300.0, 400.0]), up=up, left=np.array([up[1], -up[0]]), hip_width=120.0
    )
    found = implant.frame_from_geometry(_geometry(frame, extent))
    assert found.hip_width == pytest.approx(frame.hip_width)
    assert np.allclose(found.origin, frame.origin)
    assert np.allclose(found.up, frame.up) and np.allclose(found.left, frame.left)


def test_dimples_shaded_into_a_back_without_them_are_found(detector):
    """The sample render without dimples: a 5 mm pair shaded in where its body frame puts the
    dimples is found there; the photo itself scores low."""
    from detector import load_image

    rgb = load_image(SAMPLES / "back_none.jpg").rgb
    report = detector.detect(rgb)
    assert report.status == "ok" and not report.present
    frame = implant.frame_from_geometry(report.geometry)
    with_pair = detector.detect(
        implant.implanted(rgb, frame, 5.0, 15.0, LightHypothesis(*implant.TOP_LIGHT).vector())
    )
    assert with_pair.present and with_pair.score > report.score
    expected = {frame.to_image(0.28, 0.55)[0], frame.to_image(-0.28, 0.55)[0]}
    found = sorted(d.x for d in with_pair.dimples)
    assert np.allclose(found, sorted(expected), atol=0.15 * 0.56 * frame.hip_width)


def test_the_script_runs_on_a_labelled_folder(tmp_path):
    """The command line on a folder of one photo: a line per depth and light."""
    import shutil

    shutil.copy(SAMPLES / "back_none.jpg", tmp_path / "back.jpg")
    labels = {"images": [{"file": "back.jpg", "lower_back": "bare"}]}
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    out = tmp_path / "scores.json"
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "implant.py"),
            str(tmp_path),
            "--labels",
            str(tmp_path / "labels.json"),
            "--depths",
            "0,5",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    scores = json.loads(out.read_text())[0]["scores"]
    assert scores["top 0 mm"] < 0.5 <= scores["top 5 mm"]
    assert "top 5 mm: present 1 of 1" in done.stdout
