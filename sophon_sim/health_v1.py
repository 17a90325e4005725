"""Speak generation 1.0's health calls: GET :8888/SophonSystem/api/<name> in {"data": {...}}.

The picture store is POST :5555/SophonFogSys/api/ImagePathStatusQuery (api section 4).
Errors are 1.0's {"error": {"code", "message", "status"}} with HTTP 500.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .generation import RestAnswer
from .health import failing, odd, size_text, uptime_text

if TYPE_CHECKING:
    from collections.abc import Callable

    from .faults import Faults
    from .generation import RestRequest
    from .health import Health

SYSTEM = "/SophonSystem/api/"
PICTURE_STORE_PATH = "/SophonFogSys/api/ImagePathStatusQuery"


def _cpu(health: Health, _faults: Faults) -> tuple[dict[str, Any], dict[str, str]]:
    """Answer cpu."""
    info = {"cpu_freq": "2.3Ghz", "cpu_count": "8", "cpu_type": "ARM Cortex-A53"}
    return {"cpu_rate": health.cpu_usage, "info": info}, {"cpu_rate": "fraction"}


def _temperature(health: Health, _faults: Faults) -> tuple[dict[str, Any], dict[str, str]]:
    """Answer temperature: strings with the unit ("44.0'C")."""
    values = {
        "core_temperature": f"{health.core_temperature:.1f}'C",
        "board_temperature": f"{health.board_temperature:.1f}'C",
    }
    return values, dict.fromkeys(values, "temperature")


def _memory(health: Health, _faults: Faults) -> tuple[dict[str, Any], dict[str, str]]:
    """Answer memoryInfo."""
    free = health.memory_total_mib - health.memory_used_mib
    values = {
        "hardware_total_memory": size_text(health.memory_hardware_mib),
        "total_memory": size_text(health.memory_total_mib),
        "total_used_memory": size_text(health.memory_used_mib),
        "total_free_memory": size_text(free),
        "total_memory_scale": round(health.memory_used_mib / health.memory_total_mib, 4),
    }
    kinds = dict.fromkeys(values, "size") | {"total_memory_scale": "fraction"}
    return values, kinds


def _disk(health: Health, _faults: Faults) -> tuple[dict[str, Any], dict[str, str]]:
    """Answer diskInfo."""
    total, used = health.storage_total_mib, health.storage_used_mib
    values = {
        "hardware_total_disk": size_text(total),
        "total_disk": size_text(total),
        "used_disk": size_text(used),
        "free_disk": size_text(total - used),
        "disk_rate": round(used / total, 4),
    }
    return values, dict.fromkeys(values, "size") | {"disk_rate": "fraction"}


def external_disk_values(health: Health, faults: Faults) -> tuple[dict[str, Any], dict[str, str]]:
    """Answer externalDiskInfo ("0": none mounted, the sizes then "0M"; 2.0 getexternaldisk too)."""
    mounted = not faults.no_external_disk
    total = health.external_total_mib if mounted else 0.0
    used = health.external_used_mib if mounted else 0.0
    values = {
        "external_hard_state": "1" if mounted else "0",
        "external_hard_total_disk": size_text(total),
        "external_hard_used_disk": size_text(used),
        "external_hard_free_disk": size_text(total - used),
        "external_hard_disk_rate": round(used / total, 4) if mounted else 0,
    }
    kinds = dict.fromkeys(values, "size") | {
        "external_hard_state": "flag",
        "external_hard_disk_rate": "fraction",
    }
    return values, kinds


def _uptime(health: Health, _faults: Faults) -> tuple[dict[str, Any], dict[str, str]]:
    """Answer uptime, in words."""
    return {"uptime": uptime_text(health.uptime_seconds)}, {"uptime": "uptime"}


type Reader = Callable[[Health, Faults], tuple[dict[str, Any], dict[str, str]]]
CALLS: dict[str, tuple[str, Reader]] = {
    SYSTEM + "cpu": ("cpu", _cpu),
    SYSTEM + "temperature": ("temperature", _temperature),
    SYSTEM + "memoryInfo": ("memory", _memory),
    SYSTEM + "diskInfo": ("storage", _disk),
    SYSTEM + "externalDiskInfo": ("external_disk", external_disk_values),
    SYSTEM + "uptime": ("uptime", _uptime),
}


def _answer(call: str, values: dict[str, Any], faults: Faults) -> RestAnswer:
    """Answer a call's values in the envelope, or fail as the faults ask."""
    kind = failing(call, faults)
    if kind == "error":
        error = {"code": 500, "message": f"{call} failed", "status": "INTERNAL"}
        return RestAnswer(500, json.dumps({"error": error}))
    return RestAnswer(200, json.dumps({"data": values}), health=bool(kind))


def system_answer(request: RestRequest, health: Health, faults: Faults) -> RestAnswer | None:
    """Answer a GET health call on the system port; None for another path."""
    if request.method != "GET" or request.path not in CALLS:
        return None
    call, reader = CALLS[request.path]
    values, kinds = reader(health, faults)
    return _answer(call, odd(values, kinds, faults), faults)


def picture_store(request: RestRequest, health: Health, faults: Faults) -> RestAnswer | None:
    """Answer POST ImagePathStatusQuery on the REST port; None for another request."""
    if request.method != "POST" or request.path != PICTURE_STORE_PATH:
        return None
    available = not faults.picture_store_down
    values = {
        "image_path": health.image_path,
        "available": available,
        "message": "正常" if available else "路径不存在或不可写",
        "english_message": "ok" if available else "the path does not exist or is not writable",
    }
    return _answer("picture_store", odd(values, {"available": "flag"}, faults), faults)
