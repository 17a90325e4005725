"""Decode what a box sends, frames and REST answers alike: bytes to text to JSON, and base64.

Real boxes write a UTF-8 byte-order mark, UTF-16, GBK, UTF-8 with a broken byte, NUL padding
from fixed C buffers, bare NaN and Infinity tokens, and base64 in every variant encoders
produce. Well-formed input takes the fast path (orjson, or one binascii call); each fallback
used is reported as a quirk.
"""

from __future__ import annotations

import binascii
import codecs
import json
import re
from typing import Any

try:
    from orjson import loads as json_loads
except ImportError:  # pragma: no cover - orjson ships with Home Assistant
    from json import loads as json_loads  # type: ignore[assignment]

# What C writers with fixed buffers leave after the JSON text.
_PADDING = " \t\r\n\x00"
# A data URI's head in any letter case and with any media type: "data:image/jpg;base64,".
_DATA_URI = re.compile(r"\s*data:[^,]*?;base64,", re.IGNORECASE)
# How far into a picture's text its data URI head and first bytes must show.
_HEAD = 256
# How the base64 of every JPEG begins (FF D8 FF), in the standard and the URL-safe alphabet.
JPEG_BASE64_PREFIXES = ("/9j/", "_9j_")
_URL_SAFE = str.maketrans("-_", "+/")
_BASE64_BODY = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_NON_ASCII = bytes(range(0x80, 0x100))
_REPLACEMENT = "\ufffd"


class UndecodableError(ValueError):
    """Data that no tolerated encoding turns into JSON; reason is short and machine-readable."""

    def __init__(self, reason: str, detail: str = "") -> None:
        """Keep the reason and a human detail."""
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


def parse_json(data: str | bytes) -> tuple[Any, tuple[str, ...]]:
    """Return the JSON value in a frame or answer and the quirks of its encoding.

    Raises UndecodableError: binary_not_utf8 (bytes in no tolerated encoding that are no JSON
    even with their broken sequences replaced), empty_frame, invalid_json.
    """
    try:
        return json_loads(data), ()
    except ValueError:
        pass
    quirks: list[str] = []
    text = data if isinstance(data, str) else decode_bytes(data, quirks)
    try:
        return _parse_text(text, quirks), tuple(quirks)
    except UndecodableError as err:
        if "invalid_utf8" in quirks:
            raise UndecodableError("binary_not_utf8", f"{len(data)} bytes") from err
        raise


def decode_bytes(data: bytes, quirks: list[str]) -> str:
    """Return the text of bytes: UTF-8 (BOM stripped), UTF-16/32, GB18030, or broken UTF-8.

    Bytes that are no strict UTF-8 are read as GB18030 unless they look like UTF-8 with a few
    broken sequences; those, and bytes no encoding reads, come back as UTF-8 with U+FFFD for
    each broken sequence (quirk invalid_utf8), so a recognition with one bad byte is kept.
    """
    encoding = json.detect_encoding(data)
    if encoding == "utf-8-sig":
        quirks.append("bom")
        data, encoding = data[len(codecs.BOM_UTF8) :], "utf-8"
    if encoding != "utf-8":
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            pass
        else:
            quirks.append("utf16" if "16" in encoding else "utf32")
            return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    replaced = data.decode("utf-8", errors="replace")
    if not _mostly_utf8(data, replaced):
        try:
            text = data.decode("gb18030")  # a superset of GBK and GB2312
        except UnicodeDecodeError:
            pass
        else:
            quirks.append("legacy_encoding")
            return text
    quirks.append("invalid_utf8")
    return replaced


def _mostly_utf8(data: bytes, replaced: str) -> bool:
    """Return True when bytes have two well-formed non-ASCII UTF-8 characters per broken one.

    GBK text read as UTF-8 breaks at most of its characters (a few of its byte pairs are valid
    UTF-8 by chance); UTF-8 cut short or with a stray byte breaks at one place among many.
    """
    broken = replaced.count(_REPLACEMENT) - data.count(_REPLACEMENT.encode())
    non_ascii = len(replaced) - len(data.translate(None, _NON_ASCII))
    return non_ascii - broken >= 2 * broken


def _parse_text(text: str, quirks: list[str]) -> Any:
    """Parse JSON text that orjson refused: without BOM and padding, then leniently."""
    if text.startswith("\ufeff"):
        quirks.append("bom")
        text = text.lstrip("\ufeff")
    stripped = text.rstrip(_PADDING)
    if "\x00" in text[len(stripped) :]:
        quirks.append("nul_padding")
    if not stripped.strip():
        raise UndecodableError("empty_frame")
    try:
        return json_loads(stripped)
    except ValueError:
        pass
    constants: list[str] = []
    try:
        value = json.loads(stripped, parse_constant=lambda name: _constant(name, constants))
    except (ValueError, RecursionError) as err:
        raise UndecodableError("invalid_json", f"{len(text)} characters") from err
    # orjson refuses NaN and Infinity, lone surrogates in escapes, and more than 64-bit integers.
    quirks.append("non_finite_number" if constants else "lenient_json")
    return value


def _constant(name: str, seen: list[str]) -> float:
    """Read NaN, Infinity or -Infinity as a float (as_float later calls it unreadable)."""
    seen.append(name)
    return float(name)


def looks_like_jpeg_base64(text: str) -> bool:
    """Return True when base64 text (any variant, data URI or not) begins like a JPEG.

    Looks at the first few characters only: the receive path must not scan whole photos.
    """
    head = text[:_HEAD]
    if match := _DATA_URI.match(head):
        head = head[match.end() :]
    return head.lstrip().startswith(JPEG_BASE64_PREFIXES)


def decode_base64(text: str) -> bytes:
    """Return the bytes of base64 in every variant encoders write; ValueError when it is none.

    A data URI head of any media type and letter case, line breaks and white space and the
    URL-safe alphabet are read; missing "=" padding is added to text that begins like a JPEG
    (other text without it, "abc", is more likely cut short or garbage than a picture).
    """
    if text[:5].lower() == "data:" or text[:1].isspace():
        match = _DATA_URI.match(text[:_HEAD])
        if match:
            text = text[match.end() :]
    if "-" in text or "_" in text:
        text = text.translate(_URL_SAFE)
    try:
        return binascii.a2b_base64(text)
    except binascii.Error:
        body = "".join(text.split())
        if not body.startswith(JPEG_BASE64_PREFIXES[0]) or not _BASE64_BODY.fullmatch(body):
            raise
        if len(body) % 4 == 1:
            raise
        return binascii.a2b_base64(body + "=" * (-len(body) % 4))
