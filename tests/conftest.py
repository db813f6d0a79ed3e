"""Shared fixtures: the real photos in ../shared/data (skipped where absent) and one Detector."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DIMPLES_SHARED_DATA", REPO.parent / "shared" / "data"))
SAMPLES = REPO / "sample_images"


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
