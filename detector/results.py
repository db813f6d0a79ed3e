"""Batch results on disk and in summary: the JSONL file of ``dimples/1`` rows (appended as rows
come, resumable after a crash), its CSV flattening, and the counts of a run."""

from __future__ import annotations

import csv
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, fields
from pathlib import Path
from typing import IO, Any, get_args

from detector.report import LIGHT_KEYS, Dimple, Prominence, Region, Status

#: Rows between two ``os.fsync`` calls; a crash of the process loses nothing already written,
#: a crash of the machine at most this many rows.
SYNC_EVERY = 20


def read_rows(path: str | os.PathLike) -> tuple[list[dict[str, Any]], int]:
    """The rows of a JSONL results file, and the length in bytes of its complete lines.

    A last line that a crash cut short (no final newline, or not JSON) is left out: write new
    rows from the returned length on. A missing file has no rows.

    Raises
    ------
    ValueError
        A complete line before the end that is not a JSON object (the file is not one this
        tool wrote, or was edited).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "r.jsonl"
    >>> _ = path.write_text('{"source": "a.jpg"}\\n{"sour')
    >>> read_rows(path)
    ([{'source': 'a.jpg'}], 20)
    """
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return [], 0
    *lines, tail = data.split(b"\n")  # tail: what follows the last newline (a cut-short line)
    rows: list[dict[str, Any]] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError:
            row = None
        if not isinstance(row, dict):
            if number == len(lines) and not tail:  # the last line, cut short before its end
                return rows, len(data) - len(line) - 1
            raise ValueError(f"{path}, line {number}: not a JSON row; fix or remove that line")
        rows.append(row)
    return rows, len(data) - len(tail)


class RowWriter:
    """Writes rows as JSON lines to a binary stream, each flushed at once.

    Parameters
    ----------
    stream : binary file
        Where the lines go.
    sync : bool
        ``os.fsync`` the stream every :data:`SYNC_EVERY` rows and on :meth:`sync` (files only).
    """

    def __init__(self, stream: IO[bytes], sync: bool) -> None:
        self._stream = stream
        self._sync = sync
        self.written = 0

    def write(self, row: dict[str, Any]) -> None:
        """Append one row as a JSON line and flush it."""
        self._stream.write(json.dumps(row, ensure_ascii=False).encode() + b"\n")
        self._stream.flush()
        self.written += 1
        if self.written % SYNC_EVERY == 0:
            self.sync()

    def sync(self) -> None:
        """Flush, and with ``sync``, make what was written durable."""
        self._stream.flush()
        if self._sync:
            os.fsync(self._stream.fileno())


@contextmanager
def open_rows(path: str | os.PathLike | None, keep: int = 0) -> Iterator[RowWriter]:
    """A :class:`RowWriter` appending to ``path`` after its first ``keep`` bytes (0: a new file;
    the length from :func:`read_rows` to resume), or writing to stdout when ``path`` is None;
    synced when the block ends, however it ends."""
    with open(path, "ab") if path is not None else nullcontext(sys.stdout.buffer) as stream:
        if path is not None:
            stream.truncate(keep)
        writer = RowWriter(stream, sync=path is not None)
        try:
            yield writer
        finally:
            writer.sync()


_DIMPLE_FIELDS = [field.name for field in fields(Dimple) if field.name != "side"]
#: Columns of the CSV file: the row's keys, nested values spread out (``left_x``, ...).
CSV_COLUMNS = (
    "schema",
    "source",
    "status",
    "present",
    "score",
    "prominence",
    "symmetry",
    *(f"{side}_{name}" for side in ("left", "right") for name in _DIMPLE_FIELDS),
    *(f"region_{field.name}" for field in fields(Region)),
    "image_width",
    "image_height",
    "people",
    *(f"light_{key}" for key in LIGHT_KEYS),
    "message",
)


#: Keys whose values are spread into ``<key>_<name>`` columns.
_SPREAD = ("region", "image", "light")


def flatten_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its nested values spread into columns (:data:`CSV_COLUMNS`).

    Examples
    --------
    >>> flat = flatten_row({"status": "ok", "dimples": [{"side": "left", "x": 3.0}],
    ...                     "image": {"width": 6, "height": 8}})
    >>> flat["left_x"], flat["image_width"], flat["status"]
    (3.0, 6, 'ok')
    """
    nested = ("dimples", *_SPREAD)
    flat = {key: value for key, value in row.items() if key not in nested}
    for dimple in row.get("dimples") or []:
        flat |= {f"{dimple['side']}_{key}": value for key, value in dimple.items() if key != "side"}
    for key in _SPREAD:
        flat |= {f"{key}_{name}": value for name, value in (row.get(key) or {}).items()}
    return flat


def write_csv(
    rows: Iterable[dict[str, Any]], path: str | os.PathLike, columns: Sequence[str] = CSV_COLUMNS
) -> None:
    """Write rows flattened (:func:`flatten_row`) to CSV, to a temporary file renamed into place
    when complete, so the CSV at ``path`` is always whole."""
    target = Path(path)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    try:
        with os.fdopen(handle, "w", newline="", encoding="utf-8") as stream:
            writer = csv.DictWriter(stream, columns, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(map(flatten_row, rows))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


@dataclass(frozen=True)
class BatchSummary:
    """Counts over the rows of a batch.

    Attributes
    ----------
    files : int
        Rows (one per input file).
    by_status : dict of str to int
        Rows per status, in the schema's order, statuses without rows left out.
    visible : int
        Rows with dimples visible (``present`` true).
    by_grade : dict of str to int
        Judged rows (status ``ok``) per prominence grade.
    """

    files: int
    by_status: dict[str, int]
    visible: int
    by_grade: dict[str, int]

    @property
    def judged(self) -> int:
        """Rows with status ``ok``."""
        return self.by_status.get("ok", 0)


def summarise(rows: Iterable[dict[str, Any]]) -> BatchSummary:
    """Count rows by status, visible dimples and prominence grade.

    Examples
    --------
    >>> summary = summarise([{"status": "ok", "present": True, "prominence": "subtle"},
    ...                      {"status": "error", "present": None, "prominence": None}])
    >>> summary.by_status, summary.visible, summary.by_grade
    ({'ok': 1, 'error': 1}, 1, {'subtle': 1})
    """
    rows = list(rows)
    statuses = Counter(row["status"] for row in rows)
    grades = Counter(row["prominence"] for row in rows if row["status"] == "ok")
    return BatchSummary(
        files=len(rows),
        by_status=_ordered(statuses, get_args(Status)),
        visible=sum(row["present"] is True for row in rows),
        by_grade=_ordered(grades, get_args(Prominence)),
    )


def _ordered(counts: Counter, order: tuple[str, ...]) -> dict[str, int]:
    """Counts in a fixed order, then any unknown keys, zeros left out."""
    keys = [key for key in order if counts[key]] + sorted(set(counts) - set(order), key=str)
    return {key: counts[key] for key in keys}


def format_summary(summary: BatchSummary, analysed: int, seconds: float) -> str:
    """The end-of-run summary: files, rate, counts by status, visible dimples, grades.

    Examples
    --------
    >>> summary = summarise([{"status": "ok", "present": True, "prominence": "subtle"}])
    >>> print(format_summary(summary, analysed=1, seconds=0.5))
    1 file: 1 analysed in 0.5 s (2.0 images/s)
      status      ok 1
      visible     1 of 1 judged
      prominence  subtle 1
    """
    earlier = summary.files - analysed
    rate = analysed / seconds if seconds > 0 else 0.0
    lines = [
        f"{summary.files} file{'s' if summary.files != 1 else ''}: {analysed} analysed "
        f"in {seconds:.1f} s ({rate:.1f} images/s)"
        + (f", {earlier} from an earlier run" if earlier else ""),
        f"  status      {_counts(summary.by_status)}",
        f"  visible     {summary.visible} of {summary.judged} judged",
        f"  prominence  {_counts(summary.by_grade)}",
    ]
    return "\n".join(lines)


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{key} {value}" for key, value in counts.items()) or "-"
