"""The bundled models are the exact files scripts/build_pose_model.py rebuilds."""

import hashlib
import importlib.util
from pathlib import Path

from detector.pose import FACE_MODEL, POSE_MODEL, bundled_model

REPO = Path(__file__).resolve().parents[1]


def _build_script():
    spec = importlib.util.spec_from_file_location("build", REPO / "scripts" / "build_pose_model.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pose_bundle_matches_the_documented_sha256():
    digest = hashlib.sha256(bundled_model(POSE_MODEL).read_bytes()).hexdigest()
    assert digest == "67d87ec1d3d9139f2d113ac8e900c601ea3d36c2b10eec6d38034a619692c966"
    assert digest == _build_script().EXPECTED_SHA256


def test_face_model_matches_the_build_script():
    digest = hashlib.sha256(bundled_model(FACE_MODEL).read_bytes()).hexdigest()
    assert digest == _build_script().FACE_SHA256


def test_bundle_layout_is_aligned_and_stored():
    import zipfile

    with zipfile.ZipFile(bundled_model(POSE_MODEL)) as bundle:
        infos = bundle.infolist()
    assert [i.filename for i in infos] == ["pose_detector.tflite", "pose_landmarks_detector.tflite"]
    assert all(i.compress_type == zipfile.ZIP_STORED for i in infos)
