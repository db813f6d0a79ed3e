"""Batch mode: finding images by content, one row per file whatever happens to it, the JSONL file
(append, resume after a kill), CSV, summary, and the detect_batch API."""

from __future__ import annotations

import contextlib
import csv
import fcntl
import io
import json
import multiprocessing
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pillow_heif
import pytest
from conftest import SAMPLES
from PIL import Image

from detector import BatchResult, detect_batch
from detector.batch import ROW_KEYS, error_row, find_images, make_jobs, sniff_format
from detector.report import DimpleReport
from detector.results import (
    CSV_COLUMNS,
    flatten_row,
    format_summary,
    open_rows,
    read_rows,
    summarise,
    write_csv,
)

pillow_heif.register_heif_opener()

GOOD = ["back_pronounced.jpg", "back_subtle.jpg", "front_view.jpg"]


def run_dimples(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """``dimples ARGS`` in a fresh interpreter, its output captured as text."""
    return subprocess.run(
        [sys.executable, "-m", "detector.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env=env,
    )


def _encoded(fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 150, 120)).save(buffer, format=fmt, **options)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "name"),
    [
        ("JPEG", "jpeg"),
        ("PNG", "png"),
        ("GIF", "gif"),
        ("TIFF", "tiff"),
        ("WEBP", "webp"),
        ("BMP", "bmp"),
        ("HEIF", "heif"),
        ("AVIF", "avif"),
    ],
)
def test_sniff_format_recognises_images_by_their_first_bytes(fmt, name):
    assert sniff_format(_encoded(fmt)[:64]) == name


@pytest.mark.parametrize("head", [b"", b"hello world", b"BM but text", b"\x00\x00\x00\x18ftypmp42"])
def test_sniff_format_rejects_other_content(head):
    assert sniff_format(head) is None


def _tree(tmp_path: Path) -> Path:
    """Images, a subfolder, a symlink loop, a linked duplicate, hidden and non-image files."""
    root = tmp_path / "photos"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.png").write_bytes(_encoded("PNG"))
    (root / "sub" / "b.jpg").write_bytes(_encoded("JPEG"))
    (root / "sub" / "deeper" / "no_extension").write_bytes(_encoded("WEBP"))
    (root / "notes.jpg").write_text("not a photo")  # named like one: gets an error row
    (root / "readme.txt").write_text("not a photo")  # neither: left out
    (root / ".hidden.jpg").write_bytes(_encoded("JPEG"))
    (root / ".cache").mkdir()
    (root / ".cache" / "c.jpg").write_bytes(_encoded("JPEG"))
    os.symlink(root, root / "loop")  # a loop: the folder itself
    os.symlink(root / "sub", root / "sub" / "deeper" / "up")  # a loop through a parent
    os.symlink(root / "a.png", root / "same_as_a.png")  # a file seen twice
    os.symlink(root / "gone.jpg", root / "dangling.jpg")  # named like an image, missing
    os.mkfifo(root / "pipe.jpg")  # not a regular file: never opened
    return root


def test_find_images_takes_images_by_content_and_each_file_once(tmp_path):
    root = _tree(tmp_path)
    found = find_images(root)
    relative = [os.path.relpath(path, root) for path in found.paths]
    assert relative == [
        "a.png",
        "dangling.jpg",
        "notes.jpg",
        "sub/b.jpg",
        "sub/deeper/no_extension",
    ]
    assert found.problems == []
    assert found.base == str(root)


def test_find_images_takes_files_given_directly_whatever_they_are(tmp_path):
    root = _tree(tmp_path)
    found = find_images([root / "readme.txt", root / "missing.jpg", root, root / "a.png"])
    assert [os.path.relpath(p, root) for p in found.paths][:3] == [
        "readme.txt",
        "missing.jpg",
        "a.png",
    ]
    assert len(found.paths) == 7  # a.png given again is not taken twice


def test_unreadable_folder_is_reported_and_the_walk_goes_on(tmp_path, monkeypatch):
    root = _tree(tmp_path)
    scandir = os.scandir

    def refuse_sub(path):
        if os.fspath(path).endswith("sub"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse_sub)
    found = find_images(root)
    assert [os.path.relpath(p, root) for p in found.paths] == ["a.png", "dangling.jpg", "notes.jpg"]
    assert found.problems == [f"cannot read folder {root / 'sub'}: Permission denied"]


def test_find_images_leaves_out_the_excluded_overlay_folder(tmp_path):
    root = _tree(tmp_path)
    (root / "overlays").mkdir()
    (root / "overlays" / "a.png.png").write_bytes(_encoded("PNG"))
    assert all("overlays" not in p for p in find_images(root, exclude=[root / "overlays"]).paths)


def test_overlay_paths_mirror_the_folders(tmp_path):
    root = _tree(tmp_path)
    jobs = make_jobs(find_images(root), overlays=tmp_path / "out", thumbnail=120)
    overlays = {os.path.relpath(job.source, root): job.overlay for job in jobs}
    assert overlays["sub/b.jpg"] == str(tmp_path / "out" / "sub" / "b.jpg.png")
    assert {job.thumbnail for job in jobs} == {120}


def test_error_rows_have_every_key_of_a_report():
    row = error_row("x.jpg", "x.jpg is not an image this tool can read")
    report_keys = DimpleReport(status="ok", message="", image={"width": 1, "height": 1}).to_dict()
    assert tuple(row) == ROW_KEYS == tuple(report_keys)
    assert {key for key, value in row.items() if value is not None} == {
        "schema",
        "source",
        "status",
        "message",
    }
    result = BatchResult(row)
    assert (result.source, result.status, result.score) == ("x.jpg", "error", None)
    assert json.loads(result.to_json()) == row


def test_read_rows_drops_a_last_line_cut_short(tmp_path):
    path = tmp_path / "r.jsonl"
    first = json.dumps(error_row("a.jpg", "m")) + "\n"
    path.write_text(first + '{"schema": "dimples/1", "sou')
    rows, keep = read_rows(path)
    assert [row["source"] for row in rows] == ["a.jpg"] and keep == len(first.encode())
    with open_rows(path, keep) as writer:
        writer.write(error_row("b.jpg", "m"))
    assert [row["source"] for row in read_rows(path)[0]] == ["a.jpg", "b.jpg"]
    assert read_rows(tmp_path / "missing.jsonl") == ([], 0)


def test_read_rows_refuses_a_damaged_line_before_the_end(tmp_path):
    path = tmp_path / "r.jsonl"
    path.write_text('{"source": "a.jpg"}\nnot json\n{"source": "b.jpg"}\n')
    with pytest.raises(ValueError, match="line 2"):
        read_rows(path)


def test_csv_flattens_rows_and_summary_adds_up(tmp_path):
    ok = {
        **error_row("a.jpg", "fine"),
        "status": "ok",
        "present": True,
        "score": 0.9,
        "prominence": "moderate",
        "dimples": [
            {"side": "left", "x": 1.0, "y": 2.0, "radius": 3.0, "depth_index": 0.5},
            {"side": "right", "x": 4.0, "y": 2.0, "radius": 3.0, "depth_index": 0.4},
        ],
        "region": {"x": 0, "y": 1, "width": 5, "height": 6, "method": "pose"},
        "image": {"width": 10, "height": 20},
        "people": 1,
        "light": {"azimuth_deg": -30.0, "elevation_deg": 55.0},
    }
    rows = [ok, error_row("b.jpg", "broken, really")]
    assert set(flatten_row(ok)) == set(CSV_COLUMNS)
    write_csv(rows, tmp_path / "r.csv")
    with open(tmp_path / "r.csv", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert [line["source"] for line in table] == ["a.jpg", "b.jpg"]
    assert table[0]["right_x"] == "4.0" and table[1]["message"] == "broken, really"
    assert table[0]["light_azimuth_deg"] == "-30.0" and table[1]["light_azimuth_deg"] == ""
    assert os.listdir(tmp_path) == ["r.csv"]  # no temporary file left behind
    summary = summarise(rows)
    assert summary.by_status == {"ok": 1, "error": 1} and summary.files == 2
    assert format_summary(summary, analysed=2, seconds=1.0).splitlines()[1:] == [
        "  status      ok 1, error 1",
        "  visible     1 of 1 judged",
        "  prominence  moderate 1",
    ]


def _mixed_folder(tmp_path: Path) -> Path:
    """The acceptance folder: good images, a subfolder, a symlink loop, a corrupt file, a text
    file named .jpg and a HEIC photo."""
    root = tmp_path / "photos"
    (root / "sub").mkdir(parents=True)
    for name in GOOD[:2]:
        shutil.copy(SAMPLES / name, root / name)
    shutil.copy(SAMPLES / GOOD[2], root / "sub" / GOOD[2])
    data = (SAMPLES / "back_none.jpg").read_bytes()
    (root / "sub" / "corrupt.jpg").write_bytes(data[: len(data) // 3])
    (root / "notes.jpg").write_text("shopping list\n")
    (root / "readme.txt").write_text("not a photo, left out\n")
    Image.open(SAMPLES / "back_pronounced.jpg").save(root / "iphone.heic", format="HEIF")
    os.symlink(root, root / "sub" / "loop")
    return root


def test_batch_gives_one_row_per_file_with_the_right_statuses(tmp_path):
    root = _mixed_folder(tmp_path)
    out, table, overlays = tmp_path / "r.jsonl", tmp_path / "r.csv", tmp_path / "overlays"
    result = run_dimples(
        "batch", str(root), "--out", str(out), "--csv", str(table), "--overlays", str(overlays),
        "--html", str(tmp_path / "r.html"), "--workers", "2",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {os.path.relpath(row["source"], root): row for row in read_rows(out)[0]}
    assert len(rows) == 6 == len(out.read_text().splitlines())
    statuses = {name: row["status"] for name, row in rows.items()}
    assert statuses == {
        "back_pronounced.jpg": "ok",
        "back_subtle.jpg": "ok",
        "iphone.heic": "ok",
        "sub/front_view.jpg": "not_back_view",
        "sub/corrupt.jpg": "error",
        "notes.jpg": "error",
    }
    assert "damaged or truncated" in rows["sub/corrupt.jpg"]["message"]
    assert "not an image" in rows["notes.jpg"]["message"]
    assert all("\n" not in row["message"] for row in rows.values())
    assert rows["iphone.heic"]["image"] == {"width": 600, "height": 800}
    # the summary adds up
    summary = result.stderr.strip().splitlines()
    assert summary[0].startswith("6 files: 6 analysed in ")
    assert summary[1:3] == [
        "  status      ok 3, not_back_view 1, error 2",
        f"  visible     {sum(row['present'] is True for row in rows.values())} of 3 judged",
    ]
    grades = summarise(rows.values()).by_grade
    assert sum(grades.values()) == 3
    assert summary[3] == "  prominence  " + ", ".join(f"{g} {n}" for g, n in grades.items())
    # CSV, overlays and HTML cover the same files
    with open(table, newline="") as stream:
        assert sorted(line["source"] for line in csv.DictReader(stream)) == sorted(
            row["source"] for row in rows.values()
        )
    drawn = sorted(str(p.relative_to(overlays)) for p in overlays.rglob("*.png"))
    expected = sorted(name + ".png" for name, row in rows.items() if row["status"] != "error")
    assert drawn == expected
    assert (tmp_path / "r.html").read_text().count('<article class="card"') == 6


def test_rows_go_to_stdout_without_out(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    (root / "notes.jpg").write_text("x")
    result = run_dimples("batch", str(root), "--quiet")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["status"] == "error"


def test_batch_errors_are_one_line(tmp_path):
    result = run_dimples("batch", str(tmp_path / "missing"))
    assert result.returncode == 2
    assert result.stderr == f"dimples: error: no such file or folder: {tmp_path / 'missing'}\n"
    result = run_dimples("batch", str(tmp_path), "--resume")
    assert result.returncode == 2 and "--resume needs --out" in result.stderr


def _ctrl_c_as_in_a_terminal() -> None:
    """Give the batch SIGINT's default action, as a command started from a terminal has: when
    the tests themselves run as a background job (``nohup ... &``), SIGINT is ignored and
    that is inherited, and the batch would rightly ignore Ctrl-C."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def stop_when_rows(
    command: list[str], out: Path, rows: int, how: int, group: bool
) -> tuple[int, str]:
    """Start a batch in its own process group, and once ``out`` has at least ``rows`` rows
    send ``how`` to the whole group (as a terminal's Ctrl-C reaches every process, or a kill of
    the whole job) or to the batch alone (its workers are left to notice). Its exit status and
    stderr."""
    batch = subprocess.Popen(
        command,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        start_new_session=True,
        preexec_fn=_ctrl_c_as_in_a_terminal,
    )
    try:
        deadline = time.monotonic() + 120
        while not (out.exists() and out.read_bytes().count(b"\n") >= rows):
            assert batch.poll() is None and time.monotonic() < deadline, "batch ended early"
            time.sleep(0.02)
        if group:
            os.killpg(batch.pid, how)
        else:
            batch.send_signal(how)
        return batch.wait(timeout=60), batch.stderr.read().decode()
    finally:
        batch.kill()
        batch.stderr.close()


def test_interrupted_and_killed_batch_resumes_with_exactly_one_row_per_file(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    for index in range(30):
        shutil.copy(SAMPLES / "back_moderate.jpg", root / f"photo_{index:02d}.jpg")
    out = tmp_path / "r.jsonl"
    command = [sys.executable, "-m", "detector.cli", "batch", str(root), "--out", str(out)]
    command += ["--workers", "2"]

    status, stderr = stop_when_rows(command, out, 2, signal.SIGINT, group=True)  # Ctrl-C
    interrupted = read_rows(out)[0]
    assert status == 130 and stderr.count("\n") == 1
    assert stderr.startswith(f"dimples: error: interrupted after {len(interrupted)} of 30 files")

    status, _ = stop_when_rows(
        [*command, "--resume"], out, len(interrupted) + 3, signal.SIGKILL, group=False
    )
    assert status == -signal.SIGKILL
    done = read_rows(out)[0]
    assert done[: len(interrupted)] == interrupted and len(done) < 30
    with open(out, "a") as stream:  # as if the kill had cut a row short
        stream.write('{"schema": "dimples/1", "source": "')

    result = run_dimples(*command[3:], "--resume")
    assert result.returncode == 0, result.stderr
    rows = read_rows(out)[0]
    assert sorted(row["source"] for row in rows) == sorted(str(p) for p in root.iterdir())
    assert len(out.read_text().splitlines()) == 30
    assert rows[: len(done)] == done
    assert result.stderr.startswith(f"30 files: {30 - len(done)} analysed in ")
    assert result.stderr.splitlines()[0].endswith(f", {len(done)} from an earlier run")


def test_detect_batch_yields_one_result_per_file_even_when_a_worker_dies(tmp_path):
    root = _mixed_folder(tmp_path)
    results = detect_batch(root, workers=2, thumbnail=64)
    first = next(results)
    victim = multiprocessing.active_children()[0]
    os.kill(victim.pid, signal.SIGKILL)
    rest = list(results)
    by_source = {result.source: result for result in [first, *rest]}
    assert len(by_source) == 1 + len(rest) == 6
    assert set(by_source) == {str(p) for p in find_images(root).paths}
    died = [r for r in by_source.values() if "worker process died" in r.message]
    assert len(died) == 1 and died[0].status == "error"
    assert died[0].message.endswith("(killed by SIGKILL)")
    for result in by_source.values():
        assert result.row["source"] == result.source
        if result.status == "error":
            assert result.report is None and result.thumbnail is None
        else:
            assert result.report.to_dict() == result.to_dict()
            assert result.report.pixels is None
            assert Image.open(io.BytesIO(result.thumbnail)).size[1] == 64
    assert multiprocessing.active_children() == []


def test_progress_bar_on_a_terminal_only(tmp_path):
    root = tmp_path / "photos"
    root.mkdir()
    shutil.copy(SAMPLES / "front_view.jpg", root / "a.jpg")
    (root / "b.jpg").write_text("not a photo")
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    with os.fdopen(controller, "rb", buffering=0) as screen:
        batch = subprocess.run(  # a few hundred bytes on stderr: the terminal's buffer holds them
            [sys.executable, "-m", "detector.cli", "batch", str(root), "-o", str(tmp_path / "r")],
            stderr=terminal, timeout=300,
        )  # fmt: skip
        os.close(terminal)
        shown = b""
        with contextlib.suppress(OSError):  # EIO once everything is read
            while chunk := screen.read(65536):
                shown += chunk
    assert batch.returncode == 0
    text = shown.decode()
    assert re.search(r"\r100%\|█+\| 2/2 \[00:\d\d<00:00, +[\d.]+img/s\]", text), text
    assert re.search(r"\| 1/2 \[00:\d\d<00:\d\d, +[\d.]+img/s\]", text), text  # rate, ETA
    assert "\n2 files: 2 analysed in " in text
