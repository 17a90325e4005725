"""The face library's refusals as typed exceptions, from either generation's error envelope.

2.0 names each refusal by a symbolic code (api section 0); 1.0 lists no codes at all, so its
envelope's status is read as a symbol first and its message's words after that, as are the
numbers some 2.0 firmware gives instead of the symbols.
"""

from __future__ import annotations

import re
from typing import Any

from .coerce import as_str, describe
from .exceptions import (
    SophonBoxStartingError,
    SophonDuplicateError,
    SophonLibraryError,
    SophonLibraryFullError,
    SophonLowQualityError,
    SophonNoFaceError,
    SophonPersonNotFoundError,
    SophonPictureTooLargeError,
    SophonPictureUnreadableError,
    SophonResponseError,
)

QUALITY_CHECKS = (
    "headpose",
    "clarity",
    "face_size",
    "partial",
    "face_color",
    "brightness",
    "mask",
    "occlusion",
)
CODES: dict[str, type[SophonLibraryError]] = {
    "NO_FACE_ERROR": SophonNoFaceError,
    "LOW_QUALITY_ERROR": SophonLowQualityError,
    "IMAGE_SIZE_TOO_LARGE_ERROR": SophonPictureTooLargeError,
    "IMAGE_DECODE_ERROR": SophonPictureUnreadableError,
    "ID_REPEAT_ERROR": SophonDuplicateError,
    "NAME_REPEAT_ERROR": SophonDuplicateError,
    "GROUP_LEN_ERROR": SophonLibraryFullError,
    "ID_NOT_FOUND": SophonPersonNotFoundError,
}
# Words that name a refusal in a message, when no code does (1.0; 2.0 numeric codes), tried
# in this order as whole words ("full" not in "successfully" or "full name"; a face not found is
# no face, not a missing person).
WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\bno face\b|\bface (was )?not (found|detected)\b"), "NO_FACE_ERROR"),
    (re.compile(r"\bquality\b"), "LOW_QUALITY_ERROR"),
    (re.compile(r"\btoo (large|big)\b"), "IMAGE_SIZE_TOO_LARGE_ERROR"),
    (re.compile(r"\bdecod"), "IMAGE_DECODE_ERROR"),
    (re.compile(r"\b(library|group) (is )?full\b|\bfull (library|group)\b"), "GROUP_LEN_ERROR"),
    (re.compile(r"\bnot found\b"), "ID_NOT_FOUND"),
)
STARTING_CODE = "DEVICE_INIT_ERROR"
KNOWN = frozenset({*CODES, STARTING_CODE})


def _code_of(code: str | None, status: str | None, message: str) -> str | None:
    """Return the symbol of a refusal: the code's, the status's, or the message's words'."""
    for value in (code, status):
        if value is not None and value.upper() in KNOWN:
            return value.upper()
    lowered = message.lower()
    if "already exist" in lowered or "repeat" in lowered:
        return "NAME_REPEAT_ERROR" if "name" in lowered else "ID_REPEAT_ERROR"
    return next((symbol for words, symbol in WORDS if words.search(lowered)), None)


def library_error(error: dict[str, Any]) -> SophonResponseError:
    """Return the exception for one error envelope's {"code", "message"(, "status")}."""
    code, status = as_str(error.get("code")), as_str(error.get("status"))
    message = as_str(error.get("message")) or ""
    symbol = _code_of(code, status, message)
    text = f"the box refused: {symbol or code or status or '?'}: {describe(message)}"
    if symbol == STARTING_CODE:
        return SophonBoxStartingError(text)
    kind = CODES.get(symbol or "", SophonLibraryError)
    given = code or status
    if kind is SophonLowQualityError:
        checks = tuple(check for check in QUALITY_CHECKS if check in message.lower())
        return SophonLowQualityError(text, given, checks)
    if kind is SophonDuplicateError:
        field = "name" if symbol == "NAME_REPEAT_ERROR" else "identity_id"
        return SophonDuplicateError(text, given, field)
    return kind(text, given)


def checked(answer: Any, data_key: str | None = None) -> dict[str, Any]:
    """Return an answer's object (1.0: its data_key object), or raise for its error envelope."""
    if isinstance(answer, dict) and isinstance(answer.get("error"), dict):
        raise library_error(answer["error"])
    if data_key is not None:
        answer = answer.get(data_key) if isinstance(answer, dict) else None
    if not isinstance(answer, dict):
        raise SophonResponseError(f"expected an object, got {describe(answer)}")
    return answer
