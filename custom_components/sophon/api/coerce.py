"""Tolerant readers for the loosely typed JSON that Sophon boxes send."""

from __future__ import annotations

import binascii
import json
import math
import re
from datetime import UTC, datetime
from typing import Any

from .models import Jpeg

# A value below this is a timestamp in seconds, above it one in milliseconds.
MS_THRESHOLD = 10**11
JPEG_MAGIC = b"\xff\xd8\xff"
# How the base64 of every JPEG begins: the three bytes above.
JPEG_BASE64_PREFIX = "/9j/"
_DATA_URI = re.compile(r"^data:[\w/+.-]*;base64,", re.IGNORECASE)
# Everything between a scheme and the last "@" of a URL: a user and password, "/" and "@" included.
_CREDENTIALS = re.compile(r"://\S*@")


def as_str(value: Any) -> str | None:
    """Return a string for strings and numbers, None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def as_int(value: Any) -> int | None:
    """Return an int from an int, an integral float or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    number = as_float(value)
    if number is None or not number.is_integer():
        return None
    return int(number)


def as_float(value: Any) -> float | None:
    """Return a finite float from a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def as_dict(value: Any) -> dict[str, Any] | None:
    """Return a dict from a dict or a JSON object in a string."""
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value.lstrip().startswith("{"):
        try:
            decoded = json.loads(value)
        except ValueError:
            return None
        return decoded if isinstance(decoded, dict) else None
    return None


def as_timestamp(value: Any) -> tuple[datetime | None, str | None]:
    """Return an aware UTC time from seconds or milliseconds, and the quirk seen."""
    number = as_float(value)
    if number is None or number <= 0:
        return None, "timestamp_invalid"
    quirk = None if isinstance(value, (int, float)) else "timestamp_as_string"
    if number < MS_THRESHOLD:
        quirk = "timestamp_seconds"
    else:
        number /= 1000
    try:
        return datetime.fromtimestamp(number, UTC), quirk
    except (OverflowError, OSError, ValueError):
        return None, "timestamp_invalid"


def _without_data_uri(value: str) -> str:
    """Return the base64 text of a data URI, or the value itself when it is not one."""
    return _DATA_URI.sub("", value, count=1) if value.startswith("data:") else value


def decode_jpeg(value: Any) -> tuple[bytes | None, str | None]:
    """Decode a base64 (or data URI) JPEG; return the bytes or the reason it was dropped."""
    if value is None or value == "":
        return None, None
    if not isinstance(value, str):
        return None, "image_wrong_type"
    value = _without_data_uri(value)
    try:
        data = binascii.a2b_base64(value)
    except (binascii.Error, ValueError):
        return None, "image_bad_base64"
    if not data.startswith(JPEG_MAGIC):
        return None, "image_not_jpeg"
    return data, None


def picture(name: str, value: Any, problems: list[str], *, lazy: bool = False) -> Jpeg | None:
    """Read one picture of an event, noting in problems why it was dropped if it was.

    lazy: a text that begins like a JPEG is kept to be decoded when first asked for (a bad body
    is then found, and counted, by whoever asks); anything else is decoded and checked now.
    """
    if lazy and isinstance(value, str):
        text = _without_data_uri(value)
        if text.startswith(JPEG_BASE64_PREFIX):
            return Jpeg(text)
    content, problem = decode_jpeg(value)
    if problem:
        problems.append(f"{problem}:{name}")
    return None if content is None else Jpeg.of(content)


def describe(value: Any, limit: int = 120) -> str:
    """Describe received data for an error message: its shape, cut short, no credentials."""
    if isinstance(value, dict):
        text = f"an object with keys {sorted(map(str, value))[:12]}"
    elif isinstance(value, list):
        text = f"a list of {len(value)} items"
    elif isinstance(value, (bytes, bytearray)):
        text = repr(bytes(value[:limit]))
    else:
        text = repr(value)
    text = _CREDENTIALS.sub("://***@", text)
    return text if len(text) <= limit else text[: limit - 1] + "…"
