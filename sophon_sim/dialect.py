"""Define what a protocol generation ("1.0", later "2.0") must provide to the simulator."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import random

    from .faults import Faults
    from .imagery import ImageBank, Picture
    from .roster import Person, SimDevice


@dataclass(frozen=True)
class Subscription:
    """Hold one connection's push configuration, in protocol-neutral terms."""

    device_ids: frozenset[str]
    want_face: bool
    want_register: bool
    raw: dict[str, Any]


@dataclass(frozen=True)
class RestAnswer:
    """Hold one HTTP answer of the box's REST port."""

    status: int
    body: str
    content_type: str = "application/json"


@dataclass
class EventSpec:
    """Hold everything needed to build one recognition event."""

    seq: int
    device: SimDevice
    person: Person
    score: float
    timestamp_ms: int
    pictures: dict[str, Picture]
    faults: Faults
    rng: random.Random
    bank: ImageBank
    overrides: dict[str, Any] = field(default_factory=dict)


@dataclass
class BuiltEvent:
    """Hold an event frame with every picture in it, and the picture bytes it carries."""

    frame: dict[str, Any]
    images: dict[str, bytes]


class Dialect(Protocol):
    """Speak one protocol generation: device list, push configuration and event frames."""

    version: str

    def rest_answer(
        self, method: str, path: str, body: bytes, devices: list[SimDevice], faults: Faults
    ) -> RestAnswer | None:
        """Answer a REST request, or return None for an unknown path (404)."""

    def parse_config(self, text: str) -> Subscription | None:
        """Read a push configuration frame, or return None when it is not one."""

    def build_event(self, spec: EventSpec) -> BuiltEvent:
        """Build the full event (all pictures included) with the active faults applied."""

    def tailor(self, frame: dict[str, Any], sub: Subscription) -> dict[str, Any]:
        """Return the frame as sent to one connection: without the pictures it did not ask for."""
