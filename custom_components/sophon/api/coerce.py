"""Tolerant readers for the loosely typed JSON that Sophon boxes send."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from .text import MAX_TEXT, clean_text, is_clean, shorten, trim

try:
    from orjson import dumps as _json_dumps
except ImportError:  # pragma: no cover - orjson ships with Home Assistant

    def _json_dumps(value: Any, /) -> bytes:  # type: ignore[misc]
        """Return compact JSON as orjson does: controls escaped, no white space added."""
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


# A value below this is a timestamp in seconds, above it one in milliseconds.
MS_THRESHOLD = 10**11
# What a number in a string can be padded with (white space is read by float() itself).
_NUMBER_PADDING = "\x00\ufeff"
# Identity info is cleaned this deep; what lies deeper is passed on as it came.
MAX_CLEAN_DEPTH = 32
# Identity info passed on: nesting, items per level and text length kept (bounded_info).
MAX_INFO_DEPTH = 4
MAX_INFO_ITEMS = 64
MAX_INFO_TEXT = 256
# Everything between a scheme and the last "@" of a URL: a user and password, "/" and "@" included.
_CREDENTIALS = re.compile(r"://\S*@")
# What boxes answer for a serial number they do not know.
_NO_SERIAL = frozenset({"unknown", "null", "none", "n/a", "default"})


def as_str(value: Any) -> str | None:
    """Return a string for strings and numbers, None for anything else."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return None


def as_id(value: Any) -> str:
    """Return an id as a box sends it, trimmed of padding (trim); "" when there is none."""
    text = as_str(value)
    return "" if text is None else trim(text)


def as_identity(value: Any, problems: list[str]) -> str:
    """Return a person's identity id as the box's library names it (as_id: padding trimmed).

    Nothing inside is changed: "emp  007" and a decomposed "José" stay what the library lists,
    so the id a recognition gives finds its person. Padding taken off is noted as
    text_cleaned:identity_id; one longer than MAX_TEXT is cut to it, noting text_cut:identity_id;
    "" when there is none.
    """
    identity_id = as_id(value)
    if identity_id != (as_str(value) or ""):
        problems.append("text_cleaned:identity_id")
    if len(identity_id) > MAX_TEXT:
        problems.append("text_cut:identity_id")
        identity_id = shorten(identity_id, MAX_TEXT)
    return identity_id


def as_serial(value: Any) -> str | None:
    """Return a cleaned serial number to identify a box by: None for blanks and placeholders."""
    text = as_str(value)
    if text is None:
        return None
    text = trim(clean_text(text))
    if not text or text.strip("0") == "" or text.lower() in _NO_SERIAL:
        return None
    return text


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
            number = float(value.strip().strip(_NUMBER_PADDING))
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


def as_clean_str(value: Any) -> str | None:
    """Return as_str(value) cleaned (clean_text): for names, addresses and other shown text."""
    text = as_str(value)
    return None if text is None else clean_text(text)


def as_text(value: Any, name: str, problems: list[str]) -> str | None:
    """Return as_str(value) cleaned (clean_text), noting text_cleaned:<name> when it changed.

    Text longer than MAX_TEXT is cut to it first (between grapheme clusters, ending with "…"),
    noting text_cut:<name>.
    """
    text = as_str(value)
    if text is None:
        return None
    if len(text) > MAX_TEXT:
        text = shorten(text, MAX_TEXT)
        problems.append(f"text_cut:{name}")
    cleaned = clean_text(text)
    if cleaned is not text:
        problems.append(f"text_cleaned:{name}")
    return cleaned


def as_info(value: Any, name: str, problems: list[str]) -> dict[str, Any] | None:
    """Return as_dict(value) with its keys and strings cleaned, noting text_cleaned:<name>."""
    info = as_dict(value)
    if info is None or _all_clean(info):
        return info
    cleaned: dict[str, Any] = _cleaned_json(info, 0)
    if cleaned is not info:
        problems.append(f"text_cleaned:{name}")
    return cleaned


def _all_clean(info: dict[str, Any]) -> bool:
    """Return True when every key and string in info is clean, from one look at its JSON.

    Compact JSON has no white space of its own and escapes every control character (and
    quotes and backslashes) with a backslash: JSON text without one, clean as a text, with no
    string that begins or ends with a space, holds clean strings only.
    """
    try:
        text = _json_dumps(info).decode()
    except (TypeError, ValueError):  # lone surrogates, nesting deeper than orjson goes
        return False
    return "\\" not in text and '" ' not in text and ' "' not in text and is_clean(text)


def _cleaned_json(value: Any, depth: int) -> Any:
    """Return JSON data with every string cleaned; the same object when nothing changed."""
    if isinstance(value, str):
        return clean_text(value)
    if depth >= MAX_CLEAN_DEPTH or not isinstance(value, (dict, list)):
        return value
    changed = False
    if isinstance(value, list):
        items = [_cleaned_json(item, depth + 1) for item in value]
        changed = any(new is not old for new, old in zip(items, value, strict=True))
        return items if changed else value
    mapping: dict[Any, Any] = {}
    for key, item in value.items():
        new_key = clean_text(key) if isinstance(key, str) else key
        new_item = _cleaned_json(item, depth + 1)
        changed = changed or new_key is not key or new_item is not item
        mapping[new_key] = new_item
    return mapping if changed else value


def bounded_info(info: dict[str, Any]) -> dict[str, Any]:
    """Return identity info without long strings (a picture or template could hide there).

    Kept: MAX_INFO_DEPTH levels of MAX_INFO_ITEMS items each; a string longer than
    MAX_INFO_TEXT, or a data URI, becomes None. The same object when nothing is cut.
    """
    if _within_bounds(info, 0):
        return info
    bounded: dict[str, Any] = _bounded(info, 0)
    return bounded


def _within_bounds(value: Any, depth: int) -> bool:
    """Return True when bounded_info would keep value as it is (one look, no copy).

    The keys are not looked at: JSON's are strings.
    """
    if isinstance(value, str):
        return len(value) <= MAX_INFO_TEXT and not value.startswith("data:")
    if isinstance(value, dict):
        children: Iterable[Any] = value.values()
    elif isinstance(value, list):
        children = value
    else:
        return True
    if depth >= MAX_INFO_DEPTH or len(value) > MAX_INFO_ITEMS:
        return not value
    # A loop, not all(): this runs on every recognition, and a generator costs twice as much.
    for child in children:  # noqa: SIM110
        if not _within_bounds(child, depth + 1):
            return False
    return True


def _bounded(value: Any, depth: int) -> Any:
    """Return a copy of value cut as bounded_info says."""
    if isinstance(value, dict):
        if depth >= MAX_INFO_DEPTH:
            return {}
        items = list(value.items())[:MAX_INFO_ITEMS]
        return {str(key): _bounded(item, depth + 1) for key, item in items}
    if isinstance(value, list):
        if depth >= MAX_INFO_DEPTH:
            return []
        return [_bounded(item, depth + 1) for item in value[:MAX_INFO_ITEMS]]
    if isinstance(value, str) and (len(value) > MAX_INFO_TEXT or value.startswith("data:")):
        return None
    return value


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
