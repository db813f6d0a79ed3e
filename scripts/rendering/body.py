"""Posed `anny` bodies as numpy meshes, with PSIS (dimple) landmarks and skin regions.

Anny's canonical frame: metres, Z up, the person faces -Y, their left is +X,
the pelvis root at the origin.
"""

from __future__ import annotations

import functools
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from .mesh import ray_mesh_intersect, vertex_normals

ARM_BONES = ("upperarm", "lowerarm", "wrist", "finger", "metacarpal")
HEAD_BONES = ("head", "eye")
NECK_BONES = ("neck01", "neck02", "neck03", "head")
CHEST_BONES = ("spine03", "spine04", "spine05")
LEAN_BONES = ("spine04", "spine03", "spine02")
# PSIS separation and PSIS height above the hip joints, as multiples of the distance
# between anny's hip joints (upperleg01.L/R heads, ~0.20-0.24 m in adults). Tuned by
# inspecting renders: the dimples land over the sacroiliac joints, ~9-11 cm apart,
# 3-5 cm above the top of the gluteal cleft (anatomy: PSIS ~11.3 cm apart and
# ~9.8 cm above the trochanterion; anny's hip joints sit a little low).
PSIS_SEPARATION_RATIO = 0.45
PSIS_HEIGHT_RATIO = 0.50


@dataclass(frozen=True)
class BodyParams:
    """Phenotype (anny's [0, 1] parameters) and pose of one person."""

    gender: float
    age: float
    muscle: float
    weight: float
    height: float
    proportions: float
    arm_drop_deg: float
    elbow_bend_deg: float
    #: The head turned about the neck (positive: towards the person's left), spread over the
    #: three neck bones and the head: a person looking back over a shoulder.
    head_turn_deg: float = 0.0
    #: The chest turned the same way over the upper spine (the lumbar spine and pelvis stay
    #: square to the camera), as people do to look further back.
    chest_turn_deg: float = 0.0
    #: The pelvis tilted sideways (positive: its left side lower), the spine and the legs
    #: turned back upright above and below it: the weight shifted onto one leg.
    pelvis_tilt_deg: float = 0.0
    #: The torso bent forward over the lumbar and lower thoracic spine (LEAN_BONES), the
    #: pelvis and legs as they were: a person leaning towards a wall or a table.
    lean_forward_deg: float = 0.0

    def phenotype(self) -> dict[str, float]:
        """Anny phenotype keyword arguments."""
        d = asdict(self)
        return {k: d[k] for k in ("gender", "age", "muscle", "weight", "height", "proportions")}


@dataclass(frozen=True)
class Body:
    """A posed body mesh with landmarks.

    Attributes:
        vertices: (N, 3) positions; faces: (F, 3) triangles (CCW seen from outside).
        arm_weight: (N,) skinning weight of the arm and hand bones.
        head_weight: (N,) skinning weight of the head bones.
        joints: named joint positions (3,).
        stature_m: standing height.
        bmi: body-mass index from the mesh volume.
    """

    vertices: np.ndarray
    faces: np.ndarray
    arm_weight: np.ndarray
    head_weight: np.ndarray
    joints: dict[str, np.ndarray]
    stature_m: float
    bmi: float

    @functools.cached_property
    def normals(self) -> np.ndarray:
        """Unit vertex normals (N, 3) of the mesh, computed once (a fold's refinement asks for
        the skin behind each of some 28 points)."""
        return vertex_normals(self.vertices, self.faces)


def age_years(age_param: float) -> float:
    """Anny age parameter to years (anchors: 1/3 child ~11 y, 2/3 young 25 y, 1 old 90 y)."""
    if age_param >= 2 / 3:
        return 25.0 + (age_param - 2 / 3) * 3 * 65.0
    return 11.0 + (age_param - 1 / 3) * 3 * 14.0


def age_param(years: float) -> float:
    """Inverse of :func:`age_years` for years >= 11."""
    if years >= 25.0:
        return 2 / 3 + (years - 25.0) / 195.0
    return 1 / 3 + (years - 11.0) / 42.0


def body_fat_percent(bmi: float, years: float, gender: float, muscle: float) -> float:
    """Deurenberg body-fat estimate, lowered for muscular builds (gender 0 = male, 1 = female)."""
    male = 1.0 - gender
    return float(
        np.clip(1.2 * bmi + 0.23 * years - 10.8 * male - 5.4 - 12.0 * (muscle - 0.5), 4.0, 50.0)
    )


@functools.lru_cache(maxsize=1)
def load_model():
    """Load (and cache per process) the anny full-body model in float32."""
    os.environ.setdefault(
        "ANNY_CACHE_DIR", str(Path(__file__).resolve().parents[2] / ".venv-synth" / "anny-cache")
    )
    try:
        import warp

        warp.config.quiet = True
    except ImportError:
        pass
    import anny
    import torch

    torch.set_num_threads(1)
    return anny.Anny().to(dtype=torch.float32)


#: The plane each axis turns, ordered so that positive angles turn right-handedly (a bone's
#: own Y runs along it: about Y the upper arm drops; about Z a spine or neck bone turns the
#: body above it about the spine; about X the elbow bends).
_ROTATION_PLANES = {"x": (1, 2), "y": (2, 0), "z": (0, 1)}


def _rotation(axis: str, deg: float) -> np.ndarray:
    """4x4 rotation by ``deg`` degrees about ``axis`` ("x", "y" or "z")."""
    a, b = _ROTATION_PLANES[axis]
    c, s = np.cos(np.deg2rad(deg)), np.sin(np.deg2rad(deg))
    m = np.eye(4)
    m[a, a], m[a, b], m[b, a], m[b, b] = c, -s, s, c
    return m


def _bone_group_weight(model, names: tuple[str, ...]) -> np.ndarray:
    """Per-vertex summed skinning weight of bones whose label starts with any of `names`."""
    labels = model.bone_labels
    in_group = np.array([any(lbl.startswith(n) for n in names) for lbl in labels])
    idx = model.vertex_bone_indices.numpy()
    w = model.vertex_bone_weights.numpy().astype(float)
    return (w * in_group[idx]).sum(axis=1)


def build_body(params: BodyParams) -> Body:
    """Pose an anny body: arms dropped from the rest A-pose to hang slightly abducted."""
    import torch

    model = load_model()
    labels = model.bone_labels
    pose = np.tile(np.eye(4), (len(labels), 1, 1))
    pose[labels.index("upperarm01.L")] = _rotation("y", params.arm_drop_deg)
    pose[labels.index("upperarm01.R")] = _rotation("y", -params.arm_drop_deg)
    pose[labels.index("lowerarm01.L")] = _rotation("x", -params.elbow_bend_deg)
    pose[labels.index("lowerarm01.R")] = _rotation("x", -params.elbow_bend_deg)
    for bone in NECK_BONES:
        pose[labels.index(bone)] = _rotation("z", params.head_turn_deg / len(NECK_BONES))
    for bone in CHEST_BONES:
        pose[labels.index(bone)] = _rotation("z", params.chest_turn_deg / len(CHEST_BONES))
    for bone in LEAN_BONES:  # about X a spine bone bends forward
        index = labels.index(bone)
        pose[index] = _rotation("x", params.lean_forward_deg / len(LEAN_BONES)) @ pose[index]
    if params.pelvis_tilt_deg:
        # The root carries the pelvis, the spine and the legs; about its Y it tilts sideways.
        pose[labels.index("root")] = _rotation("y", params.pelvis_tilt_deg)
        for bone in ("spine05", "upperleg01.L", "upperleg01.R"):
            pose[labels.index(bone)] = _rotation("y", -params.pelvis_tilt_deg)
    with torch.no_grad():
        out = model(
            pose_parameters=torch.tensor(pose[None], dtype=torch.float32),
            phenotype_kwargs={k: torch.tensor([v]) for k, v in params.phenotype().items()},
        )
    verts = out["vertices"][0].double().numpy()
    rest = out["rest_vertices"][0].double().numpy()
    faces = model.faces.numpy().astype(np.int64)
    heads = out["bone_poses"][0][:, :3, 3].double().numpy()
    joints = {
        n: heads[labels.index(n)]
        for n in ("upperleg01.L", "upperleg01.R", "spine01", "spine03", "head", "neck01")
    }
    stature = float(rest[:, 2].max() - rest[:, 2].min())
    t = rest[faces]
    volume = abs(float(np.sum(np.cross(t[:, 0], t[:, 1]) * t[:, 2]) / 6.0))
    bmi = volume * 980.0 / stature**2
    return Body(
        verts,
        faces,
        _bone_group_weight(model, ARM_BONES),
        _bone_group_weight(model, HEAD_BONES),
        joints,
        stature,
        bmi,
    )


def psis_estimates(body: Body) -> tuple[np.ndarray, np.ndarray]:
    """Approximate left and right PSIS positions (inside the body) from the hip joints.

    The PSIS lie about 10 cm above the hip joints / trochanters and about 11 cm
    apart; both scale with the pelvis, measured here by the hip-joint separation.
    """
    hl, hr = body.joints["upperleg01.L"], body.joints["upperleg01.R"]
    mid = 0.5 * (hl + hr)
    width = float(np.linalg.norm(hl - hr))
    lateral = (hl - hr) / width
    # Up the pelvis: square to the hip line in the body's frontal plane (vertical unless the
    # pelvis tilts sideways).
    up = PSIS_HEIGHT_RATIO * width * np.array([-lateral[2], 0.0, lateral[0]])
    half = 0.5 * PSIS_SEPARATION_RATIO * width
    return mid + up + half * lateral, mid + up - half * lateral


def project_to_back(body: Body, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First skin point hit by a ray from behind (+Y) through `point`, and its unit normal."""
    origin = np.array([point[0], body.vertices[:, 1].max() + 0.5, point[2]])
    direction = np.array([0.0, -1.0, 0.0])
    t, face = ray_mesh_intersect(origin, direction, body.vertices, body.faces)
    if face < 0:
        raise ValueError("PSIS ray missed the body")
    hit = origin + t * direction
    n = body.normals[body.faces[face]].mean(axis=0)
    return hit, n / np.linalg.norm(n)
