"""Generation 2.0's health calls: POST :8888/sophon/v2/system/<verb>, flat answers (api 4).

Tolerated: external_hard_disk_usage under the example's name external_hard_disk_rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import health_values
from .generation_v2 import checked
from .models import HealthCall, SpaceUsage

if TYPE_CHECKING:
    from datetime import timedelta

    from .generation import Rest
    from .health import Fields

NAME = "2.0"
SYSTEM = "/sophon/v2/system/"
CALLS: dict[HealthCall, tuple[str, dict[str, Any]]] = {
    HealthCall.CPU: ("getcpuinfo", {}),
    HealthCall.TEMPERATURE: ("gettemperature", {}),
    HealthCall.MEMORY: ("getmemoryinfo", {}),
    HealthCall.STORAGE: ("getstorage", {"device": "emmc"}),
    HealthCall.EXTERNAL_DISK: ("getstorage", {"device": "hdd"}),
    HealthCall.UPTIME: ("getuptime", {}),
}
PICTURE_STORE_PATH = "/sophon/v2/face/checkeventimagepath"


class HealthV2:
    """Read a 2.0 box's health answers."""

    async def fetch(self, rest: Rest, port: int, call: HealthCall) -> dict[str, Any]:
        """Return a call's answer; raise SophonError for its error envelope."""
        if call is HealthCall.PICTURE_STORE:  # on the REST port
            return checked(await rest("POST", PICTURE_STORE_PATH, {}, envelope=True))
        verb, body = CALLS[call]
        return checked(await rest("POST", SYSTEM + verb, body, port=port, envelope=True))

    def cpu(self, fields: Fields) -> float | None:
        """Read cur_cpu_usage."""
        return fields.read(health_values.fraction, "cur_cpu_usage")

    def memory(self, fields: Fields) -> SpaceUsage:
        """Read svt_memory_usage and svt_memory, svt_used_memory, svt_free_memory."""
        return fields.space(
            "svt_memory_usage", "svt_memory", ("svt_used_memory",), "svt_free_memory"
        )

    def storage(self, fields: Fields) -> SpaceUsage:
        """Read the eMMC's disk_usage and total_disk, used_disk, free_disk."""
        return fields.space("disk_usage", "total_disk", ("used_disk",), "free_disk")

    def external_disk(self, fields: Fields) -> SpaceUsage:
        """Read the hard disk's mount_status (false: none) and its usage and sizes."""
        if fields.read(health_values.flag, "mount_status") is False:
            return SpaceUsage(mounted=False)
        return self.storage(fields)

    def uptime(self, fields: Fields) -> timedelta | None:
        """Read uptime."""
        return fields.read(health_values.duration, "uptime")

    def picture_store(self, fields: Fields) -> tuple[bool | None, str | None]:
        """Read available and event_image_path."""
        return fields.read(health_values.flag, "available"), fields.text("event_image_path")
