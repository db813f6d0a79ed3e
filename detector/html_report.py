"""HTML report of a batch: one self-contained static page, a card per photo (thumbnail with the
result drawn, status, grade, score, message), sortable and filterable with inline JavaScript.

The page loads nothing: thumbnails are embedded as base64 JPEG and a Content-Security-Policy
forbids any request, so it opens offline and shows the same everywhere. Filters and sort order
are kept in the address's fragment (``report.html#status=ok&grade=subtle&sort=score-desc``), so a
filtered view can be bookmarked or shared.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any, get_args
from urllib.parse import quote

import numpy as np
from PIL import Image

from detector.report import Prominence, Status
from detector.results import summarise

#: Longest side of the thumbnails, in pixels, and their JPEG quality: small pages for big batches.
THUMBNAIL_SIDE = 240
THUMBNAIL_QUALITY = 70
#: Grade value of the cards whose photo could not be judged.
NOT_JUDGED = "not judged"

SORTS = {
    "source": "file name",
    "score-desc": "score, highest first",
    "score-asc": "score, lowest first",
    "status": "status",
}

STYLE = """
:root { font-family: system-ui, sans-serif; color: #1d232a; background: #f4f5f7; }
body { margin: 0 auto; max-width: 1400px; padding: 1rem; }
h1 { font-size: 1.4rem; margin: 0 0 .3rem; }
.totals { margin: 0 0 1rem; color: #4a5560; }
#controls { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; margin-bottom: 1rem; }
#controls select { font: inherit; padding: .2rem; }
#shown { color: #4a5560; }
#cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(260px, 1fr)); gap: 1rem; }
.card { display: flex; flex-direction: column; background: #fff; border-radius: 8px;
  box-shadow: 0 1px 3px rgba(0, 0, 0, .15); padding: .6rem; }
.card[hidden] { display: none; }
.card img, .card .nothumb { width: 100%; height: 240px; object-fit: contain; background: #20252b;
  border-radius: 4px; }
.card .nothumb { display: flex; align-items: center; justify-content: center; color: #c9d1d9; }
.card h2 { font-size: .9rem; margin: .5rem 0 .3rem; overflow-wrap: anywhere; }
.card h2 a { color: inherit; }
.verdict { margin: 0 0 .3rem; display: flex; gap: .4rem; flex-wrap: wrap; }
.verdict span { border-radius: 4px; padding: .05rem .4rem; font-size: .85rem; background: #e6e9ed; }
.status-ok { background: #cfeedd !important; }
.status-error { background: #f7d4d4 !important; }
.message { margin: 0; font-size: .85rem; color: #38424c; }
"""

SCRIPT = """
const cards = document.getElementById('cards');
const controls = ['status', 'grade', 'sort'].map((id) => document.getElementById(id));
const [status, grade, sort] = controls;
const orders = {
  'source': (a, b) => a.dataset.source.localeCompare(b.dataset.source),
  'score-desc': (a, b) => score(b) - score(a) || orders.source(a, b),
  'score-asc': (a, b) => score(a) - score(b) || orders.source(a, b),
  'status': (a, b) => a.dataset.status.localeCompare(b.dataset.status) || orders.source(a, b),
};
function score(card) { return card.dataset.score === '' ? -1 : Number(card.dataset.score); }
function apply() {
  const all = Array.from(cards.querySelectorAll('.card'));
  let shown = 0;
  for (const card of all) {
    card.hidden = !((!status.value || card.dataset.status === status.value)
                    && (!grade.value || card.dataset.grade === grade.value));
    shown += card.hidden ? 0 : 1;
  }
  all.sort(orders[sort.value] || orders.source).forEach((card) => cards.appendChild(card));
  document.getElementById('shown').textContent = shown + ' of ' + all.length + ' shown';
  const state = new URLSearchParams();
  for (const control of controls) { if (control.value) state.set(control.id, control.value); }
  history.replaceState(null, '', '#' + state.toString());
}
function fromAddress() {
  const state = new URLSearchParams(location.hash.slice(1));
  for (const control of controls) control.value = state.get(control.id) || control.options[0].value;
  apply();
}
for (const control of controls) control.addEventListener('change', apply);
window.addEventListener('hashchange', fromAddress);
fromAddress();
"""


def thumbnail_jpeg(
    rgb: np.ndarray, side: int = THUMBNAIL_SIDE, quality: int = THUMBNAIL_QUALITY
) -> bytes:
    """A JPEG of ``rgb`` (H, W, 3 uint8) shrunk to at most ``side`` pixels on its longest side.

    Examples
    --------
    >>> import numpy as np
    >>> thumbnail_jpeg(np.zeros((800, 600, 3), np.uint8))[:3]
    b'\\xff\\xd8\\xff'
    """
    image = Image.fromarray(rgb)
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=True)
    return buffer.getvalue()


def render_html(
    rows: Sequence[dict[str, Any]],
    thumbnails: Mapping[str, bytes],
    title: str = "Dimples of Venus: batch report",
    links_from: str | os.PathLike | None = None,
) -> str:
    """The report page for ``dimples/1`` rows.

    Parameters
    ----------
    rows : sequence of dict
        One row per photo (as in the batch's JSONL file); cards are sorted by ``source``.
    thumbnails : mapping of str to bytes
        JPEG thumbnail per ``source``; a card without one says so.
    title : str
        The page's title and heading.
    links_from : path, optional
        The folder the page will be saved in: each card's name then links to its photo by a
        relative path. Without it the names are plain text.

    Returns
    -------
    str
        A complete HTML document that loads nothing from anywhere.

    Examples
    --------
    >>> page = render_html([{"source": "a.jpg", "status": "error", "prominence": None,
    ...                      "score": None, "present": None, "message": "not an image"}], {})
    >>> page.count('class="card"')
    1
    """
    ordered = sorted(rows, key=lambda row: str(row["source"]))
    statuses = [s for s in get_args(Status) if any(row["status"] == s for row in ordered)]
    grades = [
        g for g in (*get_args(Prominence), NOT_JUDGED) if any(_grade(r) == g for r in ordered)
    ]
    controls = "\n".join(
        [
            _select("status", "Status", {"": "all", **{s: s.replace("_", " ") for s in statuses}}),
            _select("grade", "Grade", {"": "all", **{g: g for g in grades}}),
            _select("sort", "Sort by", SORTS),
            '<span id="shown" aria-live="polite"></span>',
        ]
    )
    cards = "\n".join(_card(row, thumbnails.get(row["source"]), links_from) for row in ordered)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy"
 content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{STYLE}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p class="totals">{escape(_totals(ordered))}</p>
<form id="controls" onsubmit="return false">
{controls}
</form>
<main id="cards">
{cards}
</main>
<script>{SCRIPT}</script>
</body>
</html>
"""


def write_html(
    rows: Sequence[dict[str, Any]], thumbnails: Mapping[str, bytes], path: str | os.PathLike
) -> None:
    """Write :func:`render_html` of the rows to ``path``, cards linking to the photos."""
    target = Path(path)
    target.write_text(render_html(rows, thumbnails, links_from=target.parent), encoding="utf-8")


def _grade(row: dict[str, Any]) -> str:
    return row.get("prominence") or NOT_JUDGED


def _totals(rows: Sequence[dict[str, Any]]) -> str:
    summary = summarise(rows)
    statuses = ", ".join(f"{count} {status}" for status, count in summary.by_status.items())
    return (
        f"{summary.files} photos ({statuses or 'none'}); dimples visible in {summary.visible} "
        f"of the {summary.judged} that could be judged."
    )


def _select(name: str, label: str, options: Mapping[str, str]) -> str:
    items = "".join(
        f'<option value="{escape(value)}">{escape(text)}</option>'
        for value, text in options.items()
    )
    return f'<label>{escape(label)} <select id="{name}" name="{name}">{items}</select></label>'


def _card(
    row: dict[str, Any], thumbnail: bytes | None, links_from: str | os.PathLike | None
) -> str:
    source = str(row["source"])
    name = escape(source)
    if links_from is not None:
        href = Path(os.path.relpath(os.path.abspath(source), os.path.abspath(links_from)))
        name = f'<a href="{escape(quote(href.as_posix()))}">{name}</a>'
    if thumbnail is None:
        picture = '<div class="nothumb">no preview</div>'
    else:
        data = base64.b64encode(thumbnail).decode("ascii")
        picture = (
            f'<img src="data:image/jpeg;base64,{data}" alt="{escape(source)} with the result">'
        )
    score = row.get("score")
    grade = _grade(row)
    badges = [f'<span class="status status-{escape(row["status"])}">{escape(row["status"])}</span>']
    if row.get("prominence") is not None:
        badges.append(f'<span class="grade">{escape(grade)}</span>')
    if score is not None:
        badges.append(f'<span class="score">score {score:.2f}</span>')
    return (
        f'<article class="card" data-source="{escape(source)}"'
        f' data-status="{escape(row["status"])}" data-grade="{escape(grade)}"'
        f' data-score="{"" if score is None else score}">'
        f"{picture}<h2>{name}</h2>"
        f'<p class="verdict">{"".join(badges)}</p>'
        f'<p class="message">{escape(row.get("message") or "")}</p></article>'
    )
