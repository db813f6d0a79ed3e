"""Batch mode under trouble: a photo that hangs its worker (the per-image timeout), the whole
corpus of bad inputs in one batch, and the acceptance run of issue 6: 200 good and bad files,
the batch killed twice and resumed, exactly one row per file."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import SAMPLES
from PIL import Image
from test_bad_inputs import CORPUS, MANIFEST
from test_batch import run_dimples, stop_when_rows

from detector import detect_batch
from detector.batch import HANG_ON_VARIABLE, find_images, run_jobs
from detector.results import read_rows

#: Size of the photos copied into test batches: small, so that 200 of them take seconds.
SMALL = (300, 400)


def _small_photos(folder: Path, copies: int) -> list[Path]:
    """``copies`` small JPEGs made from the sample renders, in turn, written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    renders = sorted(SAMPLES.glob("*.jpg"))
    paths = []
    for index in range(copies):
        render = renders[index % len(renders)]
        path = folder / f"{index:03d}_{render.name}"
        Image.open(render).resize(SMALL).save(path, quality=90)
        paths.append(path)
    return paths


def test_a_photo_that_hangs_its_worker_times_out_and_the_batch_goes_on(tmp_path, monkeypatch):
    photos = _small_photos(tmp_path / "photos", 4)
    hung = photos[1]
    monkeypatch.setenv(HANG_ON_VARIABLE, str(hung))  # spawned workers inherit it
    start = time.monotonic()
    results = {
        result.source: result for result in detect_batch(tmp_path / "photos", workers=1, timeout=2)
    }
    assert time.monotonic() - start < 60
    assert set(results) == {str(path) for path in photos}
    assert results[str(hung)].status == "error"
    assert results[str(hung)].message == "timed out after 2 s"
    # one worker: the photos after the hung one were analysed by its replacement
    assert all(results[str(path)].status != "error" for path in photos if path != hung)
    assert multiprocessing.active_children() == []


def test_batch_timeout_option(tmp_path):
    photos = _small_photos(tmp_path / "photos", 3)
    hung, out = str(photos[0]), tmp_path / "r.jsonl"
    result = run_dimples(
        "batch", str(tmp_path / "photos"), "--out", str(out), "--timeout", "1.5",
        env=os.environ | {HANG_ON_VARIABLE: hung},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {row["source"]: row for row in read_rows(out)[0]}
    assert set(rows) == {str(path) for path in photos}
    assert (rows[hung]["status"], rows[hung]["message"]) == ("error", "timed out after 1.5 s")
    assert "error 1" in result.stderr.splitlines()[1]  # the summary counts it
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("timeout", [0, -1.0, float("nan")])
def test_timeout_must_be_positive(timeout):
    with pytest.raises(ValueError, match="timeout must be"):
        run_jobs([], timeout=timeout)


def test_batch_over_the_bad_input_corpus_gives_each_file_its_outcome(tmp_path):
    """Every file of the generated corpus gets exactly one row: ``error`` where the manifest
    says so, an allowed status otherwise. A folder walk leaves out the PDF (neither named nor
    made like an image) and manifest.json, so the PDF is also given by name."""
    out = tmp_path / "r.jsonl"
    result = run_dimples(
        "batch", str(CORPUS), str(CORPUS / "document.pdf"), "--out", str(out), "--workers", "2"
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    rows = read_rows(out)[0]
    by_name = Counter(os.path.relpath(row["source"], CORPUS) for row in rows)
    assert by_name == Counter(MANIFEST.keys())  # each file of the manifest once, nothing else
    for row in rows:
        expected = MANIFEST[os.path.relpath(row["source"], CORPUS)]
        if expected == "error":
            assert row["status"] == "error", row
            assert row["message"] and "\n" not in row["message"]
        else:
            assert row["status"] in expected, row


def test_batch_of_200_good_and_bad_files_killed_twice_ends_with_200_rows(tmp_path):
    """Issue 6's acceptance: SIGKILL the whole process group (batch and workers) twice after
    some rows are written, resume each time; every file ends with exactly one row."""
    root = tmp_path / "photos"
    good = _small_photos(root / "good", 160)
    bad = root / "bad"
    bad.mkdir()
    for path in find_images(CORPUS).paths:  # what a folder walk takes of the corpus
        shutil.copy(path, bad / os.path.basename(path))
    expected_errors = {str(bad / name) for name, outcome in MANIFEST.items() if outcome == "error"}
    expected_errors &= {str(path) for path in bad.iterdir()}
    for index, photo in enumerate(good[: 200 - len(good) - len(os.listdir(bad))]):
        data = photo.read_bytes()
        truncated = bad / f"truncated_{index:02d}.jpg"
        truncated.write_bytes(data[: len(data) // 3])
        expected_errors.add(str(truncated))
    files = find_images(root).paths
    assert len(files) == 200

    out = tmp_path / "r.jsonl"
    command = [sys.executable, "-m", "detector.cli", "batch", str(root), "--out", str(out)]
    command += ["--workers", "2", "--quiet"]
    status, _ = stop_when_rows(command, out, 40, signal.SIGKILL, group=True)
    assert status == -signal.SIGKILL
    first = read_rows(out)[0]
    assert 40 <= len(first) < 200
    status, _ = stop_when_rows(
        [*command, "--resume"], out, len(first) + 60, signal.SIGKILL, group=True
    )
    assert status == -signal.SIGKILL
    second = read_rows(out)[0]
    assert second[: len(first)] == first and len(first) + 60 <= len(second) < 200

    result = run_dimples(*command[3:], "--resume")
    assert result.returncode == 0, result.stderr
    rows = read_rows(out)[0]
    assert len(out.read_text().splitlines()) == len(rows) == 200
    assert rows[: len(second)] == second
    assert Counter(row["source"] for row in rows) == Counter(files)  # one row per file
    assert {row["source"] for row in rows if row["status"] == "error"} == expected_errors
