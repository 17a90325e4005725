"""Generation 1.0's health calls: GET :8888/SophonSystem/api/<name> in {"data": {...}} (api 4).

Tolerated: the memory page that gives only total_memory and used_memory (api 4, [S37]): the
usage is worked out from them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import health_values
from .coerce import describe
from .exceptions import SophonResponseError
from .models import HealthCall, SpaceUsage

if TYPE_CHECKING:
    from datetime import timedelta

    from .generation import Rest
    from .health import Fields

NAME = "1.0"
SYSTEM = "/SophonSystem/api/"
PATHS = {
    HealthCall.CPU: SYSTEM + "cpu",
    HealthCall.TEMPERATURE: SYSTEM + "temperature",
    HealthCall.MEMORY: SYSTEM + "memoryInfo",
    HealthCall.STORAGE: SYSTEM + "diskInfo",
    HealthCall.EXTERNAL_DISK: SYSTEM + "externalDiskInfo",
    HealthCall.UPTIME: SYSTEM + "uptime",
}
PICTURE_STORE_PATH = "/SophonFogSys/api/ImagePathStatusQuery"


def read_external_hard_disk(fields: Fields) -> SpaceUsage:
    """Read external_hard_state ("0": none) and the disk's rate and sizes.

    Also 2.0's getexternaldisk, whose table names the rate external_hard_disk_usage (api 7.14).
    """
    if fields.read(health_values.flag, "external_hard_state") is False:
        return SpaceUsage(mounted=False)
    return fields.space(
        ("external_hard_disk_rate", "external_hard_disk_usage"),
        "external_hard_total_disk",
        ("external_hard_used_disk",),
        "external_hard_free_disk",
    )


class HealthV1:
    """Read a 1.0 box's health answers."""

    async def fetch(self, rest: Rest, port: int, call: HealthCall) -> dict[str, Any]:
        """Return a call's data object; raise SophonError when the box gives none."""
        if call is HealthCall.PICTURE_STORE:  # on the REST port, POSTed without a body
            answer = await rest("POST", PICTURE_STORE_PATH, envelope=True)
        else:
            answer = await rest("GET", PATHS[call], port=port, envelope=True)
        data = answer.get("data") if isinstance(answer, dict) else None
        if isinstance(data, list) and len(data) == 1:  # some tables type data as a list
            data = data[0]
        if not isinstance(data, dict):
            raise SophonResponseError(f"{call} answered no data: {describe(answer)}")
        return data

    def cpu(self, fields: Fields) -> float | None:
        """Read cpu_rate."""
        return fields.read(health_values.fraction, "cpu_rate")

    def memory(self, fields: Fields) -> SpaceUsage:
        """Read total_memory_scale and the sizes (total_used_memory or used_memory)."""
        return fields.space(
            "total_memory_scale",
            "total_memory",
            ("total_used_memory", "used_memory"),
            "total_free_memory",
        )

    def storage(self, fields: Fields) -> SpaceUsage:
        """Read disk_rate and total_disk, used_disk, free_disk."""
        return fields.space("disk_rate", "total_disk", ("used_disk",), "free_disk")

    def external_disk(self, fields: Fields) -> SpaceUsage:
        """Read externalDiskInfo."""
        return read_external_hard_disk(fields)

    def uptime(self, fields: Fields) -> timedelta | None:
        """Read uptime ("3 hours, 57 minutes")."""
        return fields.read(health_values.duration, "uptime")

    def picture_store(self, fields: Fields) -> tuple[bool | None, str | None]:
        """Read available and image_path."""
        return fields.read(health_values.flag, "available"), fields.text("image_path")
