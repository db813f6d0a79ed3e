"""Procedurally shaded lower backs with dimples of known position, depth and size.

A height field (millimetres) of a lower back, a gently curved cylinder with a lumbar hollow,
gets Gaussian indentations at the dimple positions; it is shaded by Lambert's law under a
directional light plus ambient, with a mottled skin albedo and sensor noise. The body frame is
known exactly, so tests can run the shading and pairing stages without the pose model.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detector import anatomy
from detector.pose import BodyFrame

SKIN_RGB = np.array([205.0, 150.0, 125.0])


@dataclass(frozen=True)
class ShadedBack:
    """A rendered lower back: the image, its body frame and the true dimple centres (x, y)."""

    rgb: np.ndarray
    frame: BodyFrame
    dimples: dict[str, np.ndarray]


def shaded_back(
    depth_mm: float,
    *,
    sigma_mm: float = 7.0,
    light_elevation_deg: float = 50.0,
    light_azimuth_deg: float = 0.0,
    ambient: float = 0.25,
    noise: float = 0.01,
    seed: int = 0,
    size: int = 480,
    hip_width_px: float = 300.0,
    grooves: tuple[tuple[float, float], ...] = (),
) -> ShadedBack:
    """Render a lower back seen from behind with two dimples of ``depth_mm`` (0: none).

    The light's elevation is measured from the camera axis towards the head (90: grazing
    from above); its azimuth turns it towards the person's left (image left). ``grooves``:
    valleys along the midline, each ``(bottom, top)`` in millimetres above the hip line (a
    gluteal cleft rises from below the image, the spine's groove runs above the dimples).
    """
    rng = np.random.default_rng(seed)
    frame = BodyFrame(
        origin=np.array([size / 2.0, size * 0.8]),
        up=np.array([0.0, -1.0]),
        left=np.array([-1.0, 0.0]),
        hip_width=hip_width_px,
    )
    mm_per_px = anatomy.HIP_WIDTH_MM / hip_width_px
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float64)
    x_mm = (xs - frame.origin[0]) * mm_per_px
    y_mm = (frame.origin[1] - ys) * mm_per_px  # up is positive
    height = -(x_mm**2) / (2 * 260.0) + 12.0 * np.exp(-((y_mm - 40.0) ** 2) / (2 * 90.0**2))
    dimples = {}
    for side, lateral in (
        ("left", anatomy.DIMPLE_HALF_SPACING),
        ("right", -anatomy.DIMPLE_HALF_SPACING),
    ):
        centre = frame.to_image(lateral, anatomy.DIMPLE_HEIGHT)
        dimples[side] = centre
        r2 = ((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) * mm_per_px**2
        height -= depth_mm * np.exp(-r2 / (2 * sigma_mm**2))
    for bottom, top in grooves:
        # 20 mm deep and narrow (its walls steep and dark), fading out over 10 mm at either end.
        along = np.clip(np.minimum(y_mm - bottom, top - y_mm) / 10.0, 0.0, 1.0)
        height -= 20.0 * along * np.exp(-(x_mm**2) / (2 * 2.5**2))
    # Surface normal of z = height(x, y) with image y pointing down; camera looks along -z.
    dz_dy_up, dz_dx = np.gradient(height, -mm_per_px, mm_per_px)
    normal = np.stack([-dz_dx, -dz_dy_up, np.ones_like(height)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    elevation, azimuth = np.radians(light_elevation_deg), np.radians(light_azimuth_deg)
    light = np.array(
        [
            -np.sin(elevation) * np.sin(azimuth),
            np.sin(elevation) * np.cos(azimuth),
            np.cos(elevation),
        ]
    )
    lambert = np.clip(normal @ light, 0.0, None)
    mottle = cv2.GaussianBlur(rng.normal(0.0, 1.0, (size, size)), (0, 0), 6.0)
    albedo = 1.0 + 0.04 * mottle / (mottle.std() + 1e-9)
    shade = albedo * (ambient + (1.0 - ambient) * lambert)
    rgb = SKIN_RGB * shade[..., None] + rng.normal(0.0, 255.0 * noise, (size, size, 3))
    return ShadedBack(rgb=np.clip(rgb, 0, 255).astype(np.uint8), frame=frame, dimples=dimples)
