"""Produce the odd input real boxes send: dirty text, other encodings, implausible values.

Each switch rotates through several forms by the event's sequence number (or the device's place
in the list), so one switch shows several instances of its kind.
"""

from __future__ import annotations

import codecs
import time
import unicodedata
from typing import TYPE_CHECKING, Any

from .faults import BASE64_VARIANTS

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .faults import Faults

# Forms of a name as firmware writes it: each cleans back to the name (the ESC sequence aside).
DIRTY_FORMS = (
    "{}\x00\x00\x00\x00",  # NUL padding from a fixed C buffer
    "\x1b[1m{}\x1b[0m",  # a terminal escape sequence
    "\ufeff{}",  # a byte-order mark
    "\u202a{}\u202c\u200b",  # bidi embedding and a zero-width space
    " \t{}\r\n",  # white space and a line end
    "\u3000{}\u3000",  # ideographic spaces
    "nfd",  # decomposed (NFD) instead of composed
    "\x07{}\x85",  # a bell and a C1 next-line
)
# A family emoji (five code points) sixty times: 300 code points, more than a state may hold.
LONG_NAME = "\U0001f468\u200d\U0001f469\u200d\U0001f467" * 60
NON_FINITE = (float("nan"), float("inf"), float("-inf"))
# Out-of-scale scores per generation: the 0..100 scale on 1.0 and a 0..10000 one on 2.0, and
# values no scale allows (a callable gets the score on 0..1).
SCORE_FORMS = {
    "1.0": (lambda score: round(score * 100, 2), lambda _: 100.0, lambda _: -0.2, lambda _: 1.5),
    "2.0": (lambda score: round(score * 10000, 2), lambda _: 100.01, lambda _: 1e6, lambda _: -5.0),
}
HOUR_MS = 3_600_000
# Clocks a box can have (bad_clock): 1970 after a power loss, year 2100, local UTC+8 sent as UTC,
# a day and an hour behind, microseconds where milliseconds belong.
CLOCK_FORMS = (
    lambda _ms: 1_000_000,
    lambda _ms: 4_102_444_800_000,
    lambda ms: ms + 8 * HOUR_MS,
    lambda ms: ms - 25 * HOUR_MS,
    lambda ms: ms * 1000,
)
DATA_URI_JPEG = "data:image/jpeg;base64,"
# The variants "rotate" goes through: every one but off and "rotate" itself.
ROTATED_VARIANTS = BASE64_VARIANTS[2:]
NUL_PADDING = "\x00" * 7
# Encodings of the legacy_encoding (frames) and rest_encoding (device lists) switches.
FRAME_CODECS = {
    "gbk_text": "gbk",
    "gbk_binary": "gbk",
    "gb18030_binary": "gb18030",
    "utf16_binary": "utf-16",
}
REST_CODECS = {"gbk": "gbk", "gb18030": "gb18030", "utf16": "utf-16"}


class TextBytes(bytes):
    """Bytes the server sends as a TEXT frame (aiohttp's send_str would encode UTF-8)."""

    __slots__ = ()


def dirty(name: str, index: int) -> str:
    """Return name in the index-th dirty form (DIRTY_FORMS, rotating)."""
    form = DIRTY_FORMS[index % len(DIRTY_FORMS)]
    return unicodedata.normalize("NFD", name) if form == "nfd" else form.format(name)


def shown_name(name: str, index: int, faults: Faults) -> str:
    """Return a name as the box writes it under the dirty_text and long_names switches."""
    if faults.long_names:
        name = LONG_NAME
    return dirty(name, index) if faults.dirty_text else name


def odd_names(frame: dict[str, Any], seq: int, faults: Faults) -> None:
    """Write a frame's identity and group names as dirty_text and long_names ask."""
    if isinstance(frame.get("identity_name"), str):
        frame["identity_name"] = shown_name(frame["identity_name"], seq, faults)
    if faults.dirty_text and isinstance(frame.get("group_name"), str):
        frame["group_name"] = dirty(frame["group_name"], seq + 1)


def odd_device_names(items: list[dict[str, Any]], keys: Iterable[str], faults: Faults) -> None:
    """Write the device list's names as dirty_text and long_names ask (by place in the list)."""
    for index, item in enumerate(items):
        for key in keys:
            if isinstance(item.get(key), str):
                item[key] = shown_name(item[key], index, faults)


def odd_pictures(
    holders: Iterable[dict[str, Any]], keys: Iterable[str], seq: int, faults: Faults
) -> None:
    """Write the pictures under keys in the base64 variant base64_variant asks for."""
    if not faults.base64_variant:
        return
    for holder in holders:
        for key in keys:
            if isinstance(holder.get(key), str) and holder[key]:
                holder[key] = base64_variant(holder[key], seq, faults)


def odd_score(score: float, generation: str, seq: int, faults: Faults) -> float | None:
    """Return the score to write instead of a normal one, or None to leave it alone."""
    if faults.nan_score:
        return NON_FINITE[seq % len(NON_FINITE)]
    if faults.score_scale_wrong:
        forms = SCORE_FORMS[generation]
        return float(forms[seq % len(forms)](score))
    return None


def box_now_ms(faults: Faults) -> int:
    """Return the box's clock now, in ms since the epoch: the real time plus clock_offset."""
    return int(time.time() * 1000) + round(faults.clock_offset * 1000)


def box_clock(timestamp_ms: int, seq: int, faults: Faults, timezone: int) -> int:
    """Return an event's time as the box's clock gives it (clock_offset, bad_clock).

    events_local_time: the box's local wall time sent as UTC, that is -timezone hours later
    (timezone has the box's inverted sign: -8 is UTC+8, so 8 h later).
    """
    timestamp_ms += round(faults.clock_offset * 1000)
    if faults.events_local_time:
        timestamp_ms -= timezone * HOUR_MS
    if faults.bad_clock:
        timestamp_ms = CLOCK_FORMS[seq % len(CLOCK_FORMS)](timestamp_ms)
    return timestamp_ms


def base64_variant(value: str, seq: int, faults: Faults) -> str:
    """Return a picture's base64 text (data URI or bare) in the variant base64_variant asks for."""
    variant = faults.base64_variant
    if variant == "rotate":
        variant = ROTATED_VARIANTS[seq % len(ROTATED_VARIANTS)]
    head, comma, body = value.rpartition(",") if value.startswith("data:") else ("", "", value)
    head += comma
    if variant == "mime":
        return head + "\r\n".join(body[i : i + 76] for i in range(0, len(body), 76))
    if variant == "urlsafe":
        return head + body.translate(str.maketrans("+/", "-_"))
    if variant == "unpadded":
        return head + body.rstrip("=")
    if variant == "leading_space":
        return " \r\n\t" + value
    uri = {"jpg_uri": "image/jpg", "octet_uri": "application/octet-stream"}.get(variant)
    if uri is not None:
        return f"data:{uri};base64,{body}"
    return "DATA:IMAGE/JPEG;BASE64," + body


def encode_frame(text: str, faults: Faults) -> str | bytes:
    """Return a frame's JSON text as the framing switches send it: BOM, padding, encoding."""
    text = _padded(text, faults)
    encoding = FRAME_CODECS.get(faults.legacy_encoding)
    if encoding is not None:
        data = _encoded(text, encoding)
        return TextBytes(data) if faults.legacy_encoding.endswith("_text") else data
    return text.encode() if faults.binary_frames else text


def encode_answer(text: str, faults: Faults, device_list: bool) -> str | bytes:
    """Return a REST answer's JSON text as the switches send it (encodings: device lists only)."""
    text = _padded(text, faults)
    encoding = REST_CODECS.get(faults.rest_encoding) if device_list else None
    return text if encoding is None else _encoded(text, encoding)


def _padded(text: str, faults: Faults) -> str:
    """Return JSON text with a leading BOM (bom) and trailing NULs (nul_padding)."""
    if faults.bom:
        text = "\ufeff" + text
    return text + NUL_PADDING if faults.nul_padding else text


def _encoded(text: str, encoding: str) -> bytes:
    """Encode text; GBK has no BOM (a UTF-8 one is written) and no emoji ("?" instead)."""
    if encoding == "gbk" and text.startswith("\ufeff"):
        return codecs.BOM_UTF8 + text[1:].encode(encoding, errors="replace")
    return text.encode(encoding, errors="replace")
