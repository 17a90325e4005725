"""Define what a generation ("1.0", "2.0") must provide to the simulator."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .faults import Faults
from .health import Health

if TYPE_CHECKING:
    import random

    from .history import History, Recognition
    from .imagery import ImageBank, Picture
    from .library import Library
    from .roster import Person, SimDevice


@dataclass(frozen=True)
class Subscription:
    """Hold one connection's subscription, in generation-neutral terms."""

    device_ids: frozenset[str]
    want_face: bool
    want_register: bool
    raw: dict[str, Any]


@dataclass(frozen=True)
class RestRequest:
    """Hold one HTTP request to the box, as much of it as a generation needs."""

    method: str
    path: str
    query: Mapping[str, str] = field(default_factory=dict)
    content_type: str = ""
    body: bytes = b""
    # Every value of each query key, for keys given more than once (query has the first).
    repeated: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RestAnswer:
    """Hold one HTTP answer of the box.

    device_list answers are subject to the REST faults, scene_fetch answers (a past event's
    record or scene photo) to the connection-level scene_fetch faults, history answers (the
    event-history list) to the connection-level history_query faults, health answers (a
    health call named by health_calls) to the connection-level health_call faults.
    """

    status: int
    body: str | bytes
    content_type: str = "application/json"
    device_list: bool = False
    scene_fetch: bool = False
    history: bool = False
    health: bool = False


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
    """Hold an event as pushed (all pictures in it) and what the box keeps of it besides.

    images: the picture bytes the frame carries (face, registered) and the scene photo the box
    serves for it (scene). templates: the biometric template strings in the frame. attrs: the
    face attributes the frame was built with, kept for the event's record (None where the
    generation's frames carry none; see history.face_attributes).
    """

    event_id: str
    frame: dict[str, Any]
    images: dict[str, bytes]
    templates: tuple[str, ...] = ()
    attrs: dict[str, Any] | None = None


@dataclass(frozen=True)
class SystemInfo:
    """Show a generation what the box's system port tells: firmware, serial and the box's time.

    serial, time_ms, hostname: None when the box does not answer that call (404). time_ms: the box's
    clock in ms since the epoch; timezone: its zone with the sign inverted (-8 is UTC+8).
    """

    firmware: str
    serial: str | None
    time_ms: int | None
    timezone: int
    # The box's host name (None: no answer); stock systems call themselves bm1684 or sophon.
    hostname: str | None = None
    health: Health = field(default_factory=Health)
    faults: Faults = field(default_factory=Faults)


@dataclass(frozen=True)
class BoxState:
    """Show a generation what the box knows when it answers a REST request."""

    devices: list[SimDevice]
    faults: Faults
    history: History
    registered_photo: Callable[[str], bytes | None]
    library: Library | None = None  # the face library (None: the people calls are unknown)
    health: Health = field(default_factory=Health)


def read_subscription(
    text: str, ids_key: str, face_key: str, register_key: str
) -> Subscription | None:
    """Read a subscription by its generation's key names; missing keys: off, no devices."""
    try:
        raw = json.loads(text)
    except ValueError:
        return None
    if not isinstance(raw, dict):
        return None
    ids = raw.get(ids_key, [])
    device_ids = (
        frozenset(i for i in ids if isinstance(i, str)) if isinstance(ids, list) else frozenset()
    )
    return Subscription(device_ids, bool(raw.get(face_key)), bool(raw.get(register_key)), raw)


def apply_overrides(frame: dict[str, Any], overrides: dict[str, Any], merged: str) -> None:
    """Replace top-level fields, merging a dict into the `merged` field; ... removes a field."""
    for key, value in overrides.items():
        if value is ...:
            frame.pop(key, None)
        elif key == merged and isinstance(value, dict) and isinstance(frame.get(key), dict):
            for sub_key, sub_value in value.items():
                if sub_value is ...:
                    frame[key].pop(sub_key, None)
                else:
                    frame[key][sub_key] = sub_value
        else:
            frame[key] = value


class Generation(Protocol):
    """Speak one generation: REST calls, subscriptions and event frames."""

    version: str
    default_firmware: str

    def rest_answer(self, request: RestRequest, box: BoxState) -> RestAnswer | None:
        """Answer a request on the REST port, or return None for an unknown path (404)."""

    def system_answer(self, request: RestRequest, system: SystemInfo) -> RestAnswer | None:
        """Answer a request on the system port (firmware, serial, time), or return None (404)."""

    def parse_subscription(self, text: str) -> Subscription | None:
        """Read a subscription frame, or return None when it is not one."""

    def build_event(self, spec: EventSpec) -> BuiltEvent:
        """Build the full event (all pictures included) with the active faults applied."""

    def tailor(self, frame: dict[str, Any], sub: Subscription) -> dict[str, Any]:
        """Return the frame as sent to one connection: without the pictures it did not ask for."""

    def event_record(self, kept: Recognition, faults: Faults) -> dict[str, Any]:
        """Return what the event-history query answers about a kept recognition."""
