"""Keep every sophon_recognition event small enough for Home Assistant's recorder to keep whole.

The recorder stores an event's data only up to 32 KiB of JSON and keeps `{}` for anything
larger (losing who was recognized). The names in an event are bounded by the client (4096
characters a field); the person's registered `identity_info` is the part that can grow: it is cut
to what fits, its largest values first (a whole nested object counts as one value), so the
smaller fields, usually the ones a person reads, are what is kept.
"""

from __future__ import annotations

import json
from typing import Any

from homeassistant.helpers.json import json_bytes

# The recorder's limit on an event's data (recorder.db_schema.MAX_EVENT_DATA_BYTES).
EVENT_DATA_LIMIT = 32 * 1024
# What identity_info may take at most, and what is left to spare for the encoder's differences.
INFO_LIMIT = 8 * 1024
MARGIN = 1024

type Path = tuple[str | int, ...]


def _size(value: Any) -> int:
    """Return the bytes value takes as JSON: the recorder's encoder; stdlib where it refuses."""
    try:
        return len(json_bytes(value))
    except TypeError:  # e.g. an integer beyond 64 bits, which lenient decoding lets through
        return len(json.dumps(value, default=str, ensure_ascii=False).encode())


def fit_event(data: dict[str, Any]) -> bool:
    """Cut data["identity_info"] so the whole event fits the recorder; return True if it was cut."""
    info = data.get("identity_info")
    if not isinstance(info, dict) or not info or _size(data) <= INFO_LIMIT:
        return False  # the usual event: one encoding tells it fits both limits
    rest = _size({**data, "identity_info": {}})
    budget = max(0, min(INFO_LIMIT, EVENT_DATA_LIMIT - MARGIN - rest))
    fitted = fitted_info(info, budget)
    data["identity_info"] = fitted
    return fitted is not info


def fitted_info(info: dict[str, Any], budget: int) -> dict[str, Any]:
    """Return info whose JSON takes at most budget bytes: the largest values dropped first.

    On equal sizes the deeper value goes first. Returns info itself when it fits.
    """
    size = _size(info)
    if size <= budget:
        return info
    dropped: set[Path] = set()
    for entry_size, _depth, path in sorted(_entries(info, ()), reverse=True):
        if any(path[:length] in dropped for length in range(1, len(path))):
            continue  # inside a value already dropped
        dropped.add(path)
        size -= entry_size
        if size <= budget:
            break
    fitted = _without(info, (), dropped)
    return fitted if _size(fitted) <= budget else {}


def _entries(value: Any, path: Path) -> list[tuple[int, int, Path]]:
    """Return (bytes it takes, depth, path) for every key or item inside value."""
    if isinstance(value, dict):
        items: list[tuple[str | int, Any]] = list(value.items())
    elif isinstance(value, list):
        items = list(enumerate(value))
    else:
        return []
    found = []
    for key, child in items:
        child_path = (*path, key)
        # The value, its key and quotes, the colon and a comma.
        overhead = _size(key) + 2 if isinstance(key, str) else 1
        found.append((_size(child) + overhead, len(child_path), child_path))
        found.extend(_entries(child, child_path))
    return found


def _without(value: Any, path: Path, dropped: set[Path]) -> Any:
    """Return a copy of value without the keys and items at the dropped paths."""
    if isinstance(value, dict):
        return {
            key: _without(child, (*path, key), dropped)
            for key, child in value.items()
            if (*path, key) not in dropped
        }
    if isinstance(value, list):
        return [
            _without(child, (*path, index), dropped)
            for index, child in enumerate(value)
            if (*path, index) not in dropped
        ]
    return value
