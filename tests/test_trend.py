"""Trend: photo dates (EXIF, file name, file time), the table, the plot and ``dimples trend``."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from datetime import datetime

import matplotlib.dates as mdates
import pytest
from conftest import SAMPLES
from PIL import Image

from detector.batch import error_row
from detector.trend import (
    TrendPoint,
    date_from_name,
    describe_change,
    format_table,
    photo_date,
    plot_trend,
    sort_points,
    trend_figure,
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("2024-03-05.jpg", datetime(2024, 3, 5)),
        ("back_2024_03_05_evening.png", datetime(2024, 3, 5)),
        ("IMG_20240305_091230.HEIC", datetime(2024, 3, 5)),
        ("PXL_20231231.jpg", datetime(2023, 12, 31)),
        ("week 2024.03.05.jpg", datetime(2024, 3, 5)),
        ("20241399_then_2024-02-29.jpg", datetime(2024, 2, 29)),  # invalid first, valid second
        ("IMG_4471.jpg", None),
        ("2024-03_05.jpg", None),  # mixed separators
        ("1234567890123.jpg", None),  # digits inside a longer number
    ],
)
def test_date_from_name(name, expected):
    assert date_from_name(name) == expected


def _exif(date: str | None) -> Image.Exif:
    exif = Image.Exif()
    if date is not None:
        exif.get_ifd(0x8769)[36867] = date  # Exif IFD, DateTimeOriginal
    return exif


def _save(path, exif_date: str | None = None) -> None:
    Image.new("RGB", (8, 8)).save(path, exif=_exif(exif_date))


def test_photo_date_prefers_exif_then_name_then_file_time(tmp_path):
    exif = tmp_path / "2020-01-01.jpg"
    _save(exif, "2024:04:15 08:30:00")
    assert photo_date(exif) == (datetime(2024, 4, 15, 8, 30), "exif")
    named = tmp_path / "2020-01-01.jpg"
    _save(named, "0000:00:00 00:00:00")  # blank EXIF date, as some cameras write
    assert photo_date(named) == (datetime(2020, 1, 1), "name")
    folder = tmp_path / "2021-06-30"
    folder.mkdir()
    _save(folder / "back.jpg")
    assert photo_date(folder / "back.jpg") == (datetime(2021, 6, 30), "name")
    plain = tmp_path / "back.jpg"
    _save(plain)
    os.utime(plain, (datetime(2022, 2, 2, 12).timestamp(),) * 2)
    assert photo_date(plain) == (datetime(2022, 2, 2, 12), "mtime")
    text = tmp_path / "notes.jpg"
    text.write_text("not a photo")
    assert photo_date(text)[1] == "mtime"


def _ok(source: str, score: float, grade: str) -> dict:
    return {**error_row(source, "m"), "status": "ok", "score": score, "prominence": grade}


POINTS = [
    TrendPoint(datetime(2024, 5, 1), "exif", _ok("c.jpg", 0.81, "moderate")),
    TrendPoint(datetime(2024, 1, 1), "name", _ok("a.jpg", 0.30, "none")),
    TrendPoint(datetime(2024, 3, 1), "mtime", error_row("b.jpg", "b.jpg is damaged")),
]


def test_table_and_change_in_time_order():
    points = sort_points(POINTS)
    assert [point.row["source"] for point in points] == ["a.jpg", "b.jpg", "c.jpg"]
    assert format_table(points).splitlines() == [
        "date        from   status              score  grade       file",
        "2024-01-01  name   ok                   0.30  none        a.jpg",
        "2024-03-01  mtime  error                   -  -           b.jpg",
        "2024-05-01  exif   ok                   0.81  moderate    c.jpg",
    ]
    assert describe_change(points) == (
        "2 of 3 photos judged; score 0.30 (none) on 2024-01-01 -> 0.81 (moderate) on "
        "2024-05-01 (+0.51)."
    )
    assert describe_change(points[:2]).endswith("at least two are needed to see a trend.")


def test_plot_is_written(tmp_path):
    plot_trend(sort_points(POINTS), tmp_path / "trend.png")
    with Image.open(tmp_path / "trend.png") as image:
        assert image.size == (1080, 540)


def test_a_series_dated_only_by_file_times_says_so():
    from detector.trend import FILE_TIMES_NOTE

    by_file = [
        TrendPoint(datetime(2024, 1, n), "mtime", _ok(f"{n}.jpg", 0.3, "none")) for n in (1, 2)
    ]
    assert describe_change(by_file).endswith(FILE_TIMES_NOTE)
    dated = [by_file[0], TrendPoint(datetime(2024, 2, 1), "exif", _ok("e.jpg", 0.6, "subtle"))]
    assert FILE_TIMES_NOTE not in describe_change(dated)


def test_photos_taken_moments_apart_are_drawn_on_a_scale_of_days():
    """Files copied at once carry file times microseconds apart: the axis must not be read
    in seconds."""
    taken = datetime(2024, 3, 5, 9, 30)
    points = [
        TrendPoint(taken.replace(microsecond=n), "mtime", _ok(f"{n}.jpg", 0.2 + 0.1 * n, "none"))
        for n in range(3)
    ]
    left, right = trend_figure(points).axes[0].get_xlim()  # in days
    assert right - left >= 2.0
    assert left < mdates.date2num(taken) < right


def test_a_plot_name_without_a_format_is_refused_before_any_work(tmp_path):
    from detector.trend import can_plot_to

    assert can_plot_to("t.png") and can_plot_to("T.SVG") and not can_plot_to("t.xyz")
    result = subprocess.run(
        [sys.executable, "-m", "detector.cli", "trend", str(SAMPLES / "back_subtle.jpg"),
         "--plot", str(tmp_path / "trend.xyz")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "name it .png" in result.stderr


def test_trend_command_orders_a_series_by_date(tmp_path):
    series = tmp_path / "series"
    series.mkdir()
    shutil.copy(SAMPLES / "back_subtle.jpg", series / "IMG_20240301_0800.jpg")
    shutil.copy(SAMPLES / "back_moderate.jpg", series / "2024-01-05.jpg")
    Image.open(SAMPLES / "back_pronounced.jpg").save(
        series / "latest.jpg", exif=_exif("2024:06:01 09:00:00")
    )
    result = subprocess.run(
        [sys.executable, "-m", "detector.cli", "trend", str(series), "--plot",
         str(tmp_path / "trend.png"), "--csv", str(tmp_path / "trend.csv"), "--workers", "2"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = result.stdout.splitlines()
    assert [line.split()[:2] for line in table[1:4]] == [
        ["2024-01-05", "name"],
        ["2024-03-01", "name"],
        ["2024-06-01", "exif"],
    ]
    assert table[4].startswith("3 of 3 photos judged; score ")
    assert (tmp_path / "trend.png").stat().st_size > 10_000
    with open(tmp_path / "trend.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["date"] for row in rows] == [
        "2024-01-05 00:00:00",
        "2024-03-01 00:00:00",
        "2024-06-01 09:00:00",
    ]
    assert rows[2]["source"] == str(series / "latest.jpg") and rows[2]["status"] == "ok"
