"""Rebuild the offline MediaPipe models in models/, byte for byte.

The bundle (``models/pose_landmarker_full_offline.task``) is a zip of two
Google BlazePose models taken from the ``mediapipe==0.10.21`` wheel:

* ``pose_detector.tflite``: ``modules/pose_detection/pose_detection.tflite``,
  unchanged;
* ``pose_landmarks_detector.tflite``:
  ``modules/pose_landmark/pose_landmark_full.tflite`` with TFLite metadata added
  (image input in [0, 1]), which the Tasks API needs.

Beside it, ``face_detection_short_range.tflite`` (BlazeFace, used by the back-view
decision) is copied unchanged from ``modules/face_detection/`` of the same wheel.

Newer mediapipe releases ship neither the models nor a working metadata writer,
so the script creates a throw-away venv with ``mediapipe==0.10.21`` and re-runs
itself there (``--stage``) to extract and annotate the models. It then writes the
zip (stored, 64-byte aligned members, fixed timestamps) with this interpreter
and checks its sha256.

Usage::

    python scripts/build_pose_model.py [--out PATH] [--venv DIR] [--python EXE]

The venv interpreter must be Python 3.9-3.12 (mediapipe 0.10.21 has no wheels
for newer versions); pass ``--python`` if this interpreter is newer.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

EXPECTED_SHA256 = "67d87ec1d3d9139f2d113ac8e900c601ea3d36c2b10eec6d38034a619692c966"
FACE_SHA256 = "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8"
MEDIAPIPE_REQUIREMENT = "mediapipe==0.10.21"
DEFAULT_OUT = Path(__file__).resolve().parents[1] / "models" / "pose_landmarker_full_offline.task"

DETECTOR_MEMBER = "pose_detector.tflite"
LANDMARK_MEMBER = "pose_landmarks_detector.tflite"
DETECTOR_SOURCE = ("modules", "pose_detection", "pose_detection.tflite")
LANDMARK_SOURCE = ("modules", "pose_landmark", "pose_landmark_full.tflite")
FACE_MODEL = "face_detection_short_range.tflite"
FACE_SOURCE = ("modules", "face_detection", FACE_MODEL)
LANDMARK_OUTPUTS = (
    "landmarks",
    "pose_flag",
    "segmentation",
    "heatmap",
    "world_landmarks",
)

ZIP_DATE_TIME = (2025, 1, 1, 0, 0, 0)
ALIGNMENT = 64
PADDING_HEADER_ID = 0xCAFE
LOCAL_HEADER_SIZE = 30
EXTRA_RECORD_HEADER_SIZE = 4


def add_landmark_metadata(model: bytes) -> bytes:
    """Return the landmark model with the TFLite metadata the Tasks API requires.

    Runs only inside the mediapipe 0.10.x venv.
    """
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(
        "BlazePose GHUM 3D (full)", "Pose landmark model from mediapipe 0.10.x modules/"
    )
    writer.add_image_input(norm_mean=[0.0], norm_std=[255.0])
    for name in LANDMARK_OUTPUTS:
        writer.add_feature_output(name=name)
    annotated, _ = writer.populate()
    return bytes(annotated)


def stage_members(stage_dir: Path) -> None:
    """Write both bundle members and the face model into ``stage_dir`` from mediapipe.

    Runs only inside the mediapipe 0.10.x venv.
    """
    import mediapipe

    package_dir = Path(mediapipe.__file__).parent
    detector = package_dir.joinpath(*DETECTOR_SOURCE).read_bytes()
    landmarks = package_dir.joinpath(*LANDMARK_SOURCE).read_bytes()
    stage_dir.mkdir(parents=True, exist_ok=True)
    (stage_dir / DETECTOR_MEMBER).write_bytes(detector)
    (stage_dir / LANDMARK_MEMBER).write_bytes(add_landmark_metadata(landmarks))
    (stage_dir / FACE_MODEL).write_bytes(package_dir.joinpath(*FACE_SOURCE).read_bytes())


def run(command: list[str]) -> None:
    """Run ``command``; exit with a one-line message if it fails."""
    try:
        result = subprocess.run(command, check=False)
    except OSError as error:
        sys.exit(f"cannot run {command[0]}: {error}")
    if result.returncode != 0:
        sys.exit(f"command failed with exit status {result.returncode}: {' '.join(command)}")


def venv_python(venv_dir: Path) -> Path:
    """Return the path of the interpreter inside ``venv_dir``."""
    if os.name == "nt":
        return venv_dir / "Scripts" / "python.exe"
    return venv_dir / "bin" / "python"


def ensure_venv(venv_dir: Path, base_python: str) -> Path:
    """Create ``venv_dir`` if needed, install mediapipe 0.10.21, return its python."""
    python = venv_python(venv_dir)
    if not python.exists():
        run([base_python, "-m", "venv", str(venv_dir)])
    run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            MEDIAPIPE_REQUIREMENT,
        ]
    )
    return python


def alignment_extra(offset: int, name: str) -> bytes:
    """Return a 0xCAFE extra-field record that 64-byte aligns the member's data.

    ``offset`` is the file position where the member's local header starts.
    """
    header_end = offset + LOCAL_HEADER_SIZE + len(name.encode()) + EXTRA_RECORD_HEADER_SIZE
    pad = -header_end % ALIGNMENT
    return PADDING_HEADER_ID.to_bytes(2, "little") + pad.to_bytes(2, "little") + bytes(pad)


def write_bundle(out: Path, members: list[tuple[str, bytes]]) -> None:
    """Write ``members`` to ``out``: stored, 64-byte aligned, fixed timestamps."""
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle, zipfile.ZipFile(handle, "w") as bundle:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_STORED
            info.extra = alignment_extra(handle.tell(), name)
            bundle.writestr(info, data)


def sha256_of(path: Path) -> str:
    """Return the hex sha256 of the file at ``path``."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def build(out: Path, venv_dir: Path | None, base_python: str) -> tuple[str, str]:
    """Build the bundle at ``out`` and the face model beside it; return both sha256s."""
    with tempfile.TemporaryDirectory(prefix="build_pose_model_") as tmp:
        python = ensure_venv(venv_dir or Path(tmp) / "venv", base_python)
        stage_dir = Path(tmp) / "members"
        run([str(python), str(Path(__file__).resolve()), "--stage", str(stage_dir)])
        members = [
            (name, (stage_dir / name).read_bytes()) for name in (DETECTOR_MEMBER, LANDMARK_MEMBER)
        ]
        face = out.with_name(FACE_MODEL)
        face.write_bytes((stage_dir / FACE_MODEL).read_bytes())
    write_bundle(out, members)
    return sha256_of(out), sha256_of(face)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="bundle to write")
    parser.add_argument(
        "--venv", type=Path, help="venv to create or reuse (default: a temporary one)"
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter (3.9-3.12) that creates the venv",
    )
    parser.add_argument("--stage", type=Path, help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Build and check the bundle, or (with ``--stage``) only write its members."""
    args = parse_args(argv)
    if args.stage:
        stage_members(args.stage)
        return 0
    digest, face_digest = build(args.out, args.venv, args.python)
    print(f"{digest}  {args.out}")
    print(f"{face_digest}  {args.out.with_name(FACE_MODEL)}")
    for got, expected in ((digest, EXPECTED_SHA256), (face_digest, FACE_SHA256)):
        if got != expected:
            print(f"sha256 mismatch: expected {expected}, got {got}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
