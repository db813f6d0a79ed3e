"""The detector: load -> pose -> region -> shading -> pairing -> report."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from dataclasses import replace

import numpy as np

from detector import anatomy
from detector.fallback import BackEstimate, find_back, gluteal_cleft_top
from detector.loading import (
    DEFAULT_MAX_PIXELS,
    DEFAULT_MAX_SIDE,
    ImageSource,
    LoadedImage,
    load_image,
)
from detector.pairing import (
    CLEFT_TOP_PAIR_PRIOR,
    HIPS_PAIR_PRIOR,
    LEGS_CUT_PAIR_PRIOR,
    SKIN_BOTTOM_PAIR_PRIOR,
    PairedDimple,
    PairPrior,
    PairResult,
    best_pair,
)
from detector.pose import (
    HAND_LANDMARKS,
    LEFT_HIP,
    LEFT_SHOULDER,
    LEG_LANDMARKS,
    NOSE,
    RIGHT_HIP,
    RIGHT_SHOULDER,
    SHOULDER_PAIR,
    SHOULDERS,
    BodyFrame,
    Pose,
    PoseEstimator,
    body_frame,
    clearly_turned,
    main_person,
    span,
    spine_shift,
    squareness,
    torso_axis,
    unturned,
)
from detector.quality import blur_sigma_px, is_monochrome, is_nearly_colourless
from detector.report import (
    STATUS_MESSAGES,
    Dimple,
    DimpleReport,
    Geometry,
    LightEstimate,
    Region,
    depth_index,
    ok_message,
    prominence_grade,
)
from detector.resample import area_resized
from detector.shading import (
    SKIN_REFERENCE_ROWS,
    RegionCrop,
    RegionExtent,
    chromaticity,
    extract_region,
    indentation_candidates,
    light_from_gradients,
    lit_beside_a_cast_shadow,
    lit_from_the_camera,
    pixel_box,
    region_corners,
    skin_shading,
    under_hard_shadows,
)
from detector.view import decide_view, handedness_says_back, head_crop

#: The region searched when the pose is known.
POSE_EXTENT = RegionExtent()
#: A photo that ends less than this far below the hip line (hip widths; the knees lie about
#: 2.3 below it) cuts the legs off, and then the pose model's hips are unreliable: on the
#: full-body renders cut at the thighs they move up by a median 0.2 hip widths (up to 0.6)
#: and come 16 % closer together. The region then reaches further down, and the pair is
#: expected lower and over a wider range (:data:`detector.pairing.LEGS_CUT_PAIR_PRIOR`).
LEGS_IN_FRAME_DEPTH = 2.5
#: ... and the model's depths of the hips are guesses: on the benchmark's square-on bodies cut
#: at the buttocks' crease the hips read a turn's sine of 0.39 from square (median; 90th
#: percentile 0.77), the shoulders 0.06 (0.15). Only a turn the shoulders read beyond this one
#: is corrected there (bodies turned 20-35 degrees, so cut, read 0.20-0.22 at the median, 35-55
#: degrees 0.56; moving the frame of every legs-cut body cost the crease cuts 0.027 of AUC).
LEGS_CUT_MIN_TURN_SINE = 0.2
LEGS_CUT_EXTENT = RegionExtent(below=0.7)
#: The band of the fallback's region (hip widths above its base line) where the back is bare
#: whenever the dimples are visible: as far above the expected pair as the pose crop's top
#: rows, where the skin's colour is read (SKIN_REFERENCE_ROWS), lie above its own (0.225-0.5
#: hip widths). The fallback's region spans the whole torso, and its top quarter may be a bra
#: band that passes for skin (red, pink): the skin's colour read there left only the band as
#: skin. Where it leaves most of this band out, the colour is read in this band instead
#: (:func:`detector.shading.extract_region`).
FALLBACK_SKIN_BAND = tuple(
    anatomy.DIMPLE_HEIGHT_ABOVE_SKIN_BOTTOM
    + (POSE_EXTENT.above - share * (POSE_EXTENT.above + POSE_EXTENT.below))
    - anatomy.DIMPLE_HEIGHT
    for share in SKIN_REFERENCE_ROWS[::-1]
)
#: A person whose segmentation mask, within HEADLESS_EDGE_ROWS of the photo's height from its
#: top edge, is as wide as HEADLESS_TOP_WIDTH of their widest extent may have no head in view.
#: Of renders cut at the shoulders 98 % do (median 0.28; the mask often starts a few rows
#: below the edge), of waist-up renders none; a head close to the top edge does too (11 % of
#: the full-body renders), and then the legs in view keep the pose (:func:`_is_torso`).
HEADLESS_TOP_WIDTH = 0.1
HEADLESS_EDGE_ROWS = 0.04
#: A torso wider than this fraction of the photo has merged with a skin-coloured background.
MAX_TORSO_WIDTH = 0.8
#: A torso found by its skin must fit the person's segmentation mask: its midline within
#: MAX_TORSO_OFFSET of its width from the mask's median column (or from the skeleton's
#: midline, where the mask misses part of the body: of the 102 torsos that fit on the renders
#: cut at the shoulders and thighs, the skeleton's midline lay 0.03 from it at the median,
#: 0.09 at the 90th percentile), its width this fraction of
#: the mask's (2nd-98th percentile columns: the arms widen it), and its region at least
#: MIN_TORSO_ON_PERSON on the mask. Of 140 torsos the fallback found right on the renders cut
#: at the shoulders and thighs, 136 measured offsets up to 0.15, widths of 0.45-0.81 and at
#: least 0.28 on the mask; the 20 "backs" it found in headless renders with legs (patterned
#: skin-coloured backgrounds) all failed these.
MAX_TORSO_OFFSET = 0.15
TORSO_WIDTH_IN_SILHOUETTE = (0.3, 0.85)
MIN_TORSO_ON_PERSON = 0.25
#: The pose's verdicts on its zone that stand in a photo without a head even where the bare
#: torso is found: a zone beyond the photo means out of frame (the fallback cannot tell the
#: skin's end at the frame's edge from a waist: judged by it, real photos of upper backs were
#: claimed), and hands over it cover it. Clothing over it does not stand: the skeleton lies
#: on the upper back there, and a bra band across it read as a covered lower back (on the
#: renders cut at the shoulders and thighs, judging the torso instead took the AUC from 0.775
#: to 0.803, held out 0.782 to 0.808; the real photos' reports, also at JPEG 50, unchanged).
HEADLESS_VERDICTS_KEPT = ("out_of_frame", "hands_cover")
#: In a close-up of a bare back the pose model may take a hand or an arm at the photo's side
#: for a small person (4 of 144 close-up renders, each then judged at that "person": covered,
#: too small, or on the arm). Such a person is small (hips less than SMALL_PERSON_HIP_WIDTH
#: of the photo's width apart; 0.03-0.06 there, 0.07 and more on the full-body renders) and
#: off-centre (hips more than OFF_CENTRE of the width from the middle; 0.36-0.48 there); then
#: the bare back is sought, and where it is at least BACK_OVER_PERSON times the person's size
#: (7-13 there) and narrower than the photo (0.54-0.81 there), the back is judged instead. A
#: "back" as wide as the photo is mostly a skin-coloured background merged with the skin
#: (a small real person off the middle of a photo measured 1.0 and 20 times the person).
SMALL_PERSON_HIP_WIDTH = 0.07
OFF_CENTRE = 0.3
BACK_OVER_PERSON = 5.0
MAX_BACK_BESIDE_PERSON = 0.95
#: The pose model may also place an upside-down skeleton on a close-up (its head at the
#: buttocks or along an arm, its knees up the back), legs it doubts itself: of the main people
#: it finds in 2302 images (every render set, the real photos, the samples), 11 close-ups lie
#: with their spines within UPSIDE_DOWN_DEG of the photo's downward direction, beside bare
#: backs 2.6-12.6 times their hip width, their knees and ankles a mean visibility of 0.05-0.61.
#: So do the people of real photos turned upside down, whose legs are in view (0.61-0.98; on
#: 2 of 12 front views, skin 2.4 and 2.8 times their size was found). A skeleton upside down
#: whose legs' mean visibility is below MAX_PHANTOM_LEG_VISIBILITY gives way to a bare back
#: (found as above) at least UPSIDE_DOWN_BACK_OVER_PERSON times its size.
UPSIDE_DOWN_DEG = 45.0
MAX_PHANTOM_LEG_VISIBILITY = 0.5
UPSIDE_DOWN_BACK_OVER_PERSON = 2.0
#: A close-up taken from above, the camera looking down the back, may get a skeleton lying
#: far from upright (its spine more than UPRIGHT_DEG from the photo's upward direction) with
#: its hips outside the photo, as large as the back or larger: it gives way to any bare back
#: found (narrower than the photo, as above).
UPRIGHT_DEG = 45.0
#: Without a head in the photo the pose model may place a skeleton edge-on, its shoulders less
#: than EDGE_ON_SHOULDERS of its torso's length apart, across a bare back that fills the frame:
#: on the real photos in ../shared/data, four headless backs measured 0.06-0.09, the people
#: seen from the side 0.27-0.32 and the other back views 0.39 or more. Such a skeleton's
#: left and right say nothing about which way the person faces; where its nose lies outside the
#: photo and its segmentation mask, across the torso (MASK_ROW_HEIGHT of the way from the hips
#: to the shoulders), is at least BACK_MASK_WIDTH of the torso's length wide (0.96-1.17 for
#: those backs; a body seen from the side is as wide as its chest is deep, about half its torso
#: length), the back is judged.
EDGE_ON_SHOULDERS = 0.15
MASK_ROW_HEIGHT = 0.6
BACK_MASK_WIDTH = 0.8
#: Photos with a side shorter than this cannot show a back in enough detail.
MIN_IMAGE_SIDE_PX = 64
#: Smallest hip width judged (pixels across the body, fewer where it is turned): 5.8 mm per
#: pixel, where a dimple 20-40 mm across still spans 3-7 pixels. At 40 px the detector refused
#: two full-body renders that it judges right, and 21 of 192 of them shrunk to 0.7 x (3 at 30
#: px); their full-body AUC went from 0.923 to 0.939 (held out 0.934 to 0.943) with no other
#: change, and the real photos' answers stayed.
MIN_HIP_WIDTH_PX = 30.0
#: Region darker than this mean luminance cannot be judged.
MIN_REGION_LUMINANCE = 0.08
#: Where what hides the lower back is this dark (luminance, 75th percentile of the pixels that
#: are not skin), it is black cloth or the body's own shadow, which colour cannot tell apart:
#: the message names both. Under a single lamp far to the side (`render.py --variant harsh`)
#: the shadow read 0.01-0.06; the garments over the dimples in `--variant high_waist`, 0.21 and
#: more.
DEEP_SHADOW_LUMINANCE = 0.1
#: A zone not found bare is overexposed (``too_bright``), not covered, where at least this
#: share of it is clipped (a channel at white) yet still warm: blue's share of R + G + B at
#: most BLOWN_OUT_MAX_BLUE_SHARE, as pale skin washed out to (255, 255, 235) keeps it (0.315);
#: a white or grey garment clipped as much is neutral (0.333) or cool.
MIN_BLOWN_OUT_SHARE = 0.5
BLOWN_OUT_MAX_BLUE_SHARE = 0.326
#: The zone where dimples lie must be this much inside the photo and this much skin, or its
#: upper half (from the height where the pair is expected, anatomy.DIMPLE_HEIGHT, up) nearly
#: all skin: the waistband of briefs, which often end just below the dimples, may cross the
#: zone's middle. On the real photos in ../shared/data labelled covered, the upper half is at
#: most 0.42 skin where the whole zone is under half; a render with 7 mm dimples just above
#: briefs measured 0.48 and 0.93 and was called covered, and two renders with low-rise
#: briefs (``scripts/render.py --variant low_waistband``) 1.5 cm below dimples lying high on
#: the hips (0.69 hip widths) 0.40 and 0.78: an upper half 0.8 skin called them covered.
MIN_ZONE_IN_FRAME = 0.9
MIN_ZONE_SKIN = 0.5
MIN_UPPER_ZONE_SKIN = 0.7
#: ... and this much on the person (the pose model's segmentation mask).
MIN_ZONE_ON_PERSON = 0.5
#: The zone where dimples lie, in hip widths: |lateral| <= ZONE_HALF_WIDTH, height in ZONE_HEIGHT.
ZONE_HALF_WIDTH = 0.5
ZONE_HEIGHT = (0.25, 0.85)
#: Hands within this lateral distance of the spine (hip widths) cover the zone; hands on the
#: hips or pulling a waistband down lie further out or lower.
HANDS_ZONE_HALF_WIDTH = 0.4
#: ... and count only when the pose model sees them: hands hidden behind the body, placed
#: there by the model, score 0.05-0.12 on renders of people turning to look back; hands
#: clasped over a real lower back 0.61-0.76.
MIN_HAND_VISIBILITY = 0.5
#: The back just above the zone must be at least this much bare skin.
MIN_BACK_ABOVE_SKIN = 0.3
#: Blur (Gaussian sigma on the body, mm) beyond which a typical dimple's shading (sigma about
#: 7 mm) keeps less than a third of its contrast: (7 / sqrt(7^2 + 8^2))^3 = 0.29.
MAX_BLUR_MM = 8.0
#: Width (sigma, pixels) that the sharpest edges of an in-focus photo measure anyway (pixel
#: size, demosaicing, JPEG); only blur beyond it counts, so small photos are judged by
#: their size (``too_small``), not called blurred.
SHARP_EDGE_PX = 1.0
#: Resolution the blur is measured at, at most (pixels per hip width): MAX_BLUR_MM is then
#: about 3 pixels.
BLUR_PIXELS_PER_HIP_WIDTH = 64.0
#: Margin around the region, in hip widths, where edges are looked for (the waist's outline).
BLUR_MARGIN = 0.3
#: Problems that mean the lower back is not in view (``region_not_visible``); the others
#: make the photo ``low_quality``.
NOT_VISIBLE_PROBLEMS = (
    "region_not_visible",
    "dark_cover",
    "hands_cover",
    "out_of_frame",
    "side_on",
)
#: A person turned more than about 60 degrees from the camera (:func:`detector.pose.squareness`
#: below SIDE_ON; it reads a little above the turn's cosine there) shows it more flank than back:
#: the pits over the sacroiliac joints face away, the far one foreshortened or hidden behind the
#: back's curve. On 64 whole bodies rendered 45-90 degrees round (``scripts/render.py --n 64
#: --seed 124 --framings full_body --variant side_on``) the detector judged nearly all as back
#: views and read them worse than chance from 55 degrees (AUC 0.30-0.35: 2 of the 34 with
#: dimples claimed and 3 of the 18 without; "no dimples" for 29 with dimples), at 45-55 degrees
#: 0.62. Now 47 are side-on, 46 of the 52 from 55 degrees (two pairs claimed before among them,
#: and one of the three false claims). SIDE_ON keeps a margin below the real back views of
#: ../shared/data, whose lowest reading, a bodybuilder in a small web image, is 0.63 (0.65 made
#: 5 more renders at 55-65 degrees side-on). Backs rendered up to 15 degrees round read 0.88 or
#: more, turned 20-36 degrees 0.78 or more (``--variant turned``), 35-55 degrees 0.60-0.91. The
#: person's silhouette across the torso must also be as narrow as a body turned so, less than
#: BACK_MASK_WIDTH of the torso's length (0.35-0.68 on those renders under 0.65, 0.88 or more
#: on the benchmark's backs): on a torso cut at the shoulders and the thighs the pose model may
#: lay a small whole skeleton edge-on across the upper back (17 of the benchmark's 192 bodies so
#: cut read under 0.35), in a silhouette 0.92-2.8 wide. One real photo of ../shared/data passes
#: both, a man seen from behind and the side at a cable machine, his back covered.
SIDE_ON = 0.6
#: Below this hip width (pixels) even colour is too coarse to tell skin from cloth.
MIN_COVERAGE_HIP_WIDTH_PX = 12.0


class Detector:
    """Finds the dimples of Venus in photos of backs; loads the pose model once.

    Examples
    --------
    >>> from detector import Detector
    >>> with Detector() as detector:                      # doctest: +SKIP
    ...     report = detector.detect("back.jpg")
    ...     print(report.status, report.present, report.prominence)
    """

    def __init__(
        self,
        model_path: str | os.PathLike | None = None,
        max_pixels: int = DEFAULT_MAX_PIXELS,
        max_side: int | None = DEFAULT_MAX_SIDE,
        pose: PoseEstimator | None = None,
    ) -> None:
        """``model_path``: the pose model (the bundled one by default); ``pose``: a pose
        estimator to use instead of loading one (the detector then owns it and closes it)."""
        self.max_pixels = max_pixels
        self.max_side = max_side
        self._pose = PoseEstimator(model_path) if pose is None else pose

    def detect(self, source: ImageSource) -> DimpleReport:
        """Analyse one image given as a path, encoded bytes, an RGB array or a Pillow image.

        Raises :class:`detector.ImageLoadError` (a ``ValueError``) when the input is not a
        readable image; every readable image gets a report, whatever its status.
        """
        return self.analyse(load_image(source, self.max_pixels, self.max_side))

    def analyse(self, image: LoadedImage) -> DimpleReport:
        """Run the pipeline on an already loaded image."""
        return self.examine(image)[0]

    def examine(self, image: LoadedImage) -> tuple[DimpleReport, PairResult | None]:
        """The report (in the pixels of the full-size photo, however it was decoded) and,
        where the region was judged, the pairing stage's result (its raw evidence, used to
        calibrate the score on labelled renders)."""
        report, pair = self._examine_working(image)
        return _in_full_resolution(report, image), pair

    def _examine_working(self, image: LoadedImage) -> tuple[DimpleReport, PairResult | None]:
        """The pipeline, in the pixels of the decoded (working) image."""
        rgb = image.rgb
        base = {
            "source": image.source,
            "image": {"width": rgb.shape[1], "height": rgb.shape[0]},
            "pixels": rgb,
        }
        if min(rgb.shape[:2]) < MIN_IMAGE_SIDE_PX:
            return _problem_report("tiny", base), None
        # The fallback's bare back is sought while the pose model's retry runs, if it runs.
        bare_back = functools.cache(functools.partial(find_back, rgb))
        people = self._pose.find_people(rgb, meanwhile=bare_back)
        if not people:
            return _examine_without_pose(rgb, bare_back, base)
        person = main_person(people, rgb.shape)
        base["people"] = len(people)
        if _beside_a_bare_back(person, rgb.shape, bare_back):
            return _examine_without_pose(rgb, bare_back, base)
        find_face = self._pose.find_face_soon(head_crop(person.points, rgb))
        # A skeleton facing away is mostly a back view: its back is judged while BlazeFace
        # runs in the background. One facing the camera is mostly a front view (or a mirrored
        # back view): the face is waited for first, so that front views cost no judgement.
        judged = (
            _judge_person(rgb, person, dict(base)) if handedness_says_back(person.points) else None
        )
        if not decide_view(person.points, find_face).is_back and not (
            _headless_back_behind_an_edge_on_skeleton(person, rgb.shape)
        ):
            report = DimpleReport(
                status="not_back_view", message=STATUS_MESSAGES["not_back_view"], **base
            )
            return report, None
        return judged or _judge_person(rgb, person, base)

    def close(self) -> None:
        """Release the pose model."""
        self._pose.close()

    def __enter__(self) -> Detector:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def detect(source: ImageSource) -> DimpleReport:
    """Analyse one image with a fresh :class:`Detector` (use a Detector for many images).

    Examples
    --------
    >>> from detector import detect
    >>> detect("sample_images/back_pronounced.jpg").present   # doctest: +SKIP
    True
    """
    with Detector() as detector:
        return detector.detect(source)


def _in_full_resolution(report: DimpleReport, image: LoadedImage) -> DimpleReport:
    """The report with every position in the pixels of the full-size photo as displayed."""
    width, height = image.size
    if image.scale == 1.0:
        return report
    dimples = [
        replace(d, x=float(x), y=float(y), radius=d.radius / image.scale)
        for d in report.dimples
        for x, y in [image.to_full(np.array([d.x, d.y]))]
    ]
    geometry = region = None
    if report.geometry is not None:
        geometry = Geometry(
            region_corners=image.to_full(report.geometry.region_corners),
            midline=image.to_full(report.geometry.midline),
        )
        region = _bounding_region(geometry.region_corners, (height, width), report.region.method)
    return replace(
        report,
        dimples=dimples,
        geometry=geometry,
        region=region,
        image={"width": width, "height": height},
    )


def _examine_without_pose(
    rgb: np.ndarray, bare_back: Callable[[], BackEstimate | None], base: dict
) -> tuple[DimpleReport, PairResult | None]:
    """The fallback: judge a bare back found by its skin (``bare_back``, :func:`find_back` on
    ``rgb``), when the pose model found no one."""
    if is_monochrome(rgb):
        return _problem_report("monochrome", base), None
    back = bare_back()
    if back is None:
        # No pose and no bare back: in a grey photo with a coloured logo, for lack of colour.
        if is_nearly_colourless(rgb):
            return _problem_report("monochrome", base), None
        report = DimpleReport(status="no_person", message=STATUS_MESSAGES["no_person"], **base)
        return report, None
    return _judge_back(rgb, back, base)


def _judge_person(
    rgb: np.ndarray, person: Pose, base: dict
) -> tuple[DimpleReport, PairResult | None]:
    """Judge the lower back of a person the pose model found (seen from behind)."""
    if _side_on(person):
        return _problem_report("side_on", base), None
    if is_monochrome(rgb):
        return _problem_report("monochrome", base), None
    frame = body_frame(person.points)
    # Without the legs the hip line is a guess: search further down, expect the pair loosely.
    # The region is centred on the spine, which a turned body moves away from the hip joints'
    # midpoint, and resampled as if the body stood square on; without the legs the model's
    # depths of the hips are guesses, so only a turn the shoulders show is corrected there.
    if _legs_cut_off(frame, rgb.shape):
        extent, prior = LEGS_CUT_EXTENT, LEGS_CUT_PAIR_PRIOR
        if clearly_turned(person, frame, LEGS_CUT_MIN_TURN_SINE, SHOULDERS):
            frame = _onto_the_spine(person, frame)
    else:
        extent, prior = POSE_EXTENT, HIPS_PAIR_PRIOR
        frame = _onto_the_spine(person, frame)
    geometry = _geometry(frame, extent)
    base |= {
        "geometry": geometry,
        "region": _bounding_region(geometry.region_corners, rgb.shape, "pose"),
    }
    crop = extract_region(rgb, frame, person.mask, person.mask_scale, extent)
    # Covered or out of frame is the more useful answer, so it comes before "too small".
    problem = "hands_cover" if _hands_over_zone(person, frame) else None
    if problem is None and frame.hip_width >= MIN_COVERAGE_HIP_WIDTH_PX:
        problem = _region_problem(crop)
    if problem not in HEADLESS_VERDICTS_KEPT and _cut_at_shoulders(person):
        # No head and (below) no legs: the pose model, which anchors on the face, then
        # places a skeleton on the upper back; the bare back itself is the better guide.
        back = _headless_torso(rgb, person)
        if back is not None:
            return _judge_back(rgb, back, base)
    problem = problem or _quality_problem(rgb, frame, geometry)
    if problem is not None:
        return _problem_report(problem, base), None
    return _judge_shading(crop, prior, base)


def _judge_back(
    rgb: np.ndarray, back: BackEstimate, base: dict
) -> tuple[DimpleReport, PairResult | None]:
    """Judge a bare back found by its skin (fallback), with the pair expected just above the
    bottom of the bare torso, or, where the bare skin runs off the photo's bottom, above the
    top of the gluteal cleft."""
    geometry = _geometry(back.frame, back.extent)
    base |= {
        "geometry": geometry,
        "region": _bounding_region(geometry.region_corners, rgb.shape, "fallback"),
    }
    problem = _quality_problem(rgb, back.frame, geometry)
    if problem is not None:
        return _problem_report(problem, base), None
    crop = extract_region(rgb, back.frame, None, extent=back.extent, skin_band=FALLBACK_SKIN_BAND)
    cleft_top = gluteal_cleft_top(crop) if back.open_bottom else None
    prior = SKIN_BOTTOM_PAIR_PRIOR if cleft_top is None else CLEFT_TOP_PAIR_PRIOR.raised(cleft_top)
    return _judge_shading(crop, prior, base, clothing_below=not back.open_bottom)


def _judge_shading(
    crop: RegionCrop, prior: PairPrior, base: dict, clothing_below: bool = False
) -> tuple[DimpleReport, PairResult | None]:
    """Pair the indentations of the region's shading where ``prior`` expects them, unless
    hard-edged cast shadows stripe or dapple it (then ``low_quality``: their edges pass for
    pits). Where one cast shadow covers part of the region (:func:`lit_beside_a_cast_shadow`),
    the rest is judged: a pair claimed there is reported, but no claim is not an answer (the
    shadow may hide the pair), so the photo is then ``low_quality`` too. ``clothing_below``: a
    back found without a skeleton whose bare skin ends at clothing (the message says so)."""
    shading = skin_shading(crop)
    shadowed = under_hard_shadows(crop, shading.values)
    if shadowed:
        lit = lit_beside_a_cast_shadow(crop)
        if lit is None:
            return _problem_report("hard_shadows", base), None
        # The shadow then hides the skin as clothing would (a pit's lower wall may reach into
        # a shadow below it, as into a waistband).
        crop = replace(crop, skin=lit)
        shading = skin_shading(crop)
    pair = best_pair(indentation_candidates(crop, shading), crop, prior)
    if shadowed and not pair.present:
        return _problem_report("partly_shadowed", base), None
    return _judged_report(pair, crop, base, clothing_below), pair


def _quality_problem(rgb: np.ndarray, frame: BodyFrame, geometry: Geometry) -> str | None:
    """``too_small`` or ``too_blurred`` when the back cannot show dimples clearly enough, else
    None."""
    if frame.pixels_across < MIN_HIP_WIDTH_PX:
        return "too_small"
    if _too_blurred(rgb, frame, geometry):
        return "too_blurred"
    return None


def _problem_report(problem: str, base: dict) -> DimpleReport:
    """The report of a photo that cannot be judged, for a :data:`STATUS_MESSAGES` key: the
    lower back is covered or out of frame (``region_not_visible``), or the photo cannot show
    it well enough (``low_quality``; a photo without colour among them: clothing cannot be
    told from bare skin, and cloth folds would be read as shading)."""
    status = "region_not_visible" if problem in NOT_VISIBLE_PROBLEMS else "low_quality"
    return DimpleReport(status=status, message=STATUS_MESSAGES[problem], **base)


def _judged_report(
    pair: PairResult, crop: RegionCrop, base: dict, clothing_below: bool = False
) -> DimpleReport:
    """The report of a region the shading and pairing stages judged (``clothing_below``: a
    back found without a skeleton, whose bare skin ends at clothing)."""
    score = pair.score
    present = pair.present
    dimples = []
    if pair.left is not None and pair.right is not None:
        dimples = [_dimple("left", pair.left, crop), _dimple("right", pair.right, crop)]
    prominence = prominence_grade(present, pair.depth_mm, pair.confidence)
    gradients = crop.gradients
    light = None
    if gradients is not None:
        light = LightEstimate(*light_from_gradients(*gradients), gradients=gradients)
    return DimpleReport(
        status="ok",
        message=ok_message(prominence, lit_from_the_camera(gradients), clothing_below),
        present=present,
        score=score,
        prominence=prominence,
        dimples=dimples if present else [],
        symmetry=pair.symmetry if present else None,
        light=light,
        **base,
    )


def _dimple(side: str, paired: PairedDimple, crop: RegionCrop) -> Dimple:
    cand = paired.candidate
    x, y = crop.image_coords(np.array([cand.x, cand.y]))
    return Dimple(
        side=side,
        x=float(x),
        y=float(y),
        radius=2.0 * cand.sigma_px * crop.photo_px_per_pixel,
        depth_index=depth_index(paired.depth_mm),
    )


def _onto_the_spine(person: Pose, frame: BodyFrame) -> BodyFrame:
    """``frame`` moved onto a turned body's spine and unturned (:func:`detector.pose.unturned`)."""
    return unturned(person, frame.shifted(spine_shift(person, frame)))


def _legs_cut_off(frame: BodyFrame, shape: tuple[int, ...]) -> bool:
    """Whether the photo ends less than :data:`LEGS_IN_FRAME_DEPTH` hip widths below the hip
    line (measured along the body, whatever the photo's orientation)."""
    height, width = shape[:2]
    corners = np.array([[0, 0], [width, 0], [0, height], [width, height]], np.float64)
    return float(frame.to_body(corners)[:, 1].min()) > -LEGS_IN_FRAME_DEPTH


def _headless_torso(rgb: np.ndarray, person: Pose) -> BackEstimate | None:
    """The bare torso of a person cut at the shoulders (upright, see :func:`find_back`) that
    fits the person (:func:`_is_torso`): found by its skin, or else by the skin on the
    person's segmentation mask (a background of skin colour may have merged with the back);
    None when neither fits."""
    for person_mask in (None, person.mask):
        back = find_back(rgb, upright=True, person_mask=person_mask)
        if back is not None and _is_torso(back, person, rgb.shape):
            return back
    return None


def _is_torso(back: BackEstimate, person: Pose, shape: tuple[int, ...]) -> bool:
    """Whether a back found by its skin is the person's torso, framed without legs.

    The photo must end less than :data:`LEGS_IN_FRAME_DEPTH` hip widths below it, and the
    back must fit the person's segmentation mask: centred on it (or on the skeleton), as wide
    as a waist is beside the arms, and its region partly on it (the mask often misses a lower
    back, but a skin-coloured background that merges with the skin, or passes for it beside
    the person, fails these)."""
    frame, back_width = back.frame, back.width
    if person.mask is None or back_width >= MAX_TORSO_WIDTH * shape[1]:
        return False
    if not _legs_cut_off(frame, shape):
        return False
    on_person = person.mask > 0.5
    columns = np.nonzero(on_person)[1] / person.mask_scale
    if columns.size == 0:
        return False
    left, centre, right = np.percentile(columns, [2, 50, 98])
    box = pixel_box(region_corners(frame, back.extent), shape)
    x0, y0, x1, y1 = np.round(np.array(box) * person.mask_scale).astype(int)
    region_on_person = on_person[y0:y1, x0:x1]
    low, high = TORSO_WIDTH_IN_SILHOUETTE
    # The mask may miss part of the body (the lower back, one side): the skeleton, which the
    # pose model misplaces upwards in such photos but not sideways, marks the midline too.
    skeleton = float(person.points[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP], 0].mean())
    offset = min(abs(frame.origin[0] - centre), abs(frame.origin[0] - skeleton))
    return (
        offset <= MAX_TORSO_OFFSET * back_width
        and low <= back_width / max(right - left, 1.0) <= high
        and region_on_person.size > 0
        and float(region_on_person.mean()) >= MIN_TORSO_ON_PERSON
    )


def _beside_a_bare_back(
    person: Pose, shape: tuple[int, ...], bare_back: Callable[[], BackEstimate | None]
) -> bool:
    """Whether the pose model's person is a phantom on or beside a close-up's bare back
    (``bare_back``, sought only for a small person off the photo's middle, see
    :data:`SMALL_PERSON_HIP_WIDTH`, an upside-down one, see :func:`_phantom_upside_down`, or
    one lying across the photo with its hips outside it, see :func:`_phantom_beyond_the_photo`)."""
    frame = body_frame(person.points)
    width = shape[1]
    if _phantom_beyond_the_photo(frame, shape):
        least_size = 0.0
    elif _phantom_upside_down(person, frame):
        least_size = UPSIDE_DOWN_BACK_OVER_PERSON
    elif (
        frame.hip_width < SMALL_PERSON_HIP_WIDTH * width
        and abs(frame.origin[0] / width - 0.5) > OFF_CENTRE
    ):
        least_size = BACK_OVER_PERSON
    else:
        return False
    back = bare_back()
    return (
        back is not None
        and back.width < MAX_BACK_BESIDE_PERSON * width
        and back.frame.hip_width >= least_size * frame.hip_width
    )


def _phantom_beyond_the_photo(frame: BodyFrame, shape: tuple[int, ...]) -> bool:
    """Whether the skeleton lies far from upright (see :data:`UPRIGHT_DEG`) with its hips'
    midpoint outside the photo."""
    x, y = frame.origin
    outside = not (0.0 <= x < shape[1] and 0.0 <= y < shape[0])
    return outside and -frame.up[1] < np.cos(np.radians(UPRIGHT_DEG))  # image y points down


def _phantom_upside_down(person: Pose, frame: BodyFrame) -> bool:
    """Whether the skeleton lies upside down in the photo (its spine within
    :data:`UPSIDE_DOWN_DEG` of the image's downward direction) with legs the model doubts
    (see :data:`MAX_PHANTOM_LEG_VISIBILITY`; without visibilities, all count as in view)."""
    if frame.up[1] < np.cos(np.radians(UPSIDE_DOWN_DEG)):  # image y points down
        return False
    if person.visibility is None:
        return False
    return float(person.visibility[list(LEG_LANDMARKS)].mean()) < MAX_PHANTOM_LEG_VISIBILITY


def _headless_back_behind_an_edge_on_skeleton(person: Pose, shape: tuple[int, ...]) -> bool:
    """Whether the pose model placed an edge-on skeleton (see :data:`EDGE_ON_SHOULDERS`) with
    its head outside the photo across a person as wide as a back: then its handedness, the
    back-view decision's evidence, means nothing, and the back is judged."""
    points = person.points
    height, width = shape[:2]
    nose_x, nose_y = points[NOSE]
    if 0 <= nose_x < width and 0 <= nose_y < height:
        return False
    torso_length = float(np.linalg.norm(torso_axis(points)[1]))
    if span(points, SHOULDER_PAIR) >= EDGE_ON_SHOULDERS * torso_length:
        return False
    silhouette = _silhouette_width(person)
    return silhouette is not None and silhouette >= BACK_MASK_WIDTH


def _silhouette_width(person: Pose) -> float | None:
    """The extent of the person's segmentation mask along the photo's row through the torso,
    :data:`MASK_ROW_HEIGHT` of the way from the hips to the shoulders (the photo held
    upright), in torso lengths (from the hips' midpoint to the shoulders'); None without a
    mask, a torso, or that row."""
    hips, spine = torso_axis(person.points)
    torso_length = float(np.linalg.norm(spine))
    if person.mask is None or torso_length <= 0:
        return None
    row = round(float(hips[1] + MASK_ROW_HEIGHT * spine[1]) * person.mask_scale)
    if not 0 <= row < person.mask.shape[0]:
        return None
    columns = np.nonzero(person.mask[row] > 0.5)[0]
    extent = (columns.max() - columns.min() + 1) / person.mask_scale if columns.size else 0.0
    return float(extent) / torso_length


def _cut_at_shoulders(person: Pose) -> bool:
    """Whether the photo's top edge may cut through the person's body (no head in view): the
    person's segmentation mask reaches the edge's band (:data:`HEADLESS_EDGE_ROWS`) at least
    :data:`HEADLESS_TOP_WIDTH` as wide as the person's widest extent. A head in view mostly
    leaves background above it, and so does an upright photo's headroom."""
    if person.mask is None:
        return False
    person_rows = person.mask_row_counts
    widest = int(person_rows.max())
    edge = person_rows[: max(1, round(HEADLESS_EDGE_ROWS * len(person_rows)))]
    return widest > 0 and float(edge.max()) >= HEADLESS_TOP_WIDTH * widest


def _side_on(person: Pose) -> bool:
    """Whether the person stands side-on to the camera (see :data:`SIDE_ON`): a skeleton seen
    edge-on in a silhouette as narrow as a body seen from the side."""
    if squareness(person.points) >= SIDE_ON:
        return False
    silhouette = _silhouette_width(person)
    return silhouette is not None and silhouette < BACK_MASK_WIDTH


def _hands_over_zone(person: Pose, frame: BodyFrame) -> bool:
    """Whether a wrist or hand landmark in view lies over the zone where dimples lie: hands
    behind the back (clasped, on the lower back) cover it, and their skin would pass for bare
    back. A hand hidden behind the body (the far arm of a person turning) covers nothing."""
    hands = list(HAND_LANDMARKS)
    lateral, height = frame.to_body(person.points[hands]).T
    over = (np.abs(lateral) <= HANDS_ZONE_HALF_WIDTH) & (height >= ZONE_HEIGHT[0] - 0.05)
    over &= height <= ZONE_HEIGHT[1]
    if person.visibility is not None:
        over &= person.visibility[hands] >= MIN_HAND_VISIBILITY
    return bool(over.any())


def _region_problem(crop: RegionCrop) -> str | None:
    """Why the region cannot be judged (a STATUS_MESSAGES key), or None.

    Three bands across the back, in hip widths above the hip line: the zone where dimples lie
    must be in frame, not too dark, and bare skin; the band below it, down to the hip line,
    must be at least half in frame (else the photo ends at the waist); and the back just above
    the zone must be mostly bare (a shirt that covers it covers the dimples too).
    """
    central = np.abs(crop.body_grid[..., 0]) <= ZONE_HALF_WIDTH
    height = crop.body_grid[..., 1]
    zone = central & (height >= ZONE_HEIGHT[0]) & (height <= ZONE_HEIGHT[1])
    below = central & (height >= 0.0) & (height < ZONE_HEIGHT[0])
    above = central & (height > ZONE_HEIGHT[1])
    if crop.valid[zone].mean() < MIN_ZONE_IN_FRAME or crop.valid[below].mean() < 0.5:
        return "out_of_frame"
    inside = zone & crop.valid
    # The zone must lie on the person the pose belongs to: a skeleton pieced together from
    # several people in a crowd can put it on the pavement, which is skin-coloured too.
    if crop.person[inside].mean() < MIN_ZONE_ON_PERSON:
        return "region_not_visible"
    if crop.grey[inside].mean() < MIN_REGION_LUMINANCE:
        return "too_dark"
    back_above = above & crop.valid
    # Briefs often end just below the dimples: their waistband may cross the zone's middle
    # while the zone's upper half, where the pair is expected, is bare.
    upper = inside & (height >= anatomy.DIMPLE_HEIGHT)
    bare = crop.skin[inside].mean() >= MIN_ZONE_SKIN or (
        upper.any() and crop.skin[upper].mean() >= MIN_UPPER_ZONE_SKIN
    )
    if not bare or (back_above.any() and crop.skin[back_above].mean() < MIN_BACK_ABOVE_SKIN):
        if _blown_out(crop, inside):
            return "too_bright"
        hidden = (inside | back_above) & ~crop.skin
        if hidden.any() and np.percentile(crop.grey[hidden], 75) < DEEP_SHADOW_LUMINANCE:
            return "dark_cover"
        return "region_not_visible"
    return None


def _blown_out(crop: RegionCrop, zone: np.ndarray) -> bool:
    """Whether the ``zone`` of the crop is mostly skin washed out to white: clipped, yet warm
    (see :data:`MIN_BLOWN_OUT_SHARE`). Its colour no longer tells skin from cloth, and its
    shading is lost where all the channels clip."""
    blue_share = 1.0 - crop.chroma[..., 0] - crop.chroma[..., 1]
    warm_clipped = crop.clipped & (blue_share <= BLOWN_OUT_MAX_BLUE_SHARE)
    return bool(warm_clipped[zone].mean() >= MIN_BLOWN_OUT_SHARE)


def _too_blurred(rgb: np.ndarray, frame: BodyFrame, geometry: Geometry) -> bool:
    """Whether the photo around the region is blurred beyond :data:`MAX_BLUR_MM` on the body
    (False where it has too few strong edges to tell). Measured at
    :data:`BLUR_PIXELS_PER_HIP_WIDTH` at most: finer pixels cannot show more blur than that
    limit, only cost time."""
    margin = BLUR_MARGIN * frame.hip_width
    x0, y0, x1, y1 = pixel_box(geometry.region_corners, rgb.shape, margin)
    scale = min(1.0, BLUR_PIXELS_PER_HIP_WIDTH / frame.hip_width)
    size = (round((x1 - x0) * scale), round((y1 - y0) * scale))
    if min(size) < 8:
        return False
    patch = area_resized(rgb[y0:y1, x0:x1], size)
    limit_px = MAX_BLUR_MM * frame.hip_width * scale / anatomy.HIP_WIDTH_MM
    colour = patch.astype(np.float32) / 255.0
    blur = blur_sigma_px(colour, 2.0 * limit_px + SHARP_EDGE_PX, tint=chromaticity(patch))
    return blur is not None and blur**2 - SHARP_EDGE_PX**2 > limit_px**2


def _geometry(frame: BodyFrame, extent: RegionExtent) -> Geometry:
    midline = np.array([frame.to_image(0.0, -extent.below), frame.to_image(0.0, extent.above)])
    return Geometry(region_corners=region_corners(frame, extent), midline=midline)


def _bounding_region(corners: np.ndarray, shape: tuple[int, ...], method: str) -> Region:
    x0, y0, x1, y1 = pixel_box(corners, shape)
    return Region(x=x0, y=y0, width=x1 - x0, height=y1 - y0, method=method)
