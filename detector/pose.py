"""Pose stage: MediaPipe's pose landmarker, the main person, and the body frame of the lower back.

The models are loaded here and nowhere else (:class:`PoseEstimator`): the pose landmarker and
BlazeFace, which the back-view decision (:mod:`detector.view`) asks whether a face is visible.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import cv2
import numpy as np

from detector.native import quiet_native_stderr
from detector.resample import area_resized, shrunk

#: MediaPipe BlazePose landmark indices used here.
NOSE, LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP = 0, 11, 12, 23, 24
#: The shoulders' and the hips' landmarks, each a pair across the body.
SHOULDER_PAIR, HIP_PAIR = (LEFT_SHOULDER, RIGHT_SHOULDER), (LEFT_HIP, RIGHT_HIP)
FACE_LANDMARKS = tuple(range(11))
#: Wrists and index fingers.
HAND_LANDMARKS = (15, 16, 19, 20)
#: Knees and ankles.
LEG_LANDMARKS = (25, 26, 27, 28)

POSE_MODEL = "pose_landmarker_full_offline.task"
FACE_MODEL = "face_detection_short_range.tflite"

#: Longest side the pose model sees, at most; it resizes to 256 px internally, so larger costs
#: time only.
POSE_INPUT_SIDE = 1024
#: A person's segmentation mask must cover at least this fraction of the photo.
MIN_MASK_FRACTION = 0.01
#: Small or tightly framed photos are retried at this size with a border (BlazePose needs context).
RETRY_INPUT_SIDE = 640


def bundled_model(filename: str) -> Path:
    """Where a bundled model lies: inside the package (wheel) or in the repo's models/."""
    here = Path(__file__).resolve().parent
    candidates = [here / "models" / filename, here.parent / "models" / filename]
    for path in candidates:
        if path.is_file():
            return path
    raise FileNotFoundError(
        f"model {filename} not found (looked in {', '.join(map(str, candidates))})"
    )


@dataclass(frozen=True)
class Pose:
    """One person's landmarks in the pixel coordinates of the analysed image.

    Attributes
    ----------
    points : numpy.ndarray
        ``(33, 2)`` float array of x, y pixel positions (BlazePose order).
    mask : numpy.ndarray or None
        float32 person probability at the resolution the model saw, or None.
    mask_scale : float
        Mask pixels per image pixel (the mask is not upsampled to save memory).
    visibility : numpy.ndarray or None
        ``(33,)`` the model's probability that each landmark is in view (not hidden behind
        the body or another object), or None (all taken as in view).
    world : numpy.ndarray or None
        ``(33, 3)`` the model's 3D landmarks in metres (x right, y down, z away from the
        camera, origin between the hips), or None.
    """

    points: np.ndarray
    mask: np.ndarray | None
    mask_scale: float = 1.0
    visibility: np.ndarray | None = None
    world: np.ndarray | None = None

    def mask_at(self, xy: np.ndarray) -> float:
        """Person probability at image position ``xy`` (0 outside the mask)."""
        if self.mask is None:
            return 1.0
        col, row = np.round(np.asarray(xy) * self.mask_scale).astype(int)
        inside = 0 <= row < self.mask.shape[0] and 0 <= col < self.mask.shape[1]
        return float(self.mask[row, col]) if inside else 0.0

    def is_plausible(self, image_shape: tuple[int, ...]) -> bool:
        """False for the phantom skeletons the model sometimes places around headless crops:
        fewer than two torso landmarks inside the photo, or almost no person in the mask."""
        height, width = image_shape[:2]
        torso = self.points[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]]
        inside = (
            (torso[:, 0] >= 0) & (torso[:, 0] < width) & (torso[:, 1] >= 0) & (torso[:, 1] < height)
        )
        covered = (
            self.mask is None
            or float(self.mask_row_counts.sum()) / self.mask.size >= MIN_MASK_FRACTION
        )
        return int(inside.sum()) >= 2 and covered

    @cached_property
    def mask_row_counts(self) -> np.ndarray:
        """How many pixels of each row of :attr:`mask` are more likely the person than not
        (float32 counts; the mask must not be None). Counted by OpenCV, 4 x faster than
        NumPy's sum of a boolean mask of the photo's size, and read twice per photo."""
        _, on_person = cv2.threshold(self.mask, 0.5, 1.0, cv2.THRESH_BINARY)
        return cv2.reduce(on_person, 1, cv2.REDUCE_SUM).ravel()

    @property
    def torso_box_area(self) -> float:
        """Area of the box around shoulders and hips, in pixels (size of the person)."""
        torso = self.points[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]]
        span = torso.max(axis=0) - torso.min(axis=0)
        return float(span[0] * span[1])


@dataclass(frozen=True)
class Face:
    """BlazeFace's most confident face in an image.

    Attributes
    ----------
    confidence : float
        0..1; 0 when no face was found.
    keypoints : numpy.ndarray or None
        ``(6, 2)`` pixel positions of the right eye, left eye, nose tip, mouth, right ear and
        left ear (the person's right and left); None when no face was found.
    """

    confidence: float
    keypoints: np.ndarray | None


class PoseEstimator:
    """MediaPipe Tasks ``PoseLandmarker`` (IMAGE mode, segmentation on) and ``FaceDetector``
    (BlazeFace short range), each loaded once, and a thread that runs them in the background
    while the caller's own work goes on (MediaPipe releases the GIL).

    Use it as a context manager, or call :meth:`close`: an unclosed landmarker raises at exit.
    """

    def __init__(self, model_path: str | os.PathLike | None = None, max_people: int = 3) -> None:
        BaseOptions, vision = _mediapipe_tasks()

        path = Path(model_path) if model_path is not None else bundled_model(POSE_MODEL)
        pose_options = vision.PoseLandmarkerOptions(
            base_options=BaseOptions(model_asset_buffer=path.read_bytes()),
            running_mode=vision.RunningMode.IMAGE,
            num_poses=max_people,
            output_segmentation_masks=True,
        )
        face_options = vision.FaceDetectorOptions(
            base_options=BaseOptions(model_asset_buffer=bundled_model(FACE_MODEL).read_bytes()),
            running_mode=vision.RunningMode.IMAGE,
            min_detection_confidence=0.2,
        )
        with quiet_native_stderr():
            self._landmarker = vision.PoseLandmarker.create_from_options(pose_options)
            self._faces = vision.FaceDetector.create_from_options(face_options)
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mediapipe")

    def find_people(
        self, rgb: np.ndarray, meanwhile: Callable[[], object] | None = None
    ) -> list[Pose]:
        """All people the model finds, in the pixel coordinates of ``rgb``.

        The image is shrunk by the smallest whole factor that brings it to at most
        :data:`POSE_INPUT_SIDE` for the model; when nothing is found, it is tried once more at
        :data:`RETRY_INPUT_SIDE` inside a grey border, which recovers small web images and
        people who fill the frame. That retry runs in the background while ``meanwhile`` (if
        given) is called: the work its caller needs when no one is found.
        """
        height, width = rgb.shape[:2]
        factor = -(-max(height, width) // POSE_INPUT_SIDE)
        people = self._run(shrunk(rgb, factor), 1.0 / factor, 0, rgb.shape)
        if people:
            return people
        scale = RETRY_INPUT_SIDE / max(height, width)
        border = RETRY_INPUT_SIDE // 4
        padded = cv2.copyMakeBorder(
            _resized(rgb, scale),
            border,
            border,
            border,
            border,
            cv2.BORDER_CONSTANT,
            value=(128, 128, 128),
        )
        if meanwhile is None:
            return self._run(padded, scale, border, rgb.shape)
        retry = self._background.submit(self._run, padded, scale, border, rgb.shape)
        meanwhile()
        return retry.result()

    def _run(
        self, rgb: np.ndarray, scale: float, border: int, photo_shape: tuple[int, ...]
    ) -> list[Pose]:
        result = self._infer(self._landmarker, rgb)
        height, width = rgb.shape[:2]
        people = []
        for index, landmarks in enumerate(result.pose_landmarks):
            pixels = np.array([[p.x * width, p.y * height] for p in landmarks], dtype=np.float64)
            visibility = np.array([p.visibility for p in landmarks], dtype=np.float64)
            world = None
            if index < len(result.pose_world_landmarks):
                world = np.array(
                    [[p.x, p.y, p.z] for p in result.pose_world_landmarks[index]], np.float64
                )
            points = (pixels - border) / scale
            mask = None
            if result.segmentation_masks:
                full = result.segmentation_masks[index].numpy_view()
                full = full.reshape(full.shape[0], full.shape[1])
                mask = full[border : height - border, border : width - border].astype(np.float32)
            pose = Pose(
                points=points, mask=mask, mask_scale=scale, visibility=visibility, world=world
            )
            if pose.is_plausible(photo_shape):
                people.append(pose)
        return people

    def find_face(self, rgb: np.ndarray) -> Face:
        """BlazeFace's most confident face in ``rgb`` (a head crop)."""
        result = self._infer(self._faces, rgb)
        if not result.detections:
            return Face(confidence=0.0, keypoints=None)
        best = max(result.detections, key=lambda d: d.categories[0].score)
        height, width = rgb.shape[:2]
        keypoints = np.array([[p.x * width, p.y * height] for p in best.keypoints])
        return Face(confidence=float(best.categories[0].score), keypoints=keypoints)

    def find_face_soon(self, head: np.ndarray | None) -> Callable[[], Face | None]:
        """Start :meth:`find_face` on ``head`` in the background; the returned function waits
        for it (it returns None at once for no head)."""
        if head is None:
            return lambda: None
        return self._background.submit(self.find_face, head).result

    def _infer(self, task: object, rgb: np.ndarray) -> object:
        from mediapipe.tasks.python.vision.core.image import Image, ImageFormat

        image = Image(image_format=ImageFormat.SRGB, data=np.ascontiguousarray(rgb))
        with quiet_native_stderr():  # LiteRT logs start-up and buffer notices on some calls
            return task.detect(image)

    def close(self) -> None:
        """Release both models."""
        self._background.shutdown()
        with quiet_native_stderr():
            self._landmarker.close()
            self._faces.close()

    def __enter__(self) -> PoseEstimator:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


#: Modules that MediaPipe's task package imports for tasks this tool never runs: its drawing
#: utilities' plotting (``matplotlib.pyplot``: 0.5-0.8 s with what it imports) and its audio
#: recorder (``sounddevice``). See :func:`_mediapipe_tasks`.
UNUSED_BY_MEDIAPIPE_TASKS = ("matplotlib", "matplotlib.pyplot", "sounddevice")


def _mediapipe_tasks() -> tuple[type, object]:
    """MediaPipe's ``BaseOptions`` and vision tasks module (a slow import: only when a model
    is loaded), imported without the modules of :data:`UNUSED_BY_MEDIAPIPE_TASKS`: while it
    imports, each of them not imported yet is stood in for by a module that imports the real
    one on first use (:class:`_ImportedOnUse`), and taken out of ``sys.modules`` afterwards,
    so that later imports get the real modules. This halves the start of ``dimples detect``.
    (``importlib.util.LazyLoader`` does not help here: an ``import`` statement loads a lazy
    module at once.)"""
    stand_ins = {
        name: _ImportedOnUse(name) for name in UNUSED_BY_MEDIAPIPE_TASKS if name not in sys.modules
    }
    for name, module in stand_ins.items():
        parent, _, child = name.rpartition(".")
        if parent in stand_ins:  # ``import a.b as c`` reads ``b`` from ``a``
            setattr(stand_ins[parent], child, module)
    sys.modules.update(stand_ins)
    try:
        from mediapipe.tasks.python import BaseOptions, vision
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]
    return BaseOptions, vision


class _ImportedOnUse(types.ModuleType):
    """A stand-in for the module ``name``: reading any attribute it lacks imports the real
    module and reads it there."""

    def __getattr__(self, attribute: str) -> object:
        if attribute.startswith("__"):  # the import system's own questions: not a use
            raise AttributeError(attribute)
        return getattr(importlib.import_module(self.__name__), attribute)


def _resized(rgb: np.ndarray, scale: float) -> np.ndarray:
    if scale == 1.0:
        return rgb
    if scale > 1.0:
        return cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_CUBIC)
    height, width = rgb.shape[:2]
    return area_resized(rgb, (max(1, round(width * scale)), max(1, round(height * scale))))


def main_person(people: list[Pose], image_shape: tuple[int, ...]) -> Pose:
    """The largest, most central person: torso area discounted by distance from the centre."""
    height, width = image_shape[:2]
    centre = np.array([width / 2.0, height / 2.0])
    diagonal = float(np.hypot(width, height))

    def weight(pose: Pose) -> float:
        torso_centre = pose.points[[LEFT_SHOULDER, RIGHT_SHOULDER, LEFT_HIP, RIGHT_HIP]].mean(0)
        offset = float(np.linalg.norm(torso_centre - centre)) / diagonal
        return pose.torso_box_area * (1.0 - offset)

    return max(people, key=weight)


@dataclass(frozen=True)
class BodyFrame:
    """The lower back's own coordinate frame, in image pixels.

    ``origin`` is the midpoint of the hips; ``up`` points along the spine towards the
    shoulders; ``left`` points towards the person's left (the image's left in a back view);
    ``hip_width`` is the body scale in pixels (one unit of :mod:`detector.anatomy`), along
    the spine; ``across`` is how much shorter the photo shows distances across the body (the
    cosine of a turn about the spine, 1 square on): a hip width across is ``hip_width *
    across`` pixels.
    """

    origin: np.ndarray
    up: np.ndarray
    left: np.ndarray
    hip_width: float
    across: float = 1.0

    @property
    def pixels_across(self) -> float:
        """A hip width across the body, in photo pixels: how finely the photo shows the back."""
        return self.hip_width * self.across

    def to_image(self, lateral: float, height: float) -> np.ndarray:
        """Image position of a point ``lateral`` (left +) and ``height`` (up +) in hip widths."""
        return self.origin + self.hip_width * (lateral * self.across * self.left + height * self.up)

    def to_body(self, xy: np.ndarray) -> np.ndarray:
        """Body coordinates (lateral, height) in hip widths of image points ``(..., 2)``."""
        delta = (np.asarray(xy, dtype=np.float64) - self.origin) / self.hip_width
        return np.stack([delta @ self.left / self.across, delta @ self.up], axis=-1)

    def shifted(self, lateral: float) -> BodyFrame:
        """The same frame with its origin moved ``lateral`` hip widths to the left (+)."""
        return replace(self, origin=self.to_image(lateral, 0.0))


def body_frame(points: np.ndarray) -> BodyFrame:
    """The lower-back frame of a person seen from behind, from shoulder and hip landmarks
    ``(33, 2)``.

    The body scale is the hip width, but never less than 0.3 x the torso length, so a body
    turned away from the camera (hips foreshortened) keeps a sensible scale. The person's left
    is the image's left of the spine, whatever the landmarks' labels say: MediaPipe mirrors
    many back views into front-facing skeletons, and the back-view decision has already
    overruled it.
    """
    origin, spine = torso_axis(points)
    torso_length = float(np.linalg.norm(spine))
    up = spine / torso_length if torso_length > 0 else np.array([0.0, -1.0])
    left = np.array([up[1], -up[0]])  # the image's left of the spine
    hip_width = max(span(points, HIP_PAIR), 0.3 * torso_length, 1.0)
    return BodyFrame(origin=origin, up=up, left=left, hip_width=hip_width)


def torso_axis(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The hips' midpoint and the vector from it to the shoulders' midpoint, from landmarks
    ``(33, 2)``."""
    origin = (points[LEFT_HIP] + points[RIGHT_HIP]) / 2.0
    return origin, (points[LEFT_SHOULDER] + points[RIGHT_SHOULDER]) / 2.0 - origin


def span(points: np.ndarray, pair: tuple[int, int]) -> float:
    """The distance in the photo between the two landmarks of ``pair`` (:data:`SHOULDER_PAIR`,
    :data:`HIP_PAIR`), from landmarks ``(33, 2)``."""
    return float(np.linalg.norm(points[pair[0]] - points[pair[1]]))


#: The shoulders' and the hips' landmark distances over the torso's length (from the hips'
#: midpoint to the shoulders') of a body square to the camera: the medians over the back views
#: rendered by ``scripts/render.py`` (benchmark, held out and a fresh set, 438 bodies turned up to
#: about 15 degrees: 0.62-0.79 and 0.31-0.45; the front views alike).
SQUARE_SHOULDERS_PER_TORSO = 0.68
SQUARE_HIPS_PER_TORSO = 0.38


def square_on_hip_width(points: np.ndarray) -> float:
    """The hips' landmark distance (pixels) of the body in landmarks ``(33, 2)`` were it square
    to the camera: :data:`SQUARE_HIPS_PER_TORSO` of the torso's length, which a turn about the
    spine leaves as it is, while the hips' own distance shrinks with the turn's cosine."""
    return SQUARE_HIPS_PER_TORSO * float(np.linalg.norm(torso_axis(points)[1]))


def squareness(points: np.ndarray) -> float:
    """How square to the camera the body stands, about the cosine of its turn: the distances
    in the photo between the shoulders and between the hips over the torso's length, each
    over its value for a body square to the camera (:data:`SQUARE_SHOULDERS_PER_TORSO`,
    :data:`SQUARE_HIPS_PER_TORSO`), averaged. About 1 square on, 0 side-on (on renders seen
    from 55-90 degrees round the person it stays within about 0.1 of the turn's cosine)."""
    torso = float(np.linalg.norm(torso_axis(points)[1]))
    if torso <= 0.0:
        return 1.0
    shoulders = span(points, SHOULDER_PAIR) / SQUARE_SHOULDERS_PER_TORSO
    return (shoulders + span(points, HIP_PAIR) / SQUARE_HIPS_PER_TORSO) / (2.0 * torso)


#: The spine, and the dimples beside it, lie some 10 cm behind the hip joints' midpoint (towards
#: the camera in a back view): a body turned by an angle t moves them sideways against the hip
#: landmarks, by about 0.57 sin t of the hip width the body would show square on
#: (:func:`square_on_hip_width`); the frame's hip width, foreshortened by the turn, is
#: narrower. The model's depths (:func:`turned_away`) come out fainter than the true sines, and
#: put the image's right side a little further away where the back faces the camera squarely;
#: the shift is SPINE_SHIFT_PER_TURN x (turned_away - TURN_WHEN_SQUARE) square-on hip widths,
#: at most MAX_SPINE_SHIFT of the frame's either way: a least-squares fit of the labelled
#: dimples' midpoint on the full-body renders of the benchmark and of ``scripts/render.py``'s
#: ``--variant turned`` (seed 34; camera 20-35 degrees round the person) and ``--variant
#: three_quarter`` (seed 140; 35-55 degrees) by ``scripts/calibrate.py``. The shift is shrunk
#: towards 0 by SPINE_SHIFT_SPREAD, the fit's residual spread (0.048): a smaller correction
#: moves the region as much by chance as it helps (at turns under 10 degrees the model's depths
#: often point the wrong way), and pairs 0.05 off the midline are found anyway. Unshrunk, it
#: moved decisions near the line on the benchmark (full-body AUC 0.951 -> 0.938, three more
#: backs without dimples claimed). Fitted in the frame's own hip widths instead, the shift fell
#: 0.07-0.11 hip widths short of the spine at 35-55 degrees.
SPINE_SHIFT_PER_TURN = -0.327
TURN_WHEN_SQUARE = -0.084
SPINE_SHIFT_SPREAD = 0.05
MAX_SPINE_SHIFT = 0.3


def spine_shift(pose: Pose, frame: BodyFrame) -> float:
    """Where the spine lies across ``frame`` (hip widths, + left) for the body's turn (see
    :data:`SPINE_SHIFT_PER_TURN`); 0 without the model's 3D landmarks."""
    turn = turned_away(pose, frame)
    if turn is None:
        return 0.0
    # The fit is in the hip widths the body would show square on; the frame's are foreshortened.
    square_on = SPINE_SHIFT_PER_TURN * (turn - TURN_WHEN_SQUARE)
    shift = square_on * square_on_hip_width(pose.points) / frame.hip_width
    shrunk = np.sign(shift) * max(abs(shift) - SPINE_SHIFT_SPREAD, 0.0)
    return float(np.clip(shrunk, -MAX_SPINE_SHIFT, MAX_SPINE_SHIFT))


#: The landmark pairs whose depths say how far a body is turned: the shoulders and the hips.
SHOULDERS_AND_HIPS = (SHOULDER_PAIR, HIP_PAIR)
#: ... the shoulders alone (the hips' depths are guesses where the legs are out of the photo).
SHOULDERS = (SHOULDER_PAIR,)


#: A body counts as turned about its spine where the model's depths read a turn's sine at least
#: this far from TURN_WHEN_SQUARE: 90 % of the benchmark's bodies (camera up to 15 degrees round
#: the person) read less than 0.25-0.33, 90 % of ``--variant turned``'s (20-35 degrees) more.
MIN_TURN_SINE = 0.3
#: ... and is unturned by at most 60 degrees (a body turned further is side-on, and hips that
#: close together in the photo are more likely the pose model's error).
MIN_ACROSS = 0.5


def clearly_turned(
    pose: Pose,
    frame: BodyFrame,
    least_sine: float = MIN_TURN_SINE,
    pairs: tuple[tuple[int, int], ...] = SHOULDERS_AND_HIPS,
) -> bool:
    """Whether the model's depths of the landmark ``pairs`` read the body turned about its spine
    by a sine of at least ``least_sine`` from TURN_WHEN_SQUARE (False without them)."""
    turn = turned_away(pose, frame, pairs)
    return turn is not None and abs(turn - TURN_WHEN_SQUARE) >= least_sine


def unturned(pose: Pose, frame: BodyFrame) -> BodyFrame:
    """``frame`` with the body's turn about its spine undone: a turned body (:data:`MIN_TURN_SINE`)
    keeps its photo's hips across, but its hip width along the spine is the one it would show
    square on (:func:`square_on_hip_width`, at least the hips' own distance), so the region is
    resampled as if seen square on: its pits round again, the pair's spacing and height in the
    units of :mod:`detector.anatomy`. Square-on bodies keep ``frame``: their depths are noise."""
    if not clearly_turned(pose, frame):
        return frame
    hips = span(pose.points, HIP_PAIR)
    hip_width = max(square_on_hip_width(pose.points), hips, 1.0)
    return replace(frame, hip_width=hip_width, across=max(hips / hip_width, MIN_ACROSS))


def turned_away(
    pose: Pose, frame: BodyFrame, pairs: tuple[tuple[int, int], ...] = SHOULDERS_AND_HIPS
) -> float | None:
    """How far the body is turned, as the sine of the angle by which its side on the image's
    right lies further from the camera than its side on the left, averaged over the landmark
    ``pairs`` (the model's 3D landmarks: depth against distance across); None without them.
    """
    if pose.world is None:
        return None
    across = np.array([frame.left[0], frame.left[1], 0.0])  # towards the image's left
    sines = []
    for one, other in pairs:
        first_left = float((pose.points[one] - pose.points[other]) @ frame.left) > 0
        image_left, image_right = (one, other) if first_left else (other, one)
        step = pose.world[image_right] - pose.world[image_left]
        sines.append(step[2] / max(float(np.hypot(step @ across, step[2])), 1e-6))
    return float(np.mean(sines))
