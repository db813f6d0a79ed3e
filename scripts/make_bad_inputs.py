"""Generate the corpus of broken and unusual inputs in tests/data/bad_inputs/.

    python scripts/make_bad_inputs.py [--out tests/data/bad_inputs]

Every file is made here from a sample render or from scratch (nothing is downloaded), and
``manifest.json`` says what the detector must do with it: ``"error"`` (a one-line
ImageLoadError; CLI exit 2; an ``error`` row in a batch) or a report with one of the allowed
statuses.
"""

from __future__ import annotations

import argparse
import io
import json
import struct
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "sample_images" / "back_pronounced.jpg"
ANY_REPORT = ["ok", "no_person", "not_back_view", "region_not_visible", "low_quality"]


def _encode(image: Image.Image, fmt: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def _png_bomb(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width x height`` RGB pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + _png_chunk(b"IEND", b"")
    )


def _stored_for_orientations(photo: Image.Image) -> list[Image.Image]:
    """The pixels a camera stores for EXIF orientations 1-8 of the upright ``photo``: the
    inverse of the transform a viewer applies for each orientation."""
    t = Image.Transpose
    inverse = [
        None,
        t.FLIP_LEFT_RIGHT,
        t.ROTATE_180,
        t.FLIP_TOP_BOTTOM,
        t.TRANSPOSE,
        t.ROTATE_90,
        t.TRANSVERSE,
        t.ROTATE_270,
    ]
    return [photo if step is None else photo.transpose(step) for step in inverse]


def build_corpus() -> dict[str, tuple[bytes, list[str] | str]]:
    """File name -> (content, expected outcome: "error" or the allowed statuses)."""
    with Image.open(SAMPLE) as opened:
        photo = opened.convert("RGB").resize((150, 200))
    jpeg = _encode(photo, "JPEG", quality=90)
    png = _encode(photo, "PNG")
    rng = np.random.default_rng(7)
    frames = [photo, photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)]
    corpus: dict[str, tuple[bytes, list[str] | str]] = {
        "empty.jpg": (b"", "error"),
        "truncated.jpg": (jpeg[: len(jpeg) // 3], "error"),
        "truncated.png": (png[: len(png) // 3], "error"),
        "random_bytes.jpg": (rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(), "error"),
        "text_named.jpg": (b"this is not a photo\n", "error"),
        "document.pdf": (
            b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer\n%%EOF\n",
            "error",
        ),
        "bomb_50000x50000.png": (_png_bomb(50_000, 50_000), "error"),
        "png_named.jpg": (png, ANY_REPORT),
        "grey.png": (_encode(photo.convert("L"), "PNG"), ANY_REPORT),
        "grey_alpha.png": (_encode(photo.convert("LA"), "PNG"), ANY_REPORT),
        "rgba.png": (_encode(photo.convert("RGBA"), "PNG"), ANY_REPORT),
        "palette.png": (_encode(photo.convert("P"), "PNG"), ANY_REPORT),
        "cmyk.jpg": (_encode(photo.convert("CMYK"), "JPEG"), ANY_REPORT),
        "sixteen_bit.png": (
            _encode(Image.fromarray(np.asarray(photo.convert("L")).astype(np.uint16) * 257), "PNG"),
            ANY_REPORT,
        ),
        "animated.gif": (
            _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100),
            ANY_REPORT,
        ),
        "multipage.tiff": (
            _encode(frames[0], "TIFF", save_all=True, append_images=frames[1:]),
            ANY_REPORT,
        ),
        "tiny_8x8.png": (_encode(photo.resize((8, 8)), "PNG"), ["low_quality"]),
        "name with spaces é -x.jpg": (jpeg, ANY_REPORT),
        "-leading-dash.jpg": (jpeg, ANY_REPORT),
    }
    # Each stored so that, once its EXIF orientation is applied, it shows the same upright photo.
    for orientation, stored in enumerate(_stored_for_orientations(photo), start=1):
        exif = Image.Exif()
        exif[0x0112] = orientation
        corpus[f"exif_orientation_{orientation}.jpg"] = (
            _encode(stored, "JPEG", quality=90, exif=exif),
            ANY_REPORT,
        )
    return corpus


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "tests" / "data" / "bad_inputs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {}
    for name, (content, expected) in build_corpus().items():
        (args.out / name).write_bytes(content)
        manifest[name] = expected
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n"
    )
    print(f"{len(manifest)} files in {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
