"""Tests of the synthetic dimple renderer (scripts/render.py and scripts/rendering/)."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))

from render import VARIANTS
from rendering.mesh import (
    DIMPLE_PROFILES,
    FOLD_ROLL_OFFSET,
    FOLD_ROLL_SIGMAS,
    FOLD_TAPER_M,
    Dimple,
    SkinFold,
    dimple_profile,
    flatten_relief,
    fold_relief,
    refine_near,
    sculpt,
    vertex_normals,
)
from rendering.raster import interpolate, make_camera, project, render_camera
from rendering.shading import Light, background, postprocess, shade

CYL_RADIUS = 0.15


def cylinder_patch(step: float = 0.004) -> tuple[np.ndarray, np.ndarray]:
    """A patch of a vertical cylinder facing +Y, outward-facing triangles."""
    thetas = np.arange(-1.0, 1.0 + 1e-9, step / CYL_RADIUS)
    zs = np.arange(-0.12, 0.12 + 1e-9, step)
    t, z = np.meshgrid(thetas, zs)
    verts = np.stack([CYL_RADIUS * np.sin(t), CYL_RADIUS * np.cos(t), z], axis=-1).reshape(-1, 3)
    nt = len(thetas)
    i, j = np.meshgrid(np.arange(len(zs) - 1), np.arange(nt - 1), indexing="ij")
    a = (i * nt + j).ravel()
    b, c, d = a + 1, a + nt, a + nt + 1
    faces = np.concatenate([np.stack([a, d, b], 1), np.stack([a, c, d], 1)])
    return verts, faces


def cylinder_dimples() -> list[Dimple]:
    """Two dimples 10 cm apart on the cylinder patch."""
    out = []
    for theta, depth in ((-0.34, 0.006), (0.34, 0.004)):
        n = np.array([np.sin(theta), np.cos(theta), 0.0])
        out.append(Dimple(CYL_RADIUS * n, n, depth, 0.012))
    return out


def test_depth_buffer_peaks_at_projected_dimple_centres() -> None:
    verts, faces = cylinder_patch(step=0.01)
    dimples = cylinder_dimples()
    centres = np.stack([d.center for d in dimples])
    verts, faces, _, _ = refine_near(
        verts, faces, vertex_normals(verts, faces), np.zeros((len(verts), 0)), centres, 0.04, 3
    )
    sculpted = sculpt(verts, dimples)
    cam = make_camera(np.array([0.02, 0.9, 0.05]), np.array([0.0, 0.0, 0.0]), 900.0, 240, 200)
    flat = render_camera(cam, verts, faces)
    dimpled = render_camera(cam, sculpted, faces)
    assert flat.mask.mean() > 0.3
    diff = np.where(flat.mask & dimpled.mask, dimpled.depth - flat.depth, 0.0)
    xy, _ = project(cam, np.stack([d.center - d.depth_m * d.normal for d in dimples]))
    for (x, y), d in zip(xy, dimples, strict=True):
        r0, c0 = int(y) - 15, int(x) - 15
        window = diff[r0 : r0 + 31, c0 : c0 + 31]
        row, col = np.unravel_index(np.argmax(window), window.shape)
        assert window.max() > 0.5 * d.depth_m
        assert np.hypot(c0 + col + 0.5 - x, r0 + row + 0.5 - y) <= 2.0


@pytest.mark.parametrize("profile", DIMPLE_PROFILES)
def test_each_pit_profile_is_half_as_deep_at_its_radius_and_flat_beyond_its_reach(
    profile: str,
) -> None:
    axis = np.array([0.0, 0.0, 1.0])
    dimple = Dimple(np.zeros(3), axis, 0.004, 0.012, profile=profile)
    radii = np.linspace(0.0, 0.04, 401)
    points = np.stack([radii, np.zeros_like(radii), np.zeros_like(radii)], axis=1)
    depth = dimple_profile(points, dimple)
    assert depth[0] == pytest.approx(0.004)
    assert np.interp(0.012, radii, depth) == pytest.approx(0.002, rel=0.02)
    assert np.all(np.diff(depth) <= 1e-12)  # deepest at the centre, never rising outwards
    assert np.all(depth[radii >= 0.03] < 0.00005)
    assert not np.any(np.abs(np.diff(depth, 2)) > 2e-5)  # no crease: the slope changes smoothly


def test_the_pit_profiles_differ_in_shape() -> None:
    axis = np.array([0.0, 0.0, 1.0])
    points = np.array([[0.003, 0.0, 0.0], [0.018, 0.0, 0.0]])  # a quarter and 1.5 radii out
    depth = {
        profile: dimple_profile(points, Dimple(np.zeros(3), axis, 0.004, 0.012, profile=profile))
        for profile in DIMPLE_PROFILES
    }
    # The funnel falls fastest near its centre, the bowl slowest; out at 1.5 radii the order
    # is the other way round: the funnel's flanks run furthest, the bowl's walls end first.
    assert depth["funnel"][0] < depth["gaussian"][0] < depth["bowl"][0]
    assert depth["bowl"][1] < depth["gaussian"][1] < depth["funnel"][1]


def test_a_skin_fold_is_a_crease_under_a_roll_that_begins_at_its_inner_end() -> None:
    """Across the crease (in height, at a point past the taper) the skin is deepest on the
    crease's line and stands out most a roll's offset above it; along it, the fold is nothing
    medial to its inner end and full a taper's length beyond it; on the other side of the
    midline, nothing."""
    fold = SkinFold(
        side=1.0, inner_m=0.05, height_m=0.08, rise=0.2, depth_m=0.004, sigma_m=0.003, roll_m=0.003
    )
    centre = np.array([0.01, 0.3, 1.0])
    lateral = 0.1  # past the taper: the crease's line lies 0.2 x 0.05 m higher there
    line_z = centre[2] + fold.height_m + fold.rise * (lateral - fold.inner_m)
    heights = np.linspace(-0.05, 0.1, 1501)
    across = np.stack(
        [
            np.full_like(heights, centre[0] + lateral),
            np.full_like(heights, centre[1]),
            line_z + heights,
        ],
        axis=1,
    )
    relief = fold_relief(across, centre, fold)
    roll_sigma = FOLD_ROLL_SIGMAS * fold.sigma_m
    # On the line the roll's lower flank lifts the crease a little.
    on_line = -fold.depth_m + fold.roll_m * np.exp(-0.5 * FOLD_ROLL_OFFSET**2)
    assert relief[np.argmin(np.abs(heights))] == pytest.approx(on_line, rel=1e-3)
    assert abs(heights[np.argmin(relief)]) < fold.sigma_m / 2  # deepest at about the line
    assert relief.min() < on_line < -fold.depth_m / 2
    assert heights[np.argmax(relief)] == pytest.approx(FOLD_ROLL_OFFSET * roll_sigma, abs=1e-3)
    assert 0.5 * fold.roll_m < relief.max() <= fold.roll_m
    assert np.all(np.abs(relief[heights < -0.03]) < 1e-5)  # the skin below is untouched

    def on_the_line(offset_from_midline: float) -> float:
        x = centre[0] + offset_from_midline
        rise = fold.rise * max(abs(offset_from_midline) - fold.inner_m, 0.0)
        point = np.array([[x, centre[1], centre[2] + fold.height_m + rise]])
        return float(fold_relief(point, centre, fold)[0])

    assert on_the_line(0.04) == 0.0  # medial to the inner end
    assert on_the_line(fold.inner_m + FOLD_TAPER_M / 2) == pytest.approx(on_line / 2, rel=1e-3)
    assert on_the_line(fold.inner_m + FOLD_TAPER_M + 0.01) == pytest.approx(on_line, rel=1e-3)
    assert on_the_line(-0.1) == 0.0  # the other side of the midline


def test_refinement_is_crack_free_and_keeps_the_surface() -> None:
    verts, faces = cylinder_patch(step=0.02)
    centres = np.array([[0.0, CYL_RADIUS, 0.0]])
    v2, f2, n2, a2 = refine_near(
        verts, faces, vertex_normals(verts, faces), verts[:, :1], centres, 0.05, 2
    )
    assert len(f2) > len(faces)
    # Every interior edge is shared by exactly two faces (no T-junctions).
    e = np.sort(np.concatenate([f2[:, [0, 1]], f2[:, [1, 2]], f2[:, [2, 0]]]), axis=1)
    _, counts = np.unique(e, axis=0, return_counts=True)
    assert counts.max() == 2
    e0 = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), axis=1)
    _, c0 = np.unique(e0, axis=0, return_counts=True)
    assert (counts == 1).sum() >= (c0 == 1).sum()
    np.testing.assert_allclose(a2[:, 0], v2[:, 0])
    np.testing.assert_allclose(np.linalg.norm(n2, axis=1), 1.0)


def _tiny_synthetic_render(seed: int) -> bytes:
    """Shade the dimpled cylinder over a random background and JPEG-encode it."""
    rng = np.random.default_rng(seed)
    verts, faces = cylinder_patch(step=0.01)
    verts = sculpt(verts, cylinder_dimples())
    cam = make_camera(np.array([0.0, 0.9, 0.0]), np.zeros(3), 300.0, 64, 48)
    frags = render_camera(cam, verts, faces)
    m = frags.mask
    pts = interpolate(frags, faces, verts)[m]
    nrm = interpolate(frags, faces, vertex_normals(verts, faces))[m]
    nrm /= np.linalg.norm(nrm, axis=1, keepdims=True)
    view = cam.position - pts
    view /= np.linalg.norm(view, axis=1, keepdims=True)
    up = np.array([0.0, 0.6, 0.8])
    light = Light(up, 1.0, 0.3, up, 0.1, np.ones(3))
    img = background(rng, 48, 64, "noise")
    img[m] = shade(np.full((m.sum(), 3), 0.5), nrm, view, light, np.ones(m.sum()))
    return postprocess(rng, np.sqrt(img), 0.5, 2.0, 80)


def test_flattening_removes_a_natural_indentation_and_keeps_the_body_shape() -> None:
    """A 2 mm indentation in the cylinder (as the base body mesh has at some PSIS) is gone
    after flattening; the cylinder itself and the skin beyond the patch are unchanged."""
    verts, faces = cylinder_patch()
    (natural, _) = cylinder_dimples()
    natural = Dimple(natural.center, natural.normal, 0.002, 0.015)
    dented = sculpt(verts, [natural])
    normals = vertex_normals(dented, faces)
    flat, flat_normals = flatten_relief(dented, normals, natural.center, natural.normal)
    # Radial distance from the cylinder axis: the true surface is at CYL_RADIUS.
    radius = np.hypot(flat[:, 0], flat[:, 1])
    near = np.linalg.norm(verts - natural.center, axis=1) < 0.02
    assert np.abs(np.hypot(dented[near, 0], dented[near, 1]) - CYL_RADIUS).max() > 0.0015
    assert np.abs(radius[near] - CYL_RADIUS).max() < 0.0003
    far = np.linalg.norm(verts - natural.center, axis=1) > 0.07
    assert np.array_equal(flat[far], dented[far])
    # The shading normals follow the cylinder again: radial, within a degree.
    radial = verts[near] / np.linalg.norm(verts[near], axis=1, keepdims=True)
    radial[:, 2] = 0.0
    cosine = np.sum(flat_normals[near] * radial, axis=1) / np.linalg.norm(radial, axis=1)
    assert np.degrees(np.arccos(np.clip(cosine, -1, 1))).max() < 1.0


def test_synthetic_render_is_deterministic() -> None:
    assert _tiny_synthetic_render(7) == _tiny_synthetic_render(7)
    assert _tiny_synthetic_render(7) != _tiny_synthetic_render(8)


def test_anny_render_labels_lie_on_the_lower_back() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("anny")
    from dataclasses import replace

    from rendering.scene import dimpled_body, render_image, sample_scene, scene_camera

    scene = replace(sample_scene(11, "full_body", 6.0), width=150, height=200)
    jpeg_a, label = render_image(scene)
    jpeg_b, _ = render_image(scene)
    assert jpeg_a == jpeg_b
    db = dimpled_body(scene)
    cam = scene_camera(scene, db)
    mask = render_camera(cam, db.vertices, db.faces).mask
    hips, _ = project(
        cam, np.stack([db.body.joints["upperleg01.L"], db.body.joints["upperleg01.R"]])
    )
    left, right = label["dimples"]
    assert label["present"] and left["visible"] and right["visible"]
    assert left["x"] < right["x"]  # back view: the person's left is on the image's left
    for d in (left, right):
        assert mask[int(d["y"]), int(d["x"])]
        assert hips[:, 0].min() < d["x"] < hips[:, 0].max()
        assert d["y"] < hips[:, 1].min()  # above the hip joints
    assert 80 < label["inter_dimple_mm"] < 130


def test_labels_record_the_marks_on_the_skin_only_where_a_variant_draws_them() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("anny")
    from dataclasses import replace

    import render
    from rendering.scene import render_image

    [(_, plain)] = render.plan(1, 5, ["full_body"])
    [(_, marked)] = render.plan(1, 5, ["full_body"], variant="stretch_marks")
    small = {"width": 120, "height": 160}
    marked = replace(marked, moles=((0.05, 0.02, 0.002),), body_hair=(0.3, 0.08, 0.15), **small)
    label_plain, label_marked = render_image(replace(plain, **small))[1], render_image(marked)[1]
    assert "skin_marks" not in label_plain
    assert label_marked["skin_marks"] == {
        "moles": 1,
        "body_hair": {"density": 0.3, "half_width_mm": 80.0, "top_mm": 150.0},
        "stretch_marks": {
            "per_side": len(marked.striae),
            "lighter": round(marked.striae_lighter, 3),
        },
    }
    assert label_marked["dimples"] == label_plain["dimples"]


def test_a_nude_render_shows_skin_where_the_clothed_one_shows_its_briefs() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("anny")
    import io
    from dataclasses import replace

    from PIL import Image
    from rendering.scene import render_image, sample_scene

    clothed = replace(sample_scene(12, "closeup", 4.0), width=200, height=200)
    nude = replace(clothed, wears_bottom=False, wears_top=False)
    (jpeg_clothed, label_clothed), (jpeg_nude, label_nude) = map(render_image, (clothed, nude))
    assert label_clothed["dimples"] == label_nude["dimples"]
    left, right = label_nude["dimples"]
    # Between the dimples and their spacing below them: briefs on the one, skin on the other.
    x0, x1 = sorted((int(left["x"]), int(right["x"])))
    y0 = int((left["y"] + right["y"]) / 2 + label_nude["inter_dimple_px"])
    skin = np.array(clothed.skin_srgb) * 255
    for jpeg, is_skin in ((jpeg_clothed, False), (jpeg_nude, True)):
        rgb = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"), np.float64)
        patch = rgb[y0 : y0 + 4, x0:x1].reshape(-1, 3)
        tint = patch / patch.sum(axis=1, keepdims=True)  # shading changes brightness, not tint
        distance = np.abs(tint - skin / skin.sum()).sum(axis=1).mean()
        assert (distance < 0.05) == is_skin


def _changed_on_the_back(**changes: object) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A close-up render (without noise) and the same scene with ``changes``: both in grey,
    the dimples' midpoint (x, y) and the millimetres a pixel there."""
    pytest.importorskip("torch")
    pytest.importorskip("anny")
    import io

    from PIL import Image
    from rendering.scene import render_image, sample_scene

    plain = replace(sample_scene(12, "closeup", 4.0), width=200, height=200, noise=0.0)
    (jpeg_plain, label), (jpeg_changed, _) = map(render_image, (plain, replace(plain, **changes)))
    grey_plain, grey_changed = (
        np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), np.float64)
        for jpeg in (jpeg_plain, jpeg_changed)
    )
    left, right = label["dimples"]
    midpoint = np.array([(left["x"] + right["x"]) / 2, (left["y"] + right["y"]) / 2])
    return grey_plain, grey_changed, midpoint, label["inter_dimple_mm"] / label["inter_dimple_px"]


def test_a_waistband_worn_high_covers_the_dimples_and_says_so() -> None:
    pytest.importorskip("torch")
    pytest.importorskip("anny")
    import io

    from PIL import Image
    from rendering.scene import render_image, sample_scene

    plain = replace(sample_scene(12, "closeup", 4.0), width=200, height=200, noise=0.0)
    # The band 6 cm above the dimples' centres (12 cm higher than the benchmark's lowest).
    high = replace(plain, garment_top_m=-0.12)
    (jpeg_plain, bare), (jpeg_high, covered) = map(render_image, (plain, high))
    assert bare["lower_back"] == "bare" and covered["lower_back"] == "covered"
    assert not any(d["covered"] for d in bare["dimples"])
    assert all(d["covered"] and d["visible"] for d in covered["dimples"])
    grey_plain, grey_high = (
        np.asarray(Image.open(io.BytesIO(jpeg)).convert("L"), np.float64)
        for jpeg in (jpeg_plain, jpeg_high)
    )
    # Cloth, not skin, where the dimples are: the garment's colour replaces the skin's there.
    for dimple in covered["dimples"]:
        row, col = round(dimple["y"]), round(dimple["x"])
        patch = (slice(row - 3, row + 4), slice(col - 3, col + 4))
        assert np.abs(grey_plain[patch] - grey_high[patch]).mean() > 10.0


def _assert_mirrored_stroke(
    changed: np.ndarray,
    difference: np.ndarray,
    dimples: tuple[float, float],
    mm_per_px: float,
    height_mm: float,
    within_mm: float,
    spread_mm: tuple[tuple[float, float], tuple[float, float]],
) -> None:
    """The ``changed`` pixels of a render lie ``height_mm`` above the dimples' midpoint
    (``dimples``, x and y; the image's y points down) give or take ``within_mm``, on both
    sides of the midline, reaching from it as near as the first ``spread_mm`` range and as far
    as the second; elsewhere the two renders agree (``difference``, JPEG's blocks aside)."""
    midline, level = dimples
    rows, cols = np.nonzero(changed)
    assert rows.size > 0
    assert np.all(np.abs(rows - (level - height_mm / mm_per_px)) <= within_mm / mm_per_px)
    (nearest_low, nearest_high), (furthest_low, furthest_high) = spread_mm
    for side in (cols < midline, cols > midline):
        spread = np.abs(cols[side] - midline) * mm_per_px
        assert side.sum() > 0
        assert nearest_low <= spread.min() < nearest_high
        assert furthest_low < spread.max() < furthest_high
    assert np.abs(difference)[~cv2_dilated(changed, 8)].mean() < 1.0


#: A mirrored stroke painted on the back: the scene's changes (the stroke from 1 to 6 cm
#: either side 1 cm above the dimples as a tattoo; from 5 to 10 cm 2 cm above as a stretch
#: mark), how much darker (ink) or lighter (a stretch mark) it makes a pixel at least, and
#: where the changed pixels must lie (see _assert_mirrored_stroke).
STROKES_ON_THE_BACK = {
    "tattoo": (
        {"tattoo_density": 0.9},
        ((0.01, 0.01), (0.06, 0.01), 0.006),
        40.0,
        dict(height_mm=10.0, within_mm=8.0, spread_mm=((0.0, 20.0), (45.0, 75.0))),
    ),
    "stretch_mark": (
        {"striae_lighter": 1.3},
        ((0.05, 0.02), (0.1, 0.02), 0.005),
        -6.0,
        dict(height_mm=20.0, within_mm=6.0, spread_mm=((40.0, 50.0), (90.0, 115.0))),
    ),
}


@pytest.mark.parametrize("kind", sorted(STROKES_ON_THE_BACK))
def test_a_stroke_changes_the_back_on_both_sides_where_it_runs_and_nothing_else(kind: str) -> None:
    """Ink darkens the skin under a tattoo's stroke, a stretch mark lightens it; each is drawn
    on both sides of the spine, and the render changes nowhere else."""
    from rendering.scene import TattooStroke

    changes, (start, end, width_m), darker_by, where = STROKES_ON_THE_BACK[kind]
    stroke = TattooStroke(start=start, end=end, bow=0.0, width_m=width_m)
    field = "tattoo" if kind == "tattoo" else "striae"
    grey_plain, grey_changed, dimples, mm_per_px = _changed_on_the_back(
        **{field: (stroke,)}, **changes
    )
    difference = grey_plain - grey_changed
    changed = difference > darker_by if darker_by > 0 else difference < darker_by
    _assert_mirrored_stroke(changed, difference, dimples, mm_per_px, **where)


def test_skin_folds_shade_the_back_along_their_creases_and_nowhere_else() -> None:
    """A level crease 6 cm above the dimples on each side, from 5 cm off the midline round
    the flank: the shading changes in a band at that height beyond the inner ends, on both
    sides, and nowhere else (the mesh refined along the creases shades as before)."""
    folds = tuple(
        SkinFold(
            side=side,
            inner_m=0.05,
            height_m=0.06,
            rise=0.0,
            depth_m=0.005,
            sigma_m=0.003,
            roll_m=0.003,
        )
        for side in (1.0, -1.0)
    )
    grey_plain, grey_folded, (midline, level), mm_per_px = _changed_on_the_back(folds=folds)
    changed = np.abs(grey_plain - grey_folded) > 6
    rows, cols = np.nonzero(changed)
    assert rows.size > 0
    crease_row = level - 60.0 / mm_per_px  # the image's y points down
    assert np.all(np.abs(rows - crease_row) * mm_per_px <= 40.0)
    for side in (cols < midline, cols > midline):
        assert side.sum() > 0
        assert np.abs(cols[side] - midline).min() * mm_per_px > 40.0  # not across the spine
    assert np.abs(grey_plain - grey_folded)[~cv2_dilated(changed, 8)].mean() < 1.0


def test_body_hair_covers_the_midline_most_within_its_band_in_streaks() -> None:
    """On a flat back: most on the midline, less a half-width out, nothing beyond its band
    above and below; patchy along a row (streaks), never more than its density."""
    from rendering.scene import BODY_HAIR_BELOW_M, BODY_HAIR_EDGE_M, _body_hair

    density, half_width_m, top_m = 0.4, 0.08, 0.15
    centre = np.array([0.0, 0.3, 1.0])

    def cover(lateral: np.ndarray, height: float) -> np.ndarray:
        pts = np.stack(
            [lateral, np.full_like(lateral, centre[1]), np.full_like(lateral, centre[2] + height)],
            axis=1,
        )
        return _body_hair((density, half_width_m, top_m), pts, centre, seed=5)

    row = np.linspace(-0.01, 0.01, 201)  # across the midline, half a millimetre apart
    middle = cover(row, 0.05)
    assert middle.min() >= 0.0 and middle.max() <= density
    assert middle.std() > 0.02  # streaks
    assert cover(row + half_width_m, 0.05).mean() < 0.75 * middle.mean()
    assert cover(row, top_m + BODY_HAIR_EDGE_M).max() == 0.0
    assert cover(row, -BODY_HAIR_BELOW_M - BODY_HAIR_EDGE_M).max() == 0.0


def test_body_hair_darkens_the_lower_back_about_the_midline_and_nothing_else() -> None:
    # Half the skin's colour on the midline, sigma 4 cm sideways, up to 10 cm above the dimples.
    grey_plain, grey_hairy, (midline, level), mm_per_px = _changed_on_the_back(
        body_hair=(0.5, 0.04, 0.1)
    )
    darker = grey_plain - grey_hairy > 8
    rows, cols = np.nonzero(darker)
    assert rows.size > 0
    assert np.all(np.abs(cols - midline) * mm_per_px <= 120.0)  # 3 sigmas
    assert np.all((level - rows) * mm_per_px <= 120.0)  # up to 10 cm, soft over 2
    assert np.all((rows - level) * mm_per_px <= 100.0)  # from 8 cm below
    near = np.abs(cols - midline) * mm_per_px < 20.0
    assert near.sum() > (~near).sum() / 4  # thickest about the midline
    assert np.abs(grey_plain - grey_hairy)[~cv2_dilated(darker, 8)].mean() < 1.0


def test_a_mole_darkens_the_back_where_it_lies_and_nothing_else() -> None:
    # A mole 8 mm across, 3 cm above the dimples' midpoint and 4 cm to the image's left.
    grey_plain, grey_spotted, midpoint, mm_per_px = _changed_on_the_back(
        moles=((0.04, 0.03, 0.004),)
    )
    darker = grey_plain - grey_spotted > 30
    rows, cols = np.nonzero(darker)
    assert rows.size > 0
    centre = midpoint - np.array([40.0, 30.0]) / mm_per_px
    assert np.all(np.hypot(cols - centre[0], rows - centre[1]) * mm_per_px <= 8.0)
    assert np.abs(grey_plain - grey_spotted)[~cv2_dilated(darker, 8)].mean() < 1.0


def test_hair_down_the_back_darkens_a_band_above_its_tips_and_nothing_else() -> None:
    # Tips 4 cm above the dimples' midpoint: the hair ends there, 12-18 cm wide.
    grey_plain, grey_haired, (midline, level), mm_per_px = _changed_on_the_back(
        back_hair_tips_m=0.04
    )
    darker = grey_plain - grey_haired > 30
    rows, cols = np.nonzero(darker)
    assert rows.size > 0
    # Nothing below the ragged tips (up to 2 cm lower, the image's y pointing down), and the
    # band about the midline, no wider than the hair at the nape.
    assert rows.max() <= level - (40.0 - 20.0 - 3.0) / mm_per_px
    assert np.abs(cols - midline).max() * mm_per_px <= 95.0
    assert abs(cols.mean() - midline) * mm_per_px < 10.0
    assert darker[round(level - 70.0 / mm_per_px), round(midline)]  # 3 cm up the hair
    assert np.abs(grey_plain - grey_haired)[~cv2_dilated(darker, 8)].mean() < 1.0


def test_blinds_cast_bands_of_shadow_and_only_take_light_away() -> None:
    # Slats 5 cm apart, level: about half the lit back falls in their shadow, in bands.
    grey_plain, grey_barred, (midline, _), _ = _changed_on_the_back(blinds=(0.05, 0.0, 0.0))
    darker = grey_plain - grey_barred > 20
    body = grey_plain > 40  # the lit skin (the render's background is not lit by the key)
    share = darker[body].mean()
    assert 0.25 < share < 0.75
    # Down the midline, shadow and light alternate several times (the bands cross the back).
    column = darker[:, round(midline)]
    assert np.count_nonzero(np.diff(column.astype(int))) >= 4
    # Blinds only take light away (JPEG's blocks aside).
    assert (grey_barred - grey_plain > 4).mean() < 0.01


def test_leaves_cast_patches_of_shadow_and_only_take_light_away() -> None:
    # Patches about 5 cm across: a good part of the lit back falls in their shadow.
    grey_plain, grey_dappled, _, _ = _changed_on_the_back(leaves_m=0.05)
    darker = grey_plain - grey_dappled > 20
    body = grey_plain > 40
    assert 0.2 < darker[body].mean() < 0.8
    # Leaves only take light away (JPEG's blocks aside).
    assert (grey_dappled - grey_plain > 4).mean() < 0.01


def cv2_dilated(mask: np.ndarray, radius: int) -> np.ndarray:
    """``mask`` grown by ``radius`` pixels."""
    import cv2

    side = 2 * radius + 1
    return cv2.dilate(mask.astype(np.uint8), np.ones((side, side), np.uint8)).astype(bool)


def test_the_nude_plan_is_the_clothed_plan_without_clothes() -> None:
    from dataclasses import replace

    import render

    clothed = render.plan(12, 3, ["closeup", "full_body"])
    nude = render.plan(12, 3, ["closeup", "full_body"], nude=True)
    assert [name for name, _ in nude] == [name for name, _ in clothed]
    for (_, dressed), (_, bare) in zip(clothed, nude, strict=True):
        assert dressed.wears_bottom and not bare.wears_bottom and not bare.wears_top
        assert replace(dressed, wears_bottom=False, wears_top=False) == bare


@pytest.mark.parametrize("variant", VARIANTS)
def test_a_variant_plan_changes_only_its_own_parameters(variant: str) -> None:
    import render

    plain = render.plan(12, 3, ["closeup", "full_body"])
    varied = render.plan(12, 3, ["closeup", "full_body"], variant=variant)
    changed = {
        "soft": {"ambient"},
        "harsh": {"ambient", "fill"},
        "wide": {"left", "right"},
        "small": {"left", "right"},
        "hires": {"width", "height"},
        "glossy": {"specular", "shininess"},
        "looking_back": {"body"},
        "flash": {"light_azimuth_deg", "light_elevation_deg"},
        "elongated": {"left", "right"},
        "clean": {"blur", "noise", "jpeg_quality"},
        "smooth": {"blur", "noise", "jpeg_quality", "skin_texture"},
        "tattoo": {"tattoo", "tattoo_density"},
        "moles": {"moles"},
        "world": {"background"},
        "turned": {"camera_yaw_deg"},
        "from_above": {"camera_height_m"},
        "contrapposto": {"body"},
        "arms_up": {"body"},
        "long_hair": {"back_hair_tips_m"},
        "leaning": {"body"},
        "blinds": {"blinds"},
        "leaves": {"leaves_m"},
        "low_waistband": {"garment_top_m"},
        "high_waist": {"garment_top_m"},
        "tan_lines": {"wears_bottom", "tan_line"},
        "grazing": {"light_azimuth_deg", "light_elevation_deg"},
        "three_quarter": {"camera_yaw_deg"},
        "side_on": {"camera_yaw_deg"},
        "pit_shapes": {"left", "right"},
        "asymmetric": {"left", "right"},  # one of the two in each scene
        "placement": {"left", "right"},
        "skin_folds": {"folds"},
        "body_hair": {"body_hair"},  # men's backs only
        "stretch_marks": {"striae", "striae_lighter"},
    }[variant]
    for (_, before), (_, after) in zip(plain, varied, strict=True):
        differs = {f for f in vars(before) if getattr(before, f) != getattr(after, f)}
        if variant == "asymmetric":
            # A back without dimples stays as it is: nothing to make shallower.
            assert len(differs) == (before.left.depth_mm > 0) and differs <= changed
        elif variant == "body_hair":
            assert differs == (changed if before.body.gender < 0.5 else set())
        else:
            assert differs == changed
        if variant == "soft":
            assert 0.55 <= after.ambient <= 0.8
        elif variant == "harsh":
            assert 0.0 <= after.ambient <= 0.05 and after.fill == 0.0
        elif variant == "hires":
            assert 2.0 <= after.height / before.height <= 3.0
        elif variant == "glossy":
            assert 0.25 <= after.specular <= 0.5 and 8.0 <= after.shininess <= 40.0
        elif variant == "flash":
            assert abs(after.light_azimuth_deg) <= 10.0 and 0.0 <= after.light_elevation_deg <= 10.0
        elif variant == "grazing":
            assert abs(after.light_azimuth_deg) <= 30.0
            assert 70.0 <= after.light_elevation_deg <= 85.0
        elif variant == "tattoo":
            assert 2 <= len(after.tattoo) <= 4 and 0.55 <= after.tattoo_density <= 0.9
            for stroke in after.tattoo:
                assert 0.0 < stroke.start[0] < stroke.end[0] <= 0.13
                assert 0.002 <= stroke.width_m <= 0.007
        elif variant == "world":
            assert after.background in ("black", "white", "grey")
        elif variant == "turned":
            assert 20.0 <= abs(after.camera_yaw_deg) <= 35.0
        elif variant == "three_quarter":
            assert 35.0 <= abs(after.camera_yaw_deg) <= 55.0
        elif variant == "side_on":
            assert 45.0 <= abs(after.camera_yaw_deg) <= 90.0
        elif variant == "leaves":
            assert 0.03 <= after.leaves_m <= 0.1
        elif variant == "low_waistband":
            assert -0.05 <= after.garment_top_m <= -0.025
        elif variant == "high_waist":
            assert -0.16 <= after.garment_top_m <= -0.08
        elif variant == "tan_lines":
            below_m, lighter = after.tan_line
            assert 0.01 <= below_m <= 0.07 and 1.2 <= lighter <= 1.6 and not after.wears_bottom
        elif variant == "blinds":
            period, angle, phase = after.blinds
            assert 0.03 <= period <= 0.08 and abs(angle) <= 25.0 and 0.0 <= phase <= 2 * np.pi
        elif variant == "leaning":
            assert replace(after.body, lean_forward_deg=0.0) == before.body
            assert 15.0 <= after.body.lean_forward_deg <= 35.0
        elif variant == "long_hair":
            assert 0.05 <= after.back_hair_tips_m <= 0.3
        elif variant == "arms_up":
            arms = {"arm_drop_deg": 0.0, "elbow_bend_deg": 0.0}
            assert replace(after.body, **arms) == replace(before.body, **arms)
            assert -125.0 <= after.body.arm_drop_deg <= -60.0
            assert 20.0 <= after.body.elbow_bend_deg <= 110.0
        elif variant == "contrapposto":
            assert replace(after.body, pelvis_tilt_deg=0.0) == before.body
            assert 5.0 <= abs(after.body.pelvis_tilt_deg) <= 10.0
        elif variant == "from_above":
            low, high = (0.3, 0.6) if after.framing == "closeup" else (1.9, 2.3)
            assert low <= after.camera_height_m <= high
        elif variant == "asymmetric":
            for side in differs:
                shallower, kept = getattr(after, side), getattr(before, side)
                assert replace(shallower, depth_mm=kept.depth_mm) == kept
                assert 0.3 * kept.depth_mm <= shallower.depth_mm <= 0.7 * kept.depth_mm
        elif variant == "placement":
            up = after.left.dz_mm - before.left.dz_mm
            apart = after.left.dx_mm - before.left.dx_mm
            assert after.right.dz_mm - before.right.dz_mm == pytest.approx(up)
            assert after.right.dx_mm - before.right.dx_mm == pytest.approx(-apart)
            assert abs(up) <= 20.0 and abs(apart) <= 10.0
        elif variant == "body_hair":
            if after.body_hair is not None:
                density, half_width_m, top_m = after.body_hair
                assert 0.15 <= density <= 0.5 and 0.04 <= half_width_m <= 0.12
                assert 0.05 <= top_m <= 0.25
        elif variant == "stretch_marks":
            assert 4 <= len(after.striae) <= 9 and 1.12 <= after.striae_lighter <= 1.3
            for stroke in after.striae:
                length = stroke.end[0] - stroke.start[0]
                assert 0.05 <= stroke.start[0] <= 0.1 and 0.03 <= length <= 0.08
                assert 0.002 <= stroke.width_m <= 0.005
        elif variant == "skin_folds":
            left, right = after.folds
            assert (left.side, right.side) == (1.0, -1.0)
            for fold in after.folds:
                assert 0.036 <= fold.inner_m <= 0.099 and 0.01 <= fold.height_m <= 0.14
                assert abs(fold.rise) <= 0.3 and 0.0016 <= fold.depth_m <= 0.006
                assert 0.002 <= fold.sigma_m <= 0.004
                assert 0.5 * 0.002 <= fold.roll_m <= 0.006
            assert left.rise == right.rise and left.sigma_m == right.sigma_m
        elif variant == "pit_shapes":
            assert after.left.profile == after.right.profile in ("funnel", "bowl")
            for side in ("left", "right"):
                assert replace(getattr(after, side), profile="gaussian") == getattr(before, side)
        elif variant == "moles":
            assert 15 <= len(after.moles) <= 40
            for lateral, height, radius in after.moles:
                assert abs(lateral) <= 0.15 and -0.08 <= height <= 0.2 and 0.001 <= radius <= 0.003
        elif variant in ("clean", "smooth"):
            assert (after.blur, after.noise, after.jpeg_quality) == (0.0, 0.0, 98)
            assert after.skin_texture == (variant == "clean")
        elif variant == "looking_back":
            assert replace(after.body, head_turn_deg=0.0, chest_turn_deg=0.0) == before.body
            assert 55.0 <= abs(after.body.head_turn_deg) <= 95.0
            assert 0.0 <= after.body.chest_turn_deg / after.body.head_turn_deg <= 35.0 / 55.0
        elif variant == "elongated":
            for side in ("left", "right"):
                assert 1.6 <= getattr(after, side).elongation <= 2.2
                assert replace(getattr(after, side), elongation=1.0) == replace(
                    getattr(before, side), elongation=1.0
                )
        else:
            low, high = (20.0, 26.0 * 1.1) if variant == "wide" else (7.0, 10.0 * 1.1)
            assert low * 0.9 <= after.right.radius_mm <= high
            assert low <= after.left.radius_mm <= high / 1.1
