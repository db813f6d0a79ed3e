"""Pure-numpy triangle rasteriser: cameras, projection and a z-buffer.

Conventions: world coordinates in metres, Z up. Image pixel (col, row) covers
[col, col+1) x [row, row+1); its centre is at (col + 0.5, row + 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_MAX_FRAGMENTS_PER_CHUNK = 2_000_000


@dataclass(frozen=True)
class Camera:
    """A pinhole camera.

    Attributes:
        position: camera centre in world coordinates, shape (3,).
        rotation: world-to-camera rotation (rows: right, down, forward), shape (3, 3).
        focal_px: focal length in pixels.
        width: image width in pixels.
        height: image height in pixels.
        cx: principal point column.
        cy: principal point row.
    """

    position: np.ndarray
    rotation: np.ndarray
    focal_px: float
    width: int
    height: int
    cx: float
    cy: float

    def scaled(self, factor: int) -> Camera:
        """Return the same camera with an image `factor` times larger (supersampling)."""
        return Camera(
            self.position,
            self.rotation,
            self.focal_px * factor,
            self.width * factor,
            self.height * factor,
            self.cx * factor,
            self.cy * factor,
        )


def look_at_rotation(
    eye: np.ndarray, target: np.ndarray, up: np.ndarray, roll_deg: float = 0.0
) -> np.ndarray:
    """World-to-camera rotation for a camera at `eye` looking at `target`.

    Rows of the result are the camera's right, down and forward axes in world
    coordinates, so image x grows to the right and image y downwards.
    """
    forward = np.asarray(target, float) - np.asarray(eye, float)
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    right /= np.linalg.norm(right)
    down = np.cross(forward, right)
    roll = np.deg2rad(roll_deg)
    right, down = (
        np.cos(roll) * right + np.sin(roll) * down,
        -np.sin(roll) * right + np.cos(roll) * down,
    )
    return np.stack([right, down, forward])


def make_camera(
    eye: np.ndarray,
    target: np.ndarray,
    focal_px: float,
    width: int,
    height: int,
    roll_deg: float = 0.0,
) -> Camera:
    """Build a Z-up camera looking at `target`, principal point at the image centre."""
    rot = look_at_rotation(eye, target, np.array([0.0, 0.0, 1.0]), roll_deg)
    return Camera(
        np.asarray(eye, float), rot, float(focal_px), width, height, width / 2.0, height / 2.0
    )


def project(camera: Camera, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project world points to pixel coordinates.

    Returns:
        (xy, depth): xy of shape (N, 2) in pixels and depth (N,) along the optical axis.
    """
    cam = (np.asarray(points, float) - camera.position) @ camera.rotation.T
    depth = cam[:, 2]
    safe = np.where(np.abs(depth) < 1e-9, 1e-9, depth)
    xy = np.stack(
        [
            camera.focal_px * cam[:, 0] / safe + camera.cx,
            camera.focal_px * cam[:, 1] / safe + camera.cy,
        ],
        axis=1,
    )
    return xy, depth


def orthographic_basis(direction: np.ndarray) -> np.ndarray:
    """Rows (u, v, w) of an orthonormal frame whose w axis is `direction`."""
    w = np.asarray(direction, float) / np.linalg.norm(direction)
    helper = np.array([0.0, 0.0, 1.0]) if abs(w[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    u = np.cross(helper, w)
    u /= np.linalg.norm(u)
    return np.stack([u, np.cross(w, u), w])


@dataclass(frozen=True)
class Fragments:
    """Per-pixel result of rasterisation.

    Attributes:
        face: index of the visible face per pixel, -1 where empty, shape (H, W).
        bary: barycentric coordinates of the visible point, shape (H, W, 3).
        depth: depth of the visible point (inf where empty), shape (H, W).
    """

    face: np.ndarray
    bary: np.ndarray
    depth: np.ndarray

    @property
    def mask(self) -> np.ndarray:
        """Boolean coverage mask (H, W)."""
        return self.face >= 0


def _face_bounds(tri: np.ndarray, width: int, height: int) -> tuple[np.ndarray, ...]:
    """Inclusive pixel bounding boxes (x0, x1, y0, y1) of screen triangles (F, 3, 2)."""
    lo = tri.min(axis=1)
    hi = tri.max(axis=1)
    x0 = np.clip(np.ceil(lo[:, 0] - 0.5), 0, width).astype(np.int64)
    x1 = np.clip(np.floor(hi[:, 0] - 0.5), -1, width - 1).astype(np.int64)
    y0 = np.clip(np.ceil(lo[:, 1] - 0.5), 0, height).astype(np.int64)
    y1 = np.clip(np.floor(hi[:, 1] - 0.5), -1, height - 1).astype(np.int64)
    return x0, x1, y0, y1


def _chunks(counts: np.ndarray, limit: int) -> list[tuple[int, int]]:
    """Split consecutive items into (start, stop) ranges whose count sums stay near `limit`."""
    csum = np.cumsum(counts)
    bounds: list[tuple[int, int]] = []
    start = 0
    while start < len(counts):
        base = csum[start - 1] if start else 0
        stop = int(np.searchsorted(csum, base + limit, side="right"))
        stop = max(stop, start + 1)
        bounds.append((start, stop))
        start = stop
    return bounds


def rasterize(
    xy: np.ndarray,
    depth: np.ndarray,
    faces: np.ndarray,
    width: int,
    height: int,
    perspective: bool = True,
    cull_backfaces: bool = True,
    near: float = 1e-3,
) -> Fragments:
    """Z-buffer rasterisation of a triangle mesh already projected to the screen.

    Args:
        xy: (N, 2) vertex pixel coordinates.
        depth: (N,) vertex depths (distance along the view axis, larger is farther).
        faces: (F, 3) vertex indices; counter-clockwise on screen faces the viewer
            when `cull_backfaces` (image y points down, so this is the usual CCW
            in a y-up world seen by the camera).
        width, height: image size.
        perspective: interpolate with perspective correction (1/depth); False for
            orthographic projections.
        cull_backfaces: drop faces whose screen winding points away.
        near: faces with a vertex closer than this are dropped.

    Returns:
        The visible face, barycentrics and depth per pixel.
    """
    faces = np.asarray(faces, np.int64)
    tri = xy[faces]
    tz = depth[faces]
    e1 = tri[:, 1] - tri[:, 0]
    e2 = tri[:, 2] - tri[:, 0]
    area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
    keep = (
        (np.abs(area) > 1e-12) & np.all(tz > near, axis=1) if perspective else np.abs(area) > 1e-12
    )
    if cull_backfaces:
        keep &= area < 0
    x0, x1, y0, y1 = _face_bounds(tri, width, height)
    keep &= (x1 >= x0) & (y1 >= y0)
    idx = np.nonzero(keep)[0]
    zbuf = np.full(width * height, np.inf)
    fbuf = np.full(width * height, -1, np.int64)
    bbuf = np.zeros((width * height, 2))
    bw = (x1 - x0 + 1)[idx]
    counts = bw * (y1 - y0 + 1)[idx]
    for start, stop in _chunks(counts, _MAX_FRAGMENTS_PER_CHUNK):
        sel = idx[start:stop]
        cnt = counts[start:stop]
        rep = np.repeat(np.arange(len(sel)), cnt)
        offs = np.arange(int(cnt.sum())) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        fw = bw[start:stop][rep]
        px = x0[sel][rep] + offs % fw
        py = y0[sel][rep] + offs // fw
        t = tri[sel][rep]
        cx = px + 0.5
        cy = py + 0.5
        inv_area = 1.0 / area[sel][rep]
        b0 = (
            (t[:, 1, 0] - cx) * (t[:, 2, 1] - cy) - (t[:, 1, 1] - cy) * (t[:, 2, 0] - cx)
        ) * inv_area
        b1 = (
            (t[:, 2, 0] - cx) * (t[:, 0, 1] - cy) - (t[:, 2, 1] - cy) * (t[:, 0, 0] - cx)
        ) * inv_area
        b2 = 1.0 - b0 - b1
        inside = (b0 >= -1e-9) & (b1 >= -1e-9) & (b2 >= -1e-9)
        rep, px, py, b0, b1, b2 = (
            rep[inside],
            px[inside],
            py[inside],
            b0[inside],
            b1[inside],
            b2[inside],
        )
        z = tz[sel][rep]
        if perspective:
            w0, w1, w2 = b0 / z[:, 0], b1 / z[:, 1], b2 / z[:, 2]
            inv_z = w0 + w1 + w2
            frag_depth = 1.0 / inv_z
            b0, b1 = w0 * frag_depth, w1 * frag_depth
        else:
            frag_depth = b0 * z[:, 0] + b1 * z[:, 1] + b2 * z[:, 2]
        pix = py * width + px
        np.minimum.at(zbuf, pix, frag_depth)
        win = frag_depth <= zbuf[pix]
        fbuf[pix[win]] = sel[rep[win]]
        bbuf[pix[win], 0] = b0[win]
        bbuf[pix[win], 1] = b1[win]
    bary = np.concatenate([bbuf, 1.0 - bbuf.sum(axis=1, keepdims=True)], axis=1)
    return Fragments(
        fbuf.reshape(height, width), bary.reshape(height, width, 3), zbuf.reshape(height, width)
    )


def interpolate(frags: Fragments, faces: np.ndarray, attr: np.ndarray) -> np.ndarray:
    """Interpolate per-vertex attributes (N, C) at covered pixels into (H, W, C), 0 elsewhere."""
    h, w = frags.face.shape
    out = np.zeros((h, w, attr.shape[1]))
    m = frags.mask
    fv = faces[frags.face[m]]
    b = frags.bary[m]
    out[m] = np.einsum("nk,nkc->nc", b, attr[fv])
    return out


def render_camera(camera: Camera, vertices: np.ndarray, faces: np.ndarray) -> Fragments:
    """Rasterise a world-space mesh through a perspective camera (back faces culled)."""
    xy, depth = project(camera, vertices)
    return rasterize(xy, depth, faces, camera.width, camera.height)
