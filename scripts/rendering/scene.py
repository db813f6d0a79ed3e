"""Random scene parameters and the full render of one labelled image."""

from __future__ import annotations

import colorsys
from dataclasses import asdict, dataclass

import numpy as np

from .body import (
    Body,
    BodyParams,
    age_param,
    age_years,
    body_fat_percent,
    build_body,
    project_to_back,
    psis_estimates,
)
from .mesh import (
    Dimple,
    SkinFold,
    flatten_relief,
    fold_points,
    fold_relief,
    refine_near,
    sculpt,
    sculpted_normals,
)
from .raster import Camera, interpolate, make_camera, project, render_camera
from .shading import (
    SKIN_SHININESS,
    SKIN_SPECULAR,
    Light,
    background,
    build_shadow_map,
    light_direction,
    linear_to_srgb,
    postprocess,
    shade,
    shadow_factor,
    srgb_to_linear,
)

SUPERSAMPLE = 2
SHADOW_MAP_SIZE = 2048
REFINE_RADIUS_M = 0.06
REFINE_ROUNDS = 3
#: Skin folds: the mesh is refined within FOLD_REFINE_RADIUS_M of points FOLD_REFINE_STEP_M
#: apart along each crease, over FOLD_REFINE_LENGTH_M from its inner end (round the flank);
#: the folds are sculpted where the skin faces backwards, fading out as the normal's
#: backward component falls from FOLD_MIN_FACING + FOLD_FACING_EDGE to FOLD_MIN_FACING (round
#: the flanks).
FOLD_REFINE_RADIUS_M = 0.03
FOLD_REFINE_STEP_M = 0.015
FOLD_REFINE_LENGTH_M = 0.2
FOLD_MIN_FACING = 0.05
FOLD_FACING_EDGE = 0.25
PRESENT_MIN_DEPTH_MM = 1.0
VISIBLE_DEPTH_TOL_M = 0.015
SKIN_TONES_SRGB = np.array(
    [
        [0.96, 0.80, 0.70],
        [0.88, 0.67, 0.54],
        [0.74, 0.52, 0.37],
        [0.52, 0.34, 0.23],
        [0.33, 0.21, 0.14],
    ]
)
HAIR_SRGB = np.array(
    [
        [0.06, 0.045, 0.04],
        [0.20, 0.12, 0.07],
        [0.45, 0.30, 0.16],
        [0.75, 0.62, 0.40],
        [0.55, 0.53, 0.5],
    ]
)
FRAMINGS = ("full_body", "closeup", "front")
#: Tattoo ink, blue-black as it looks under the skin.
TATTOO_INK_SRGB = (0.10, 0.11, 0.16)
#: Points along each tattoo stroke where its distance to the skin is measured.
TATTOO_STROKE_SAMPLES = 48
#: How far in front of the dimples the skin still counts as the back for a tattoo or moles,
#: in metres.
BACK_DEPTH_M = 0.08
#: A mole's colour as a fraction of the skin's (linear RGB): darker and browner.
MOLE_SHADE = (0.42, 0.33, 0.28)
#: Width of the soft edge of a mole and of a tattoo's stroke, in metres.
MOLE_EDGE_M = 0.00025
#: Width of the soft edge of a tan line, in metres.
TAN_EDGE_M = 0.006
TATTOO_EDGE_M = 0.0005
#: Width of the soft edge of hair hanging down the back, in metres.
BACK_HAIR_EDGE_M = 0.003
#: Stretch marks keep this share of the skin's saturation.
STRIAE_SATURATION = 0.5
#: Body hair: how far below the dimples' midpoint it begins (metres), its soft edges' width,
#: and the waves (count, spatial frequencies in radians per metre: streaks 3-12 mm apart,
#: along the hairs, which lie within BODY_HAIR_SPREAD_DEG of straight down) of its patchiness.
BODY_HAIR_BELOW_M = 0.08
BODY_HAIR_EDGE_M = 0.02
BODY_HAIR_WAVES = 24
BODY_HAIR_FREQUENCIES = (500.0, 2000.0)
BODY_HAIR_SPREAD_DEG = 30.0
#: Window blinds and leaves: the share of the key light that they let through where they
#: shade, and the width of their shadows' soft edges (metres).
CAST_SHADOW_LEAK = 0.15
CAST_SHADOW_PENUMBRA_M = 0.01
#: Waves summed into the dappled pattern of leaves.
LEAF_WAVES = 6


@dataclass(frozen=True)
class DimpleSpec:
    """One side's dimple: depth and half-depth radius (mm), centre offset (x, z) in mm."""

    depth_mm: float
    radius_mm: float
    dx_mm: float
    dz_mm: float
    elongation: float
    #: The pit's cross-section (rendering.mesh.DIMPLE_PROFILES).
    profile: str = "gaussian"


@dataclass(frozen=True)
class TattooStroke:
    """One stroke of a tattoo drawn on both sides of the spine (mirrored), in metres on the
    back relative to the midpoint of the two dimples' centres: from ``start`` to ``end``
    (lateral distance from the midline, height), bowed by ``bow`` at its middle, ``width_m``
    wide at the start and tapering to a third of that at the end."""

    start: tuple[float, float]
    end: tuple[float, float]
    bow: float
    width_m: float


@dataclass(frozen=True)
class SceneParams:
    """Everything that determines one rendered image."""

    seed: int
    framing: str
    body: BodyParams
    left: DimpleSpec
    right: DimpleSpec
    skin_srgb: tuple[float, float, float]
    hair_srgb: tuple[float, float, float]
    garment_srgb: tuple[float, float, float]
    garment_top_m: float
    wears_top: bool
    hair_length_m: float
    garment_bottom_m: float
    light_azimuth_deg: float
    light_elevation_deg: float
    ambient: float
    key_intensity: float
    fill: float
    light_warmth: float
    distance_m: float
    focal_mm: float
    camera_height_m: float
    camera_yaw_deg: float
    camera_roll_deg: float
    width: int
    height: int
    background: str
    blur: float
    noise: float
    jpeg_quality: int
    #: False renders the body without briefs or shorts (with ``wears_top`` False: nude).
    wears_bottom: bool = True
    #: The skin's sheen: Blinn-Phong strength and exponent (see rendering.shading.shade).
    specular: float = SKIN_SPECULAR
    shininess: float = SKIN_SHININESS
    #: False renders the skin in one flat colour, without its mottled albedo.
    skin_texture: bool = True
    #: A tattoo on the lower back: its strokes, and how much of the skin's colour the ink
    #: replaces (0..1) by :data:`TATTOO_INK_SRGB`.
    tattoo: tuple[TattooStroke, ...] = ()
    tattoo_density: float = 0.0
    #: Moles on the back: (lateral, height, radius) in metres, the first two relative to the
    #: dimples' midpoint (lateral + towards the image's left in a back view).
    moles: tuple[tuple[float, float, float], ...] = ()
    #: Long hair hanging down the back: the height of its tips above the dimples' midpoint
    #: (metres; None: no hair on the back).
    back_hair_tips_m: float | None = None
    #: Window blinds between the key light and the person: the slats' period (metres), their
    #: angle from level (degrees) and the pattern's phase (radians); None: no blinds.
    blinds: tuple[float, float, float] | None = None
    #: Leaves between the key light and the person: the size of their patches of light and
    #: shadow (metres); None: no leaves.
    leaves_m: float | None = None
    #: Tan lines of briefs worn in the sun: how far below the dimples' centres their top edge
    #: runs (metres; dipping towards the front as the garment's does) and how much lighter the
    #: untanned skin below it is (a factor on the linear albedo); None: evenly tanned.
    tan_line: tuple[float, float] | None = None
    #: Skin folds across the lower back (rendering.mesh.SkinFold), usually one per side.
    folds: tuple[SkinFold, ...] = ()
    #: Body hair over the lower back, thickest at the midline (see :func:`_body_hair`): how
    #: much of the skin's colour it replaces there at most, its lateral scale and how far above
    #: the dimples' midpoint it reaches (metres); None: none.
    body_hair: tuple[float, float, float] | None = None
    #: Stretch marks (striae) on the lower back and flanks, drawn on both sides of the spine
    #: as a tattoo's strokes are, paler than the skin: how much lighter (a factor on the linear
    #: albedo; their colour also half as saturated).
    striae: tuple[TattooStroke, ...] = ()
    striae_lighter: float = 1.0

    @property
    def view(self) -> str:
        """'front' for the front framing, else 'back'."""
        return "front" if self.framing == "front" else "back"


def _mix(palette: np.ndarray, t: float) -> tuple[float, float, float]:
    """Piecewise-linear interpolation along a colour palette, t in [0, 1]."""
    x = t * (len(palette) - 1)
    i = min(int(x), len(palette) - 2)
    c = palette[i] * (1 - (x - i)) + palette[i + 1] * (x - i)
    return tuple(float(v) for v in c)


def _garment_colour(rng: np.random.Generator) -> tuple[float, float, float]:
    """A fabric colour (sRGB): saturated, or near-black/white/grey, never skin-like orange-brown."""
    if rng.random() < 0.3:
        v = float(
            rng.choice([rng.uniform(0.05, 0.2), rng.uniform(0.75, 0.95), rng.uniform(0.3, 0.6)])
        )
        return (v, v, v)
    hue = float(rng.uniform(0.14, 0.96))  # skips the red-orange-tan hues of skin
    sat, val = float(rng.uniform(0.45, 0.9)), float(rng.uniform(0.25, 0.9))
    return tuple(float(c) for c in colorsys.hsv_to_rgb(hue, sat, val))


def sample_dimples(
    rng: np.random.Generator, depth_mm: float, body_fat: float
) -> tuple[DimpleSpec, DimpleSpec]:
    """Left/right dimples of max depth `depth_mm`, wider with more fat, mildly asymmetric."""
    base_radius = float(np.clip(11.0 + 0.35 * (body_fat - 15.0) + rng.normal(0, 1.5), 10.0, 20.0))
    sides = []
    for k in range(2):
        sides.append(
            DimpleSpec(
                depth_mm=depth_mm * (1.0 if k == 0 else float(rng.uniform(0.8, 1.0))),
                radius_mm=float(np.clip(base_radius * rng.uniform(0.9, 1.1), 10.0, 20.0)),
                dx_mm=float(rng.normal(0, 2.5)),
                dz_mm=float(rng.normal(0, 2.5)),
                elongation=float(rng.uniform(1.0, 1.35)),
            )
        )
    if rng.random() < 0.5:
        sides.reverse()
    return sides[0], sides[1]


def sample_scene(seed: int, framing: str, depth_mm: float) -> SceneParams:
    """Draw all scene parameters from `seed` for a framing and a maximum dimple depth (0 = none)."""
    rng = np.random.default_rng(seed)
    years = rng.uniform(20, 60)
    # Leaner bodies for deeper dimples (fat hides them), with plenty of spread.
    weight = float(np.clip(rng.normal(0.5 - 0.03 * (depth_mm - 3.0), 0.17), 0.05, 0.95))
    body = BodyParams(
        gender=float(
            rng.choice(
                [rng.uniform(0.0, 0.15), rng.uniform(0.85, 1.0), rng.uniform(0, 1)],
                p=[0.42, 0.42, 0.16],
            )
        ),
        age=age_param(years),
        muscle=float(rng.uniform(0.15, 0.9)),
        weight=weight,
        height=float(rng.uniform(0.1, 0.9)),
        proportions=float(rng.uniform(0.2, 0.8)),
        arm_drop_deg=float(rng.uniform(24, 33)),
        elbow_bend_deg=float(rng.uniform(0, 12)),
    )
    rough_fat = body_fat_percent(20 + 12 * weight, years, body.gender, body.muscle)
    left, right = sample_dimples(rng, depth_mm, rough_fat)
    side_light = rng.random() < 0.2
    azimuth = (
        rng.uniform(45, 85) * rng.choice([-1, 1])
        if side_light
        else float(np.clip(rng.normal(0, 25), -60, 60))
    )
    if framing == "closeup":
        width_height = [(960, 720), (800, 800), (720, 960), (768, 1024)][int(rng.integers(4))]
        distance, field_m = rng.uniform(0.55, 1.1), rng.uniform(0.32, 0.45)
        focal_mm = 36.0 * width_height[1] * distance / (field_m * max(width_height))
        cam_h = rng.uniform(-0.08, 0.12)
    else:
        h = int(rng.integers(720, 1281))
        width_height = (round(h * float(rng.choice([0.5625, 0.6667, 0.75]))), h)
        distance, focal_mm = 3.0, 40.0
        for _ in range(100):
            distance, focal_mm = rng.uniform(2.5, 4.0), rng.uniform(26.0, 55.0)
            if 0.55 <= focal_mm / 36.0 * 1.72 / distance <= 0.9:
                break
        cam_h = rng.uniform(0.9, 1.6)
    return SceneParams(
        seed=seed,
        framing=framing,
        body=body,
        left=left,
        right=right,
        skin_srgb=_mix(SKIN_TONES_SRGB, float(rng.random())),
        hair_srgb=_mix(HAIR_SRGB, float(rng.beta(0.7, 1.6))),
        garment_srgb=_garment_colour(rng),
        garment_top_m=float(rng.uniform(0.0, 0.03)),
        wears_top=bool(body.gender > 0.5),
        hair_length_m=float(
            rng.uniform(0.02, 0.1) if body.gender > 0.5 else rng.uniform(0.0, 0.02)
        ),
        garment_bottom_m=float(rng.uniform(0.1, 0.3)),
        light_azimuth_deg=float(azimuth),
        light_elevation_deg=float(rng.uniform(20, 70)),
        ambient=float(rng.uniform(0.1, 0.5)),
        key_intensity=float(rng.uniform(0.85, 1.15)),
        fill=float(rng.uniform(0.0, 0.15)),
        light_warmth=float(rng.uniform(-1, 1)),
        distance_m=float(distance),
        focal_mm=float(focal_mm),
        camera_height_m=float(cam_h),
        camera_yaw_deg=float(rng.uniform(-15, 15)),
        camera_roll_deg=float(rng.normal(0, 1.5)),
        width=int(width_height[0]),
        height=int(width_height[1]),
        background=str(rng.choice(["plain", "gradient", "noise", "stripes"])),
        blur=float(rng.uniform(0.0, 0.9)),
        noise=float(rng.uniform(0.5, 4.0)),
        jpeg_quality=int(rng.integers(70, 96)),
    )


@dataclass(frozen=True)
class DimpledBody:
    """A body with sculpted dimples and per-vertex data for shading."""

    body: Body
    vertices: np.ndarray
    faces: np.ndarray
    normals: np.ndarray
    arm_weight: np.ndarray
    head_weight: np.ndarray
    dimples: tuple[Dimple, Dimple]


def _dimple(body: Body, psis: np.ndarray, spec: DimpleSpec, lateral_sign: float) -> Dimple:
    """Place one dimple on the back skin over a PSIS estimate."""
    point = psis + np.array([spec.dx_mm, 0.0, spec.dz_mm]) / 1000.0
    center, normal = project_to_back(body, point)
    # Long axis tilted ~20 degrees, running down and towards the midline.
    axis = np.array([-lateral_sign * np.sin(np.deg2rad(20)), 0.0, np.cos(np.deg2rad(20))])
    axis -= (axis @ normal) * normal
    return Dimple(
        center,
        normal,
        spec.depth_mm / 1000.0,
        spec.radius_mm / 1000.0,
        spec.elongation,
        axis / np.linalg.norm(axis),
        spec.profile,
    )


def dimpled_body(params: SceneParams) -> DimpledBody:
    """Build the body, place the dimples over the PSIS, refine the mesh there and sculpt."""
    body = build_body(params.body)
    psis_l, psis_r = psis_estimates(body)
    dl = _dimple(body, psis_l, params.left, 1.0)
    dr = _dimple(body, psis_r, params.right, -1.0)
    attrs = np.stack([body.arm_weight, body.head_weight], axis=1)
    verts, faces, normals, attrs = refine_near(
        body.vertices,
        body.faces,
        body.normals,
        attrs,
        np.stack([dl.center, dr.center]),
        REFINE_RADIUS_M,
        REFINE_ROUNDS,
    )
    for dimple in (dl, dr):  # the base mesh's own relief there would blur the labels
        verts, normals = flatten_relief(verts, normals, dimple.center, dimple.normal)
    centre = 0.5 * (dl.center + dr.center)
    if params.folds:  # after the flattening, whose fit would see its new vertices
        along = [
            point
            for fold in params.folds
            for point in fold_points(centre, fold, FOLD_REFINE_LENGTH_M, FOLD_REFINE_STEP_M)
        ]
        verts, faces, normals, attrs = refine_near(
            verts,
            faces,
            normals,
            attrs,
            np.stack([_on_the_back(body, point) for point in along]),
            FOLD_REFINE_RADIUS_M,
            REFINE_ROUNDS,
        )
    sculpted = sculpt(verts, [dl, dr])
    if params.folds:
        # The back and the flanks as seen from behind, not the arms hanging beside them.
        facing = (normals[:, 1] - FOLD_MIN_FACING) / FOLD_FACING_EDGE
        on_back = np.clip(facing, 0.0, 1.0) * (attrs[:, 0] < 0.5)
        relief = sum(fold_relief(verts, centre, fold) for fold in params.folds)
        sculpted = sculpted + (on_back * relief)[:, None] * normals
    shading = sculpted_normals(verts, sculpted, faces, normals)
    return DimpledBody(body, sculpted, faces, shading, attrs[:, 0], attrs[:, 1], (dl, dr))


def _on_the_back(body: Body, point: np.ndarray) -> np.ndarray:
    """The skin behind ``point`` (seen from behind), or ``point`` itself beyond the body's
    outline."""
    try:
        return project_to_back(body, point)[0]
    except ValueError:
        return point


def scene_camera(params: SceneParams, db: DimpledBody) -> Camera:
    """Camera for the framing: behind (+Y) or in front (-Y) of the person."""
    body = db.body
    floor = float(body.vertices[:, 2].min())
    yaw = np.deg2rad(params.camera_yaw_deg)
    side = -1.0 if params.framing == "front" else 1.0
    back = np.array([np.sin(yaw), side * np.cos(yaw), 0.0])
    w, h = params.width, params.height
    if params.framing == "closeup":
        target = 0.5 * (db.dimples[0].center + db.dimples[1].center) + np.array([0.0, 0.0, 0.04])
        eye = target + params.distance_m * back + np.array([0.0, 0.0, params.camera_height_m])
    else:
        top = float(body.vertices[:, 2].max())
        target = np.array([0.0, 0.0, 0.5 * (floor + top)])
        eye = np.array([0.0, 0.0, floor + params.camera_height_m]) + params.distance_m * back
    focal_px = params.focal_mm / 36.0 * max(w, h)
    cam = make_camera(eye, target, focal_px, w, h, params.camera_roll_deg)
    if params.framing != "closeup":
        cam = fit_in_frame(cam, body.vertices)
    return cam


def fit_in_frame(cam: Camera, vertices: np.ndarray, margin: float = 0.94) -> Camera:
    """Shift the principal point to centre the points and lower the focal so they fit in frame."""
    xy, _ = project(cam, vertices)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    size = hi - lo
    scale = min(1.0, margin * cam.height / size[1], margin * cam.width / size[0])
    centre = 0.5 * (lo + hi)
    cx = cam.width / 2 - (centre[0] - cam.cx) * scale
    cy = cam.height / 2 - (centre[1] - cam.cy) * scale
    return Camera(cam.position, cam.rotation, cam.focal_px * scale, cam.width, cam.height, cx, cy)


def _skin_texture(points: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Smooth multiplicative albedo variation (N,) attached to the body surface."""
    tex = np.ones(len(points))
    for freq, amp in ((8.0, 0.05), (25.0, 0.03), (70.0, 0.015)):
        for _ in range(3):
            d = rng.normal(size=3)
            tex += (
                amp
                / 3
                * np.sin(freq * points @ (d / np.linalg.norm(d)) + rng.uniform(0, 2 * np.pi))
            )
    return tex


def _forward(db: DimpledBody, pts: np.ndarray) -> np.ndarray:
    """How far in front of the head's centre each of ``pts`` (N, 3) lies: -1 (behind) to 1,
    over 10 cm."""
    return np.clip((db.body.joints["head"][1] - pts[:, 1]) / 0.1, -1.0, 1.0)


def _dimples_height(db: DimpledBody) -> float:
    """Height (m) of the dimples' centres (their mean), which the garment's and a tan line's
    edges are placed from."""
    return 0.5 * (db.dimples[0].center[2] + db.dimples[1].center[2])


def _outline_z(db: DimpledBody, pts: np.ndarray, below_m: float) -> np.ndarray:
    """Height (m), above each of ``pts`` (N, 3), of the briefs' outline ``below_m`` below the
    dimples' centres at the back, 3 cm lower at the front."""
    return _dimples_height(db) - below_m - 0.03 * np.clip(_forward(db, pts), 0, 1)


def garment_top_z(params: SceneParams, db: DimpledBody, pts: np.ndarray) -> np.ndarray:
    """Height (m) of the briefs' or trousers' waistband above each of ``pts`` (N, 3): 6 cm
    below the dimples' centres less ``garment_top_m`` (:func:`_outline_z`)."""
    return _outline_z(db, pts, 0.06 + params.garment_top_m)


def _albedo(
    params: SceneParams,
    db: DimpledBody,
    pts: np.ndarray,
    attrs: np.ndarray,
    rng: np.random.Generator,
) -> np.ndarray:
    """Per-pixel linear albedo (N, 3): skin, hair cap on the scalp, garment over the pelvis."""
    texture = _skin_texture(pts, rng)  # drawn either way: the later draws stay the same
    if not params.skin_texture:
        texture = np.ones_like(texture)
    skin = srgb_to_linear(np.array(params.skin_srgb)) * texture[:, None]
    arm_w, head_w = attrs[:, 0], attrs[:, 1]
    head = db.body.joints["head"]
    # Hairline: low at the nape (lower for long hair), rising over the ears to the forehead.
    forward = _forward(db, pts)
    hairline = head[2] + 0.035 + 0.05 * forward - params.hair_length_m * np.clip(-forward, 0, 1)
    on_head = (head_w > 0.5) | ((forward < 0) & (pts[:, 2] > db.body.joints["neck01"][2]))
    hair = on_head & (arm_w < 0.5) & (pts[:, 2] > hairline)
    # Garment: from just below the dimples (at the gluteal cleft top) down the thighs.
    hips_z = 0.5 * (db.body.joints["upperleg01.L"][2] + db.body.joints["upperleg01.R"][2])
    top = garment_top_z(params, db, pts)
    garment = (
        params.wears_bottom
        & (arm_w < 0.5)
        & (head_w < 0.5)
        & (pts[:, 2] < top)
        & (pts[:, 2] > hips_z - params.garment_bottom_m)
    )
    if params.wears_top:
        floor = float(db.body.vertices[:, 2].min())
        bust = floor + 0.72 * db.body.stature_m
        back = pts[:, 1] > db.body.joints["spine01"][1]
        lo = np.where(back, bust - 0.035, bust - 0.07)
        hi = np.where(back, bust + 0.01, bust + 0.06)
        garment |= (arm_w < 0.5) & (head_w < 0.5) & (pts[:, 2] > lo) & (pts[:, 2] < hi)
    albedo = skin
    albedo[hair] = (
        srgb_to_linear(np.array(params.hair_srgb))
        * (0.8 + 0.4 * _skin_texture(pts[hair] * 6, rng))[:, None]
    )
    if params.tan_line is not None:
        below_m, lighter = params.tan_line
        # The briefs' outline, without the briefs; its edge soft over TAN_EDGE_M.
        tan_top = _outline_z(db, pts, below_m)
        untanned = _soft_cover(tan_top - pts[:, 2], TAN_EDGE_M)
        untanned *= (arm_w < 0.5) & (head_w < 0.5) & (pts[:, 2] > hips_z - params.garment_bottom_m)
        albedo = albedo * (1.0 + (lighter - 1.0) * untanned)[:, None]
    albedo[garment] = srgb_to_linear(np.array(params.garment_srgb))
    centre = 0.5 * (db.dimples[0].center + db.dimples[1].center)
    if params.back_hair_tips_m is not None:
        # Over the skin and a bra band alike; strands run down the back.
        cover = _back_hair(params, db, pts, centre) * (arm_w < 0.5)
        hanging = cover > 0
        # From a stream of its own, so that the scene's later draws stay the same.
        own = np.random.default_rng([params.seed, 7])
        strands = 0.6 + 0.8 * _skin_texture(pts[hanging] * np.array([60.0, 60.0, 3.0]), own)
        colour = srgb_to_linear(np.array(params.hair_srgb)) * strands[:, None]
        weight = cover[hanging, None]
        albedo[hanging] = albedo[hanging] * (1.0 - weight) + colour * weight
        hair |= hanging
    # The back half of the torso: within BACK_DEPTH_M of the dimples' depth (the spine's
    # joints lie deeper in the lumbar curve than the skin there, so they cannot tell).
    back = (pts[:, 1] > centre[1] - BACK_DEPTH_M) & (arm_w < 0.5) & ~garment & ~hair
    if params.moles:
        shade = np.ones((int(back.sum()), 3))
        for lateral, height, radius in params.moles:
            offset = np.hypot(pts[back, 0] - centre[0] - lateral, pts[back, 2] - centre[2] - height)
            cover = _soft_cover(radius - offset, MOLE_EDGE_M)[:, None]
            shade *= 1.0 - cover * (1.0 - np.array(MOLE_SHADE))
        albedo[back] *= shade
    if params.body_hair is not None:
        cover = _body_hair(params.body_hair, pts[back], centre, params.seed)
        colour = srgb_to_linear(np.array(params.hair_srgb))
        albedo[back] = albedo[back] * (1.0 - cover[:, None]) + colour * cover[:, None]
    # Where a stroke drawn on both sides of the spine lies: distance from the midline, height.
    stroke_place = np.abs(pts[back, 0] - centre[0]), pts[back, 2] - centre[2]
    if params.striae:
        marked = _tattoo_ink(*stroke_place, params.striae)[:, None]
        pale = albedo[back] * params.striae_lighter
        grey = pale.mean(axis=1, keepdims=True)
        pale = grey + STRIAE_SATURATION * (pale - grey)
        albedo[back] = albedo[back] * (1.0 - marked) + pale * marked
    if params.tattoo:
        ink = np.zeros(len(pts))
        ink[back] = params.tattoo_density * _tattoo_ink(*stroke_place, params.tattoo)
        colour = srgb_to_linear(np.array(TATTOO_INK_SRGB))
        albedo = albedo * (1.0 - ink[:, None]) + colour * ink[:, None]
    return albedo


def _back_hair(
    params: SceneParams, db: DimpledBody, pts: np.ndarray, centre: np.ndarray
) -> np.ndarray:
    """How much hair (0..1) hanging down the back from the nape covers each point: 18 cm wide
    there, narrowing to two thirds at its tips, which end raggedly (up to 2 cm) at
    ``params.back_hair_tips_m`` above the dimples' midpoint; its edges soft over 3 mm."""
    neck = db.body.joints["neck01"]
    tips = centre[2] + float(params.back_hair_tips_m)
    along = np.clip((neck[2] - pts[:, 2]) / max(neck[2] - tips, 1e-3), 0.0, 1.0)
    half_width = 0.09 * (1.0 - along / 3.0)
    lateral = pts[:, 0] - centre[0]
    ragged = 0.01 * (1.0 + np.sin(lateral * 180.0) * np.cos(lateral * 77.0))
    inside = np.minimum(half_width - np.abs(lateral), pts[:, 2] - tips - ragged)
    behind = (pts[:, 1] > neck[1]) & (pts[:, 2] < neck[2])
    return np.where(behind, _soft_cover(inside, BACK_HAIR_EDGE_M), 0.0)


def _body_hair(
    hair: tuple[float, float, float], pts: np.ndarray, centre: np.ndarray, seed: int
) -> np.ndarray:
    """How much body hair (0..1) covers back points ``pts`` (N, 3): ``density`` at most, on the
    midline, falling off sideways as a Gaussian of ``half_width_m``, from BODY_HAIR_BELOW_M
    below the dimples' midpoint up to ``top_m`` above it (soft over BODY_HAIR_EDGE_M), in
    streaks: hairs far finer than a pixel, seen as a streaky darkening and tint."""
    density, half_width_m, top_m = hair
    lateral = pts[:, 0] - centre[0]
    height = pts[:, 2] - centre[2]
    inside = np.minimum(top_m - height, height + BODY_HAIR_BELOW_M)
    profile = np.exp(-0.5 * (lateral / half_width_m) ** 2) * _soft_cover(inside, BODY_HAIR_EDGE_M)
    own = np.random.default_rng([seed, 11])  # its own stream: the scene's draws stay the same
    streaks = np.zeros(len(pts))
    for _ in range(BODY_HAIR_WAVES):
        # Across the hairs, which lie within BODY_HAIR_SPREAD_DEG of straight down the back.
        angle = np.radians(own.uniform(-BODY_HAIR_SPREAD_DEG, BODY_HAIR_SPREAD_DEG))
        across = np.array([np.cos(angle), 0.0, np.sin(angle)])
        frequency = own.uniform(*BODY_HAIR_FREQUENCIES)
        streaks += np.sin(frequency * pts @ across + own.uniform(0, 2 * np.pi))
    patchy = np.clip(0.7 + 0.3 * streaks / np.sqrt(BODY_HAIR_WAVES / 2), 0.0, 1.0)
    return density * profile * patchy


def _tattoo_ink(lateral: np.ndarray, height: np.ndarray, strokes: tuple) -> np.ndarray:
    """How much ink (0..1) lies at back points ``lateral`` (distance from the midline) and
    ``height`` (metres, relative to the dimples' midpoint): 1 inside a stroke, falling to 0
    over half a millimetre at its edge."""
    ink = np.zeros(lateral.shape)
    t = np.linspace(0.0, 1.0, TATTOO_STROKE_SAMPLES)
    for stroke in strokes:
        (u0, v0), (u1, v1) = stroke.start, stroke.end
        path_u = u0 + (u1 - u0) * t
        path_v = v0 + (v1 - v0) * t + stroke.bow * np.sin(np.pi * t)
        half_width = 0.5 * stroke.width_m * (1.0 - 2.0 / 3.0 * t)
        reach = float(half_width.max()) + 0.001
        near = (
            (lateral > path_u.min() - reach)
            & (lateral < path_u.max() + reach)
            & (height > path_v.min() - reach)
            & (height < path_v.max() + reach)
        )
        if not near.any():
            continue
        du = lateral[near, None] - path_u[None, :]
        dv = height[near, None] - path_v[None, :]
        inside = half_width[None, :] - np.sqrt(du * du + dv * dv)
        ink[near] = np.maximum(ink[near], _soft_cover(inside.max(axis=1), TATTOO_EDGE_M))
    return ink


def _through_blinds(
    blinds: tuple[float, float, float], towards_light: np.ndarray, pts: np.ndarray
) -> np.ndarray:
    """How much of the key light reaches each point through window blinds
    (:func:`_let_through`): level slats (turned by the angle about the light's direction) cast
    bands as wide as the gaps between them."""
    period, angle_deg, phase = blinds
    level, across = _across_the_light(towards_light)
    turn = np.radians(angle_deg)
    across = np.cos(turn) * across + np.sin(turn) * level
    wave = np.sin(2.0 * np.pi * (pts @ across) / period + phase)
    # Distance (metres) inside the lit half of each period, from the wave's phase.
    return _let_through(np.arcsin(np.clip(wave, -1.0, 1.0)) / np.pi * period / 2.0)


def _through_leaves(
    size_m: float, seed: int, towards_light: np.ndarray, pts: np.ndarray
) -> np.ndarray:
    """How much of the key light reaches each point through leaves (:func:`_let_through`): a
    dappled pattern of patches about ``size_m`` across (half of them shadow), cast along the
    light; drawn from a stream of its own."""
    rng = np.random.default_rng([seed, 11])
    along, across = _across_the_light(towards_light)
    u, v = pts @ along, pts @ across
    field = np.zeros(len(pts))
    for _ in range(LEAF_WAVES):
        angle, phase = rng.uniform(0.0, np.pi), rng.uniform(0.0, 2.0 * np.pi)
        k = 2.0 * np.pi / (2.0 * size_m) * rng.uniform(0.7, 1.3)
        field += np.sin(k * (np.cos(angle) * u + np.sin(angle) * v) + phase)
    # The field's slope at its zero crossings turns its value into a distance in metres.
    slope = np.sqrt(LEAF_WAVES / 2.0) * 2.0 * np.pi / (2.0 * size_m)
    return _let_through(field / slope)


def _across_the_light(towards_light: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors square to the light's direction: the level one (the world's x with the
    light's part taken out) and the one square to both."""
    level = np.array([1.0, 0.0, 0.0]) - towards_light[0] * towards_light
    level /= np.linalg.norm(level)
    return level, np.cross(towards_light, level)


def _let_through(inside_m: np.ndarray) -> np.ndarray:
    """The key light's share (CAST_SHADOW_LEAK..1) at points ``inside_m`` metres inside a lit
    patch (negative in the shadow), the shadow's edge soft over CAST_SHADOW_PENUMBRA_M."""
    lit = _soft_cover(inside_m, CAST_SHADOW_PENUMBRA_M)
    return CAST_SHADOW_LEAK + (1.0 - CAST_SHADOW_LEAK) * lit


def _soft_cover(inside_m: np.ndarray, edge_m: float) -> np.ndarray:
    """How much (0..1) of a shape covers points ``inside_m`` metres inside its outline
    (negative outside): 1 and 0 beyond half of ``edge_m`` either side of it."""
    return np.clip(inside_m / edge_m + 0.5, 0.0, 1.0)


def _light(params: SceneParams) -> Light:
    """Key/fill/ambient light from the parameters, relative to the side facing the camera."""
    facing = np.array([0.0, -1.0 if params.view == "front" else 1.0, 0.0])
    key = light_direction(params.light_azimuth_deg, params.light_elevation_deg, facing)
    fill = light_direction(-params.light_azimuth_deg, 10.0, facing)
    warm = params.light_warmth
    color = np.array([1.0 + 0.06 * warm, 1.0, 1.0 - 0.08 * warm])
    return Light(key, params.key_intensity, params.ambient, fill, params.fill, color)


def _downsample(img: np.ndarray, factor: int) -> np.ndarray:
    """Box-filter downsampling of (H*f, W*f, C) to (H, W, C)."""
    h, w, c = img.shape
    return img.reshape(h // factor, factor, w // factor, factor, c).mean(axis=(1, 3))


def render_image(params: SceneParams) -> tuple[bytes, dict]:
    """Render one scene; returns the JPEG bytes and its label (without the file name)."""
    rng = np.random.default_rng([params.seed, 1])
    db = dimpled_body(params)
    cam = scene_camera(params, db)
    big = cam.scaled(SUPERSAMPLE)
    frags = render_camera(big, db.vertices, db.faces)
    m = frags.mask
    pts = interpolate(frags, db.faces, db.vertices)[m]
    nrm = interpolate(frags, db.faces, db.normals)[m]
    nrm /= np.maximum(np.linalg.norm(nrm, axis=1, keepdims=True), 1e-12)
    attrs = interpolate(frags, db.faces, np.stack([db.arm_weight, db.head_weight], axis=1))[m]
    view = cam.position - pts
    view /= np.linalg.norm(view, axis=1, keepdims=True)
    light = _light(params)
    size = int(min(SHADOW_MAP_SIZE, max(big.width, big.height)))
    smap = build_shadow_map(db.vertices, db.faces, light.direction, size, pts)
    shadow = shadow_factor(smap, pts, nrm)
    if params.blinds is not None:
        shadow = shadow * _through_blinds(params.blinds, light.direction, pts)
    if params.leaves_m is not None:
        shadow = shadow * _through_leaves(params.leaves_m, params.seed, light.direction, pts)
    radiance = shade(
        _albedo(params, db, pts, attrs, rng),
        nrm,
        view,
        light,
        shadow,
        specular=params.specular,
        shininess=params.shininess,
    )
    img = background(rng, big.height, big.width, params.background)
    img[m] = radiance
    srgb = linear_to_srgb(_downsample(img, SUPERSAMPLE))
    jpeg = postprocess(rng, srgb, params.blur, params.noise, params.jpeg_quality)
    return jpeg, make_label(params, db, cam, frags.depth)


def _skin_marks(params: SceneParams) -> dict:
    """The label's summary of the marks drawn on the skin (tattoo, moles, body hair, stretch
    marks), each only where there are any."""
    marks: dict = {}
    if params.tattoo:
        marks["tattoo"] = {
            "strokes_per_side": len(params.tattoo),
            "density": round(params.tattoo_density, 3),
        }
    if params.moles:
        marks["moles"] = len(params.moles)
    if params.body_hair is not None:
        density, half_width_m, top_m = params.body_hair
        marks["body_hair"] = {
            "density": round(density, 3),
            "half_width_mm": round(half_width_m * 1000, 1),
            "top_mm": round(top_m * 1000, 1),
        }
    if params.striae:
        marks["stretch_marks"] = {
            "per_side": len(params.striae),
            "lighter": round(params.striae_lighter, 3),
        }
    return marks


def make_label(params: SceneParams, db: DimpledBody, cam: Camera, depth_big: np.ndarray) -> dict:
    """Ground-truth label of a render in the `dimples-renders/1` schema (no 'file')."""
    centres = np.stack([d.center - d.depth_m * d.normal for d in db.dimples])
    xy, z = project(cam, centres)
    rims = np.stack([d.center for d in db.dimples])
    # Under the briefs or trousers: the garment is painted on the skin, so the depth test
    # above sees such a dimple; a person sees cloth.
    covered = params.wears_bottom & (rims[:, 2] < garment_top_z(params, db, rims))
    dimples = []
    for side, spec, (x, y), zc, under in zip(
        ("left", "right"), (params.left, params.right), xy, z, covered, strict=True
    ):
        col, row = int(np.floor(x * SUPERSAMPLE)), int(np.floor(y * SUPERSAMPLE))
        in_frame = 0 <= x < cam.width and 0 <= y < cam.height
        visible = bool(in_frame and depth_big[row, col] > zc - VISIBLE_DEPTH_TOL_M)
        dimples.append(
            {
                "side": side,
                "x": round(float(x), 2),
                "y": round(float(y), 2),
                "depth_mm": round(spec.depth_mm, 3),
                "radius_mm": round(spec.radius_mm, 3),
                "profile": spec.profile,
                "visible": visible,
                "covered": bool(under),
            }
        )
    # The folds and marks a variant draws, only where there are any: the other labels stay
    # as they were.
    extras: dict = {}
    if params.folds:
        extras["folds"] = [
            {
                "side": "left" if fold.side > 0 else "right",
                "inner_mm": round(fold.inner_m * 1000, 2),
                "height_mm": round(fold.height_m * 1000, 2),
                "rise": round(fold.rise, 3),
                "depth_mm": round(fold.depth_m * 1000, 3),
                "sigma_mm": round(fold.sigma_m * 1000, 3),
                "roll_mm": round(fold.roll_m * 1000, 3),
            }
            for fold in params.folds
        ]
    marks = _skin_marks(params)
    if marks:
        extras["skin_marks"] = marks
    body = db.body
    years = age_years(params.body.age)
    phen = {k: round(v, 4) for k, v in asdict(params.body).items()}
    return {
        "framing": params.framing,
        "view": params.view,
        "present": bool(max(params.left.depth_mm, params.right.depth_mm) >= PRESENT_MIN_DEPTH_MM),
        "dimples": dimples,
        **extras,
        # As the real photos' labels say it: the skin over the sacroiliac joints.
        "lower_back": "covered" if covered.all() else "bare",
        "inter_dimple_px": round(float(np.linalg.norm(xy[0] - xy[1])), 2),
        "inter_dimple_mm": round(float(np.linalg.norm(centres[0] - centres[1]) * 1000), 2),
        "body": {
            **phen,
            "age_years": round(years, 1),
            "sex": "male" if params.body.gender < 0.5 else "female",
            "bmi": round(body.bmi, 2),
            "body_fat": round(
                body_fat_percent(body.bmi, years, params.body.gender, params.body.muscle), 1
            ),
            "stature_m": round(body.stature_m, 3),
            "skin_srgb": [round(c, 3) for c in params.skin_srgb],
        },
        "light": {
            "azimuth_deg": round(params.light_azimuth_deg, 2),
            "elevation_deg": round(params.light_elevation_deg, 2),
            "ambient": round(params.ambient, 3),
            "key_intensity": round(params.key_intensity, 3),
            "fill": round(params.fill, 3),
            "relative_to": "front" if params.view == "front" else "back",
        },
        "camera": {
            "distance_m": round(
                float(np.linalg.norm(cam.position - 0.5 * (centres[0] + centres[1]))), 3
            ),
            "focal_mm": round(cam.focal_px / max(cam.width, cam.height) * 36.0, 2),
            "yaw_deg": round(params.camera_yaw_deg, 2),
            "roll_deg": round(params.camera_roll_deg, 2),
            "height_m": round(float(cam.position[2] - body.vertices[:, 2].min()), 3),
        },
        "image": {"width": cam.width, "height": cam.height},
        "background": params.background,
        "jpeg_quality": params.jpeg_quality,
        "seed": params.seed,
    }
