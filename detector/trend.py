"""Trend: photos of one person over time, their score and grade by date, as a table and a plot.

Dates come from the photo's EXIF ``DateTimeOriginal``, else from a date in its file name (or
folder names), like ``2024-03-05``, ``2024_03_05`` or ``IMG_20240305_0912``, else from the file's
modification time.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from PIL import ExifTags, Image

from detector.loading import register_heif

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: A calendar date in a name: year (1900-2099), month, day, with one separator (-, _, .) used
#: twice or none, not inside a longer run of digits.
DATE_IN_NAME = re.compile(r"(?<!\d)((?:19|20)\d\d)([-_.]?)(\d\d)\2(\d\d)(?!\d)")
EXIF_DATETIME_FORMAT = "%Y:%m:%d %H:%M:%S"

#: Marker colours of the grades in the plot, from none to pronounced.
GRADE_COLOURS = {
    "none": "#8c96a0",
    "subtle": "#f2c14e",
    "moderate": "#f08a24",
    "pronounced": "#c0392b",
}

#: Said when every judged photo is dated by its file's time, which copying resets.
FILE_TIMES_NOTE = (
    "These dates are the files' times, not when the photos were taken: keep the photos' "
    "EXIF dates, or put the date in their names (2024-03-05.jpg)."
)
#: The plot's dates reach at least this far beyond the first and last photo: a series taken
#: within minutes (or files copied at once, dated by their file times) is drawn on a scale of
#: days, not of seconds.
MIN_PLOT_MARGIN = timedelta(days=1)

DateOrigin = Literal["exif", "name", "mtime"]


@dataclass(frozen=True)
class TrendPoint:
    """One photo in a series: when it was taken, where that date came from, and its row.

    Attributes
    ----------
    when : datetime.datetime
        The photo's date (naive, local time as the camera wrote it).
    origin : {"exif", "name", "mtime"}
        Where the date came from.
    row : dict
        The photo's ``dimples/1`` row.
    """

    when: datetime
    origin: DateOrigin
    row: dict[str, Any]


def date_from_name(name: str) -> datetime | None:
    """The first valid calendar date written in a name, or None.

    Examples
    --------
    >>> date_from_name("IMG_20240305_091230.jpg")
    datetime.datetime(2024, 3, 5, 0, 0)
    >>> date_from_name("back 2024-03-05.heic").date().isoformat()
    '2024-03-05'
    >>> date_from_name("IMG_4471.jpg") is None
    True
    """
    for match in DATE_IN_NAME.finditer(name):
        year, _, month, day = match.groups()
        try:
            return datetime(int(year), int(month), int(day))
        except ValueError:  # 20241399: digits, not a date
            continue
    return None


def parse_exif_datetime(text: str) -> datetime | None:
    """An EXIF date-time (``"2024:03:05 09:12:30"``); None for blank or invalid values.

    Examples
    --------
    >>> parse_exif_datetime("2024:03:05 09:12:30")
    datetime.datetime(2024, 3, 5, 9, 12, 30)
    >>> parse_exif_datetime("0000:00:00 00:00:00") is None
    True
    """
    try:
        return datetime.strptime(text.strip("\x00 "), EXIF_DATETIME_FORMAT)
    except ValueError:
        return None


def exif_date(path: str | os.PathLike) -> datetime | None:
    """The EXIF ``DateTimeOriginal`` of an image file (read from its header), or None."""
    register_heif()  # iPhone photos are HEIC
    try:
        with Image.open(path) as image:
            value = image.getexif().get_ifd(ExifTags.IFD.Exif).get(ExifTags.Base.DateTimeOriginal)
    except (OSError, ValueError, SyntaxError):  # not an image, damaged header
        return None
    return parse_exif_datetime(value) if isinstance(value, str) else None


def photo_date(path: str | os.PathLike) -> tuple[datetime, DateOrigin]:
    """When a photo was taken: EXIF ``DateTimeOriginal``, else a date in its file name or its
    folders' names (nearest first), else the file's modification time.

    Returns
    -------
    (datetime.datetime, {"exif", "name", "mtime"})
    """
    taken = exif_date(path)
    if taken is not None:
        return taken, "exif"
    for part in reversed(Path(path).parts):
        named = date_from_name(part)
        if named is not None:
            return named, "name"
    return datetime.fromtimestamp(os.stat(path).st_mtime), "mtime"


def sort_points(points: Iterable[TrendPoint]) -> list[TrendPoint]:
    """Points in time order (then by file name)."""
    return sorted(points, key=lambda point: (point.when, str(point.row["source"])))


def format_table(points: Sequence[TrendPoint]) -> str:
    """A plain-text table: date, date origin, status, score, grade and file, one line each.

    Examples
    --------
    >>> row = {"source": "a.jpg", "status": "ok", "score": 0.74, "prominence": "subtle"}
    >>> print(format_table([TrendPoint(datetime(2024, 3, 5), "name", row)]))
    date        from   status              score  grade       file
    2024-03-05  name   ok                   0.74  subtle      a.jpg
    """
    lines = [f"{'date':<10}  {'from':<5}  {'status':<18}  {'score':>5}  {'grade':<10}  file"]
    for point in points:
        row = point.row
        score = "-" if row.get("score") is None else f"{row['score']:.2f}"
        lines.append(
            f"{point.when:%Y-%m-%d}  {point.origin:<5}  {row['status']:<18}  {score:>5}  "
            f"{row.get('prominence') or '-':<10}  {row['source']}"
        )
    return "\n".join(lines)


def describe_change(points: Sequence[TrendPoint]) -> str:
    """One sentence on how the score moved from the first to the last judged photo.

    Examples
    --------
    >>> rows = [{"source": "a", "status": "ok", "score": 0.4, "prominence": "none"},
    ...         {"source": "b", "status": "ok", "score": 0.9, "prominence": "moderate"}]
    >>> print(describe_change([TrendPoint(datetime(2024, 1, 1), "exif", rows[0]),
    ...                        TrendPoint(datetime(2024, 6, 1), "exif", rows[1])]))
    2 of 2 photos judged; score 0.40 (none) on 2024-01-01 -> 0.90 (moderate) on 2024-06-01 (+0.50).
    """
    judged = [point for point in points if point.row["status"] == "ok"]
    head = f"{len(judged)} of {len(points)} photos judged"
    if len(judged) < 2:
        return head + "; at least two are needed to see a trend."
    first, last = judged[0], judged[-1]
    change = last.row["score"] - first.row["score"]
    sentence = f"{head}; score {_point_text(first)} -> {_point_text(last)} ({change:+.2f})."
    if all(point.origin == "mtime" for point in judged):
        sentence += " " + FILE_TIMES_NOTE
    return sentence


def _point_text(point: TrendPoint) -> str:
    return f"{point.row['score']:.2f} ({point.row['prominence']}) on {point.when:%Y-%m-%d}"


def can_plot_to(path: str | os.PathLike) -> bool:
    """Whether :func:`plot_trend` can write ``path``: its extension names a format matplotlib
    writes (png, svg, pdf, jpg...)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    extension = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    return extension in FigureCanvasAgg.get_supported_filetypes()


def plot_trend(points: Sequence[TrendPoint], path: str | os.PathLike) -> None:
    """Save :func:`trend_figure` of ``points`` to ``path``, in the format its extension names
    (see :func:`can_plot_to`)."""
    trend_figure(points).savefig(path, dpi=120)


def trend_figure(points: Sequence[TrendPoint]) -> Figure:
    """The score over time, markers coloured by grade, photos not judged as grey crosses at
    the bottom, and the line where dimples count as visible (score 0.5).

    Uses matplotlib's Agg canvas directly: no display and no global backend change.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    figure = Figure(figsize=(9, 4.5), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    judged = [point for point in points if point.row["status"] == "ok"]
    axes.plot(
        [p.when for p in judged], [p.row["score"] for p in judged], color="#5b6670", lw=1, zorder=1
    )
    for grade, colour in GRADE_COLOURS.items():
        graded = [point for point in judged if point.row["prominence"] == grade]
        if graded:
            axes.scatter(
                [p.when for p in graded],
                [p.row["score"] for p in graded],
                s=48,
                color=colour,
                edgecolor="#1d232a",
                label=grade,
                zorder=2,
            )
    unjudged = [point for point in points if point.row["status"] != "ok"]
    if unjudged:
        axes.scatter(
            [p.when for p in unjudged],
            [0.0] * len(unjudged),
            marker="x",
            color="#8c96a0",
            label="not judged",
            zorder=2,
        )
    axes.axhline(0.5, color="#8c96a0", lw=0.8, ls="--")
    axes.annotate(
        "visible",
        (1.0, 0.5),
        xycoords=("axes fraction", "data"),
        ha="right",
        va="bottom",
        color="#5b6670",
        fontsize="small",
    )
    axes.set(ylim=(-0.05, 1.05), ylabel="score", title="Dimples of Venus over time")
    axes.legend(title="grade", loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    axes.grid(alpha=0.3)
    if points:
        first, last = min(p.when for p in points), max(p.when for p in points)
        margin = max((last - first) / 20, MIN_PLOT_MARGIN)
        axes.set_xlim(first - margin, last + margin)
    locator = AutoDateLocator()
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure
