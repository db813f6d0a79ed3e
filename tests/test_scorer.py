"""Shading, curvature and pairing stages on procedurally shaded backs with known dimples."""

from __future__ import annotations

import numpy as np
import pytest
from procedural import shaded_back

from detector.pairing import best_pair
from detector.shading import extract_region, indentation_candidates


def _judge(back):
    crop = extract_region(back.rgb, back.frame, None)
    candidates, light = indentation_candidates(crop)
    return crop, best_pair(candidates, crop), light


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pronounced_dimples_are_found_where_they_are(seed):
    back = shaded_back(6.0, seed=seed)
    crop, pair, _ = _judge(back)
    assert pair.score >= 0.5
    spacing = np.linalg.norm(back.dimples["left"] - back.dimples["right"])
    for side, found in (("left", pair.left), ("right", pair.right)):
        xy = crop.image_coords(np.array([found.candidate.x, found.candidate.y]))
        assert np.linalg.norm(xy - back.dimples[side]) <= 0.1 * spacing


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_smooth_back_has_no_dimples(seed):
    _, pair, _ = _judge(shaded_back(0.0, seed=seed))
    assert pair.score < 0.5


def test_score_and_depth_estimate_grow_with_depth():
    scores, depths = [], []
    for depth in (0.0, 2.0, 4.0, 8.0):
        results = [_judge(shaded_back(depth, seed=seed))[1] for seed in range(3)]
        scores.append(np.mean([r.score for r in results]))
        depths.append(np.mean([r.left.depth_mm if r.left else 0.0 for r in results]))
    assert scores == sorted(scores) and scores[-1] > 0.9 > scores[0] + 0.8
    assert depths[-1] > depths[1] > depths[0]


def test_light_from_above_is_recognised():
    _, _, light = _judge(shaded_back(6.0, light_elevation_deg=60))
    assert light.direction[1] < -0.9  # pointing up the crop


def test_side_light_still_finds_deep_dimples():
    _, pair, light = _judge(shaded_back(8.0, light_azimuth_deg=60, seed=1))
    assert light.direction[0] < -0.5  # towards the person's left = image left in a back view
    assert pair.score >= 0.5


def test_a_waistband_edge_is_not_a_pair_of_dimples():
    """A horizontal step in brightness across the region (a waistband) gives no pair."""
    back = shaded_back(0.0, seed=5)
    rgb = back.rgb.copy()
    band_row = int(back.frame.to_image(0.0, 0.4)[1])
    rgb[band_row:] = (rgb[band_row:] * 0.55).astype(np.uint8)
    crop = extract_region(rgb, back.frame, None)
    candidates, _ = indentation_candidates(crop)
    assert best_pair(candidates, crop).score < 0.5
