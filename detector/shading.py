"""Shading and curvature stage: read indentations from the shading of the lower back.

The region over the sacroiliac joints is resampled into an upright crop whose scale is tied to
the body (:data:`PIXELS_PER_HIP_WIDTH`), so dimples of 10-20 mm always span the same few
filter scales. In that crop:

1. illumination is normalised: log luminance (albedo and light intensity become additive)
   minus its large-scale trend (body curvature, uneven light), leaving relative shading;
2. the light direction is estimated from the structure tensor of that shading: under a
   directional light every small relief (muscle, dimple) shades as a dipole along the light,
   so shading gradients line up with it; their isotropy says how frontal the light is;
3. an indentation of scale sigma lit from direction ``l`` shades as a dipole, darker on the
   wall facing away from the light (the upper wall under top light), plus a dark blob from
   ambient occlusion (frontal light). The evidence is the matched response to both,
   ``-sigma * d/dl G_sigma`` and ``sigma^2 * Laplacian G_sigma``, normalised by the texture's
   robust spread, so it reads as a signal-to-noise ratio;
4. candidates are local maxima of that evidence that are blob-like (both Hessian eigenvalues
   of the evidence similar), rejecting lines: the spine groove, the gluteal cleft, waistbands
   and clothing edges.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from skimage.feature import hessian_matrix, hessian_matrix_eigvals, peak_local_max

from detector import anatomy
from detector.pose import BodyFrame

#: Resolution of the canonical crop: pixels per hip width (crops are at most ~320 x 270 px).
PIXELS_PER_HIP_WIDTH = 256.0

#: Dimple profile scales searched (Gaussian sigma, mm): radius 10-20 mm is about 2 sigma.
SIGMAS_MM = (5.0, 7.0, 10.0)

#: Large-scale shading trend removed before looking for dimples (Gaussian sigma, mm).
TREND_SIGMA_MM = 30.0

#: Candidates must stand out this many robust standard deviations above the texture.
MIN_CANDIDATE_SNR = 1.5

#: Fraction of the smaller to the larger Hessian eigenvalue below which a peak is a line.
MIN_ISOTROPY = 0.25


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
    to_image : numpy.ndarray
        ``(2, 3)`` affine map from crop pixels (x, y) to image pixels.
    scale : float
        Crop pixels per hip width.
    """

    grey: np.ndarray
    valid: np.ndarray
    person: np.ndarray
    skin: np.ndarray
    to_image: np.ndarray
    scale: float

    def body_coords(self, xy: np.ndarray) -> np.ndarray:
        """(lateral, height) in hip widths of crop pixels ``(..., 2)``; lateral + is left."""
        xy = np.asarray(xy, dtype=np.float64)
        lateral = anatomy.REGION_HALF_WIDTH - xy[..., 0] / self.scale
        height = anatomy.REGION_ABOVE_HIPS - xy[..., 1] / self.scale
        return np.stack([lateral, height], axis=-1)

    def crop_coords(self, body: np.ndarray) -> np.ndarray:
        """Crop pixels of body coordinates (lateral, height) ``(..., 2)``."""
        body = np.asarray(body, dtype=np.float64)
        x = (anatomy.REGION_HALF_WIDTH - body[..., 0]) * self.scale
        y = (anatomy.REGION_ABOVE_HIPS - body[..., 1]) * self.scale
        return np.stack([x, y], axis=-1)

    def image_coords(self, xy: np.ndarray) -> np.ndarray:
        """Image pixels of crop pixels ``(..., 2)``."""
        xy = np.asarray(xy, dtype=np.float64)
        return xy @ self.to_image[:, :2].T + self.to_image[:, 2]

    @property
    def mm_per_pixel(self) -> float:
        return anatomy.HIP_WIDTH_MM / self.scale

    @property
    def usable(self) -> np.ndarray:
        """Bare skin of the person inside the photo: the only pixels whose shading is read."""
        return self.valid & (self.person > 0.5) & self.skin


def region_corners(frame: BodyFrame) -> np.ndarray:
    """The four image-space corners of the lower-back region ``(4, 2)``."""
    w, below, above = (
        anatomy.REGION_HALF_WIDTH,
        anatomy.REGION_BELOW_HIPS,
        anatomy.REGION_ABOVE_HIPS,
    )
    return np.array(
        [frame.to_image(lat, h) for lat, h in ((w, above), (-w, above), (-w, -below), (w, -below))]
    )


def extract_region(
    rgb: np.ndarray, frame: BodyFrame, person_mask: np.ndarray | None, mask_scale: float = 1.0
) -> RegionCrop:
    """Resample the lower-back region of ``rgb`` into an upright crop at body scale.

    The crop is never upsampled beyond the photo's own resolution by more than 2x, and never
    holds more than :data:`PIXELS_PER_HIP_WIDTH` pixels per hip width.
    """
    scale = float(min(PIXELS_PER_HIP_WIDTH, 2.0 * frame.hip_width))
    width = round(2 * anatomy.REGION_HALF_WIDTH * scale)
    height = round((anatomy.REGION_ABOVE_HIPS + anatomy.REGION_BELOW_HIPS) * scale)
    # Crop pixel (x, y) -> body (lateral, height) -> image.
    top_left = frame.to_image(anatomy.REGION_HALF_WIDTH, anatomy.REGION_ABOVE_HIPS)
    step = frame.hip_width / scale
    to_image = np.column_stack([-frame.left * step, -frame.up * step, top_left])
    flags = cv2.INTER_AREA | cv2.WARP_INVERSE_MAP
    size = (width, height)
    patch = cv2.warpAffine(rgb, to_image, size, flags=flags, borderMode=cv2.BORDER_REPLICATE)
    inside = np.ones(rgb.shape[:2], np.uint8)
    valid = cv2.warpAffine(inside, to_image, size, flags=cv2.INTER_NEAREST | cv2.WARP_INVERSE_MAP)
    if person_mask is not None:
        to_mask = to_image * mask_scale  # the mask may be smaller than the photo
        person = cv2.warpAffine(person_mask.astype(np.float32), to_mask, size, flags=flags)
    else:
        person = np.ones((height, width), np.float32)
    grey = cv2.cvtColor(patch, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    return RegionCrop(
        grey=grey,
        valid=valid.astype(bool),
        person=person,
        skin=skin_pixels(patch),
        to_image=to_image,
        scale=scale,
    )


def skin_pixels(rgb: np.ndarray) -> np.ndarray:
    """Skin-coloured pixels by the YCrCb rule (Chai & Ngan 1999), widened for shade and tone,
    with speckle removed (a morphological opening then closing)."""
    ycrcb = cv2.cvtColor(rgb, cv2.COLOR_RGB2YCrCb)
    luma, cr, cb = ycrcb[..., 0], ycrcb[..., 1], ycrcb[..., 2]
    skin = ((luma > 25) & (cr >= 133) & (cr <= 180) & (cb >= 70) & (cb <= 130)).astype(np.uint8)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))
    skin = cv2.morphologyEx(cv2.morphologyEx(skin, cv2.MORPH_OPEN, kernel), cv2.MORPH_CLOSE, kernel)
    return skin.astype(bool)


def relative_shading(grey: np.ndarray, usable: np.ndarray, scale: float) -> np.ndarray:
    """Log luminance minus its large-scale trend: shading relative to the local skin brightness.

    The trend is a normalised convolution over usable skin only, so clothing, background and
    the photo's border neither leak into it nor create edges; outside usable skin the result
    is 0 (no shading information).
    """
    log_lum = np.log(grey.astype(np.float32) + 1.0 / 64.0)
    weight = usable.astype(np.float32)
    sigma = TREND_SIGMA_MM / anatomy.HIP_WIDTH_MM * scale
    total = cv2.GaussianBlur(log_lum * weight, (0, 0), sigma)
    norm = cv2.GaussianBlur(weight, (0, 0), sigma)
    trend = total / np.maximum(norm, 1e-3)
    return np.where(usable, log_lum - trend, 0.0).astype(np.float32)


@dataclass(frozen=True)
class Light:
    """Estimated light over the region.

    ``direction`` is a unit vector in crop pixels pointing towards the light (up is -y);
    ``directionality`` in [0, 1] is 0 for frontal or diffuse light, 1 for raking light.
    """

    direction: np.ndarray
    directionality: float


def estimate_light(shading: np.ndarray, usable: np.ndarray, sigma_px: float) -> Light:
    """Light direction from the structure tensor of band-passed shading, sign from the prior
    that light comes from above (people photograph backs under ceiling or window light)."""
    smooth = cv2.GaussianBlur(shading, (0, 0), sigma_px)
    gy, gx = np.gradient(smooth)
    weights = usable.astype(np.float32)
    if weights.sum() < 16:
        return Light(direction=np.array([0.0, -1.0]), directionality=0.0)
    jxx = float((gx * gx * weights).sum())
    jyy = float((gy * gy * weights).sum())
    jxy = float((gx * gy * weights).sum())
    eigenvalues, eigenvectors = np.linalg.eigh(np.array([[jxx, jxy], [jxy, jyy]]))
    axis = eigenvectors[:, 1]
    if axis[1] > 0:  # point upwards
        axis = -axis
    total = float(eigenvalues.sum())
    directionality = float((eigenvalues[1] - eigenvalues[0]) / total) if total > 0 else 0.0
    return Light(direction=axis, directionality=directionality)


@dataclass(frozen=True)
class Candidate:
    """A possible dimple in the crop: position, scale, evidence and shading contrast."""

    x: float
    y: float
    sigma_px: float
    snr: float
    contrast: float


def indentation_evidence(
    shading: np.ndarray, usable: np.ndarray, light: Light, sigma_px: float
) -> tuple[np.ndarray, np.ndarray]:
    """Evidence map (SNR units) and raw contrast map for indentations of scale ``sigma_px``.

    The response is the scale-normalised match to the shading an indentation makes: the
    directional derivative away from the light (dark wall towards the light) weighted by the
    light's directionality, plus the dark blob term (ambient occlusion, frontal light).
    """
    smooth = cv2.GaussianBlur(shading, (0, 0), sigma_px)
    gy, gx = np.gradient(smooth)
    towards_light = gx * light.direction[0] + gy * light.direction[1]
    dipole = -sigma_px * towards_light
    blob = sigma_px**2 * cv2.Laplacian(smooth, cv2.CV_32F)
    weight = 0.3 + 0.7 * light.directionality
    contrast = weight * dipole + (1.0 - weight) * blob
    values = contrast[usable]
    if values.size < 16:
        return np.zeros_like(contrast), contrast
    spread = 1.4826 * float(np.median(np.abs(values - np.median(values))))
    spread = max(spread, 1e-4)
    return contrast / spread, contrast


def indentation_candidates(crop: RegionCrop) -> tuple[list[Candidate], Light]:
    """Normalise the region's shading, estimate the light and find indentation candidates."""
    usable = crop.usable
    shading = relative_shading(crop.grey, usable, crop.scale)
    light = estimate_light(shading, usable, sigma_px=crop.scale * 0.03)
    return find_candidates(crop, shading, light), light


def find_candidates(crop: RegionCrop, shading: np.ndarray, light: Light) -> list[Candidate]:
    """Blob-like local maxima of the indentation evidence, over the scales the body implies."""
    usable = crop.usable
    # Distance to the nearest non-skin pixel: a dimple's whole profile must lie on skin.
    # The crop's own border counts as an edge too (filters see replicated pixels beyond it).
    bordered = np.pad(usable, 1).astype(np.uint8)
    inland = cv2.distanceTransform(bordered, cv2.DIST_L2, 3)[1:-1, 1:-1]
    candidates: list[Candidate] = []
    for sigma_mm in SIGMAS_MM:
        sigma_px = sigma_mm / crop.mm_per_pixel
        snr, contrast = indentation_evidence(shading, usable, light, sigma_px)
        masked = np.where(inland > 1.5 * sigma_px, snr, 0.0)
        peaks = peak_local_max(
            masked,
            min_distance=max(2, round(sigma_px)),
            threshold_abs=MIN_CANDIDATE_SNR,
            exclude_border=False,
        )
        if not len(peaks):
            continue
        isotropy = _isotropy(masked, sigma_px)
        for row, col in peaks:
            iso = float(isotropy[row, col])
            if iso < MIN_ISOTROPY:
                continue
            candidates.append(
                Candidate(
                    x=float(col),
                    y=float(row),
                    sigma_px=sigma_px,
                    snr=float(snr[row, col]) * min(1.0, iso / 0.5),
                    contrast=float(contrast[row, col]),
                )
            )
    return _suppress_overlaps(candidates)


def _isotropy(evidence: np.ndarray, sigma_px: float) -> np.ndarray:
    """Ratio of the Hessian eigenvalues of the evidence map: 1 for a round peak, 0 for a ridge."""
    hessian = hessian_matrix(
        evidence, sigma=max(1.0, sigma_px / 2), order="rc", use_gaussian_derivatives=False
    )
    large, small = hessian_matrix_eigvals(hessian)
    # At a maximum both eigenvalues are negative; the one nearer zero is the ridge direction.
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(small < 0, np.clip(large / small, 0.0, 1.0), 0.0)
    return ratio


def _suppress_overlaps(candidates: list[Candidate]) -> list[Candidate]:
    """Keep the strongest candidate among those closer than the larger of their scales."""
    kept: list[Candidate] = []
    for cand in sorted(candidates, key=lambda c: c.snr, reverse=True):
        if all(np.hypot(cand.x - k.x, cand.y - k.y) > max(cand.sigma_px, k.sigma_px) for k in kept):
            kept.append(cand)
    return kept
