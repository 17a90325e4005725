"""Speak generation 2.0's health calls: POST :8888/sophon/v2/system/<verb>, flat answers.

getstorage takes {"device": "emmc"} (internal) or {"device": "hdd"} (external; refused with
hdd_storage_refused, as firmware that knows only getexternaldisk might); the picture
store is POST :5555/sophon/v2/face/checkeventimagepath (api section 4). Errors are 2.0's
{"error": {"code", "message"}} envelope.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .envelope_v2 import error_answer, json_answer, read_json
from .generation import RestAnswer
from .health import failing, odd, size_text, uptime_text
from .health_v1 import external_disk_values

if TYPE_CHECKING:
    from collections.abc import Callable

    from .faults import Faults
    from .generation import RestRequest
    from .health import Health

SYSTEM = "/sophon/v2/system/"
PICTURE_STORE_PATH = "/sophon/v2/face/checkeventimagepath"
type Values = tuple[dict[str, Any], dict[str, str]]


def _cpu(health: Health, _body: dict[str, Any], _faults: Faults) -> Values:
    """Answer getcpuinfo."""
    values = {
        "cur_cpu_usage": health.cpu_usage,
        "cpu_arch": "aarch64",
        "cpu_freq": "2.3GHz",
        "cpu_cores": "8",
    }
    return values, {"cur_cpu_usage": "fraction"}


def _temperature(health: Health, _body: dict[str, Any], _faults: Faults) -> Values:
    """Answer gettemperature: floats in °C."""
    values = {
        "core_temperature": health.core_temperature,
        "board_temperature": health.board_temperature,
    }
    return values, dict.fromkeys(values, "temperature")


def _memory(health: Health, _body: dict[str, Any], _faults: Faults) -> Values:
    """Answer getmemoryinfo."""
    total, used = health.memory_total_mib, health.memory_used_mib
    values = {
        "total_memory": size_text(health.memory_hardware_mib),
        "svt_memory": size_text(total),
        "svt_used_memory": size_text(used),
        "svt_free_memory": size_text(total - used),
        "svt_memory_usage": round(used / total, 4),
    }
    return values, dict.fromkeys(values, "size") | {"svt_memory_usage": "fraction"}


def _storage(health: Health, body: dict[str, Any], faults: Faults) -> Values:
    """Answer getstorage for "emmc" or "hdd" (not mounted: mount_status false, sizes "0M")."""
    external = body.get("device") == "hdd"
    mounted = not (external and faults.no_external_disk)
    if external:
        total = health.external_total_mib if mounted else 0.0
        used = health.external_used_mib if mounted else 0.0
    else:
        total, used = health.storage_total_mib, health.storage_used_mib
    values = {
        "mount_status": mounted,
        "nominal_capacity": size_text(total),
        "total_disk": size_text(total),
        "used_disk": size_text(used),
        "free_disk": size_text(total - used),
        "disk_usage": round(used / total, 4) if mounted else 0.0,
    }
    kinds = dict.fromkeys(values, "size") | {"mount_status": "flag", "disk_usage": "fraction"}
    return values, kinds


def _external_disk(health: Health, _body: dict[str, Any], faults: Faults) -> Values:
    """Answer getexternaldisk (the extra page): 1.0's fields, flat, the rate as its example."""
    return external_disk_values(health, faults)


def _uptime(health: Health, _body: dict[str, Any], _faults: Faults) -> Values:
    """Answer getuptime, in words."""
    return {"uptime": uptime_text(health.uptime_seconds)}, {"uptime": "uptime"}


type Reader = Callable[[Health, dict[str, Any], Faults], Values]
CALLS: dict[str, Reader] = {
    SYSTEM + "getcpuinfo": _cpu,
    SYSTEM + "gettemperature": _temperature,
    SYSTEM + "getmemoryinfo": _memory,
    SYSTEM + "getstorage": _storage,
    SYSTEM + "getuptime": _uptime,
    SYSTEM + "getexternaldisk": _external_disk,
}
NAMES = {
    "getcpuinfo": "cpu",
    "gettemperature": "temperature",
    "getmemoryinfo": "memory",
    "getuptime": "uptime",
    "getexternaldisk": "external_disk",
}


def _answer(call: str, values: dict[str, Any], faults: Faults) -> RestAnswer:
    """Answer a call's values, or fail as the faults ask."""
    kind = failing(call, faults)
    if kind == "error":
        return error_answer("INTERNAL_ERROR", f"{call} failed", faults)
    answer = json_answer(values)
    return RestAnswer(answer.status, answer.body, health=bool(kind))


def system_answer(request: RestRequest, health: Health, faults: Faults) -> RestAnswer | None:
    """Answer a POST health call on the system port; None for another path."""
    if request.method != "POST" or request.path not in CALLS:
        return None
    body = read_json(request, faults)
    if isinstance(body, RestAnswer):
        return body
    verb = request.path.removeprefix(SYSTEM)
    devices = ("emmc",) if faults.hdd_storage_refused else ("emmc", "hdd")
    if verb == "getstorage" and body.get("device") not in devices:
        return error_answer("INVALID_ARGUMENTS", "device", faults)
    call = NAMES.get(verb) or ("external_disk" if body["device"] == "hdd" else "storage")
    values, kinds = CALLS[request.path](health, body, faults)
    return _answer(call, odd(values, kinds, faults), faults)


def picture_store(request: RestRequest, health: Health, faults: Faults) -> RestAnswer | None:
    """Answer POST checkeventimagepath on the REST port; None for another request."""
    if request.method != "POST" or request.path != PICTURE_STORE_PATH:
        return None
    values = {"event_image_path": health.image_path, "available": not faults.picture_store_down}
    return _answer("picture_store", odd(values, {"available": "flag"}, faults), faults)
