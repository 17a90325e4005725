"""The interface that each generation of the box implements, and the ones known."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from .generation_v1 import GenerationV1
from .generation_v2 import GenerationV2
from .models import Device, RecognitionEvent, Subscription

if TYPE_CHECKING:
    from .pictures import BoxPictures


class Rest(Protocol):
    """Call the box's HTTP API; the client does the I/O for every generation."""

    async def __call__(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        port: int | None = None,
        raw: bool = False,
        envelope: bool = False,
    ) -> Any:
        """Return the decoded JSON answer, or the bytes with raw=True.

        envelope: an HTTP error status whose body is the box's {"error": ...} envelope returns
        that envelope (1.0 answers refusals with 4xx; api section 7.4).
        """


class Generation(Protocol):
    """Turn one generation's JSON into the shared models; parsing only, no I/O of its own."""

    name: str

    def recognizes(self, frame: dict[str, Any]) -> bool:
        """Return True when a pushed frame looks like this generation's."""

    async def fetch_devices(self, rest: Rest) -> list[Device]:
        """Read the devices attached to the box."""

    async def fetch_firmware_version(self, rest: Rest, port: int) -> str | None:
        """Read the box's firmware version from its system port."""

    async def fetch_serial_number(self, rest: Rest, port: int) -> str | None:
        """Read the box's serial number from its system port."""

    async def fetch_hostname(self, rest: Rest, port: int) -> str | None:
        """Read the box's host name from its system port (api section 4)."""

    async def fetch_box_time(self, rest: Rest, port: int) -> tuple[Any, Any]:
        """Read the box's clock from its system port: `time` (ms) and `timezone`, unchecked.

        `timezone` has an inverted sign (-8 is UTC+8; api section 4); see clock.box_time.
        """

    async def fetch_scene_image(self, rest: Rest, event_id: str) -> bytes | None:
        """Fetch the scene photo of an event, where the generation does not push it.

        Raises SophonNotFoundError when the box says the event or its picture is gone.
        """

    def subscription_message(self, subscription: Subscription) -> dict[str, Any]:
        """Return the subscription frame sent after the WebSocket opens."""

    def parse_event(
        self, frame: dict[str, Any], received_at: datetime, pictures: BoxPictures | None = None
    ) -> RecognitionEvent:
        """Parse one pushed JSON object or raise FrameRejectedError.

        pictures: the box whose pictures the event's are (counted there; the scene photo a
        generation keeps rather than pushes is fetched from it); without it, pictures alone.
        """


# Tried in this order when a box's generation is not known yet (protocol-v2.md section 1).
GENERATIONS: tuple[Generation, ...] = (GenerationV2(), GenerationV1())
