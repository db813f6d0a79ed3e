"""Evaluate the dimple detector on a labelled folder of images.

Usage::

    python scripts/evaluate.py FOLDER --labels LABELS.json [--out summary.json]
                               [--plot roc.png] [--worst N] [--degrade jpeg:50]
                               [--cut-above DISTANCES] [--cut-below DISTANCES]
                               [--turn mirror|90|180|270]

Two kinds of labels are understood, told apart by their ``schema`` key:

- ``dimples-renders/1`` (rendered benchmark, ``scripts/render.py``): ROC AUC, accuracy, precision
  and recall of ``present``, overall, by framing and by depth band, and for the whole bodies
  by the key light's angle from the camera's axis; localization error and miss
  rate of the reported dimples; Spearman correlations with depth; status counts; the back-view
  decision; renders labelled ``lower_back: covered`` (``render.py --variant high_waist``) apart,
  as the real photos' covered backs; the worst images; the project's targets on the whole
  bodies with 95 % bootstrap intervals (the images resampled), which say how far each figure
  could move on another set drawn from the same ranges.
- ``shared-data/1`` (real photos, ``../shared/data/labels.json``): what those labels can score,
  i.e. the back-view decision, claims on covered or out-of-frame lower backs, over-claims where no
  dimples are visible, status counts.

``--degrade`` degrades every image the way real photos are degraded before the detector sees
it (``jpeg:QUALITY`` or ``webp:QUALITY`` recompression, ``noise:SIGMA`` Gaussian noise in
grey levels, ``blur:SIGMA`` Gaussian blur in pixels, ``exposure:GAIN`` the light multiplied by
GAIN and clipped at white, ``scale:FACTOR`` resized by FACTOR, as smaller photos and renders
are made; reported positions are scaled back), to measure how robust the figures are.
``--cut-below DISTANCES`` cuts every labelled back view that far below its lowest dimple, in
inter-dimple distances (2.5: at the upper thighs; 1.2: at the buttocks' crease), as photos
taken from the waist up are framed; ``--cut-above DISTANCES`` cuts it that far above its
highest dimple (5: at the shoulders, no head). Reported positions are moved back into the
uncut image's pixels before they are compared with the labels.
``--turn`` mirrors every image left to right (``mirror``) or turns it clockwise by 90, 180 or
270 degrees, as photos reach the tool from a selfie camera or without their EXIF orientation;
reported positions are turned back (and, for a mirror, their sides swapped) before they are
compared.

The detector runs once per labelled image with one reused ``Detector``; every image gets a row
(the report's ``to_dict()`` plus the label's ``file``), an exception becoming a row with status
``error``. The metric functions work on plain dicts, so a summary can be recomputed from saved
rows (the summary JSON keeps them under ``rows``) without running the detector::

    summary = summarize(json.load(open("summary.json"))["rows"], json.load(open("labels.json")))
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, NamedTuple, Protocol, TextIO

import numpy as np
from scipy.stats import rankdata, spearmanr

STATUSES = ("ok", "no_person", "not_back_view", "region_not_visible", "low_quality", "error")
FRAMINGS = ("full_body", "closeup", "front")
# Depth bands of positive images, half-open intervals [low, high) in millimetres; "none" holds
# the negatives (``present`` false).
DEPTH_BANDS = (
    ("<2 mm", 0.0, 2.0),
    ("2-4 mm", 2.0, 4.0),
    ("4-6 mm", 4.0, 6.0),
    (">6 mm", 6.0, math.inf),
)
#: Bands of the key light's angle from the camera's axis (degrees, [low, high)): a pit's walls
#: shade in proportion to its tangent, so light from near the camera hides shallow pits.
LIGHT_ANGLE_BANDS = ((0.0, 35.0), (35.0, 50.0), (50.0, 65.0), (65.0, 180.0))
TARGET_DEPTH_MM = 3.0  # project target: AUC for depth >= 3 mm vs none, full body
MISS_RADIUS = 0.5  # a labelled dimple is missed with no reported dimple within this x inter-dimple
REJECTING_STATUSES = ("no_person", "not_back_view")  # statuses that deny a back view
STRONG_PROMINENCE = ("moderate", "pronounced")
SCORE_NOTE = "images with status != ok count as score 0 and as predicted absent"

Row = dict[str, Any]
Label = dict[str, Any]


# --------------------------------------------------------------------------------------------
# Generic metrics
# --------------------------------------------------------------------------------------------


def roc_auc(
    scores: Sequence[float], labels: Sequence[bool], groups: Sequence[Any] | None = None
) -> float | None:
    """Area under the ROC curve, the Mann-Whitney statistic with ties counted as one half.

    Parameters
    ----------
    scores : sequence of float
        Higher means more evidence for the positive class.
    labels : sequence of bool
        True for positives.
    groups : sequence, optional
        When given, only (positive, negative) pairs of the same group count: the AUC is the
        fraction of such pairs ranked correctly, pooled over groups.

    Returns
    -------
    float or None
        None when there is no positive-negative pair to compare.

    Examples
    --------
    >>> roc_auc([0.9, 0.4, 0.4, 0.1], [True, True, False, False])
    0.875
    """
    keys = [None] * len(scores) if groups is None else list(groups)
    wins = 0.0
    pairs = 0
    for group in dict.fromkeys(keys):
        idx = [i for i, key in enumerate(keys) if key == group]
        s = np.asarray([scores[i] for i in idx], dtype=float)
        y = np.asarray([bool(labels[i]) for i in idx])
        n_pos, n_neg = int(y.sum()), int((~y).sum())
        if n_pos == 0 or n_neg == 0:
            continue
        ranks = rankdata(s)  # average ranks: a tie counts one half for each side
        wins += float(ranks[y].sum()) - n_pos * (n_pos + 1) / 2
        pairs += n_pos * n_neg
    return wins / pairs if pairs else None


def roc_curve(scores: Sequence[float], labels: Sequence[bool]) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct score threshold, from (0, 0) to (1, 1).

    Requires at least one positive and one negative.
    """
    tp, fp, n_pos, n_neg = _cumulative_counts(scores, labels)
    return np.concatenate([[0.0], fp / n_neg]), np.concatenate([[0.0], tp / n_pos])


def precision_recall_curve(
    scores: Sequence[float], labels: Sequence[bool]
) -> tuple[np.ndarray, np.ndarray]:
    """Recall and precision at every distinct score threshold, highest threshold first.

    Starts at (recall 0, precision 1). Requires at least one positive.
    """
    tp, fp, n_pos, _ = _cumulative_counts(scores, labels)
    return np.concatenate([[0.0], tp / n_pos]), np.concatenate([[1.0], tp / (tp + fp)])


def _cumulative_counts(
    scores: Sequence[float], labels: Sequence[bool]
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """True and false positives when thresholding at each distinct score, highest first."""
    s = np.asarray(scores, dtype=float)
    y = np.asarray(labels, dtype=bool)
    order = np.argsort(-s, kind="stable")
    s, y = s[order], y[order]
    last_of_tie = np.r_[s[1:] != s[:-1], True]
    tp = np.cumsum(y)[last_of_tie].astype(float)
    fp = np.cumsum(~y)[last_of_tie].astype(float)
    return tp, fp, int(y.sum()), int((~y).sum())


def classification_metrics(predicted: Sequence[bool], actual: Sequence[bool]) -> dict[str, Any]:
    """Counts, accuracy, precision and recall of binary predictions (None where undefined)."""
    pairs = list(zip(predicted, actual, strict=True))
    tp = sum(p and a for p, a in pairs)
    fp = sum(p and not a for p, a in pairs)
    fn = sum(a and not p for p, a in pairs)
    tn = len(pairs) - tp - fp - fn
    return {
        "tp": tp,
        "fp": fp,
        "tn": tn,
        "fn": fn,
        "accuracy": _ratio(tp + tn, len(pairs)),
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
    }


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman rank correlation; None with fewer than two pairs or a constant sequence."""
    if len(a) != len(b):
        raise ValueError("spearman needs sequences of equal length")
    if len(a) < 2 or len(set(a)) < 2 or len(set(b)) < 2:
        return None
    return float(spearmanr(a, b).statistic)


def quantiles(values: Sequence[float]) -> dict[str, Any]:
    """Count, median and 90th percentile (linear interpolation); None for an empty sequence."""
    if not values:
        return {"n": 0, "median": None, "p90": None}
    return {
        "n": len(values),
        "median": float(np.median(values)),
        "p90": float(np.percentile(values, 90)),
    }


def fraction(hits: int, n: int) -> dict[str, Any]:
    """``{"n", "correct", "rate"}`` with rate None when n is 0."""
    return {"n": n, "correct": hits, "rate": _ratio(hits, n)}


def status_counts(rows: Iterable[Row]) -> dict[str, int]:
    """How many rows have each status; every known status is listed, unknown ones appended."""
    counts = Counter(row.get("status") for row in rows)
    listed = {status: counts.pop(status, 0) for status in STATUSES}
    return listed | {str(status): n for status, n in counts.items()}


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


# --------------------------------------------------------------------------------------------
# Rows (detector reports as dicts) and render labels
# --------------------------------------------------------------------------------------------


def is_ok(row: Row) -> bool:
    """Whether the detector reached a verdict on the image."""
    return row.get("status") == "ok"


def row_score(row: Row) -> float:
    """The report's score, with 0 for images whose status is not ``ok``."""
    return float(row.get("score") or 0.0) if is_ok(row) else 0.0


def row_present(row: Row) -> bool:
    """Predicted presence: ``present`` true on an ``ok`` report; any other status is absent."""
    return is_ok(row) and bool(row.get("present"))


def image_depth(label: Label) -> float | None:
    """Mean ``depth_mm`` of an image's labelled dimples, None when it has none."""
    depths = [d["depth_mm"] for d in label.get("dimples") or [] if d.get("depth_mm") is not None]
    return float(np.mean(depths)) if depths else None


def depth_band(label: Label) -> str | None:
    """``"none"`` for a negative, else the band of :data:`DEPTH_BANDS` holding its depth."""
    if not label.get("present"):
        return "none"
    depth = image_depth(label)
    if depth is None:
        return None
    return next(name for name, low, high in DEPTH_BANDS if low <= depth < high)


def localization_errors(label: Label, row: Row) -> list[dict[str, Any]]:
    """Match each visible labelled dimple to the reported dimple of the same side.

    Parameters
    ----------
    label : dict
        A ``dimples-renders/1`` image entry (``dimples`` with ``side``, ``x``, ``y``,
        ``depth_mm``, ``visible``; ``inter_dimple_px``).
    row : dict
        The detector's report as a dict (``dimples`` with ``side``, ``x``, ``y``,
        ``depth_index``).

    Returns
    -------
    list of dict
        One entry per visible labelled dimple: ``side``, ``depth_mm``; ``error``, the distance to
        the same-side reported dimple as a fraction of ``inter_dimple_px`` (None when no dimple of
        that side is reported); ``depth_index`` of that reported dimple; ``side_swapped``, true
        when that reported dimple lies closer to the other side's label (the error is still
        measured by side, never silently swapped); ``missed``, true when no reported dimple of
        any side lies within ``MISS_RADIUS`` x ``inter_dimple_px``. Empty when the label has no
        positive ``inter_dimple_px``.
    """
    inter = label.get("inter_dimple_px")
    if not inter:
        return []
    reported = row.get("dimples") or []
    by_side = {d["side"]: d for d in reported}
    labelled = {d["side"]: d for d in label.get("dimples") or []}
    out = []
    for side, truth in labelled.items():
        if not truth.get("visible", True):
            continue
        match = by_side.get(side)
        other = next((d for s, d in labelled.items() if s != side), None)
        entry: dict[str, Any] = {
            "side": side,
            "depth_mm": truth.get("depth_mm"),
            "error": None,
            "depth_index": None,
            "side_swapped": False,
            "missed": all(_distance(truth, d) > MISS_RADIUS * inter for d in reported),
        }
        if match is not None:
            own = _distance(truth, match)
            entry["error"] = own / inter
            entry["depth_index"] = match.get("depth_index")
            entry["side_swapped"] = other is not None and _distance(other, match) < own
        out.append(entry)
    return out


def _distance(a: Mapping[str, Any], b: Mapping[str, Any]) -> float:
    return math.hypot(a["x"] - b["x"], a["y"] - b["y"])


def _join(rows: Iterable[Row], labels: Mapping[str, Any]) -> list[tuple[Label, Row]]:
    """Pair label entries with the rows of the same ``file``; unmatched labels are left out."""
    by_file = {row["file"]: row for row in rows}
    return [
        (label, by_file[label["file"]]) for label in labels["images"] if label["file"] in by_file
    ]


# --------------------------------------------------------------------------------------------
# Summaries
# --------------------------------------------------------------------------------------------


def is_hidden(label: Label) -> bool:
    """Whether a label says the skin over the sacroiliac joints is covered or out of frame."""
    return label.get("lower_back") in ("covered", "out_of_frame")


def hidden_summary(hidden: Sequence[tuple[Label, Row]]) -> dict[str, Any]:
    """Of images whose lower back is hidden: how many, how many had dimples claimed (should be
    0), how many had a person found (status neither ``no_person`` nor ``error``), how many of
    those got ``region_not_visible`` (should be all), and their status counts."""
    found = [row for _, row in hidden if row.get("status") not in ("no_person", "error")]
    return {
        "n": len(hidden),
        "claimed": sum(row_present(row) for _, row in hidden),
        "person_found": len(found),
        "region_not_visible": sum(row.get("status") == "region_not_visible" for row in found),
        "status_counts": status_counts(row for _, row in hidden),
    }


def detection_metrics(
    pairs: Sequence[tuple[Label, Row]], groups: str | None = None
) -> dict[str, Any]:
    """AUC (all images with non-ok as score 0, and ok images only) and classification metrics.

    ``groups`` names a label key (e.g. ``"framing"``): when given, AUC pairs only images that
    share its value.
    """
    actual = [bool(label.get("present")) for label, _ in pairs]
    scores = [row_score(row) for _, row in pairs]
    keys = [label.get(groups) for label, _ in pairs] if groups else None
    ok = [i for i, (_, row) in enumerate(pairs) if is_ok(row)]
    return {
        "n": len(pairs),
        "n_pos": sum(actual),
        "n_neg": len(actual) - sum(actual),
        "n_ok": len(ok),
        "auc": roc_auc(scores, actual, keys),
        "auc_ok": roc_auc(
            [scores[i] for i in ok],
            [actual[i] for i in ok],
            [keys[i] for i in ok] if keys else None,
        ),
        **classification_metrics([row_present(row) for _, row in pairs], actual),
    }


def deep_or_none(label: Label) -> bool:
    """Whether a labelled image counts in the AUC target: without dimples, or with dimples at
    least :data:`TARGET_DEPTH_MM` deep."""
    return not label.get("present") or (image_depth(label) or 0.0) >= TARGET_DEPTH_MM


class TargetImage(NamedTuple):
    """What the project's targets read of one labelled image and its row."""

    present: bool
    deep_or_none: bool
    score: float
    predicted: bool
    ok: bool
    depth_mm: float | None
    errors: tuple[float, ...]


def target_image(label: Label, row: Row) -> TargetImage:
    """The :class:`TargetImage` of one labelled image: its matched localisation errors are
    those of an ok positive."""
    present = bool(label.get("present"))
    errors = localization_errors(label, row) if present and is_ok(row) else []
    return TargetImage(
        present=present,
        deep_or_none=deep_or_none(label),
        score=row_score(row),
        predicted=row_present(row),
        ok=is_ok(row),
        depth_mm=image_depth(label),
        errors=tuple(e["error"] for e in errors if e["error"] is not None),
    )


def target_figures(images: Sequence[TargetImage]) -> dict[str, float | None]:
    """The project's targets on ``images`` (the whole bodies): AUC of dimples at least
    :data:`TARGET_DEPTH_MM` deep against none, accuracy of ``present`` over all depths,
    median and 90th percentile of the localisation error (a fraction of the inter-dimple
    distance; the matched dimples of the ok positives), Spearman(score, depth) among the ok
    positives."""
    target = [image for image in images if image.deep_or_none]
    positives = [i for i in images if i.present and i.ok and i.depth_mm is not None]
    localization = quantiles([error for image in images for error in image.errors])
    return {
        "auc_depth_ge_3mm": roc_auc([i.score for i in target], [i.present for i in target]),
        "accuracy": classification_metrics(
            [i.predicted for i in images], [i.present for i in images]
        )["accuracy"],
        "localization_median": localization["median"],
        "localization_p90": localization["p90"],
        "spearman": spearman([i.depth_mm for i in positives], [i.score for i in positives]),
    }


#: Resamples and coverage of the targets' bootstrap intervals.
BOOTSTRAP_RESAMPLES = 1000
INTERVAL_LEVEL = 0.95


def target_intervals(
    pairs: Sequence[tuple[Label, Row]],
    resamples: int = BOOTSTRAP_RESAMPLES,
    level: float = INTERVAL_LEVEL,
    seed: int = 0,
) -> dict[str, Any]:
    """:func:`target_figures` of ``pairs`` with percentile bootstrap intervals: the images
    drawn with replacement ``resamples`` times, each figure's central ``level`` share of the
    resampled values. How far a figure could move on another set of renders drawn from the same
    ranges: a target is missed or met beyond doubt only where its whole interval says so."""
    images = [target_image(label, row) for label, row in pairs]
    figures = target_figures(images)
    rng = np.random.default_rng(seed)
    drawn: dict[str, list[float]] = {name: [] for name in figures}
    for _ in range(resamples if images else 0):
        sample = [images[i] for i in rng.integers(0, len(images), len(images))]
        for name, value in target_figures(sample).items():
            if value is not None:
                drawn[name].append(value)
    tail = 100.0 * (1.0 - level) / 2.0
    intervals = {
        name: [float(v) for v in np.percentile(values, [tail, 100.0 - tail])] if values else None
        for name, values in drawn.items()
    }
    return {
        "n": len(images),
        "figures": figures,
        "intervals": intervals,
        "resamples": resamples,
        "level": level,
    }


def summarize_renders(
    rows: Iterable[Row], labels: Mapping[str, Any], worst: int = 10
) -> dict[str, Any]:
    """Summary of detector rows against ``dimples-renders/1`` labels (see the module docstring).

    Rows are matched to labels by ``file``. Images with status other than ``ok`` count as score 0
    and as predicted absent. A depth band's AUC compares its positives with the negatives of the
    same framing only.
    """
    joined = _join(rows, labels)
    # Renders whose clothing covers the dimples are scored as the real photos' covered backs,
    # apart from the detection figures: a detector should not judge them.
    hidden = [(lab, row) for lab, row in joined if is_hidden(lab)]
    pairs = [(lab, row) for lab, row in joined if not is_hidden(lab)]
    negatives = [(lab, row) for lab, row in pairs if not lab.get("present")]

    by_depth = {"none": detection_metrics(negatives)}
    for band, _, _ in DEPTH_BANDS:
        positives = [(lab, row) for lab, row in pairs if depth_band(lab) == band]
        framings = {lab.get("framing") for lab, _ in positives}
        same_framing = [(lab, row) for lab, row in negatives if lab.get("framing") in framings]
        by_depth[band] = detection_metrics(positives + same_framing, groups="framing")

    full_body = [(lab, row) for lab, row in pairs if lab.get("framing") == "full_body"]
    target = [(lab, row) for lab, row in full_body if deep_or_none(lab)]

    localized: list[dict[str, Any]] = []  # positive ok images
    miss_all = miss_ok = n_visible = n_visible_ok = 0
    per_image_error = []
    for lab, row in pairs:
        if not lab.get("present"):
            continue
        errors = localization_errors(lab, row)
        n_visible += len(errors)
        miss_all += sum(e["missed"] for e in errors)
        if is_ok(row):
            localized += errors
            n_visible_ok += len(errors)
            miss_ok += sum(e["missed"] for e in errors)
            measured = [e["error"] for e in errors if e["error"] is not None]
            if measured:
                per_image_error.append((max(measured), lab, row))
    matched = [e for e in localized if e["error"] is not None]

    ok_positives = [(lab, row) for lab, row in pairs if lab.get("present") and is_ok(row)]
    with_depth = [
        (image_depth(lab), row_score(row), lab.get("framing") == "full_body")
        for lab, row in ok_positives
    ]
    with_depth = [(d, s, full) for d, s, full in with_depth if d is not None]
    indexed = [
        (e["depth_index"], e["depth_mm"])
        for e in matched
        if e["depth_index"] is not None and e["depth_mm"] is not None
    ]

    full_back = [row for lab, row in full_body if lab.get("view") == "back"]
    front = [row for lab, row in pairs if lab.get("view") == "front"]

    false_neg = [(lab, row) for lab, row in pairs if lab.get("present") and not row_present(row)]
    false_pos = [(lab, row) for lab, row in pairs if not lab.get("present") and row_present(row)]
    false_neg.sort(key=lambda p: row_score(p[1]))
    false_pos.sort(key=lambda p: -row_score(p[1]))
    per_image_error.sort(key=lambda t: -t[0])

    return {
        "labels_schema": labels.get("schema"),
        "note": SCORE_NOTE,
        "n_images": len(pairs),
        "lower_back_hidden": hidden_summary(hidden),
        "overall": detection_metrics(pairs),
        "by_framing": {
            f: detection_metrics([p for p in pairs if p[0].get("framing") == f]) for f in FRAMINGS
        },
        "by_depth": by_depth,
        "auc_depth_ge_3mm_vs_none_full_body": detection_metrics(target),
        "full_body_by_light_angle": by_light_angle(full_body),
        "targets_full_body": target_intervals(full_body),
        "localization": {
            "n_visible_dimples": n_visible_ok,
            "n_matched": len(matched),
            "error": quantiles([e["error"] for e in matched]),
            "side_swapped": sum(e["side_swapped"] for e in matched),
            "miss_rate": _ratio(miss_all, n_visible),
            "n_missed": miss_all,
            "n_visible_dimples_all": n_visible,
            "miss_rate_ok": _ratio(miss_ok, n_visible_ok),
        },
        "spearman": {
            "score_vs_depth": _spearman_of_pairs([(d, s) for d, s, _ in with_depth]),
            # The project's target is set on the whole bodies.
            "score_vs_depth_full_body": _spearman_of_pairs(
                [(d, s) for d, s, full in with_depth if full]
            ),
            "depth_index_vs_depth": _spearman_of_pairs(indexed),
        },
        "light_error_deg": quantiles(
            [err for lab, row in pairs if (err := light_error_deg(lab, row)) is not None]
        ),
        "status_counts": {
            "all": status_counts(row for _, row in pairs),
            "by_framing": {
                f: status_counts(r for lab, r in pairs if lab.get("framing") == f) for f in FRAMINGS
            },
        },
        "back_view": {
            "full_body_back_accepted": fraction(
                sum(row.get("status") not in REJECTING_STATUSES for row in full_back),
                len(full_back),
            ),
            "front_rejected": fraction(
                sum(row.get("status") == "not_back_view" for row in front), len(front)
            ),
        },
        "worst": {
            "false_negatives": [_brief(lab, row) for lab, row in false_neg[:worst]],
            "false_positives": [_brief(lab, row) for lab, row in false_pos[:worst]],
            "localization": [
                _brief(lab, row) | {"error": err} for err, lab, row in per_image_error[:worst]
            ],
        },
    }


def label_light(label: Label) -> np.ndarray | None:
    """The rendered key light as a unit vector (right, up, towards the camera), or None without
    one. The label's light is an azimuth from facing the camera towards the person's right and
    an elevation above the horizon."""
    light = label.get("light")
    if not light or light.get("relative_to") != "back":
        return None
    azimuth, elevation = np.radians(light["azimuth_deg"]), np.radians(light["elevation_deg"])
    level = np.cos(elevation)
    return np.array([level * np.sin(azimuth), np.sin(elevation), level * np.cos(azimuth)])


def light_angle_deg(label: Label) -> float | None:
    """The rendered key light's angle from the camera's axis (degrees), or None without one."""
    light = label_light(label)
    if light is None:
        return None
    return float(np.degrees(np.arccos(np.clip(light[2], -1.0, 1.0))))


def by_light_angle(pairs: Sequence[tuple[Label, Row]]) -> dict[str, dict[str, Any]]:
    """:func:`detection_metrics` of ``pairs`` in each band of :data:`LIGHT_ANGLE_BANDS` (renders
    without a light in their label are left out)."""
    angles = [light_angle_deg(label) for label, _ in pairs]
    return {
        f"{low:g}-{high:g} deg": detection_metrics(
            [
                pair
                for pair, a in zip(pairs, angles, strict=True)
                if a is not None and low <= a < high
            ]
        )
        for low, high in LIGHT_ANGLE_BANDS
    }


def light_error_deg(label: Label, row: Row) -> float | None:
    """Angle (degrees) between the reported and the rendered key light (:func:`label_light`),
    or None where either is missing. The report's light is an azimuth from the head end of the
    spine towards the person's right and an angle from the camera's axis."""
    expected, found = label_light(label), row.get("light")
    if expected is None or not found:
        return None
    azimuth, off_axis = np.radians(found["azimuth_deg"]), np.radians(found["elevation_deg"])
    reported = np.array(
        [np.sin(off_axis) * np.sin(azimuth), np.sin(off_axis) * np.cos(azimuth), np.cos(off_axis)]
    )
    return float(np.degrees(np.arccos(np.clip(expected @ reported, -1.0, 1.0))))


def _spearman_of_pairs(pairs: Sequence[tuple[float, float]]) -> dict[str, Any]:
    """``{"rho", "n"}``: :func:`spearman` of the first against the second members."""
    return {"rho": spearman([a for a, _ in pairs], [b for _, b in pairs]), "n": len(pairs)}


def _brief(label: Label, row: Row) -> dict[str, Any]:
    """The few fields that identify an image in a list of worst cases."""
    return {
        "file": label["file"],
        "status": row.get("status"),
        "score": row.get("score"),
        "present": label.get("present"),
        "depth_mm": image_depth(label),
        "framing": label.get("framing"),
    }


def summarize_real(
    rows: Iterable[Row], labels: Mapping[str, Any], worst: int = 10
) -> dict[str, Any]:
    """Summary of detector rows against ``shared-data/1`` real-photo labels.

    - back-view decision on ``view_check`` photos: a back view is right with any status but
      ``no_person`` and ``not_back_view``, a front view with ``not_back_view``;
    - ``lower_back`` covered or out of frame: dimples claimed (``present`` true, should be 0) and,
      among photos where a person was found (status neither ``no_person`` nor ``error``), how many
      got ``region_not_visible``;
    - ``dimples_visible: no``: reports with prominence moderate or pronounced (should be 0);
    - status counts overall and by view.
    """
    pairs = _join(rows, labels)

    def view_right(label: Label, row: Row) -> bool:
        if label["view"] == "back":
            return row.get("status") not in REJECTING_STATUSES
        return row.get("status") == "not_back_view"

    checked = [
        (lab, row)
        for lab, row in pairs
        if lab.get("view_check") and lab.get("view") in ("back", "front")
    ]
    view_errors = [(lab, row) for lab, row in checked if not view_right(lab, row)]
    back_view = {"all": fraction(len(checked) - len(view_errors), len(checked))}
    for view in ("back", "front"):
        subset = [(lab, row) for lab, row in checked if lab["view"] == view]
        back_view[view] = fraction(sum(view_right(lab, row) for lab, row in subset), len(subset))

    hidden = [(lab, row) for lab, row in pairs if is_hidden(lab)]
    claims = [(lab, row) for lab, row in hidden if row_present(row)]

    not_visible = [(lab, row) for lab, row in pairs if lab.get("dimples_visible") == "no"]
    overclaims = [
        (lab, row)
        for lab, row in not_visible
        if is_ok(row) and row.get("prominence") in STRONG_PROMINENCE
    ]

    def brief(label: Label, row: Row) -> dict[str, Any]:
        keys = ("file", "view", "lower_back", "dimples_visible")
        return {k: label.get(k) for k in keys} | {
            k: row.get(k) for k in ("status", "score", "prominence")
        }

    return {
        "labels_schema": labels.get("schema"),
        "n_images": len(pairs),
        "back_view": back_view,
        "lower_back_hidden": hidden_summary(hidden),
        "dimples_not_visible": {"n": len(not_visible), "overclaimed": len(overclaims)},
        "status_counts": {
            "all": status_counts(row for _, row in pairs),
            "by_view": {
                view: status_counts(row for lab, row in pairs if lab.get("view") == view)
                for view in ("back", "front", "side")
            },
        },
        "worst": {
            "view_errors": [brief(lab, row) for lab, row in view_errors[:worst]],
            "hidden_claims": [brief(lab, row) for lab, row in claims[:worst]],
            "overclaims": [brief(lab, row) for lab, row in overclaims[:worst]],
        },
    }


SUMMARIZERS: dict[str, Callable[..., dict[str, Any]]] = {
    "dimples-renders/1": summarize_renders,
    "shared-data/1": summarize_real,
}


def summarize(rows: Iterable[Row], labels: Mapping[str, Any], worst: int = 10) -> dict[str, Any]:
    """Dispatch on the labels' ``schema`` to :func:`summarize_renders` or :func:`summarize_real`."""
    schema = labels.get("schema")
    if schema not in SUMMARIZERS:
        raise ValueError(f"unknown labels schema {schema!r}; expected one of {sorted(SUMMARIZERS)}")
    return SUMMARIZERS[schema](rows, labels, worst=worst)


# --------------------------------------------------------------------------------------------
# Text output
# --------------------------------------------------------------------------------------------


def _num(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _frac(f: Mapping[str, Any]) -> str:
    return f"{_num(f['rate'])} ({f['correct']}/{f['n']})"


def _counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{status} {n}" for status, n in counts.items() if n) or "none"


def _worst_lines(title: str, items: Sequence[Mapping[str, Any]]) -> list[str]:
    if not items:
        return []
    lines = [f"  {title}:"]
    for item in items:
        lines.append(
            "    "
            + "  ".join(f"{k}={_num(v) if isinstance(v, float) else v}" for k, v in item.items())
        )
    return lines


#: The targets' names in the text report, in its order.
TARGET_NAMES = {
    "auc_depth_ge_3mm": "AUC >= 3 mm",
    "accuracy": "accuracy",
    "localization_median": "localization error, median",
    "localization_p90": "localization error, 90th percentile",
    "spearman": "Spearman(score, depth)",
}


def _interval_lines(targets: Mapping[str, Any]) -> list[str]:
    """The project's targets with their bootstrap intervals (see :func:`target_intervals`)."""
    lines = [
        f"Project targets, full body ({targets['n']} images), with"
        f" {100 * targets['level']:.0f} % bootstrap intervals ({targets['resamples']} resamples"
        " of the images):"
    ]
    for key, name in TARGET_NAMES.items():
        interval = targets["intervals"][key]
        spread = "" if interval is None else f" ({_num(interval[0])}-{_num(interval[1])})"
        lines.append(f"  {name} {_num(targets['figures'][key])}{spread}")
    return lines


def format_renders(summary: Mapping[str, Any]) -> str:
    """Readable text of a :func:`summarize_renders` summary."""
    columns = ("n", "pos", "neg", "ok", "AUC", "AUC ok", "acc", "prec", "recall")
    header = f"{'':18}" + "".join(f"{c:>7}" for c in columns)

    def line(name: str, m: Mapping[str, Any]) -> str:
        counts = (m["n"], m["n_pos"], m["n_neg"], m["n_ok"])
        rates = (_num(m["auc"]), _num(m["auc_ok"]))
        rates += tuple(_num(m[k], 2) for k in ("accuracy", "precision", "recall"))
        return f"{name:18}" + "".join(f"{v:>7}" for v in (*counts, *rates))

    target = summary["auc_depth_ge_3mm_vs_none_full_body"]
    loc = summary["localization"]
    error = loc["error"]
    by_score = summary["spearman"]["score_vs_depth"]
    by_score_full = summary["spearman"]["score_vs_depth_full_body"]
    by_index = summary["spearman"]["depth_index_vs_depth"]
    view = summary["back_view"]
    lines = [
        f"{summary['n_images']} images ({summary['labels_schema']}); {SCORE_NOTE}.",
        "'AUC ok': ok images only. A depth band's AUC pairs its positives with the negatives",
        "of the same framing.",
        "",
        header,
        line("all", summary["overall"]),
        *(line(f"framing {f}", m) for f, m in summary["by_framing"].items()),
        *(line(f"depth {band}", m) for band, m in summary["by_depth"].items()),
        "Full body by the key light's angle from the camera's axis:",
        *(line(f"light {band}", m) for band, m in summary["full_body_by_light_angle"].items()),
        "",
        f"AUC depth >= 3 mm vs none, full body (project target): {_num(target['auc'])}"
        f" ({target['n_pos']} pos, {target['n_neg']} neg)",
        *_interval_lines(summary["targets_full_body"]),
        "",
        "Localization (positive ok images, visible labelled dimples),",
        "error as a fraction of the true inter-dimple distance:",
        f"  matched {loc['n_matched']} of {loc['n_visible_dimples']}: median"
        f" {_num(error['median'])}, p90 {_num(error['p90'])}; side-swapped {loc['side_swapped']}",
        f"  miss rate (no reported dimple within {MISS_RADIUS} x inter-dimple):"
        f" {_num(loc['miss_rate'])} ({loc['n_missed']}/{loc['n_visible_dimples_all']},"
        f" all positives); ok only {_num(loc['miss_rate_ok'])}",
        f"Spearman: score vs depth (ok positives) {_num(by_score['rho'])} (n={by_score['n']}),"
        f" full body (project target) {_num(by_score_full['rho'])} (n={by_score_full['n']});"
        f" depth_index vs depth_mm {_num(by_index['rho'])} (n={by_index['n']})",
        f"Light direction (ok images): angle to the key light median"
        f" {_num(summary['light_error_deg'].get('median'), 1)} deg, p90"
        f" {_num(summary['light_error_deg'].get('p90'), 1)} deg"
        f" (n={summary['light_error_deg'].get('n', 0)})",
        "Back-view decision: full-body back renders not rejected"
        f" {_frac(view['full_body_back_accepted'])}; front renders not_back_view"
        f" {_frac(view['front_rejected'])}",
        *(_hidden_lines(summary["lower_back_hidden"]) if summary["lower_back_hidden"]["n"] else []),
        "Status counts:",
        f"  all: {_counts(summary['status_counts']['all'])}",
        *(f"  {f}: {_counts(c)}" for f, c in summary["status_counts"]["by_framing"].items()),
    ]
    worst = summary["worst"]
    lines += ["Worst images:"] if any(worst.values()) else []
    lines += _worst_lines("false negatives, lowest score", worst["false_negatives"])
    lines += _worst_lines("false positives, highest score", worst["false_positives"])
    lines += _worst_lines("largest localization error", worst["localization"])
    return "\n".join(lines)


def _hidden_lines(hidden: Mapping[str, Any]) -> list[str]:
    """The lines of a :func:`hidden_summary`."""
    return [
        f"Lower back covered or out of frame: {hidden['n']} images",
        f"  dimples claimed {hidden['claimed']} (should be 0); region_not_visible"
        f" {hidden['region_not_visible']} of {hidden['person_found']} with a person found",
        f"  statuses: {_counts(hidden['status_counts'])}",
    ]


def format_real(summary: Mapping[str, Any]) -> str:
    """Readable text of a :func:`summarize_real` summary."""
    view = summary["back_view"]
    hidden = summary["lower_back_hidden"]
    not_visible = summary["dimples_not_visible"]
    lines = [
        f"{summary['n_images']} real photos ({summary['labels_schema']})",
        f"Back-view decision (view_check photos): {_frac(view['all'])}",
        f"  back views not rejected {_frac(view['back'])};"
        f" front views not_back_view {_frac(view['front'])}",
        *_hidden_lines(hidden),
        f"Dimples not visible: {not_visible['n']} photos; moderate/pronounced claimed"
        f" {not_visible['overclaimed']} (should be 0)",
        "Status counts:",
        f"  all: {_counts(summary['status_counts']['all'])}",
        *(f"  {v}: {_counts(c)}" for v, c in summary["status_counts"]["by_view"].items()),
    ]
    worst = summary["worst"]
    lines += ["Worst images:"] if any(worst.values()) else []
    lines += _worst_lines("wrong back-view decision", worst["view_errors"])
    lines += _worst_lines("dimples claimed on a hidden lower back", worst["hidden_claims"])
    lines += _worst_lines("moderate/pronounced where none visible", worst["overclaims"])
    return "\n".join(lines)


FORMATTERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "dimples-renders/1": format_renders,
    "shared-data/1": format_real,
}


# --------------------------------------------------------------------------------------------
# Plot
# --------------------------------------------------------------------------------------------


def plot_curves(rows: Iterable[Row], labels: Mapping[str, Any], path: Path) -> bool:
    """Write the ROC and precision-recall curves side by side to ``path`` (PNG).

    Two curves each: all images (non-ok as score 0) and ok images only. Returns False, writing
    nothing, when the labelled images lack positives or negatives.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    pairs = _join(rows, labels)
    curves = {
        "all (non-ok = 0)": pairs,
        "ok only": [(lab, row) for lab, row in pairs if is_ok(row)],
    }
    fig, (ax_roc, ax_pr) = plt.subplots(1, 2, figsize=(11, 5))
    drawn = False
    for name, subset in curves.items():
        scores = [row_score(row) for _, row in subset]
        actual = [bool(lab.get("present")) for lab, _ in subset]
        auc = roc_auc(scores, actual)
        if auc is None:
            continue
        fpr, tpr = roc_curve(scores, actual)
        recall, precision = precision_recall_curve(scores, actual)
        ax_roc.plot(fpr, tpr, label=f"{name}: AUC {auc:.3f}")
        ax_pr.plot(recall, precision, label=name)
        drawn = True
    if drawn:
        ax_roc.plot([0, 1], [0, 1], ":", color="grey")
        ax_roc.set(xlabel="false positive rate", ylabel="true positive rate", title="ROC")
        ax_pr.set(xlabel="recall", ylabel="precision", title="Precision-recall", ylim=(0, 1.02))
        for ax in (ax_roc, ax_pr):
            ax.legend(loc="lower right" if ax is ax_roc else "lower left")
            ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(path, dpi=100)
    plt.close(fig)
    return drawn


# --------------------------------------------------------------------------------------------
# Running the detector
# --------------------------------------------------------------------------------------------


class Report(Protocol):
    """What the evaluation needs from a detector's report."""

    def to_dict(self) -> dict[str, Any]: ...


class DetectorLike(Protocol):
    """What the evaluation needs from a detector: ``detector.Detector`` or a test double."""

    def detect(self, image: Any) -> Report: ...


def error_row(file: str, source: str, exc: BaseException) -> Row:
    """A ``dimples/1`` row with status ``error`` for an image the detector failed on."""
    return {
        "schema": "dimples/1",
        "file": file,
        "source": source,
        "status": "error",
        "present": None,
        "score": None,
        "prominence": None,
        "dimples": [],
        "symmetry": None,
        "region": None,
        "image": None,
        "message": f"{type(exc).__name__}: {exc}",
    }


def run_detector(
    detector: DetectorLike,
    folder: Path,
    entries: Sequence[Label],
    progress: TextIO | None = None,
    degrade: str | None = None,
    cut: tuple[float | None, float | None] = (None, None),
    turn: str | None = None,
) -> list[Row]:
    """Run ``detector`` on every labelled image; one row per entry, errors included.

    Each row is the report's ``to_dict()`` with the label's ``file`` added. Any exception
    becomes a row with status ``error``, so one bad image never stops the evaluation. A
    progress line goes to ``progress`` when given. ``cut`` (distances above and below the
    dimples, see :func:`reframed`), ``turn`` (see :func:`turned`) and then ``degrade`` (see
    :func:`degraded`) are applied to every image first.
    """
    rows = []
    start = time.perf_counter()
    tty = progress is not None and progress.isatty()
    for i, entry in enumerate(entries, 1):
        path = folder / entry["file"]
        try:
            image, top = reframed(path, entry, *cut)
            shape = None
            if turn is not None:
                image, shape = turned(image, turn)
            if degrade is not None:
                image = degraded(image, degrade, seed=i)
            row = detector.detect(image).to_dict()
            for dimple in row.get("dimples") or []:  # back into the uncut image's pixels
                if degrade is not None:
                    scale_back(dimple, degrade)
                if shape is not None:
                    turn_back(dimple, turn, shape)
                dimple["y"] += top
        except Exception as exc:  # any failure is one image's "error" row
            row = error_row(entry["file"], str(path), exc)
        rows.append(row | {"file": entry["file"]})
        if progress is not None and (tty or i == len(entries) or i % 50 == 0):
            rate = i / max(time.perf_counter() - start, 1e-9)
            first, end = ("\r", "\n" if i == len(entries) else "") if tty else ("", "\n")
            name = entry["file"][-40:]
            progress.write(f"{first}[{i}/{len(entries)}] {rate:.1f} images/s  {name:40}{end}")
            progress.flush()
    return rows


def reframed(
    path: Path, entry: Label, above: float | None, below: float | None
) -> tuple[Path | np.ndarray, int]:
    """The image at ``path`` cut ``above`` inter-dimple distances above the highest of its
    labelled dimples and ``below`` below the lowest (either None: not cut there), as an RGB
    array, with the number of rows cut off its top; the path itself (and 0) when nothing is
    cut: no cut asked, no labelled dimple positions (front views), or the photo ends sooner."""
    dimples = entry.get("dimples") or []
    spacing = entry.get("inter_dimple_px")
    if (above is None and below is None) or not dimples or not spacing:
        return path, 0
    from detector.loading import load_image

    rgb = load_image(path).rgb
    rows = [d["y"] for d in dimples]
    top = 0 if above is None else max(0, round(min(rows) - above * spacing))
    bottom = (
        rgb.shape[0] if below is None else min(rgb.shape[0], round(max(rows) + below * spacing))
    )
    if top == 0 and bottom == rgb.shape[0]:
        return path, 0
    return rgb[top:bottom], top


#: ``--turn``'s choices: a mirror left to right, or a clockwise turn by that many degrees.
TURNS = ("mirror", "90", "180", "270")


def turned(image: Path | np.ndarray, turn: str) -> tuple[np.ndarray, tuple[int, int]]:
    """The image (a path, read by the detector's own loader, or an RGB array) mirrored left to
    right (``turn`` ``"mirror"``) or turned clockwise by ``turn`` degrees (one of
    :data:`TURNS`), and the height and width it had before."""
    from detector.loading import load_image

    rgb = load_image(image).rgb
    out = rgb[:, ::-1] if turn == "mirror" else np.rot90(rgb, k=-(int(turn) // 90))
    return np.ascontiguousarray(out), (rgb.shape[0], rgb.shape[1])


def turn_back(dimple: dict[str, Any], turn: str, shape: tuple[int, int]) -> None:
    """Move a dimple reported in an image :func:`turned` by ``turn`` back into the pixels of
    the image before it (``shape``: its height and width), in place. In a mirrored photo the
    person's left shows where the right was, so a mirror also swaps the side."""
    height, width = shape
    x, y = dimple["x"], dimple["y"]
    if turn == "mirror":
        dimple["x"] = width - 1 - x
        dimple["side"] = {"left": "right", "right": "left"}.get(dimple["side"], dimple["side"])
    elif turn == "90":
        dimple["x"], dimple["y"] = y, height - 1 - x
    elif turn == "180":
        dimple["x"], dimple["y"] = width - 1 - x, height - 1 - y
    else:
        dimple["x"], dimple["y"] = width - 1 - y, x


DEGRADATIONS = ("jpeg", "webp", "noise", "blur", "exposure", "scale")
#: The power law ``--degrade exposure`` linearises sRGB values with (near enough for a gain).
DISPLAY_GAMMA = 2.2


def degraded(path: Path | np.ndarray, spec: str, seed: int = 0) -> bytes | np.ndarray:
    """The image at ``path`` (read by the detector's own loader; or an RGB array) degraded by
    ``spec``:
    ``jpeg:QUALITY`` or ``webp:QUALITY`` (re-encoded, as bytes; lossy WebP smooths faint
    detail more than JPEG of the same quality), ``noise:SIGMA`` (Gaussian noise of SIGMA grey
    levels, seeded), ``blur:SIGMA`` (Gaussian blur of SIGMA pixels), ``exposure:GAIN`` (the
    light multiplied by GAIN, clipped at white as a camera clips it) or ``scale:FACTOR`` (each
    side resized by FACTOR: pixel areas averaged when shrinking), as an RGB array otherwise."""
    import cv2

    from detector.loading import load_image

    kind, value = parse_degradation(spec)
    rgb = load_image(path).rgb
    if kind in ("jpeg", "webp"):
        bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
        quality = cv2.IMWRITE_JPEG_QUALITY if kind == "jpeg" else cv2.IMWRITE_WEBP_QUALITY
        encoded = cv2.imencode(".jpg" if kind == "jpeg" else ".webp", bgr, [quality, round(value)])
        return encoded[1].tobytes()
    if kind == "noise":
        noise = np.random.default_rng(seed).normal(0.0, value, rgb.shape)
        return np.clip(rgb + noise, 0, 255).astype(np.uint8)
    if kind == "exposure":
        light = (rgb / 255.0) ** DISPLAY_GAMMA * value
        return np.round(255.0 * np.clip(light, 0.0, 1.0) ** (1.0 / DISPLAY_GAMMA)).astype(np.uint8)
    if kind == "scale":
        size = (max(1, round(rgb.shape[1] * value)), max(1, round(rgb.shape[0] * value)))
        shrinking = cv2.INTER_AREA if value < 1 else cv2.INTER_LINEAR
        return cv2.resize(rgb, size, interpolation=shrinking)
    return cv2.GaussianBlur(rgb, (0, 0), value)


def scale_back(dimple: dict[str, Any], spec: str) -> None:
    """Move a dimple reported in an image :func:`degraded` by ``spec`` back into the pixels of
    the image before it, in place (only ``scale:FACTOR`` moves pixels; pixel centres map to
    pixel centres)."""
    kind, factor = parse_degradation(spec)
    if kind == "scale":
        dimple["x"] = (dimple["x"] + 0.5) / factor - 0.5
        dimple["y"] = (dimple["y"] + 0.5) / factor - 0.5
        dimple["radius"] = dimple["radius"] / factor


def parse_degradation(spec: str) -> tuple[str, float]:
    """``"kind:value"`` -> (kind, value); ValueError for anything else."""
    kind, _, value = spec.partition(":")
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if kind not in DEGRADATIONS or not number > 0:
        raise ValueError(
            f"unknown degradation {spec!r}: use jpeg:QUALITY, webp:QUALITY, noise:SIGMA, "
            "blur:SIGMA, exposure:GAIN or scale:FACTOR"
        )
    return kind, number


def _open_detector() -> Any:
    """The project's ``Detector`` (imported late so the metrics need no detector)."""
    root = str(Path(__file__).resolve().parent.parent)
    if root not in sys.path:
        sys.path.insert(0, root)
    from detector import Detector

    return Detector()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line arguments."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="folder the labels' file paths are relative to")
    parser.add_argument(
        "--labels",
        type=Path,
        required=True,
        help="labels JSON (dimples-renders/1 or shared-data/1)",
    )
    parser.add_argument(
        "--out", type=Path, default=Path("summary.json"), help="summary JSON (default: %(default)s)"
    )
    parser.add_argument("--plot", type=Path, help="PNG with the ROC and precision-recall curves")
    parser.add_argument(
        "--worst", type=int, default=10, help="worst images listed per kind (default: %(default)s)"
    )
    parser.add_argument(
        "--degrade",
        metavar="KIND:VALUE",
        help="degrade every image first: jpeg:QUALITY, webp:QUALITY, noise:SIGMA (grey levels), "
        "blur:SIGMA (px), exposure:GAIN (linear light), scale:FACTOR (each side)",
    )
    parser.add_argument(
        "--turn",
        choices=TURNS,
        help="mirror every image left to right, or turn it clockwise by 90, 180 or 270 degrees",
    )
    parser.add_argument(
        "--cut-above",
        type=float,
        metavar="DISTANCES",
        help="cut every labelled back view this many inter-dimple distances above its dimples",
    )
    parser.add_argument(
        "--cut-below",
        type=float,
        metavar="DISTANCES",
        help="cut every labelled back view this many inter-dimple distances below its dimples",
    )
    args = parser.parse_args(argv)
    for name in ("cut_above", "cut_below"):
        value = getattr(args, name)
        if value is not None and not value > 0:
            option = "--" + name.replace("_", "-")
            parser.error(f"{option} must be a positive number of inter-dimple distances")
    if args.degrade is not None:
        try:
            parse_degradation(args.degrade)
        except ValueError as exc:
            parser.error(str(exc))
    return args


def main(argv: Sequence[str] | None = None, detector: DetectorLike | None = None) -> int:
    """Run the evaluation; ``detector`` replaces the project's ``Detector`` (for tests)."""
    args = parse_args(argv)
    labels = json.loads(args.labels.read_text())
    if labels.get("schema") not in SUMMARIZERS:
        print(
            f"error: unknown labels schema {labels.get('schema')!r} in {args.labels}",
            file=sys.stderr,
        )
        return 2
    cut = (args.cut_above, args.cut_below)
    with _open_detector() if detector is None else nullcontext(detector) as det:
        rows = run_detector(
            det, args.folder, labels["images"], sys.stderr, args.degrade, cut, args.turn
        )

    summary = summarize(rows, labels, worst=args.worst)
    print(FORMATTERS[labels["schema"]](summary))
    if args.plot:
        if plot_curves(rows, labels, args.plot):
            print(f"plot: {args.plot}")
        else:
            print("no plot: the labels lack positives or negatives", file=sys.stderr)
    summary = {
        "schema": "dimples-eval/1",
        "folder": str(args.folder),
        "labels": str(args.labels),
        "degrade": args.degrade,
        "cut_above": args.cut_above,
        "cut_below": args.cut_below,
        "turn": args.turn,
    } | summary
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(summary | {"rows": rows}, indent=1) + "\n")
    print(f"summary: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
