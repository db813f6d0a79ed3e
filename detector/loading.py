"""Load stage: turn a path, encoded bytes or a numpy array into an upright RGB uint8 image."""

from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

#: Largest image accepted, in pixels (about 100 megapixels); checked from the header,
#: before any pixel is decoded, so a decompression bomb costs nothing.
DEFAULT_MAX_PIXELS = 100_000_000

ImageSource = str | os.PathLike | bytes | bytearray | memoryview | np.ndarray


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
    """

    rgb: np.ndarray
    source: str | None


def load_image(source: ImageSource, max_pixels: int = DEFAULT_MAX_PIXELS) -> LoadedImage:
    """Read an image from a path, encoded bytes or an array.

    Parameters
    ----------
    source : str, os.PathLike, bytes or numpy.ndarray
        A file path; the bytes of an encoded image (JPEG, PNG, WebP, TIFF, BMP, GIF...);
        or an RGB/RGBA/greyscale array (uint8, uint16, or float in [0, 1]).
    max_pixels : int
        Images whose header declares more pixels than this are rejected unread.

    Returns
    -------
    LoadedImage

    Raises
    ------
    ImageLoadError
        Missing or unreadable file, not an image, too large, or an unusable array.

    Examples
    --------
    >>> import numpy as np
    >>> load_image(np.zeros((4, 6, 3), np.uint8)).rgb.shape
    (4, 6, 3)
    """
    if isinstance(source, np.ndarray):
        return LoadedImage(rgb=rgb_from_array(source), source=None)
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if not data:
            raise ImageLoadError("the image data is empty (0 bytes)")
        return LoadedImage(rgb=_decode(io.BytesIO(data), "the image data", max_pixels), source=None)
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
                rgb = _decode(handle, str(path), max_pixels)
        except PermissionError as exc:
            raise ImageLoadError(f"cannot read {path}: permission denied") from exc
        return LoadedImage(rgb=rgb, source=str(path))
    raise ImageLoadError(
        f"unsupported input type {type(source).__name__}: give a path, bytes or a numpy array"
    )


def _decode(stream: io.IOBase, what: str, max_pixels: int) -> np.ndarray:
    """Decode the first frame of an encoded image, upright, as RGB uint8."""
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
            image.load()
            image = ImageOps.exif_transpose(image)
            return _to_rgb8(image)
    except ImageLoadError:
        raise
    except Image.DecompressionBombError as exc:  # Pillow's own header check, at 2x its limit
        raise ImageLoadError(f"{what} is too large ({_one_line(exc)})") from exc
    except UnidentifiedImageError as exc:
        raise ImageLoadError(f"{what} is not an image this tool can read") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageLoadError(f"{what} is damaged or truncated ({_one_line(exc)})") from exc


def _to_rgb8(image: Image.Image) -> np.ndarray:
    """Convert any PIL mode (16-bit, greyscale, palette, CMYK, alpha) to RGB uint8."""
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(image, dtype=np.float32)
        top = 65535.0 if image.mode.startswith("I;16") or values.max(initial=0) > 255 else 255.0
        grey = np.clip(values * (255.0 / top), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2))
    if image.mode != "RGB":
        image = image.convert("RGBA" if "A" in image.mode or image.mode == "P" else "RGB")
        if image.mode == "RGBA":
            # Transparent pixels become mid grey rather than black, which reads as shadow.
            backdrop = Image.new("RGBA", image.size, (128, 128, 128, 255))
            image = Image.alpha_composite(backdrop, image).convert("RGB")
    return np.ascontiguousarray(np.asarray(image, dtype=np.uint8))


def rgb_from_array(array: np.ndarray) -> np.ndarray:
    """Validate an image array and return it as contiguous RGB uint8.

    Accepts ``(H, W)``, ``(H, W, 1)``, ``(H, W, 3)`` (RGB) or ``(H, W, 4)`` (RGBA) arrays of
    uint8, uint16 or floats in [0, 1]. Raises ImageLoadError with the reason otherwise.
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
    return np.ascontiguousarray(values[:, :, :3])


def _one_line(exc: BaseException) -> str:
    """The first line of an exception's message, for one-line errors."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
