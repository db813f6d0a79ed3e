"""``Detector.detect`` on a large JPEG: the pose model reads a preview decoded by DCT scaling
while the full decode runs beside it; the reports match those of the plain pipeline."""

from __future__ import annotations

import io

import numpy as np
import pytest
from conftest import SAMPLES
from PIL import Image

from detector import Detector, ImageLoadError
from detector.loading import load_preview
from detector.pose import POSE_INPUT_SIDE


@pytest.fixture(scope="module")
def plain():
    """A Detector that decodes first, then runs the pose model (as a batch worker does)."""
    with Detector(decode_beside_pose=False) as det:
        yield det


def _portrait_jpeg(name: str, height: int = 1440) -> bytes:
    with Image.open(SAMPLES / name) as image:
        width = round(image.width * height / image.height)
        big = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    big.save(buffer, format="JPEG", quality=92)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "name", ["back_pronounced.jpg", "back_subtle.jpg", "closeup_moderate.jpg", "front_view.jpg"]
)
def test_reports_match_the_plain_pipeline(name, detector, plain):
    data = _portrait_jpeg(name)
    assert load_preview(data, 10**8, None, POSE_INPUT_SIDE) is not None  # the path under test
    overlapped, decoded_first = detector.detect(data), plain.detect(data)
    assert overlapped.status == decoded_first.status
    assert overlapped.present == decoded_first.present
    assert overlapped.image == decoded_first.image
    assert overlapped.image["height"] == 1440
    if decoded_first.score is not None:
        assert overlapped.score == pytest.approx(decoded_first.score, abs=0.05)
    for ours, theirs in zip(overlapped.dimples, decoded_first.dimples, strict=True):
        assert np.hypot(ours.x - theirs.x, ours.y - theirs.y) < 5.0  # of about 250 px apart


def test_pixels_given_as_a_path_or_as_bytes_agree(tmp_path, detector):
    data = _portrait_jpeg("back_pronounced.jpg")
    path = tmp_path / "back.jpg"
    path.write_bytes(data)
    from_path, from_bytes = detector.detect(path), detector.detect(data)
    assert from_path.source == str(path) and from_bytes.source is None
    assert (from_path.status, from_path.score) == (from_bytes.status, from_bytes.score)


def test_an_unreadable_large_jpeg_gets_the_plain_pipelines_error(detector, plain):
    data = _portrait_jpeg("back_pronounced.jpg")
    truncated = data[: len(data) // 3]
    with pytest.raises(ImageLoadError) as plain_error:
        plain.detect(truncated)
    with pytest.raises(ImageLoadError) as error:
        detector.detect(truncated)
    assert str(error.value) == str(plain_error.value)


def test_a_jpeg_over_the_pixel_limit_is_refused_unread():
    with Detector(max_pixels=1000) as small_limit, pytest.raises(ImageLoadError, match="too large"):
        small_limit.detect(_portrait_jpeg("back_pronounced.jpg"))
