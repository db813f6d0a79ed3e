"""Back-view decision: is the main person facing away from the camera?

MediaPipe always returns a face-forward skeleton, and on many real back views it mirrors the
person into a front-facing one (left and right swapped, face landmarks confident where there is
only the back of a head). Two kinds of evidence are combined:

1. handedness: in a back view the person's left shoulder and hip lie on the image's left;
2. a face: OpenCV's frontal and profile face cascades, run on the head region that the
   landmarks point to, upscaled to the cascades' working size. A face means a front view
   whatever the skeleton's handedness says.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import cv2
import numpy as np

from detector.pose import (
    FACE_LANDMARKS,
    LEFT_HIP,
    LEFT_SHOULDER,
    NOSE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
)

#: Side of the square head crop handed to the cascades, in pixels.
HEAD_CROP_SIDE = 160


@dataclass(frozen=True)
class ViewDecision:
    """Whether the person is seen from the back, and the evidence."""

    is_back: bool
    handedness_back: bool
    face_found: bool


def decide_view(points: np.ndarray, rgb: np.ndarray) -> ViewDecision:
    """Decide back versus front view from landmarks ``(33, 2)`` and the image."""
    handed = handedness_says_back(points)
    face = face_visible(points, rgb)
    return ViewDecision(is_back=handed and not face, handedness_back=handed, face_found=face)


def handedness_says_back(points: np.ndarray) -> bool:
    """True when the person's left shoulder and hip lie on the image's left of the spine."""
    origin = (points[LEFT_HIP] + points[RIGHT_HIP]) / 2.0
    up = (points[LEFT_SHOULDER] + points[RIGHT_SHOULDER]) / 2.0 - origin
    image_left = np.array([up[1], -up[0]])
    hips = float((points[LEFT_HIP] - points[RIGHT_HIP]) @ image_left)
    shoulders = float((points[LEFT_SHOULDER] - points[RIGHT_SHOULDER]) @ image_left)
    # Shoulders are the wider, more reliable pair; hips break a tie.
    return shoulders + 0.5 * hips > 0


def face_visible(points: np.ndarray, rgb: np.ndarray) -> bool:
    """Whether a frontal or profile face shows in the head region the landmarks point to."""
    crop = head_crop(points, rgb)
    if crop is None:
        return False
    frontal, profile = _cascades()
    min_side = HEAD_CROP_SIDE // 5
    for image in (crop, cv2.flip(crop, 1)):
        for cascade in (frontal, profile):
            faces = cascade.detectMultiScale(image, 1.1, 4, minSize=(min_side, min_side))
            if len(faces):
                return True
    return False


def head_crop(points: np.ndarray, rgb: np.ndarray) -> np.ndarray | None:
    """Equalised grey square around the head, :data:`HEAD_CROP_SIDE` wide; None if off-image."""
    height, width = rgb.shape[:2]
    face = points[list(FACE_LANDMARKS)]
    shoulder_width = float(np.linalg.norm(points[LEFT_SHOULDER] - points[RIGHT_SHOULDER]))
    half = max(0.6 * shoulder_width, 1.5 * float(np.ptp(face[:, 0])), 8.0)
    centre_x, centre_y = points[NOSE]
    x0, x1 = int(max(0, centre_x - half)), int(min(width, centre_x + half))
    y0, y1 = int(max(0, centre_y - 1.2 * half)), int(min(height, centre_y + half))
    if x1 - x0 < 8 or y1 - y0 < 8:
        return None
    grey = cv2.cvtColor(rgb[y0:y1, x0:x1], cv2.COLOR_RGB2GRAY)
    scale = HEAD_CROP_SIDE / max(grey.shape)
    grey = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    return cv2.equalizeHist(grey)


@cache
def _cascades() -> tuple[cv2.CascadeClassifier, cv2.CascadeClassifier]:
    """OpenCV's bundled frontal and profile face cascades, loaded once per process."""
    folder = cv2.data.haarcascades
    return (
        cv2.CascadeClassifier(folder + "haarcascade_frontalface_alt2.xml"),
        cv2.CascadeClassifier(folder + "haarcascade_profileface.xml"),
    )
