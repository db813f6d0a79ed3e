"""Percentiles read off histograms: for uint8 images and small integer counts, several times
faster than gathering and sorting the values, and equal to ``np.percentile``'s."""

from __future__ import annotations

from collections.abc import Sequence

import cv2
import numpy as np


def masked_medians(image: np.ndarray, mask: np.ndarray, channels: Sequence[int]) -> list[float]:
    """The median of each of ``channels`` of a uint8 ``image`` over the pixels where ``mask``
    (uint8) is set, as ``np.median`` gives it, read off the channels' histograms: several
    times faster than gathering and sorting the pixels."""
    histograms = (cv2.calcHist([image], [c], mask, [256], [0, 256]) for c in channels)
    return [histogram_percentiles(counts.ravel(), (50,))[0] for counts in histograms]


def histogram_percentiles(counts: np.ndarray, percents: Sequence[float]) -> list[float]:
    """The percentiles (linear interpolation, as ``np.percentile``) of the values ``0, 1,
    ...`` that occur ``counts`` times each."""
    cumulative = np.cumsum(np.asarray(counts, np.int64))
    last = int(cumulative[-1]) - 1
    found = []
    for percent in percents:
        index = percent / 100.0 * last
        low = int(index)
        below, above = np.searchsorted(cumulative, [low, min(low + 1, last)], side="right")
        found.append(float(below + (index - low) * (above - below)))
    return found


def level_percentiles(levels: np.ndarray, percents: Sequence[float]) -> list[float]:
    """``np.percentile(levels, percents)`` (linear interpolation) of non-negative integers,
    read off their histogram: a few times faster than sorting when there are few levels."""
    return histogram_percentiles(np.bincount(levels), percents)
