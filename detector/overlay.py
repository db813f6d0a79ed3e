"""Overlay drawing: the photo with the searched region, midline, dimples and grade."""

from __future__ import annotations

import os
from dataclasses import dataclass

import cv2
import numpy as np

from detector.report import DimpleReport

REGION_COLOUR = (255, 200, 0)
MIDLINE_COLOUR = (0, 200, 255)
DIMPLE_COLOURS = {"left": (0, 255, 80), "right": (255, 60, 200)}
#: A region that would be magnified at least this much to fill the inset gets one: the lower
#: back of a whole body is a few dozen pixels wide, where the markers hide what they mark.
MIN_INSET_ZOOM = 2.0
#: The inset's longer side, as a share of the photo's shorter side, and its largest zoom.
INSET_SIDE_SHARE = 0.4
MAX_INSET_ZOOM = 6.0
#: Photo shown round the region in the inset, as a share of the region's size on each side.
INSET_CONTEXT = 0.15


@dataclass(frozen=True)
class Inset:
    """Where the region's magnified view goes: ``source`` (x0, y0, x1, y1) in the canvas is
    drawn enlarged ``zoom`` times at ``target`` (x0, y0, x1, y1)."""

    source: tuple[int, int, int, int]
    target: tuple[int, int, int, int]
    zoom: float


def inset_for(
    region_corners: np.ndarray, canvas_shape: tuple[int, ...], label_height: int
) -> Inset | None:
    """Where a magnified view of the region (``region_corners`` in canvas pixels) fits in a
    corner of the canvas, below the label's band and clear of the region itself; None when the
    region is large enough as drawn, or no corner is free."""
    height, width = canvas_shape[:2]
    low, high = region_corners.min(axis=0), region_corners.max(axis=0)
    margin = INSET_CONTEXT * (high - low)
    x0, y0 = np.maximum(np.floor(low - margin), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(high + margin), (width, height)).astype(int)
    if x1 - x0 < 2 or y1 - y0 < 2:
        return None
    zoom = min(INSET_SIDE_SHARE * min(height, width) / max(x1 - x0, y1 - y0), MAX_INSET_ZOOM)
    if zoom < MIN_INSET_ZOOM:
        return None
    inset_w, inset_h = round((x1 - x0) * zoom), round((y1 - y0) * zoom)
    gap = max(2, round(0.01 * min(height, width)))
    corners = (  # top right, bottom right, bottom left: the label holds the top left
        (width - gap - inset_w, label_height + gap),
        (width - gap - inset_w, height - gap - inset_h),
        (gap, height - gap - inset_h),
    )
    centre = 0.5 * (low + high)
    for left, top in sorted(
        corners,
        key=lambda c: -np.hypot(c[0] + inset_w / 2 - centre[0], c[1] + inset_h / 2 - centre[1]),
    ):
        target = (left, top, left + inset_w, top + inset_h)
        clear = target[0] > x1 or target[2] < x0 or target[1] > y1 or target[3] < y0
        if left >= 0 and top >= label_height and target[3] <= height and clear:
            return Inset((x0, y0, x1, y1), target, zoom)
    return None


def draw_overlay(rgb: np.ndarray, report: DimpleReport) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3 uint8) with the report drawn on it; ``rgb`` may be the photo
    at a reduced size (the report's positions are scaled to it)."""
    canvas = np.ascontiguousarray(rgb.copy())
    height, width = canvas.shape[:2]
    to_canvas = width / report.image["width"] if report.image.get("width") else 1.0
    thickness = max(1, round(max(height, width) / 500))
    label = _label_layout(_label(report), width, thickness)
    inset = None
    if report.geometry is not None:
        inset = inset_for(report.geometry.region_corners * to_canvas, canvas.shape, label.band)
        corners = np.round(report.geometry.region_corners * to_canvas).astype(np.int32)
        cv2.polylines(canvas, [corners], True, REGION_COLOUR, thickness, cv2.LINE_AA)
        start, end = np.round(report.geometry.midline * to_canvas).astype(np.int32)
        cv2.line(
            canvas,
            tuple(map(int, start)),
            tuple(map(int, end)),
            MIDLINE_COLOUR,
            thickness,
            cv2.LINE_AA,
        )
    for dimple in report.dimples:
        centre = (round(dimple.x * to_canvas), round(dimple.y * to_canvas))
        radius = max(3, round(dimple.radius * to_canvas))
        colour = DIMPLE_COLOURS[dimple.side]
        cv2.circle(canvas, centre, radius, colour, thickness + 1, cv2.LINE_AA)
        cv2.circle(canvas, centre, max(1, thickness), colour, -1, cv2.LINE_AA)
    if inset is not None:
        _draw_inset(canvas, rgb, inset, report, to_canvas, thickness)
    _draw_label(canvas, label, thickness)
    return canvas


def _draw_inset(
    canvas: np.ndarray,
    photo: np.ndarray,
    inset: Inset,
    report: DimpleReport,
    to_canvas: float,
    thickness: int,
) -> None:
    """The region magnified from the undrawn ``photo`` into ``inset.target``, framed, with
    thin rings round the dimples (no dot on them: the enlargement shows what was found)."""
    x0, y0, x1, y1 = inset.source
    left, top, right, bottom = inset.target
    canvas[top:bottom, left:right] = cv2.resize(
        np.ascontiguousarray(photo[y0:y1, x0:x1]),
        (right - left, bottom - top),
        interpolation=cv2.INTER_CUBIC,
    )
    for dimple in report.dimples:
        centre = (
            round(left + (dimple.x * to_canvas - x0) * inset.zoom),
            round(top + (dimple.y * to_canvas - y0) * inset.zoom),
        )
        radius = max(4, round(dimple.radius * to_canvas * inset.zoom))
        cv2.circle(canvas, centre, radius, DIMPLE_COLOURS[dimple.side], thickness, cv2.LINE_AA)
    cv2.rectangle(canvas, (left, top), (right - 1, bottom - 1), REGION_COLOUR, thickness)


def _label(report: DimpleReport) -> str:
    if report.status != "ok":
        return report.status.replace("_", " ")
    return f"{report.prominence}  score {report.score:.2f}"


@dataclass(frozen=True)
class LabelLayout:
    """The grade's label as drawn at the top left: its text, font scale, text size, padding
    and the height of its black band."""

    text: str
    scale: float
    text_width: int
    text_height: int
    pad: int
    band: int


def _label_layout(text: str, width: int, thickness: int) -> LabelLayout:
    """How ``text`` is laid out on a canvas ``width`` pixels wide."""
    scale = max(0.5, width / 900)
    (text_w, text_h), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = 6 * thickness
    return LabelLayout(text, scale, text_w, text_h, pad, text_h + baseline + 2 * pad)


def _draw_label(canvas: np.ndarray, label: LabelLayout, thickness: int) -> None:
    """Draw the label in white on its black band."""
    cv2.rectangle(canvas, (0, 0), (label.text_width + 2 * label.pad, label.band), (0, 0, 0), -1)
    cv2.putText(
        canvas,
        label.text,
        (label.pad, label.pad + label.text_height),
        cv2.FONT_HERSHEY_SIMPLEX,
        label.scale,
        (255, 255, 255),
        thickness,
        cv2.LINE_AA,
    )


def can_save_overlay(path: str) -> bool:
    """Whether :func:`save_overlay` can write ``path``: its extension names an image format
    Pillow writes (.png, .jpg, .webp...)."""
    from PIL import Image

    image_format = Image.registered_extensions().get(os.path.splitext(path)[1].lower())
    return image_format in Image.SAVE


def save_overlay(rgb: np.ndarray, report: DimpleReport, path: str) -> None:
    """Draw the overlay and write it to ``path`` (format from the extension, e.g. .png)."""
    from PIL import Image

    Image.fromarray(draw_overlay(rgb, report)).save(path)
