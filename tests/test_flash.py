"""Light from about the camera (an on-camera flash): the pits are matched as lit from below
their own normal, and only there."""

from __future__ import annotations

import numpy as np
from conftest import RENDERS, SAMPLES

from detector import shading
from detector.loading import load_image
from detector.pose import body_frame, main_person
from detector.shading import FROM_BELOW, extract_region, lit_from_the_camera

#: A full-body render under an on-camera flash (``python scripts/render.py --out DIR --n 48
#: --seed 27 --framings full_body,closeup --variant flash``, image r00017: the light 8 degrees
#: above the camera's axis; dimples 6.4 and 7.9 mm deep, 25 px apart, at these pixels).
FLASH_RENDER = RENDERS / "flash_full_body.jpg"
FLASH_DIMPLES = {"left": (208.14, 337.39), "right": (233.29, 337.82)}


def _flash_pair_error(detector) -> tuple[float, int]:
    """The larger distance of a found dimple from the truth, over the spacing, and the light
    hypothesis of the pair."""
    report, pair = detector.examine(load_image(FLASH_RENDER))
    assert report.status == "ok" and report.present
    errors = [
        np.hypot(d.x - FLASH_DIMPLES[d.side][0], d.y - FLASH_DIMPLES[d.side][1]) / 25.15
        for d in report.dimples
    ]
    return max(errors), pair.left.candidate.light


def test_under_a_flash_the_pits_are_matched_as_lit_from_below(detector, monkeypatch):
    """The sacral skin faces partly upwards: a light at the camera's height reaches the pits
    from below their normal. Matched so, they are placed right; matched as lit from above
    (the hypothesis withheld), a wall too low."""
    error, light = _flash_pair_error(detector)
    assert light == FROM_BELOW and error < 0.1
    monkeypatch.setattr(shading, "MIN_CAMERA_LIGHT_HEIGHT_SLOPE", np.inf)
    withheld, light = _flash_pair_error(detector)
    assert light != FROM_BELOW and withheld > 0.15


def test_light_from_below_is_tried_only_under_light_from_the_camera(detector):
    """Lit from above, the torso darkens upwards over the lower back and light from below is
    not tried: muscle bellies lit from above (bright over dark) would pass for pits."""
    for path, from_camera in ((FLASH_RENDER, True), (SAMPLES / "back_pronounced.jpg", False)):
        rgb = load_image(path).rgb
        person = main_person(detector._pose.find_people(rgb), rgb.shape)
        crop = extract_region(rgb, body_frame(person.points), person.mask, person.mask_scale)
        assert lit_from_the_camera(crop.gradients) is from_camera
