"""Fallback stage: find a bare back without a pose (lower-back close-ups, headless torsos).

MediaPipe's pose detector anchors on the face, so photos without a head get no pose. Here the
back itself is found instead, on the assumption people make such photos upright:

1. skin: the largest skin-coloured component of the photo (YCrCb rule), at most 512 px wide;
2. the skin must form one solid shape (not, say, beige pavement around a crowd);
3. the torso in each row: the skin run through the component's median column, which leaves
   out arms that hang apart from the body;
4. midline: the median centre of those runs; scale: the median run width is the width of the
   back, about 1.6 hip widths (waist about 30 cm, MediaPipe's hip landmarks about 19 cm apart);
   when the back is wider than the photo the photo's width is used, a lower bound;
5. the searched region spans the whole torso height, since the hip line is unknown; the
   pairing then judges symmetry and spacing, not height.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detector.pose import BodyFrame
from detector.shading import RegionExtent, skin_pixels

#: Width of the mask analysis image, in pixels.
ANALYSIS_WIDTH = 512
#: The torso must cover at least this fraction of the photo.
MIN_SKIN_FRACTION = 0.12
#: Hip width (MediaPipe landmark distance) over the width of the lower back.
HIP_WIDTH_PER_BACK_WIDTH = 0.62
#: A torso is one solid shape: its area is at least this share of its convex hull (0.69 or
#: more on the close-up renders, 0.81 or more on the real bare backs; skin-coloured pavement
#: around a crowd, 0.37).
MIN_SOLIDITY = 0.5
#: The longest region searched, in hip widths.
MAX_REGION_HEIGHT = 3.0


@dataclass(frozen=True)
class BackEstimate:
    """A back found without pose: its frame (hip line at the bottom of the torso) and the
    extent of the region to search."""

    frame: BodyFrame
    extent: RegionExtent


def find_back(rgb: np.ndarray) -> BackEstimate | None:
    """Estimate the midline and scale of an upright bare back; None when there is none."""
    width = rgb.shape[1]
    scale = min(1.0, ANALYSIS_WIDTH / width)
    small = cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    skin = skin_pixels(small).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(skin, connectivity=8)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    if stats[largest, cv2.CC_STAT_AREA] < MIN_SKIN_FRACTION * skin.size:
        return None
    body = labels == largest
    if _solidity(body) < MIN_SOLIDITY:
        return None
    column = int(np.median(np.nonzero(body)[1]))
    rows = np.nonzero(body[:, column])[0]
    if rows.size < 0.2 * body.shape[0]:
        return None
    centres, widths = [], []
    for row in rows:
        left, right = _run_around(body[row], column)
        centres.append((left + right) / 2.0)
        widths.append(right - left + 1)
    midline_x = float(np.median(centres)) / scale
    back_width = max(float(np.median(widths)), 0.0) / scale
    hip_width = HIP_WIDTH_PER_BACK_WIDTH * min(back_width, width)
    if hip_width < 1.0:
        return None
    top, bottom = float(rows.min()) / scale, float(rows.max() + 1) / scale
    frame = BodyFrame(
        origin=np.array([midline_x, bottom]),
        up=np.array([0.0, -1.0]),
        left=np.array([-1.0, 0.0]),  # an upright back view: the person's left is image left
        hip_width=hip_width,
    )
    above = min((bottom - top) / hip_width, MAX_REGION_HEIGHT)
    return BackEstimate(frame=frame, extent=RegionExtent(below=0.0, above=above))


def _solidity(mask: np.ndarray) -> float:
    """Area of a region over the area of its convex hull."""
    outline = cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    contours, _ = cv2.findContours(mask.astype(np.uint8), *outline)
    hull = cv2.convexHull(np.vstack(contours))
    return float(mask.sum()) / max(cv2.contourArea(hull), 1.0)


def _run_around(row: np.ndarray, column: int) -> tuple[int, int]:
    """First and last index of the run of True values in ``row`` that contains ``column``."""
    falses = np.nonzero(~row)[0]
    left = falses[falses < column]
    right = falses[falses > column]
    return (
        int(left.max()) + 1 if left.size else 0,
        int(right.min()) - 1 if right.size else row.size - 1,
    )
