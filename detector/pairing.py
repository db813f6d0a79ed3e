"""Pairing: choose the left/right pair of candidates that best fits a pair of dimples.

A pair of dimples of Venus is symmetric about the spine, level, of similar size and strength,
sits over the sacroiliac joints (a little above the hip line, roughly halfway between the
midline and each hip) and is spaced as the pelvis allows (11.3 +- 1.1 cm apart in adults,
see :mod:`detector.anatomy`). Both dimples must be explained by the same light. The pair
evidence is the geometric mean of the two candidates' shape match (NCC) and saturated SNR,
times a factor for a physically plausible depth, times how isolated both matches are (closed
pits, not bands or grooves), times the symmetry and anatomy priors; the
score is a logistic calibration of it (scripts/calibrate.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from detector import anatomy
from detector.shading import LIGHT_HYPOTHESES, Candidate, RegionCrop

#: Tolerances of the symmetry and anatomy priors, in hip widths.
LEVEL_TOLERANCE = 0.10
MIDLINE_TOLERANCE = 0.25
SPACING_TOLERANCE = 0.14
HEIGHT_TOLERANCE = 0.25

#: Logistic calibration of the pair evidence into a 0..1 score (score 0.5 at EVIDENCE_AT_HALF),
#: fitted on the full-body benchmark renders by scripts/calibrate.py. Since the fit, the
#: isolation test, the scales and the light hypotheses changed; a refit after them (0.0485,
#: 50.7, with DEPTH_PER_CONTRAST_MM 2.40) lowered the benchmark's accuracy (0.891 -> 0.880)
#: and left the held-out set's unchanged (0.880), so these stay: a likelihood fit does not
#: maximise accuracy.
EVIDENCE_AT_HALF = 0.0593
EVIDENCE_SLOPE = 37.4

#: Calibration of the shading-amplitude depth into millimetres (light intensity and
#: elevation are unknown, so the fit is scaled on renders of known depth). This absolute
#: estimate only gates the evidence (FULL_DEPTH_MM).
DEPTH_PER_CONTRAST_MM = 3.13
#: The reported depth combines two estimates of the pit's relief, from which the light's
#: strength and direction cancel in different ways: its match times its contrast over the
#: texture of the same photo (saturating at RELIEF_SNR_CAP), and, weighted by
#: LIGHT_RELATIVE_WEIGHT (an exponent), its fitted shading amplitude over how steeply the same
#: light shades the lower back as a whole (the magnitude of :func:`shading_gradients` across
#: and up the back, at least MIN_LIGHT_GRADIENT per hip width: under light from about the
#: camera it is near 0). The first is fooled by rough or smooth skin, the second by the body's
#: own curvature. A pit matched under frontal light shades in the second order: its amplitude
#: reads several times a directional match's at the same depth, its contrast over the texture
#: less, so its light-relative contrast is scaled by FRONTAL_CONTRAST_SCALE, which gives both
#: kinds the same median reported depth per millimetre of true depth.
#:
#: The gradients are fitted over a band of heights about the pair's expected height
#: (:attr:`PairPrior.light_band`): LIGHT_BAND, the pose's whole region, or in a fallback's
#: region, which spans the torso, FALLBACK_LIGHT_BAND, from that height up (a close-up's rows
#: below the pair are the tops of the buttocks, whose own curvature sets their shading at that
#: resolution). Where too little bare skin lies there to fit them, TYPICAL_LIGHT_GRADIENT (the
#: benchmark's median) stands in. DEPTH_PER_RELIEF_MM makes the depth millimetres; it and
#: FRONTAL_CONTRAST_SCALE are fitted by scripts/calibrate.py. scripts/MEASUREMENTS.md has the
#: figures.
DEPTH_PER_RELIEF_MM = 0.758
RELIEF_SNR_CAP = 12.0
LIGHT_RELATIVE_WEIGHT = 0.4
FRONTAL_CONTRAST_SCALE = 0.42
MIN_LIGHT_GRADIENT = 0.05
TYPICAL_LIGHT_GRADIENT = 0.18
LIGHT_BAND = (-0.6, 0.5)
FALLBACK_LIGHT_BAND = (0.0, 0.5)
#: A candidate's SNR counts fully in the pair strength from this level up.
SNR_SATURATION = 4.0
#: Estimated depth (mm) from which a pair counts fully: shallower shading is as likely to be
#: skin relief, however well it matches the template and however clean the photo.
FULL_DEPTH_MM = 2.0


@dataclass(frozen=True)
class PairedDimple:
    """One dimple of the chosen pair, in crop pixels, with its depth estimate."""

    candidate: Candidate
    depth_mm: float


@dataclass(frozen=True)
class PairResult:
    """The best pair (left, right), its evidence and symmetry, and the millimetres per crop
    pixel its candidates are measured in; its depth, confidence and score follow from them."""

    left: PairedDimple | None
    right: PairedDimple | None
    evidence: float
    symmetry: float | None
    mm_per_pixel: float

    @property
    def depth_mm(self) -> float:
        """The pair's reported depth: the mean of its two dimples' (0 without a pair)."""
        if self.left is None or self.right is None:
            return 0.0
        return (self.left.depth_mm + self.right.depth_mm) / 2

    @property
    def confidence(self) -> float:
        """How sure the pairing is that the pair is real: :func:`score_from_evidence`."""
        return score_from_evidence(self.evidence)

    @property
    def score(self) -> float:
        """The reported score: :func:`pair_score`."""
        return pair_score(self.evidence, self.depth_mm)

    @property
    def present(self) -> bool:
        """Whether the pair is claimed: a score of at least 0.5."""
        return self.score >= 0.5


#: A claimed pair's score is 1 - exp(-visibility / SCORE_VISIBILITY_MM) / 2 of its visibility:
#: its reported depth (mm) times the square root of its evidence over EVIDENCE_AT_HALF. The
#: benchmark's claimed pairs have a visibility of 3-26 mm (10th to 90th percentile, median 11),
#: so scores of 0.64-0.98 (median 0.88).
SCORE_VISIBILITY_MM = 8.0


def score_from_evidence(evidence: float) -> float:
    """Logistic calibration of pair evidence into a monotone 0..1 confidence that the pair is
    real (0.5 at EVIDENCE_AT_HALF)."""
    return 1.0 / (1.0 + math.exp(-EVIDENCE_SLOPE * (evidence - EVIDENCE_AT_HALF)))


def pair_score(evidence: float, depth_mm: float) -> float:
    """The reported score: below 0.5, where no pair is claimed, the evidence's confidence
    (:func:`score_from_evidence`); from 0.5 up, for a claimed pair, a rise with its reported
    depth ``depth_mm`` and, less, with its evidence. Past the line the evidence alone orders
    pairs by how sure the match is, which says little about how deep they are; with the depth
    the score follows the true depth better (Spearman among the positives, all framings, when
    it was introduced: benchmark 0.59 -> 0.64, held out 0.71 -> 0.77, seven render sets
    weighted by size 0.62 -> 0.66; the reported depth alone did as well on the first two and
    worse under soft and flash light), while which pairs are claimed does not change."""
    if evidence < EVIDENCE_AT_HALF:
        return score_from_evidence(evidence)
    visibility = max(depth_mm, 0.0) * math.sqrt(evidence / EVIDENCE_AT_HALF)
    return 1.0 - 0.5 * math.exp(-visibility / SCORE_VISIBILITY_MM)


def reported_depth_mm(
    candidate: Candidate, mm_per_pixel: float, light_gradient: float | None
) -> float:
    """The depth reported for a dimple (see DEPTH_PER_RELIEF_MM), in a crop of
    ``mm_per_pixel`` whose lower back the light shades by ``light_gradient`` (log luminance
    per hip width; None: unknown)."""
    relief = candidate.ncc * min(candidate.snr, RELIEF_SNR_CAP)
    # The fitted amplitude, as a depth under the match's light hypothesis, over the light's.
    amplitude = max(candidate.depth_px * mm_per_pixel, 0.0)
    if LIGHT_HYPOTHESES[candidate.light].frontal:
        amplitude *= FRONTAL_CONTRAST_SCALE
    if light_gradient is None:
        light_gradient = TYPICAL_LIGHT_GRADIENT
    contrast = amplitude / max(light_gradient, MIN_LIGHT_GRADIENT)
    return DEPTH_PER_RELIEF_MM * relief * contrast**LIGHT_RELATIVE_WEIGHT


def depth_estimate_mm(candidate: Candidate, mm_per_pixel: float) -> float:
    """Depth from shading: the fitted template amplitude times the template's depth."""
    return max(0.0, DEPTH_PER_CONTRAST_MM * candidate.depth_px * mm_per_pixel)


@dataclass(frozen=True)
class PairPrior:
    """Where the pair is expected, in hip widths above the region's base line: a Gaussian
    (centre, tolerance) inside a hard range; the band of heights about the centre where the
    light's shading of the back is read (see DEPTH_PER_RELIEF_MM); and how far the crop's own
    frame is trusted. With ``level_in_photo``, a pair level in the photo counts as level too,
    whatever the crop's tilt. Each dimple lies within the lateral range
    (:data:`anatomy.DIMPLE_HALF_SPACING_RANGE`) on its own side of the midline; with
    ``midline_uncertainty`` (hip widths), for a midline known only roughly, each lies within the
    range's outer bound, half the pair's spacing within the range and its midpoint within that
    distance of the midline."""

    centre: float
    tolerance: float
    lowest: float
    highest: float
    light_band: tuple[float, float] = LIGHT_BAND
    level_in_photo: bool = False
    midline_uncertainty: float | None = None

    def raised(self, base: float) -> PairPrior:
        """The same prior for a base line ``base`` hip widths above the region's."""
        return replace(
            self, centre=self.centre + base, lowest=self.lowest + base, highest=self.highest + base
        )


#: Base line = the hip landmarks' line (pose stage).
HIPS_PAIR_PRIOR = PairPrior(anatomy.DIMPLE_HEIGHT, HEIGHT_TOLERANCE, *anatomy.DIMPLE_HEIGHT_RANGE)
#: Base line = the hip landmarks' line of a photo that cuts the legs off: the pose model then
#: places the hips higher and closer together, and on the full-body renders cut at the thighs
#: the dimples lie from 0.46 below that line to 0.70 above it (5th to 95th percentile; median
#: 0.34-0.41, against 0.45-0.71 and 0.58 with the legs in view). On those renders this prior
#: with the region reaching 0.7 below the hips took the AUC from 0.83 to 0.90 (cut at the
#: upper thighs) and from 0.70 to 0.83 (cut at the buttocks' crease); held out 0.84 to 0.92
#: and 0.85 to 0.91.
LEGS_CUT_PAIR_PRIOR = PairPrior(0.35, 0.4, -0.5, 0.9)
#: How far the fallback's pair may be centred off its midline (hip widths; the pose path's
#: dimples each lie on their own side of it). The middle of the torso's outline lies 0.055-0.064
#: hip widths from the spine at the median on the fallback's close-up renders, 0.11-0.12 at
#: the 90th percentile, and up to 0.22 where an arm touches one flank down its length.
FALLBACK_MIDLINE_UNCERTAINTY = 0.25
#: Base line = the bottom of the bare torso (fallback): a waistband, the buttocks' crease or
#: the photo's edge; the dimples sit a little above it, just above the gluteal cleft.
#:
#: The fallback's crop turns by a tilt read from the torso's outline (a phone held askew),
#: which a body turned from the camera or an arm against one side makes asymmetric: every tilt
#: of 10 degrees or more found on the upright close-up renders (benchmark, without clothing,
#: turned; 8 of 150) was spurious, their pairs level in the photo, and the outline's symmetry
#: gain (a median 0.052 of its area) does not tell them from real 10-degree tilts (0.058). So a
#: pair level in the photo counts as level too: turned close-ups (render.py --variant turned)
#: 0.825 -> 0.875 and 0.848 -> 0.848, accuracy 0.71 -> 0.79 and 0.64 -> 0.71; the benchmark's
#: close-ups, those without clothing, torsos from the shoulders to the thighs (0.865 -> 0.860)
#: and the real photos otherwise as they were.
SKIN_BOTTOM_PAIR_PRIOR = PairPrior(
    anatomy.DIMPLE_HEIGHT_ABOVE_SKIN_BOTTOM,
    0.35,
    0.0,
    2.0,
    light_band=FALLBACK_LIGHT_BAND,
    level_in_photo=True,
    midline_uncertainty=FALLBACK_MIDLINE_UNCERTAINTY,
)
#: Base line = the top of the gluteal cleft (fallback, where the bare skin runs off the photo's
#: bottom). On 64 close-up renders without clothing (``scripts/render.py --nude``) it took the
#: AUC of the judged ones from 0.79 (with the bare skin's bottom, the photo's edge, as base) to
#: 0.89; on 64 held out from 0.90 to 0.95. The dimples lie 0.12-0.56 hip widths above the cleft
#: top it finds (5th to 95th percentile over 80 such close-ups; up to 0.88, where the cleft
#: shows only low between the buttocks): searched up to 0.9 above it (0.6 before), 64 more
#: close-ups held out went from 0.964 to 0.977.
CLEFT_TOP_PAIR_PRIOR = replace(
    SKIN_BOTTOM_PAIR_PRIOR,
    centre=anatomy.DIMPLE_HEIGHT_ABOVE_CLEFT_TOP,
    tolerance=0.25,
    lowest=0.0,
    highest=0.9,
)


def best_pair(
    candidates: list[Candidate], crop: RegionCrop, prior: PairPrior = HIPS_PAIR_PRIOR
) -> PairResult:
    """The pair of candidates, one each side of the midline, with the highest evidence, placed
    as ``prior`` (:class:`PairPrior`) expects it."""
    xy = np.array([(c.x, c.y) for c in candidates]).reshape(-1, 2)
    body = crop.body_coords(xy).tolist()
    # Heights down the photo, in hip widths (None: the level is judged in the crop only).
    photo_heights = (
        (crop.image_coords(xy)[:, 1] / (crop.scale * crop.photo_px_per_pixel)).tolist()
        if prior.level_in_photo
        else [None] * len(candidates)
    )
    lo, hi = anatomy.DIMPLE_HALF_SPACING_RANGE
    h_lo, h_hi = prior.lowest, prior.highest
    # Every dimple within the lateral range's outer bound (so half a pair's spacing is too).
    placed = [
        (cand, lateral, height, down)
        for cand, (lateral, height), down in zip(candidates, body, photo_heights, strict=True)
        if abs(lateral) <= hi and h_lo <= height <= h_hi
    ]
    lateral = np.array([p[1] for p in placed]).reshape(-1, 1)
    if prior.midline_uncertainty is None:
        left_side, right_side = lateral >= lo, lateral <= -lo
        pairable = left_side & right_side.T
    else:
        half, middle = (lateral - lateral.T) / 2, (lateral + lateral.T) / 2
        pairable = (half >= lo) & (np.abs(middle) <= prior.midline_uncertainty)
    # Both dimples are lit by the same light. Also pairing the neighbouring azimuths (30
    # degrees apart) claimed more backs without dimples (full-body precision 0.99 -> 0.96, AUC
    # 0.942 -> 0.934; 0.938 with such pairs' evidence x 0.75), held out AUC 0.953 -> 0.950.
    light = np.array([p[0].light for p in placed]).reshape(-1, 1)
    pairable &= light == light.T
    best: tuple[float, float, tuple | None, tuple | None] = (0.0, 0.0, None, None)
    for i, j in zip(*np.nonzero(pairable), strict=True):
        left, right = placed[i], placed[j]
        evidence, symmetry = _pair_evidence(left, right, crop.mm_per_pixel, prior)
        if evidence > best[0]:
            best = (evidence, symmetry, left, right)
    evidence, symmetry, left, right = best
    if left is None or right is None:
        return PairResult(
            left=None,
            right=None,
            evidence=0.0,
            symmetry=None,
            mm_per_pixel=crop.mm_per_pixel,
        )
    low, high = prior.light_band
    band = (prior.centre + low, prior.centre + high)
    gradients = crop.gradients_within(band)
    light_gradient = None if gradients is None else math.hypot(*gradients)
    return PairResult(
        left=PairedDimple(left[0], reported_depth_mm(left[0], crop.mm_per_pixel, light_gradient)),
        right=PairedDimple(
            right[0], reported_depth_mm(right[0], crop.mm_per_pixel, light_gradient)
        ),
        evidence=evidence,
        symmetry=symmetry,
        mm_per_pixel=crop.mm_per_pixel,
    )


def _pair_evidence(
    left: tuple[Candidate, float, float, float | None],
    right: tuple[Candidate, float, float, float | None],
    mm_per_pixel: float,
    prior: PairPrior,
) -> tuple[float, float]:
    """Evidence of one pair and its symmetry (0..1); each side is ``(candidate, lateral,
    height, height down the photo or None)``."""
    cand_l, lat_l, h_l, down_l = left
    cand_r, lat_r, h_r, down_r = right
    depth = (depth_estimate_mm(cand_l, mm_per_pixel) + depth_estimate_mm(cand_r, mm_per_pixel)) / 2
    strength = math.sqrt(cand_l.ncc * cand_r.ncc) * math.sqrt(
        min(cand_l.snr, SNR_SATURATION) * min(cand_r.snr, SNR_SATURATION) / SNR_SATURATION**2
    )
    balance = min(cand_l.snr, cand_r.snr) / max(cand_l.snr, cand_r.snr)
    size_match = math.exp(-abs(math.log(cand_l.sigma_px / cand_r.sigma_px)))
    level = ((h_l - h_r) / LEVEL_TOLERANCE) ** 2
    if down_l is not None and down_r is not None:
        level = min(level, ((down_l - down_r) / LEVEL_TOLERANCE) ** 2)
    centred = ((lat_l + lat_r) / MIDLINE_TOLERANCE) ** 2
    symmetry = math.exp(-0.5 * (level + centred)) * math.sqrt(balance) * size_match
    spacing = ((lat_l - lat_r) / 2 - anatomy.DIMPLE_HALF_SPACING) / (SPACING_TOLERANCE / 2)
    height = ((h_l + h_r) / 2 - prior.centre) / prior.tolerance
    anatomy_prior = math.exp(-0.5 * (spacing**2 + height**2))
    depth_factor = min(1.0, depth / FULL_DEPTH_MM)
    # Both must be closed pits: a band that matches all along (where the back turns into the
    # buttocks under top light) or a groove between muscles is no dimple. (Their geometric
    # mean, kinder to shallow pits in noise, took the full-body AUC from 0.942 to 0.920.)
    isolation = cand_l.isolation * cand_r.isolation
    return strength * depth_factor * isolation * symmetry * anatomy_prior, symmetry
