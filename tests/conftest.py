"""Shared fixtures: the real photos in ../shared/data (skipped where absent) and one Detector."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("DIMPLES_SHARED_DATA", REPO.parent / "shared" / "data"))
SAMPLES = REPO / "sample_images"
#: Renders committed for the tests (each test says how it was made).
RENDERS = REPO / "tests" / "data" / "renders"


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
