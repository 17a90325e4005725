"""Pictures made acceptable to the face library before upload: scaled, re-encoded, bounded."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from custom_components.sophon.api import SophonPictureUnreadableError, prepare_picture


def encoded(size: tuple[int, int], form: str = "JPEG", mode: str = "RGB") -> bytes:
    """Return a noisy picture of size in a format (noise compresses badly: a large file)."""
    image = Image.effect_noise(size, 80).convert(mode)
    out = io.BytesIO()
    image.save(out, form, **({"quality": 95} if form == "JPEG" else {}))
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    """Return a picture decoded."""
    return Image.open(io.BytesIO(data))


def test_a_small_jpeg_is_sent_as_it_is() -> None:
    data = encoded((160, 160))
    assert prepare_picture(data) is data


def test_a_large_snapshot_is_scaled_down() -> None:
    picture = opened(prepare_picture(encoded((3840, 2160)), max_side=1280))
    assert picture.format == "JPEG"
    assert max(picture.size) == 1280
    assert picture.size[0] / picture.size[1] == pytest.approx(16 / 9, rel=0.01)


@pytest.mark.parametrize("max_bytes", [200_000, 30_000])
def test_the_byte_bound_is_kept(max_bytes: int) -> None:
    data = prepare_picture(encoded((1600, 1600)), max_bytes=max_bytes)
    assert len(data) <= max_bytes
    assert opened(data).format == "JPEG"


@pytest.mark.parametrize(("form", "mode"), [("PNG", "RGBA"), ("PNG", "P"), ("WEBP", "RGB")])
def test_other_formats_become_jpeg(form: str, mode: str) -> None:
    picture = opened(prepare_picture(encoded((300, 200), form, mode)))
    assert (picture.format, picture.mode, picture.size) == ("JPEG", "RGB", (300, 200))


def test_exif_orientation_is_applied() -> None:
    image = Image.new("RGB", (400, 200), (200, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotated 90°: shown upright it is 200 wide, 400 high
    out = io.BytesIO()
    image.save(out, "PNG", exif=exif)
    assert opened(prepare_picture(out.getvalue())).size == (200, 400)


@pytest.mark.parametrize("data", [b"", b"not a picture", b"\xff\xd8\xff\xe0 truncated"])
def test_no_picture_is_refused(data: bytes) -> None:
    with pytest.raises(SophonPictureUnreadableError):
        prepare_picture(data)


def test_an_impossible_bound_is_refused() -> None:
    with pytest.raises(SophonPictureUnreadableError):
        prepare_picture(encoded((800, 800)), max_bytes=100)
