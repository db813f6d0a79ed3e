"""Tests of scripts/evaluate.py: metrics against values worked out by hand, and the CLI end to end
with a fake detector (no model, no images)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import load_script

evaluate = load_script("evaluate")

LEFT = (100.0, 200.0)  # labelled dimple positions of every render below; inter-dimple 100 px
RIGHT = (200.0, 200.0)


def render(
    file: str,
    framing: str,
    present: bool,
    depths: tuple[float, float] = (0.0, 0.0),
    visible: tuple[bool, bool] = (True, True),
) -> dict[str, Any]:
    """A ``dimples-renders/1`` image entry with dimples at LEFT and RIGHT."""
    return {
        "file": file,
        "framing": framing,
        "view": "front" if framing == "front" else "back",
        "present": present,
        "dimples": [
            {"side": side, "x": x, "y": y, "depth_mm": d, "radius_mm": 5.0, "visible": v}
            for side, (x, y), d, v in zip(
                ("left", "right"), (LEFT, RIGHT), depths, visible, strict=True
            )
        ],
        "inter_dimple_px": 100.0,
        "inter_dimple_mm": 110.0,
        "image": {"width": 400, "height": 600},
    }


def report(
    status: str = "ok",
    score: float | None = None,
    present: bool | None = None,
    dimples: tuple[tuple[str, float, float, float], ...] = (),
    prominence: str | None = None,
) -> dict[str, Any]:
    """A ``dimples/1`` report dict; dimples given as (side, x, y, depth_index)."""
    return {
        "schema": "dimples/1",
        "source": None,
        "status": status,
        "present": present,
        "score": score,
        "prominence": prominence,
        "dimples": [
            {"side": s, "x": x, "y": y, "radius": 8.0, "depth_index": di} for s, x, y, di in dimples
        ],
        "symmetry": None,
        "region": None,
        "image": {"width": 400, "height": 600},
        "message": "",
    }


# The hand-made render set: 5 positives (a, b, c, d, j), 6 negatives (e, f, g, h, i, k).
#   file framing   present depth(l,r)  status          score present  reported dimples
#   a    full_body yes     4, 6        ok              0.9   yes      left 10 px right, right exact
#   b    full_body yes     3, 3        ok              0.6   yes      sides swapped
#   c    full_body yes     1, 1        ok              0.4   no       left 60 px low only
#   d    full_body yes     7, 7        low_quality     -> 0          none
#   e    full_body no                  ok              0.5   yes
#   f    full_body no                  ok              0.4   no
#   g    full_body no                  not_back_view   -> 0
#   j    closeup   yes     4, 5 (right hidden) ok      0.45  yes      left 30 px low, right exact
#   k    closeup   no                  ok              0.2   no
#   h    front     no                  not_back_view   -> 0
#   i    front     no                  ok              0.3   no
CASES = [
    (
        render("a.png", "full_body", True, (4, 6)),
        report("ok", 0.9, True, (("left", 110, 200, 0.4), ("right", 200, 200, 0.6))),
    ),
    (
        render("b.png", "full_body", True, (3, 3)),
        report("ok", 0.6, True, (("left", 196, 200, 0.3), ("right", 102, 200, 0.3))),
    ),
    (
        render("c.png", "full_body", True, (1, 1)),
        report("ok", 0.4, False, (("left", 100, 260, 0.1),)),
    ),
    (render("d.png", "full_body", True, (7, 7)), report("low_quality")),
    (render("e.png", "full_body", False), report("ok", 0.5, True)),
    (render("f.png", "full_body", False), report("ok", 0.4, False)),
    (render("g.png", "full_body", False), report("not_back_view")),
    (
        render("j.png", "closeup", True, (4, 5), (True, False)),
        report("ok", 0.45, True, (("left", 100, 230, 0.4), ("right", 200, 200, 0.5))),
    ),
    (render("k.png", "closeup", False), report("ok", 0.2, False)),
    (render("h.png", "front", False), report("not_back_view")),
    (render("i.png", "front", False), report("ok", 0.3, False)),
]
RENDER_LABELS = {"schema": "dimples-renders/1", "images": [label for label, _ in CASES]}
RENDER_ROWS = [row | {"file": label["file"]} for label, row in CASES]


def test_roc_auc_by_hand() -> None:
    # positives 0.9 0.6 0.4 0.2, negatives 0.5 0.4 0.1: 12 pairs.
    # 0.9 beats 3; 0.6 beats 3; 0.4 loses to 0.5, ties 0.4 (1/2), beats 0.1 -> 1.5;
    # 0.2 loses to 0.5 and 0.4, beats 0.1 -> 1.  AUC = (3 + 3 + 1.5 + 1) / 12 = 17/24.
    scores = [0.9, 0.6, 0.4, 0.2, 0.5, 0.4, 0.1]
    labels = [True] * 4 + [False] * 3
    assert evaluate.roc_auc(scores, labels) == pytest.approx(17 / 24)


def test_roc_auc_degenerate_and_grouped() -> None:
    assert evaluate.roc_auc([0.3, 0.7], [True, True]) is None
    assert evaluate.roc_auc([0.3, 0.7], [False, False]) is None
    assert evaluate.roc_auc([], []) is None
    # groups: positive 0.45 in group B only meets the B negative 0.2 -> 1 of 1; positive 0.9 in A
    # beats A's 0.5 -> 2 of 2 pairs; ungrouped, 0.45 would lose to 0.5 (3 of 4).
    scores, labels = [0.9, 0.5, 0.45, 0.2], [True, False, True, False]
    assert evaluate.roc_auc(scores, labels) == pytest.approx(3 / 4)
    assert evaluate.roc_auc(scores, labels, ["A", "A", "B", "B"]) == 1.0


def test_curves() -> None:
    scores = [0.9, 0.6, 0.4, 0.2, 0.5, 0.4, 0.1]
    labels = [True] * 4 + [False] * 3
    fpr, tpr = evaluate.roc_curve(scores, labels)
    # thresholds 0.9 0.6 0.5 0.4(tie: one positive, one negative) 0.2 0.1
    assert fpr.tolist() == pytest.approx([0, 0, 0, 1 / 3, 2 / 3, 2 / 3, 1])
    assert tpr.tolist() == pytest.approx([0, 1 / 4, 2 / 4, 2 / 4, 3 / 4, 1, 1])
    recall, precision = evaluate.precision_recall_curve(scores, labels)
    assert recall.tolist() == pytest.approx([0, 1 / 4, 2 / 4, 2 / 4, 3 / 4, 1, 1])
    assert precision.tolist() == pytest.approx([1, 1, 1, 2 / 3, 3 / 5, 4 / 6, 4 / 7])


def test_classification_metrics() -> None:
    predicted = [True, True, False, False, True, False, False]
    actual = [True, True, True, True, False, False, False]
    m = evaluate.classification_metrics(predicted, actual)
    assert (m["tp"], m["fp"], m["tn"], m["fn"]) == (2, 1, 2, 2)
    assert m["accuracy"] == pytest.approx(4 / 7)
    assert m["precision"] == pytest.approx(2 / 3)
    assert m["recall"] == pytest.approx(1 / 2)
    empty = evaluate.classification_metrics([False], [False])
    assert empty["precision"] is None and empty["recall"] is None and empty["accuracy"] == 1.0


def test_spearman_and_quantiles() -> None:
    assert evaluate.spearman([1, 2, 3, 4], [0.1, 0.5, 0.7, 0.9]) == pytest.approx(1.0)
    assert evaluate.spearman([1, 2, 3], [3, 2, 1]) == pytest.approx(-1.0)
    assert evaluate.spearman([1, 2, 3], [5, 5, 5]) is None
    assert evaluate.spearman([1], [2]) is None
    assert evaluate.quantiles([]) == {"n": 0, "median": None, "p90": None}
    q = evaluate.quantiles([0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0])
    assert (q["median"], q["p90"]) == (5.0, 9.0)


def test_localization_error_ten_px_off() -> None:
    label = render("x.png", "full_body", True, (4, 4))
    row = report("ok", 0.9, True, (("left", 110, 200, 0.4), ("right", 200, 200, 0.4)))
    left, right = evaluate.localization_errors(label, row)
    assert left["error"] == pytest.approx(0.10)  # 10 px / 100 px inter-dimple
    assert right["error"] == 0.0
    assert not left["missed"] and not left["side_swapped"]


def test_localization_swapped_and_missed() -> None:
    label = render("x.png", "full_body", True, (4, 4))
    swapped = report("ok", 0.9, True, (("left", 196, 200, 0.4), ("right", 102, 200, 0.4)))
    left, right = evaluate.localization_errors(label, swapped)
    # measured by side, not silently swapped: 96 px and 98 px off, each closer to the other label
    assert (left["error"], right["error"]) == (pytest.approx(0.96), pytest.approx(0.98))
    assert left["side_swapped"] and right["side_swapped"]
    assert not left["missed"] and not right["missed"]  # some reported dimple within 50 px
    far = report("ok", 0.3, False, (("left", 100, 260, 0.1),))  # 60 px > 0.5 x 100 px
    left, right = evaluate.localization_errors(label, far)
    assert left["missed"] and right["missed"] and right["error"] is None


def test_summarize_renders_by_hand() -> None:
    s = evaluate.summarize(RENDER_ROWS, RENDER_LABELS, worst=2)
    overall = s["overall"]
    # all 11 images, non-ok as score 0. positives a .9 b .6 j .45 c .4 d 0;
    # negatives e .5 f .4 i .3 k .2 g 0 h 0: 30 pairs.
    # a 6, b 6, j 5 (loses to .5), c 4.5 (loses .5, ties .4), d 1 (ties g and h) -> 22.5/30
    assert overall["auc"] == pytest.approx(3 / 4)
    # ok only: positives a b j c, negatives e f i k: a 4, b 4, j 3, c 2.5 -> 13.5/16
    assert overall["auc_ok"] == pytest.approx(27 / 32)
    # predicted present: a b e j. tp a b j, fp e, fn c d, tn f g h i k
    assert (overall["tp"], overall["fp"], overall["fn"], overall["tn"]) == (3, 1, 2, 5)
    assert overall["accuracy"] == pytest.approx(8 / 11)
    assert overall["precision"] == pytest.approx(3 / 4)
    assert overall["recall"] == pytest.approx(3 / 5)

    full = s["by_framing"]["full_body"]
    # positives a .9 b .6 c .4 d 0 vs negatives e .5 f .4 g 0: 3 + 3 + 1.5 + 0.5 = 8 of 12
    assert full["auc"] == pytest.approx(2 / 3)
    assert full["auc_ok"] == pytest.approx(3 / 4)  # a 2, b 2, c 0.5 of 6 pairs
    assert (full["accuracy"], full["precision"], full["recall"]) == (
        pytest.approx(4 / 7),
        pytest.approx(2 / 3),
        pytest.approx(1 / 2),
    )
    assert s["by_framing"]["closeup"]["auc"] == 1.0
    front = s["by_framing"]["front"]
    assert front["auc"] is None and front["recall"] is None and front["accuracy"] == 1.0

    bands = s["by_depth"]
    # 4-6 mm: a (full body) vs e f g -> 3 of 3, j (closeup) vs k only -> 1 of 1
    assert bands["4-6 mm"]["auc"] == 1.0
    assert bands["4-6 mm"]["n"] == 6  # a, j + e, f, g, k
    assert bands["2-4 mm"]["auc"] == 1.0  # b .6 vs .5 .4 0
    assert bands["<2 mm"]["auc"] == pytest.approx(1 / 2)  # c .4: loses .5, ties .4, beats 0
    assert bands[">6 mm"]["auc"] == pytest.approx(1 / 6)  # d 0: ties g only
    assert bands[">6 mm"]["auc_ok"] is None  # d is not ok
    assert bands["none"]["n"] == 6 and bands["none"]["accuracy"] == pytest.approx(5 / 6)
    # full body, depth >= 3 mm (a .9, b .6, d 0) vs none (e .5, f .4, g 0): 3 + 3 + 0.5 of 9
    assert s["auc_depth_ge_3mm_vs_none_full_body"]["auc"] == pytest.approx(13 / 18)

    loc = s["localization"]
    # matched errors: a .10 0; b .96 .98 (swapped); c .60 (right unmatched); j .30 (right hidden)
    # sorted 0 .1 .3 .6 .96 .98: median (.3 + .6)/2, p90 at position 4.5 -> (.96 + .98)/2
    assert (loc["n_visible_dimples"], loc["n_matched"]) == (7, 6)
    assert loc["error"]["median"] == pytest.approx(0.45)
    assert loc["error"]["p90"] == pytest.approx(0.97)
    assert loc["side_swapped"] == 2
    # missed: both of c (60 px, 116 px away) and both of d (nothing reported), of 9 visible
    assert loc["miss_rate"] == pytest.approx(4 / 9)
    assert loc["miss_rate_ok"] == pytest.approx(2 / 7)

    # score vs depth, ok positives: (5, .9) (3, .6) (1, .4) (4.5, .45): depth ranks a4 b2 c1 j3,
    # score ranks a4 b3 c1 j2, sum d^2 = 2, rho = 1 - 6 * 2 / (4 * 15) = 0.8
    assert s["spearman"]["score_vs_depth"]["rho"] == pytest.approx(0.8)
    # full body only: a, b, c, in the same order by depth and by score
    assert s["spearman"]["score_vs_depth_full_body"] == {"rho": pytest.approx(1.0), "n": 3}
    assert s["spearman"]["depth_index_vs_depth"] == {"rho": pytest.approx(1.0), "n": 6}

    counts = s["status_counts"]
    assert counts["all"] == {
        "ok": 8,
        "no_person": 0,
        "not_back_view": 2,
        "region_not_visible": 0,
        "low_quality": 1,
        "error": 0,
    }
    assert counts["by_framing"]["front"]["not_back_view"] == 1
    assert counts["by_framing"]["full_body"]["low_quality"] == 1
    assert s["back_view"]["full_body_back_accepted"] == {
        "n": 7,
        "correct": 6,
        "rate": pytest.approx(6 / 7),
    }
    assert s["back_view"]["front_rejected"] == {"n": 2, "correct": 1, "rate": 0.5}

    worst = s["worst"]
    assert [w["file"] for w in worst["false_negatives"]] == ["d.png", "c.png"]
    assert [w["file"] for w in worst["false_positives"]] == ["e.png"]
    assert [w["file"] for w in worst["localization"]] == ["b.png", "c.png"]
    assert "count as score 0" in evaluate.format_renders(s)


def test_the_targets_are_read_on_the_whole_bodies_with_their_intervals() -> None:
    targets = evaluate.summarize(RENDER_ROWS, RENDER_LABELS)["targets_full_body"]
    assert targets["n"] == 7  # a b c d e f g
    figures = targets["figures"]
    # the by-hand figures of the whole bodies (test_summarize_renders_by_hand)
    assert figures["auc_depth_ge_3mm"] == pytest.approx(13 / 18)
    assert figures["accuracy"] == pytest.approx(4 / 7)
    assert figures["spearman"] == pytest.approx(1.0)
    # matched errors of a, b, c (j is a close-up): 0 .1 .6 .96 .98
    assert figures["localization_median"] == pytest.approx(0.6)
    for name, value in figures.items():
        low, high = targets["intervals"][name]
        assert low <= value <= high, name


def test_renders_whose_clothing_covers_the_dimples_are_scored_apart() -> None:
    covered = [
        render(f"h{i}.png", "full_body", True, (5, 5)) | {"lower_back": "covered"} for i in range(3)
    ]
    labels = {"schema": "dimples-renders/1", "images": [*RENDER_LABELS["images"], *covered]}
    rows = [
        *RENDER_ROWS,
        report("ok", 0.8, True) | {"file": "h0.png"},  # claimed on cloth: wrong
        report("region_not_visible") | {"file": "h1.png"},  # right
        report("no_person") | {"file": "h2.png"},  # nobody found: not counted as found
    ]
    s = evaluate.summarize(rows, labels)
    hidden = s["lower_back_hidden"]
    assert (hidden["n"], hidden["claimed"], hidden["person_found"]) == (3, 1, 2)
    assert hidden["region_not_visible"] == 1
    counts = hidden["status_counts"]
    assert (counts["ok"], counts["region_not_visible"], counts["no_person"]) == (1, 1, 1)
    # the detection figures are those of the other renders, as if the covered were not there
    alone = evaluate.summarize(RENDER_ROWS, RENDER_LABELS)
    assert s["n_images"] == alone["n_images"] == 11
    assert s["overall"] == alone["overall"]
    assert "dimples claimed 1 (should be 0)" in evaluate.format_renders(s)
    assert alone["lower_back_hidden"]["n"] == 0
    assert "covered or out of frame" not in evaluate.format_renders(alone)


def spread_set(copies: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Whole bodies whose scores overlap between those with and without dimples, ``copies``
    times over (each copy its own files)."""
    cases = []
    for copy in range(copies):
        for i in range(10):
            depth = 1.0 + i  # 1..10 mm
            found = (("left", 100 + i, 200, 0.5), ("right", 200, 200 + 2 * i, 0.5))
            score = 0.3 + 0.06 * i
            cases.append(
                (
                    render(f"p{copy}_{i}.png", "full_body", True, (depth, depth)),
                    report("ok", score, score >= 0.5, found),
                )
            )
            cases.append(
                (render(f"n{copy}_{i}.png", "full_body", False), report("ok", 0.1 + 0.05 * i))
            )
    return cases


def test_the_targets_intervals_narrow_as_the_set_grows_and_repeat_by_seed() -> None:
    def interval_widths(copies: int, seed: int = 0) -> dict[str, float]:
        cases = spread_set(copies)
        intervals = evaluate.target_intervals(cases, resamples=300, seed=seed)["intervals"]
        return {name: high - low for name, (low, high) in intervals.items()}

    small, large = interval_widths(1), interval_widths(4)
    # four times the images: about half as wide (1 / sqrt 4)
    for name in ("accuracy", "localization_median", "auc_depth_ge_3mm"):
        assert 0.0 < large[name] < 0.75 * small[name], name
    assert interval_widths(1, seed=3) == interval_widths(1, seed=3)
    # nothing to resample: figures and intervals None
    empty = evaluate.target_intervals([], resamples=10)
    assert empty["figures"]["accuracy"] is None and empty["intervals"]["accuracy"] is None


def test_a_detector_right_on_every_image_has_no_spread_in_its_accuracy() -> None:
    cases = [
        (render(f"p{i}.png", "full_body", True, (4, 4)), report("ok", 0.9, True)) for i in range(5)
    ] + [(render(f"n{i}.png", "full_body", False), report("ok", 0.1, False)) for i in range(5)]
    targets = evaluate.target_intervals(cases, resamples=200)
    assert targets["intervals"]["accuracy"] == [1.0, 1.0]
    # a resample may draw no image without dimples: no AUC then, the rest still 1
    assert targets["intervals"]["auc_depth_ge_3mm"] == [1.0, 1.0]


REAL_LABELS = {
    "schema": "shared-data/1",
    "images": [
        {
            "file": "r1.jpg",
            "view": "back",
            "view_check": True,
            "lower_back": "covered",
            "dimples_visible": None,
        },
        {
            "file": "r2.jpg",
            "view": "back",
            "view_check": True,
            "lower_back": "bare",
            "dimples_visible": "no",
        },
        {
            "file": "r3.jpg",
            "view": "front",
            "view_check": True,
            "lower_back": "covered",
            "dimples_visible": None,
        },
        {
            "file": "r4.jpg",
            "view": "front",
            "view_check": True,
            "lower_back": "covered",
            "dimples_visible": None,
        },
        {
            "file": "r5.jpg",
            "view": "side",
            "view_check": False,
            "lower_back": "out_of_frame",
            "dimples_visible": None,
        },
        {
            "file": "r6.jpg",
            "view": "back",
            "view_check": True,
            "lower_back": "bare",
            "dimples_visible": "no",
        },
    ],
}
REAL_ROWS = [
    report("region_not_visible") | {"file": "r1.jpg"},  # view right; hidden, found, flagged
    report("ok", 0.8, True, prominence="moderate") | {"file": "r2.jpg"},  # view right; over-claim
    report("ok", 0.6, True, prominence="subtle") | {"file": "r3.jpg"},  # view wrong; hidden claim
    report("not_back_view") | {"file": "r4.jpg"},  # view right; hidden, found, not flagged
    report("no_person") | {"file": "r5.jpg"},  # not checked; hidden, no person
    report("no_person") | {"file": "r6.jpg"},  # view wrong; no claim
]


def test_summarize_real_by_hand() -> None:
    s = evaluate.summarize(REAL_ROWS, REAL_LABELS)
    assert s["back_view"]["all"] == {"n": 5, "correct": 3, "rate": pytest.approx(3 / 5)}
    assert s["back_view"]["back"] == {"n": 3, "correct": 2, "rate": pytest.approx(2 / 3)}
    assert s["back_view"]["front"] == {"n": 2, "correct": 1, "rate": 0.5}
    hidden = dict(s["lower_back_hidden"])
    counts = hidden.pop("status_counts")
    assert hidden == {"n": 4, "claimed": 1, "person_found": 3, "region_not_visible": 1}
    # r1 region_not_visible, r3 ok, r4 not_back_view, r5 no_person
    assert (counts["region_not_visible"], counts["ok"], counts["not_back_view"]) == (1, 1, 1)
    assert counts["no_person"] == 1
    assert s["dimples_not_visible"] == {"n": 2, "overclaimed": 1}
    assert s["status_counts"]["all"]["no_person"] == 2
    assert s["status_counts"]["by_view"]["front"] == {
        "ok": 1,
        "no_person": 0,
        "not_back_view": 1,
        "region_not_visible": 0,
        "low_quality": 0,
        "error": 0,
    }
    assert [w["file"] for w in s["worst"]["view_errors"]] == ["r3.jpg", "r6.jpg"]
    assert [w["file"] for w in s["worst"]["hidden_claims"]] == ["r3.jpg"]
    assert [w["file"] for w in s["worst"]["overclaims"]] == ["r2.jpg"]
    assert "should be 0" in evaluate.format_real(s)


def test_unknown_schema() -> None:
    with pytest.raises(ValueError, match="unknown labels schema"):
        evaluate.summarize([], {"schema": "nope/1", "images": []})


class FakeDetector:
    """Returns canned reports by file name; raises for names it does not know."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.reports = {row["file"]: {k: v for k, v in row.items() if k != "file"} for row in rows}
        self.calls = 0

    def detect(self, image: Any) -> SimpleNamespace:
        self.calls += 1
        report = self.reports[Path(image).name]  # KeyError for an unknown image
        return SimpleNamespace(to_dict=lambda: dict(report))


def test_cli_end_to_end(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    labels = {
        "schema": "dimples-renders/1",
        "images": [*RENDER_LABELS["images"], render("broken.png", "closeup", False)],
    }
    (tmp_path / "labels.json").write_text(json.dumps(labels))
    out, plot = tmp_path / "out" / "summary.json", tmp_path / "roc.png"
    detector = FakeDetector(RENDER_ROWS)
    argv = [
        str(tmp_path),
        "--labels",
        str(tmp_path / "labels.json"),
        "--out",
        str(out),
        "--plot",
        str(plot),
    ]
    assert evaluate.main(argv, detector=detector) == 0

    assert detector.calls == 12
    summary = json.loads(out.read_text())
    assert summary["labels_schema"] == "dimples-renders/1"
    assert summary["status_counts"]["all"]["error"] == 1  # broken.png raised, evaluation went on
    assert len(summary["rows"]) == 12
    assert summary["rows"][-1]["status"] == "error" and summary["rows"][-1]["file"] == "broken.png"
    # one more negative at score 0: a 7, b 7, j 6, c 5.5, d 1.5 (ties g, h, broken) of 35 pairs
    assert summary["overall"]["auc"] == pytest.approx(27 / 35)
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr()
    assert "AUC depth >= 3 mm vs none, full body" in printed.out
    assert "[12/12]" in printed.err


def test_cli_real_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "labels.json").write_text(json.dumps(REAL_LABELS))
    out = tmp_path / "summary.json"
    argv = [
        str(tmp_path),
        "--labels",
        str(tmp_path / "labels.json"),
        "--out",
        str(out),
        "--plot",
        str(tmp_path / "roc.png"),
    ]
    assert evaluate.main(argv, detector=FakeDetector(REAL_ROWS)) == 0
    assert json.loads(out.read_text())["lower_back_hidden"]["claimed"] == 1
    assert not (tmp_path / "roc.png").exists()  # real photos have no positives to plot
    assert "Back-view decision" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("label_light", "reported", "expected"),
    [
        (
            {"azimuth_deg": 0.0, "elevation_deg": 90.0},
            {"azimuth_deg": 0.0, "elevation_deg": 90.0},
            0.0,
        ),
        (
            {"azimuth_deg": 90.0, "elevation_deg": 0.0},
            {"azimuth_deg": 90.0, "elevation_deg": 90.0},
            0.0,
        ),
        (
            {"azimuth_deg": 0.0, "elevation_deg": 0.0},
            {"azimuth_deg": 0.0, "elevation_deg": 0.0},
            0.0,
        ),
        (
            {"azimuth_deg": 90.0, "elevation_deg": 0.0},
            {"azimuth_deg": -90.0, "elevation_deg": 90.0},
            180.0,
        ),
        (
            {"azimuth_deg": 0.0, "elevation_deg": 45.0},
            {"azimuth_deg": 0.0, "elevation_deg": 0.0},
            45.0,
        ),
    ],
)
def test_light_error_converts_the_label_and_report_conventions(label_light, reported, expected):
    """Labels: azimuth from facing the camera towards the person's right, elevation above the
    horizon. Reports: azimuth from the head end of the spine towards the person's right,
    elevation from the camera's axis."""
    label = {"light": label_light | {"relative_to": "back"}}
    assert evaluate.light_error_deg(label, {"light": reported}) == pytest.approx(expected, abs=1e-6)
    assert evaluate.light_error_deg(label, {"light": None}) is None


@pytest.mark.parametrize(
    ("azimuth", "elevation", "expected"),
    [(0.0, 0.0, 0.0), (0.0, 60.0, 60.0), (90.0, 0.0, 90.0), (60.0, 60.0, 75.5225)],
)
def test_the_light_angle_is_measured_from_the_camera_axis(azimuth, elevation, expected):
    light = {"azimuth_deg": azimuth, "elevation_deg": elevation, "relative_to": "back"}
    assert evaluate.light_angle_deg({"light": light}) == pytest.approx(expected, abs=1e-3)
    assert evaluate.light_angle_deg({"light": None}) is None


def test_whole_bodies_are_counted_by_the_light_angle_band_they_fall_in():
    def image(angle: float, present: bool, claimed: bool) -> tuple[dict, dict]:
        light = {"azimuth_deg": 0.0, "elevation_deg": angle, "relative_to": "back"}
        label = {"file": "x.jpg", "present": present, "light": light}
        row = {"status": "ok", "present": claimed, "score": 0.9 if claimed else 0.1}
        return label, row

    pairs = [image(20.0, True, False), image(20.0, False, True), image(34.9, True, True)]
    pairs += [image(60.0, True, True), image(89.0, False, False), (({"present": True}), {})]
    bands = evaluate.by_light_angle(pairs)
    assert list(bands) == ["0-35 deg", "35-50 deg", "50-65 deg", "65-180 deg"]
    assert bands["0-35 deg"]["n"] == 3 and bands["0-35 deg"]["accuracy"] == pytest.approx(1 / 3)
    assert bands["35-50 deg"]["n"] == 0
    assert bands["50-65 deg"]["n"] == 1 and bands["50-65 deg"]["accuracy"] == 1.0
    assert bands["65-180 deg"]["n"] == 1 and bands["65-180 deg"]["n_neg"] == 1


def test_degradations_change_the_image_as_asked(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    from detector.loading import load_image

    rng = np.random.default_rng(1)
    smooth = cv2.GaussianBlur(rng.integers(0, 255, (120, 160, 3), np.uint8), (0, 0), 3.0)
    path = tmp_path / "photo.png"
    cv2.imwrite(str(path), smooth)
    original = cv2.cvtColor(smooth, cv2.COLOR_BGR2RGB).astype(float)

    recompressed = evaluate.degraded(path, "jpeg:40")
    assert recompressed[:2] == b"\xff\xd8"  # JPEG bytes, for the detector's own decoder
    decoded = cv2.imdecode(np.frombuffer(recompressed, np.uint8), cv2.IMREAD_COLOR)
    decoded = cv2.cvtColor(decoded, cv2.COLOR_BGR2RGB)
    assert 0.1 < np.abs(decoded - original).mean() < 5.0
    webp = evaluate.degraded(path, "webp:40")
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    assert 0.1 < np.abs(load_image(webp).rgb - original).mean() < 5.0
    noisy = evaluate.degraded(path, "noise:4", seed=3)
    assert np.std(noisy - original) == pytest.approx(4.0, rel=0.15)
    assert np.array_equal(noisy, evaluate.degraded(path, "noise:4", seed=3))
    blurred = evaluate.degraded(path, "blur:2")
    assert np.std(blurred) < np.std(original)
    darker, brighter = (
        evaluate.degraded(path, "exposure:0.5"),
        evaluate.degraded(path, "exposure:2"),
    )
    assert darker.mean() < original.mean() < brighter.mean()
    assert np.abs(evaluate.degraded(path, "exposure:1") - original).max() <= 1
    assert (evaluate.degraded(path, "exposure:8") == 255).mean() > 0.5  # highlights clip
    halved = evaluate.degraded(path, "scale:0.5")
    assert halved.shape == (60, 80, 3)
    # Area averaging: each pixel is the mean of the 2 x 2 block it stands for.
    block_means = original.reshape(60, 2, 80, 2, 3).mean(axis=(1, 3))
    assert np.abs(halved - block_means).max() <= 1
    for bad in ("jpeg", "noise:-1", "sharpen:2", "blur:x"):
        with pytest.raises(ValueError, match="unknown degradation"):
            evaluate.parse_degradation(bad)


def test_positions_in_a_scaled_photo_are_scaled_back() -> None:
    # Pixel 10 of a photo halved covers pixels 20 and 21 of the original: centre 20.5.
    dimple = {"side": "left", "x": 10.0, "y": 4.0, "radius": 3.0}
    evaluate.scale_back(dimple, "scale:0.5")
    assert dimple == {"side": "left", "x": 20.5, "y": 8.5, "radius": 6.0}
    unmoved = {"side": "right", "x": 10.0, "y": 4.0, "radius": 3.0}
    evaluate.scale_back(unmoved, "jpeg:50")
    assert unmoved == {"side": "right", "x": 10.0, "y": 4.0, "radius": 3.0}


def _photo_with_two_dimples(folder: Path, block: int) -> dict[str, Any]:
    """A 300 x 200 black "a.png" in ``folder`` with a red (left) and a green (right) square of
    ``block`` pixels standing for the dimples, and its label: the squares' centres."""
    import cv2
    import numpy as np

    image = np.zeros((300, 200, 3), np.uint8)  # BGR
    corners = (("left", 80, 150, (0, 0, 255)), ("right", 120, 154, (0, 255, 0)))
    for _, x, y, colour in corners:
        image[y : y + block, x : x + block] = colour
    cv2.imwrite(str(folder / "a.png"), image)
    entry = render("a.png", "full_body", True, (5, 5)) | {"inter_dimple_px": 40.0}
    centre = (block - 1) / 2
    entry["dimples"] = [
        {"side": side, "x": x + centre, "y": y + centre, "depth_mm": 5.0, "visible": True}
        for side, x, y, _ in corners
    ]
    return entry


def test_dimples_seen_in_a_turned_and_shrunk_photo_are_scored_where_they_are(
    tmp_path: Path,
) -> None:
    """The photo is turned, then shrunk; a dimple reported in the shrunk turned photo is
    scaled back first and turned back second, onto the centre of the 2 x 2 square it was."""
    import numpy as np

    entry = _photo_with_two_dimples(tmp_path, block=2)

    class SeesTheBlobs:
        def detect(self, rgb: Any) -> SimpleNamespace:
            assert rgb.shape[:2] == (100, 150)  # turned to 200 x 300, then halved
            dimples = [
                {"side": "left" if rgb[y, x, 0] else "right", "x": x, "y": y, "radius": 1.0}
                for y, x in np.argwhere(rgb.max(axis=2)).tolist()
            ]
            report = {"status": "ok", "score": 0.9, "present": True, "dimples": dimples}
            return SimpleNamespace(to_dict=lambda: report)

    rows = evaluate.run_detector(SeesTheBlobs(), tmp_path, [entry], degrade="scale:0.5", turn="90")
    reported = {d["side"]: (d["x"], d["y"]) for d in rows[0]["dimples"]}
    assert reported == {"left": (80.5, 150.5), "right": (120.5, 154.5)}
    assert [d["radius"] for d in rows[0]["dimples"]] == [2.0, 2.0]
    assert all(e["error"] == 0.0 for e in evaluate.localization_errors(entry, rows[0]))


def test_reframing_cuts_the_photo_around_the_labelled_dimples(tmp_path: Path) -> None:
    import cv2
    import numpy as np

    image = np.random.default_rng(2).integers(0, 255, (300, 200, 3), np.uint8)
    path = tmp_path / "back.png"
    cv2.imwrite(str(path), image)
    rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    entry = {"dimples": [{"y": 100.0}, {"y": 104.0}], "inter_dimple_px": 40.0}
    cut, top = evaluate.reframed(path, entry, None, 2.5)
    assert top == 0 and np.array_equal(cut, rgb[:204])  # 104 + 2.5 x 40
    cut, top = evaluate.reframed(path, entry, 1.5, 1.0)
    assert top == 40 and np.array_equal(cut, rgb[40:144])  # 100 - 1.5 x 40 ... 104 + 40
    assert evaluate.reframed(path, entry, None, 10.0) == (path, 0)  # the photo ends sooner
    assert evaluate.reframed(path, {"dimples": []}, 2.0, 2.5) == (path, 0)  # a front view
    assert evaluate.reframed(path, entry, None, None) == (path, 0)
    for option in ("--cut-below", "--cut-above"):
        with pytest.raises(SystemExit):
            evaluate.parse_args([str(tmp_path), "--labels", "x.json", option, "0"])


def test_positions_found_in_a_cut_photo_are_compared_in_the_uncut_one(tmp_path: Path) -> None:
    """A detector that reports the dimple where it sees it in the cut photo is scored as
    exact: its position is moved back by the rows cut off the top."""
    import cv2
    import numpy as np

    cv2.imwrite(str(tmp_path / "a.png"), np.zeros((300, 200, 3), np.uint8))
    entry = render("a.png", "full_body", True, (5, 5)) | {"inter_dimple_px": 40.0}
    entry["dimples"] = [
        {"side": s, "x": x, "y": 150.0, "depth_mm": 5.0, "visible": True}
        for s, x in (("left", 80.0), ("right", 120.0))
    ]

    class SeesTheCut:
        def detect(self, image: Any) -> SimpleNamespace:
            top = 150 - 2 * 40  # --cut-above 2
            assert image.shape[0] == 300 - top
            dimples = [
                {"side": d["side"], "x": d["x"], "y": d["y"] - top} for d in entry["dimples"]
            ]
            report = {"status": "ok", "score": 0.9, "present": True, "dimples": dimples}
            return SimpleNamespace(to_dict=lambda: report)

    rows = evaluate.run_detector(SeesTheCut(), tmp_path, [entry], cut=(2.0, None))
    assert [d["y"] for d in rows[0]["dimples"]] == [150.0, 150.0]
    errors = evaluate.localization_errors(entry, rows[0])
    assert errors and all(e["error"] == pytest.approx(0.0) for e in errors)


@pytest.mark.parametrize("turn", ["mirror", "90", "180", "270"])
def test_positions_found_in_a_turned_photo_are_compared_in_the_upright_one(
    tmp_path: Path, turn: str
) -> None:
    """A detector that reports each dimple where it sees it in the mirrored or turned photo
    is scored as exact, on the right side: positions are turned back (after a cut's rows are
    restored) and a mirror's sides swapped."""
    import numpy as np

    entry = _photo_with_two_dimples(tmp_path, block=1)

    class SeesTheTurn:
        def detect(self, rgb: Any) -> SimpleNamespace:
            assert rgb.shape[:2] == ((300 - 70, 200) if turn in ("mirror", "180") else (200, 230))
            found = [
                (float(x), float(y), "left" if rgb[y, x, 0] else "right")
                for y, x in zip(*np.nonzero(rgb.max(axis=2)), strict=True)
            ]
            if turn == "mirror":  # as seen from behind: the one on the photo's left is "left"
                sides = ("left", "right")
                found = [(x, y, side) for (x, y, _), side in zip(sorted(found), sides, strict=True)]
            dimples = [{"side": side, "x": x, "y": y} for x, y, side in found]
            report = {"status": "ok", "score": 0.9, "present": True, "dimples": dimples}
            return SimpleNamespace(to_dict=lambda: report)

    rows = evaluate.run_detector(SeesTheTurn(), tmp_path, [entry], cut=(2.0, None), turn=turn)
    reported = {d["side"]: (d["x"], d["y"]) for d in rows[0]["dimples"]}
    assert reported == {"left": (80.0, 150.0), "right": (120.0, 154.0)}
    errors = evaluate.localization_errors(entry, rows[0])
    assert len(errors) == 2 and all(e["error"] == 0.0 and not e["side_swapped"] for e in errors)
    with pytest.raises(SystemExit):
        evaluate.parse_args([str(tmp_path), "--labels", "x.json", "--turn", "45"])
