"""Fallback stage: find a bare back without a pose (lower-back close-ups, headless torsos).

MediaPipe's pose detector anchors on the face, so photos without a head get no pose, or (cut
at the shoulders and the thighs) a skeleton on the upper back. Here the back itself is found
instead, on the assumption people make such photos upright or nearly so:

1. skin: the largest skin-coloured component of the photo (YCrCb rule), at most 512 px wide,
   with bands across the back (a bra, straps) bridged so that they do not split it; where it
   runs into a side of the photo, the colours that fill the photo's side edges (unless they
   are the skin colour of its middle) are left out as background (a beige wall); for a
   headless torso whose skeleton the pose model misplaced, the skin on the person's
   segmentation mask is taken where the skin alone fits no torso;
2. the skin must form one solid shape (not, say, beige pavement around a crowd);
3. the torso in each row: the skin run through the component's median column, which leaves
   out arms that hang apart from the body;
4. tilt (a close-up taken with the phone askew): the turn, up to 20 degrees, that makes the
   torso's outline most nearly mirror-symmetric; midline: the median centre of the runs,
   along that tilt; scale: the median run width (across the tilt) over the torso's
   lowest rows (the waist, not the shoulders) is the width of the back, about 1.6 hip widths
   (waist about 30 cm, MediaPipe's hip landmarks about 19 cm apart); when the back is wider
   than the photo the photo's width is used, a lower bound;
5. the searched region spans the whole torso height, since the hip line is unknown; the
   pair is expected a little above the bottom of the bare skin (a waistband, the buttocks'
   crease);
6. where the bare skin runs off the photo's bottom edge (a nude back, or briefs the colour of
   skin), that bottom is no landmark: the top of the gluteal cleft, a narrow valley in the
   shading at the midline rising from the bottom, takes its place.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from detector.histograms import histogram_percentiles, masked_medians
from detector.pose import BodyFrame
from detector.resample import area_resized
from detector.shading import (
    CLIP_LEVEL,
    RegionCrop,
    RegionExtent,
    log_luminance,
    robust_spread,
    skin_pixels,
)

#: Width of the mask analysis image, in pixels.
ANALYSIS_WIDTH = 512
#: The torso must cover at least this fraction of the photo.
MIN_SKIN_FRACTION = 0.12
#: Hip width (MediaPipe landmark distance) over the width of the lower back.
HIP_WIDTH_PER_BACK_WIDTH = 0.62
#: A torso is one solid shape: its bare skin is at least this share of the convex hull of its
#: component (0.69 or more on the close-up renders, 0.81 or more on the real bare backs, 0.52
#: for a recompressed bodybuilder with raised arms; skin-coloured pavement around crowds
#: 0.31-0.50).
MIN_SOLIDITY = 0.5
#: ... and bridging bands must not make it: at least this share of the bridged component is
#: skin already (0.92 or more on 98 % of the renders cut at the shoulders and thighs, 0.96 on
#: the close-ups, 0.88 for a recompressed stage photo; scattered skin-coloured speckle, which
#: the bridging joins up, 0.70-0.80).
MIN_BRIDGED_SKIN = 0.85
#: Bands across the back (bra, straps) up to this fraction of the photo's height are bridged.
BAND_BRIDGE = 0.1
#: The back's width is measured over the torso's lowest rows, up to this many back widths
#: above its bottom.
WAIST_ROWS = 1.0
#: Background colours: chromaticities (YCrCb, in bins of CHROMA_BIN levels) that cover at
#: least MIN_BACKGROUND_SHARE of the photo's outer EDGE_COLUMNS on the left and right, and lie
#: more than SKIN_CHROMA_RADIUS from the skin in the middle third of the photo.
CHROMA_BIN = 4
EDGE_COLUMNS = 0.02
MIN_BACKGROUND_SHARE = 0.01
SKIN_CHROMA_RADIUS = 12.0
#: Background colours are left out only where they take at least this share of the skin mask
#: (a wall merged with the back); a few pixels of the back's own edge in a close-up are not.
MIN_BACKGROUND_SKIN = 0.05
#: ... but not where they would take more than MAX_BACKGROUND_AT_MIDDLE of the skin in the
#: photo's middle MIDDLE_COLUMNS, where the back is: then they are the back's own. A pale back
#: filling a close-up under soft, bright light clips red over most of its middle, so the
#: skin's reference colour comes from a few odd unclipped pixels, and the flanks' colour,
#: which fills the photo's sides, is then taken for a background's: 59-99 % of the middle's
#: skin went with it on 7 of 264 close-up renders (benchmark, without clothing, soft light,
#: flash, clean, plain backgrounds), leaving a fragment of the back, or none. A wall merged
#: with a headless torso took at most 13 % there (181 torsos cut from the benchmark's whole
#: bodies); one real photo's (a covered back, judged by the pose) 55 %.
MIDDLE_COLUMNS = 0.1
MAX_BACKGROUND_AT_MIDDLE = 0.5
#: The longest region searched, in hip widths.
MAX_REGION_HEIGHT = 3.0
#: A photo held askew tilts the back: the tilt is searched up to MAX_TILT_DEG in steps of
#: TILT_COARSE_STEP_DEG, then of a degree, on the torso's outline reduced to TILT_MASK_WIDTH
#: columns, and counts from MIN_TILT_DEG.
MAX_TILT_DEG = 20.0
TILT_COARSE_STEP_DEG = 4.0
TILT_MASK_WIDTH = 64
MIN_TILT_DEG = 2.0
#: The gluteal cleft, in hip widths and in units of the valley measure's noise: the shading at
#: the midline is compared with CLEFT_WALL_OFFSET to either side, within CLEFT_HALF_BAND of
#: the midline, averaged over CLEFT_SMOOTHING of height. A cleft starts within
#: CLEFT_BOTTOM_BAND of the bottom at CLEFT_MIN_START or more and reaches up as long as the
#: valley keeps CLEFT_END_SHARE of its peak and CLEFT_MIN_LEVEL; it is at least
#: MIN_CLEFT_LENGTH long. On the 50 of 56 close-up renders without clothing where it found one
#: (``scripts/render.py --nude``, seed 11), its top lay 0.23 hip widths below the dimples
#: (median; 5th-95th percentile 0.12-0.50); the spine's groove does not reach the photo's
#: bottom edge (the lumbar hollow ends above the sacrum).
CLEFT_WALL_OFFSET = 0.07
CLEFT_HALF_BAND = 0.12
CLEFT_SMOOTHING = 0.08
CLEFT_BOTTOM_BAND = 0.35
CLEFT_MIN_START = 8.0
CLEFT_END_SHARE = 0.25
CLEFT_MIN_LEVEL = 6.0
MIN_CLEFT_LENGTH = 0.1


@dataclass(frozen=True)
class BackEstimate:
    """A back found without pose: its frame (hip line at the bottom of the torso), the extent
    of the region to search, and whether its bare skin runs off the photo's bottom edge."""

    frame: BodyFrame
    extent: RegionExtent
    open_bottom: bool

    @property
    def width(self) -> float:
        """The width of the back at the waist, in pixels (at most the photo's width)."""
        return self.frame.hip_width / HIP_WIDTH_PER_BACK_WIDTH


def find_back(
    rgb: np.ndarray, upright: bool = False, person_mask: np.ndarray | None = None
) -> BackEstimate | None:
    """Estimate the midline and scale of a bare back, and its tilt unless ``upright``; None
    when there is none. A torso from the shoulders to the thighs is best taken as upright:
    arms join its outline at the shoulders, and on the renders so cut a searched tilt moved
    more pairs away from the dimples than onto them (AUC 0.778 -> 0.774, accuracy 0.729 ->
    0.708), while close-ups turned by 10 degrees gained (0.919 -> 0.941, 0.84 -> 0.90).

    With a ``person_mask`` (the pose model's segmentation, any size, person where above 0.5)
    only skin on the person counts: a background of skin colour then cannot merge with it."""
    width = rgb.shape[1]
    scale = min(1.0, ANALYSIS_WIDTH / width)
    small = rgb
    if scale < 1.0:
        small = area_resized(rgb, (ANALYSIS_WIDTH, max(1, round(rgb.shape[0] * scale))))
    skin = skin_pixels(small)
    if person_mask is not None:
        mask = person_mask.astype(np.float32, copy=False)
        on_person = cv2.resize(mask, small.shape[1::-1]) > 0.5
        skin &= on_person
    torso = _torso(skin)
    if torso is not None and _meets_a_side(*torso[1:], width=skin.shape[1]):
        # Skin up to the photo's edge: a back that fills the frame, or a skin-coloured
        # background merged with it; then the background's colours are left out.
        background = skin & _background_coloured(small, skin)
        if background.sum() > MIN_BACKGROUND_SKIN * skin.sum() and not _fills_the_middle(
            background, skin
        ):
            # Unless that leaves no torso: then those colours were the back's own.
            torso = _torso(skin & ~background) or torso
    if torso is None:
        return None
    rows, left, right = torso
    tilt = 0.0 if upright else np.radians(_tilt_deg(rows, left, right, skin.shape))
    cos, sin = float(np.cos(tilt)), float(np.sin(tilt))
    bottom_row = rows.max() + 1
    # The midline where it meets the bottom of the torso: the median centre of the rows,
    # moved along the tilt from the median row.
    centre = np.median((left + right) / 2.0) - sin / cos * (bottom_row - np.median(rows))
    midline_x = float(centre) / scale
    # Rows cross a tilted torso obliquely.
    widths = (right - left + 1).astype(np.float64) * cos
    # The waist, not the shoulders: the rows of the lower part of the torso.
    waist = widths[rows >= rows.max() - WAIST_ROWS * np.median(widths)]
    back_width = float(np.median(waist)) / scale
    hip_width = HIP_WIDTH_PER_BACK_WIDTH * min(back_width, width)
    if hip_width < 1.0:
        return None
    top, bottom = float(rows.min()) / scale, float(bottom_row) / scale
    frame = BodyFrame(
        origin=np.array([midline_x, bottom]),
        up=np.array([sin, -cos]),
        left=np.array([-cos, -sin]),  # a back view: the person's left is on the image's left
        hip_width=hip_width,
    )
    above = min((bottom - top) * cos / hip_width, MAX_REGION_HEIGHT)
    return BackEstimate(
        frame=frame,
        extent=RegionExtent(below=0.0, above=above),
        open_bottom=bool(rows.max() == skin.shape[0] - 1),
    )


def gluteal_cleft_top(crop: RegionCrop) -> float | None:
    """Height (hip widths above the region's base line) of the top of the gluteal cleft in a
    fallback region whose bare skin runs off the photo's bottom, or None where no cleft rises
    from the bottom.

    The cleft is a narrow, deep valley at the midline: the log luminance there is darker than
    at CLEFT_WALL_OFFSET to either side, whatever the light (its walls face each other).
    """
    offset = max(2, round(CLEFT_WALL_OFFSET * crop.scale))
    shading = cv2.GaussianBlur(log_luminance(crop.grey), (0, 0), 1.0)
    sides = 0.5 * (shading[:, : -2 * offset] + shading[:, 2 * offset :])
    valley = np.zeros_like(shading)
    valley[:, offset:-offset] = sides - shading[:, offset:-offset]
    # Measured where both sides are bare skin; the cleft itself may be too dark to pass for skin.
    usable = crop.usable
    measured = np.zeros_like(usable)
    measured[:, offset:-offset] = (
        crop.valid[:, offset:-offset] & usable[:, : -2 * offset] & usable[:, 2 * offset :]
    )
    if measured.sum() < 16:
        return None
    noise = float(robust_spread(valley[measured]))
    smoothing = max(1, round(CLEFT_SMOOTHING * crop.scale)) | 1
    valley = cv2.blur(np.where(measured, valley, 0.0).astype(np.float32), (1, smoothing))
    lateral, height = crop.body_grid[..., 0], crop.body_grid[:, 0, 1]
    near_midline = np.abs(lateral) <= CLEFT_HALF_BAND
    # Per row from the bottom up: the deepest valley near the midline, in noise units.
    level = np.where(near_midline, valley, -np.inf).max(axis=1)[::-1] / noise
    height = height[::-1]
    bottom = np.nonzero(height <= height[0] + CLEFT_BOTTOM_BAND)[0]
    start = int(bottom[np.argmax(level[bottom])])
    if level[start] < CLEFT_MIN_START:
        return None
    floor = max(CLEFT_MIN_LEVEL, CLEFT_END_SHARE * level[start])
    below_floor = np.nonzero(level[start:] < floor)[0]
    top = start + (int(below_floor[0]) - 1 if below_floor.size else level.size - 1 - start)
    if height[top] - height[0] < MIN_CLEFT_LENGTH:
        return None
    return float(height[top])


def _torso(skin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The torso in a skin mask: its rows and, in each, the first and last column of its skin
    run through the torso's median column; None when the skin forms no torso."""
    # A bra band or strap across the back splits its skin in two: bridge such bands.
    bridge = max(1, round(BAND_BRIDGE * skin.shape[0])) | 1
    bridged = cv2.morphologyEx(skin.astype(np.uint8), cv2.MORPH_CLOSE, np.ones((bridge, 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(bridged, connectivity=8)
    if count < 2:
        return None
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    body = labels == largest
    bare = float((body & skin).sum())  # the bridged bands are not skin
    if bare < MIN_SKIN_FRACTION * skin.size or bare < MIN_BRIDGED_SKIN * body.sum():
        return None
    if bare / _hull_area(body) < MIN_SOLIDITY:
        return None
    column = int(histogram_percentiles(body.sum(axis=0), (50,))[0])  # the median column
    rows = np.nonzero(body[:, column])[0]
    if rows.size < 0.2 * body.shape[0]:
        return None
    return rows, *_runs_around(body[rows], column)


def _tilt_deg(
    rows: np.ndarray, left: np.ndarray, right: np.ndarray, shape: tuple[int, ...]
) -> float:
    """How far the torso leans (degrees, the image's y axis pointing down; 0 below
    :data:`MIN_TILT_DEG`): the turn that makes its outline most nearly mirror-symmetric. The
    outline, reduced to :data:`TILT_MASK_WIDTH` columns, is turned by angles up to
    :data:`MAX_TILT_DEG`, in steps of :data:`TILT_COARSE_STEP_DEG`, then of a degree; its
    symmetry is how much its rows' runs overlap their mirror images about the best vertical
    axis (an arm touching one side of the body costs a little at any angle).

    A back that fills the frame shows little of its outline but its bottom edge; requiring
    its sides in view (both ends of 30 % of its rows inside the photo) turned fewer close-ups
    right (AUC of close-ups turned by 10 degrees 0.941 -> 0.932), and a waistband's edge,
    often curved, gave the tilt no better."""
    columns = np.arange(shape[1])
    runs = ((columns >= left[:, None]) & (columns <= right[:, None])).astype(np.float32)
    torso = np.zeros(shape[:2], np.float32)
    torso[rows] = runs
    factor = TILT_MASK_WIDTH / shape[1]
    small = area_resized(torso, (TILT_MASK_WIDTH, max(1, round(shape[0] * factor))))
    side = int(np.ceil(np.hypot(*small.shape))) + 2  # room to turn it without cutting it
    canvas = np.zeros((side, side), np.float32)
    row0, col0 = (side - small.shape[0]) // 2, (side - small.shape[1]) // 2
    canvas[row0 : row0 + small.shape[0], col0 : col0 + small.shape[1]] = small
    axes = np.arange(0.0, side, 0.5)

    def symmetry(angle: float) -> float:
        turn = cv2.getRotationMatrix2D((side / 2, side / 2), angle, 1.0)
        turned = cv2.warpAffine(canvas, turn, (side, side), flags=cv2.INTER_LINEAR) > 0.5
        turned = turned[turned.any(axis=1)]
        first = turned.argmax(axis=1)
        last = side - 1 - turned[:, ::-1].argmax(axis=1)
        # A row's run [first, last] overlaps its mirror image about the axis x = a by its
        # width less twice the axis's distance from its centre.
        centre, width = (first + last) / 2.0, (last - first + 1).astype(np.float64)
        overlap = width[:, None] - 2.0 * np.abs(axes[None, :] - centre[:, None])
        return float(np.maximum(overlap, 0.0).sum(axis=0).max())

    # Coarse steps, then single degrees around the best.
    coarse = np.arange(-MAX_TILT_DEG, MAX_TILT_DEG + 1e-9, TILT_COARSE_STEP_DEG)
    best = float(coarse[int(np.argmax([symmetry(a) for a in coarse]))])
    fine = best + np.arange(1 - TILT_COARSE_STEP_DEG, TILT_COARSE_STEP_DEG)
    fine = fine[np.abs(fine) <= MAX_TILT_DEG]
    tilt = float(fine[int(np.argmax([symmetry(a) for a in fine]))])
    return tilt if abs(tilt) >= MIN_TILT_DEG else 0.0


def _meets_a_side(left: np.ndarray, right: np.ndarray, width: int) -> bool:
    """Whether most of the torso's rows run into the photo's left or right edge."""
    return float(np.mean((left == 0) | (right == width - 1))) > 0.5


def _fills_the_middle(background: np.ndarray, skin: np.ndarray) -> bool:
    """Whether pixels coloured like the background take more than
    :data:`MAX_BACKGROUND_AT_MIDDLE` of the skin in the photo's middle columns
    (:data:`MIDDLE_COLUMNS`), where the back is: then they are the back's own colour."""
    width = skin.shape[1]
    half = max(1, round(MIDDLE_COLUMNS * width / 2))
    middle = np.s_[:, width // 2 - half : width // 2 + half]
    return float(background[middle].sum()) > MAX_BACKGROUND_AT_MIDDLE * float(skin[middle].sum())


def _background_coloured(rgb: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Pixels coloured like the photo's background: of the chromaticities that fill the
    photo's left and right edges (a beige wall passes the generic skin rule), those that are
    not the colour of the skin in the middle of the photo (a back that fills the frame)."""
    side = 256 // CHROMA_BIN
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    width = rgb.shape[1]
    edge = max(1, round(EDGE_COLUMNS * width))
    edges = np.concatenate([ycrcb[:, :edge], ycrcb[:, -edge:]], axis=1)
    chroma_histogram = ([1, 2], None, [side, side], [0, 256, 0, 256])
    at_edges = cv2.calcHist([edges], *chroma_histogram)
    background = at_edges >= MIN_BACKGROUND_SHARE * edges.shape[0] * edges.shape[1]
    middle = np.s_[:, width // 3 : width - width // 3]
    # The skin's colour is read where red did not clip (clipping pales it: an overexposed
    # back's middle would not match its own flanks).
    in_middle = (skin[middle] & (rgb[middle][..., 0] < CLIP_LEVEL)).astype(np.uint8)
    if not in_middle.any():
        return np.zeros_like(skin)
    reference = masked_medians(ycrcb[middle], in_middle, (1, 2))  # the skin's median Cr, Cb
    centres = (np.indices((side, side)).transpose(1, 2, 0) + 0.5) * CHROMA_BIN
    background &= np.hypot(*(centres - reference).transpose(2, 0, 1)) > SKIN_CHROMA_RADIUS
    # Neighbouring bins too: the background's colour varies a little (light, noise, JPEG).
    near = cv2.dilate(background.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(np.float32)
    return cv2.calcBackProject([ycrcb], [1, 2], near, chroma_histogram[3], scale=1) > 0


def _hull_area(mask: np.ndarray) -> float:
    """Area of the convex hull of a region (at least 1)."""
    outline = cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE
    contours, _ = cv2.findContours(mask.astype(np.uint8), *outline)
    return max(cv2.contourArea(cv2.convexHull(np.vstack(contours))), 1.0)


def _runs_around(mask: np.ndarray, column: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last index, in each row of ``mask``, of the run of True values that holds
    ``column`` (True there in every row)."""
    padded = np.pad(mask, ((0, 0), (1, 1)))  # False beyond both ends: every run stops there
    at = column + 1
    # Distances from the column to the nearest False on either side.
    to_left = (~padded[:, at::-1]).argmax(axis=1)
    to_right = (~padded[:, at:]).argmax(axis=1)
    return column - to_left + 1, column + to_right - 1
