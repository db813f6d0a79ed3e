"""Load stage: turn a path, encoded bytes or a numpy array into an upright RGB uint8 image.

Large JPEGs can be decoded at a reduced working size for free: libjpeg scales the inverse DCT
by 1/2, 1/4 or 1/8 (Pillow's :meth:`PIL.Image.Image.draft`), which skips most of the decoding
work and the full-size copies. :func:`load_image` does so only when asked (``max_side``), and
records the scale so that positions can be given in the pixels of the photo as displayed.

Pillow reads every header (size limit, EXIF orientation, format); whole, plain JPEGs are then
decoded by OpenCV straight into an RGB array, everything else by Pillow.
"""

from __future__ import annotations

import functools
import io
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from detector.native import native_messages

#: Largest image accepted, in pixels (about 100 megapixels); checked from the header,
#: before any pixel is decoded, so a decompression bomb costs nothing.
DEFAULT_MAX_PIXELS = 100_000_000

#: Longest side the detector works at: larger JPEGs are decoded at 1/2, 1/4 or 1/8 size by DCT
#: scaling, which costs nothing in accuracy (the lower back is resampled to 96 px per hip
#: width anyway) and saves most of the decode time and memory of a 12-megapixel photo.
DEFAULT_MAX_SIDE = 2000

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray | Image.Image

#: The reductions libjpeg's scaled inverse DCT offers, largest first.
DCT_REDUCTIONS = (8, 4, 2)
#: EXIF orientations that turn the stored image by 90 degrees (width and height swap).
_QUARTER_TURNS = frozenset({5, 6, 7, 8})


class ImageLoadError(ValueError):
    """The input is not an image the detector can read; the message says why, in one line."""


@dataclass(frozen=True)
class LoadedImage:
    """An upright RGB image and where it came from.

    Attributes
    ----------
    rgb : numpy.ndarray
        ``(height, width, 3)`` uint8 array, EXIF orientation already applied.
    source : str or None
        The path it was read from, or None for bytes and arrays.
    scale : float
        Pixels of ``rgb`` per pixel of the full-resolution image: 1.0, or 1/2, 1/4, 1/8 for a
        JPEG decoded at reduced size (see ``max_side`` in :func:`load_image`).
    full_size : tuple of int or None
        ``(width, height)`` of the full-resolution image as displayed, when ``rgb`` is smaller;
        None when ``rgb`` is the full image.
    """

    rgb: np.ndarray
    source: str | None
    scale: float = 1.0
    full_size: tuple[int, int] | None = None

    @property
    def size(self) -> tuple[int, int]:
        """``(width, height)`` of the full-resolution image as displayed."""
        if self.full_size is not None:
            return self.full_size
        return self.rgb.shape[1], self.rgb.shape[0]

    def to_full(self, xy: np.ndarray) -> np.ndarray:
        """Pixel positions ``(..., 2)`` in ``rgb`` -> positions in the full-resolution image.

        Pixel centres map onto pixel centres: pixel ``i`` of a half-size decode covers full
        pixels ``2i`` and ``2i + 1``, so its centre is at ``2i + 0.5``. Lengths (radii) are
        simply divided by :attr:`scale`.

        Examples
        --------
        >>> import numpy as np
        >>> half = LoadedImage(np.zeros((2, 3, 3), np.uint8), None, 0.5, (6, 4))
        >>> half.to_full(np.array([0.0, 1.0]))
        array([0.5, 2.5])
        """
        return (np.asarray(xy, dtype=np.float64) + 0.5) / self.scale - 0.5


def load_image(
    source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS, max_side: int | None = None
) -> LoadedImage:
    """Read an image from a path, encoded bytes or an array.

    Parameters
    ----------
    source : str, os.PathLike, bytes, numpy.ndarray or PIL.Image.Image
        A file path; the bytes of an encoded image (JPEG, PNG, WebP, TIFF, BMP, GIF...); an
        RGB/RGBA/greyscale array (uint8, uint16, or float in [0, 1]); or a Pillow image of
        any mode, turned upright by its EXIF orientation as a file is (the image itself is
        left as it is).
    max_pixels : int
        Images whose header declares more pixels than this are rejected unread.
    max_side : int, optional
        Working resolution cap: a JPEG whose longer side exceeds it is decoded at the smallest
        DCT scale (1/2, 1/4 or 1/8) that keeps its longer side at least ``max_side``, e.g. a
        4000 x 3000 photo at 2000 x 1500 with ``max_side=2000``. Other formats, arrays and
        Pillow images are returned at full size (reducing them is not free). None (default):
        full size.

    Returns
    -------
    LoadedImage
        With ``scale`` and ``full_size`` set when the JPEG was decoded at reduced size.

    Raises
    ------
    ImageLoadError
        Missing or unreadable file, not an image, too large, or an unusable array.
    ValueError
        ``max_side`` is less than 1.

    Examples
    --------
    >>> import numpy as np
    >>> load_image(np.zeros((4, 6, 3), np.uint8)).rgb.shape
    (4, 6, 3)
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be a positive number of pixels, got {max_side}")
    if isinstance(source, np.ndarray):
        return LoadedImage(rgb=rgb_from_array(source), source=None)
    if isinstance(source, Image.Image):
        return LoadedImage(rgb=_rgb_of_pillow_image(source), source=None)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise ImageLoadError("the image data is empty (0 bytes)")
        return _decode(io.BytesIO(data), "the image data", max_pixels, max_side, source=None)
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        if not path.exists():
            raise ImageLoadError(f"no such file: {path}")
        if not path.is_file():
            raise ImageLoadError(f"not a file: {path}")
        if path.stat().st_size == 0:
            raise ImageLoadError(f"empty file (0 bytes): {path}")
        try:
            with path.open("rb") as handle:
                return _decode(handle, str(path), max_pixels, max_side, source=str(path))
        except PermissionError as exc:
            raise ImageLoadError(f"cannot read {path}: permission denied") from exc
    raise ImageLoadError(
        f"unsupported input type {type(source).__name__}: "
        "give a path, bytes, a numpy array or a Pillow image"
    )


@functools.cache
def register_heif() -> None:
    """Let Pillow open HEIC/HEIF photos (as iPhones save them), once per process, on first use."""
    import pillow_heif

    pillow_heif.register_heif_opener()


def _decode(
    stream: io.IOBase, what: str, max_pixels: int, max_side: int | None, source: str | None
) -> LoadedImage:
    """Decode the first frame of an encoded image, upright, as RGB uint8 (reduced by the JPEG
    DCT scaling that ``max_side`` allows)."""
    register_heif()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(stream)
            width, height = image.size
            if width * height > max_pixels:
                raise ImageLoadError(
                    f"{what} is too large: {width} x {height} pixels (limit {max_pixels:,} pixels)"
                )
            image.seek(0)  # first frame of animations and multi-page files
            scale = _draft(image, max_side)
            orientation = image.getexif().get(ExifTags.Base.Orientation, 1)
            if orientation in _QUARTER_TURNS:
                width, height = height, width
            rgb = _decoded_by_opencv(image, stream, scale, orientation)
            if rgb is None:
                image.load()
                # In place: without an orientation to apply, no copy of the pixels is made.
                ImageOps.exif_transpose(image, in_place=True)
                rgb = _upright_to_rgb8(image)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own header check, at 2x its limit
        raise ImageLoadError(
            f"{what} is too large (its header claims more pixels than Pillow will decode, "
            f"far over the limit of {max_pixels:,})"
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{what} is not an image this tool can read") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(f"{what} is damaged or truncated ({one_line(exc)})") from exc
    if scale == 1.0:
        return LoadedImage(rgb=rgb, source=source)
    return LoadedImage(rgb=rgb, source=source, scale=scale, full_size=(width, height))


def _draft(image: Image.Image, max_side: int | None) -> float:
    """Ask the JPEG decoder for the smallest DCT scale whose longer side is still at least
    ``max_side``; returns the scale obtained (1.0 for other formats, or when not asked)."""
    longer = max(image.size)
    if max_side is None or longer <= max_side:
        return 1.0
    reduction = next((r for r in DCT_REDUCTIONS if -(-longer // r) >= max_side), 1)
    if reduction == 1:
        return 1.0
    width, height = image.size
    # Pillow picks the largest reduction that keeps both sides at least the size asked for.
    drafted = image.draft("RGB", (max(1, width // reduction), max(1, height // reduction)))
    if drafted is None:  # not a JPEG: reducing would not be free
        return 1.0
    return drafted[1][2] / width


#: OpenCV's flags for an RGB decode at each DCT reduction, as stored (the EXIF orientation is
#: applied as Pillow reads it, below).
_OPENCV_JPEG_FLAGS = {
    reduction: (flag & ~cv2.IMREAD_COLOR) | cv2.IMREAD_COLOR_RGB | cv2.IMREAD_IGNORE_ORIENTATION
    for reduction, flag in (
        (1, cv2.IMREAD_COLOR),
        (2, cv2.IMREAD_REDUCED_COLOR_2),
        (4, cv2.IMREAD_REDUCED_COLOR_4),
        (8, cv2.IMREAD_REDUCED_COLOR_8),
    )
}
#: What each EXIF orientation asks of the stored pixels (Pillow's ``exif_transpose``).
_UPRIGHT = {
    2: lambda rgb: cv2.flip(rgb, 1),
    3: lambda rgb: cv2.rotate(rgb, cv2.ROTATE_180),
    4: lambda rgb: cv2.flip(rgb, 0),
    5: cv2.transpose,
    6: lambda rgb: cv2.rotate(rgb, cv2.ROTATE_90_CLOCKWISE),
    7: lambda rgb: cv2.rotate(cv2.transpose(rgb), cv2.ROTATE_180),
    8: lambda rgb: cv2.rotate(rgb, cv2.ROTATE_90_COUNTERCLOCKWISE),
}


def _decoded_by_opencv(
    image: Image.Image, stream: io.IOBase, scale: float, orientation: int
) -> np.ndarray | None:
    """A plain (RGB or grey) JPEG decoded by OpenCV straight into an RGB array, at the DCT
    ``scale`` that Pillow was asked for, turned upright by the EXIF ``orientation`` that
    Pillow read (so both paths agree on it): the same libjpeg-turbo, identical pixels, and
    none of Pillow's conversion copies (9 against 14 ms at 1080 x 1440 on this machine). None,
    for Pillow to decode or to reject, for any other format or mode, for data that does not
    end with the end-of-image marker (truncated), and for data that libjpeg warned about
    (corrupt scan data, which OpenCV would decode as garbage where Pillow sometimes stops)."""
    flags = _OPENCV_JPEG_FLAGS.get(round(1 / scale))
    if image.format != "JPEG" or image.mode not in ("RGB", "L") or flags is None:
        return None
    stream.seek(0)
    data = stream.read()
    if not data.rstrip(b"\0").endswith(b"\xff\xd9"):
        return None
    try:
        with native_messages() as messages:
            rgb = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    except cv2.error:
        return None
    if any(messages) or rgb is None:
        return None
    upright = _UPRIGHT.get(orientation)
    return rgb if upright is None else upright(rgb)


#: Rows converted at a time: the decoded image and the result are the only full-size copies.
STRIP_ROWS = 256
#: RGB images up to this size (what the detector's working size, ``max_side`` 2000, allows)
#: are converted in one piece.
WHOLE_COPY_PIXELS = 4_000_000
#: What transparent pixels become: mid grey rather than black, which reads as shadow.
TRANSPARENT_GREY = (128, 128, 128)
#: A palette image (GIF, PNG-8) of a photo is dithered: its 256 colours or fewer are mixed
#: pixel by pixel, and the mix breaks the skin's colour rule and drowns faint shading. It is
#: smoothed by a Gaussian of this sigma (pixels) after decoding: 120 benchmark renders put
#: on the web palette with dithering read an AUC of 0.555 (83 of 120 judged), smoothed 0.965
#: (0.969 as rendered); on an adaptive palette 0.943, smoothed 0.957.
PALETTE_SMOOTHING_PX = 1.0


def _rgb_of_pillow_image(image: Image.Image) -> np.ndarray:
    """A caller's Pillow image as upright RGB uint8, read as a file of it would be."""
    if min(image.size) == 0:
        raise ImageLoadError(f"the Pillow image is empty ({image.width} x {image.height})")
    try:
        if image.getexif().get(ExifTags.Base.Orientation, 1) != 1:
            image = ImageOps.exif_transpose(image)  # a turned copy: the caller's is not changed
        if image.mode == "La":  # premultiplied alpha, which Pillow converts no further
            image = image.convert("LA")
        return _upright_to_rgb8(image)
    except (OSError, SyntaxError, ValueError, EOFError) as exc:  # an image opened lazily
        raise ImageLoadError(f"the Pillow image is damaged or truncated ({one_line(exc)})") from exc


def _upright_to_rgb8(image: Image.Image) -> np.ndarray:
    """:func:`_to_rgb8` of an upright image; a palette image's dithering smoothed out."""
    rgb = _to_rgb8(image)
    if image.mode in ("P", "PA"):
        rgb = cv2.GaussianBlur(rgb, (0, 0), PALETTE_SMOOTHING_PX)
    return rgb


def _to_rgb8(image: Image.Image) -> np.ndarray:
    """Convert any PIL mode (16-bit, greyscale, palette, CMYK, alpha) to RGB uint8, a strip of
    rows at a time (``np.asarray`` of a whole image goes through ``tobytes``, two more
    full-size copies, and mode conversions make a third). An RGB image of at most
    :data:`WHOLE_COPY_PIXELS` is copied whole: its extra copies are small, and the strips'
    crops and per-strip encoding cost 4-5 ms at 1080 x 1440 against 1.4 ms."""
    width, height = image.size
    if image.mode == "RGB" and width * height <= WHOLE_COPY_PIXELS:
        return np.array(image)
    rgb = np.empty((height, width, 3), np.uint8)
    convert = _strip_converter(image)
    for top in range(0, height, STRIP_ROWS):
        bottom = min(height, top + STRIP_ROWS)
        rgb[top:bottom] = convert(image.crop((0, top, width, bottom)))
    return rgb


def _strip_converter(image: Image.Image) -> Callable[[Image.Image], np.ndarray]:
    """A function from a strip of ``image`` to its RGB uint8 (or broadcastable grey) pixels."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        top = 65535.0 if image.mode.startswith("I;16") or image.getextrema()[1] > 255 else 255.0

        def grey(strip: Image.Image) -> np.ndarray:
            values = np.asarray(strip, dtype=np.float32) * (255.0 / top)
            return np.clip(values, 0, 255).astype(np.uint8)[:, :, None]

        return grey
    if "A" in image.mode or image.mode == "P":
        return _over_grey
    if image.mode == "RGB":
        return np.asarray
    return lambda strip: np.asarray(strip.convert("RGB"))


def _over_grey(image: Image.Image) -> np.ndarray:
    """``image`` (any mode with transparency) composited over :data:`TRANSPARENT_GREY` by its
    alpha, as RGB uint8."""
    rgba = image.convert("RGBA")
    backdrop = Image.new("RGB", image.size, TRANSPARENT_GREY)
    backdrop.paste(rgba, mask=rgba)
    return np.asarray(backdrop)


def rgb_from_array(array: np.ndarray) -> np.ndarray:
    """Validate an image array and return it as contiguous RGB uint8.

    Accepts ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA) arrays of
    uint8, uint16 or floats in [0, 1]; RGBA is composited over :data:`TRANSPARENT_GREY` by
    its (straight) alpha, as a transparent PNG file is. Raises ImageLoadError with the reason
    otherwise.
    """
    if array.size == 0 or array.ndim not in (2, 3) or min(array.shape[:2]) == 0:
        raise ImageLoadError(
            f"an image array must be HxW or HxWxC and non-empty, got {array.shape}"
        )
    if array.ndim == 3 and array.shape[2] not in (1, 3, 4):
        raise ImageLoadError(f"an image array needs 1, 3 or 4 channels, got {array.shape[2]}")
    if array.dtype == np.uint8:
        values = array
    elif array.dtype == np.uint16:
        values = (array >> 8).astype(np.uint8)
    elif np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ImageLoadError("the image array contains NaN or infinite values")
        if array.min() < 0.0 or array.max() > 1.0:
            raise ImageLoadError("a float image array must hold values in [0, 1]")
        values = np.round(array * 255.0).astype(np.uint8)
    else:
        raise ImageLoadError(
            f"unsupported image array dtype {array.dtype}: use uint8, uint16 or float"
        )
    if values.ndim == 2:
        values = values[:, :, None]
    if values.shape[2] == 1:
        values = np.repeat(values, 3, axis=2)
    if values.shape[2] == 4 and (values[:, :, 3] < 255).any():
        # A renderer's transparent background holds any colour (often black): composited as
        # a transparent file is, so that both give the same report.
        return _over_grey(Image.fromarray(np.ascontiguousarray(values), "RGBA")).copy()
    return np.ascontiguousarray(values[:, :, :3])


def one_line(exc: BaseException) -> str:
    """The first line of an exception's message, for one-line errors."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
