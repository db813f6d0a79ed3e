"""Shading and curvature stage: read indentations from the shading of the lower back.

The region over the sacroiliac joints is resampled (area-averaged) into an upright crop whose
scale is tied to the body (:data:`PIXELS_PER_HIP_WIDTH`), so dimples of 10-20 mm always span
the same few filter scales. In that crop:

1. bare skin is found by colour, referenced to the back above the dimples (skin-toned
   clothing is left out); only its shading is read, and not where its chromaticity changes
   more than light can change it (tattoo ink, moles: :func:`skin_marks`); over thin, long dark
   lines (a tattoo's strokes, whose colour JPEG blurs away: :func:`ink_lines`) it is filled
   in from the skin around them;
2. illumination is normalised: log luminance (albedo and light intensity become additive),
   less a tan line's step (:func:`tan_line_removed`), minus its large-scale trend over skin
   (body curvature, uneven light), leaving relative shading;
3. a Gaussian indentation shaded by Lambert's law under a light ``L`` has the relative shading
   ``(n_x L_x + n_y L_y) / L_z + (n_z - 1)``: darker on the wall facing away from the light,
   a faint ring under frontal light. It is linear in three basis images, so three
   correlations per scale give the normalised cross-correlation (shape match) and the
   least-squares amplitude (contrast, hence depth) under each of :data:`LIGHT_HYPOTHESES`;
4. candidates are local maxima of that match whose whole template lies on skin (so the spine
   groove's and clothing's edges do not count), with the amplitude's signal-to-noise ratio
   against the same map over the rest of the back, and their isolation: a closed pit's match
   falls off to every side, a band's or a groove's does not along it;
5. hard-edged cast shadows (blinds, leaves) make edges that pass for pits: a region they
   stripe or dapple is not judged (:func:`under_hard_shadows`), unless one shadow covers part
   of it, and then only the lit skin beside it is (:func:`lit_beside_a_cast_shadow`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import NamedTuple

import cv2
import numpy as np

from detector import anatomy
from detector.histograms import masked_medians
from detector.pose import BodyFrame
from detector.resample import shrunk

#: Resolution of the canonical crop: pixels per hip width (1.8 mm per pixel, so the smallest
#: template sigma, 7 mm, spans 3.8 pixels; pose crops are about 120 x 105 px). On the
#: full-body renders 80, 96, 112 and 128 gave a >= 3 mm AUC of 0.978, 0.984, 0.983 and 0.982
#: (with a 5 mm scale as well); the cost grows with the pixel count. Retried at 80 with the
#: present stages: full-body AUC 0.942 -> 0.938, accuracy 0.91 -> 0.89 (held out 0.953 ->
#: 0.947, 0.89 -> 0.88).
PIXELS_PER_HIP_WIDTH = 96.0

#: Dimple profile scales searched (Gaussian sigma, mm): a half-depth radius of 10-20 mm is
#: 1.18 sigma, so sigma runs from about 8 to 17 mm. A 5 mm scale (6 mm radius, below that
#: range) matched skin texture more than dimples: without it the one real photo with a false
#: (subtle) claim scores 0.39 instead of 0.85, the full-body renders' AUC goes from 0.912 to
#: 0.916 (held out 0.932 to 0.934) and the shading stage costs a quarter less; the median
#: localisation error grows from 5.4 % to 6.0 % of the inter-dimple distance. Scales of 6,
#: 8.5, 12 and 17 mm did worse (AUC 0.935 -> 0.916 on the full-body renders' pose path).
SIGMAS_MM = (7.0, 10.0, 14.0)

#: Large-scale shading trend removed before looking for dimples (Gaussian sigma, mm).
TREND_SIGMA_MM = 30.0
#: A wide blur is computed on a grid coarser by the whole factor ``sigma`` / this
#: (:func:`wide_blur`): the pose crops' trend (sigma 16.5 pixels) at half resolution.
WIDE_BLUR_PIXELS_PER_STEP = 6.0

#: A candidate must match the shading of an indentation with at least this normalised
#: cross-correlation, and stand this many noise levels above the skin's texture.
MIN_CANDIDATE_NCC = 0.3
MIN_CANDIDATE_SNR = 1.0

#: Hard-edged cast shadows striping the region (:func:`striped_by_shadows`). Key light through
#: window blinds (``scripts/render.py --variant blinds``) took the full-body AUC from 0.976 to
#: 0.506 and the close-ups' from 1.000 to 0.396 on 48 scenes: the shadows' edges, steps of a
#: whole log unit, pass for pits. There the shading's gradient at 4 mm reached 0.009-0.027 log
#: units per mm (root mean square, 10th percentile up) and ran one way (coherence over 15 mm at
#: least 0.81); on the benchmark's 272 back views 0.004 at the 90th percentile (0.011 at most)
#: and 0.72 (0.90 at most); on the real photos judged, 0.012 and 0.66 at most. Both limits
#: together flagged 44 of those 47 renders, one of the benchmark's (a close-up without dimples
#: under raking light), one of 48 with long hair down the back (its edge) and none of 13 other
#: sets of 48 or of the real photos.
SHADOW_STRIPE_SMOOTHING_MM = 4.0
SHADOW_STRIPE_WINDOW_MM = 15.0
SHADOW_STRIPE_INLAND_MM = 12.0
#: Fewest inland skin pixels either check judges (fewer: no check).
MIN_SHADOW_CHECK_PIXELS = 200
MIN_SHADOW_STRIPE_GRADIENT = 0.008
MIN_SHADOW_STRIPE_COHERENCE = 0.8
#: Patches of hard-edged shadow (:func:`dappled_by_shadows`), whose edges run every way: key
#: light through leaves (``render.py --variant leaves``) left 29 of 48 renders judged, at
#: chance (full body 0.644). Split in two at Otsu's threshold, their smoothed shading was
#: bimodal (a median 0.80 of its variance between the two levels) with levels 0.07-0.36 log
#: units apart; on the benchmark, held-out, long-hair, tattoo, without-clothing and clean
#: renders at most 0.79 and 0.21 (never both above the limits), on the real photos judged 0.63
#: and 0.16 at most.
SHADOW_PATCH_BINS = 128
MIN_SHADOW_PATCH_SPLIT = 0.8
MIN_SHADOW_PATCH_STEP = 0.2
#: One cast shadow over part of the region (:func:`lit_beside_a_cast_shadow`), the rest of
#: which is judged where the checks above refuse the region. Its step in log luminance (the
#: trend not taken out): a shadow keeps the ambient and fill light only, ln(key / ambient)
#: from about 1 to 2.3 under the renders' lights, so 0.3 is loose. The shadow is one patch
#: (MIN_CAST_SHADOW_SHARE of the shaded pixels in one component; the bands of blinds and the
#: dapples of leaves are many), widened by CAST_SHADOW_RIM_MM for its soft edge and the
#: smoothing, and MIN_LIT_SKIN of the skin is left to judge. On the `grazing` renders (seeds 71,
#: 72) the close-ups so judged gained 0.077 and 0.067 of AUC; blinds, leaves, long hair and
#: every other set kept their answers (scripts/MEASUREMENTS.md).
MIN_CAST_SHADOW_STEP = 0.3
MIN_CAST_SHADOW_SHARE = 0.9
CAST_SHADOW_RIM_MM = 6.0
MIN_LIT_SKIN = 0.3

#: Most skin pixels the texture noise (a median) is estimated on.
NOISE_SAMPLES = 1024

#: Skin colour reference: the region's rows it is read from (where they start and end, as
#: fractions of its height: the top quarter), the chroma distance (YCrCb units) a pixel may
#: have from it (a brighter pixel: from its chroma shaded to the pixel's luma), and the fewest
#: reference pixels that make a reference. Where that colour leaves out more than
#: MIN_BAND_SKIN_KEPT of the skin-coloured pixels of a band that must be bare, the band
#: becomes the reference (:func:`extract_region`).
SKIN_REFERENCE_ROWS = (0.0, 0.25)
SKIN_CHROMA_TOLERANCE = 12.0
MIN_REFERENCE_PIXELS = 200
MIN_BAND_SKIN_KEPT = 0.5
#: A highlight keeps at least this share of the skin's chroma offset from grey: on renders
#: with glossy skin (``render.py --variant glossy``) lit lower backs were taken for cloth
#: without it (glossy full-body AUC 0.870 -> 0.913; benchmark 0.939 -> 0.943); a share of
#: 0.35 let paler colours pass and did worse on the benchmark (0.938) and wide dimples.
HIGHLIGHT_MIN_CHROMA = 0.5
#: Overexposed skin: red, its brightest channel, clips first (at this level), then green, and
#: what is left of its colour is a pale yellow (255, 255, 240) that no skin rule accepts. Such a
#: pixel still counts as skin when it keeps at least CLIPPED_MIN_CHROMA of the reference's
#: chroma offset from grey, along it (a white or grey garment keeps none). Its shading, in the
#: channels not yet clipped, still shows the dimples.
CLIP_LEVEL = 250
CLIPPED_MIN_CHROMA = 0.1
#: A colour channel that clips on more than this share of a crop's skin is left out of its
#: luminance (:func:`unclipped_luminance`); a few clipped pixels (a specular glint) are not.
#: Full-body AUC (benchmark, held out, glossy renders, benchmark with light x 1.5): 0.944,
#: 0.955, 0.909, 0.909; at 0.2, 0.949, 0.953, 0.878, 0.912; with the channel left out only
#: where it clips (scaled to the usual luminance over the rest: a step wherever a highlight's
#: colour differs from the skin's), 0.948, 0.953, 0.870, 0.912; never left out, 0.942, 0.953,
#: 0.901 and 0.898.
MAX_CLIPPED_SKIN_SHARE = 0.01
#: Rec. 601 luma weights of R, G and B (OpenCV's RGB to grey).
LUMA_WEIGHTS = np.array([0.299, 0.587, 0.114])
#: A garment's edge: a change of log luminance over two crop pixels beyond what shading makes
#: (a dimple's wall changes it by about 0.03 per pixel), across this share of a row's skin,
#: within this many rows, in this lowest share of the region's rows.
GARMENT_EDGE_STEP = 0.24
GARMENT_EDGE_SHARE = 0.5
GARMENT_EDGE_BAND = 5
GARMENT_EDGE_ROWS = 0.45

#: A tan line: the skin that briefs covered in the sun, lighter below a soft, level edge
#: across the back (a step in albedo, not shading). It is found where, from
#: TAN_LINE_HALF_WIDTH_MM above a row in the lowest TAN_LINE_ROWS of the region (below the
#: dimples: briefs end lower) to as far below, the log luminance rises in at least
#: MIN_TAN_LINE_AGREEMENT of the skin's columns (at least MIN_TAN_LINE_COLUMNS of them), by
#: MIN_TAN_LINE_STEP or more at their median, and by TAN_LINE_WIDENING times as much read twice
#: as far apart (a step between two levels: not the body's own shading, which changes more the
#: further apart it is read, nor a dark stroke of a tattoo across the back, less); the step is
#: then taken out along the edge's measured profile. On renders with tan lines 1-7 cm below
#: the dimples (scripts/render.py --variant tan_lines, seed 61) the AUC went from 0.929 to
#: 0.989 (whole bodies) and from 0.782 to 0.872 (close-ups); on 64 rendered afterwards (seed
#: 63) from 0.899 to 0.935 and from 0.833 to 0.872. The same scenes without tan lines, the
#: benchmark, the held-out set, the close-ups without clothing, two sets with tattoos and the
#: real photos read the same (3 of those 694 renders' scores moved); scripts/MEASUREMENTS.md
#: has the versions tried.
TAN_LINE_HALF_WIDTH_MM = 6.0
MIN_TAN_LINE_STEP = 0.07
MIN_TAN_LINE_COLUMNS = 0.4
MIN_TAN_LINE_AGREEMENT = 0.75
TAN_LINE_WIDENING = (0.6, 1.4)
TAN_LINE_ROWS = 0.5

#: How far (in template sigmas) the match is compared, sideways and up and down, to tell a
#: closed pit from a band that matches the template all along it (the shading where the lower
#: back turns into the buttocks, a waistband's shadow, a groove between muscles).
ISOLATION_SHIFT = 2.0
#: Skin around a candidate, in template sigmas: its whole template must lie on skin to its
#: sides and above it; the matches beside it that judge its isolation, and the candidate
#: below it (a waistband just below the dimples, as low-rise trousers sit, may cover their
#: lower walls), need only the template's core, where a pit's walls are. Requiring the whole
#: template beside a candidate too left a band near the crop's side or a waistband with no
#: neighbours to be judged by, and it passed for a pit (on the full-body renders AUC 0.905 ->
#: 0.912; held out 0.923 -> 0.932).
CANDIDATE_INLAND_SIGMAS = 2.5
#: ... where clothing covers at least this share of a crop's row.
WAISTBAND_ROW_SHARE = 0.5
NEIGHBOUR_INLAND_SIGMAS = 1.5
#: What is left of a closed pit's own match that far away: a Gaussian template's correlation
#: with itself falls as exp(-shift^2 / 4 sigma^2). A match that falls off this fast counts as
#: fully isolated, so no hypothesis gains by being more isolated than a pit can be.
PIT_MATCH_LEFT = float(np.exp(-(ISOLATION_SHIFT**2) / 4.0))

#: How far (red and green shares of R + G + B) light moves the colour of skin per unit of
#: relative log shading: a warm key light against neutral ambient about 0.02, a window against
#: a tungsten lamp up to about 0.1. Blue-black ink over light skin moves it about 0.09 per unit
#: (0.06 at 75 % cover, which darkens it by 0.7).
TINT_CHROMA_PER_SHADING = 0.05
#: Chromaticity noise of plain skin (JPEG's coarse chroma), plus the pixel noise (grey levels,
#: summed over R, G and B) that moves a dark pixel's shares more.
CHROMA_NOISE_FLOOR = 0.02
CHROMA_NOISE_LEVELS = 9.0
#: Ink lines: skin darker than the skin around it, within FINE_LINE_WIDTH_MM, by more than
#: FINE_LINE_DARKENING in log luminance (or FINE_LINE_NOISE times that measure's mean over the
#: region where the photo is noisier: in 1 % of crops), in connected lines at least
#: FINE_LINE_LENGTH_MM long. A tattoo's strokes are that thin and long, and JPEG's coarse
#: chroma blurs their colour into the skin's, so the colour test misses them; no dimple shades
#: that narrowly (the measure keeps a tenth to a third of a steep pit's darkest shading under
#: a directional light, over less than 2 cm), and pores, hairs, moles and the letters of a
#: watermark are shorter. Their shading is filled in from the skin around them (a Gaussian of
#: FINE_LINE_FILL_MM over unmarked skin): left at 0, as other marks are, the strokes' outlines
#: cut the shading into shapes that pass for pits. On renders with a symmetric tattoo across
#: the lower back (``scripts/render.py --variant tattoo``, seeds 29 and 30) backs without
#: dimples claimed went from 10 and 7 of 17 to 7 and 1, the AUC from 0.706 and 0.797 to 0.727
#: and 0.850; the benchmark, the held-out set, the other variants and the real photos read the
#: same (a watermarked real back 0.17 -> 0.20; with lines of 15 mm counted, 0.69). A skin
#: fold's crease at the waist is such a line too, in shading alone, and fainter: at 0.06
#: rather than 0.08, faint creases and strokes are taken in, whose ends passed for pits
#: (``render.py --variant skin_folds``, seed 195: whole bodies AUC 0.911 -> 0.929, close-ups
#: 0.906 -> 0.971, 3 fewer false claims; seed 196 one fewer, one more; tattoos held out, seed
#: 171: whole bodies 0.742 -> 0.857, 9 answers right and 1 wrong that were not; seed 170,
#: which the rules above were made on: 0.832 -> 0.815, 3 right, 4 wrong); no other answer
#: changed on the benchmark, the held-out set, the 960 fresh whole bodies, the real photos
#: (also recompressed and noisy) and 23 other variant sets but for one more tan-line
#: close-up right.
FINE_LINE_WIDTH_MM = 8.0
FINE_LINE_DARKENING = 0.06
FINE_LINE_NOISE = 4.0
FINE_LINE_LENGTH_MM = 40.0
FINE_LINE_FILL_MM = 8.0
#: Where strokes cross or swell they are wider than FINE_LINE_WIDTH_MM, and the thin-line
#: measure leaves their middle out, a dark blob at the line that passes for a pit: skin as
#: dark under a disc INK_SPREAD times as wide, in one piece with a line, is ink too. The lines
#: are found before the skin-coloured garment's edge (:func:`above_garment_edge`), whose test
#: they are left out of: a bold stroke across the lower back is a step in brightness at each
#: of its edges, and taken for a garment's it cut off the skin below it. On 96 renders with a
#: tattoo (``scripts/render.py --variant tattoo --seed 170``) the AUC went from 0.787 to 0.832
#: (whole bodies) and from 0.667 to 0.938 (close-ups); on 96 held out (``--seed 171``) from
#: 0.745 to 0.742 and from 0.658 to 0.811; scripts/MEASUREMENTS.md has the rest. Such a piece
#: is at most INK_MAX_GROWTH times its line's pixels: a tattoo's grew 1.0-2.7 times, the bands
#: of shadow cast by blinds, whose narrowest parts pass for lines, 3.5-8.
INK_SPREAD = 2.5
INK_MAX_GROWTH = 3.0
#: Least share of the filling Gaussian that known pixels must fill for a hole to be filled.
MIN_FILL_WEIGHT = 0.05
#: Width (photo pixels) of a mark's blurred rim.
MARK_RIM_PHOTO_PX = 2.0
#: Largest share of a pit's middle (2 sigma around it) that marks may cover.
MAX_MARKED_SHARE = 0.05

#: The light's direction from the back's large-scale shading: the skin within this lateral
#: distance of the spine (hip widths) is fitted, if it has this many pixels; the linear
#: coefficients from the slopes to the light's sideways and upward components were fitted on
#: the full-body renders by scripts/calibrate.py.
LIGHT_FIT_HALF_WIDTH = 0.55
MIN_LIGHT_FIT_PIXELS = 200
SIDE_PER_LATERAL_SLOPE = -2.45
UP_AT_LEVEL = 0.59
UP_PER_HEIGHT_SLOPE = -0.57

#: Maximum wall slope of the indentation templates (depth about 0.58 sigma); small enough for
#: the shading to be nearly linear in depth, so a template's amplitude measures depth.
TEMPLATE_SLOPE = 0.35


@dataclass(frozen=True)
class RegionExtent:
    """How far the searched region reaches, in hip widths: each side of the midline, below
    and above the hip line."""

    half_width: float = anatomy.REGION_HALF_WIDTH
    below: float = anatomy.REGION_BELOW_HIPS
    above: float = anatomy.REGION_ABOVE_HIPS


@dataclass(frozen=True)
class RegionCrop:
    """The lower-back region resampled upright at body scale.

    Attributes
    ----------
    grey : numpy.ndarray
        float32 luminance in [0, 1], row 0 at the top of the region (highest point).
    valid : numpy.ndarray
        bool, True where the crop lies inside the photo.
    person : numpy.ndarray
        float32 person probability from the segmentation mask (1 where there is none).
    skin : numpy.ndarray
        bool, True where the colour is skin-like.
    chroma : numpy.ndarray
        float32 ``(height, width, 2)`` red and green shares of R + G + B: unchanged by
        shading, changed by ink, moles and other marks on the skin.
    clipped : numpy.ndarray
        bool, True where a colour channel is clipped at white (:data:`CLIP_LEVEL`): the
        chroma there is the clipping's, not the skin's.
    to_image : numpy.ndarray
        ``(2, 3)`` affine map from crop pixels (x, y) to image pixels.
    scale : float
        Crop pixels per hip width.
    extent : RegionExtent
        The part of the body the crop covers.
    """

    grey: np.ndarray
    valid: np.ndarray
    person: np.ndarray
    skin: np.ndarray
    chroma: np.ndarray
    clipped: np.ndarray
    to_image: np.ndarray
    scale: float
    extent: RegionExtent

    def body_coords(self, xy: np.ndarray) -> np.ndarray:
        """(lateral, height) in hip widths of crop pixels ``(..., 2)``; lateral + is left."""
        xy = np.asarray(xy, dtype=np.float64)
        lateral = self.extent.half_width - xy[..., 0] / self.scale
        height = self.extent.above - xy[..., 1] / self.scale
        return np.stack([lateral, height], axis=-1)

    def image_coords(self, xy: np.ndarray) -> np.ndarray:
        """Image pixels of crop pixels ``(..., 2)``."""
        xy = np.asarray(xy, dtype=np.float64)
        return xy @ self.to_image[:, :2].T + self.to_image[:, 2]

    @cached_property
    def body_grid(self) -> np.ndarray:
        """Body coordinates (:meth:`body_coords`) of every crop pixel, ``(height, width, 2)``."""
        rows, cols = np.indices(self.grey.shape)
        return self.body_coords(np.stack([cols, rows], axis=-1))

    @property
    def mm_per_pixel(self) -> float:
        """Millimetres on the body per crop pixel (from the typical hip width)."""
        return anatomy.HIP_WIDTH_MM / self.scale

    @property
    def photo_px_per_pixel(self) -> float:
        """Photo pixels per crop pixel along the spine (across, a turned body's are fewer)."""
        return float(np.hypot(*self.to_image[:, 1]))

    @cached_property
    def usable(self) -> np.ndarray:
        """Bare skin of the person inside the photo: the only pixels whose shading is read."""
        return self.valid & (self.person > 0.5) & self.skin

    @cached_property
    def gradients(self) -> tuple[float, float] | None:
        """:func:`shading_gradients` of the crop (the light's direction and whether it comes
        from about the camera are read from them)."""
        return shading_gradients(self)

    def gradients_within(self, heights: tuple[float, float]) -> tuple[float, float] | None:
        """:func:`shading_gradients` over the rows between ``heights`` (hip widths); those of
        the whole crop where the band holds it all."""
        # A millionth of a hip width: a band that meets the crop's edges holds it all.
        if heights[0] <= 1e-6 - self.extent.below and heights[1] >= self.extent.above - 1e-6:
            return self.gradients
        return shading_gradients(self, heights)


def pixel_box(
    points: np.ndarray, shape: tuple[int, ...], margin: float = 0.0
) -> tuple[int, int, int, int]:
    """``(x0, y0, x1, y1)``: the pixel box around image ``points`` ``(n, 2)``, widened by
    ``margin`` pixels and clipped to an image of ``shape``."""
    height, width = shape[:2]
    x0, y0 = np.clip(np.floor(points.min(axis=0) - margin), 0, [width, height]).astype(int)
    x1, y1 = np.clip(np.ceil(points.max(axis=0) + margin), 0, [width, height]).astype(int)
    return int(x0), int(y0), int(x1), int(y1)


def region_corners(frame: BodyFrame, extent: RegionExtent) -> np.ndarray:
    """The four image-space corners of the searched region ``(4, 2)``."""
    w, below, above = extent.half_width, extent.below, extent.above
    return np.array(
        [frame.to_image(lat, h) for lat, h in ((w, above), (-w, above), (-w, -below), (w, -below))]
    )


def extract_region(
    rgb: np.ndarray,
    frame: BodyFrame,
    person_mask: np.ndarray | None,
    mask_scale: float = 1.0,
    extent: RegionExtent = RegionExtent(),
    skin_band: tuple[float, float] | None = None,
) -> RegionCrop:
    """Resample the lower-back region of ``rgb`` into an upright crop at body scale.

    The crop is never upsampled beyond the photo's own resolution by more than 2x, and never
    holds more than :data:`PIXELS_PER_HIP_WIDTH` pixels per hip width. The skin's colour is
    read from the crop's top rows (:data:`SKIN_REFERENCE_ROWS`), unless it leaves out more
    than :data:`MIN_BAND_SKIN_KEPT` of the skin-coloured pixels (generic rule) of the band
    between the heights ``skin_band`` (hip widths above the base line, where the back is bare
    whenever the dimples are visible; where the crop ends below its top, as tall a band from
    the crop's top): then from that band, unless the band's colour is no skin's while the top
    rows' is (:func:`_skin_ordered`).
    """
    scale = float(min(PIXELS_PER_HIP_WIDTH, 2.0 * frame.pixels_across))
    width = round(2 * extent.half_width * scale)
    height = round((extent.above + extent.below) * scale)
    # Crop pixel (x, y) -> body (lateral, height) -> image.
    top_left = frame.to_image(extent.half_width, extent.above)
    step = frame.hip_width / scale
    to_image = np.column_stack([-frame.left * step * frame.across, -frame.up * step, top_left])
    size = (width, height)
    patch = _resample(rgb, to_image, size, step * frame.across)
    # Where each crop pixel lies in the photo, one coordinate at a time (broadcast over the
    # rows and columns: no (height, width, 2) grid).
    cols, rows = np.arange(width, dtype=np.float64), np.arange(height, dtype=np.float64)[:, None]
    valid = np.ones((height, width), bool)
    for axis, photo_side in enumerate(rgb.shape[1::-1]):
        along = cols * to_image[axis, 0] + rows * to_image[axis, 1] + to_image[axis, 2]
        valid &= (along > -0.5) & (along < photo_side - 0.5)
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    if person_mask is not None:
        to_mask = to_image * mask_scale  # the mask may be smaller than the photo
        person = cv2.warpAffine(person_mask.astype(np.float32), to_mask, size, flags=flags)
    else:
        person = np.ones((height, width), np.float32)
    skin = skin_pixels(patch, SKIN_REFERENCE_ROWS)
    if skin_band is not None:
        low, high = skin_band
        first = max(0.0, extent.above - high)
        total = extent.above + extent.below
        band_rows = (first / total, min(1.0, (first + high - low) / total))
        band = _rows_between(band_rows, height)
        generic = skin_pixels(patch)
        top = _rows_between(SKIN_REFERENCE_ROWS, height)
        # The band's colour is taken unless it is no skin's while the top rows' is (trousers
        # that pass for skin at the expected pair, the bare back above them).
        if skin[band].sum() < MIN_BAND_SKIN_KEPT * generic[band].sum() and (
            _skin_ordered(patch[band], generic[band]) or not _skin_ordered(patch[top], generic[top])
        ):
            skin = skin_pixels(patch, band_rows)
    return RegionCrop(
        grey=unclipped_luminance(patch, skin),
        valid=valid,
        person=person,
        skin=skin,
        chroma=chromaticity(patch),
        # Any channel at CLIP_LEVEL or above: not all of them below it.
        clipped=cv2.inRange(patch, (0,) * 3, (CLIP_LEVEL - 1,) * 3) == 0,
        to_image=to_image,
        scale=scale,
        extent=extent,
    )


def _skin_ordered(rgb: np.ndarray, mask: np.ndarray) -> bool:
    """Whether the median colour of ``rgb``'s pixels where ``mask`` is set (the generic skin
    rule's) is red over green over blue, as skin's is: melanin and blood absorb blue most and
    red least, so that order holds for every skin tone under about white light. A pink or
    magenta garment, which the generic rule can pass, has more blue than green; a beige or tan
    one keeps the order and cannot be told so."""
    if not mask.any():
        return False
    red, green, blue = masked_medians(rgb, mask.astype(np.uint8), (0, 1, 2))
    return red > green > blue


def _resample(
    rgb: np.ndarray, to_image: np.ndarray, size: tuple[int, int], step: float
) -> np.ndarray:
    """Warp the photo into the crop without aliasing: where a crop pixel spans ``step`` >= 2
    photo pixels, the region's bounding box is first shrunk by that integer factor with area
    averaging (warpAffine itself only interpolates)."""
    shrink = int(step)
    width, height = size
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], np.float64)
    spots = corners @ to_image[:, :2].T + to_image[:, 2]
    x0, y0, x1, y1 = pixel_box(spots, rgb.shape, margin=2 * shrink)
    if shrink >= 2 and x1 - x0 >= shrink and y1 - y0 >= shrink:
        rgb = cv2.resize(
            rgb[y0:y1, x0:x1],
            ((x1 - x0) // shrink, (y1 - y0) // shrink),
            interpolation=cv2.INTER_AREA,
        )
        # Small pixel u covers photo pixels x0 + shrink u ... + shrink - 1: centre below.
        offset = np.array([x0, y0]) + (shrink - 1) / 2.0
        to_image = np.column_stack([to_image[:, :2] / shrink, (to_image[:, 2] - offset) / shrink])
    return cv2.warpAffine(
        rgb,
        to_image,
        size,
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
        borderMode=cv2.BORDER_REPLICATE,
    )


def unclipped_luminance(rgb: np.ndarray, skin: np.ndarray) -> np.ndarray:
    """Luminance of ``rgb`` (float32, 0..1) from the colour channels that do not clip at white
    (:data:`CLIP_LEVEL`) on more than :data:`MAX_CLIPPED_SKIN_SHARE` of the ``skin`` pixels.

    Shading scales R, G and B alike, so any of them carries it. On an overexposed back red
    clips first, then green: a luminance that mixed them in would lose the clipped channels'
    share of the shading where they clip and keep it where they do not, flattening each pit's
    lit wall against its dark one. Blue is always used (where it clips too, no channel can
    help). The weights are the luminance's own, rescaled to sum to 1.
    """
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    if rgb.max() < CLIP_LEVEL or not skin.any():  # most photos: the usual luminance
        return grey
    limit = MAX_CLIPPED_SKIN_SHARE * np.count_nonzero(skin)
    kept = np.array(
        [np.count_nonzero(skin & (rgb[..., c] >= CLIP_LEVEL)) <= limit for c in range(3)]
    )
    if kept.all():
        return grey
    kept[2] = True
    weights = np.where(kept, LUMA_WEIGHTS, 0.0)
    weights = (weights / weights.sum() / 255.0).astype(np.float32)
    return rgb.astype(np.float32) @ weights


def skin_pixels(rgb: np.ndarray, reference_rows: tuple[float, float] | None = None) -> np.ndarray:
    """Skin-coloured pixels by the YCrCb rule (Chai & Ngan 1999), widened for shade and tone,
    with speckle removed (a morphological opening then closing).

    With ``reference_rows`` (where a band of rows starts and ends, as fractions of the image's
    height), the skin colour of that band (in a lower-back crop: the back above the dimples,
    bare whenever the dimples are) becomes the reference, and only pixels of about its chroma
    are kept: skin-toned clothing (beige, tan, yellow shorts) passes the generic rule but not
    this one; pixels whose red clipped, which the generic rule refuses, are then kept when
    they still lean towards the reference's chroma (:data:`CLIP_LEVEL`). Without a reference
    (a whole photo, where the fallback looks for a bare back), red-clipped pixels are judged
    so against the chroma of all the pixels the generic rule takes, and the others by the
    generic rule alone.
    """
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    luma, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    skin = (luma > 25) & (cr >= 133) & (cr <= 180) & (cb >= 70) & (cb <= 130)
    band = slice(0, 0) if reference_rows is None else _rows_between(reference_rows, len(skin))
    in_band = skin[band]
    # Red-clipped pixels are tested too (below), once the reference is taken without them.
    clipped = rgb[..., 0] >= CLIP_LEVEL
    if in_band.sum() >= MIN_REFERENCE_PIXELS:
        chroma = ycrcb[..., 1:].astype(np.float32)
        reference_luma, *reference = masked_medians(ycrcb[band], in_band.view(np.uint8), (0, 1, 2))
        skin |= clipped
        reference = np.array(reference, np.float32)
        # Shading scales R, G and B alike (also after the sRGB curve), and so the luma and
        # the chroma's offsets from grey: lit skin below a reference in shadow shows the
        # reference's chroma shaded to its own luma. Only brighter pixels are compared so:
        # in darker ones JPEG's chroma noise and the shadows beside garments pass too easily.
        per_luma = (reference - 128.0) / max(float(reference_luma), 1.0)
        brighter = np.maximum(luma, reference_luma)[..., None].astype(np.float32)
        distance_sq = np.minimum(
            squared_length(chroma - reference),
            squared_length(chroma - (128.0 + brighter * per_luma)),
        )
        # A sheen adds the light's colour, about white, to the skin's: a brighter pixel whose
        # chroma lies between the reference's and grey, with at least HIGHLIGHT_MIN_CHROMA of
        # the reference's offset, is skin under a highlight (with red clipped, more so).
        highlight, off_line_sq = _towards_reference(
            luma,
            chroma - 128.0,
            reference_luma,
            reference - 128.0,
            np.where(clipped, CLIPPED_MIN_CHROMA, HIGHLIGHT_MIN_CHROMA),
        )
        distance_sq = np.where(highlight, np.minimum(distance_sq, off_line_sq), distance_sq)
        skin &= distance_sq <= SKIN_CHROMA_TOLERANCE**2
    elif reference_rows is None and clipped.any() and skin.sum() >= MIN_REFERENCE_PIXELS:
        # An overexposed photo: the skin the generic rule finds (where red did not clip, mostly)
        # is the reference.
        reference_luma, *reference = masked_medians(ycrcb, skin.view(np.uint8), (0, 1, 2))
        # Only the clipped pixels can join, so they alone are tested: with one pixel of a
        # 512 x 683 photo clipped, the rule took 19 ms when every pixel was, 4 ms so.
        leaning, off_line_sq = _towards_reference(
            luma[clipped],
            ycrcb[clipped][:, 1:].astype(np.float32) - 128.0,
            reference_luma,
            np.array(reference, np.float32) - 128.0,
            CLIPPED_MIN_CHROMA,
        )
        skin[clipped] |= leaning & (off_line_sq <= SKIN_CHROMA_TOLERANCE**2)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    mask = skin.astype(np.uint8)
    mask = cv2.morphologyEx(cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)
    # Holes enclosed by skin are skin too: deep shadow (a dimple's own wall), moles, tattoos.
    return filled_holes(mask)


def _rows_between(shares: tuple[float, float], height: int) -> slice:
    """The rows of an image ``height`` rows tall between two fractions of its height."""
    return slice(round(shares[0] * height), round(shares[1] * height))


def _towards_reference(
    luma: np.ndarray,
    offset: np.ndarray,
    reference_luma: float,
    reference_offset: np.ndarray,
    least_share: float | np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Pixels (``luma`` and chroma ``offset`` from grey, ``(..., 2)``) that look like the
    reference skin mixed with white, as a highlight or clipping mixes it: brighter than the
    reference, with a chroma between grey and the reference's that keeps at least
    ``least_share`` of its offset, along it. Also each pixel's squared chroma distance from
    the line through grey and the reference, on which such a mix lies."""
    along = offset[..., 0] * reference_offset[0] + offset[..., 1] * reference_offset[1]
    share = along / max(float(reference_offset @ reference_offset), 1.0)
    leaning = (luma > reference_luma) & (share >= least_share) & (share <= 1.0)
    return leaning, squared_length(offset - share[..., None] * reference_offset)


def squared_length(vectors: np.ndarray) -> np.ndarray:
    """The sum of squares over the last axis of ``vectors`` (a few channels), added plane by
    plane: the same sums as NumPy's reduction over a short last axis, which costs many times
    more (1 ms against 0.03 ms for two channels of 200 x 150 pixels)."""
    total = vectors[..., 0] * vectors[..., 0]
    for channel in range(1, vectors.shape[-1]):
        total = total + vectors[..., channel] * vectors[..., channel]
    return total


def filled_holes(mask: np.ndarray) -> np.ndarray:
    """``mask`` (uint8 or bool) with every hole filled: background that no 4-connected path
    links to the border (what ``scipy.ndimage.binary_fill_holes`` does, by a flood fill from
    the border, several times faster)."""
    flooded = np.pad(mask.astype(np.uint8), 1)
    cv2.floodFill(flooded, None, (0, 0), 2, flags=4)  # the background around the mask: 2
    return flooded[1:-1, 1:-1] != 2


def chromaticity(rgb: np.ndarray) -> np.ndarray:
    """Red and green shares of R + G + B, ``(height, width, 2)`` float32. Shading scales all
    three channels alike (also after the sRGB curve, a power law), so it leaves these shares
    unchanged; a mark on the skin changes them."""
    rgb = rgb.astype(np.float32)
    # Channel by channel: NumPy's sums over a short last axis are many times slower.
    total = np.maximum(rgb[..., 0] + rgb[..., 1] + rgb[..., 2], 1.0)
    return rgb[..., :2] / total[..., None]


def skin_marks(
    chroma: np.ndarray,
    grey: np.ndarray,
    usable: np.ndarray,
    trend: np.ndarray,
    margin_px: int = 1,
) -> np.ndarray:
    """Skin pixels whose colour changes more than light can change it (tattoo ink, moles,
    birthmarks): their darkness is no shading.

    Against the large-scale trend over usable skin, a pixel's chromaticity may move by
    :data:`TINT_CHROMA_PER_SHADING` times its relative shading (a shadow lit by tinted
    ambient light) or by pixel noise, which moves a dark pixel's shares more (``grey``,
    0..1), whichever is more. Beyond that it is a mark. ``margin_px`` widens the marks over
    their blurred rim, still dark but too faintly coloured to pass the test. ``trend`` is
    :func:`colour_trend` of the same pixels (the caller needs its luminance channel too)."""
    log_lum = log_luminance(grey)
    deviation = np.sqrt(squared_length(chroma - trend[..., :2]))
    shading = np.abs(log_lum - trend[..., 2])
    noise = CHROMA_NOISE_FLOOR + CHROMA_NOISE_LEVELS / np.maximum(765.0 * grey, 1.0)
    marks = (deviation > np.maximum(noise, TINT_CHROMA_PER_SHADING * shading)) & usable
    return widened(marks, margin_px) & usable


def widened(mask: np.ndarray, margin_px: int) -> np.ndarray:
    """``mask`` grown by ``margin_px`` pixels (a disc): over a mark's blurred rim."""
    side = 2 * margin_px + 1
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    return cv2.dilate(mask.astype(np.uint8), disc).astype(bool)


def ink_lines(log_lum: np.ndarray, usable: np.ndarray, scale: float) -> np.ndarray:
    """Thin, long dark lines on the skin (tattoo strokes, see :data:`FINE_LINE_WIDTH_MM`) in a
    crop of ``scale`` pixels per hip width. Measured by the black top-hat (the closing less the
    image), which fills dark lines and spots narrower than its disc but not the dark side of a
    step such as a cast shadow's edge; only where the disc lies on skin inside the crop, since
    pixels that mix skin with a darker garment at the skin's edge pass for a dark line. With
    them, where they cross or swell, the dark skin in one piece with them (:data:`INK_SPREAD`)."""
    mm_per_pixel = anatomy.HIP_WIDTH_MM / scale
    diameter = max(3, 2 * round(FINE_LINE_WIDTH_MM / mm_per_pixel / 2) + 1)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (diameter, diameter))
    inland = cv2.erode(
        usable.astype(np.uint8), disc, borderType=cv2.BORDER_CONSTANT, borderValue=0
    ).astype(bool)
    if not inland.any():
        return inland
    # Off skin the values are too low to count in the closing's dilation.
    floor = float(log_lum[usable].min()) - 1.0
    values = np.where(usable, log_lum, floor).astype(np.float32)
    darker = cv2.morphologyEx(values, cv2.MORPH_CLOSE, disc) - values
    # Its mean over the skin grows with the photo's noise (a robust spread is no measure
    # here: most skin is no darker than its surroundings, and so it is 0).
    level = max(FINE_LINE_DARKENING, FINE_LINE_NOISE * float(darker[inland].mean()))
    dark = ((darker > level) & inland).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(dark, connectivity=8)
    extent = np.hypot(stats[:, cv2.CC_STAT_WIDTH], stats[:, cv2.CC_STAT_HEIGHT]) * mm_per_pixel
    long_enough = extent >= FINE_LINE_LENGTH_MM
    long_enough[0] = False  # the background
    lines = long_enough[labels]
    if not lines.any():
        return lines
    # Strokes that cross or swell past the disc (see INK_SPREAD).
    wide = 2 * round(INK_SPREAD * diameter / 2) + 1
    wide_disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (wide, wide))
    darker_wide = cv2.morphologyEx(values, cv2.MORPH_CLOSE, wide_disc) - values
    count, pieces = cv2.connectedComponents(((darker_wide > level) & inland).astype(np.uint8))
    area = np.bincount(pieces.ravel(), minlength=count)
    seeds = np.bincount(pieces[lines], minlength=count)
    inked = (seeds > 0) & (area <= INK_MAX_GROWTH * seeds)
    inked[0] = False
    return lines | inked[pieces]


def filled_in(values: np.ndarray, holes: np.ndarray, known: np.ndarray, sigma: float) -> np.ndarray:
    """``values`` with the ``holes`` filled by the mean of the ``known`` pixels around them (a
    Gaussian of ``sigma`` pixels); holes too far from any known pixel (where they fill less
    than :data:`MIN_FILL_WEIGHT` of the Gaussian: 1.6 sigma beyond a straight edge of them) keep
    their value."""
    mean, weight = weighted_blur(values, known, sigma)
    return np.where(holes & (weight > MIN_FILL_WEIGHT), mean, values).astype(values.dtype)


def colour_trend(
    chroma: np.ndarray, log_lum: np.ndarray, usable: np.ndarray, scale: float
) -> np.ndarray:
    """:func:`skin_trend` of the chromaticity and the log luminance together, ``(height,
    width, 3)``: what the skin's colour and brightness would be without marks or dimples."""
    return skin_trend(np.dstack([chroma, log_lum]), usable, scale)


def skin_trend(values: np.ndarray, usable: np.ndarray, scale: float) -> np.ndarray:
    """The large-scale trend of ``values`` over usable skin (Gaussian of
    :data:`TREND_SIGMA_MM`): a normalised convolution, so clothing, background and the photo's
    border neither leak into it nor create edges."""
    return weighted_blur(values, usable, TREND_SIGMA_MM / anatomy.HIP_WIDTH_MM * scale)[0]


def weighted_blur(
    values: np.ndarray, mask: np.ndarray, sigma: float
) -> tuple[np.ndarray, np.ndarray]:
    """The mean of ``values`` (one or more channels) over the ``mask`` pixels around each
    pixel, weighted by a Gaussian of ``sigma`` pixels (:func:`wide_blur`), and the blurred
    mask itself (how much of that Gaussian the mask fills)."""
    weight = mask.astype(np.float32)
    # The values and the weight blurred in one pass.
    channels = values.reshape(*mask.shape, -1).astype(np.float32) * weight[..., None]
    blurred = wide_blur(np.dstack([channels, weight]), sigma)
    mean = blurred[..., :-1] / np.maximum(blurred[..., -1:], 1e-3)
    return mean.reshape(values.shape), blurred[..., -1]


def wide_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    """A Gaussian blur of ``image`` ``(height, width, channels)`` float32, ``sigma`` pixels
    wide, computed on a grid coarser by the whole factor ``sigma`` /
    :data:`WIDE_BLUR_PIXELS_PER_STEP` where that is 2 or more: block means, the blur,
    bilinear interpolation back (whose own widths are taken from the blur's). On a lower-back
    crop it is several times faster than the full-size blur; the skin trend it gives differs
    by well under 1 % of the trend's range (about 6e-4 rms in log luminance)."""
    factor = max(1, int(sigma / WIDE_BLUR_PIXELS_PER_STEP))
    if factor == 1:
        return cv2.GaussianBlur(image, (0, 0), sigma)
    height, width = image.shape[:2]
    # Reflected up to whole blocks, so that the block means tile it with nothing dropped.
    padded = cv2.copyMakeBorder(
        image, 0, -height % factor, 0, -width % factor, cv2.BORDER_REFLECT_101
    )
    coarse = shrunk(padded, factor)
    # Variances add: a block mean's is (factor^2 - 1) / 12, linear interpolation's factor^2 / 6.
    coarse_sigma = np.sqrt(max(sigma**2 - (factor**2 - 1) / 12 - factor**2 / 6, 0.25)) / factor
    coarse = cv2.GaussianBlur(coarse, (0, 0), coarse_sigma)
    size = (padded.shape[1], padded.shape[0])
    return cv2.resize(coarse, size, interpolation=cv2.INTER_LINEAR)[:height, :width]


def log_luminance(grey: np.ndarray) -> np.ndarray:
    """Log of luminance (0..1): albedo and light intensity become additive; the offset keeps
    black pixels finite."""
    return np.log(grey.astype(np.float32) + 1.0 / 64.0)


def shading_gradients(
    crop: RegionCrop, heights: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """How log luminance changes across and up the lower back over bare skin, per hip width:
    ``(lateral, height)`` slopes (lateral + towards the person's left), fitted with a
    quadratic lateral term that absorbs the torso's curvature; None with too little skin.
    With ``heights``, only the rows between those heights (hip widths) are fitted.

    The torso is roughly a cylinder about the spine, so light from one side brightens that
    side: the lateral slope measures the light's sideways component (Spearman -0.96 with it
    on the full-body renders); the height slope, through the lumbar curve, its upward one.
    """
    lateral, height = crop.body_grid[crop.usable].T
    near = np.abs(lateral) <= LIGHT_FIT_HALF_WIDTH
    if heights is not None:
        near &= (height >= heights[0]) & (height <= heights[1])
    if near.sum() < MIN_LIGHT_FIT_PIXELS:
        return None
    lateral, height = lateral[near], height[near]
    log_lum = log_luminance(crop.grey[crop.usable][near]).astype(np.float64)
    design = np.column_stack([np.ones_like(lateral), lateral, lateral**2, height])
    # Normal equations: four well-scaled unknowns (hip widths), thousands of pixels; solved by
    # least squares, which also copes with a degenerate patch of skin.
    coef, *_ = np.linalg.lstsq(design.T @ design, design.T @ log_lum, rcond=None)
    return float(coef[1]), float(coef[3])


def light_from_gradients(lateral_slope: float, height_slope: float) -> tuple[float, float]:
    """The light's direction from :func:`shading_gradients`: ``(azimuth_deg, elevation_deg)``,
    azimuth from the head end of the spine (0) towards the person's right (+90) or left (-90),
    elevation the angle from the camera's axis. A linear fit on the renders
    (:data:`SIDE_PER_LATERAL_SLOPE`, :data:`UP_AT_LEVEL`, :data:`UP_PER_HEIGHT_SLOPE`)."""
    side = float(np.clip(SIDE_PER_LATERAL_SLOPE * lateral_slope, -0.99, 0.99))
    up = float(np.clip(UP_AT_LEVEL + UP_PER_HEIGHT_SLOPE * height_slope, 0.0, 0.99))
    towards_camera = np.sqrt(max(1.0 - side**2 - up**2, 0.0))
    norm = np.sqrt(side**2 + up**2 + towards_camera**2)
    azimuth = float(np.degrees(np.arctan2(side, up)))
    elevation = float(np.degrees(np.arccos(towards_camera / norm)))
    return azimuth, elevation


def lit_from_the_camera(gradients: tuple[float, float] | None) -> bool:
    """Whether :func:`shading_gradients` say the light comes from about the camera (see
    :data:`MIN_CAMERA_LIGHT_HEIGHT_SLOPE`); False without them."""
    return gradients is not None and gradients[1] > MIN_CAMERA_LIGHT_HEIGHT_SLOPE


@dataclass(frozen=True)
class LightHypothesis:
    """A light direction: azimuth in degrees from "up the spine" towards the image's right
    (None for frontal light) and elevation away from the camera axis, in degrees."""

    azimuth_deg: float | None
    elevation_deg: float

    @property
    def frontal(self) -> bool:
        """Whether the light comes from the camera's direction (no azimuth)."""
        return self.azimuth_deg is None

    def vector(self) -> np.ndarray:
        """Unit vector towards the light in (x right, y up, z towards the camera)."""
        if self.frontal:
            return np.array([0.0, 0.0, 1.0])
        azimuth, elevation = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        return np.array(
            [
                np.sin(elevation) * np.sin(azimuth),
                np.sin(elevation) * np.cos(azimuth),
                np.cos(elevation),
            ]
        )


#: Lights tried: frontal, and from above or either side. Photos of backs are lit by ceiling
#: lights, windows and flash; light from below is rare. Under a directional light the shading's
#: shape depends on the azimuth; the elevation scales the walls' contrast (its tangent) against
#: the faint second-order ring, so the shapes at 35 and 65 degrees correlate at 0.989 and one
#: elevation serves (the fitted amplitude absorbs the rest). A second set at 65 degrees only
#: doubled the chances for texture to match: without it the full-body renders' accuracy went
#: from 0.875 to 0.891 and AUC from 0.916 to 0.922 (held out 0.934 to 0.936), no real photo's
#: status changed, and the stage costs less.
#:
#: The last, light from below, is tried only under light from about the camera
#: (:func:`lit_from_the_camera`): the skin over the sacrum faces partly upwards, so a flash
#: at the camera's height reaches the pits from below their own normal (their upper wall lit,
#: the lower one dark), and matched as lit from above they were placed a wall too low. Tried
#: under every light, muscle bellies lit from above (bright over dark) passed for pits: a real
#: upper back recompressed at JPEG 50 was claimed at 0.95.
LIGHT_HYPOTHESES: tuple[LightHypothesis, ...] = (
    LightHypothesis(None, 0.0),
    *(LightHypothesis(azimuth, 35.0) for azimuth in (-90.0, -60.0, -30.0, 0.0, 30.0, 60.0, 90.0)),
    LightHypothesis(180.0, 35.0),
)
#: Index of the light from below (the last), and the hypotheses tried without it.
FROM_BELOW = len(LIGHT_HYPOTHESES) - 1
LIGHTS_FROM_ABOVE = LIGHT_HYPOTHESES[:FROM_BELOW]
#: A torso whose shading darkens upwards over the lower back by no more than this (the height
#: slope of :func:`shading_gradients` above it) is lit from about the camera: on renders under
#: an on-camera flash the slope's median is +0.01 (close-ups) and +0.03 (full body), its 5th
#: percentile -0.03 and -0.07; under the benchmark's lights 20-70 degrees above the back -0.13
#: (95th percentile +0.01 for whole bodies, -0.04 for close-ups). At -0.03 rather than 0, 128
#: close-ups under a flash (two seeds) read AUC 0.877 -> 0.907 and 0.843 -> 0.876, the 90th
#: percentile of the localisation error 32 -> 23 % and 37 -> 22 % of the spacing; a close-up
#: lit 20 degrees above the back (slope -0.029) had its pair placed 0.17 of the spacing higher.
MIN_CAMERA_LIGHT_HEIGHT_SLOPE = -0.03


@lru_cache(maxsize=32)
def dimple_basis(sigma_px: float) -> tuple[np.ndarray, np.ndarray, float]:
    """The three zero-mean images whose combinations are an indentation's relative shading.

    The surface ``z = -d exp(-r^2 / 2 sigma^2)`` (d set so the steepest wall has slope
    :data:`TEMPLATE_SLOPE`) has unit normals ``n``; Lambert shading under a light ``L``,
    divided by that of flat skin, is ``(n . L) / L_z``, so the relative shading
    ``(n_x L_x + n_y L_y) / L_z + (n_z - 1)`` is linear in the basis ``n_x, n_y, n_z - 1``
    (the walls stay lit for the slopes and elevations used here, so nothing clips). Returns
    the basis stacked ``(3, side, side)`` (square, about 6 sigma wide; y up; read-only, since
    it is cached: every photo's crop has the same few scales), the images' squared norms and
    the indentation's depth in pixels.
    """
    radius = max(2, int(np.ceil(3.0 * sigma_px)))
    ys, xs = np.mgrid[-radius : radius + 1, -radius : radius + 1].astype(np.float64)
    depth = TEMPLATE_SLOPE * sigma_px * np.exp(0.5)
    z = -depth * np.exp(-(xs**2 + ys**2) / (2.0 * sigma_px**2))
    dz_dy_down, dz_dx = np.gradient(z)
    normal = np.stack([-dz_dx, dz_dy_down, np.ones_like(z)], axis=-1)  # y up: dz/dy_up = -dz/dy
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    basis = np.stack([normal[..., 0], normal[..., 1], normal[..., 2] - 1.0])
    basis = (basis - basis.mean(axis=(1, 2), keepdims=True)).astype(np.float32)
    basis.flags.writeable = False
    return basis, (basis.astype(np.float64) ** 2).sum(axis=(1, 2)), float(depth)


@lru_cache(maxsize=8)
def _basis_weights(lights: tuple[LightHypothesis, ...]) -> np.ndarray:
    """``(3, len(lights))``: each light's basis weights ``(L_x / L_z, L_y / L_z, 1)``."""
    towards = np.array([light.vector() for light in lights])
    weights = np.column_stack([towards[:, :2] / towards[:, 2:], np.ones(len(lights))]).T
    weights.flags.writeable = False
    return weights


@dataclass(frozen=True)
class IndentationMatch:
    """Correlations of the shading with an indentation's basis at one scale; any light's
    normalised cross-correlation and amplitude follow from them without filtering again.

    ``correlations`` are the three basis correlations ``(height, width, 3)``, ``norms`` the
    basis images' squared norms, ``window_energy`` the shading's energy about its mean in each
    template-sized window, and ``depth_px`` the basis indentation's depth.
    """

    correlations: np.ndarray
    norms: np.ndarray
    window_energy: np.ndarray
    depth_px: float

    def ncc(
        self,
        lights: tuple[LightHypothesis, ...],
        where: np.ndarray,
        window: tuple[slice, slice],
    ) -> np.ndarray:
        """Normalised cross-correlation maps under each of ``lights``, ``(height, width,
        len(lights))`` float32, over the rows and columns of ``window``; 0 outside
        ``where``."""
        weights = _basis_weights(lights)
        energy, where = self.window_energy[window], where[window]
        # Where the window holds no shading (off skin) the correlation is 0 as well.
        inverse_norm = np.where(where, 1.0 / np.sqrt(np.maximum(energy, 1e-12)), 0.0)
        normalised = self.correlations[window] * inverse_norm[..., None].astype(np.float32)
        return normalised @ (weights / np.sqrt(self.norms @ weights**2)).astype(np.float32)

    def amplitude(self, lights: tuple[LightHypothesis, ...], pixels: np.ndarray) -> np.ndarray:
        """The least-squares scale of the template under each of ``lights`` at the flat pixel
        indices ``pixels``, ``(len(pixels), len(lights))``."""
        weights = _basis_weights(lights)
        return self.correlations.reshape(-1, 3)[pixels] @ (weights / (self.norms @ weights**2))


def match_indentations(spectrum: ShadingSpectrum, sigma_px: float) -> IndentationMatch:
    """Correlate the shading with the indentation basis of scale ``sigma_px`` (beyond the
    crop the shading counts as 0, as outside skin)."""
    basis, norms, depth = dimple_basis(sigma_px)
    correlations = np.stack(
        [spectrum.correlate(kernel) for kernel in _basis_spectra(sigma_px, spectrum.padded)],
        axis=-1,
    )
    shading = spectrum.shading
    side = basis.shape[1]
    count = float(side * side)
    mean = cv2.boxFilter(shading, -1, (side, side), normalize=True, borderType=cv2.BORDER_CONSTANT)
    mean_sq = cv2.boxFilter(
        shading * shading, -1, (side, side), normalize=True, borderType=cv2.BORDER_CONSTANT
    )
    energy = np.clip(mean_sq - mean * mean, 0.0, None) * count
    return IndentationMatch(correlations, norms, energy, depth)


class ShadingSpectrum:
    """The shading's Fourier transform, zero-padded so that correlating it with the basis of
    every scale up to ``largest_sigma_px`` is linear, not circular: one forward transform
    serves all the scales' basis images, each then one product and one inverse transform
    (``cv2.filter2D`` would transform the shading again for each of them)."""

    def __init__(self, shading: np.ndarray, largest_sigma_px: float) -> None:
        self.shading = shading
        side = dimple_basis(largest_sigma_px)[0].shape[1]
        height, width = shading.shape
        self.padded = (
            cv2.getOptimalDFTSize(height + side - 1),
            cv2.getOptimalDFTSize(width + side - 1),
        )
        padded = np.zeros(self.padded, np.float32)
        padded[:height, :width] = shading
        self._transform = cv2.dft(padded, nonzeroRows=height)

    def correlate(self, kernel_spectrum: np.ndarray) -> np.ndarray:
        """The shading correlated with a kernel given by :func:`_basis_spectra`, with the
        crop's shape."""
        product = cv2.mulSpectrums(self._transform, kernel_spectrum, 0)
        height, width = self.shading.shape
        whole = cv2.idft(product, flags=cv2.DFT_SCALE | cv2.DFT_REAL_OUTPUT, nonzeroRows=height)
        return whole[:height, :width]


@lru_cache(maxsize=32)
def _basis_spectra(sigma_px: float, padded: tuple[int, int]) -> tuple[np.ndarray, ...]:
    """Fourier transforms of the basis images of scale ``sigma_px``, flipped and centred on
    the origin of a ``padded`` array (wrapping round), so that the product with a
    :class:`ShadingSpectrum` is the correlation aligned with the crop's pixels."""
    basis = dimple_basis(sigma_px)[0]
    radius = basis.shape[1] // 2
    spectra = []
    for image in basis:
        kernel = np.zeros(padded, np.float32)
        # Correlation with k is convolution with k flipped: k[radius - m] goes to m mod size.
        flipped = image[::-1, ::-1]
        rows = np.arange(-radius, radius + 1) % padded[0]
        cols = np.arange(-radius, radius + 1) % padded[1]
        kernel[np.ix_(rows, cols)] = flipped
        spectrum = cv2.dft(kernel)
        spectrum.flags.writeable = False
        spectra.append(spectrum)
    return tuple(spectra)


class Candidate(NamedTuple):
    """A possible dimple in the crop.

    ``ncc`` is how well the shading matches an indentation (normalised cross-correlation),
    ``snr`` the match's amplitude over the skin's texture noise, ``depth_px`` the depth the
    amplitude implies, ``light`` the index of the light hypothesis that matched, and
    ``isolation`` (0..1) how much better the match is here than :data:`ISOLATION_SHIFT` scales
    to either side or above and below (1 for a closed pit, near 0 for a band or a groove).
    """

    x: float
    y: float
    sigma_px: float
    ncc: float
    snr: float
    depth_px: float
    light: int
    isolation: float


def implied_depth(amplitude: np.ndarray, template_depth: float, lights: np.ndarray) -> np.ndarray:
    """Depths that fitted template amplitudes imply under the hypotheses of index ``lights``.
    Under a directional light shading is first order in the wall slope (linear in depth);
    under frontal light it is second order (``1 - |grad z|^2 / 2``), so depth goes with the
    amplitude's square root."""
    amplitude = np.maximum(amplitude, 0.0)
    frontal = np.array([light.frontal for light in LIGHT_HYPOTHESES])[lights]
    return template_depth * np.where(frontal, np.sqrt(amplitude), amplitude)


def robust_spread(values: np.ndarray) -> np.ndarray:
    """Standard deviation along the last axis estimated from the median absolute deviation
    (1 when fewer than 16 values)."""
    if values.shape[-1] < 16:
        return np.ones(values.shape[:-1])
    mad = _median(np.abs(values - _median(values)[..., None]))
    return np.maximum(1.4826 * mad, 1e-6)


def _median(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=-1)``, without its general-purpose overhead (it is called on
    small arrays, six times per photo)."""
    count = values.shape[-1]
    lower = (count - 1) // 2
    # One partition: the upper middle value is the smallest of those after the lower one
    # (partitioning at both costs twice as much).
    parted = np.partition(values, lower, axis=-1)
    upper = parted[..., lower + 1 :].min(axis=-1) if count % 2 == 0 else parted[..., lower]
    return (parted[..., lower] + upper) / 2.0


def local_maxima(
    values: np.ndarray, min_distance: int, threshold: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows, columns and channels of the pixels of ``values`` ``(height, width, channels)``
    that are the maximum of their ``2 min_distance + 1`` square in their channel and at least
    ``threshold``."""
    side = 2 * min_distance + 1
    neighbourhood_max = cv2.dilate(values, np.ones((side, side), np.uint8))
    peaks = np.flatnonzero((values >= neighbourhood_max) & (values >= threshold))
    return np.unravel_index(peaks, values.shape)


class SkinShading(NamedTuple):
    """The region's shading, normalised (float32 log luminance less its trend over the skin,
    0 where no shading can be read), and the marks on its skin (bool)."""

    values: np.ndarray
    marks: np.ndarray


def indentation_candidates(crop: RegionCrop, shading: SkinShading | None = None) -> list[Candidate]:
    """Indentation candidates under every light in the region's shading (``shading``, as
    :func:`skin_shading` gives it, computed here when None)."""
    shading = skin_shading(crop) if shading is None else shading
    return find_candidates(crop, shading.values, shading.marks)


def skin_shading(crop: RegionCrop) -> SkinShading:
    """Normalise the region's shading: marks on the skin carry none, and ink lines are
    filled in from the skin around them."""
    log_lum = log_luminance(crop.grey)
    # The rim: about 2 photo pixels (optics, JPEG's half-resolution chroma), in crop pixels.
    margin = 1 + int(np.ceil(MARK_RIM_PHOTO_PX / crop.photo_px_per_pixel))
    # A tattoo's bold strokes across the back are steps at their edges too, but no garment's.
    ink = widened(ink_lines(log_lum, crop.usable, crop.scale), margin)
    usable = above_garment_edge(log_lum, crop.usable, ink)
    trend = colour_trend(crop.chroma, log_lum, usable, crop.scale)
    # Where the photo clipped, the chroma is the clipping's: no mark can be told there, and
    # the skin's colour trend is taken from the pixels that did not clip (on an overexposed
    # back, often only the pits' dark walls, which the clipped trend would mark).
    unclipped = usable & ~crop.clipped
    if (usable & crop.clipped).any():
        chroma_trend = skin_trend(crop.chroma, unclipped, crop.scale)
        trend = np.dstack([chroma_trend, trend[..., 2]])
    marks = skin_marks(crop.chroma, crop.grey, unclipped, trend, margin)
    lines = ink & usable & ~marks
    marked = marks | lines
    unmarked = usable & ~marked
    # A tan line is read on the unmarked skin (a tattoo's strokes have edges too).
    without_tan_line = tan_line_removed(log_lum, unmarked, crop.mm_per_pixel)
    retrend = without_tan_line is not log_lum
    log_lum = without_tan_line
    # Shading relative to the local skin brightness: log luminance minus its trend over
    # unmarked skin, 0 where there is no shading to read, and filled in from around them over
    # ink lines. Most backs have neither marks nor a tan line, and then that trend is the one
    # already at hand.
    if marked.any() or retrend:
        lum_trend = skin_trend(log_lum, unmarked, crop.scale)
    else:
        lum_trend = trend[..., 2]
    shading = np.where(unmarked, log_lum - lum_trend, 0.0).astype(np.float32)
    if lines.any():
        shading = filled_in(shading, lines, unmarked, FINE_LINE_FILL_MM / crop.mm_per_pixel)
    return SkinShading(shading, marks)


def under_hard_shadows(crop: RegionCrop, shading: np.ndarray) -> bool:
    """Whether hard-edged cast shadows stripe (:func:`striped_by_shadows`) or dapple
    (:func:`dappled_by_shadows`) the region's shading."""
    smoothed = _smoothed_inland(crop, shading)
    return striped_by_shadows(crop, shading, smoothed) or dappled_by_shadows(
        crop, shading, smoothed
    )


def _smoothed_inland(crop: RegionCrop, shading: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The shading smoothed by a Gaussian of SHADOW_STRIPE_SMOOTHING_MM, and the skin at least
    SHADOW_STRIPE_INLAND_MM from its edge (bool; empty where too little)."""
    inland = inland_distance(shading != 0) * crop.mm_per_pixel > SHADOW_STRIPE_INLAND_MM
    if inland.sum() < MIN_SHADOW_CHECK_PIXELS:
        inland[:] = False
    return _smoothed_for_shadows(crop, shading), inland


def _smoothed_for_shadows(crop: RegionCrop, image: np.ndarray) -> np.ndarray:
    """``image`` (the crop's size) smoothed by a Gaussian of SHADOW_STRIPE_SMOOTHING_MM: the
    skin's texture gone, a shadow's hard edge kept."""
    return cv2.GaussianBlur(image, (0, 0), SHADOW_STRIPE_SMOOTHING_MM / crop.mm_per_pixel)


def dappled_by_shadows(
    crop: RegionCrop,
    shading: np.ndarray,
    smoothed: tuple[np.ndarray, np.ndarray] | None = None,
) -> bool:
    """Whether patches of hard-edged shadow (leaves) dapple the region: its smoothed shading
    (``smoothed``, :func:`_smoothed_inland` of it, computed here when None) falls into two
    levels, lit and shaded (:func:`two_levels`): at least MIN_SHADOW_PATCH_SPLIT of its
    variance lies between them, and they lie at least MIN_SHADOW_PATCH_STEP log units apart."""
    smooth, inland = _smoothed_inland(crop, shading) if smoothed is None else smoothed
    if not inland.any():
        return False
    split = two_levels(smooth[inland])
    return (
        split is not None
        and split.between_share >= MIN_SHADOW_PATCH_SPLIT
        and split.step >= MIN_SHADOW_PATCH_STEP
    )


class LevelSplit(NamedTuple):
    """Values split in two at Otsu's threshold: the ``threshold``, the share of their
    variance between the two levels, and how far apart the levels' means lie (``step``)."""

    threshold: float
    between_share: float
    step: float


def two_levels(values: np.ndarray) -> LevelSplit | None:
    """Split ``values`` in two where the variance between the two classes is largest (Otsu's
    threshold, on a histogram of SHADOW_PATCH_BINS bins); None where they are all alike."""
    values = values.astype(np.float64)
    counts, edges = np.histogram(values, bins=SHADOW_PATCH_BINS)
    centres = (edges[:-1] + edges[1:]) / 2.0
    # Per split between bins: the lower level's share of the values and its sum over them.
    share = np.cumsum(counts)[:-1] / values.size
    lower_sum = np.cumsum(counts * centres)[:-1] / values.size
    splits = (share > 0) & (share < 1)
    variance = float(values.var())
    if not splits.any() or variance <= 0.0:
        return None
    share, lower_sum, cuts = share[splits], lower_sum[splits], edges[1:-1][splits]
    lower = lower_sum / share
    upper = (float(values.mean()) - lower_sum) / (1.0 - share)
    between = share * (1.0 - share) * (upper - lower) ** 2
    best = int(np.argmax(between))
    return LevelSplit(
        float(cuts[best]), float(between[best]) / variance, float(upper[best] - lower[best])
    )


def lit_beside_a_cast_shadow(crop: RegionCrop) -> np.ndarray | None:
    """The crop's bare skin outside a single cast shadow over part of the region (bool), or
    None where its light does not fall into one lit and one shaded part.

    A light high above a standing person falls along the back: the upper back's bulge then
    shades the lumbar hollow, and the shadow's hard edge crosses the lower back, often just
    above the dimples (``scripts/render.py --variant grazing``). The smoothed log luminance of
    the skin then falls into two levels (:func:`two_levels`: at least MIN_SHADOW_PATCH_SPLIT of
    its variance between them, at least MIN_CAST_SHADOW_STEP apart) and the shaded one is a
    single patch (at least MIN_CAST_SHADOW_SHARE of the shaded pixels in one component), unlike
    the bands of blinds or the dapples of leaves. The shadow is widened by CAST_SHADOW_RIM_MM
    (its soft edge and the smoothing) and at least MIN_LIT_SKIN of the skin must remain."""
    usable = crop.usable
    if usable.sum() < MIN_SHADOW_CHECK_PIXELS:
        return None
    log_lum = _smoothed_for_shadows(crop, log_luminance(crop.grey))
    split = two_levels(log_lum[usable])
    if (
        split is None
        or split.between_share < MIN_SHADOW_PATCH_SPLIT
        or split.step < MIN_CAST_SHADOW_STEP
    ):
        return None
    shaded = ((log_lum < split.threshold) & usable).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(shaded, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if count < 2 or areas.max() < MIN_CAST_SHADOW_SHARE * areas.sum():
        return None
    rim = max(1, round(CAST_SHADOW_RIM_MM / crop.mm_per_pixel))
    shadow = (labels == 1 + int(np.argmax(areas))).astype(np.uint8)
    shadow = cv2.dilate(shadow, np.ones((2 * rim + 1, 2 * rim + 1), np.uint8)) > 0
    lit = usable & ~shadow
    if lit.sum() < MIN_LIT_SKIN * usable.sum():
        return None
    return lit


def striped_by_shadows(
    crop: RegionCrop,
    shading: np.ndarray,
    smoothed: tuple[np.ndarray, np.ndarray] | None = None,
) -> bool:
    """Whether hard-edged cast shadows (window blinds, a frame) stripe the region: the
    smoothed shading's gradient (``smoothed``, :func:`_smoothed_inland` of it, computed here
    when None) is at least MIN_SHADOW_STRIPE_GRADIENT (root mean square) and runs one way (the
    structure tensor over SHADOW_STRIPE_WINDOW_MM: coherence of at least
    MIN_SHADOW_STRIPE_COHERENCE, weighted by the gradient's energy)."""
    smooth, inland = _smoothed_inland(crop, shading) if smoothed is None else smoothed
    if not inland.any():
        return False
    per_mm = 1.0 / (8.0 * crop.mm_per_pixel)  # the Sobel kernel's weight, and the pixel size
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3) * per_mm
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3) * per_mm
    energy = float((gx[inland] ** 2 + gy[inland] ** 2).mean())
    if energy < MIN_SHADOW_STRIPE_GRADIENT**2:
        return False
    window = SHADOW_STRIPE_WINDOW_MM / crop.mm_per_pixel
    jxx, jyy, jxy = (cv2.GaussianBlur(a, (0, 0), window) for a in (gx * gx, gy * gy, gx * gy))
    local = jxx + jyy
    coherence = np.sqrt((jxx - jyy) ** 2 + 4.0 * jxy**2)  # times the local energy
    return float(coherence[inland].sum()) >= MIN_SHADOW_STRIPE_COHERENCE * float(
        local[inland].sum()
    )


def inland_distance(mask: np.ndarray) -> np.ndarray:
    """Each pixel's distance (pixels, float32) to the nearest pixel outside ``mask``, the
    array's own border counting as outside too (0 outside the mask)."""
    return cv2.distanceTransform(np.pad(mask, 1).astype(np.uint8), cv2.DIST_L2, 3)[1:-1, 1:-1]


def tan_line_removed(log_lum: np.ndarray, usable: np.ndarray, mm_per_pixel: float) -> np.ndarray:
    """``log_lum`` with a tan line's step taken out: the skin that briefs covered in the sun,
    lighter below a soft, level edge across the back (see :data:`MIN_TAN_LINE_STEP`). Left in,
    the step was read as shading."""
    half = max(2, round(TAN_LINE_HALF_WIDTH_MM / mm_per_pixel))
    rows, columns = log_lum.shape
    if rows < 4 * half + 3:
        return log_lum
    # Each column's mean over pairs of rows (NaN off the skin), and its change from 'half'
    # rows above each row to 'half' rows below it, and over twice that distance.
    on_skin = usable.astype(np.float32)
    count = on_skin[:-1] + on_skin[1:]
    total = np.where(usable, log_lum, 0.0)
    pairs = np.full(count.shape, np.nan, np.float32)
    np.divide(total[:-1] + total[1:], count, out=pairs, where=count > 0)
    wide = pairs[4 * half :] - pairs[: -4 * half]  # for rows 2 * half + 1 onwards
    steps = (pairs[2 * half :] - pairs[: -2 * half])[half : half + wide.shape[0]]
    known = np.isfinite(steps).sum(axis=1)
    # Lighter below nearly all along the row (and by enough in half of it, or the median
    # cannot be: a cheap test first)...
    with np.errstate(invalid="ignore"):
        rising = (steps > 0).sum(axis=1) >= MIN_TAN_LINE_AGREEMENT * known
        rising &= 2 * (steps >= MIN_TAN_LINE_STEP).sum(axis=1) >= known
    # ... in the region's lower part, below where the dimples lie ...
    rising &= np.arange(rising.size) + 2 * half + 1 >= (1.0 - TAN_LINE_ROWS) * rows
    candidates = np.flatnonzero(rising & (known >= MIN_TAN_LINE_COLUMNS * columns))
    if candidates.size == 0:
        return log_lum
    step = _row_medians(steps[candidates], np.isfinite(steps[candidates]))
    wide_step = _row_medians(wide[candidates], np.isfinite(wide[candidates]))
    # ... by enough, and as a step between two levels: read twice as far apart, the change
    # is about the same (the body's own shading changes more the further apart it is read; a
    # dark stroke across the back, less).
    least, most = TAN_LINE_WIDENING
    level_to_level = (wide_step >= least * step) & (wide_step <= most * step)
    tan_line = (step >= MIN_TAN_LINE_STEP) & level_to_level
    if not tan_line.any():
        return log_lum
    row = int(candidates[np.argmax(np.where(tan_line, step, -np.inf))]) + 2 * half + 1
    # The edge's own profile: each row's median over the skin, from the level 'half' + 1
    # rows above the edge (0) to the level as far below (1), rising only.
    window = np.arange(row - half - 1, row + half + 2)
    levels = _row_medians(log_lum[window], usable[window])
    low, high = float(levels[0]), float(levels[-1])
    if np.isnan(levels).any() or not high > low:
        return log_lum
    ramp = np.zeros(rows, np.float32)
    ramp[window] = np.maximum.accumulate(np.clip((levels - low) / (high - low), 0.0, 1.0))
    ramp[window[-1] + 1 :] = 1.0
    return log_lum - np.float32(high - low) * ramp[:, None]


def _row_medians(values: np.ndarray, where: np.ndarray) -> np.ndarray:
    """Each row's median of ``values`` over the columns ``where`` is set (NaN for none)."""
    return np.array(
        [
            np.median(row[kept]) if kept.any() else np.nan
            for row, kept in zip(values, where, strict=True)
        ]
    )


def above_garment_edge(
    log_lum: np.ndarray, usable: np.ndarray, ink: np.ndarray | None = None
) -> np.ndarray:
    """``usable`` less the rows below the edge of briefs the colour of skin: they pass the
    colour test, but their edge, a step in brightness across the lower part of the region
    that shading cannot make, would be read as shading. Such an edge crosses at least
    :data:`GARMENT_EDGE_SHARE` of a row's skin within :data:`GARMENT_EDGE_BAND` rows, in the
    lowest :data:`GARMENT_EDGE_ROWS` of the region (a band of a bra lies higher). The edges of
    ``ink`` (:func:`ink_lines`: a tattoo's strokes, dark lines with skin on both sides) are no
    garment's."""
    step = np.zeros_like(usable)
    jump = np.abs(log_lum[2:] - log_lum[:-2]) > GARMENT_EDGE_STEP
    skin = usable if ink is None else usable & ~ink
    step[1:-1] = jump & skin[2:] & skin[:-2]
    # A band of rows: the edge is seldom exactly level.
    crossed = cv2.dilate(step.astype(np.uint8), np.ones((GARMENT_EDGE_BAND, 1), np.uint8))
    share = crossed.sum(axis=1) / np.maximum(usable.sum(axis=1), 1)
    first = round((1.0 - GARMENT_EDGE_ROWS) * usable.shape[0])
    edges = np.nonzero(share[first:] >= GARMENT_EDGE_SHARE)[0]
    if edges.size == 0:
        return usable
    kept = usable.copy()
    kept[first + int(edges[0]) :] = False
    return kept


def find_candidates(
    crop: RegionCrop, shading: np.ndarray, marks: np.ndarray | None = None
) -> list[Candidate]:
    """Local maxima of the match to an indentation's shading, over the scales the body
    implies and every light hypothesis; each remembers its hypothesis for pairing. Where
    ``marks`` (skin marks, see :func:`skin_marks`) fill more than :data:`MAX_MARKED_SHARE` of
    the pit's middle, there is no shading to judge."""
    usable = crop.usable
    marked = np.zeros(usable.shape, np.float32) if marks is None else marks.astype(np.float32)
    # Distance to the nearest non-skin pixel: a dimple's whole profile must lie on skin.
    inland = inland_distance(usable)
    # ... and to the nearest one that is not clothing below the skin, on rows that it mostly
    # covers (a waistband; not skin in shadow that the colour test left out): only beyond that
    # must the whole template lie on skin (see CANDIDATE_INLAND_SIGMAS).
    cloth = crop.valid & (crop.person > 0.5) & ~crop.skin
    cloth &= (cloth.mean(axis=1) >= WAISTBAND_ROW_SHARE)[:, None]
    cloth_below = cloth & np.maximum.accumulate(usable, axis=0)
    inland_but_cloth_below = inland_distance(usable | cloth_below)
    # The texture noise is estimated on every few skin pixels (at most NOISE_SAMPLES): as good
    # as on all, and faster.
    noise_pixels = np.flatnonzero(usable)
    noise_pixels = noise_pixels[:: max(1, -(-noise_pixels.size // NOISE_SAMPLES))]
    found: list[np.ndarray] = []
    spectrum = ShadingSpectrum(shading, max(SIGMAS_MM) / crop.mm_per_pixel)
    # Light from below, the last hypothesis, is left out (not computed) unless the light comes
    # from about the camera; the others keep their indices.
    lights = LIGHT_HYPOTHESES if lit_from_the_camera(crop.gradients) else LIGHTS_FROM_ABOVE
    for sigma_mm in SIGMAS_MM:
        sigma_px = sigma_mm / crop.mm_per_pixel
        match = match_indentations(spectrum, sigma_px)
        middle = 2 * round(2.0 * sigma_px) + 1
        marked_share = cv2.blur(marked, (middle, middle))
        unmarked = marked_share <= MAX_MARKED_SHARE
        beside = (inland > NEIGHBOUR_INLAND_SIGMAS * sigma_px) & unmarked
        searched = (inland_but_cloth_below > CANDIDATE_INLAND_SIGMAS * sigma_px) & beside
        # Matches are read only within the rows and columns that hold skin far enough inland
        # (outside them every match is 0, and a peak must reach MIN_CANDIDATE_NCC > 0).
        inside_rows = np.flatnonzero(beside.any(axis=1))
        inside_cols = np.flatnonzero(beside.any(axis=0))
        if inside_rows.size == 0:
            continue
        top, left = int(inside_rows[0]), int(inside_cols[0])
        window = (slice(top, int(inside_rows[-1]) + 1), slice(left, int(inside_cols[-1]) + 1))
        ncc_beside = match.ncc(lights, beside, window)
        ncc = ncc_beside * searched[window][..., None]
        rows, cols, light = local_maxima(ncc, max(2, round(sigma_px)), MIN_CANDIDATE_NCC)
        noise = robust_spread(match.amplitude(lights, noise_pixels).T)
        peak_amplitude = match.amplitude(lights, (rows + top) * usable.shape[1] + cols + left)
        peak_amplitude = peak_amplitude[np.arange(rows.size), light]
        snr = peak_amplitude / noise[light]
        keep = snr >= MIN_CANDIDATE_SNR
        rows, cols, light = rows[keep], cols[keep], light[keep]
        shift = max(1, round(ISOLATION_SHIFT * sigma_px))
        found.append(
            np.column_stack(
                [
                    cols + left,
                    rows + top,
                    np.full(rows.size, sigma_px),
                    ncc[rows, cols, light],
                    snr[keep],
                    implied_depth(peak_amplitude[keep], match.depth_px, light),
                    light,
                    _isolation(ncc_beside, rows, cols, light, shift),
                ]
            )
        )
    if not found:
        return []
    return [
        Candidate(*row[:6], int(row[6]), row[7])
        for row in _suppress_overlaps(np.concatenate(found)).tolist()
    ]


def _isolation(
    ncc: np.ndarray, rows: np.ndarray, cols: np.ndarray, lights: np.ndarray, shift: int
) -> np.ndarray:
    """For peaks of ``ncc`` ``(height, width, lights)``: how much the match falls off
    ``shift`` pixels to either side, above or below (the best of the four over the peak's own
    match), relative to a closed pit's fall-off (:data:`PIT_MATCH_LEFT`), clipped to 0..1.
    Positions beyond ``ncc`` (the crop, or the window of it searched), or where it is 0 (off
    skin, too close to its edge to be matched), do not count; with none left the peak counts
    as isolated."""
    height, width = ncc.shape[:2]
    best = np.zeros(rows.shape, np.float32)
    for d_row, d_col in ((0, -shift), (0, shift), (-shift, 0), (shift, 0)):
        r, c = rows + d_row, cols + d_col
        inside = (r >= 0) & (r < height) & (c >= 0) & (c < width)
        r, c = np.where(inside, r, 0), np.where(inside, c, 0)
        best = np.maximum(best, np.where(inside, ncc[r, c, lights], 0.0))
    falloff = 1.0 - best / ncc[rows, cols, lights]
    return np.clip(falloff / (1.0 - PIT_MATCH_LEFT), 0.0, 1.0)


def _suppress_overlaps(found: np.ndarray) -> np.ndarray:
    """Rows of ``found`` (the columns of :class:`Candidate`) kept when, within one light
    hypothesis, only the best match of candidates closer than their scale is kept; by light,
    then best match first."""
    found = found[np.lexsort((-found[:, 3], found[:, 6]))]
    x, y, sigma, light = found[:, 0], found[:, 1], found[:, 2], found[:, 6]
    # All lights in one matrix (a hundred or so candidates): one set of array operations
    # instead of one per light.
    dx, dy = x[:, None] - x[None, :], y[:, None] - y[None, :]
    near = (dx * dx + dy * dy <= np.maximum(sigma[:, None], sigma[None, :]) ** 2) & (
        light[:, None] == light[None, :]
    )
    # Greedy, best first: each kept candidate removes its later neighbours.
    kept: list[int] = []
    removed = np.zeros(len(found), bool)
    for index in range(len(found)):
        if not removed[index]:
            kept.append(index)
            removed |= near[index]
    return found[kept]
