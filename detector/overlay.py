"""Overlay drawing: the photo with the searched region, midline, dimples and grade."""

from __future__ import annotations

import cv2
import numpy as np

from detector.report import DimpleReport

REGION_COLOUR = (255, 200, 0)
MIDLINE_COLOUR = (0, 200, 255)
DIMPLE_COLOURS = {"left": (0, 255, 80), "right": (255, 60, 200)}


def draw_overlay(rgb: np.ndarray, report: DimpleReport) -> np.ndarray:
    """A copy of ``rgb`` (H, W, 3 uint8) with the report drawn on it; ``rgb`` may be the photo
    at a reduced size (the report's positions are scaled to it)."""
    canvas = np.ascontiguousarray(rgb.copy())
    height, width = canvas.shape[:2]
    to_canvas = width / report.image["width"] if report.image.get("width") else 1.0
    thickness = max(1, round(max(height, width) / 500))
    if report.geometry is not None:
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
    _draw_label(canvas, _label(report), thickness)
    return canvas


def _label(report: DimpleReport) -> str:
    if report.status != "ok":
        return report.status.replace("_", " ")
    return f"{report.prominence}  score {report.score:.2f}"


def _draw_label(canvas: np.ndarray, text: str, thickness: int) -> None:
    scale = max(0.5, canvas.shape[1] / 900)
    (text_w, text_h), baseline = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    pad = 6 * thickness
    cv2.rectangle(canvas, (0, 0), (text_w + 2 * pad, text_h + baseline + 2 * pad), (0, 0, 0), -1)
    cv2.putText(
        canvas,
        text,
        (pad, pad + text_h),
        cv2.FONT_HERSHEY_SIMPLEX,
        scale,
        (255, 255, 255),
        thickness,
        cv2.LINE_AA,
    )


def save_overlay(rgb: np.ndarray, report: DimpleReport, path: str) -> None:
    """Draw the overlay and write it to ``path`` (format from the extension, e.g. .png)."""
    from PIL import Image

    Image.fromarray(draw_overlay(rgb, report)).save(path)
