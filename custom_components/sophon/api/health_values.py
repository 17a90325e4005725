"""Read the box's health values: sizes and temperatures with units, fractions, uptimes (api 4, 7).

Each reader returns the value, or raises OddValueError saying why it cannot be read; the
caller makes that one value unknown. Tolerated: another unit letter ("17244.16M" for
"16.84G"), any letter case, spaces, comma decimals, a number where text was documented and
text where a number was, a percentage for a fraction.
"""

from __future__ import annotations

import math
import re
from datetime import timedelta
from typing import Any, Final

from .coerce import describe

# Binary multiples, as `df -h` and `free -h` write them ("16.84G" is GiB).
_SIZE_UNITS: Final = {"": 1, "b": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
_NUMBER: Final = r"([+-]?\d+(?:[.,]\d+)?|[+-]?[.,]\d+)"
_SIZE: Final = re.compile(rf"^{_NUMBER}\s*([kmgt]?)(?:i?b)?$", re.IGNORECASE)
_TEMPERATURE: Final = re.compile(rf"^{_NUMBER}\s*(?:['°º]|deg)?\s*([cf]?)$", re.IGNORECASE)
_PERCENT: Final = re.compile(rf"^{_NUMBER}\s*(%?)$")
# Uptime words in English and Chinese, in seconds; "3:57" (h:mm) as uptime(1) writes it.
_DURATION_WORDS: Final = {
    "w": 604_800,
    "week": 604_800,
    "d": 86_400,
    "day": 86_400,
    "天": 86_400,
    "h": 3_600,
    "hr": 3_600,
    "hour": 3_600,
    "小时": 3_600,
    "时": 3_600,
    "m": 60,
    "min": 60,
    "minute": 60,
    "分钟": 60,
    "分": 60,
    "s": 1,
    "sec": 1,
    "second": 1,
    "秒": 1,
}
_DURATION_PART: Final = re.compile(r"(\d+(?:[.,]\d+)?)\s*([a-z]+|[\u4e00-\u9fff]+)", re.IGNORECASE)
_CLOCK: Final = re.compile(r"(\d+):(\d{2})(?::(\d{2}))?")
# What may stand between an uptime's parts: commas (also full-width), "up".
_SEPARATORS: Final = r"[\s,;\uff0c\u3001]*"
_DURATION_NOISE: Final = re.compile(rf"^{_SEPARATORS}(?:up)?{_SEPARATORS}$", re.IGNORECASE)
# Temperatures a chip can report; anything outside is a misreading.
MIN_CELSIUS: Final = -40.0
MAX_CELSIUS: Final = 150.0


class OddValueError(ValueError):
    """A health value that cannot be read."""


def _number(text: str) -> float:
    """Return a number written with a point or a comma; OddValueError for NaN and infinities."""
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise OddValueError(f"not a finite number: {text}")
    return value


def _text(value: Any) -> str:
    """Return a value given as text, stripped; OddValueError for anything else or nothing."""
    if value is None:
        raise OddValueError("missing")
    if not isinstance(value, str):
        raise OddValueError(f"expected text, got {describe(value)}")
    text = value.strip().replace(" ", "")
    if not text:
        raise OddValueError("empty")
    return text


def _finite(value: Any) -> float | None:
    """Return a JSON number as a finite float (None: not a number); NaN raises OddValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        raise OddValueError(f"not a finite number: {value}")
    return float(value)


def size(value: Any) -> int:
    """Return a size such as "16.84G" or "963.63M" in bytes (a bare number has no unit: odd)."""
    if _finite(value) is not None:
        raise OddValueError(f"a size without a unit: {value}")
    text = _text(value)
    match = _SIZE.match(text)
    if match is None:
        raise OddValueError(f"not a size: {describe(value)}")
    number = _number(match[1])
    if number < 0:
        raise OddValueError(f"a negative size: {describe(value)}")
    return round(number * _SIZE_UNITS[match[2].lower()])


def temperature(value: Any) -> float:
    """Return a temperature in °C from "44.0'C" (1.0) or 44.0 (2.0); °F is converted."""
    number = _finite(value)
    if number is None:
        match = _TEMPERATURE.match(_text(value))
        if match is None:
            raise OddValueError(f"not a temperature: {describe(value)}")
        number = _number(match[1])
        if match[2].lower() == "f":
            number = (number - 32) * 5 / 9
    if not MIN_CELSIUS <= number <= MAX_CELSIUS:
        raise OddValueError(f"an implausible temperature: {describe(value)}")
    return number


def fraction(value: Any) -> float:
    """Return a usage as a fraction 0..1; a value over 1 (up to 100) or with "%" is a percentage."""
    number = _finite(value)
    percent = False
    if number is None:
        match = _PERCENT.match(_text(value))
        if match is None:
            raise OddValueError(f"not a fraction: {describe(value)}")
        number, percent = _number(match[1]), bool(match[2])
    if percent or 1 < number <= 100:  # noqa: PLR2004
        number /= 100
    if not 0 <= number <= 1:
        raise OddValueError(f"not a fraction: {describe(value)}")
    return number


def flag(value: Any) -> bool:
    """Return a yes/no given as a boolean, 0/1 or words."""
    if isinstance(value, bool):
        return value
    number = _finite(value)
    if number in (0.0, 1.0):
        return number == 1.0
    words = {"true": True, "yes": True, "1": True, "false": False, "no": False, "0": False}
    try:
        return words[_text(value).lower()]
    except KeyError:
        raise OddValueError(f"not a yes or no: {describe(value)}") from None


def duration(value: Any) -> timedelta:
    """Return an uptime such as "3 hours, 57 minutes", "2 days, 3:57" or seconds as a number."""
    seconds = _finite(value)
    if seconds is None:
        if value is None or not isinstance(value, str) or not value.strip():
            _text(value)  # raises for what it is
        seconds = _duration_seconds(str(value))
    if seconds < 0:
        raise OddValueError(f"a negative uptime: {describe(value)}")
    try:
        return timedelta(seconds=seconds)
    except OverflowError:
        raise OddValueError(f"an uptime out of range: {describe(value)}") from None


def _duration_seconds(text: str) -> float:
    """Return the seconds an uptime text names (a leading "-" counts: a negative uptime)."""
    sign = -1 if text.strip().startswith("-") else 1
    text = text.strip().lstrip("+-")
    seconds = 0.0
    if clock := _CLOCK.search(text):
        seconds += int(clock[1]) * 3600 + int(clock[2]) * 60 + int(clock[3] or 0)
        text = text[: clock.start()] + text[clock.end() :]
    for match in _DURATION_PART.finditer(text):
        word = match[2].lower()
        unit = _DURATION_WORDS.get(word) or _DURATION_WORDS.get(word.rstrip("s"))
        if unit is None:
            raise OddValueError(f"an unknown unit of time: {match[2]}")
        seconds += _number(match[1]) * unit
    rest = _DURATION_PART.sub("", text)
    if not _DURATION_NOISE.match(rest) or (not clock and not _DURATION_PART.search(text)):
        raise OddValueError(f"not an uptime: {describe(text)}")
    return sign * seconds
