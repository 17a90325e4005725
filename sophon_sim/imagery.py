"""Draw and cache the JPEG pictures a box attaches to its events.

Every face the simulator draws (a live face crop, a registered photo) carries its face marker:
32 bits and a 16-bit check, in a band of 4 x 6 grey blocks (four levels, two bits each) across
the bottom quarter of the picture. Grey levels in large blocks survive what a client does to a
picture before uploading it (scaling down to half size and less, re-encoding as JPEG or PNG), so
the box's "face recognition" (sophon_sim.library) reads the marker back from an uploaded
picture: the same marker is the same face. A picture without a readable band has no face.
"""

from __future__ import annotations

import base64
import hashlib
import io
import random
from dataclasses import dataclass
from functools import cached_property

from PIL import Image, ImageDraw, ImageFilter, ImageStat

_SKIN = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
_HAIR = ((20, 20, 20), (60, 40, 20), (110, 70, 30), (200, 170, 90), (130, 130, 130))
MARKER_ROWS, MARKER_COLUMNS = 4, 6  # the face marker's blocks: 2 bits each, 48 in all
MARKER_BAND = 0.25  # the share of the picture's height the band takes, at the bottom
_LEVELS = (0, 85, 170, 255)
_LEVEL_SLACK = 34  # how far a block's mean grey may stray from its level
_CHROMA_SLACK = 40  # how far a block's channels may stray from one another (it is grey)


@dataclass(frozen=True)
class Picture:
    """Hold one encoded picture and its base64 text."""

    data: bytes
    b64: str

    @cached_property
    def jpeg_uri(self) -> str:
        """Return the picture as a JPEG data URI (as generation 2.0 sends it), made once."""
        return "data:image/jpeg;base64," + self.b64


def picture_of(data: bytes) -> Picture:
    """Wrap bytes with their base64 text."""
    return Picture(data, base64.b64encode(data).decode("ascii"))


def _rng(key: str) -> random.Random:
    """Return a random generator seeded from key."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return random.Random(seed)  # noqa: S311 - pictures, not secrets


def _jpeg(image: Image.Image, quality: int) -> Picture:
    """Encode an image as JPEG."""
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return picture_of(out.getvalue())


def _noisy(image: Image.Image, sigma: float, alpha: float) -> Image.Image:
    """Blend sensor-like noise into an image."""
    noise = Image.effect_noise(image.size, sigma).convert("RGB")
    return Image.blend(image, noise, alpha)


def face_marker(key: str) -> int:
    """Return the face marker (32 bits) of the face drawn for a person key."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:4], "big")


def _marker_bits(marker: int) -> int:
    """Return the 48 bits a band carries: the marker and its 16-bit check."""
    check = int.from_bytes(hashlib.sha256(marker.to_bytes(4, "big")).digest()[:2], "big")
    return (marker << 16) | check


def _blocks(size: tuple[int, int]) -> list[tuple[float, float, float, float]]:
    """Return the marker blocks' boxes (left, top, right, bottom) in a picture of size."""
    width, height = size
    top, row_h = height * (1 - MARKER_BAND), height * MARKER_BAND / MARKER_ROWS
    col_w = width / MARKER_COLUMNS
    return [
        (col * col_w, top + row * row_h, (col + 1) * col_w, top + (row + 1) * row_h)
        for row in range(MARKER_ROWS)
        for col in range(MARKER_COLUMNS)
    ]


def _draw_marker(image: Image.Image, marker: int) -> None:
    """Draw the face marker's band across the bottom of the picture."""
    bits, draw = _marker_bits(marker), ImageDraw.Draw(image)
    blocks = _blocks(image.size)
    for index, (left, top, right, bottom) in enumerate(blocks):
        level = _LEVELS[(bits >> (2 * (len(blocks) - 1 - index))) & 3]
        box = (round(left), round(top), round(right) - 1, round(bottom) - 1)
        draw.rectangle(box, fill=(level, level, level))


def read_marker(image: Image.Image) -> int | None:
    """Return the face marker a picture carries, or None when it has no readable band."""
    rgb = image.convert("RGB")
    bits = 0
    for left, top, right, bottom in _blocks(rgb.size):
        w, h = right - left, bottom - top
        box = (round(left + w / 4), round(top + h / 4), round(right - w / 4), round(bottom - h / 4))
        if box[2] <= box[0] or box[3] <= box[1]:
            return None
        means = ImageStat.Stat(rgb.crop(box)).mean
        grey = sum(means) / 3
        level = min(range(len(_LEVELS)), key=lambda n: abs(_LEVELS[n] - grey))
        if abs(_LEVELS[level] - grey) > _LEVEL_SLACK or max(means) - min(means) > _CHROMA_SLACK:
            return None
        bits = (bits << 2) | level
    marker = bits >> 16
    return marker if _marker_bits(marker) == bits else None


def read_marker_of(data: bytes) -> int | None:
    """Return the face marker of an encoded picture, or None (no band, or not a picture)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            return read_marker(image)
    except (OSError, ValueError, SyntaxError):
        return None


def _draw_face(
    draw: ImageDraw.ImageDraw, rng: random.Random, box: tuple[int, int, int, int]
) -> None:
    """Draw a simple cartoon face inside box, its features chosen by rng."""
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    skin, hair = rng.choice(_SKIN), rng.choice(_HAIR)
    draw.ellipse((x0, y0, x1, y1), fill=skin, outline=(80, 50, 30), width=2)
    draw.chord((x0, y0, x1, y0 + int(h * rng.uniform(0.45, 0.7))), 180, 360, fill=hair)
    eye_y, eye_r = y0 + int(h * 0.45), max(3, int(w * rng.uniform(0.05, 0.09)))
    eye_colour = (rng.randrange(30, 120), rng.randrange(30, 120), rng.randrange(30, 160))
    for cx in (x0 + int(w * 0.32), x0 + int(w * 0.68)):
        draw.ellipse((cx - eye_r, eye_y - eye_r, cx + eye_r, eye_y + eye_r), fill="white")
        draw.ellipse(
            (cx - eye_r // 2, eye_y - eye_r // 2, cx + eye_r // 2, eye_y + eye_r // 2),
            fill=eye_colour,
        )
    nose = (x0 + w // 2, y0 + int(h * 0.5), x0 + w // 2 - 4, y0 + int(h * 0.63))
    draw.line(nose, fill=(120, 80, 50), width=2)
    mouth_w = int(w * rng.uniform(0.15, 0.3))
    mouth = (x0 + w // 2 - mouth_w, y0 + int(h * 0.66), x0 + w // 2 + mouth_w, y0 + int(h * 0.8))
    draw.arc(mouth, 10, 170, fill=(150, 40, 40), width=3)


def draw_face(marker: int) -> Picture:
    """Return the live face crop (160x160) of the face with this marker, the marker in it."""
    background = tuple(_rng(f"bg{marker}").randrange(60, 200) for _ in range(3))
    image = Image.new("RGB", (160, 160), background)
    _draw_face(ImageDraw.Draw(image), _rng(f"face{marker}"), (28, 12, 132, 118))
    image = _noisy(image.filter(ImageFilter.GaussianBlur(1)), 40, 0.12)
    _draw_marker(image, marker)
    return _jpeg(image, 88)


def draw_registered(marker: int) -> Picture:
    """Return the registered library photo (ID-photo style) of the face with this marker."""
    image = Image.new("RGB", (200, 260), (236, 242, 250))
    draw = ImageDraw.Draw(image)
    draw.pieslice((10, 170, 190, 300), 180, 360, fill=(40, 50, 80))
    _draw_face(draw, _rng(f"face{marker}"), (45, 30, 155, 180))
    _draw_marker(image, marker)
    return _jpeg(image, 92)


def draw_scene(key: str, label: str) -> Picture:
    """Return a 1280x720 scene photo for a device, with a face-sized subject in it."""
    rng = _rng("scene" + key)
    top = tuple(rng.randrange(90, 220) for _ in range(3))
    gradient = Image.linear_gradient("L").resize((1280, 720))
    image = Image.merge(
        "RGB", [gradient.point(lambda v, c=c: c * (255 - v) // 255 + v // 3) for c in top]
    )
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x, y = rng.randrange(0, 1200), rng.randrange(100, 650)
        colour = tuple(rng.randrange(20, 240) for _ in range(3))
        draw.rectangle((x, y, x + rng.randrange(40, 300), y + rng.randrange(30, 200)), fill=colour)
    _draw_face(draw, rng, (560, 180, 700, 360))
    draw.text((20, 20), label, fill=(255, 255, 255))
    return _jpeg(_noisy(image, 60, 0.10), 80)


def png_bytes() -> bytes:
    """Return a small valid PNG (a picture that is not a JPEG)."""
    out = io.BytesIO()
    Image.new("RGB", (16, 16), (255, 0, 0)).save(out, "PNG")
    return out.getvalue()


class ImageBank:
    """Make each picture once and hand out the cached copy afterwards."""

    def __init__(self) -> None:
        """Start with empty caches."""
        self._faces: dict[int, Picture] = {}
        self._registered: dict[int, Picture] = {}
        self._scenes: dict[str, Picture] = {}
        self.png = picture_of(png_bytes())
        self.random_bytes = picture_of(random.Random(7).randbytes(600))  # noqa: S311

    def face(self, marker: int) -> Picture:
        """Return the live face crop of the face with this marker."""
        if marker not in self._faces:
            self._faces[marker] = draw_face(marker)
        return self._faces[marker]

    def registered(self, marker: int) -> Picture:
        """Return the registered photo of the face with this marker."""
        if marker not in self._registered:
            self._registered[marker] = draw_registered(marker)
        return self._registered[marker]

    def scene(self, key: str, label: str) -> Picture:
        """Return the scene photo for a device key."""
        if key not in self._scenes:
            self._scenes[key] = draw_scene(key, label)
        return self._scenes[key]
