"""Image quality: how blurred the photo is around the lower back, and whether it has colour.

Skin itself is smooth, so its texture says little about focus. The sharpest strong edges near
the lower back do: the body's outline against the background, a waistband, clothing seams. A
step edge blurred by a Gaussian of width ``s`` has a steepest gradient of
``contrast / (s sqrt(2 pi))``, so every strong edge gives an estimate of ``s``; the sharpest
edges (a low percentile) give the camera's blur, since real edges are never sharper than the
optics and motion allow, and soft edges (a shadow's penumbra, rounded flesh) only add to it.
"""

from __future__ import annotations

import cv2
import numpy as np

from detector.histograms import level_percentiles
from detector.shading import squared_length

#: Smoothing applied before measuring (Gaussian sigma, pixels).
DENOISE_SIGMA_PX = 1.0
#: Smallest step (0..1; in colour, the root mean square over the channels) that counts as a
#: strong edge.
MIN_EDGE_CONTRAST = 0.12
#: Half-width of the window the step height is read over, in multiples of the largest blur
#: of interest; it must hold the whole blurred ramp (+- 2.5 sigma).
CONTRAST_WINDOW_SIGMAS = 3.0
#: How far from a step's midpoint (fraction of its height) its steepest point may lie.
MIDPOINT_TOLERANCE = 0.2
#: Fewest edge pixels for an estimate.
MIN_EDGE_PIXELS = 40
#: Percentile of the per-edge-pixel estimates taken as the photo's blur (the sharpest edges).
SHARPEST_PERCENTILE = 2.0
#: Change of chromaticity (red or green share of R + G + B) across a step between surfaces.
MIN_EDGE_TINT = 0.03
#: The tint must change that much within this many times the largest blur of interest from
#: the edge: a change further away (the body's outline beside its shaded flank) does not make
#: a shading edge a step between surfaces. On full-body renders without clothing, 3 (the
#: step's own window) let a sharp render's flank pass for a blurred outline.
TINT_WINDOW_SIGMAS = 1.0


def blur_sigma_px(
    image: np.ndarray, largest_sigma_px: float, tint: np.ndarray | None = None
) -> float | None:
    """The photo's blur as a Gaussian sigma in pixels, from the sharpest strong edges of
    ``image`` (float in 0..1: luminance ``(height, width)`` or colour ``(height, width,
    channels)``); None where there are too few strong edges to tell.

    In colour, steps are measured as vectors (root mean square over the channels), so a step
    between two colours of one brightness (skin against a blue or green backdrop) is as
    sharp as it looks, where its luminance hardly changes; a step blurred by ``s`` still has
    a steepest gradient of ``contrast / (s sqrt(2 pi))``, in every channel at once.

    Blur larger than ``largest_sigma_px`` is reported as at least that (the window the step
    height is read over is sized for it). With ``tint`` (float32 ``(height, width, 2)``
    chromaticity), only edges across which the tint changes by :data:`MIN_EDGE_TINT` count:
    steps between surfaces (the body's outline, a waistband); shading changes brightness
    alone, and a soft valley in it (the gluteal cleft, a dimple) is no step.
    """
    # A light smoothing of known width keeps pixel noise from reading as steep edges; it is
    # taken out again at the end (Gaussian widths add in quadrature).
    image = cv2.GaussianBlur(image.astype(np.float32), (0, 0), DENOISE_SIGMA_PX)
    # Central differences: no smoothing of their own, which would read as blur.
    kernel = np.array([[-0.5, 0.0, 0.5]], np.float32)
    gradient = _rms(cv2.filter2D(image, -1, kernel), cv2.filter2D(image, -1, kernel.T))
    half = max(2, round(CONTRAST_WINDOW_SIGMAS * largest_sigma_px))
    window = np.ones((2 * half + 1, 2 * half + 1), np.uint8)
    brightest, darkest = cv2.dilate(image, window), cv2.erode(image, window)
    contrast = _rms(brightest - darkest)
    # The steepest point of a blurred step is its midpoint: pixels on either flat side of an
    # edge (whose noise gradients would read as very wide steps) are left out. Tested on a
    # 3 x 3 mean, since a perfectly sharp step has no pixel at its midpoint.
    local_mean = cv2.blur(image, (3, 3))
    centred = _rms(local_mean - (brightest + darkest) / 2.0) <= MIDPOINT_TOLERANCE * contrast
    # Ridge of the gradient across the edge: a maximum along the rows or the columns.
    ridge = (gradient >= cv2.dilate(gradient, np.ones((1, 3), np.uint8))) | (
        gradient >= cv2.dilate(gradient, np.ones((3, 1), np.uint8))
    )
    widths = contrast / (np.maximum(gradient, 1e-6) * np.sqrt(2.0 * np.pi))
    edges = ridge & centred & (contrast >= MIN_EDGE_CONTRAST) & (widths <= 2.0 * largest_sigma_px)
    if tint is not None:
        tint_half = max(1, round(TINT_WINDOW_SIGMAS * largest_sigma_px))
        tint_window = np.ones((2 * tint_half + 1, 2 * tint_half + 1), np.uint8)
        tint_range = cv2.dilate(tint, tint_window) - cv2.erode(tint, tint_window)
        tint_change = np.maximum(tint_range[..., 0], tint_range[..., 1])
        edges &= tint_change >= MIN_EDGE_TINT
    if int(edges.sum()) < MIN_EDGE_PIXELS:
        return None
    measured = percentile(widths[edges], SHARPEST_PERCENTILE)
    return min(float(np.sqrt(max(measured**2 - DENOISE_SIGMA_PX**2, 0.0))), largest_sigma_px)


def percentile(values: np.ndarray, percent: float) -> float:
    """``np.percentile(values, percent)`` (linear interpolation) of a 1-D array, by a partial
    sort of the two values it lies between: np.percentile's own overhead costs 25 times
    more on the few hundred edge pixels of a photo."""
    index = percent / 100.0 * (values.size - 1)
    low = int(index)
    high = min(low + 1, values.size - 1)
    parted = np.partition(values, [low, high])
    below, above = parted[low], parted[high]
    fraction = index - low
    # The same rounding as NumPy's: in the values' precision, from the nearer of the two.
    if fraction < 0.5:
        return float(below + (above - below) * fraction)
    return float(above - (above - below) * (1.0 - fraction))


def _rms(*parts: np.ndarray) -> np.ndarray:
    """Root mean square over the channels of ``(height, width)`` or ``(height, width,
    channels)`` arrays, summed over ``parts`` (the x and y components of a gradient)."""
    parts = tuple(np.atleast_3d(part) for part in parts)
    total = sum(squared_length(part) for part in parts)
    return np.sqrt(total / parts[0].shape[2])


#: Chroma spread (levels of Cr plus Cb) about the typical chroma of pixels of the same
#: brightness that 99 % of a monochrome photo's pixels stay within: JPEG's rounding moves
#: them by a level or two.
MONOCHROME_CHROMA_SPREAD = 3
#: A toning gives every brightness one tint of the same hue (sepia, cyanotype); where the
#: typical tints of brightness bands that each hold MIN_TONE_BAND_SHARE of the pixels differ
#: in hue by more than this, they are different materials in colour (a bare back that fills
#: the frame above dark purple shorts: 62 degrees between them), not a toned photo.
MAX_TONE_HUE_RANGE_DEG = 45.0
MIN_TONE_BAND_SHARE = 0.01
#: A toning tints grey gently: toned the way the classic sepia matrix tones, the real photos in
#: ../shared/data move their typical pixel 23 levels of chroma (|Cr - 128| + |Cb - 128|; at
#: most 40), toned more strongly (red x 1.2, blue x 0.7) 34 (at most 57). A frame filled with
#: evenly coloured skin, whose colour also follows from its brightness alone, reads 44-63 on
#: the close-up renders without clothing: a photo whose typical pixel lies further out than
#: this is in colour.
MAX_TONE_CHROMA = 50
#: The same limit whatever the exposure (:func:`_tint_strength`: chroma over brightness, at
#: mid-grey): a toning's chroma grows with the brightness as a shaded skin's does, so a dim
#: frame of skin (typical chroma 42 at a median brightness of 112 levels) fell under
#: MAX_TONE_CHROMA where a brighter render of the same scene did not. Toned close-up renders and
#: real photos read 5-39 (the classic sepia matrix at most 27, a grey x (1.07, 0.95, 0.8) 23, x
#: (1.2, 1.0, 0.7) 39), the two close-up renders in colour that had been taken for toned 47
#: and 48, colour close-ups 49 at the median.
MAX_TONE_STRENGTH = 43.0
#: Pixels darker than this (levels of luma) are left out of the tint's strength: in the
#: shadows JPEG's rounding is a large share of the chroma.
MIN_TINT_LUMA = 16
#: Pixels looked at to judge a photo's colours (every few of a large photo).
MONOCHROME_SAMPLE_PIXELS = 50_000
#: Spread of brightness (levels between the BLANK_PERCENTILES) below which an image is a
#: blank, not a black-and-white photo.
MONOCHROME_MIN_CONTRAST = 24
BLANK_PERCENTILES = (5, 95)
#: A photo whose pixels are all grey is black and white unless its brightness spreads less
#: than that between these percentiles: a person before a plain backdrop leaves 90 % of the
#: pixels within a few levels (two of the sample renders made grey spread 5 and 23 levels
#: between the 5th and 95th percentiles, 61 and 76 between these).
GREY_MIN_CONTRAST_PERCENTILES = (1, 99)
#: Brightness bands whose typical chroma is compared with.
MONOCHROME_LUMA_BANDS = 32
#: Chroma (levels of |Cr - 128| plus |Cb - 128|) from which a pixel counts as coloured: JPEG
#: noise in grey stays within a few levels; skin lies 10 to 40 levels out.
COLOURED_PIXEL_CHROMA = 6
#: A photo with fewer coloured pixels than this share is grey apart from overlays (a
#: photographer's logo, a coloured caption); the colour photos in ../shared/data have 11 %
#: or more, a black-and-white one with two red logos 3 %.
NEARLY_COLOURLESS_SHARE = 0.05


def _sampled_planes(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Y, Cr and Cb (uint8 planes) of every few pixels, about
    :data:`MONOCHROME_SAMPLE_PIXELS` of them."""
    step = max(1, int(np.ceil(np.sqrt(rgb.shape[0] * rgb.shape[1] / MONOCHROME_SAMPLE_PIXELS))))
    if step > 1:  # nearest neighbour at a whole step: every step-th pixel, no strided copy
        rgb = cv2.resize(rgb, None, fx=1.0 / step, fy=1.0 / step, interpolation=cv2.INTER_NEAREST)
    return tuple(cv2.split(cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)))


def is_nearly_colourless(rgb: np.ndarray) -> bool:
    """Whether fewer than :data:`NEARLY_COLOURLESS_SHARE` of a photo's pixels have any colour:
    a black-and-white photo with a coloured logo or caption, which :func:`is_monochrome` (no
    exceptions allowed) does not count. A colour photo of a small person in grey surroundings
    can be as colourless, so this is only asked when no one was found."""
    luma, red, blue = _sampled_planes(rgb)
    if _blank_between(luma, BLANK_PERCENTILES)[0]:
        return False
    return (
        float(np.mean(_chroma_levels(red, blue) > COLOURED_PIXEL_CHROMA)) < NEARLY_COLOURLESS_SHARE
    )


def _chroma_levels(red: np.ndarray, blue: np.ndarray) -> np.ndarray:
    """Each pixel's distance from grey, ``|Cr - 128| + |Cb - 128|`` (uint8 planes; the sum
    saturates at 255, far above the limits it is compared with)."""
    return cv2.add(cv2.absdiff(red, 128), cv2.absdiff(blue, 128))


def _blank_between(luma: np.ndarray, *percentiles: tuple[float, float]) -> list[bool]:
    """For each pair of ``percentiles``: whether the image is blank or nearly uniform between
    them (its brightness spreads less than :data:`MONOCHROME_MIN_CONTRAST` there), so that
    there is no photo to judge the colours of. One histogram serves them all."""
    levels = level_percentiles(luma.ravel(), [p for pair in percentiles for p in pair])
    spreads = np.subtract(levels[1::2], levels[::2])
    return [bool(spread < MONOCHROME_MIN_CONTRAST) for spread in spreads]


def is_monochrome(rgb: np.ndarray) -> bool:
    """Whether a photo's colour follows from its brightness alone: black and white, sepia or
    any other toning (each brightness maps to one tint). Bare skin cannot then be told from
    clothing by its colour."""
    luma, red, blue = _sampled_planes(rgb)
    blank_wide, blank = _blank_between(luma, GREY_MIN_CONTRAST_PERCENTILES, BLANK_PERCENTILES)
    if blank_wide:
        return False
    chroma = _chroma_levels(red, blue).ravel()
    typical_chroma, high_chroma = level_percentiles(chroma, (50, 99))
    if high_chroma <= MONOCHROME_CHROMA_SPREAD:
        return True  # grey throughout: black and white, whatever fills the frame
    # A toning, which gives each brightness its tint, cannot be told from a frame filled
    # mostly by one colour (a plain backdrop): those are taken as in colour.
    if blank or typical_chroma > MAX_TONE_CHROMA:
        return False
    band_of_level = np.arange(256) * MONOCHROME_LUMA_BANDS // 256
    band = band_of_level.astype(np.uint16)[luma]
    spread = np.zeros_like(luma)
    tints = []
    for plane in (red, blue):
        # Median chroma of each brightness band, from the band's histogram.
        counts = np.bincount((band * 256 + plane).ravel(), minlength=256 * MONOCHROME_LUMA_BANDS)
        cumulative = counts.reshape(MONOCHROME_LUMA_BANDS, 256).cumsum(axis=1)
        median = (cumulative < (cumulative[:, -1:] + 1) // 2).sum(axis=1)
        tints.append(median - 128)
        typical = median[band_of_level].astype(np.uint8)  # each brightness level's chroma
        # Saturating at 255 changes no answer: the limit is a few levels.
        spread = cv2.add(spread, cv2.absdiff(plane, cv2.LUT(luma, typical)))
    band_share = np.bincount(band.ravel(), minlength=MONOCHROME_LUMA_BANDS) / luma.size
    if _tint_hue_range_deg(np.array(tints).T, band_share) > MAX_TONE_HUE_RANGE_DEG:
        return False
    if level_percentiles(spread.ravel(), (99,))[0] > MONOCHROME_CHROMA_SPREAD:
        return False
    return _tint_strength(luma, chroma) <= MAX_TONE_STRENGTH


def _tint_strength(luma: np.ndarray, chroma: np.ndarray) -> float:
    """The typical coloured pixel's chroma (``chroma``, flat, as :func:`_chroma_levels` gives
    it) scaled to mid-grey brightness (128 levels of ``luma``): how strongly the photo is
    tinted, whatever its exposure."""
    luma = luma.ravel()
    coloured = (chroma > COLOURED_PIXEL_CHROMA) & (luma >= MIN_TINT_LUMA)
    if not coloured.any():
        return 0.0
    ratios = chroma[coloured].astype(np.float32) / luma[coloured].astype(np.float32)
    return 128.0 * float(np.median(ratios))


def _tint_hue_range_deg(tints: np.ndarray, band_share: np.ndarray) -> float:
    """The range of hues (degrees around grey in the Cr-Cb plane) over the brightness bands
    whose typical tint ``(bands, 2)`` is coloured and that hold at least
    :data:`MIN_TONE_BAND_SHARE` of the pixels; 0 with fewer than two such bands."""
    coloured = (np.abs(tints).sum(axis=1) >= COLOURED_PIXEL_CHROMA) & (
        band_share >= MIN_TONE_BAND_SHARE
    )
    hues = np.arctan2(tints[coloured, 1], tints[coloured, 0])
    if hues.size < 2:
        return 0.0
    apart = np.abs(np.angle(np.exp(1j * (hues[:, None] - hues[None, :]))))
    return float(np.degrees(apart.max()))
