"""Blur estimate from edges of known width, and the pipeline's ``low_quality`` for blur."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from conftest import RENDERS, SAMPLES, assert_claimed_at
from hypothesis import given, settings
from hypothesis import strategies as st

from detector.histograms import level_percentiles
from detector.quality import blur_sigma_px, percentile
from detector.shading import robust_spread


def _step_image(sigma: float, seed: int = 0) -> np.ndarray:
    """A vertical step from 0.2 to 0.8 luminance, Gaussian-blurred by ``sigma``, with noise."""
    image = np.full((160, 160), 0.2, np.float32)
    image[:, 80:] = 0.8
    if sigma > 0:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    noise = np.random.default_rng(seed).normal(0.0, 0.01, image.shape)
    return (image + noise).astype(np.float32)


@pytest.mark.parametrize("sigma", [1.0, 2.0, 4.0, 7.0])
def test_blur_of_a_step_edge_is_measured(sigma):
    """The blur plus the pixel grid's own width (about 0.8 px), added in quadrature."""
    measured = blur_sigma_px(_step_image(sigma), largest_sigma_px=10.0)
    assert measured == pytest.approx(np.hypot(sigma, 0.8), rel=0.1)


def test_a_sharp_step_measures_about_a_pixel():
    assert blur_sigma_px(_step_image(0.0), largest_sigma_px=10.0) < 1.2


def test_only_steps_between_surfaces_count_when_the_tint_is_known():
    # A sharp step from skin to a grey cloth, beside a soft valley in the skin's shading (a
    # gluteal cleft: 0.4 deep, 5 px wide): without the tint the valley's walls read as a
    # blurred step; with it they are shading and only the step is measured.
    skin, cloth = np.array([0.42, 0.33]), np.array([1 / 3, 1 / 3])
    grey = np.full((160, 160), 0.7, np.float32)
    columns = np.arange(160)
    grey -= 0.4 * np.exp(-((columns - 50) ** 2) / (2 * 5.0**2)).astype(np.float32)
    tint = np.broadcast_to(skin, (160, 160, 2)).astype(np.float32).copy()
    valley_only = grey + np.random.default_rng(2).normal(0.0, 0.01, grey.shape).astype(np.float32)
    assert blur_sigma_px(valley_only, largest_sigma_px=10.0) > 3.0
    assert blur_sigma_px(valley_only, largest_sigma_px=10.0, tint=tint) is None
    grey[:, 120:] = 0.2
    tint[:, 120:] = cloth
    with_step = grey + np.random.default_rng(3).normal(0.0, 0.01, grey.shape).astype(np.float32)
    assert blur_sigma_px(with_step, largest_sigma_px=10.0, tint=tint) < 1.2


def _isoluminant_backdrop(skin: np.ndarray) -> np.ndarray:
    """A blue of the same luminance (BT.601 weights) as ``skin`` (RGB, 0..1)."""
    red, blue = 0.3, 0.95
    green = (
        cv2.cvtColor(skin.reshape(1, 1, 3), cv2.COLOR_RGB2GRAY)[0, 0] - 0.299 * red - 0.114 * blue
    ) / 0.587
    return np.array([red, green, blue], np.float32)


@pytest.mark.parametrize("sigma", [1.5, 3.0])
def test_a_step_in_colour_alone_is_measured(sigma):
    """Skin against a blue backdrop of its own brightness (the body's outline in a studio
    photo): no step in luminance, a step in red and blue as blurred as the photo."""
    skin = np.array([0.8, 0.55, 0.45], np.float32)
    rgb = np.empty((160, 160, 3), np.float32)
    rgb[:, :80], rgb[:, 80:] = skin, _isoluminant_backdrop(skin)
    rgb = cv2.GaussianBlur(rgb, (0, 0), sigma)
    rgb += np.random.default_rng(4).normal(0.0, 0.01, rgb.shape).astype(np.float32)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    assert blur_sigma_px(grey, largest_sigma_px=10.0) is None
    assert blur_sigma_px(rgb, largest_sigma_px=10.0) == pytest.approx(
        np.hypot(sigma, 0.8), rel=0.15
    )


def test_shading_beside_a_faint_outline_is_no_step():
    """A flank darkening into shadow (a soft ramp, sigma 4 px) next to a backdrop of nearly
    its colour and brightness: the tint changes at the outline, 12 px from the ramp, and not
    across the ramp itself, so the ramp is no blurred step between surfaces."""
    columns = np.arange(160, dtype=np.float32)
    shade = 0.75 - 0.35 / (1.0 + np.exp(-(columns - 88.0) / 2.4))  # logistic ramp, sigma ~4
    rgb = shade[None, :, None] * np.array([1.0, 0.75, 0.62], np.float32)
    rgb = np.repeat(rgb, 160, axis=0)
    rgb[:, 100:] = rgb[0, 99] * np.array([1.0, 0.92, 1.0], np.float32)  # pinkish backdrop
    rgb += np.random.default_rng(5).normal(0.0, 0.005, rgb.shape).astype(np.float32)
    total = rgb.sum(axis=2, keepdims=True)
    tint = (rgb[..., :2] / total).astype(np.float32)
    assert blur_sigma_px(rgb, largest_sigma_px=5.0) > 3.0  # without the tint: a soft step
    assert blur_sigma_px(rgb, largest_sigma_px=5.0, tint=tint) is None


def test_no_estimate_without_strong_edges():
    flat = np.random.default_rng(1).normal(0.5, 0.02, (120, 120)).astype(np.float32)
    assert blur_sigma_px(flat, largest_sigma_px=5.0) is None


def test_blur_beyond_the_window_is_capped():
    assert blur_sigma_px(_step_image(12.0), largest_sigma_px=4.0) == pytest.approx(4.0, abs=0.5)


def test_a_blurred_photo_is_low_quality_and_the_sharp_one_is_judged(detector):
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_pronounced.jpg")), cv2.COLOR_BGR2RGB)
    sharp = detector.detect(rgb)
    blurred = detector.detect(cv2.GaussianBlur(rgb, (0, 0), 5.0))
    assert sharp.status == "ok" and sharp.present
    assert blurred.status == "low_quality"
    assert "blurred" in blurred.message


#: A full-body render without clothing before blue and magenta stripes about as bright as its
#: skin (``python scripts/render.py --out DIR --n 64 --seed 31 --framings full_body --nude``,
#: image r00062; dimples 1.5 and 1.2 mm deep).
BARE_BODY_BEFORE_STRIPES = RENDERS / "bare_full_body_stripes.jpg"


def test_a_sharp_outline_in_colour_alone_is_not_blur(detector):
    """The body's outline against stripes of its own brightness is a sharp step in colour;
    read in luminance alone, the flanks' shading beside it passed for a blurred outline."""
    report = detector.detect(BARE_BODY_BEFORE_STRIPES)
    assert report.status == "ok"
    assert report.region.method == "pose"


def test_a_back_too_small_to_judge_is_low_quality_and_a_small_one_is_judged(detector):
    """The pronounced sample (hips 55 px apart) shrunk until its hips are about 25 px apart is
    too small to judge; at about 34 px its dimples are still found."""
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_pronounced.jpg")), cv2.COLOR_BGR2RGB)

    def shrunk(factor: float) -> np.ndarray:
        return cv2.resize(rgb, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)

    too_small = detector.detect(shrunk(0.45))
    assert too_small.status == "low_quality" and "too small" in too_small.message
    small = detector.detect(shrunk(0.62))
    assert small.status == "ok" and small.present


def _toned(rgb: np.ndarray, tint: tuple[float, float, float]) -> np.ndarray:
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)[..., None]
    return np.clip(grey * np.array(tint, np.float32), 0, 255).astype(np.uint8)


def test_black_and_white_and_sepia_photos_are_monochrome():
    from detector.quality import is_monochrome

    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_pronounced.jpg")), cv2.COLOR_BGR2RGB)
    assert not is_monochrome(rgb)
    assert is_monochrome(_toned(rgb, (1.0, 1.0, 1.0)))
    assert is_monochrome(_toned(rgb, (1.07, 0.95, 0.8)))  # sepia
    ok, jpeg = cv2.imencode(".jpg", _toned(rgb, (1.0, 1.0, 1.0)), [cv2.IMWRITE_JPEG_QUALITY, 70])
    assert ok and is_monochrome(cv2.imdecode(jpeg, cv2.IMREAD_COLOR))
    # A blank is no black-and-white photo (its report says no person, not "use colour").
    assert not is_monochrome(np.zeros((200, 200, 3), np.uint8))
    assert not is_monochrome(np.full((200, 200, 3), (200, 150, 120), np.uint8))


def test_a_grey_photo_mostly_of_a_plain_backdrop_is_monochrome(detector):
    """A person before a plain backdrop that fills most of the frame: 90 % of the pixels lie
    within 5 levels of brightness, as in a blank, but a grey copy is black and white and
    reported so (its skin was taken for clothing: region_not_visible). The colour original,
    and a frame of one colour, are not."""
    from detector.quality import is_monochrome

    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_moderate.jpg")), cv2.COLOR_BGR2RGB)
    grey = _toned(rgb, (1.0, 1.0, 1.0))
    assert is_monochrome(grey) and not is_monochrome(rgb)
    assert not is_monochrome(np.full((200, 200, 3), 128, np.uint8))  # a blank
    report = detector.detect(grey)
    assert report.status == "low_quality" and "colour" in report.message


def test_a_frame_of_one_skin_tint_above_clothing_of_another_hue_is_in_colour():
    """A close-up filled by a bare back (one tint, shaded) above dark shorts: each brightness
    has one tint, as in a toned photo, but the tints differ in hue, so these are materials
    in colour. Toned the same way, the photo is monochrome."""
    from detector.quality import is_monochrome

    shading = np.linspace(0.75, 1.0, 400, dtype=np.float32)[:, None, None]
    rgb = np.broadcast_to(shading * np.array([235, 175, 140], np.float32), (400, 300, 3)).copy()
    rgb[340:] = (70, 45, 80)  # dark purple shorts
    rgb = np.round(rgb).astype(np.uint8)
    assert not is_monochrome(rgb)
    assert is_monochrome(_toned(rgb, (1.07, 0.95, 0.8)))


def test_a_frame_filled_with_evenly_coloured_skin_is_in_colour():
    """A render's bare back filling the frame: skin of one colour, shaded, so each brightness
    has one tint, as in a toned photo; but far more saturated than a toning makes grey. Toned
    from its own grey, the same frame is monochrome."""
    from detector.quality import is_monochrome

    shading = np.linspace(0.6, 1.0, 400, dtype=np.float32)[:, None, None]
    rgb = np.broadcast_to(shading * np.array([225, 150, 105], np.float32), (400, 300, 3))
    rgb = np.round(rgb).astype(np.uint8)
    assert not is_monochrome(rgb)
    assert is_monochrome(_toned(rgb, (1.07, 0.95, 0.8)))


def test_a_dim_frame_of_skin_above_black_clothing_is_in_colour():
    """The same skin in dim light: its chroma falls with its brightness, below what a bright
    toning reaches, but not for its brightness (a harsh-light close-up render was taken for a
    toned photo). Toned from its own grey, even strongly, it is monochrome."""
    from detector.quality import is_monochrome

    shading = np.linspace(0.3, 0.6, 400, dtype=np.float32)[:, None, None]
    rgb = np.broadcast_to(shading * np.array([225, 150, 105], np.float32), (400, 300, 3)).copy()
    rgb[330:] = 12  # black briefs
    rgb = np.round(rgb).astype(np.uint8)
    assert not is_monochrome(rgb)
    assert is_monochrome(_toned(rgb, (1.07, 0.95, 0.8)))
    assert is_monochrome(_toned(rgb, (1.2, 1.0, 0.7)))


#: Renders under a single lamp (``scripts/render.py --out bench/st_harsh --n 48 --seed 210
#: --framings full_body,closeup --variant harsh``, images r00013 and r00002, as rendered): a
#: close-up filled by skin above black briefs, dimples 2.3 and 2.6 mm deep at (220, 595) and
#: (504, 590), 284 px apart; a whole body lit from 79 degrees to its side, the far half of the
#: lower back in the body's own black shadow.
HARSH_CLOSEUP = RENDERS / "closeup_harsh_light_black_briefs.jpg"
HARSH_SHADOW = RENDERS / "full_body_harsh_light_body_shadow.jpg"


def test_a_dim_close_up_of_skin_is_judged_in_colour_and_its_pair_found(detector):
    report = detector.detect(HARSH_CLOSEUP)
    assert_claimed_at(report, {"left": (220, 595), "right": (504, 590)}, 284, 0.15)


def test_a_back_half_in_black_shadow_is_not_visible_and_the_message_says_why(detector):
    """Black shadow and black cloth look alike: the message names both. A garment in colour
    over the lower back gets the plain message."""
    report = detector.detect(HARSH_SHADOW)
    assert report.status == "region_not_visible" and report.region.method == "pose"
    assert "deep shadow" in report.message
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_pronounced.jpg")), cv2.COLOR_BGR2RGB)
    region = detector.detect(rgb).region
    x, y, width, height = region.x, region.y, region.width, region.height
    for colour, words in (
        ((40, 70, 160), "covered or out of frame"),
        ((25, 25, 28), "deep shadow"),
    ):
        dressed = rgb.copy()
        dressed[y - height : y + 2 * height, x - width // 2 : x + width + width // 2] = colour
        covered = detector.detect(dressed)
        assert covered.status == "region_not_visible" and words in covered.message


def test_a_monochrome_back_is_not_judged(detector):
    """Without colour, clothing passes for bare skin and its folds for shading (on grey copies
    of the real photos, 12 covered backs were claimed to show dimples): say so instead."""
    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_pronounced.jpg")), cv2.COLOR_BGR2RGB)
    report = detector.detect(_toned(rgb, (1.0, 1.0, 1.0)))
    assert report.status == "low_quality"
    assert "colour" in report.message


def test_only_the_black_and_white_real_photos_are_monochrome(shared_labels):
    from conftest import SHARED_DATA

    from detector.loading import load_image
    from detector.quality import is_monochrome

    flagged = {
        e["file"] for e in shared_labels if is_monochrome(load_image(SHARED_DATA / e["file"]).rgb)
    }
    black_and_white = {e["file"] for e in shared_labels if "B&W" in (e.get("notes") or "")}
    assert black_and_white and flagged == black_and_white


def _with_logo(rgb: np.ndarray, share: float) -> np.ndarray:
    """``rgb`` with a saturated red block covering ``share`` of it (a photographer's logo)."""
    marked = rgb.copy()
    height, width = rgb.shape[:2]
    side = round(np.sqrt(share * height * width))
    marked[-side:, :side] = (220, 30, 40)
    return marked


def test_a_grey_photo_with_a_coloured_logo_is_nearly_colourless():
    from detector.quality import is_monochrome, is_nearly_colourless

    rgb = cv2.cvtColor(cv2.imread(str(SAMPLES / "back_pronounced.jpg")), cv2.COLOR_BGR2RGB)
    grey_with_logo = _with_logo(_toned(rgb, (1.0, 1.0, 1.0)), 0.03)
    assert not is_monochrome(grey_with_logo)  # the logo breaks the strict test
    assert is_nearly_colourless(grey_with_logo)
    assert not is_nearly_colourless(rgb)
    assert not is_nearly_colourless(_with_logo(np.full((200, 200, 3), 90, np.uint8), 0.03))


def test_a_grey_photo_without_a_person_or_bare_back_says_it_lacks_colour(detector):
    """When neither the pose model nor the skin finds a back, a nearly colourless photo is
    reported as such (use the colour original), not as a photo without a person."""
    rng = np.random.default_rng(3)
    texture = cv2.GaussianBlur(rng.integers(0, 255, (480, 640), np.uint8), (0, 0), 6.0)
    texture = cv2.normalize(texture, None, 0, 255, cv2.NORM_MINMAX)
    grey_scene = np.repeat(texture[..., None], 3, axis=2)
    report = detector.detect(_with_logo(grey_scene, 0.03))
    assert report.status == "low_quality" and "colour" in report.message
    coloured_scene = cv2.cvtColor(
        cv2.applyColorMap(texture, cv2.COLORMAP_WINTER), cv2.COLOR_BGR2RGB
    )
    assert detector.detect(coloured_scene).status == "no_person"


@settings(max_examples=300, deadline=None)
@given(
    levels=st.lists(st.integers(0, 600), min_size=1, max_size=400),
    percents=st.lists(st.sampled_from([0.0, 2.0, 5.0, 50.0, 95.0, 99.0, 100.0]), min_size=1),
)
def test_level_percentiles_are_numpys_percentiles(levels, percents):
    """The histogram shortcut the colour checks use gives numpy's (linear) percentiles."""
    values = np.array(levels, np.uint16)
    assert level_percentiles(values, percents) == pytest.approx(np.percentile(values, percents))


@settings(max_examples=300, deadline=None)
@given(
    values=st.lists(st.floats(0.0, 50.0, width=32), min_size=1, max_size=300),
    percent=st.sampled_from([0.0, 2.0, 37.3, 50.0, 97.5, 100.0]),
    dtype=st.sampled_from([np.float32, np.float64]),
)
def test_percentile_is_numpys_to_the_bit(values, percent, dtype):
    """The partial-sort percentile the blur check reads its sharpest edges with is
    np.percentile's, rounding included, so it changes no answer."""
    array = np.array(values, dtype)
    assert percentile(array, percent) == float(np.percentile(array, percent))


@pytest.mark.parametrize("shape", [(8, 1024), (9, 1023), (3, 17), (40,)])
def test_robust_spread_uses_the_exact_median(shape):
    """The shading stage's noise estimate: 1.4826 x the median absolute deviation, with
    medians exactly np.median's (even and odd counts)."""
    values = np.random.default_rng(0).normal(size=shape)
    deviation = np.abs(values - np.median(values, axis=-1, keepdims=True))
    expected = np.maximum(1.4826 * np.median(deviation, axis=-1), 1e-6)
    assert np.array_equal(robust_spread(values), expected)
