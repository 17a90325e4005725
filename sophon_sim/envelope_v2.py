"""Answer in generation 2.0's envelope: flat JSON, or {"error": {"code", "message"}}."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .generation import RestAnswer

if TYPE_CHECKING:
    from .faults import Faults
    from .generation import RestRequest

# The codes error_code_int sends instead of the strings (no firmware documents numbers).
INT_CODES = {
    "DEVICE_INIT_ERROR": 1001,
    "UNSUPPORT_CONTENT_TYPE": 1002,
    "INVALID_ARGUMENTS": 1003,
    "MISSING_ARGUMENTS": 1004,
    "EVENT_NOT_FOUND": 1005,
    "ID_NOT_FOUND": 1006,
    "INTERNAL_ERROR": 1007,
    "ID_REPEAT_ERROR": 1008,
    "NAME_REPEAT_ERROR": 1009,
    "IMAGE_DECODE_ERROR": 1010,
    "IMAGE_SIZE_TOO_LARGE_ERROR": 1011,
    "NO_FACE_ERROR": 1012,
    "LOW_QUALITY_ERROR": 1013,
    "GROUP_LEN_ERROR": 1014,
}


def json_answer(body: Any, status: int = 200, device_list: bool = False) -> RestAnswer:
    """Answer with a JSON body."""
    return RestAnswer(status, json.dumps(body, ensure_ascii=False), device_list=device_list)


def error_answer(
    code: str, message: str, faults: Faults, status: int = 200, device_list: bool = False
) -> RestAnswer:
    """Answer with the {"error": {"code", "message"}} envelope (code an int with error_code_int)."""
    value: str | int = INT_CODES[code] if faults.error_code_int else code
    return json_answer({"error": {"code": value, "message": message}}, status, device_list)


def read_json(
    request: RestRequest, faults: Faults, device_list: bool = False
) -> dict[str, Any] | RestAnswer:
    """Return the JSON object a POST carries, or the error the box answers instead."""
    mime = request.content_type.split(";", 1)[0].strip().lower()
    if mime != "application/json":
        message = f"unsupported content type {request.content_type!r}, use application/json"
        return error_answer("UNSUPPORT_CONTENT_TYPE", message, faults, device_list=device_list)
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        body = None
    if not isinstance(body, dict):
        message = "the body must be a JSON object"
        return error_answer("INVALID_ARGUMENTS", message, faults, device_list=device_list)
    return body
