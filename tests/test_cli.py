"""The dimples command: exit codes, one-line errors, JSON report and overlay."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import SAMPLES, SHARED_DATA
from PIL import Image


def _dimples(*args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess:
    """Run ``dimples ARGS`` (``stdin`` fed to it; its output bytes where ``stdin`` is)."""
    return subprocess.run(
        [sys.executable, "-m", "detector.cli", *args],
        input=stdin,
        capture_output=True,
        text=not isinstance(stdin, bytes),
        timeout=120,
    )


def test_version_is_the_packages():
    from importlib.metadata import version

    result = _dimples("--version")
    assert result.returncode == 0
    assert result.stdout == f"dimples {version('back-dimples')}\n"


def test_missing_file_exits_2_with_one_line(tmp_path):
    result = _dimples("detect", str(tmp_path / "missing.jpg"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "no such file" in result.stderr
    assert "Traceback" not in result.stderr


def test_text_file_exits_2_with_one_line(tmp_path):
    text = tmp_path / "some.txt"
    text.write_text("hello")
    result = _dimples("detect", str(text))
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "not an image" in result.stderr


def test_a_folder_given_to_detect_points_to_batch(tmp_path):
    result = _dimples("detect", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and f"dimples batch {tmp_path}" in result.stderr


def test_a_dash_reads_the_photo_from_stdin():
    photo = _first_sample()
    piped = _dimples("detect", "-", "--json", stdin=Path(photo).read_bytes())
    assert piped.returncode == 0, piped.stderr
    from_stdin, from_file = (
        json.loads(piped.stdout),
        json.loads(_dimples("detect", photo, "--json").stdout),
    )
    assert from_stdin["source"] is None and from_stdin["status"] == "ok"
    assert (from_stdin["score"], from_stdin["dimples"]) == (
        from_file["score"],
        from_file["dimples"],
    )
    empty = _dimples("detect", "-", stdin=b"")
    assert empty.returncode == 2 and empty.stderr.decode().count("\n") == 1


def test_leading_dash_path_is_a_file_not_an_option(tmp_path):
    odd = tmp_path / "-odd name.jpg"
    odd.write_text("x")
    result = _dimples("detect", "--", str(odd))
    assert result.returncode == 2 and "not an image" in result.stderr


def _first_sample() -> str:
    labels = SAMPLES / "labels.json"
    if labels.is_file():
        for entry in json.loads(labels.read_text())["images"]:
            if entry["framing"] == "full_body" and entry["present"]:
                return str(SAMPLES / entry["file"])
    pytest.skip("no rendered sample with dimples")


def test_json_report_for_a_sample_with_dimples(tmp_path):
    overlay = tmp_path / "overlay.png"
    result = _dimples("detect", _first_sample(), "--json", "--overlay", str(overlay))
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["schema"] == "dimples/1" and row["status"] == "ok"
    with Image.open(overlay) as image:
        assert image.size == (row["image"]["width"], row["image"]["height"])
    assert result.stderr == ""


def test_output_files_go_into_folders_made_for_them(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    (photos / "back.jpg").write_bytes(Path(_first_sample()).read_bytes())
    out, csv, html = (
        tmp_path / "a" / "rows.jsonl",
        tmp_path / "b" / "c.csv",
        tmp_path / "d" / "r.html",
    )
    result = _dimples(
        "batch", str(photos), "--workers", "1", "-q", "--out", str(out), "--csv", str(csv),
        "--html", str(html),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(out.read_text())["status"] == "ok"
    assert csv.read_text().count("\n") == 2 and "<html" in html.read_text()


def test_a_batch_reads_the_paths_on_stdin_for_a_dash(tmp_path):
    listed = [str(SAMPLES / "back_subtle.jpg"), "", str(SAMPLES / "front_view.jpg")]
    result = _dimples("batch", "-", "-q", "--workers", "1", stdin="\n".join(listed) + "\n")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert sorted(row["source"] for row in rows) == sorted(p for p in listed if p)
    missing = _dimples("batch", "-", stdin=str(tmp_path / "gone.jpg"))
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_a_batch_over_a_folder_without_images_says_so(tmp_path):
    (tmp_path / "notes.txt").write_text("no photos here")
    result = _dimples("batch", str(tmp_path))
    assert result.returncode == 0 and result.stdout == ""
    assert f"no images found in {tmp_path}" in result.stderr


def test_an_overlay_name_no_image_format_has_is_refused_before_any_work(tmp_path):
    result = _dimples("detect", _first_sample(), "--overlay", str(tmp_path / "overlay.xyz"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "name it .png or .jpg" in result.stderr


def test_an_output_folder_that_cannot_be_made_is_one_line_before_any_work(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    result = _dimples("detect", _first_sample(), "--overlay", str(blocker / "overlay.png"))
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "cannot create the folder" in result.stderr
    for option in ("--out", "--csv", "--html"):  # a folder where a file is meant
        result = _dimples("batch", _first_sample(), option, str(tmp_path))
        assert result.returncode == 2 and result.stdout == ""
        assert result.stderr.count("\n") == 1 and "it is a folder" in result.stderr
    result = _dimples("batch", _first_sample(), "--overlays", str(blocker))  # a file, not a folder
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and f"cannot create the folder {blocker}" in result.stderr


def test_a_reader_that_stops_early_ends_the_batch_quietly(tmp_path):
    """``dimples batch DIR | head -1``: the rows after the first meet a closed pipe."""
    photo = Path(_first_sample()).read_bytes()
    for index in range(4):
        (tmp_path / f"photo{index}.jpg").write_bytes(photo)
    process = subprocess.Popen(
        [sys.executable, "-m", "detector.cli", "batch", str(tmp_path), "--workers", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    first = process.stdout.readline()
    process.stdout.close()
    stderr = process.stderr.read().decode()
    assert process.wait(timeout=120) == 141  # as a command killed by SIGPIPE
    assert json.loads(first)["schema"] == "dimples/1"
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr, stderr


def test_summary_for_a_front_view_still_exits_0():
    photo = SHARED_DATA / "views" / "skimage_astronaut.png"
    if not photo.is_file():
        pytest.skip("real photos not available")
    result = _dimples("detect", str(photo))
    assert result.returncode == 0
    assert result.stdout.startswith(("not_back_view", "no_person"))


def test_close_up_without_head_goes_through_the_fallback():
    labels = json.loads((SAMPLES / "labels.json").read_text())["images"]
    closeups = [e["file"] for e in labels if e["framing"] == "closeup"]
    assert closeups
    result = _dimples("detect", str(SAMPLES / closeups[0]), "--json")
    row = json.loads(result.stdout)
    assert row["status"] == "ok" and row["region"]["method"] == "fallback"
