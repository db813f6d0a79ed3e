"""The bundled models are the exact files scripts/build_pose_model.py rebuilds."""

import hashlib
import zipfile
from pathlib import Path

from conftest import load_script

from detector.pose import FACE_MODEL, POSE_MODEL, bundled_model

REPO = Path(__file__).resolve().parents[1]


build_script = load_script("build_pose_model")


def test_pose_bundle_matches_the_documented_sha256():
    digest = hashlib.sha256(bundled_model(POSE_MODEL).read_bytes()).hexdigest()
    assert digest == "67d87ec1d3d9139f2d113ac8e900c601ea3d36c2b10eec6d38034a619692c966"
    assert digest == build_script.EXPECTED_SHA256


def test_face_model_matches_the_build_script():
    digest = hashlib.sha256(bundled_model(FACE_MODEL).read_bytes()).hexdigest()
    assert digest == build_script.FACE_SHA256


def test_bundle_layout_is_aligned_and_stored():

    with zipfile.ZipFile(bundled_model(POSE_MODEL)) as bundle:
        infos = bundle.infolist()
    assert [i.filename for i in infos] == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)


def test_wheel_carries_the_models(tmp_path):
    """A wheel built from the repo holds both models inside the package, where
    bundled_model() looks first."""
    import subprocess
    import sys

    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q", "-w", str(tmp_path)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"detector/models/{POSE_MODEL}", f"detector/models/{FACE_MODEL}"} <= names
