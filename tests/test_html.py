"""HTML report: one self-contained page, a card per photo, filters and sort order that work in a
real browser (headless Chromium; skipped where /usr/bin/chromium is missing)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image

from detector.batch import error_row
from detector.html_report import render_html, thumbnail_jpeg, write_html

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.is_file(), reason="headless Chromium not installed (apt-get install chromium)"
)


def _row(source: str, status: str, score: float | None = None, grade: str | None = None) -> dict:
    if status == "error":
        return error_row(source, f"{source} is not an image this tool can read")
    return {
        **error_row(source, "A message for a person."),
        "status": status,
        "score": score,
        "present": None if score is None else score >= 0.5,
        "prominence": grade,
    }


ROWS = [
    _row("b/two.jpg", "ok", 0.91, "pronounced"),
    _row("a/one.jpg", "ok", 0.42, "none"),
    _row("c/three.jpg", "ok", 0.66, "subtle"),
    _row("d/nobody.jpg", "no_person"),
    _row("e/notes.jpg", "error"),
    _row("f/<b>odd & name</b>.jpg", "error"),
]


class _Page(HTMLParser):
    """The cards (their attributes, in document order), the selects and the count text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.cards: list[dict[str, str | None]] = []
        self.selects: dict[str, list[str]] = {}
        self.shown = ""
        self._select: str | None = None
        self._in_shown = False
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "article" and attributes.get("class") == "card":
            self.cards.append(attributes)
        elif tag == "select":
            self._select = attributes["id"]
            self.selects[self._select] = []
        elif tag == "option" and self._select is not None:
            self.selects[self._select].append(attributes["value"])
        self._in_shown = attributes.get("id") == "shown"

    def handle_endtag(self, tag: str) -> None:
        self._in_shown = False

    def handle_data(self, data: str) -> None:
        if self._in_shown:
            self.shown += data

    @property
    def visible(self) -> list[str]:
        return [card["data-source"] for card in self.cards if "hidden" not in card]


def _thumbnails() -> dict[str, bytes]:
    rng = np.random.default_rng(0)
    return {
        row["source"]: thumbnail_jpeg(rng.integers(0, 255, (300, 200, 3), dtype=np.uint8))
        for row in ROWS
        if row["status"] == "ok"
    }


def test_page_has_a_card_per_row_controls_and_no_address_outside_itself():
    page = render_html(ROWS, _thumbnails())
    parsed = _Page(page)
    assert sorted(card["data-source"] for card in parsed.cards) == sorted(r["source"] for r in ROWS)
    assert [card["data-source"] for card in parsed.cards] == sorted(r["source"] for r in ROWS)
    assert parsed.selects == {
        "status": ["", "ok", "no_person", "error"],
        "grade": ["", "none", "subtle", "pronounced", "not judged"],
        "sort": ["source", "score-desc", "score-asc", "status"],
    }
    assert page.count('src="data:image/jpeg;base64,') == 3
    assert page.count('class="nothumb"') == 3
    assert "<b>odd" not in page and "&lt;b&gt;odd &amp; name&lt;/b&gt;" in page
    assert "http:" not in page and "https:" not in page and "default-src 'none'" in page


def test_thumbnail_is_a_small_jpeg():
    data = thumbnail_jpeg(np.zeros((1200, 900, 3), np.uint8), side=120)
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size) == ("JPEG", (90, 120))


def _chromium(tmp_path: Path, *args: str) -> str:
    """Run headless Chromium, offline and with a fresh profile; its stdout."""
    result = subprocess.run(
        [
            str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *args,
        ],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def _dump_dom(tmp_path: Path, page: Path, fragment: str = "") -> _Page:
    """The page as Chromium shows it once its script ran, opened at ``fragment``."""
    return _Page(_chromium(tmp_path, "--dump-dom", page.as_uri() + fragment))


@needs_chromium
def test_filters_and_sort_order_from_the_address_work_in_chromium(tmp_path):
    page = tmp_path / "report.html"
    write_html(ROWS, _thumbnails(), page)

    everything = _dump_dom(tmp_path, page)
    assert len(everything.cards) == 6 and len(everything.visible) == 6
    assert everything.shown == "6 of 6 shown"

    ok_only = _dump_dom(tmp_path, page, "#status=ok")
    assert len(ok_only.cards) == 6
    assert sorted(ok_only.visible) == ["a/one.jpg", "b/two.jpg", "c/three.jpg"]
    assert ok_only.shown == "3 of 6 shown"

    unjudged = _dump_dom(tmp_path, page, "#grade=not%20judged")
    assert sorted(unjudged.visible) == ["d/nobody.jpg", "e/notes.jpg", "f/<b>odd & name</b>.jpg"]

    by_score = _dump_dom(tmp_path, page, "#status=ok&sort=score-desc")
    assert by_score.visible == ["b/two.jpg", "c/three.jpg", "a/one.jpg"]


@needs_chromium
def test_report_of_a_real_batch_opens_in_chromium_with_a_card_per_image(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    for name in ("back_pronounced.jpg", "front_view.jpg"):
        shutil.copy(SAMPLES / name, photos / name)
    (photos / "notes.jpg").write_text("not a photo")
    page = tmp_path / "report.html"
    batch = subprocess.run(
        [sys.executable, "-m", "detector.cli", "batch", str(photos), "--html", str(page), "-q"],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert batch.returncode == 0, batch.stderr
    shown = _dump_dom(tmp_path, page)
    assert sorted(shown.visible) == sorted(str(p) for p in photos.iterdir())
    statuses = {card["data-source"]: card["data-status"] for card in shown.cards}
    assert statuses[str(photos / "notes.jpg")] == "error"
    assert statuses[str(photos / "front_view.jpg")] == "not_back_view"
    assert page.read_text().count("data:image/jpeg;base64,") == 2

    screenshot = tmp_path / "report.png"
    _chromium(tmp_path, "--window-size=1000,700", f"--screenshot={screenshot}", page.as_uri())
    with Image.open(screenshot) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[:2] == (700, 1000) and pixels.std() > 10  # a page, not a blank
