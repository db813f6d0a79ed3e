"""Back-dimple detector: finds the dimples of Venus in an ordinary photo of a person's back.

>>> from detector import detect, Detector, DimpleReport
"""

from detector.batch import BatchResult, detect_batch
from detector.loading import ImageLoadError, load_image
from detector.pipeline import Detector, detect
from detector.report import DimpleReport

__all__ = [
    "BatchResult",
    "Detector",
    "DimpleReport",
    "ImageLoadError",
    "detect",
    "detect_batch",
    "load_image",
]
__version__ = "0.1.0"
