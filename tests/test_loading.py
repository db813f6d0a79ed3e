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


def test_a_transparent_array_is_composited_as_its_png_file_is():
    """An RGBA array (a renderer's output, its background transparent and black) loads as
    the same image saved as a transparent PNG: over the same grey backdrop."""
    rgba = np.zeros((40, 60, 4), np.uint8)
    rgba[10:30, 15:45] = (220, 170, 140, 255)  # an opaque patch of skin
    rgba[10:30, 45:55] = (220, 170, 140, 100)  # a translucent edge
    from_array = load_image(rgba).rgb
    from_file = load_image(_encoded(Image.fromarray(rgba, "RGBA"), "PNG")).rgb
    assert np.abs(from_array.astype(int) - from_file.astype(int)).max() <= 1
    assert (from_array[0, 0] == 128).all() and (from_array[20, 20] == (220, 170, 140)).all()
    opaque = rgba.copy()
    opaque[..., 3] = 255
    assert np.array_equal(load_image(opaque).rgb, opaque[..., :3])


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


@pytest.mark.parametrize("orientation", [1, 3, 6, 8])
@pytest.mark.parametrize("mode", ["RGB", "L", "LA", "RGBA", "P", "CMYK"])
def test_a_pillow_image_loads_as_its_file_does_and_is_left_unchanged(orientation, mode):
    exif = Image.Exif()
    exif[0x0112] = orientation
    fmt = "JPEG" if mode in ("RGB", "L", "CMYK") else "PNG"
    encoded = _encoded(_marked_image().convert(mode), fmt, exif=exif)
    opened = Image.open(io.BytesIO(encoded))
    stored_size = opened.size
    loaded = load_image(opened)
    assert np.array_equal(loaded.rgb, load_image(encoded).rgb) and loaded.source is None
    assert opened.size == stored_size and opened.getexif().get(0x0112) == orientation


def test_pillow_images_in_memory_only_modes_load():
    """Modes no file stores (premultiplied alpha, RGBX, LAB, HSV) load as their RGB does."""
    rgb = _marked_image()
    for mode in ("La", "RGBa", "RGBX", "LAB", "HSV"):
        loaded = load_image(rgb.convert(mode)).rgb
        assert loaded.shape == (40, 60, 3) and loaded.dtype == np.uint8
    assert np.array_equal(load_image(rgb.convert("RGBX")).rgb, np.asarray(rgb))


def test_bad_pillow_images_raise_a_one_line_error():
    encoded = _encoded(
        Image.fromarray(np.random.default_rng(0).integers(0, 255, (200, 300, 3), np.uint8)), "PNG"
    )
    cases = [
        (Image.new("RGB", (0, 5)), "empty"),
        (Image.open(io.BytesIO(encoded[: len(encoded) // 2])), "damaged or truncated"),
    ]
    for image, words in cases:
        with pytest.raises(ImageLoadError, match=words) as caught:
            load_image(image)
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


def _large_marked_jpeg(width: int = 1600, height: int = 1200, orientation: int = 1) -> bytes:
    """A smooth JPEG with a red block in the top-left corner of its stored pixels."""
    ys, xs = np.mgrid[0:height, 0:width]
    pixels = np.stack([np.full_like(xs, 90), 80 + xs * 150 // width, ys * 200 // height], -1)
    pixels = pixels.astype(np.uint8)
    pixels[: height // 8, : width // 8] = (255, 0, 0)
    exif = Image.Exif()
    exif[0x0112] = orientation
    return _encoded(Image.fromarray(pixels), "JPEG", exif=exif, quality=95)


def test_default_decodes_at_full_size():
    loaded = load_image(_large_marked_jpeg())
    assert loaded.rgb.shape == (1200, 1600, 3)
    assert loaded.scale == 1.0 and loaded.full_size is None and loaded.size == (1600, 1200)


@pytest.mark.parametrize(
    ("max_side", "shape", "scale"),
    [
        (800, (600, 800, 3), 0.5),
        (799, (600, 800, 3), 0.5),
        (801, (1200, 1600, 3), 1.0),  # half size would fall below the cap
        (300, (300, 400, 3), 0.25),  # the smallest DCT scale whose longer side is >= 300
        (200, (150, 200, 3), 0.125),
        (1, (150, 200, 3), 0.125),  # libjpeg reduces by 8 at most
        (1600, (1200, 1600, 3), 1.0),
    ],
)
def test_max_side_decodes_large_jpegs_at_a_reduced_dct_scale(max_side, shape, scale):
    loaded = load_image(_large_marked_jpeg(), max_side=max_side)
    assert loaded.rgb.shape == shape and loaded.scale == scale
    assert loaded.size == (1600, 1200)
    assert (loaded.full_size is None) == (scale == 1.0)


def test_reduced_decode_matches_a_resized_full_decode():
    full = load_image(_large_marked_jpeg()).rgb
    half = load_image(_large_marked_jpeg(), max_side=800).rgb
    resized = np.asarray(Image.fromarray(full).resize((800, 600), Image.Resampling.BOX))
    assert np.abs(half.astype(int) - resized.astype(int)).mean() < 2.0


def test_reduced_size_rounds_odd_sides_up():
    loaded = load_image(_large_marked_jpeg(1601, 1203), max_side=800)
    assert loaded.rgb.shape == (602, 801, 3)
    assert loaded.scale == 0.5 and loaded.size == (1601, 1203)


@pytest.mark.parametrize(
    ("orientation", "size", "red_corner"),
    [
        (1, (1600, 1200), (0, 0)),
        (3, (1600, 1200), (-1, -1)),
        (6, (1200, 1600), (0, -1)),
        (8, (1200, 1600), (-1, 0)),
    ],
)
def test_exif_orientation_is_applied_to_reduced_decodes(orientation, size, red_corner):
    loaded = load_image(_large_marked_jpeg(orientation=orientation), max_side=400)
    assert loaded.size == size and loaded.scale == 0.25
    assert loaded.rgb.shape[:2] == (size[1] // 4, size[0] // 4)
    row = 5 if red_corner[0] == 0 else loaded.rgb.shape[0] - 6
    col = 5 if red_corner[1] == 0 else loaded.rgb.shape[1] - 6
    assert loaded.rgb[row, col, 0] > 200 and loaded.rgb[row, col, 1] < 60
    # The opposite corner is not red: the block moved with the orientation.
    assert loaded.rgb[-1 - row, -1 - col, 0] < 200 or loaded.rgb[-1 - row, -1 - col, 1] > 60


def test_reduced_positions_map_back_to_full_resolution(tmp_path):
    path = tmp_path / "photo.jpg"
    path.write_bytes(_large_marked_jpeg())
    full = load_image(path).rgb
    quarter = load_image(path, max_side=400)
    assert quarter.source == str(path) and quarter.scale == 0.25

    def red_centre(rgb: np.ndarray) -> np.ndarray:
        rows, cols = np.nonzero((rgb[..., 0] > 200) & (rgb[..., 1] < 60))
        return np.array([cols.mean(), rows.mean()])

    # The block covers columns 0-199 and rows 0-149 of the full image.
    assert np.allclose(red_centre(full), [99.5, 74.5], atol=1.0)
    assert np.allclose(quarter.to_full(red_centre(quarter.rgb)), [99.5, 74.5], atol=1.0)


def test_max_side_leaves_other_formats_and_arrays_at_full_size():
    png = _encoded(Image.fromarray(np.zeros((600, 900, 3), np.uint8)), "PNG")
    assert load_image(png, max_side=100).rgb.shape == (600, 900, 3)
    array = load_image(np.zeros((600, 900, 3), np.uint8), max_side=100)
    assert array.rgb.shape == (600, 900, 3) and array.scale == 1.0


def test_max_side_must_be_positive():
    with pytest.raises(ValueError, match="max_side"):
        load_image(_large_marked_jpeg(), max_side=0)


def _decoded_by_pillow(monkeypatch, data: bytes, max_side: int | None = None) -> np.ndarray:
    from detector import loading

    with monkeypatch.context() as patched:
        patched.setattr(loading, "_decoded_by_opencv", lambda *args: None)
        return load_image(data, max_side=max_side).rgb


def test_whole_and_strip_conversions_give_the_same_pixels(monkeypatch):
    from detector import loading

    data = _large_marked_jpeg(1601, 1203, orientation=6)
    whole = _decoded_by_pillow(monkeypatch, data)
    monkeypatch.setattr(loading, "WHOLE_COPY_PIXELS", 0)
    strips = _decoded_by_pillow(monkeypatch, data)
    assert whole.shape == (1601, 1203, 3) and np.array_equal(whole, strips)
    assert whole.flags.writeable


def _opencv_results(monkeypatch) -> list:
    """What each call of the OpenCV decoder returns from now on (None where it declined)."""
    from detector import loading

    results: list = []
    decode = loading._decoded_by_opencv

    def recorded(*args):
        results.append(decode(*args))
        return results[-1]

    monkeypatch.setattr(loading, "_decoded_by_opencv", recorded)
    return results


def _decoded_by_opencv_alone(results: list) -> bool:
    """Whether the OpenCV decoder ran once and returned the pixels (no fallback to Pillow)."""
    return len(results) == 1 and results[0] is not None


@pytest.mark.parametrize("orientation", range(1, 9))
@pytest.mark.parametrize("max_side", [None, 801, 401, 201])
def test_opencv_decodes_plain_jpegs_to_pillows_pixels(monkeypatch, orientation, max_side):
    """OpenCV takes plain JPEGs (faster, no conversion copies) and gives exactly Pillow's
    upright pixels at every DCT reduction, odd sides included."""
    data = _large_marked_jpeg(1601, 1203, orientation=orientation)
    results = _opencv_results(monkeypatch)
    by_opencv = load_image(data, max_side=max_side).rgb
    assert _decoded_by_opencv_alone(results) and by_opencv.flags.writeable
    assert np.array_equal(by_opencv, _decoded_by_pillow(monkeypatch, data, max_side))


def test_grey_jpegs_decode_to_pillows_pixels(monkeypatch):
    ramp = np.tile(np.arange(0, 250, 2, dtype=np.uint8), (90, 1))
    data = _encoded(Image.fromarray(ramp), "JPEG", quality=90)
    results = _opencv_results(monkeypatch)
    rgb = load_image(data).rgb
    assert _decoded_by_opencv_alone(results) and rgb.shape == (90, 125, 3)
    assert np.array_equal(rgb, _decoded_by_pillow(monkeypatch, data))


@pytest.mark.parametrize("max_side", [None, 801])
def test_progressive_jpegs_decode_to_pillows_pixels(monkeypatch, max_side):
    pixels = np.asarray(Image.open(io.BytesIO(_large_marked_jpeg(1601, 1203))))
    data = _encoded(Image.fromarray(pixels), "JPEG", quality=85, progressive=True)
    results = _opencv_results(monkeypatch)
    rgb = load_image(data, max_side=max_side).rgb
    assert _decoded_by_opencv_alone(results)
    assert np.array_equal(rgb, _decoded_by_pillow(monkeypatch, data, max_side))


def test_corrupt_scan_data_that_libjpeg_warns_about_is_left_to_pillow(monkeypatch):
    """OpenCV would decode it as garbage with a warning on stderr; the warning hands the file
    to Pillow, which decodes it (this one) or reports it damaged (the next test's)."""
    data = bytearray(_large_marked_jpeg())
    rng = np.random.default_rng(1)
    for index in rng.integers(1000, len(data) - 100, 30):
        data[index] = rng.integers(0, 256)
    from detector import loading

    image = Image.open(io.BytesIO(bytes(data)))
    assert loading._decoded_by_opencv(image, io.BytesIO(bytes(data)), 1.0, 1) is None
    assert np.array_equal(load_image(bytes(data)).rgb, _decoded_by_pillow(monkeypatch, data))


def test_a_jpeg_broken_mid_stream_is_reported_as_damaged():
    """Corrupt scan data that libjpeg would only warn about and decode as garbage: Pillow
    stops at it, and the user hears the file is damaged instead of getting a report."""
    data = bytearray(_large_marked_jpeg())
    rng = np.random.default_rng(0)
    for index in rng.integers(1000, len(data) - 100, 30):
        data[index] = rng.integers(0, 256)
    with pytest.raises(ImageLoadError, match="damaged or truncated"):
        load_image(bytes(data))


def test_jpegs_with_data_after_the_end_marker_still_load():
    data = _large_marked_jpeg()
    loaded = load_image(data + b"trailing bytes a camera appended")
    assert np.array_equal(loaded.rgb, load_image(data).rgb)


@pytest.mark.parametrize("shape", [(1440, 1080), (1000, 777), (700, 520)])
@pytest.mark.parametrize("size", [(512, 683), (100, 130), (61, 97)])
def test_area_resizing_in_two_steps_matches_opencvs_area_resizing(shape, size):
    """Shrinking by a whole factor first, then by the fraction left, gives OpenCV's own area
    resampling of a photo (smooth over a few output pixels) to within a few grey levels, at
    the size asked for; a whole-factor shrink is the mean of each block."""
    import cv2

    from detector.resample import area_resized, shrunk

    rng = np.random.default_rng(5)
    rows, cols = np.mgrid[: shape[0], : shape[1]]
    smooth = 128 + 60 * np.sin(2 * np.pi * rows / shape[0]) * np.cos(2 * np.pi * cols / shape[1])
    image = np.clip(smooth[..., None] + rng.normal(0, 8, (*shape, 3)), 0, 255).astype(np.uint8)
    direct = cv2.resize(image, size, interpolation=cv2.INTER_AREA).astype(int)
    two_step = area_resized(image, size).astype(int)
    assert two_step.shape == direct.shape
    assert np.abs(two_step - direct).mean() < 2.0
    factor = 3
    blocks = shrunk(image, factor)
    assert blocks.shape[:2] == (shape[0] // factor, shape[1] // factor)
    mean = image[:factor, :factor].reshape(-1, 3).mean(axis=0)
    assert np.abs(blocks[0, 0].astype(float) - mean).max() <= 0.5 + 1e-9


def test_a_dithered_palette_image_is_smoothed_and_judged_as_the_photo(detector):
    """A GIF (or PNG-8) of a photo mixes its few colours pixel by pixel; read as it is, the
    mix is no skin and the sample's back reads as covered. Smoothed on loading, it is judged
    as the photo is (the pair found, the score within 0.05)."""
    from conftest import SAMPLES

    photo = Image.open(SAMPLES / "back_moderate.jpg").convert("RGB")
    gif = load_image(_encoded(photo.convert("P"), "GIF"))  # the web palette, dithered
    checker = np.indices((40, 60)).sum(axis=0) % 2 * 255  # black and white pixels mixed
    mixed = load_image(_encoded(Image.fromarray(checker.astype(np.uint8)).convert("P"), "PNG"))
    assert mixed.rgb[5:-5, 5:-5].std() < 20  # grey, not a pixel-by-pixel mix
    original, judged = detector.detect(np.asarray(photo)), detector.detect(gif.rgb)
    assert judged.status == "ok" and judged.present and original.present
    assert abs(judged.score - original.score) < 0.05


def test_a_pillow_image_gets_the_report_of_its_file(detector):
    from conftest import SAMPLES

    path = SAMPLES / "back_pronounced.jpg"
    with Image.open(path) as opened:
        from_image = detector.detect(opened)
    from_file = detector.detect(path)
    assert from_image.status == "ok" and from_image.present
    assert (from_image.score, from_image.dimples) == (from_file.score, from_file.dimples)
