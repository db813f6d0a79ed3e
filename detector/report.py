"""Report stage: the `dimples/1` report, its prominence grade and its message for a person."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np

SCHEMA = "dimples/1"
#: Decimals of the reported score: enough to keep its ranking among confident pairs. At 4,
#: half the benchmark renders with dimples tied at 0.9999-1.0, which threw away how strongly
#: they matched (Spearman with the true depth on the held-out renders: 0.675 at 4 decimals,
#: 0.703 at 6, 0.711 unrounded).
SCORE_DECIMALS = 6

Status = Literal["ok", "no_person", "not_back_view", "region_not_visible", "low_quality", "error"]
Prominence = Literal["none", "subtle", "moderate", "pronounced"]

#: Estimated depth (mm) where the grade moves up: subtle < 2.5 <= moderate < 5 <= pronounced.
MODERATE_DEPTH_MM = 2.5
PRONOUNCED_DEPTH_MM = 5.0
#: depth_index is the estimated depth divided by this, capped at 1.
DEPTH_INDEX_FULL_MM = 8.0

ABSENCE_NOTE = (
    "A photo cannot prove that dimples are absent: subcutaneous fat can hide the ligament that "
    "makes them. Lower body fat and lower-back and glute training make existing dimples more "
    "visible; no exercise creates them where the anatomy is missing."
)


@dataclass(frozen=True)
class Dimple:
    """One dimple: the person's anatomical side, centre and radius in image pixels, depth index."""

    side: Literal["left", "right"]
    x: float
    y: float
    radius: float
    depth_index: float


@dataclass(frozen=True)
class LightEstimate:
    """Where the light on the lower back comes from, read from the back's large-scale
    shading: ``azimuth_deg`` from the head end of the spine (0) towards the person's right
    (+90) or left (-90), ``elevation_deg`` the angle from the camera's axis (0: from the
    camera). ``gradients`` are the shading slopes it was read from (across, up; see
    :func:`detector.shading.shading_gradients`): not reported, kept for calibration."""

    azimuth_deg: float
    elevation_deg: float
    gradients: tuple[float, float] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, float]:
        """The reported keys (:data:`LIGHT_KEYS`), to a tenth of a degree."""
        return {key: round(getattr(self, key), 1) for key in LIGHT_KEYS}


#: The keys of the report's ``light``.
LIGHT_KEYS = ("azimuth_deg", "elevation_deg")


@dataclass(frozen=True)
class Region:
    """Axis-aligned box around the searched region, in image pixels, and how it was found."""

    x: int
    y: int
    width: int
    height: int
    method: Literal["pose", "fallback"]


@dataclass(frozen=True)
class Geometry:
    """What the overlay draws beyond the report's keys: region outline and midline (image px)."""

    region_corners: np.ndarray
    midline: np.ndarray


@dataclass(frozen=True)
class DimpleReport:
    """The detector's answer for one image (schema ``dimples/1``).

    ``to_dict()`` gives the JSON-ready report; ``status`` says whether the photo could be
    judged, ``present`` / ``score`` / ``prominence`` answer when it could.
    """

    status: Status
    message: str
    image: dict[str, int]
    source: str | None = None
    present: bool | None = None
    score: float | None = None
    prominence: Prominence | None = None
    dimples: list[Dimple] = field(default_factory=list)
    symmetry: float | None = None
    region: Region | None = None
    people: int = 0
    light: LightEstimate | None = None
    geometry: Geometry | None = field(default=None, repr=False, compare=False)
    pixels: np.ndarray | None = field(default=None, repr=False, compare=False)

    schema: str = SCHEMA

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready values, schema ``dimples/1``."""
        return {
            "schema": self.schema,
            "source": self.source,
            "status": self.status,
            "present": self.present,
            "score": None if self.score is None else round(self.score, SCORE_DECIMALS),
            "prominence": self.prominence,
            "dimples": [
                {k: round(v, 2) if isinstance(v, float) else v for k, v in asdict(d).items()}
                for d in self.dimples
            ],
            "symmetry": None if self.symmetry is None else round(self.symmetry, 4),
            "region": None if self.region is None else asdict(self.region),
            "image": dict(self.image),
            "people": self.people,
            "light": None if self.light is None else self.light.to_dict(),
            "message": self.message,
        }

    def to_json(self, indent: int | None = 2) -> str:
        """The report as a JSON string."""
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def plot(self, figure: bool = False) -> Any:
        """The photo with the result drawn: an RGB array, or a matplotlib Figure with
        ``figure=True``.

        Examples
        --------
        >>> report = detect("sample_images/back_pronounced.jpg")   # doctest: +SKIP
        >>> report.plot(figure=True).savefig("result.png")         # doctest: +SKIP
        """
        from detector.overlay import draw_overlay

        drawn = draw_overlay(self._require_pixels(), self)
        if not figure:
            return drawn
        from matplotlib.figure import Figure

        fig = Figure(figsize=(drawn.shape[1] / 100, drawn.shape[0] / 100), dpi=100)
        axes = fig.add_axes((0, 0, 1, 1))
        axes.imshow(drawn)
        axes.set_axis_off()
        return fig

    def save_overlay(self, path: str) -> None:
        """Write the photo with the region, midline, dimples and grade drawn (PNG, JPEG...)."""
        from detector.overlay import save_overlay

        save_overlay(self._require_pixels(), self, path)

    def _require_pixels(self) -> np.ndarray:
        """The analysed image: kept in the report, else read again from its source."""
        if self.pixels is not None:
            return self.pixels
        if self.source is None:
            raise ValueError("this report carries no image and has no source to read it from")
        from detector.loading import load_image

        return load_image(self.source).rgb

    def summary(self) -> str:
        """A short human summary: one line of verdict and the message."""
        if self.status != "ok":
            return f"{self.status}: {self.message}"
        verdict = "dimples visible" if self.present else "no dimples visible"
        return f"{verdict} (prominence {self.prominence}, score {self.score:.2f}). {self.message}"


#: Below this confidence (the pairing's, 0.5 where a pair is first claimed) a visible pair is
#: graded subtle whatever its depth estimate: a pair that is barely distinguishable from skin
#: relief is, by definition, not prominent.
CONFIDENT = 0.75


def prominence_grade(present: bool, depth_mm: float, confidence: float = 1.0) -> Prominence:
    """Grade from the estimated depth of a visible pair; ``none`` when none is visible."""
    if not present:
        return "none"
    if confidence < CONFIDENT:
        return "subtle"
    if depth_mm >= PRONOUNCED_DEPTH_MM:
        return "pronounced"
    if depth_mm >= MODERATE_DEPTH_MM:
        return "moderate"
    return "subtle"


def depth_index(depth_mm: float) -> float:
    """Depth estimate as a 0..1 index (1 means about 8 mm or deeper)."""
    return float(min(1.0, max(0.0, depth_mm / DEPTH_INDEX_FULL_MM)))


#: Added where no dimples show and the light comes from about the camera: its light reaches the
#: pits' walls almost head-on and shades them least. On 960 fresh whole-body renders, 15 of the 45
#: backs judged without dimples so lit have them (74 of 356 under other light).
FRONTAL_LIGHT_NOTE = (
    "The light seems to come from about the camera's direction, which hides shallow dimples: a "
    "photo lit from the side or from above shows them better."
)


#: Added where no dimples show on a back found without a skeleton whose bare skin ends at
#: clothing: the search is then just above the band, and a band worn high over the dimples
#: cannot be told from one below them (of 92 close-up renders with the band 2-10 cm above the
#: dimples, 74 were judged without dimples).
CLOTHING_BELOW_NOTE = (
    "The bare skin ends at clothing here: if the waistband covers the dimples, take the photo "
    "with the lower back bare down to the top of the buttocks."
)


def ok_message(
    prominence: Prominence, frontal_light: bool = False, clothing_below: bool = False
) -> str:
    """The message for a judged photo; ``frontal_light``: the back is lit from about the
    camera (:func:`detector.shading.lit_from_the_camera`); ``clothing_below``: a back found
    without a skeleton whose bare skin ends at clothing."""
    if prominence == "none":
        notes = [
            note
            for note, applies in (
                (FRONTAL_LIGHT_NOTE, frontal_light),
                (CLOTHING_BELOW_NOTE, clothing_below),
            )
            if applies
        ]
        return " ".join(["No dimples of Venus are visible in this photo.", *notes, ABSENCE_NOTE])
    if prominence == "subtle":
        return (
            "Faint dimples of Venus are visible over the sacroiliac joints. Lower body fat and "
            "lower-back and glute training can make them more visible."
        )
    return (
        f"Dimples of Venus are visible ({prominence}): two symmetric indentations over the "
        "sacroiliac joints."
    )


#: Messages for photos that could not be judged: what went wrong and what photo would work.
STATUS_MESSAGES: dict[str, str] = {
    "no_person": (
        "No person was found. Take the photo from behind with the back, from shoulders to "
        "hips, in frame."
    ),
    "not_back_view": (
        "The person seems to face the camera or stand side-on. Take the photo from behind, "
        "with the back square to the camera."
    ),
    "region_not_visible": (
        "The lower back over the sacroiliac joints is covered or out of frame. Take the photo "
        "with the lower back bare down to the top of the buttocks."
    ),
    "dark_cover": (
        "The lower back over the sacroiliac joints is covered by dark clothing or lies in deep "
        "shadow. Take the photo with the lower back bare down to the top of the buttocks, in "
        "light that reaches all of it."
    ),
    "side_on": (
        "The person stands side-on, so the lower back over the sacroiliac joints faces away "
        "from the camera. Take the photo from behind, with the back square to the camera."
    ),
    "out_of_frame": (
        "The lower back over the sacroiliac joints is out of frame. Take the photo with the "
        "whole lower back in view, down to the top of the buttocks."
    ),
    "hands_cover": (
        "The hands or arms cover the lower back. Take the photo with the arms at the sides or "
        "raised, and the lower back bare down to the top of the buttocks."
    ),
    "too_small": (
        "The back is too small in this photo to judge. Take the photo closer, so the back fills "
        "more of the frame."
    ),
    "tiny": (
        "The photo is too small to judge. Use the original photo (at least a few hundred "
        "pixels on each side), not a thumbnail."
    ),
    "too_blurred": (
        "The photo is too blurred around the lower back to judge. Hold the camera still, let "
        "it focus on the back, and use more light so the shutter can be fast."
    ),
    "monochrome": (
        "This is a black-and-white or toned photo: without colour, bare skin cannot be told "
        "from clothing. Use the colour original."
    ),
    "too_dark": (
        "The lower back is too dark to judge. Take the photo in brighter light, ideally from "
        "above or from a window to the side."
    ),
    "too_bright": (
        "The lower back is overexposed: the skin is washed out to white, so its shading cannot "
        "be read. Take the photo in softer light, out of direct sun or flash, or with less "
        "exposure."
    ),
    "hard_shadows": (
        "Hard-edged shadows (of blinds, a window frame or leaves, or of the upper back under a "
        "light right above) fall across the lower back, and their edges cannot be told from "
        "dimples. Take the photo in even light, out of the shadows."
    ),
    "partly_shadowed": (
        "A hard-edged shadow covers part of the lower back. No dimples show on the lit skin "
        "beside it, but the shadow may hide them. Take the photo in even light, out of the "
        "shadow."
    ),
}
