"""Shrinking photos fast. OpenCV's area resampling (``INTER_AREA``) takes a fast block-mean
path only when both sides shrink by the same whole factor; by a fraction it is several times
slower (5 ms for a 1080 x 1440 photo). So a photo is shrunk by whole factors first, and only
what is left, a few hundred pixels wide, by a fraction."""

from __future__ import annotations

import cv2
import numpy as np


def shrunk(image: np.ndarray, factor: int) -> np.ndarray:
    """``image`` shrunk by a whole ``factor``, each pixel the mean of a ``factor`` square
    block; the last ``factor - 1`` rows or columns at most are dropped, so that the blocks
    tile the image (pixel ``u`` of the result covers pixels ``factor u ... factor u +
    factor - 1``)."""
    if factor == 1:
        return image
    height, width = image.shape[:2]
    size = (width // factor, height // factor)
    tiled = image[: size[1] * factor, : size[0] * factor]
    return cv2.resize(tiled, size, interpolation=cv2.INTER_AREA)


def area_resized(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``image`` area-averaged down to ``size`` ``(width, height)``: by the largest whole
    factor that keeps it at least that size, then by the fraction left. The whole-factor step
    drops up to ``factor - 1`` rows and columns at the far edges, so positions there move by
    less than one output pixel: for masks, blur and pose input, not for measuring."""
    width, height = size
    factor = max(1, min(image.shape[1] // max(width, 1), image.shape[0] // max(height, 1)))
    image = shrunk(image, factor)
    if (image.shape[1], image.shape[0]) == (width, height):
        return image
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
