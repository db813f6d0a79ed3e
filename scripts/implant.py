"""Shade a pair of dimples into real photos of bare backs: recall on real skin, semi-synthetic.

    python scripts/implant.py ../shared/data --labels ../shared/data/labels.json

No labelled real photo with visible dimples exists, so this measures how deep a pair must be
for the detector to see it through real skin, light, noise and JPEG. For every photo whose
lower back is labelled ``bare`` and that the detector judges through the pose stage, a pair of
Gaussian indentations (``--radius`` half-depth radius, ``--depths`` deep) is shaded into it at
the anatomical position in the detector's own body frame (0.28 hip widths either side of the
spine, 0.55 above the hip line): Lambert's law in linear light, under the light the detector
estimated for the photo (its elevation kept below 70 degrees) and under a light from above
(35 degrees), with a share of ambient light that the indentation does not shade. Each photo
is saved again as a JPEG at quality 92 (depth 0: the original so re-saved) and judged.

The indentation's shading follows the same model as the detector's templates, so the figures
are an upper bound for real dimples, whose profile and light are less regular; what they
test is the skin: its texture, noise and marks, and the region and calibration on real
photos.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from rendering.shading import linear_to_srgb, srgb_to_linear

from detector import Detector, anatomy, load_image
from detector.pose import BodyFrame
from detector.report import Geometry
from detector.shading import LightHypothesis

#: Share of the light that is ambient (not shaded by the indentation's slopes).
AMBIENT = 0.3
#: Elevation (from the camera axis) the estimated light is kept below: towards 90 degrees a
#: directional light grazes the skin and the shading of flat skin, the reference, vanishes.
MAX_ELEVATION_DEG = 70.0
#: The second light: from above, at this elevation.
TOP_LIGHT = (0.0, 35.0)
JPEG_QUALITY = 92


def frame_from_geometry(geometry: Geometry) -> BodyFrame:
    """The body frame of a pose-stage report's region: its corners span
    :data:`detector.anatomy.REGION_HALF_WIDTH` either side of the spine, its midline runs up to
    :data:`detector.anatomy.REGION_ABOVE_HIPS` above the hip line (and further below it when
    the legs are cut off)."""
    corners, midline = geometry.region_corners, geometry.midline
    across = corners[0] - corners[1]  # from the person's right edge to the left one
    hip_width = float(np.linalg.norm(across)) / (2.0 * anatomy.REGION_HALF_WIDTH)
    up = (midline[1] - midline[0]) / np.linalg.norm(midline[1] - midline[0])
    origin = midline[1] - anatomy.REGION_ABOVE_HIPS * hip_width * up
    return BodyFrame(
        origin=origin, up=up, left=across / np.linalg.norm(across), hip_width=hip_width
    )


def shading_ratio(
    shape: tuple[int, int],
    centres: np.ndarray,
    sigma_px: float,
    depth_px: float,
    light: np.ndarray,
    ambient: float = AMBIENT,
) -> np.ndarray:
    """How Gaussian indentations (``depth_px`` deep, ``sigma_px`` wide, at image ``centres``
    ``(n, 2)``) change the light that flat skin facing the camera receives: Lambert's law
    under ``light`` (a unit vector towards it in image right, image up and towards the
    camera: :meth:`detector.shading.LightHypothesis.vector`) plus ``ambient``, over that of
    flat skin;
    ``(height, width)``, 1 away from them."""
    rows, cols = np.mgrid[0 : shape[0], 0 : shape[1]].astype(np.float64)
    height = np.zeros(shape)
    for x, y in centres:
        height -= depth_px * np.exp(-((cols - x) ** 2 + (rows - y) ** 2) / (2.0 * sigma_px**2))
    slope_down, slope_right = np.gradient(height)
    # Normals in (right, up, towards the camera): the image's rows run down.
    normal = np.stack([-slope_right, slope_down, np.ones(shape)], axis=-1)
    normal /= np.linalg.norm(normal, axis=-1, keepdims=True)
    direct = np.maximum(normal @ light, 0.0) / light[2]
    return ambient + (1.0 - ambient) * direct


def shaded(rgb: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """``rgb`` (uint8 sRGB) with its linear light multiplied by ``ratio``."""
    linear = srgb_to_linear(rgb / 255.0) * ratio[..., None]
    return np.round(255.0 * linear_to_srgb(linear)).astype(np.uint8)


def implanted(
    rgb: np.ndarray, frame: BodyFrame, depth_mm: float, radius_mm: float, light: np.ndarray
) -> np.ndarray:
    """``rgb`` with a pair of dimples ``depth_mm`` deep shaded in at the anatomical position
    of ``frame``."""
    px_per_mm = frame.hip_width / anatomy.HIP_WIDTH_MM
    centres = np.array(
        [
            frame.to_image(side * anatomy.DIMPLE_HALF_SPACING, anatomy.DIMPLE_HEIGHT)
            for side in (1.0, -1.0)
        ]
    )
    # A half-depth radius is 1.18 sigma (see detector.shading.SIGMAS_MM).
    ratio = shading_ratio(
        rgb.shape[:2], centres, radius_mm / 1.18 * px_per_mm, depth_mm * px_per_mm, light
    )
    return shaded(rgb, ratio)


def _resaved(rgb: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(
        ".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY]
    )
    if not ok:
        raise ValueError("JPEG encoding failed")
    return encoded.tobytes()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--labels", type=Path, required=True)
    parser.add_argument("--depths", default="0,1,2,3,4,6", help="comma-separated, mm")
    parser.add_argument("--radius", type=float, default=15.0, help="half-depth radius, mm")
    parser.add_argument("--out", type=Path, help="JSON with every photo's scores")
    args = parser.parse_args(argv)
    depths = [float(d) for d in args.depths.split(",")]
    entries = [
        e for e in json.loads(args.labels.read_text())["images"] if e["lower_back"] == "bare"
    ]
    rows = []
    with Detector() as detector:
        for entry in entries:
            rgb = load_image(args.folder / entry["file"]).rgb
            report = detector.detect(rgb)
            if report.status != "ok" or report.region.method != "pose":
                continue
            frame = frame_from_geometry(report.geometry)
            estimated = report.light
            # The report's azimuth turns towards the person's right, the image's right in a
            # back view, as a LightHypothesis's does.
            lights = {"top": LightHypothesis(*TOP_LIGHT).vector()}
            if estimated is not None:
                elevation = min(estimated.elevation_deg, MAX_ELEVATION_DEG)
                lights["estimated"] = LightHypothesis(estimated.azimuth_deg, elevation).vector()
            scores = {}
            for name, light in lights.items():
                for depth in depths:
                    photo = implanted(rgb, frame, depth, args.radius, light) if depth else rgb
                    judged = detector.detect(_resaved(photo))
                    scores[f"{name} {depth:g} mm"] = (
                        judged.score if judged.status == "ok" else judged.status
                    )
            rows.append({"file": entry["file"], "scores": scores})
            print(entry["file"], json.dumps(scores))
    print(f"\n{len(rows)} photos with a bare lower back judged through the pose stage")
    for name in ("top", "estimated"):
        for depth in depths:
            key = f"{name} {depth:g} mm"
            values = [r["scores"][key] for r in rows if key in r["scores"]]
            found = sum(isinstance(v, float) and v >= 0.5 for v in values)
            judged = sorted(v for v in values if isinstance(v, float))
            median = f"{np.median(judged):.2f}" if judged else "-"
            print(f"  {key:>20}: present {found} of {len(values)}, median score {median}")
    if args.out:
        args.out.write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
