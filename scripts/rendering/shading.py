"""Lighting (wrapped Lambert + Blinn-Phong, shadow map), backgrounds and camera post-processing."""

from __future__ import annotations

import io
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageFilter

from .raster import orthographic_basis, rasterize


@dataclass(frozen=True)
class Light:
    """A directional key light plus ambient and a weak fill.

    Attributes:
        direction: unit vector from the surface towards the key light, shape (3,).
        intensity: key light strength.
        ambient: ambient strength.
        fill_direction: unit vector towards the fill light, shape (3,).
        fill: fill light strength.
        color: RGB tint of the key light, shape (3,).
    """

    direction: np.ndarray
    intensity: float
    ambient: float
    fill_direction: np.ndarray
    fill: float
    color: np.ndarray


def light_direction(azimuth_deg: float, elevation_deg: float, facing: np.ndarray) -> np.ndarray:
    """Unit vector towards a light at `azimuth_deg` (about Z, from `facing`), `elevation_deg` up."""
    az, el = np.deg2rad(azimuth_deg), np.deg2rad(elevation_deg)
    f = np.array([facing[0], facing[1], 0.0]) / np.linalg.norm(facing[:2])
    side = np.array([-f[1], f[0], 0.0])
    d = np.cos(el) * (np.cos(az) * f + np.sin(az) * side) + np.array([0.0, 0.0, np.sin(el)])
    return d / np.linalg.norm(d)


@dataclass(frozen=True)
class ShadowMap:
    """Orthographic depth map seen from a directional light."""

    basis: np.ndarray
    origin: np.ndarray
    scale: float
    depth: np.ndarray


def build_shadow_map(
    vertices: np.ndarray, faces: np.ndarray, direction: np.ndarray, size: int, receivers: np.ndarray
) -> ShadowMap:
    """Render the mesh depth as seen from a directional light towards `direction`.

    The map covers only the light-space footprint of `receivers` (the points that
    will be looked up), so close-ups get a proportionally finer map.
    """
    basis = orthographic_basis(-direction)
    local = vertices @ basis.T
    footprint = receivers @ basis[:2].T
    lo = footprint.min(axis=0) - 0.02
    span = float((footprint.max(axis=0) + 0.02 - lo).max())
    scale = size / span
    xy = (local[:, :2] - lo) * scale
    frags = rasterize(xy, local[:, 2], faces, size, size, perspective=False, cull_backfaces=False)
    return ShadowMap(basis, lo, scale, frags.depth)


def shadow_factor(
    smap: ShadowMap, points: np.ndarray, normals: np.ndarray, bias: float = 0.004
) -> np.ndarray:
    """Fraction (N,) of the key light reaching each point, 3x3 percentage-closer filtered."""
    local = (points + normals * bias) @ smap.basis.T
    xy = (local[:, :2] - smap.origin) * smap.scale - 0.5
    size = smap.depth.shape[0]
    lit = np.zeros(len(points))
    for dy in (-1.5, 0.0, 1.5):
        for dx in (-1.5, 0.0, 1.5):
            col = np.clip(np.rint(xy[:, 0] + dx).astype(int), 0, size - 1)
            row = np.clip(np.rint(xy[:, 1] + dy).astype(int), 0, size - 1)
            lit += local[:, 2] <= smap.depth[row, col] + bias
    return lit / 9.0


#: The skin's usual sheen: Blinn-Phong strength (of the key light) and exponent.
SKIN_SPECULAR = 0.06
SKIN_SHININESS = 16.0


def shade(
    albedo: np.ndarray,
    normals: np.ndarray,
    view_dirs: np.ndarray,
    light: Light,
    shadow: np.ndarray,
    specular: float = SKIN_SPECULAR,
    shininess: float = SKIN_SHININESS,
    wrap: float = 0.15,
) -> np.ndarray:
    """Linear RGB radiance (N, 3) of skin-like surfaces.

    Wrapped Lambert softens the terminator (a cheap stand-in for subsurface
    scattering); Blinn-Phong adds a weak sheen.
    """
    ndl = normals @ light.direction
    diffuse = np.clip((ndl + wrap) / (1.0 + wrap), 0.0, None)
    half = view_dirs + light.direction
    half /= np.maximum(np.linalg.norm(half, axis=1, keepdims=True), 1e-12)
    spec = specular * np.clip(np.sum(normals * half, axis=1), 0.0, None) ** shininess * (ndl > 0)
    fill = light.fill * np.clip(normals @ light.fill_direction, 0.0, None)
    key = light.intensity * shadow * diffuse
    rgb = albedo * (light.ambient + key[:, None] * light.color + fill[:, None])
    return rgb + (light.intensity * shadow * spec)[:, None] * light.color


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear [0, 1] to sRGB-encoded [0, 1]."""
    x = np.clip(x, 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x, 1.055 * np.power(x, 1 / 2.4) - 0.055)


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded [0, 1] to linear [0, 1]."""
    x = np.asarray(x, float)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4)


def value_noise(rng: np.random.Generator, height: int, width: int, cells: int) -> np.ndarray:
    """Smooth noise in [0, 1] of shape (H, W) from a bicubically upsampled random grid."""
    grid = rng.random((cells + 1, max(2, int(cells * width / height) + 1))).astype(np.float32)
    img = Image.fromarray(grid, mode="F").resize((width, height), Image.BICUBIC)
    return np.clip(np.asarray(img, float), 0.0, 1.0)


#: The uniform backgrounds of a renderer's empty world (sRGB grey levels).
WORLD_SRGB = {"black": 0.02, "white": 0.98, "grey": 0.5}


def background(rng: np.random.Generator, height: int, width: int, kind: str) -> np.ndarray:
    """Linear RGB background (H, W, 3): 'plain', 'gradient', 'noise' or 'stripes', or a
    renderer's empty world: 'black' (sRGB 0.02), 'white' (0.98) or 'grey' (0.5)."""
    c1 = srgb_to_linear(rng.uniform(0.25, 0.95, 3))
    c2 = srgb_to_linear(rng.uniform(0.1, 0.9, 3))
    if kind in WORLD_SRGB:
        return np.full((height, width, 3), srgb_to_linear(np.array(WORLD_SRGB[kind])))
    if kind == "plain":
        t = np.zeros((height, width))
    elif kind == "gradient":
        t = np.repeat(np.linspace(0.0, 1.0, height)[:, None], width, axis=1)
    elif kind == "noise":
        t = 0.6 * value_noise(rng, height, width, int(rng.integers(3, 12))) + 0.4 * value_noise(
            rng, height, width, int(rng.integers(30, 80))
        )
    else:
        period = rng.uniform(0.03, 0.2) * width
        phase = np.arange(width) / period + rng.random()
        t = np.repeat((0.5 + 0.5 * np.sin(2 * np.pi * phase))[None, :] ** 3, height, axis=0)
        t = 0.8 * t + 0.2 * value_noise(rng, height, width, 20)
    return c1 * (1 - t[..., None]) + c2 * t[..., None]


def postprocess(
    rng: np.random.Generator, srgb: np.ndarray, blur: float, noise: float, quality: int
) -> bytes:
    """Blur, add sensor noise and JPEG-encode an sRGB float image (H, W, 3) in [0, 1]."""
    img = Image.fromarray(np.clip(np.rint(srgb * 255), 0, 255).astype(np.uint8))
    if blur > 0:
        img = img.filter(ImageFilter.GaussianBlur(blur))
    arr = np.asarray(img, float)
    arr += rng.normal(0.0, noise, arr.shape)
    img = Image.fromarray(np.clip(np.rint(arr), 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=int(quality))
    return buf.getvalue()
