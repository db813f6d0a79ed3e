"""The back-view decision: a face overrides a skeleton that faces away only when it looks
towards the camera; a person looking back over a shoulder stays a back view."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from detector.loading import load_image
from detector.pose import LEFT_HIP, LEFT_SHOULDER, RIGHT_HIP, RIGHT_SHOULDER, Face
from detector.view import (
    CONFIDENT_FACE,
    FACE_LANDMARKS,
    MAX_FACING_TURN,
    decide_view,
    face_turn,
    head_crop,
)

#: A full-body render of a person looking back over the right shoulder, the head turned 92
#: degrees (``python scripts/render.py --out DIR --n 48 --seed 26 --framings full_body
#: --variant looking_back``, image r00008); BlazeFace is confident of the profile (0.82).
LOOKING_BACK = (
    Path(__file__).resolve().parent / "data" / "renders" / "looking_back_over_shoulder.jpg"
)


def _keypoints(eyes_x: tuple[float, float], ears_x: tuple[float, float]) -> np.ndarray:
    """BlazeFace's six keypoints (right eye, left eye, nose, mouth, right ear, left ear)."""
    middle = sum(eyes_x) / 2.0
    return np.array(
        [
            [eyes_x[0], 50],
            [eyes_x[1], 50],
            [middle, 60],
            [middle, 70],
            [ears_x[0], 52],
            [ears_x[1], 52],
        ],
        dtype=np.float64,
    )


FRONTAL = Face(confidence=0.95, keypoints=_keypoints((40.0, 60.0), (20.0, 80.0)))
PROFILE = Face(confidence=0.95, keypoints=_keypoints((20.0, 30.0), (35.0, 75.0)))


def _skeleton_facing_away() -> np.ndarray:
    """Landmarks of a person seen from behind: their left shoulder and hip on the image's
    left, a head about 100 px wide above the shoulders."""
    points = np.zeros((33, 2))
    points[list(FACE_LANDMARKS)] = [100.0, 40.0] + np.linspace(-10.0, 10.0, len(FACE_LANDMARKS))[
        :, None
    ]
    points[LEFT_SHOULDER], points[RIGHT_SHOULDER] = (60.0, 80.0), (140.0, 80.0)
    points[LEFT_HIP], points[RIGHT_HIP] = (80.0, 200.0), (120.0, 200.0)
    return points


def test_face_turn_is_zero_for_a_frontal_face_and_large_for_a_profile():
    assert face_turn(FRONTAL) == 0.0
    assert face_turn(PROFILE) == 0.75 > MAX_FACING_TURN
    assert face_turn(Face(confidence=0.0, keypoints=None)) == 0.0


def test_only_a_face_towards_the_camera_overrides_a_skeleton_facing_away():
    points = _skeleton_facing_away()
    assert not decide_view(points, lambda: FRONTAL).is_back
    assert decide_view(points, lambda: PROFILE).is_back
    assert decide_view(points, lambda: None).is_back  # head too small to judge


def test_a_person_looking_back_over_a_shoulder_is_a_back_view(detector):
    rgb = load_image(LOOKING_BACK).rgb
    report = detector.detect(LOOKING_BACK)
    assert report.status == "ok"
    # What the decision rests on: a confident face, turned away from the camera.
    poses = detector._pose
    person = poses.find_people(rgb)[0]
    face = poses.find_face(head_crop(person.points, rgb))
    assert face.confidence >= CONFIDENT_FACE
    assert face_turn(face) > MAX_FACING_TURN
