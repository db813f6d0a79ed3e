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


#: A close-up render under an on-camera flash (``python scripts/render.py --out DIR --n 64
#: --seed 44 --framings closeup --variant flash``, image r00049, saved at JPEG quality 92: the
#: light 7 degrees above the camera's axis; dimples 6.6 and 6.0 mm deep, 156 px apart, at these
#: pixels), whose torso darkens a little upwards (height slope -0.026).
FLASH_CLOSEUP = RENDERS / "closeup_flash_darkening_upwards.jpg"
FLASH_CLOSEUP_DIMPLES = {"left": (405.26, 436.86), "right": (561.25, 436.57)}


def test_a_flash_close_up_darkening_a_little_upwards_is_lit_from_the_camera(detector, monkeypatch):
    """Under a flash a close-up's torso may darken upwards a little (5 % of such renders by more
    than 0.03): its pits are matched as lit from below all the same. With light from below
    tried only where the torso does not darken upwards at all, they were matched as lit from
    above, weakly, and missed."""
    report = detector.detect(FLASH_CLOSEUP)
    assert report.status == "ok" and report.present and report.region.method == "fallback"
    for found in report.dimples:
        x, y = FLASH_CLOSEUP_DIMPLES[found.side]
        assert np.hypot(found.x - x, found.y - y) < 0.1 * 155.99
    monkeypatch.setattr(shading, "MIN_CAMERA_LIGHT_HEIGHT_SLOPE", 0.0)
    assert not detector.detect(FLASH_CLOSEUP).present


def test_no_dimples_under_light_from_the_camera_comes_with_advice_on_the_light(detector):
    """A back judged without dimples says that light from about the camera hides shallow
    ones (the sample close-up without clothing, lit so), but not under light from above."""
    from detector.report import FRONTAL_LIGHT_NOTE

    frontal = detector.detect(SAMPLES / "closeup_nude_none.jpg")
    from_above = detector.detect(SAMPLES / "back_none.jpg")
    assert frontal.status == from_above.status == "ok"
    assert not frontal.present and not from_above.present
    assert lit_from_the_camera(frontal.light.gradients)
    assert not lit_from_the_camera(from_above.light.gradients)
    assert FRONTAL_LIGHT_NOTE in frontal.message
    assert FRONTAL_LIGHT_NOTE not in from_above.message
