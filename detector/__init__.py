"""Back-dimple detector: finds the dimples of Venus in an ordinary photo of a person's back.

>>> from detector import detect, Detector, DimpleReport

The names are imported on first use, so ``dimples`` starts quickly and reports a bad file
before the heavy modules (MediaPipe, OpenCV, SciPy) load.
"""

from importlib import import_module
from typing import Any

_HOMES = {
    "BatchResult": "detector.batch",
    "detect_batch": "detector.batch",
    "ImageLoadError": "detector.loading",
    "load_image": "detector.loading",
    "Detector": "detector.pipeline",
    "detect": "detector.pipeline",
    "DimpleReport": "detector.report",
}

__all__ = sorted(_HOMES)
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'detector' has no attribute {name!r}")
    value = getattr(import_module(_HOMES[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
