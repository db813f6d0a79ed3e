"""Load stage: formats, EXIF orientation, arrays, and one-line errors for unreadable input."""

from __future__ import annotations

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from detector.loading import ImageLoadError, load_image


def _encoded(image: Image.Image, fmt: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **params)
    return buffer.getvalue()


def _marked_image() -> Image.Image:
    """A 60 x 40 (w x h) grey image with a red block in its top-left corner."""
    pixels = np.full((40, 60, 3), 128, np.uint8)
    pixels[:10, :10] = (255, 0, 0)
    return Image.fromarray(pixels)


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "TIFF", "BMP", "GIF"])
def test_common_formats_load_as_rgb(fmt):
    loaded = load_image(_encoded(_marked_image(), fmt))
    assert loaded.rgb.shape == (40, 60, 3)
    assert loaded.rgb.dtype == np.uint8
    assert loaded.rgb[2, 2, 0] > 200 and loaded.rgb[2, 2, 2] < 60  # red corner kept
    assert loaded.source is None


def test_path_input_records_its_source(tmp_path):
    path = tmp_path / "back photo é.png"
    _marked_image().save(path)
    loaded = load_image(path)
    assert loaded.source == str(path)
    assert loaded.rgb.shape == (40, 60, 3)


@pytest.mark.parametrize(
    ("orientation", "shape", "red_corner"),
    [
        (1, (40, 60), (0, 0)),
        (3, (40, 60), (-1, -1)),  # rotated 180: the block ends bottom-right
        (6, (60, 40), (0, -1)),  # rotate 90 clockwise to display: top-right
        (8, (60, 40), (-1, 0)),  # rotate 90 counter-clockwise: bottom-left
    ],
)
def test_exif_orientation_is_applied(orientation, shape, red_corner):
    exif = Image.Exif()
    exif[0x0112] = orientation
    loaded = load_image(_encoded(_marked_image(), "JPEG", exif=exif, quality=95))
    assert loaded.rgb.shape[:2] == shape
    row = 2 if red_corner[0] == 0 else shape[0] - 3
    col = 2 if red_corner[1] == 0 else shape[1] - 3
    assert loaded.rgb[row, col, 0] > 200 and loaded.rgb[row, col, 1] < 60


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK", "I;16"])
def test_other_modes_become_rgb(mode):
    image = (
        _marked_image().convert(mode)
        if mode != "I;16"
        else Image.fromarray(np.full((40, 60), 30000, np.uint16))
    )
    fmt = "JPEG" if mode == "CMYK" else "PNG" if mode != "I;16" else "TIFF"
    loaded = load_image(_encoded(image, fmt))
    assert loaded.rgb.shape == (40, 60, 3) and loaded.rgb.dtype == np.uint8


def test_arrays_of_every_supported_kind():
    grey = np.full((8, 9), 0.5, np.float32)
    assert load_image(grey).rgb.shape == (8, 9, 3)
    assert load_image(np.zeros((8, 9, 4), np.uint8)).rgb.shape == (8, 9, 3)
    assert load_image(np.full((8, 9, 3), 65535, np.uint16)).rgb.max() == 255
    strided = np.zeros((8, 18, 3), np.uint8)[:, ::2]
    assert load_image(strided).rgb.flags.c_contiguous


@pytest.mark.parametrize(
    ("array", "words"),
    [
        (np.full((4, 4, 3), np.nan, np.float32), "NaN"),
        (np.zeros((4, 4, 2), np.uint8), "channels"),
        (np.zeros((0, 4, 3), np.uint8), "non-empty"),
        (np.zeros((4, 4, 3), np.int64), "dtype"),
        (np.full((4, 4, 3), 3.0), "[0, 1]"),
    ],
)
def test_bad_arrays_raise_a_clear_value_error(array, words):
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        load_image(array)


def test_missing_directory_empty_and_text_inputs(tmp_path):
    text = tmp_path / "notes.jpg"
    text.write_text("not an image\n")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    cases = {
        tmp_path / "missing.jpg": "no such file",
        tmp_path: "not a file",
        empty: "empty",
        text: "not an image",
    }
    for path, words in cases.items():
        with pytest.raises(ImageLoadError, match=words) as caught:
            load_image(path)
        assert "\n" not in str(caught.value)


def test_truncated_jpeg_is_reported_as_damaged():
    data = _encoded(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)), "JPEG"
    )
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(data[: len(data) // 3])


def test_header_over_the_configured_limit_is_rejected_unread():
    big = _encoded(Image.new("RGB", (3000, 2000)), "PNG")
    with pytest.raises(ImageLoadError, match="too large: 3000 x 2000"):
        load_image(big, max_pixels=1_000_000)


def test_decompression_bomb_is_rejected_from_the_header():
    """A PNG whose header claims 50,000 x 50,000 pixels is refused before decoding."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)
    bomb = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    with pytest.raises(ImageLoadError, match="too large"):
        load_image(bomb)
