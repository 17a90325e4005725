"""Draw and cache the JPEG pictures a box attaches to its events."""

from __future__ import annotations

import base64
import hashlib
import io
import random
from dataclasses import dataclass
from functools import cached_property

from PIL import Image, ImageDraw, ImageFilter

_SKIN = ((241, 194, 125), (224, 172, 105), (198, 134, 66), (141, 85, 36), (255, 219, 172))
_HAIR = ((20, 20, 20), (60, 40, 20), (110, 70, 30), (200, 170, 90), (130, 130, 130))


@dataclass(frozen=True)
class Picture:
    """Hold one encoded picture and its base64 text."""

    data: bytes
    b64: str

    @cached_property
    def jpeg_uri(self) -> str:
        """Return the picture as a JPEG data URI (as generation 2.0 sends it), made once."""
        return "data:image/jpeg;base64," + self.b64


def _picture(data: bytes) -> Picture:
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
    return _picture(out.getvalue())


def _noisy(image: Image.Image, sigma: float, alpha: float) -> Image.Image:
    """Blend sensor-like noise into an image."""
    noise = Image.effect_noise(image.size, sigma).convert("RGB")
    return Image.blend(image, noise, alpha)


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


def draw_face(key: str) -> Picture:
    """Return the live face crop (about 160x160) of the person with this key."""
    background = tuple(_rng("bg" + key).randrange(60, 200) for _ in range(3))
    image = Image.new("RGB", (160, 160), background)
    _draw_face(ImageDraw.Draw(image), _rng(key), (28, 18, 132, 150))
    return _jpeg(_noisy(image.filter(ImageFilter.GaussianBlur(1)), 40, 0.12), 88)


def draw_registered(key: str) -> Picture:
    """Return the registered library photo (ID-photo style) of the person with this key."""
    image = Image.new("RGB", (200, 260), (236, 242, 250))
    draw = ImageDraw.Draw(image)
    draw.pieslice((10, 190, 190, 330), 180, 360, fill=(40, 50, 80))
    _draw_face(draw, _rng(key), (45, 40, 155, 195))
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
        self._faces: dict[str, Picture] = {}
        self._registered: dict[str, Picture] = {}
        self._scenes: dict[str, Picture] = {}
        self.png = _picture(png_bytes())
        self.random_bytes = _picture(random.Random(7).randbytes(600))  # noqa: S311

    def face(self, key: str) -> Picture:
        """Return the live face crop for a person key."""
        if key not in self._faces:
            self._faces[key] = draw_face(key)
        return self._faces[key]

    def registered(self, key: str) -> Picture:
        """Return the registered photo for a person key."""
        if key not in self._registered:
            self._registered[key] = draw_registered(key)
        return self._registered[key]

    def scene(self, key: str, label: str) -> Picture:
        """Return the scene photo for a device key."""
        if key not in self._scenes:
            self._scenes[key] = draw_scene(key, label)
        return self._scenes[key]
