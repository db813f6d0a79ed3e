"""Report stage: schema dimples/1, grades and messages."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from detector.overlay import inset_for
from detector.report import (
    ABSENCE_NOTE,
    CLOTHING_BELOW_NOTE,
    FRONTAL_LIGHT_NOTE,
    SCHEMA,
    STATUS_MESSAGES,
    Dimple,
    DimpleReport,
    Geometry,
    Region,
    depth_index,
    ok_message,
    prominence_grade,
)

KEYS = {
    "schema",
    "source",
    "status",
    "present",
    "score",
    "prominence",
    "dimples",
    "symmetry",
    "region",
    "image",
    "message",
}


def _ok_report() -> DimpleReport:
    return DimpleReport(
        status="ok",
        message=ok_message("moderate"),
        image={"width": 640, "height": 480},
        source="back.jpg",
        present=True,
        score=0.87654,
        prominence="moderate",
        dimples=[
            Dimple("left", 200.123, 300.0, 12.0, 0.41),
            Dimple("right", 280.0, 301.0, 11.0, 0.38),
        ],
        symmetry=0.9,
        region=Region(150, 250, 180, 120, "pose"),
        people=1,
    )


def test_ok_report_has_every_schema_key_and_serialises():
    row = json.loads(_ok_report().to_json())
    assert row.keys() >= KEYS
    assert row["schema"] == SCHEMA == "dimples/1"
    assert row["score"] == 0.87654  # six decimals: confident pairs keep their ranking
    assert row["dimples"][0] == {
        "side": "left",
        "x": 200.12,
        "y": 300.0,
        "radius": 12.0,
        "depth_index": 0.41,
    }
    assert row["region"]["method"] == "pose"


@pytest.mark.parametrize("status", ["no_person", "not_back_view", "region_not_visible"])
def test_unjudged_reports_have_nulls(status):
    report = DimpleReport(
        status=status, message=STATUS_MESSAGES[status], image={"width": 1, "height": 1}
    )
    row = report.to_dict()
    assert row.keys() >= KEYS
    assert row["present"] is None and row["score"] is None and row["prominence"] is None
    assert row["dimples"] == [] and row["symmetry"] is None
    assert status.replace("_", " ") in report.summary().replace("_", " ")


def test_grades_follow_the_depth_estimate():
    assert prominence_grade(False, 9.0) == "none"
    assert [prominence_grade(True, d) for d in (1.0, 3.0, 6.0)] == [
        "subtle",
        "moderate",
        "pronounced",
    ]
    assert prominence_grade(True, 6.0, confidence=0.6) == "subtle"  # barely visible is subtle
    assert depth_index(0.0) == 0.0 and depth_index(4.0) == 0.5 and depth_index(20.0) == 1.0


def test_no_dimples_message_says_a_photo_cannot_prove_absence():
    message = ok_message("none")
    assert "cannot prove" in message and "no exercise creates them" in message


def test_no_dimples_under_light_from_the_camera_says_side_light_shows_them_better():
    plain, frontal = ok_message("none"), ok_message("none", frontal_light=True)
    assert "camera's direction" in frontal and "camera's direction" not in plain
    assert frontal.startswith("No dimples") and frontal.endswith(ABSENCE_NOTE)
    # A pair that is seen needs no advice on the light, nor on clothing.
    assert ok_message("moderate", frontal_light=True) == ok_message("moderate")
    assert ok_message("moderate", clothing_below=True) == ok_message("moderate")


def test_no_dimples_above_clothing_says_the_band_may_cover_them():
    both = ok_message("none", frontal_light=True, clothing_below=True)
    assert both.index(FRONTAL_LIGHT_NOTE) < both.index(CLOTHING_BELOW_NOTE)
    assert CLOTHING_BELOW_NOTE not in ok_message("none", frontal_light=True)
    assert both.startswith("No dimples") and both.endswith(ABSENCE_NOTE)


def test_pixels_and_geometry_stay_out_of_the_dict():
    report = DimpleReport(
        status="no_person",
        message="x",
        image={"width": 2, "height": 2},
        pixels=np.zeros((2, 2, 3), np.uint8),
    )
    assert "pixels" not in report.to_dict()
    json.dumps(report.to_dict())


def test_plot_and_save_overlay_draw_on_the_photo(tmp_path):
    pixels = np.full((60, 80, 3), 128, np.uint8)
    report = DimpleReport(
        status="ok",
        message=ok_message("moderate"),
        image={"width": 80, "height": 60},
        present=True,
        score=0.9,
        prominence="moderate",
        dimples=[Dimple("left", 20.0, 30.0, 5.0, 0.5), Dimple("right", 60.0, 30.0, 5.0, 0.5)],
        pixels=pixels,
    )
    drawn = report.plot()
    assert drawn.shape == pixels.shape and (drawn != pixels).any()
    assert (drawn[30, 20] != 128).any()  # the left dimple's centre is marked
    report.save_overlay(str(tmp_path / "o.png"))
    assert (tmp_path / "o.png").stat().st_size > 0
    assert report.plot(figure=True).axes


def _small_region_report(pixels: np.ndarray, corners: np.ndarray) -> DimpleReport:
    height, width = pixels.shape[:2]
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    middle = (x0 + x1) / 2
    return DimpleReport(
        status="ok",
        message=ok_message("moderate"),
        image={"width": width, "height": height},
        present=True,
        score=0.8,
        prominence="moderate",
        dimples=[
            Dimple("left", middle - 8, (y0 + y1) / 2, 3.0, 0.5),
            Dimple("right", middle + 8, (y0 + y1) / 2, 3.0, 0.5),
        ],
        geometry=Geometry(corners, np.array([[middle, y0], [middle, y1]])),
        pixels=pixels,
    )


def test_a_small_region_is_shown_magnified_in_a_free_corner():
    """A whole body's lower back is a few dozen pixels wide: the overlay adds it enlarged
    (from the photo, not from the drawing) in a corner clear of the region and the label."""
    rng = np.random.default_rng(0)
    pixels = rng.integers(0, 255, (600, 400, 3), dtype=np.uint8)
    corners = np.array([[180.0, 250.0], [230.0, 250.0], [230.0, 290.0], [180.0, 290.0]])
    report = _small_region_report(pixels, corners)
    inset = inset_for(corners, pixels.shape, label_height=30)
    assert inset is not None and inset.zoom >= 2.0
    left, top, right, bottom = inset.target
    x0, y0, x1, y1 = inset.source
    assert left >= 0 and right <= 400 and top >= 30 and bottom <= 600
    assert x0 <= 180 and x1 >= 230 and y0 <= 250 and y1 >= 290  # the whole region shown
    assert right < 180 or left > 230 or bottom < 250 or top > 290  # clear of the region
    drawn = report.plot()
    enlarged = cv2.resize(
        pixels[y0:y1, x0:x1], (right - left, bottom - top), interpolation=cv2.INTER_CUBIC
    )
    # Inside its frame the inset is the enlarged photo, but for the dimples' rings.
    same = (drawn[top + 4 : bottom - 4, left + 4 : right - 4] == enlarged[4:-4, 4:-4]).all(axis=2)
    assert same.mean() > 0.9
    untouched = np.ones(pixels.shape[:2], bool)
    untouched[top:bottom, left:right] = False
    untouched[:60, :] = untouched[240:300, 170:240] = False  # the label, the region's drawing
    assert (drawn[untouched] == pixels[untouched]).all()


def test_a_region_large_in_the_photo_gets_no_inset():
    pixels = np.full((600, 400, 3), 128, np.uint8)
    corners = np.array([[60.0, 200.0], [340.0, 200.0], [340.0, 500.0], [60.0, 500.0]])
    assert inset_for(corners, pixels.shape, label_height=30) is None
    drawn = _small_region_report(pixels, corners).plot()
    assert (drawn[550:, 300:] == 128).all()  # the bottom right corner left as it was


def test_reports_without_pixels_cannot_draw():
    report = DimpleReport(status="no_person", message="x", image={"width": 2, "height": 2})
    with pytest.raises(ValueError, match="no source"):
        report.plot()


def test_a_report_without_pixels_reads_its_source_again(tmp_path):
    from PIL import Image

    path = tmp_path / "photo.png"
    Image.fromarray(np.full((30, 40, 3), 90, np.uint8)).save(path)
    report = DimpleReport(
        status="no_person", message="x", image={"width": 40, "height": 30}, source=str(path)
    )
    assert report.plot().shape == (30, 40, 3)
