"""Back-view decision: is the main person facing away from the camera?

MediaPipe always returns a face-forward skeleton, and on many real back views it mirrors the
person into a front-facing one (left and right swapped, face landmarks confident where there is
only the back of a head). Two kinds of evidence are combined:

1. handedness: in a back view the person's left shoulder and hip lie on the image's left;
2. a face: BlazeFace run on the head region that the landmarks point to, turned upright along
   the body's axis (it finds upright faces only) and scaled to the size it was trained on.
   The back of a head scores about 0.25-0.6, a face seen from the front or in three-quarter
   view 0.74-0.96 on the real photos in ../shared/data (one back of a head reached 0.76).

A confident face that looks towards the camera overrides a back-view skeleton (a profile is a
person looking back over a shoulder); a front-view skeleton is believed only when a face is at
least plausible, since a mirrored back view has no face to find.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from detector.pose import (
    FACE_LANDMARKS,
    LEFT_HIP,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SHOULDER_PAIR,
    Face,
    body_frame,
    span,
)

#: Side of the square head crop handed to the face detector, in pixels.
HEAD_CROP_SIDE = 192
#: Head crops smaller than this (half-side, in photo pixels) are too coarse to look for a face.
MIN_HEAD_HALF_SIDE = 12.0
#: Face confidence that overrides a back-view skeleton, and that confirms a front-view one.
CONFIDENT_FACE = 0.8
PLAUSIBLE_FACE = 0.6
#: A face over a skeleton that faces away overrides it only when turned less than this from
#: the camera (:func:`face_turn`): at 0.5 the nose tip reaches past an eye, about 50 degrees
#: of turn. Rendered people looking back over a shoulder measure 0.71-5.5 where BlazeFace is
#: confident of their profile (0.75-0.88), front renders 0.00-0.29, real front views up to
#: 1.17 with the head turned (their skeletons face the camera: the rule does not apply).
MAX_FACING_TURN = 0.5
#: Heads smaller than this (half-side, photo pixels) need CERTAIN_FACE to override.
SMALL_HEAD_HALF_SIDE = 40.0
CERTAIN_FACE = 0.9


@dataclass(frozen=True)
class ViewDecision:
    """Whether the person is seen from the back, and the evidence."""

    is_back: bool
    handedness_back: bool
    face: Face | None


def decide_view(points: np.ndarray, find_face: Callable[[], Face | None]) -> ViewDecision:
    """Decide back versus front view from landmarks ``(33, 2)`` and BlazeFace's face in the
    :func:`head_crop`, asked for only here, so that it can be found meanwhile; None when the
    head is too small to judge."""
    handed = handedness_says_back(points)
    face = find_face()
    if face is None:
        is_back = handed
    elif handed:
        # A head of a few dozen pixels, upscaled to the detector's size, can pass for a face:
        # then only a near-certain face overrides the skeleton. And a person who faces away
        # shows a face only turned over a shoulder, in profile or three-quarter view (the
        # neck turns about 80 degrees): only a face towards the camera overrides it.
        small = head_half_side(points) < SMALL_HEAD_HALF_SIDE
        confident = face.confidence >= (CERTAIN_FACE if small else CONFIDENT_FACE)
        is_back = not (confident and face_turn(face) <= MAX_FACING_TURN)
    else:
        is_back = face.confidence < PLAUSIBLE_FACE
    return ViewDecision(is_back=is_back, handedness_back=handed, face=face)


def face_turn(face: Face) -> float:
    """How far a face is turned from the camera: the offset of its nose tip from its eyes'
    midpoint over the eyes' distance. 0 faces the camera; beyond 0.5 the nose reaches past an
    eye, as it does in profile (the nose tip lies some 2.5 cm in front of the eyes, which are
    about 6.5 cm apart). 0 for no face."""
    if face.keypoints is None:
        return 0.0
    right_eye, left_eye, nose = face.keypoints[:3, 0]
    return abs(nose - (right_eye + left_eye) / 2.0) / max(abs(left_eye - right_eye), 1e-6)


def handedness_says_back(points: np.ndarray) -> bool:
    """True when the person's left shoulder and hip lie on the image's left of the spine."""
    image_left = body_frame(points).left
    hips = float((points[LEFT_HIP] - points[RIGHT_HIP]) @ image_left)
    shoulders = float((points[LEFT_SHOULDER] - points[RIGHT_SHOULDER]) @ image_left)
    # Shoulders are the wider, more reliable pair; hips break a tie.
    return shoulders + 0.5 * hips > 0


def head_half_side(points: np.ndarray) -> float:
    """Half the side of the square that holds the head, in photo pixels."""
    face = points[list(FACE_LANDMARKS)]
    return max(0.6 * span(points, SHOULDER_PAIR), 1.5 * float(np.ptp(face[:, 0])))


def head_crop(points: np.ndarray, rgb: np.ndarray) -> np.ndarray | None:
    """RGB square around the head, :data:`HEAD_CROP_SIDE` wide, turned so that the body's
    axis (hips to shoulders) points up, grey beyond the photo's edge; None when the head is
    too small in the photo to judge. BlazeFace finds upright faces only: a person lying down,
    leaning or upside down shows a face only once it is turned upright."""
    half = head_half_side(points)
    if half < MIN_HEAD_HALF_SIDE:
        return None
    frame = body_frame(points)
    scale = HEAD_CROP_SIDE / (2.0 * half)
    # Photo -> crop: the crop's x axis is the image's right of the spine, its y axis points
    # down the body; the nose lands at (0.5, 0.55) of the crop.
    axes = scale * np.array([-frame.left, -frame.up])
    offset = np.array([HEAD_CROP_SIDE / 2, 0.55 * HEAD_CROP_SIDE]) - axes @ points[NOSE]
    return cv2.warpAffine(
        rgb,
        np.column_stack([axes, offset]),
        (HEAD_CROP_SIDE, HEAD_CROP_SIDE),
        flags=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC,
        borderMode=cv2.BORDER_CONSTANT,
        borderValue=(128, 128, 128),
    )
