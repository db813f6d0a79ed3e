"""Render synthetic people (back, close-up and front views) with labelled dimples of Venus.

Benchmark set (320 images, ~60 % full body, ~25 % close-up, ~15 % front):

    python scripts/render.py --out bench/renders --n 320 --seed 1 --workers 2

Close-ups without clothing (the fallback's gluteal-cleft base line):

    python scripts/render.py --out bench/renders_nude --n 64 --seed 11 --framings closeup --nude

Scenes outside the benchmark's ranges (``--variant``, see VARIANTS), e.g. soft light:

    python scripts/render.py --out bench/st_soft --n 48 --seed 21 --framings full_body,closeup \
        --variant soft

Committed samples:

    python scripts/render.py --samples sample_images

Needs the `synth` environment (torch==2.13.0, anny, numpy, pillow); see scripts/rendering/.
Writes DIR/<name>.jpg and DIR/labels.json (schema "dimples-renders/1").
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from rendering.mesh import SkinFold
from rendering.scene import FRAMINGS, SceneParams, TattooStroke, render_image, sample_scene
from rendering.shading import WORLD_SRGB

SCHEMA = "dimples-renders/1"
FRAMING_SHARE = {"full_body": 0.60, "closeup": 0.25, "front": 0.15}
NEGATIVE_SHARE = 0.35
MAX_DEPTH_MM = 8.0
MIN_POSITIVE_DEPTH_MM = 1.0

# name, framing, max depth (mm), seed, overrides
SAMPLES: list[tuple[str, str, float, int, dict]] = [
    ("back_pronounced", "full_body", 7.0, 9101, {}),
    ("back_moderate", "full_body", 4.0, 9102, {}),
    ("back_subtle", "full_body", 2.0, 9103, {}),
    ("back_none", "full_body", 0.0, 9104, {}),
    ("back_side_light_moderate", "full_body", 4.5, 9105, {"light_azimuth_deg": 70.0}),
    ("closeup_moderate", "closeup", 4.5, 9106, {}),
    ("closeup_pronounced", "closeup", 7.0, 9107, {}),
    ("front_view", "front", 0.0, 9108, {}),
    ("closeup_nude_moderate", "closeup", 4.5, 9119, {"wears_bottom": False, "wears_top": False}),
    ("closeup_nude_none", "closeup", 0.0, 9110, {"wears_bottom": False, "wears_top": False}),
    ("back_turned_moderate", "full_body", 4.5, 9111, {"camera_yaw_deg": 30.0}),
]
SAMPLE_HEIGHT = {"full_body": 800, "front": 800, "closeup": 640}
SAMPLE_JPEG_QUALITY = 85
#: Scenes outside the benchmark's ranges, to see how the detector holds up beyond what it was
#: tuned on:
#:
#: - ``soft`` light: ambient 55-80 % instead of 10-50 %;
#: - ``harsh`` light: ambient 0-5 % and no fill light (instead of 10-50 % and 0-15 %), as a
#:   single lamp in a dark room, or a renderer's one directional light without an environment:
#:   what faces away from the key light is black;
#: - ``wide`` dimples: radius 20-26 mm instead of 10-20; ``small`` ones: 7-10 mm;
#: - ``hires`` photos: 2-3 x the pixels on each side, the same field of view;
#: - ``glossy`` skin: a sheen of 0.25-0.5 of the key light, exponent 8-40, instead of 0.06 and
#:   16 (oiled skin, or a renderer's physically based skin shader);
#: - people ``looking_back`` over a shoulder: the head turned 55-95 degrees to either side and
#:   the chest 0-35 degrees the same way, so that the face shows in profile or three-quarter
#:   view;
#: - ``flash``: the key light at the camera, as an on-camera flash (elevation 0-10 degrees,
#:   azimuth within 10 of the camera's, instead of 20-70 degrees above the back), under which
#:   dimples hardly shade;
#: - ``elongated`` dimples: oval, the long axis (running down and towards the midline) 1.6-2.2
#:   x the short one instead of 1.0-1.35;
#: - ``clean`` photos, as a renderer without a camera model writes them: no blur, no sensor
#:   noise, JPEG quality 98 (instead of blur up to 0.9 px, noise 0.5-4 levels, quality 70-95);
#: - ``smooth``: ``clean`` photos of skin in one flat colour, without its mottled albedo, as a
#:   renderer with a plain skin material writes them;
#: - ``tattoo``: a mirror-symmetric ink design across the lower back (2-4 tapering strokes,
#:   2-7 mm wide, from the midline out to 5-13 cm, each starting 3 cm below to 5 cm above the
#:   dimples and rising or falling up to 5 cm, often over them; ink replacing 55-90 % of the
#:   skin's colour), the "tribal" kind that real lower backs often carry: symmetric dark shapes
#:   where the pair is sought;
#: - ``moles``: 15-40 moles 2-6 mm across scattered over the lower back (within 15 cm of the
#:   spine, from 8 cm below the dimples to 20 cm above), brown, at a third to two fifths of
#:   the skin's brightness: dark spots that frontal light's pits resemble;
#: - ``world``: the uniform black, white or mid-grey background of a renderer's empty world
#:   (instead of colours of 0.25-0.95, gradients, noise or stripes);
#: - ``turned``: the camera 20-35 degrees round the person to either side (instead of up to
#:   15), as a back is often photographed a little from the side;
#: - ``from_above``: the camera held high, looking down the back: close-ups 0.3-0.6 m above the
#:   dimples at 0.55-1.1 m (instead of -0.08 to 0.12 m: 15-47 degrees down instead of at most
#:   12), whole bodies from 1.9-2.3 m above the floor (instead of 0.9-1.6 m);
#: - ``contrapposto``: the weight on one leg, the pelvis (and the dimples on it) tilted 5-10
#:   degrees sideways under an upright torso (instead of level);
#: - ``arms_up``: the arms raised, from sideways to hands behind the head or flexed as in a
#:   back double-biceps pose (upper arms 60-125 degrees up from the rest A-pose, elbows bent
#:   20-110 degrees; instead of 24-33 down and 0-12);
#: - ``long_hair``: hair hanging down the back (painted on the skin), its tips 5-30 cm above
#:   the dimples (instead of a cap on the scalp only);
#: - ``leaning``: the torso bent 15-35 degrees forward over the spine, the pelvis upright (as
#:   towards a wall or a table; instead of upright);
#: - ``blinds``: the key light through window blinds: bands of light and shadow 3-8 cm apart,
#:   within 25 degrees of level, across the body (instead of an open key light);
#: - ``leaves``: the key light through leaves: dappled patches of light and shadow 3-10 cm
#:   across (instead of an open key light);
#: - ``low_waistband``: low-rise briefs or trousers, their waistband 1-3.5 cm below the dimples'
#:   centres (instead of 6-9 cm below them), as the dimples are often shown just above the
#:   waistband;
#: - ``high_waist``: trousers, shorts or briefs worn high, their waistband 2-10 cm above the
#:   dimples' centres (instead of 6-9 cm below them): the skin over the sacroiliac joints is
#:   covered (labelled ``lower_back: covered``), and a detector should say
#:   ``region_not_visible``, not judge the bare skin above the band;
#: - ``tan_lines``: without briefs or shorts, but with their tan lines: the skin they covered in
#:   the sun 1.2-1.6 x lighter (linear albedo), its top edge (soft over 6 mm) 1-7 cm below the
#:   dimples' centres, as a bikini leaves it;
#: - ``grazing``: the key light 70-85 degrees up (instead of 20-70), within 30 degrees of the
#:   camera's side, as a high sun or a ceiling light right above a standing person falls
#:   along the back: the upper back's bulge then shades the lumbar hollow, and the shadow's
#:   edge crosses the lower back near the dimples;
#: - ``three_quarter``: the camera 35-55 degrees round the person to either side (instead of up
#:   to 15): a back seen three-quarter on, between ``turned`` and ``side_on``;
#: - ``side_on``: the camera 45-90 degrees round the person to either side (instead of up to
#:   15): from a back seen three-quarter on to a body seen from the side, whose dimples face
#:   away from the camera;
#: - ``pit_shapes``: pits of another cross-section than the benchmark's Gaussian, both sides
#:   alike (``funnel`` or ``bowl``, rendering.mesh.DIMPLE_PROFILES), at the same depths and
#:   half-depth radii: a detector matched to one shape of pit should still find the others;
#: - ``asymmetric``: one pit (either side) 0.3-0.7 times as deep as the benchmark draws it
#:   (instead of both within 0.8-1.0 of the deeper one), as one dimple often shows more than the
#:   other;
#: - ``placement``: both pits 0-2 cm higher or lower than over the renderer's PSIS estimate, and
#:   0-2 cm further apart or closer together (instead of within a few millimetres of it), as
#:   another model of the pelvis would place them;
#: - ``skin_folds``: a crease across each side of the lower back with a roll of skin above it,
#:   as skin folds at the waist where there is fat under it (instead of smooth skin): the
#:   creases begin 4-9 cm from the spine, 3-12 cm above the dimples, and run round the flanks
#:   rising or falling (up to 0.3 of their length), 2-6 mm deep and 2-4 mm wide (sigma), the
#:   rolls standing out by half to all of that; nearly mirrored. A crease's inner end is a
#:   short dark stroke on each side, a symmetric pair that the detector must not take for
#:   dimples;
#: - ``body_hair``: hair over the lower back in the colour of the head's, thickest on the
#:   midline (replacing 15-50 % of the skin's colour there), falling off sideways over 4-12 cm
#:   (a Gaussian's sigma), from 8 cm below the dimples to 5-25 cm above them, in streaks 3-12 mm
#:   apart running within 30 degrees of straight down (instead of bare skin), as many men's lower
#:   backs are; men only;
#: - ``stretch_marks``: 4-9 stretch marks on each side (mirrored), pale (1.12-1.3 x the skin's
#:   linear albedo, half as saturated), 2-5 mm wide and 3-8 cm long, 6-12 mm apart, within 20
#:   degrees of level, beginning 5-10 cm from the spine, the lowest 4 cm below to 6 cm above the
#:   dimples (instead of unmarked skin), as growth or weight change leaves them across the lower
#:   back and flanks.
VARIANTS = (
    "soft",
    "harsh",
    "wide",
    "small",
    "hires",
    "glossy",
    "looking_back",
    "flash",
    "elongated",
    "clean",
    "smooth",
    "tattoo",
    "moles",
    "world",
    "turned",
    "from_above",
    "contrapposto",
    "arms_up",
    "long_hair",
    "leaning",
    "blinds",
    "leaves",
    "low_waistband",
    "high_waist",
    "tan_lines",
    "grazing",
    "three_quarter",
    "side_on",
    "pit_shapes",
    "asymmetric",
    "placement",
    "skin_folds",
    "body_hair",
    "stretch_marks",
)
#: The camera's turn round the person, to either side (degrees), of the variants that turn it.
CAMERA_TURN_DEG = {"turned": (20.0, 35.0), "three_quarter": (35.0, 55.0), "side_on": (45.0, 90.0)}
#: Offset of the variants' random stream from the run seed (they do not disturb the scenes).
VARIANT_SEED_OFFSET = 1000


def image_seed(seed: int, index: int) -> int:
    """Independent per-image seed derived from the run seed and the image index."""
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def allocate(n: int, shares: dict[str, float]) -> dict[str, int]:
    """Split n items by shares with largest-remainder rounding."""
    total = sum(shares.values())
    raw = {k: n * v / total for k, v in shares.items()}
    counts = {k: int(np.floor(v)) for k, v in raw.items()}
    for k in sorted(raw, key=lambda k: counts[k] - raw[k])[: n - sum(counts.values())]:
        counts[k] += 1
    return counts


def plan(
    n: int, seed: int, framings: list[str], nude: bool = False, variant: str | None = None
) -> list[tuple[str, SceneParams]]:
    """Deterministic list of (file name, scene) for a dataset of n images (``nude``: without
    briefs, shorts or bra; ``variant``: one of :data:`VARIANTS`; the scenes are otherwise
    those of the same seed)."""
    rng = np.random.default_rng(seed)
    counts = allocate(n, {f: FRAMING_SHARE[f] for f in framings})
    order = np.array([f for f in framings for _ in range(counts[f])])
    order = order[rng.permutation(n)]
    back = np.nonzero(order != "front")[0]
    negatives = set(
        rng.choice(back, size=round(NEGATIVE_SHARE * len(back)), replace=False).tolist()
    )
    jobs = []
    for i, framing in enumerate(order):
        positive = framing != "front" and i not in negatives
        depth = float(rng.uniform(MIN_POSITIVE_DEPTH_MM, MAX_DEPTH_MM)) if positive else 0.0
        scene = sample_scene(image_seed(seed, i), str(framing), depth)
        if nude:
            scene = replace(scene, wears_bottom=False, wears_top=False)
        jobs.append((f"r{i:05d}.jpg", scene))
    if variant is not None:
        varied = np.random.default_rng(seed + VARIANT_SEED_OFFSET)
        jobs = [(name, vary(scene, variant, varied)) for name, scene in jobs]
    return jobs


def vary(scene: SceneParams, variant: str, rng: np.random.Generator) -> SceneParams:
    """``scene`` moved outside the benchmark's ranges as ``variant`` (:data:`VARIANTS`) says."""
    if variant == "soft":
        return replace(scene, ambient=float(rng.uniform(0.55, 0.8)))
    if variant == "harsh":
        return replace(scene, ambient=float(rng.uniform(0.0, 0.05)), fill=0.0)
    if variant == "glossy":
        return replace(
            scene,
            specular=float(rng.uniform(0.25, 0.5)),
            shininess=float(rng.uniform(8.0, 40.0)),
        )
    if variant == "looking_back":
        side = float(rng.choice([-1.0, 1.0]))
        head, chest = float(rng.uniform(55.0, 95.0)), float(rng.uniform(0.0, 35.0))
        body = replace(scene.body, head_turn_deg=side * head, chest_turn_deg=side * chest)
        return replace(scene, body=body)
    if variant == "flash":
        return replace(
            scene,
            light_azimuth_deg=float(rng.uniform(-10.0, 10.0)),
            light_elevation_deg=float(rng.uniform(0.0, 10.0)),
        )
    if variant == "hires":
        factor = float(rng.uniform(2.0, 3.0))
        return replace(
            scene, width=round(scene.width * factor), height=round(scene.height * factor)
        )
    if variant == "elongated":
        return replace(
            scene,
            left=replace(scene.left, elongation=float(rng.uniform(1.6, 2.2))),
            right=replace(scene.right, elongation=float(rng.uniform(1.6, 2.2))),
        )
    if variant == "tattoo":
        return replace(
            scene, tattoo=tattoo_design(rng), tattoo_density=float(rng.uniform(0.55, 0.9))
        )
    if variant == "world":
        return replace(scene, background=str(rng.choice(sorted(WORLD_SRGB))))
    if variant in CAMERA_TURN_DEG:
        side = float(rng.choice([-1.0, 1.0]))
        return replace(scene, camera_yaw_deg=side * float(rng.uniform(*CAMERA_TURN_DEG[variant])))
    if variant == "leaves":
        return replace(scene, leaves_m=float(rng.uniform(0.03, 0.1)))
    if variant == "blinds":
        period, angle = float(rng.uniform(0.03, 0.08)), float(rng.uniform(-25.0, 25.0))
        return replace(scene, blinds=(period, angle, float(rng.uniform(0.0, 2.0 * np.pi))))
    if variant == "leaning":
        lean = float(rng.uniform(15.0, 35.0))
        return replace(scene, body=replace(scene.body, lean_forward_deg=lean))
    if variant == "long_hair":
        return replace(scene, back_hair_tips_m=float(rng.uniform(0.05, 0.3)))
    if variant == "arms_up":
        raised = -float(rng.uniform(60.0, 125.0))
        body = replace(scene.body, arm_drop_deg=raised, elbow_bend_deg=float(rng.uniform(20, 110)))
        return replace(scene, body=body)
    if variant == "contrapposto":
        tilt = float(rng.choice([-1.0, 1.0])) * float(rng.uniform(5.0, 10.0))
        return replace(scene, body=replace(scene.body, pelvis_tilt_deg=tilt))
    if variant == "from_above":
        high = (0.3, 0.6) if scene.framing == "closeup" else (1.9, 2.3)
        return replace(scene, camera_height_m=float(rng.uniform(*high)))
    if variant == "moles":
        count = int(rng.integers(15, 41))
        moles = zip(
            rng.uniform(-0.15, 0.15, count),
            rng.uniform(-0.08, 0.2, count),
            rng.uniform(0.001, 0.003, count),
            strict=True,
        )
        return replace(scene, moles=tuple((float(x), float(y), float(r)) for x, y, r in moles))
    if variant == "low_waistband":
        # garment_top_m lowers the waistband from 6 cm below the dimples' centres.
        return replace(scene, garment_top_m=float(rng.uniform(-0.05, -0.025)))
    if variant == "high_waist":
        return replace(scene, garment_top_m=float(rng.uniform(-0.16, -0.08)))
    if variant == "tan_lines":
        tan = (float(rng.uniform(0.01, 0.07)), float(rng.uniform(1.2, 1.6)))
        return replace(scene, wears_bottom=False, tan_line=tan)
    if variant == "grazing":
        return replace(
            scene,
            light_azimuth_deg=float(rng.uniform(-30.0, 30.0)),
            light_elevation_deg=float(rng.uniform(70.0, 85.0)),
        )
    if variant == "asymmetric":
        side = "left" if rng.random() < 0.5 else "right"
        spec = getattr(scene, side)
        shallower = replace(spec, depth_mm=spec.depth_mm * float(rng.uniform(0.3, 0.7)))
        return replace(scene, **{side: shallower})
    if variant == "placement":
        # Both pits moved up or down alike, and apart or together (mirrored across the spine).
        up, apart = float(rng.uniform(-20.0, 20.0)), float(rng.uniform(-10.0, 10.0))
        left = replace(scene.left, dx_mm=scene.left.dx_mm + apart, dz_mm=scene.left.dz_mm + up)
        right = replace(scene.right, dx_mm=scene.right.dx_mm - apart, dz_mm=scene.right.dz_mm + up)
        return replace(scene, left=left, right=right)
    if variant == "skin_folds":
        inner, height = float(rng.uniform(0.04, 0.09)), float(rng.uniform(0.03, 0.12))
        rise, depth = float(rng.uniform(-0.3, 0.3)), float(rng.uniform(0.002, 0.006))
        sigma, roll = float(rng.uniform(0.002, 0.004)), float(rng.uniform(0.5, 1.0))
        folds = tuple(
            SkinFold(
                side=side,
                inner_m=inner * float(rng.uniform(0.9, 1.1)),
                height_m=height + float(rng.normal(0.0, 0.005)),
                rise=rise,
                depth_m=depth * float(rng.uniform(0.8, 1.0)),
                sigma_m=sigma,
                roll_m=roll * depth,
            )
            for side in (1.0, -1.0)
        )
        return replace(scene, folds=folds)
    if variant == "stretch_marks":
        lighter = float(rng.uniform(1.12, 1.3))
        return replace(scene, striae=striae_design(rng), striae_lighter=lighter)
    if variant == "body_hair":
        hair = (
            float(rng.uniform(0.15, 0.5)),
            float(rng.uniform(0.04, 0.12)),
            float(rng.uniform(0.05, 0.25)),
        )
        # Men's: women's lower backs carry fine pale hair that a photo does not show.
        return replace(scene, body_hair=hair) if scene.body.gender < 0.5 else scene
    if variant == "pit_shapes":
        profile = str(rng.choice(["funnel", "bowl"]))
        return replace(
            scene,
            left=replace(scene.left, profile=profile),
            right=replace(scene.right, profile=profile),
        )
    if variant in ("clean", "smooth"):
        return replace(scene, blur=0.0, noise=0.0, jpeg_quality=98, skin_texture=variant == "clean")
    if variant in ("wide", "small"):
        radius = float(rng.uniform(20, 26) if variant == "wide" else rng.uniform(7, 10))
        other = radius * float(rng.uniform(0.9, 1.1))
        return replace(
            scene,
            left=replace(scene.left, radius_mm=radius),
            right=replace(scene.right, radius_mm=other),
        )
    raise ValueError(f"unknown variant {variant!r} (one of {', '.join(VARIANTS)})")


def tattoo_design(rng: np.random.Generator) -> tuple[TattooStroke, ...]:
    """A random lower-back tattoo (see the ``tattoo`` variant): its strokes, each drawn on both
    sides of the spine."""
    strokes = []
    for _ in range(int(rng.integers(2, 5))):
        start = (float(rng.uniform(0.005, 0.03)), float(rng.uniform(-0.03, 0.05)))
        end = (float(rng.uniform(0.05, 0.13)), start[1] + float(rng.uniform(-0.05, 0.05)))
        bow, width = float(rng.uniform(-0.025, 0.025)), float(rng.uniform(0.002, 0.007))
        strokes.append(TattooStroke(start, end, bow, width))
    return tuple(strokes)


def striae_design(rng: np.random.Generator) -> tuple[TattooStroke, ...]:
    """Stretch marks (see the ``stretch_marks`` variant): near-parallel strokes, each drawn on
    both sides of the spine."""
    lowest, spacing = float(rng.uniform(-0.04, 0.06)), float(rng.uniform(0.006, 0.012))
    slope = np.tan(np.radians(float(rng.uniform(-20.0, 20.0))))
    strokes = []
    for index in range(int(rng.integers(4, 10))):
        inner = float(rng.uniform(0.05, 0.1))
        length = float(rng.uniform(0.03, 0.08))
        height = lowest + index * spacing
        start, end = (inner, height), (inner + length, height + slope * length)
        bow, width = float(rng.uniform(-0.004, 0.004)), float(rng.uniform(0.002, 0.005))
        strokes.append(TattooStroke(start, end, bow, width))
    return tuple(strokes)


def sample_jobs() -> list[tuple[str, SceneParams]]:
    """The curated sample images: small JPEGs covering each depth class and framing."""
    jobs = []
    for name, framing, depth, seed, overrides in SAMPLES:
        scene = sample_scene(seed, framing, depth)
        h = SAMPLE_HEIGHT[framing]
        w = round(h * scene.width / scene.height)
        scene = replace(scene, width=w, height=h, jpeg_quality=SAMPLE_JPEG_QUALITY, **overrides)
        jobs.append((f"{name}.jpg", scene))
    return jobs


def _render_job(job: tuple[str, SceneParams]) -> tuple[str, bytes, dict]:
    """Worker: render one job."""
    name, scene = job
    jpeg, label = render_image(scene)
    return name, jpeg, label


def run(jobs: list[tuple[str, SceneParams]], out: Path, workers: int) -> list[dict]:
    """Render all jobs (in parallel when workers > 1) and write images and labels.json."""
    out.mkdir(parents=True, exist_ok=True)
    labels = []
    start = time.time()
    if workers > 1:
        pool = multiprocessing.get_context("spawn").Pool(workers)
        results = pool.imap(_render_job, jobs)
    else:
        pool = None
        results = map(_render_job, jobs)
    try:
        for k, (name, jpeg, label) in enumerate(results, 1):
            (out / name).write_bytes(jpeg)
            labels.append({"file": name, **label})
            print(
                f"[{k}/{len(jobs)}] {name} {label['framing']} present={label['present']} "
                f"{time.time() - start:.0f}s",
                flush=True,
            )
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    (out / "labels.json").write_text(json.dumps({"schema": SCHEMA, "images": labels}, indent=1))
    return labels


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--out", type=Path, help="output folder for a random dataset")
    ap.add_argument("--n", type=int, default=320, help="number of images")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument(
        "--framings",
        default=",".join(FRAMINGS),
        help="comma-separated subset of " + ",".join(FRAMINGS),
    )
    ap.add_argument("--nude", action="store_true", help="render without clothing")
    ap.add_argument("--variant", choices=VARIANTS, help="scenes outside the benchmark's ranges")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--samples", type=Path, help="write the curated sample images to this folder instead"
    )
    args = ap.parse_args(argv)
    if args.samples:
        run(sample_jobs(), args.samples, args.workers)
        return
    if args.out is None:
        ap.error("--out or --samples is required")
    framings = [f for f in args.framings.split(",") if f]
    unknown = set(framings) - set(FRAMINGS)
    if unknown:
        ap.error(f"unknown framings: {sorted(unknown)}")
    run(plan(args.n, args.seed, framings, args.nude, args.variant), args.out, args.workers)


if __name__ == "__main__":
    main()
