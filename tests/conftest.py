"""Shared fixtures: the real photos in ../shared/data (skipped where absent) and one Detector."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pytest

if TYPE_CHECKING:
    from detector.pose import Pose

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DIMPLES_SHARED_DATA", REPO.parent / "shared" / "data"))
SAMPLES = REPO / "sample_images"
#: Renders committed for the tests (each test says how it was made).
RENDERS = REPO / "tests" / "data" / "renders"


def assert_claimed_at(report, centres: dict, spacing: float, within: float) -> None:
    """The report claims a pair, each dimple within ``within`` of the true spacing of its
    true centre (``centres`` by side, in pixels)."""
    assert report.status == "ok" and report.present
    for dimple in report.dimples:
        x, y = centres[dimple.side]
        assert np.hypot(dimple.x - x, dimple.y - y) < within * spacing


def load_script(name: str) -> ModuleType:
    """``scripts/<name>.py`` imported as the module ``name`` (scripts are not a package)."""
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses in the script look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def shared_labels() -> list[dict]:
    """Entries of ../shared/data/labels.json; the test is skipped where ../shared is absent."""
    labels = SHARED_DATA / "labels.json"
    if not labels.is_file():
        pytest.skip(f"real photos not available ({labels} missing)")
    return json.loads(labels.read_text())["images"]


@pytest.fixture(scope="session")
def detector():
    """One Detector for the whole session (the model loads once)."""
    from detector import Detector

    with Detector() as det:
        yield det


def turned_skeleton(turn_deg: float, quarter_turns: int = 0) -> Pose:
    """A back view's shoulders and hips (the person's left on the image's left) of the renders'
    square-on proportions, turned ``turn_deg`` about the spine so that its side on the image's
    right lies further from the camera (the photo's distances across shrink by the cosine),
    with the model's 3D landmarks; the photo turned clockwise by ``quarter_turns``."""
    from detector.pose import (
        LEFT_HIP,
        LEFT_SHOULDER,
        RIGHT_HIP,
        RIGHT_SHOULDER,
        SQUARE_HIPS_PER_TORSO,
        SQUARE_SHOULDERS_PER_TORSO,
        Pose,
    )

    points, world = np.zeros((33, 2)), np.zeros((33, 3))
    turn = np.radians(turn_deg)
    torso = 400.0
    for index, half_width, y in (
        (LEFT_SHOULDER, -SQUARE_SHOULDERS_PER_TORSO * torso / 2.0, 300.0),
        (RIGHT_SHOULDER, SQUARE_SHOULDERS_PER_TORSO * torso / 2.0, 300.0),
        (LEFT_HIP, -SQUARE_HIPS_PER_TORSO * torso / 2.0, 300.0 + torso),
        (RIGHT_HIP, SQUARE_HIPS_PER_TORSO * torso / 2.0, 300.0 + torso),
    ):
        points[index] = (500.0 + half_width * np.cos(turn), y)
        across = half_width / 1000.0  # metres from the spine, + towards the image's right
        world[index] = (across * np.cos(turn), (y - 500.0) / 1000.0, across * np.sin(turn))
    for _ in range(quarter_turns):  # clockwise in the image: (x, y) -> (-y, x); 3D alike
        points = np.column_stack([-points[:, 1], points[:, 0]])
        world = np.column_stack([-world[:, 1], world[:, 0], world[:, 2]])
    return Pose(points=points, mask=None, world=world)
