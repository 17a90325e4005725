"""Make a picture (a camera snapshot, a face crop) one the box's face library accepts.

Blocking (Pillow decodes and encodes): call it in an executor. The box documents no limits
(api section 8); what is sent is a JPEG of at most max_side pixels a side and max_bytes bytes.
"""

from __future__ import annotations

import io

from PIL import Image, ImageOps, UnidentifiedImageError

from .exceptions import SophonPictureUnreadableError

MAX_SIDE = 1920
MAX_BYTES = 1_500_000  # under the 2 MB a box is likely to accept
QUALITIES = (90, 80, 70, 60)
SHRINK = 0.75  # each further try's scale, when no quality is small enough
MIN_SIDE = 64  # smaller than this, a face fails the box's face_size check anyway
JPEG_MAGIC = b"\xff\xd8\xff"


def prepare_picture(data: bytes, max_side: int = MAX_SIDE, max_bytes: int = MAX_BYTES) -> bytes:
    """Return the picture as a JPEG within max_side and max_bytes (unchanged if it is one).

    Turned upright by its EXIF orientation, flattened onto white if it has transparency, scaled
    down to max_side and re-encoded at falling qualities (and smaller sizes) until it fits.
    Raises SophonPictureUnreadableError when it is no picture or cannot be made small enough.
    """
    try:
        with Image.open(io.BytesIO(data)) as opened:
            fits = max(opened.size) <= max_side and len(data) <= max_bytes
            if fits and data.startswith(JPEG_MAGIC) and opened.format == "JPEG":
                return data
            image = _flattened(ImageOps.exif_transpose(opened))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
        raise SophonPictureUnreadableError(f"not a picture: {err}") from err
    image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    while True:
        for quality in QUALITIES:
            encoded = _jpeg(image, quality)
            if len(encoded) <= max_bytes:
                return encoded
        size = (int(image.width * SHRINK), int(image.height * SHRINK))
        if min(size) < MIN_SIDE:
            raise SophonPictureUnreadableError(f"the picture cannot be made {max_bytes} bytes")
        image = image.resize(size, Image.Resampling.LANCZOS)


def _flattened(image: Image.Image) -> Image.Image:
    """Return the picture in RGB, transparent parts on white."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")


def _jpeg(image: Image.Image, quality: int) -> bytes:
    """Encode a picture as JPEG."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, optimize=True)
    return out.getvalue()
