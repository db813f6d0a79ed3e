"""The generated corpus of broken and unusual inputs (scripts/make_bad_inputs.py) through the
API and the CLI: each gives its stated outcome, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from detector import ImageLoadError

CORPUS = Path(__file__).resolve().parent / "data" / "bad_inputs"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text())


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_api_outcome(detector, name):
    expected = MANIFEST[name]
    if expected == "error":
        with pytest.raises(ImageLoadError) as caught:
            detector.detect(CORPUS / name)
        assert str(caught.value) and "\n" not in str(caught.value)
    else:
        report = detector.detect(CORPUS / name)
        assert report.status in expected
        assert report.source == str(CORPUS / name)


@pytest.mark.parametrize("name", sorted(n for n, e in MANIFEST.items() if e == "error"))
def test_cli_exits_2_with_one_line(name):
    result = subprocess.run(
        [sys.executable, "-m", "detector.cli", "detect", "--", str(CORPUS / name)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr


def test_cli_reads_odd_file_names():
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "detector.cli",
            "detect",
            "--json",
            "--",
            str(CORPUS / "-leading-dash.jpg"),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["source"].endswith("-leading-dash.jpg")


def test_exif_orientations_all_come_out_upright():
    """All eight orientations of one photo decode to the same upright picture."""
    import numpy as np

    from detector import load_image

    upright = [load_image(CORPUS / f"exif_orientation_{k}.jpg").rgb for k in range(1, 9)]
    assert {image.shape for image in upright} == {(200, 150, 3)}
    for image in upright[1:]:
        assert np.abs(image.astype(int) - upright[0]).mean() < 6  # JPEG noise only


def test_path_with_a_newline_is_handled(tmp_path, detector):
    odd = tmp_path / "line\nbreak.jpg"
    odd.write_bytes((CORPUS / "png_named.jpg").read_bytes())
    assert detector.detect(odd).source == str(odd)
