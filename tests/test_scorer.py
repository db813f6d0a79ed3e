"""Shading, curvature and pairing stages on procedurally shaded backs with known dimples."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from conftest import RENDERS, assert_claimed_at, load_script
from procedural import shaded_back

from detector import anatomy, pipeline, shading
from detector.pairing import (
    CLEFT_TOP_PAIR_PRIOR,
    EVIDENCE_AT_HALF,
    FALLBACK_LIGHT_BAND,
    FRONTAL_CONTRAST_SCALE,
    HIPS_PAIR_PRIOR,
    LIGHT_BAND,
    LIGHT_RELATIVE_WEIGHT,
    MIN_LIGHT_GRADIENT,
    SKIN_BOTTOM_PAIR_PRIOR,
    TYPICAL_LIGHT_GRADIENT,
    best_pair,
    pair_score,
    reported_depth_mm,
    score_from_evidence,
)
from detector.pipeline import (
    MIN_ZONE_SKIN,
    ZONE_HALF_WIDTH,
    ZONE_HEIGHT,
    _judge_shading,
    _region_problem,
)
from detector.report import STATUS_MESSAGES
from detector.shading import (
    LIGHT_HYPOTHESES,
    Candidate,
    RegionExtent,
    above_garment_edge,
    dappled_by_shadows,
    extract_region,
    indentation_candidates,
    lit_beside_a_cast_shadow,
    log_luminance,
    shading_gradients,
    skin_shading,
    striped_by_shadows,
    tan_line_removed,
    under_hard_shadows,
)

#: scripts/evaluate.py, whose ``--degrade exposure:GAIN`` overexposes the test backs.
EVALUATE = load_script("evaluate")


def _judge(back):
    crop = extract_region(back.rgb, back.frame, None)
    return crop, best_pair(indentation_candidates(crop), crop)


def _assert_found_near_truth(back, crop, pair, tolerance):
    """The pair is detected, each dimple within ``tolerance`` x the true spacing."""
    assert pair.score >= 0.5
    spacing = np.linalg.norm(back.dimples["left"] - back.dimples["right"])
    for side, found in (("left", pair.left), ("right", pair.right)):
        xy = crop.image_coords(np.array([found.candidate.x, found.candidate.y]))
        assert np.linalg.norm(xy - back.dimples[side]) <= tolerance * spacing


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pronounced_dimples_are_found_where_they_are(seed):
    back = shaded_back(6.0, seed=seed)
    _assert_found_near_truth(back, *_judge(back), tolerance=0.1)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_smooth_back_has_much_less_evidence_than_a_dimpled_one(seed):
    """A smooth back's mottled skin can mimic a faint pair, but never as well as real dimples
    of 4 mm under the same light (on renders the calibrated threshold sits between them;
    these harsher, ambient-poor procedural lights make everything score higher)."""
    _, smooth = _judge(shaded_back(0.0, seed=seed))
    _, dimpled = _judge(shaded_back(4.0, seed=seed))
    assert smooth.evidence < 0.6 * dimpled.evidence


def test_evidence_and_depth_estimate_grow_with_depth():
    evidence, depths = [], []
    for depth in (0.0, 2.0, 4.0, 8.0):
        results = [_judge(shaded_back(depth, seed=seed))[1] for seed in range(3)]
        evidence.append(np.mean([r.evidence for r in results]))
        depths.append(np.mean([r.left.depth_mm if r.left else 0.0 for r in results]))
    assert evidence == sorted(evidence) and evidence[-1] > 2 * evidence[0]
    assert depths[-1] > depths[2] > depths[1]


def test_a_claimed_pair_scores_higher_the_deeper_it_is():
    """Under a softer light than the other tests' (60 % ambient): the procedural back is
    flatter than a body, so the light shades it less steeply than a real lower back, and under
    their harsh light the depth read against it saturates the score from 3 mm."""
    scores = []
    for depth in (2.0, 3.0, 4.0):
        results = [_judge(shaded_back(depth, seed=seed, ambient=0.6))[1] for seed in range(3)]
        assert all(r.score >= 0.5 for r in results)
        scores.append(np.mean([r.score for r in results]))
    assert scores == sorted(scores) and scores[-1] - scores[0] > 0.05


def test_the_reported_depth_discounts_how_strongly_the_light_shades_the_back():
    """The light-relative part of the reported depth: a pit shaded twice as strongly on a back
    that the light shades twice as steeply (a harsher light, less ambient) is as deep; shaded
    twice as strongly under the same light, it is deeper. An unknown light counts as the
    typical one, a vanishing gradient (light from the camera) as the floor; a match under
    frontal light is rescaled to a directional one's."""
    pit = Candidate(
        x=0.0, y=0.0, sigma_px=5.0, ncc=0.7, snr=3.0, depth_px=1.0, light=1, isolation=1.0
    )
    stronger = pit._replace(depth_px=2.0)
    mm = 2.0
    assert reported_depth_mm(stronger, mm, 0.4) == pytest.approx(reported_depth_mm(pit, mm, 0.2))
    assert reported_depth_mm(stronger, mm, 0.2) == pytest.approx(
        2.0**LIGHT_RELATIVE_WEIGHT * reported_depth_mm(pit, mm, 0.2)
    )
    assert reported_depth_mm(pit, mm, None) == reported_depth_mm(pit, mm, TYPICAL_LIGHT_GRADIENT)
    assert reported_depth_mm(pit, mm, 0.0) == reported_depth_mm(pit, mm, MIN_LIGHT_GRADIENT)
    # Under frontal light (hypothesis 0) the same pit's amplitude reads 1 / scale times higher.
    assert LIGHT_HYPOTHESES[0].azimuth_deg is None and LIGHT_HYPOTHESES[1].azimuth_deg is not None
    frontal = pit._replace(light=0, depth_px=1.0 / FRONTAL_CONTRAST_SCALE)
    assert reported_depth_mm(frontal, mm, 0.2) == pytest.approx(reported_depth_mm(pit, mm, 0.2))


def test_the_lights_gradients_are_read_about_the_pair_in_a_tall_region():
    """Over the pose's band the crop's own gradients serve; in a taller region (a torso found
    without a pose) only the rows of the band are fitted."""
    back = shaded_back(0.0, light_elevation_deg=60.0)
    crop = extract_region(back.rgb, back.frame, None)
    centre = HIPS_PAIR_PRIOR.centre
    assert crop.gradients_within((centre + LIGHT_BAND[0], centre + LIGHT_BAND[1])) is (
        crop.gradients
    )
    tall = extract_region(back.rgb, back.frame, None, RegionExtent(below=0.0, above=1.6))
    lower = tall.gradients_within((0.0, 0.6))
    assert lower is not None and lower != tall.gradients
    assert lower == pytest.approx(shading_gradients(tall, (0.0, 0.6)))
    # A fallback's priors read the light above the pair, also once raised to a cleft's top.
    raised = CLEFT_TOP_PAIR_PRIOR.raised(0.3)
    assert raised.light_band == SKIN_BOTTOM_PAIR_PRIOR.light_band == FALLBACK_LIGHT_BAND
    assert raised.centre == pytest.approx(CLEFT_TOP_PAIR_PRIOR.centre + 0.3)
    assert HIPS_PAIR_PRIOR.light_band == LIGHT_BAND


@pytest.mark.parametrize("depth_mm", [0.0, 1.0, 4.0, 12.0])
def test_the_depth_in_the_score_changes_no_claim(depth_mm):
    """``score >= 0.5`` exactly where the evidence reaches the calibrated line; below it the
    score is the evidence's confidence, whatever the depth."""
    for evidence in (0.0, 0.5 * EVIDENCE_AT_HALF, 0.999 * EVIDENCE_AT_HALF):
        assert pair_score(evidence, depth_mm) == score_from_evidence(evidence) < 0.5
    for evidence in (EVIDENCE_AT_HALF, 2 * EVIDENCE_AT_HALF, 1.0):
        assert 0.5 <= pair_score(evidence, depth_mm) < 1.0
    assert pair_score(1.0, depth_mm + 1.0) > pair_score(1.0, depth_mm)


def test_light_from_above_is_recognised():
    """Lit from above, the pair is explained by a light from above. (Under raking side light
    the mirrored hypothesis can win at a shift of one wall: see the side-light test.)"""
    _, from_above = _judge(shaded_back(6.0, light_elevation_deg=60))
    above = LIGHT_HYPOTHESES[from_above.left.candidate.light]
    assert above.azimuth_deg is not None and abs(above.azimuth_deg) <= 30


@pytest.mark.parametrize("seed", [0, 1])
def test_side_light_still_finds_deep_dimples(seed):
    back = shaded_back(8.0, light_azimuth_deg=60, light_elevation_deg=60, seed=seed)
    _assert_found_near_truth(back, *_judge(back), tolerance=0.2)


def test_a_waistband_edge_adds_no_dimples():
    """A horizontal step in brightness across the region (a dark waistband) adds no
    evidence: it is not skin, and its edge is no indentation."""
    back = shaded_back(0.0, seed=5)
    rgb = back.rgb.copy()
    band_row = int(back.frame.to_image(0.0, 0.4)[1])
    rgb[band_row:] = (rgb[band_row:] * 0.35).astype(np.uint8)
    plain = best_pair(
        indentation_candidates(extract_region(back.rgb, back.frame, None)),
        extract_region(back.rgb, back.frame, None),
    )
    crop = extract_region(rgb, back.frame, None)
    banded = best_pair(indentation_candidates(crop), crop)
    assert banded.evidence <= plain.evidence + 0.05


def test_fallback_finds_an_upright_back_without_pose():
    """The no-pose fallback places the midline and scale from the skin alone."""
    from detector.fallback import find_back

    back = shaded_back(5.0, seed=3)
    rgb = np.full((600, 600, 3), (40, 90, 60), np.uint8)  # green backdrop
    rgb[60:540, 60:540] = back.rgb  # a 480 px wide bare back
    found = find_back(rgb)
    assert found is not None
    assert abs(found.frame.origin[0] - 300) < 10  # the back's centre line
    assert found.frame.hip_width == pytest.approx(0.62 * 480, rel=0.05)


def test_fallback_leaves_out_a_skin_coloured_wall(monkeypatch):
    """A beige wall passes the generic skin rule; left in, it merges with the back into one
    "back" as wide as the photo."""
    from detector import fallback
    from detector.shading import skin_pixels

    wall, skin = (230, 160, 90), (190, 130, 105)
    assert skin_pixels(np.full((20, 20, 3), wall, np.uint8)).all()
    rgb = np.full((400, 600, 3), wall, np.uint8)
    rgb[:, 230:370] = skin  # a torso 140 px wide through the top edge
    rgb[300:, 200:400] = (40, 40, 120)  # shorts
    found = fallback.find_back(rgb)
    assert found is not None
    assert found.frame.origin.tolist() == pytest.approx([300, 300], abs=2)
    assert found.frame.hip_width == pytest.approx(0.62 * 140, rel=0.05)
    monkeypatch.setattr(fallback, "_background_coloured", lambda rgb, skin: np.zeros_like(skin))
    assert fallback.find_back(rgb).frame.hip_width > 0.62 * 500


def test_fallback_keeps_the_back_when_its_own_colours_look_like_background(monkeypatch):
    """Leaving out the edges' colours must leave a torso; where it leaves none (the colours were
    the back's own, as on a close-up that fills the frame), the back found before stands."""
    from detector import fallback

    rgb = np.full((400, 600, 3), (190, 130, 105), np.uint8)  # skin from edge to edge
    rgb[300:] = (40, 40, 120)  # shorts
    found = fallback.find_back(rgb)
    monkeypatch.setattr(fallback, "_background_coloured", lambda rgb, skin: np.ones_like(skin))
    kept = fallback.find_back(rgb)
    assert found is not None and kept is not None
    assert kept.frame.origin.tolist() == found.frame.origin.tolist()


def test_fallback_refuses_a_photo_without_skin():
    from detector.fallback import find_back

    assert find_back(np.full((300, 400, 3), (40, 90, 160), np.uint8)) is None


def _smooth_crop():
    """The crop of a smooth back (no dimples) and its pixel grid (rows, columns)."""
    back = shaded_back(0.0, seed=2)
    crop = extract_region(back.rgb, back.frame, None)
    rows, cols = np.mgrid[: crop.grey.shape[0], : crop.grey.shape[1]].astype(float)
    return crop, rows, cols


def _with_noise(shading):
    return (shading + np.random.default_rng(0).normal(0.0, 0.004, shading.shape)).astype(np.float32)


def _band(crop, rows, sigma):
    """Relative shading of a band lit from above at the dimples' height, with a pit's vertical
    profile, running across the whole back (where the back turns into the buttocks)."""
    dy = rows - (crop.extent.above - 0.55) * crop.scale
    return 0.04 * (dy / sigma) * np.exp(-(dy**2) / (2 * sigma**2))


def _pits_and_band():
    """Relative shading of two dimples lit from above, and of a band with the same vertical
    profile, in the crop of a smooth back."""
    crop, rows, cols = _smooth_crop()
    sigma = 7.0 / crop.mm_per_pixel
    pits = np.zeros_like(crop.grey)
    for lateral in (0.28, -0.28):
        x, y = crop.extent.half_width - lateral, crop.extent.above - 0.55
        dx, dy = cols - x * crop.scale, rows - y * crop.scale
        # Under light from above, the upper wall faces away (dark), the lower wall towards it.
        pits += 0.04 * (dy / sigma) * np.exp(-(dx**2 + dy**2) / (2 * sigma**2))
    return crop, _with_noise(pits), _with_noise(_band(crop, rows, sigma))


def test_closed_pits_are_isolated_and_a_band_is_not():
    from detector.shading import find_candidates

    crop, pits, band = _pits_and_band()
    best_pit = max(find_candidates(crop, pits), key=lambda c: c.ncc)
    best_band = max(find_candidates(crop, band), key=lambda c: c.ncc)
    assert best_pit.isolation > 0.6
    assert best_band.isolation < 0.3


def test_a_wide_band_broken_by_the_spine_is_not_isolated():
    """A wide band (14 mm, the largest scale) interrupted by the spine's groove: beside each
    half's best match, one neighbour lies on the groove and the other near the crop's side,
    where a whole template no longer fits; the band is judged by that side neighbour anyway."""
    from detector.shading import find_candidates

    crop, rows, cols = _smooth_crop()
    lateral = crop.extent.half_width - cols / crop.scale
    band = _band(crop, rows, 14.0 / crop.mm_per_pixel)
    band *= np.clip((np.abs(lateral) - 0.08) / 0.06, 0.0, 1.0)
    best = max(find_candidates(crop, _with_noise(band)), key=lambda c: c.ncc)
    assert best.ncc > 0.6 and best.isolation < 0.3


def test_a_band_across_the_back_is_no_pair_of_dimples():
    from detector.shading import find_candidates

    crop, pits, band = _pits_and_band()
    with_pits = best_pair(find_candidates(crop, pits), crop)
    with_band = best_pair(find_candidates(crop, band), crop)
    assert with_pits.score >= 0.5
    assert with_band.evidence < 0.25 * with_pits.evidence


def _inked(back, ink_rgb=(40, 45, 60), cover=0.9, radius_mm=6.0):
    """``back`` with two round tattoo dots at the dimples' places (blue-black ink)."""
    rgb = back.rgb.astype(np.float32)
    rows, cols = np.mgrid[: rgb.shape[0], : rgb.shape[1]]
    radius = radius_mm / anatomy.HIP_WIDTH_MM * back.frame.hip_width
    for x, y in back.dimples.values():
        inside = np.hypot(cols - x, rows - y) <= radius
        rgb[inside] = (1 - cover) * rgb[inside] + cover * np.array(ink_rgb, np.float32)
    return np.clip(rgb, 0, 255).astype(np.uint8)


def _skin_marks(crop) -> np.ndarray:
    """The crop's skin marks, as the shading stage finds them (1-pixel rim)."""
    from detector.shading import colour_trend, log_luminance, skin_marks

    trend = colour_trend(crop.chroma, log_luminance(crop.grey), crop.usable, crop.scale)
    return skin_marks(crop.chroma, crop.grey, crop.usable, trend)


def test_tattoo_dots_where_dimples_would_be_are_no_dimples(monkeypatch):
    """Ink darkens skin far more than a dimple's shading, but it also changes its colour,
    which light does not: dots of ink where the dimples would be make no candidates there,
    whereas read as shading they would."""
    import detector.shading as shading

    back = shaded_back(0.0, seed=4)
    crop = extract_region(_inked(back), back.frame, None)
    marks = _skin_marks(crop)
    assert marks.sum() > 0

    def on_ink(candidates):
        dots = [back.frame.to_body(xy) for xy in back.dimples.values()]
        return [
            c
            for c in candidates
            for dot in dots
            if np.linalg.norm(crop.body_coords((c.x, c.y)) - dot) < 0.04  # 7 mm
        ]

    assert not on_ink(indentation_candidates(crop))
    monkeypatch.setattr(shading, "skin_marks", lambda chroma, grey, usable, *a: usable & False)
    assert on_ink(indentation_candidates(crop))


def test_shading_alone_makes_no_skin_marks():
    """Deep dimples darken their walls without changing the skin's colour: no marks, and
    they are still found."""
    back = shaded_back(8.0, seed=4)
    crop, pair = _judge(back)
    marks = _skin_marks(crop)
    assert marks.sum() <= 0.001 * crop.usable.sum()
    _assert_found_near_truth(back, crop, pair, tolerance=0.1)


def test_a_crop_without_skin_far_enough_inland_has_no_candidates():
    """Only skin at least a scale inland from cloth or the crop's edge is searched: a crop
    without such skin yields no candidate at any scale, and a sliver of skin none either."""
    back = shaded_back(6.0, seed=1)
    crop = extract_region(back.rgb, back.frame, None)
    assert indentation_candidates(crop)
    bare = np.zeros_like(crop.skin)
    assert indentation_candidates(dataclasses.replace(crop, skin=bare)) == []
    bare[:, :3] = True  # three columns at the crop's edge
    assert indentation_candidates(dataclasses.replace(crop, skin=bare)) == []


def test_the_zone_must_lie_on_the_person():
    """A pose pieced together from several people can place the lower back on the ground; the
    person mask says it is not on a person."""
    back = shaded_back(6.0, seed=1)
    crop = extract_region(back.rgb, back.frame, None)
    assert _region_problem(crop) is None
    off_person = dataclasses.replace(crop, person=np.zeros_like(crop.person))
    assert _region_problem(off_person) == "region_not_visible"


@pytest.mark.parametrize(
    ("top", "problem"), [(0.58, None), (0.62, None), (0.7, "region_not_visible")]
)
def test_briefs_ending_just_below_the_dimples_leave_them_in_view(top, problem):
    """Dark briefs up to ``top`` hip widths above the hip line: at 0.58 and 0.62 (just above
    where the pair is expected, 0.55) they cover most of the zone where dimples lie
    (0.25-0.85), but its upper half stays mostly bare (0.77 at 0.62), and the back is judged;
    at 0.7 they cover half of that too."""
    back = shaded_back(6.0, seed=1)
    waistband = round(back.frame.to_image(0.0, top)[1])
    dressed = back.rgb.copy()
    dressed[waistband:] = (40, 50, 90)
    crop = extract_region(dressed, back.frame, None)
    height = crop.body_grid[..., 1]
    zone = (np.abs(crop.body_grid[..., 0]) <= ZONE_HALF_WIDTH) & (height >= ZONE_HEIGHT[0])
    zone &= height <= ZONE_HEIGHT[1]
    assert crop.skin[zone].mean() < MIN_ZONE_SKIN
    assert _region_problem(crop) == problem


@pytest.mark.parametrize("seed", [1, 2])
def test_dimples_whose_lower_walls_reach_a_waistband_are_found_where_they_are(seed):
    """Low-rise trousers whose waistband runs 12 mm below the dimples' centres (sigma 7 mm):
    the pits' lower walls reach the cloth, yet each is found within 0.1 of the spacing of
    where it is (a candidate needs its whole template on skin only to its sides and above;
    needing it below as well pushed both 0.13-0.19 of the spacing up, onto their upper
    walls)."""
    back = shaded_back(5.0, seed=seed)
    px_per_mm = back.frame.hip_width / anatomy.HIP_WIDTH_MM
    dressed = back.rgb.copy()
    dressed[round(back.dimples["left"][1] + 12.0 * px_per_mm) :] = (40, 50, 90)
    crop, pair = _judge(dataclasses.replace(back, rgb=dressed))
    _assert_found_near_truth(back, crop, pair, tolerance=0.1)


def test_a_photo_ending_at_the_waist_has_its_lower_back_out_of_frame():
    """Cut off above the hip line, the photo shows the zone where dimples lie but not the
    band below it: out of frame (its own message), not covered."""
    from detector.pipeline import _problem_report
    from detector.report import STATUS_MESSAGES

    back = shaded_back(6.0, seed=1)
    hip_line = round(back.frame.origin[1])
    cut = round(hip_line - 0.15 * back.frame.hip_width)  # inside the band below the zone
    crop = extract_region(back.rgb[:cut], back.frame, None)
    assert _region_problem(crop) == "out_of_frame"
    report = _problem_report("out_of_frame", {"source": None, "image": {}})
    assert report.status == "region_not_visible"
    assert report.message == STATUS_MESSAGES["out_of_frame"] and "out of frame" in report.message


@pytest.mark.parametrize("seed", [0, 1])
def test_light_direction_follows_the_light(seed):
    """From the back's large-scale shading: light from the person's left or right is reported
    on that side (azimuth + is the person's right), light from above near the spine's axis."""
    from detector.shading import light_from_gradients, shading_gradients

    def azimuth(light_azimuth_deg):
        back = shaded_back(0.0, light_azimuth_deg=light_azimuth_deg, seed=seed)
        crop = extract_region(back.rgb, back.frame, None)
        return light_from_gradients(*shading_gradients(crop))[0]

    assert azimuth(60.0) < -30.0  # shaded_back's azimuth turns the light to the person's left
    assert azimuth(-60.0) > 30.0
    assert abs(azimuth(0.0)) < 20.0


@pytest.mark.parametrize("sigma", [5.0, 16.5, 30.0])
def test_the_coarse_grid_blur_is_a_gaussian_blur(sigma):
    """The skin trend's blur, computed on a coarser grid, gives the trend that OpenCV's
    full-size Gaussian blur gives (a normalised convolution of values over a mask), within
    1 % of the values' range."""
    import cv2

    from detector.shading import wide_blur

    rng = np.random.default_rng(3)
    rows, cols = np.mgrid[:115, :97]
    weight = ((cols - 48) ** 2 / 45**2 + (rows - 50) ** 2 / 70**2 < 1).astype(np.float32)
    values = 0.3 * np.sin(cols / 20) + 0.2 * (rows / 115) ** 2 + 0.01 * rng.normal(size=rows.shape)
    field = np.dstack([values * weight, weight]).astype(np.float32)
    coarse, exact = wide_blur(field, sigma), cv2.GaussianBlur(field, (0, 0), sigma)
    skin = weight > 0
    trend = coarse[..., 0] / coarse[..., 1]
    assert coarse.shape == field.shape
    assert np.abs(trend - exact[..., 0] / exact[..., 1])[skin].max() < 0.01 * np.ptp(values)


def test_holes_are_filled_as_scipy_fills_them():
    """The flood-fill hole filling the skin mask uses agrees with scipy's on random masks
    (4-connected background, holes touching the border stay open)."""
    from scipy import ndimage

    from detector.shading import filled_holes

    rng = np.random.default_rng(0)
    for _ in range(300):
        mask = rng.random(tuple(rng.integers(1, 40, 2))) < rng.random()
        assert np.array_equal(filled_holes(mask), ndimage.binary_fill_holes(mask))
    ring = np.zeros((7, 7), bool)
    ring[1:6, 1:6] = True
    ring[3, 3] = False
    filled = filled_holes(ring)
    assert filled[3, 3] and filled[1:6, 1:6].all() and not filled[0, 0]


def _briefs_like_skin(back, gain: float) -> np.ndarray:
    """The back wearing briefs the colour of its skin (same tint, ``gain`` x as bright) from
    0.3 hip widths above the hip line down."""
    rgb = back.rgb.astype(np.float32)
    rgb[int(back.frame.to_image(0.0, 0.3)[1]) :] *= gain
    return np.clip(rgb, 0, 255).astype(np.uint8)


@pytest.mark.parametrize("gain", [1.4, 0.7])
def test_skin_beyond_the_edge_of_skin_coloured_briefs_is_not_read(gain):
    back = shaded_back(4.0, seed=3)
    crop = extract_region(_briefs_like_skin(back, gain), back.frame, None)
    kept = above_garment_edge(log_luminance(crop.grey), crop.usable)
    # The crop is upright at crop.scale pixels per hip width: the edge's row is known.
    edge = round((crop.extent.above - 0.3) * crop.scale)
    assert edge - 4 <= np.nonzero(kept.any(axis=1))[0].max() + 1 <= edge + 3
    assert np.array_equal(kept[: edge - 4], crop.usable[: edge - 4])
    # Without the briefs, all the skin is read.
    plain = extract_region(back.rgb, back.frame, None)
    assert np.array_equal(above_garment_edge(log_luminance(plain.grey), plain.usable), plain.usable)


@pytest.mark.parametrize("elevation", [30.0, 60.0, 85.0])
def test_shading_alone_makes_no_garment_edge(elevation):
    # Deep dimples under light from the front to grazing from above: no step that shading
    # cannot make, so all the skin is read.
    back = shaded_back(8.0, light_elevation_deg=elevation, seed=4)
    crop = extract_region(back.rgb, back.frame, None)
    kept = above_garment_edge(log_luminance(crop.grey), crop.usable)
    assert np.array_equal(kept, crop.usable)


def _below_a_level_edge(back, edge_row: float, soft_px: float) -> np.ndarray:
    """Per row of ``back``'s photo, ``(rows, 1)``: 0 above a level edge at ``edge_row``, 1
    below it, rising over ``soft_px`` pixels."""
    rows = np.arange(back.rgb.shape[0], dtype=np.float64)[:, None]
    return np.clip((rows - edge_row) / soft_px + 0.5, 0.0, 1.0)


def _tan_line(back, gain, height=0.3, soft_mm=6.0):
    """``back`` with its albedo times ``gain`` below a level edge ``height`` hip widths above
    the hip line (0.25 below the dimples, about 4 cm), soft over ``soft_mm``."""
    edge_row = back.frame.to_image(0.0, height)[1]
    soft_px = soft_mm * back.frame.hip_width / anatomy.HIP_WIDTH_MM
    ramp = _below_a_level_edge(back, edge_row, soft_px).astype(np.float32)[..., None]
    rgb = back.rgb.astype(np.float32) * (1.0 + (gain - 1.0) * ramp)
    return np.clip(np.round(rgb), 0, 255).astype(np.uint8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_tan_lines_step_is_taken_out_and_a_darker_one_or_none_is_left(seed):
    """Skin 35 % lighter below a soft level edge, as where briefs kept the sun off: the step
    (0.25-0.27 of log luminance) is taken out to within 0.04. Darker below (the underside of
    the buttocks under light from above darkens so), or without an edge, nothing is."""
    back = shaded_back(4.0, seed=seed)
    crop = extract_region(back.rgb, back.frame, None)
    edge = round((crop.extent.above - 0.3) * crop.scale)  # the edge's row in the upright crop

    def step(log_lum):
        above, below = log_lum[edge - 8][crop.usable[edge - 8]], log_lum[edge + 8]
        return float(np.median(below[crop.usable[edge + 8]]) - np.median(above))

    for gain, before, after in ((1.35, (0.2, 0.3), (-0.04, 0.04)), (0.75, None, None)):
        tanned = extract_region(_tan_line(back, gain), back.frame, None)
        log_lum = log_luminance(tanned.grey)
        removed = tan_line_removed(log_lum, tanned.usable, tanned.mm_per_pixel)
        if before is None:
            assert removed is log_lum
            continue
        assert before[0] < step(log_lum) < before[1]
        assert after[0] < step(removed) < after[1]
    plain = log_luminance(crop.grey)
    assert tan_line_removed(plain, crop.usable, crop.mm_per_pixel) is plain


@pytest.mark.parametrize("elevation", [30.0, 60.0, 85.0])
def test_shading_alone_makes_no_tan_line(elevation):
    back = shaded_back(8.0, light_elevation_deg=elevation, seed=4)
    crop = extract_region(back.rgb, back.frame, None)
    log_lum = log_luminance(crop.grey)
    assert tan_line_removed(log_lum, crop.usable, crop.mm_per_pixel) is log_lum


#: A full-body render with a tan line 4 cm below dimples 1.5 mm deep (``scripts/render.py
#: --out bench/st_tan --n 64 --seed 61 --framings full_body,closeup --variant tan_lines``,
#: image r00057): the dimples' centres at these pixels, 46 px apart.
FULL_BODY_TAN_LINE = RENDERS / "full_body_tan_line.jpg"
FULL_BODY_TAN_LINE_DIMPLES = {"left": (253.23, 449.55), "right": (299.28, 447.98)}


def test_shallow_dimples_above_a_tan_line_are_found(detector, monkeypatch):
    """With the tan line's step taken out the pair is claimed where it is (0.63); with the
    step read as shading it was not (0.22)."""
    report = detector.detect(FULL_BODY_TAN_LINE)
    assert report.status == "ok" and report.present
    for found in report.dimples:
        x, y = FULL_BODY_TAN_LINE_DIMPLES[found.side]
        assert np.hypot(found.x - x, found.y - y) < 0.15 * 46.08
    monkeypatch.setattr(shading, "tan_line_removed", lambda log_lum, usable, mm: log_lum)
    assert not detector.detect(FULL_BODY_TAN_LINE).present


def test_lit_skin_below_a_skin_reference_in_shadow_is_skin_and_tan_cloth_is_not():
    """The skin reference is the crop's top rows, which a cast shadow (an arm, a bra band)
    may darken. Shading scales the chroma's offsets from grey with the luma, so lit skin of
    the same colour below is still skin; tan cloth of about its chroma is not."""
    from detector.shading import skin_pixels

    lit = np.array([225, 160, 130])
    rgb = np.zeros((60, 40, 3), np.uint8)
    rgb[:20], rgb[20:40], rgb[40:] = np.round(0.4 * lit), lit, (200, 170, 120)
    assert skin_pixels(rgb[40:]).all()  # the cloth passes the generic rule
    skin = skin_pixels(rgb, reference_rows=(0.0, 0.25))
    assert skin[:40].all()
    assert not skin[40:].any()


def test_skin_under_a_highlight_is_skin_and_pale_cloth_is_not():
    """A sheen adds white light to the skin's colour (in linear light; red clips first): its
    chroma moves from the skin's towards grey, keeping half or more of its offset. Pale warm
    cloth lies nearer grey."""
    from detector.shading import skin_pixels

    skin = np.array([225, 160, 130])
    linear = (skin / 255.0 + 0.055) / 1.055
    linear = np.clip(linear**2.4 + 0.35, 0.0, 1.0)  # a highlight of 35 % white
    highlight = np.round(255.0 * (1.055 * linear ** (1 / 2.4) - 0.055))
    rgb = np.zeros((60, 40, 3), np.uint8)
    rgb[:20], rgb[20:40], rgb[40:] = skin, highlight, (240, 220, 205)
    assert highlight[0] == 255 and skin_pixels(rgb[40:]).all()  # cloth: generic rule passed
    found = skin_pixels(rgb, reference_rows=(0.0, 0.25))
    assert found[:40].all()
    assert not found[40:].any()


def _overexposed(rgb: np.ndarray, gain: float) -> np.ndarray:
    """``rgb`` with the light multiplied by ``gain``, clipped at white: the benchmark's
    ``evaluate.py --degrade exposure:GAIN``."""
    return EVALUATE.degraded(rgb, f"exposure:{gain}")


def test_overexposed_skin_is_skin_and_clipped_white_or_grey_cloth_is_not():
    """Overexposed, skin clips red first, then green: what is left is a pale yellow that the
    skin rule alone refuses, but its chroma still points, faintly, the reference skin's way.
    White or grey cloth clipped as much keeps no tint (or a cool one)."""
    from detector.shading import skin_pixels

    skin = np.array([[[225, 160, 130]]], np.uint8)
    clipped = _overexposed(skin, 3.5)[0, 0]
    assert clipped[0] == 255 and clipped[1] >= 250 and clipped[2] < 250
    rgb = np.zeros((80, 40, 3), np.uint8)
    rgb[:20], rgb[20:40], rgb[40:60], rgb[60:] = skin, clipped, (255, 255, 255), (252, 253, 255)
    assert not skin_pixels(rgb[20:]).any()  # the generic rule alone refuses them all
    found = skin_pixels(rgb, reference_rows=(0.0, 0.25))
    assert found[:40].all()
    assert not found[40:].any()
    # Without a reference region (the fallback's whole photo) the skin that did not clip is
    # the reference.
    found = skin_pixels(rgb)
    assert found[:40].all()
    assert not found[40:].any()


def test_luminance_leaves_out_a_channel_that_clips_on_the_skin():
    """Shading scales R, G and B alike; where red clips, the luminance of G and B still
    follows it, where the usual luminance flattens."""
    import cv2

    from detector.shading import unclipped_luminance

    shading = np.linspace(1.0, 1.4, 41)
    rgb = np.clip(np.round(np.array([225, 160, 130]) * shading[None, :, None]), 0, 255)
    rgb = np.repeat(rgb.astype(np.uint8), 30, axis=0)
    assert (rgb[..., 0] == 255).mean() > 0.5
    grey = unclipped_luminance(rgb, np.ones(rgb.shape[:2], bool))[0]
    assert np.allclose(grey / grey[0], shading, rtol=0.01)
    usual = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)[0] / 255.0
    assert not np.allclose(usual / usual[0], shading, rtol=0.03)
    unclipped = rgb[:, :5]  # red up to 234: the usual luminance
    expected = cv2.cvtColor(unclipped, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    assert np.array_equal(unclipped_luminance(unclipped, np.ones((30, 5), bool)), expected)


@pytest.mark.parametrize("gain", [4.0, 6.0])
def test_dimples_on_an_overexposed_back_are_found(gain):
    """Light x 4 clips the red channel over most of the back, x 6 green too over a third of
    it: the dimples' shading lives on in the channels not clipped."""
    back = shaded_back(6.0, seed=0)
    back = dataclasses.replace(back, rgb=_overexposed(back.rgb, gain))
    assert (back.rgb[..., 0] >= 250).mean() > 0.9
    crop, pair = _judge(back)
    assert _region_problem(crop) is None
    _assert_found_near_truth(back, crop, pair, tolerance=0.1)


def test_a_back_washed_out_to_white_is_too_bright_and_a_white_garment_is_covered():
    """Light x 8 clips red and green over most of the lower back: no colour rule can tell that
    skin from cloth, but it stays warm (blue lower), and the person hears that the photo is
    overexposed. A white garment over the same zone, clipped as much, is neutral: covered."""
    from detector.pipeline import _problem_report
    from detector.report import STATUS_MESSAGES

    back = shaded_back(6.0, seed=0)
    washed_out = _overexposed(back.rgb, 8.0)
    assert (washed_out[..., :2] >= 250).all(axis=2).mean() > 0.5
    crop = extract_region(washed_out, back.frame, None)
    assert _region_problem(crop) == "too_bright"
    report = _problem_report("too_bright", {"source": None, "image": {}})
    assert report.status == "low_quality" and report.message == STATUS_MESSAGES["too_bright"]

    rng = np.random.default_rng(0)
    garment = back.rgb.copy()
    below_ribs = round(back.frame.to_image(0.0, 1.2)[1])
    garment[below_ribs:] = np.clip(253 + rng.normal(0, 1.5, garment[below_ribs:].shape), 0, 255)
    crop = extract_region(garment, back.frame, None)
    assert crop.clipped.mean() > 0.5
    assert _region_problem(crop) == "region_not_visible"


def test_dimples_below_a_shadow_across_the_back_are_found():
    # A shadow over the top third of the region (the skin reference's rows), at 40 % of the
    # light: the lit lower back around the dimples must still count as skin.
    back = shaded_back(6.0, seed=0)
    shadowed = back.rgb.astype(np.float32)
    top = int(back.frame.to_image(0.0, anatomy.REGION_ABOVE_HIPS - 0.35)[1])
    shadowed[:top] *= 0.4
    back = dataclasses.replace(back, rgb=np.round(shadowed).astype(np.uint8))
    crop, pair = _judge(back)
    assert crop.usable[-round(0.6 * crop.scale) :].mean() > 0.9
    _assert_found_near_truth(back, crop, pair, tolerance=0.1)


def test_ink_lines_are_a_thin_long_line_not_a_dimple_a_spot_or_a_shadow_edge():
    """On a crop's log luminance (96 px per hip width, 1.8 mm a pixel) with known features:
    a line 4 mm wide and 73 mm long is an ink line; a dimple's shading (7 mm template, deep,
    under light from above), a 7 mm dark spot (a mole) and the edge of a cast shadow are not."""
    from detector.shading import LIGHT_HYPOTHESES, dimple_basis, ink_lines

    rng = np.random.default_rng(0)
    log_lum = rng.normal(0.0, 0.005, (120, 140)).astype(np.float32)
    log_lum[40:42, 20:60] -= 0.3  # the line
    log_lum[80:84, 80:84] -= 0.4  # the spot
    log_lum[:, 120:] -= 0.4  # in the shadow
    basis = dimple_basis(3.84)[0]
    from_above = LIGHT_HYPOTHESES[4].vector()
    pit = np.tensordot([*from_above[:2] / from_above[2], 1.0], basis, axes=1)
    side = pit.shape[0]
    log_lum[70 : 70 + side, 20 : 20 + side] += pit
    assert pit.min() < -0.2  # as dark as the line, but spread over centimetres
    lines = ink_lines(log_lum, np.ones(log_lum.shape, bool), scale=96.0)
    assert lines[40:42, 20:60].mean() > 0.8
    assert not lines[70 : 70 + side, 20 : 20 + side].any()
    assert not lines[75:90, 75:90].any()
    assert not lines[:, 110:].any()
    assert lines.sum() <= 1.5 * 80


def test_a_faint_crease_is_a_line_and_so_is_a_crease_under_a_lit_lip():
    """A skin fold's crease is a line in shading alone, fainter than ink: 7 % darker over 4 mm
    and 73 mm long it is taken in, and so is one with the lit lower lip a crease has under
    light from above; as faint but 20 mm long (a wrinkle, a hair), it is not."""
    from detector.shading import ink_lines

    rng = np.random.default_rng(0)
    log_lum = rng.normal(0.0, 0.005, (120, 140)).astype(np.float32)
    log_lum[30:32, 20:60] -= 0.07  # the faint crease
    log_lum[70:72, 20:60] -= 0.07  # a crease ...
    log_lum[72:74, 20:60] += 0.05  # ... over its lit lip
    log_lum[100:102, 80:91] -= 0.07  # a short one
    lines = ink_lines(log_lum, np.ones(log_lum.shape, bool), scale=96.0)
    assert lines[30:32, 20:60].mean() > 0.8 and lines[70:72, 20:60].mean() > 0.8
    assert not lines[95:110, 75:95].any()
    assert not lines[72:74, 20:60].any()  # the lip is no darker than the skin


def test_ink_lines_take_in_where_strokes_cross_or_swell_but_not_a_spot_apart(monkeypatch):
    """Where a 4 mm stroke swells to 13 mm (strokes crossing), the thin-line measure leaves
    the swelling's middle out, a dark blob that passed for a pit; joined to the stroke it is
    ink too. A dark spot as large, apart from any stroke, is not."""
    from detector.shading import ink_lines

    rng = np.random.default_rng(0)
    log_lum = rng.normal(0.0, 0.005, (120, 140)).astype(np.float32)
    log_lum[40:42, 20:90] -= 0.3  # the stroke, 70 px (126 mm) long
    log_lum[37:45, 50:58] -= 0.3  # its swelling, 8 px (14 mm) across
    log_lum[80:88, 100:108] -= 0.3  # a spot as large, apart
    lines = ink_lines(log_lum, np.ones(log_lum.shape, bool), scale=96.0)
    assert lines[40:42, 20:90].mean() > 0.8
    assert lines[38:44, 51:57].all()
    assert not lines[75:95, 95:115].any()
    monkeypatch.setattr(shading, "INK_SPREAD", 1.0)  # the thin-line measure alone
    thin = ink_lines(log_lum, np.ones(log_lum.shape, bool), scale=96.0)
    assert not thin[39:43, 52:56].all()


def test_a_band_of_shadow_that_narrows_to_a_line_is_not_ink():
    """A band of shadow 12 px (22 mm) wide, cast by blinds, narrows to a line at one end: the
    line passes the thin-line measure, but the band it joins is many times its size, as no
    tattoo's swelling is (INK_MAX_GROWTH), and stays shading."""
    from detector.shading import ink_lines

    rng = np.random.default_rng(1)
    log_lum = rng.normal(0.0, 0.005, (120, 170)).astype(np.float32)
    log_lum[50:62, 10:110] -= 0.3  # the band
    log_lum[55:57, 110:165] -= 0.3  # narrowing to a line, 55 px (99 mm) long
    lines = ink_lines(log_lum, np.ones(log_lum.shape, bool), scale=96.0)
    assert lines[55:57, 115:160].mean() > 0.8
    assert not lines[52:60, 20:100].any()


def test_a_tattoos_stroke_across_the_back_is_no_garments_edge():
    """A dark stroke across the lower part of the region makes a step in brightness at each
    of its edges, as a skin-coloured garment's edge does: taken for one, it cut off the rows
    below it, dimples and all. Known as ink, it does not."""
    from detector.shading import above_garment_edge, ink_lines

    log_lum = np.zeros((100, 80), np.float32)
    log_lum[70:73, :] -= 0.4  # the stroke, level across the whole back
    usable = np.ones(log_lum.shape, bool)
    assert not above_garment_edge(log_lum, usable)[80:].any()  # rows cut below it
    ink = ink_lines(log_lum, usable, scale=96.0)
    assert ink[70:73, 10:70].all()
    assert above_garment_edge(log_lum, usable, ink).all()


#: A close-up render (``scripts/render.py --out bench/st_tattoo_new --n 96 --seed 170
#: --framings full_body,closeup --variant tattoo``, image r00091, saved at JPEG quality 92):
#: bold strokes across the back just above dimples 7.5 and 7.2 mm deep, 318 px apart.
CLOSEUP_TATTOO_ABOVE_THE_DIMPLES = RENDERS / "closeup_tattoo_strokes_above_the_dimples.jpg"
CLOSEUP_TATTOO_DIMPLES = {"left": (205.85, 601.66), "right": (523.51, 592.19)}
#: A whole-body render of the same set (image r00092): no dimples; strokes that cross and
#: swell where dimples would lie.
FULL_BODY_TATTOO_CROSSING = RENDERS / "full_body_tattoo_crossing_strokes.jpg"


def test_dimples_below_a_tattoos_strokes_are_found(detector, monkeypatch):
    report = detector.detect(CLOSEUP_TATTOO_ABOVE_THE_DIMPLES)
    assert_claimed_at(report, CLOSEUP_TATTOO_DIMPLES, 317.8, 0.15)
    # The strokes taken for a garment's edge: the skin below them, dimples and all, was cut.
    edge = shading.above_garment_edge
    monkeypatch.setattr(
        shading, "above_garment_edge", lambda log_lum, usable, ink: edge(log_lum, usable)
    )
    assert not detector.detect(CLOSEUP_TATTOO_ABOVE_THE_DIMPLES).present


def test_a_tattoos_crossing_strokes_are_no_dimples(detector, monkeypatch):
    report = detector.detect(FULL_BODY_TATTOO_CROSSING)
    assert report.status == "ok" and report.region.method == "pose" and not report.present
    monkeypatch.setattr(shading, "INK_SPREAD", 1.0)  # the thin-line measure alone: 0.85
    assert detector.detect(FULL_BODY_TATTOO_CROSSING).present


def _tattooed(rgb: np.ndarray, centre: np.ndarray, hip_width: float, design: str) -> np.ndarray:
    """``rgb`` with a symmetric tattoo of 5 mm strokes of blue-black ink drawn about
    ``centre`` (the dimples' midpoint, upright back): "wings" across the dimples' level and
    between them, "high" above them."""
    import cv2

    strokes = {
        "wings": [((8, 25), (100, 45), 10), ((10, -5), (95, -30), -8), ((5, 10), (60, 5), 6)],
        "high": [((8, 45), (100, 70), 10), ((10, 35), (80, 40), -6)],
    }[design]
    mm = anatomy.HIP_WIDTH_MM / hip_width
    ink = np.zeros(rgb.shape[:2], np.float32)
    t = np.linspace(0.0, 1.0, 40)
    for (u0, v0), (u1, v1), bow in strokes:
        lateral, height = u0 + (u1 - u0) * t, v0 + (v1 - v0) * t + bow * np.sin(np.pi * t)
        for sign in (1.0, -1.0):
            path = np.column_stack([centre[0] - sign * lateral / mm, centre[1] - height / mm])
            cv2.polylines(
                ink, [np.round(path * 16).astype(np.int32)], False, 1.0,
                thickness=max(1, round(5 / mm)), lineType=cv2.LINE_AA, shift=4,
            )  # fmt: skip
    cover = 0.75 * ink[..., None]
    return (rgb * (1.0 - cover) + np.array([26.0, 28.0, 41.0]) * cover).astype(np.uint8)


@pytest.mark.parametrize(
    ("sample", "design", "present"),
    [
        ("back_none.jpg", "wings", False),
        ("back_pronounced.jpg", "wings", True),
        ("back_moderate.jpg", "high", True),
        ("back_subtle.jpg", "high", True),
    ],
)
def test_a_tattoo_on_the_lower_back_is_no_pair_of_dimples(detector, sample, design, present):
    """A symmetric "tribal" tattoo drawn on the sample renders' lower backs: its strokes are
    no dimples (before ink lines were filled in, the wings on the back without dimples scored
    0.94), and the dimples beside or below them are still found (the strokes above them hid
    the moderate and subtle pairs: 0.30, 0.22)."""
    from pathlib import Path

    from detector.loading import load_image

    rgb = load_image(Path(__file__).parents[1] / "sample_images" / sample).rgb
    plain = detector.detect(rgb)
    (bottom, top) = plain.geometry.midline
    hip_width = float(np.linalg.norm(top - bottom)) / (
        anatomy.REGION_BELOW_HIPS + anatomy.REGION_ABOVE_HIPS
    )
    up = (top - bottom) / np.linalg.norm(top - bottom)
    centre = bottom + (anatomy.REGION_BELOW_HIPS + anatomy.DIMPLE_HEIGHT) * hip_width * up
    report = detector.detect(_tattooed(rgb, centre, hip_width, design))
    assert report.status == "ok"
    assert report.present is present


def test_filled_in_takes_the_mean_of_the_known_pixels_around_each_hole():
    """Holes in a smooth ramp are filled with the ramp's values; a hole too far from any known
    pixel keeps its own value."""
    from detector.shading import filled_in

    ramp = np.tile(np.linspace(-0.1, 0.1, 90, dtype=np.float32), (40, 1))
    holes = np.zeros(ramp.shape, bool)
    holes[18:22, 10:50] = True  # a stroke across the ramp
    known = ~holes
    known[:, 60:] = False  # no skin there...
    holes[:, 75:] = True  # ...so a hole in it is too far from any (15 px, 5 sigma)
    values = np.where(holes, -1.0, ramp).astype(np.float32)
    filled = filled_in(values, holes, known, sigma=3.0)
    assert filled.dtype == np.float32
    assert np.abs(filled[18:22, 10:50] - ramp[18:22, 10:50]).max() < 0.005
    assert np.all(filled[:, 75:] == -1.0)
    assert np.array_equal(filled[known], values[known])


def _through_blinds(rgb: np.ndarray, period_px: float, angle_deg: float) -> np.ndarray:
    """``rgb`` under light through blinds: bands of shadow (a third of the light) as wide as
    the lit bands between them, ``angle_deg`` from level, with edges a few pixels soft."""
    rows, cols = np.mgrid[0 : rgb.shape[0], 0 : rgb.shape[1]]
    turn = np.radians(angle_deg)
    across = rows * np.cos(turn) + cols * np.sin(turn)
    return _in_shadow(rgb, np.clip(3.0 * np.sin(2.0 * np.pi * across / period_px) + 0.5, 0, 1))


def _in_shadow(rgb: np.ndarray, lit: np.ndarray) -> np.ndarray:
    """``rgb`` where only the ``lit`` share (0..1) of each pixel is out of a shadow that
    lets a third of the light through."""
    light = 0.35 + 0.65 * lit
    return np.clip(rgb * light[..., None], 0, 255).astype(np.uint8)


@pytest.mark.parametrize("elevation", [30.0, 50.0, 70.0])
def test_shadows_of_blinds_across_the_back_are_refused_and_plain_light_is_not(elevation):
    """Hard-edged bands of shadow 5 cm apart pass for pits (on renders through blinds the
    AUC fell to chance): such a back is ``low_quality``; the same back in plain light is
    judged, its 5 mm pair found."""
    back = shaded_back(5.0, light_elevation_deg=elevation, seed=3)
    base = {"source": None, "image": {}}
    plain = extract_region(back.rgb, back.frame, None)
    assert not striped_by_shadows(plain, skin_shading(plain).values)
    report, pair = _judge_shading(plain, HIPS_PAIR_PRIOR, dict(base))
    assert report.status == "ok" and report.present
    # 86 px = 50 mm at this back's scale.
    banded = extract_region(_through_blinds(back.rgb, 86.0, 20.0), back.frame, None)
    assert striped_by_shadows(banded, skin_shading(banded).values)
    report, pair = _judge_shading(banded, HIPS_PAIR_PRIOR, dict(base))
    assert report.status == "low_quality" and pair is None
    assert report.message == STATUS_MESSAGES["hard_shadows"]


def _below_a_cast_shadow(back, edge_above_mm: float) -> np.ndarray:
    """``back``'s photo with everything above a level edge ``edge_above_mm`` above its
    dimples in shadow (a third of the light), the edge soft over a few pixels."""
    mm_per_px = anatomy.HIP_WIDTH_MM / back.frame.hip_width
    edge_row = back.dimples["left"][1] - edge_above_mm / mm_per_px
    lit = _below_a_level_edge(back, edge_row, 3.0) * np.ones((1, back.rgb.shape[1]))
    return _in_shadow(back.rgb, lit)


@pytest.mark.parametrize("edge_above_mm", [20.0, 30.0, 45.0])
def test_dimples_below_a_cast_shadow_are_judged_on_the_lit_skin(edge_above_mm):
    """A light high above a standing person leaves the lumbar hollow in the upper back's
    shadow, its hard edge just above the dimples. The edge's step made the whole region
    ``low_quality``; the lit skin below it is judged now, and the 5 mm pair is found where it
    is. (With the edge 10-15 mm above, over the pits' upper walls, it is placed about a fifth
    of its spacing low: the templates must lie on lit skin.)"""
    back = shaded_back(5.0, light_elevation_deg=70.0, seed=6)
    crop = extract_region(_below_a_cast_shadow(back, edge_above_mm), back.frame, None)
    assert under_hard_shadows(crop, skin_shading(crop).values)
    lit = lit_beside_a_cast_shadow(crop)
    assert lit is not None
    # The shadow and its rim are left out; the skin around the dimples is kept.
    height = crop.body_grid[..., 1]
    edge_height = anatomy.DIMPLE_HEIGHT + edge_above_mm / anatomy.HIP_WIDTH_MM
    assert not lit[height > edge_height].any()
    assert lit[(height < anatomy.DIMPLE_HEIGHT) & crop.usable].all()
    report, pair = _judge_shading(crop, HIPS_PAIR_PRIOR, {"source": None, "image": {}})
    assert report.status == "ok" and report.present
    _assert_found_near_truth(back, crop, pair, 0.15)


#: Renders under a light 83-84 degrees up (``scripts/render.py --out bench/st_grazing --n 64
#: --seed 71 --framings full_body,closeup --variant grazing``): a close-up whose lumbar hollow
#: lies in the upper back's shadow, its edge 2-3 cm above dimples 5.4 and 6.5 mm deep (r00049,
#: their centres at these pixels, 229 px apart), and a whole body whose 3 mm dimples lie on the
#: shadow's edge (r00001).
CLOSEUP_GRAZING = RENDERS / "closeup_grazing_light_shadow_above_the_dimples.jpg"
CLOSEUP_GRAZING_DIMPLES = {"left": (248.99, 595.97), "right": (477.98, 595.36)}
FULL_BODY_GRAZING_AT_THE_EDGE = RENDERS / "full_body_grazing_light_dimples_at_the_shadow_edge.jpg"


def test_dimples_below_the_upper_backs_shadow_are_found(detector, monkeypatch):
    """Judged on the lit skin below the shadow the pair is claimed, within a fifth of its
    spacing (under light this steep a pit's shadowed upper wall pulls the match up); with the
    shadowed region refused whole, as before, the photo was ``low_quality``."""
    report = detector.detect(CLOSEUP_GRAZING)
    assert report.status == "ok" and report.present
    for found in report.dimples:
        x, y = CLOSEUP_GRAZING_DIMPLES[found.side]
        assert np.hypot(found.x - x, found.y - y) < 0.2 * 228.99
    monkeypatch.setattr(pipeline, "lit_beside_a_cast_shadow", lambda crop: None)
    assert detector.detect(CLOSEUP_GRAZING).status == "low_quality"


def test_no_pair_beside_a_cast_shadow_is_no_answer(detector, monkeypatch):
    """Dimples on the shadow's edge do not show: the lit skin is judged and holds no pair,
    which says nothing of the shadowed skin, so the photo is ``low_quality``, not "none"."""
    found_shadow = []
    lit_beside = pipeline.lit_beside_a_cast_shadow

    def recorded(crop):
        lit = lit_beside(crop)
        found_shadow.append(lit is not None)
        return lit

    monkeypatch.setattr(pipeline, "lit_beside_a_cast_shadow", recorded)
    report = detector.detect(FULL_BODY_GRAZING_AT_THE_EDGE)
    assert found_shadow == [True]
    assert report.status == "low_quality"
    assert report.message == STATUS_MESSAGES["partly_shadowed"]


def test_a_pair_level_in_the_photo_counts_as_level_in_a_crop_turned_by_a_wrong_tilt():
    """The fallback's tilt, read from the torso's outline, can be wrong (a body turned from
    the camera): in a crop turned 15 degrees off, a level pair of 5 mm dimples looks tilted
    and loses most of its evidence, unless a pair level in the photo counts as level."""
    back = shaded_back(5.0, seed=4)
    turn = np.radians(15.0)
    rotation = np.array([[np.cos(turn), -np.sin(turn)], [np.sin(turn), np.cos(turn)]])
    askew = dataclasses.replace(
        back.frame, up=rotation @ back.frame.up, left=rotation @ back.frame.left
    )
    crop = extract_region(back.rgb, askew, None)
    candidates = indentation_candidates(crop)
    tilted = best_pair(candidates, crop)
    level_in_photo = dataclasses.replace(HIPS_PAIR_PRIOR, level_in_photo=True)
    levelled = best_pair(candidates, crop, level_in_photo)
    assert levelled.evidence > 2.0 * tilted.evidence
    _assert_found_near_truth(back, crop, levelled, 0.15)
    upright = extract_region(back.rgb, back.frame, None)
    as_before = indentation_candidates(upright)
    assert best_pair(as_before, upright, level_in_photo) == best_pair(as_before, upright)


def _through_leaves(rgb: np.ndarray, patch_px: float, seed: int = 2) -> np.ndarray:
    """``rgb`` under light through leaves: patches of shadow (a third of the light) about
    ``patch_px`` across, half of the photo, their edges a few pixels soft."""
    rng = np.random.default_rng(seed)
    rows, cols = np.mgrid[0 : rgb.shape[0], 0 : rgb.shape[1]]
    field = np.zeros(rows.shape)
    for _ in range(6):
        angle, phase = rng.uniform(0.0, np.pi), rng.uniform(0.0, 2.0 * np.pi)
        field += np.sin(np.pi / patch_px * (np.cos(angle) * cols + np.sin(angle) * rows) + phase)
    return _in_shadow(rgb, np.clip(2.0 * field + 0.5, 0.0, 1.0))


def test_dappled_shadows_of_leaves_are_refused_and_plain_light_is_not():
    """Patches of hard-edged shadow, their edges running every way, pass for pits as stripes
    do: the shading falls into two levels, lit and shaded, and the back is ``low_quality``."""
    back = shaded_back(5.0, seed=5)
    base = {"source": None, "image": {}}
    plain = extract_region(back.rgb, back.frame, None)
    assert not dappled_by_shadows(plain, skin_shading(plain).values)
    dappled = extract_region(_through_leaves(back.rgb, 90.0), back.frame, None)
    assert dappled_by_shadows(dappled, skin_shading(dappled).values)
    report, pair = _judge_shading(dappled, HIPS_PAIR_PRIOR, dict(base))
    assert report.status == "low_quality" and pair is None
    assert report.message == STATUS_MESSAGES["hard_shadows"]


#: A close-up render with funnel-shaped pits (``scripts/render.py --out bench/st_pits --n 96
#: --seed 190 --framings full_body,closeup --variant pit_shapes``, image r00079, saved at JPEG
#: quality 92): cones with rounded tips, 2.9 and 3.4 mm deep, half as deep 12-13 mm out,
#: 203 px apart, at these pixels. The template is a Gaussian pit's shading; other shapes of pit
#: must still be found.
FUNNEL_PITS = RENDERS / "closeup_funnel_shaped_pits.jpg"
FUNNEL_PIT_CENTRES = {"left": (378.2, 429.41), "right": (580.52, 442.7)}
FUNNEL_PIT_SPACING = 202.75


def test_funnel_shaped_pits_are_found_where_they_are(detector):
    report = detector.detect(FUNNEL_PITS)
    assert_claimed_at(report, FUNNEL_PIT_CENTRES, FUNNEL_PIT_SPACING, 0.25)


#: Close-up renders with skin folds at the waist (``scripts/render.py --out bench/st_folds --n
#: 96 --seed 195 --framings full_body,closeup --variant skin_folds``): image r00078, a back
#: without dimples whose creases (4.4 and 4.7 mm deep) begin 4.4-4.9 cm from the spine, 4.4 cm
#: above where the dimples would be, faint where they fade in (their ends were claimed at 0.72
#: while faint lines were left in the shading); and image r00018, dimples 2.9 and 3.4 mm deep,
#: 337 px apart, under folds 3.6-4.1 cm above them beginning 5.3-5.5 cm from the spine.
FOLDS_WITHOUT_DIMPLES = RENDERS / "closeup_skin_folds_no_dimples.jpg"
FOLDS_ABOVE_DIMPLES = RENDERS / "closeup_skin_folds_above_the_dimples.jpg"
DIMPLES_UNDER_FOLDS = {"left": (215.99, 643.11), "right": (552.53, 626.66)}
DIMPLES_UNDER_FOLDS_SPACING = 336.94


def test_the_ends_of_skin_folds_are_not_taken_for_dimples(detector):
    report = detector.detect(FOLDS_WITHOUT_DIMPLES)
    assert report.status == "ok" and not report.present and report.score < 0.5


def test_dimples_below_skin_folds_are_found_where_they_are(detector):
    report = detector.detect(FOLDS_ABOVE_DIMPLES)
    assert_claimed_at(report, DIMPLES_UNDER_FOLDS, DIMPLES_UNDER_FOLDS_SPACING, 0.1)
