"""Generation 2.0's health calls: POST :8888/sophon/v2/system/<verb>, flat answers (api 4).

Tolerated: a box whose getstorage refuses the hard disk is asked getexternaldisk (the extra
page, api 4 [T44]; remembered), which names its rate external_hard_disk_usage or, as its
example does, external_hard_disk_rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import health_values
from .exceptions import SophonConnectionError, SophonResponseError
from .generation_v2 import checked
from .health_v1 import read_external_hard_disk
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
EXTERNAL_DISK_VERB = "getexternaldisk"


class HealthV2:
    """Read a 2.0 box's health answers."""

    def __init__(self) -> None:
        """Ask getstorage for the hard disk until the box refuses it."""
        self._external_page = False

    async def fetch(self, rest: Rest, port: int, call: HealthCall) -> dict[str, Any]:
        """Return a call's answer; raise SophonError for its error envelope."""
        if call is HealthCall.PICTURE_STORE:  # on the REST port
            return checked(await rest("POST", PICTURE_STORE_PATH, {}, envelope=True))
        if call is HealthCall.EXTERNAL_DISK and self._external_page:
            return await _system(rest, port, EXTERNAL_DISK_VERB, {})
        verb, body = CALLS[call]
        try:
            return await _system(rest, port, verb, body)
        except SophonConnectionError:
            raise
        except SophonResponseError:
            if call is not HealthCall.EXTERNAL_DISK:
                raise
        answer = await _system(rest, port, EXTERNAL_DISK_VERB, {})
        self._external_page = True
        return answer

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
        if fields.has("external_hard_state"):  # getexternaldisk's answer
            return read_external_hard_disk(fields)
        if fields.read(health_values.flag, "mount_status") is False:
            return SpaceUsage(mounted=False)
        return self.storage(fields)

    def uptime(self, fields: Fields) -> timedelta | None:
        """Read uptime."""
        return fields.read(health_values.duration, "uptime")

    def picture_store(self, fields: Fields) -> tuple[bool | None, str | None]:
        """Read available and event_image_path."""
        return fields.read(health_values.flag, "available"), fields.text("event_image_path")


async def _system(rest: Rest, port: int, verb: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST one system verb; return its answer, or raise for its error envelope."""
    return checked(await rest("POST", SYSTEM + verb, body, port=port, envelope=True))
