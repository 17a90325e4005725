"""Typed models shared by both generations of the Sophon box."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from .coerce import as_dict, as_int, describe
from .exceptions import SophonResponseError
from .text import trim

if TYPE_CHECKING:
    from .pictures import Jpeg, Picture


class PersonType(StrEnum):
    """Who the box says the recognized person is."""

    EMPLOYEE = "employee"
    VISITOR = "visitor"
    BLACKLIST = "blacklist"
    STRANGER = "stranger"
    VIP = "vip"
    UNKNOWN = "unknown"


class DeviceType(StrEnum):
    """What kind of device attached to the box saw the face."""

    GATE = "gate"
    SNAPSHOT_CAMERA = "snapshot_camera"
    IPC = "ipc"
    ACCESS_CONTROL = "access_control"
    VIDEO_STREAM = "video_stream"
    PHOTO = "photo"
    VIDEO_FILE = "video_file"
    GB28181 = "gb28181"
    UNKNOWN = "unknown"


class ConnectionState(StrEnum):
    """State of the event WebSocket."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"


# Problems after which an event's timestamp is its time of receipt, not the box's own.
TIME_REPLACED = frozenset({"timestamp_invalid", "timestamp_implausible"})


def canonical_device_id(device_id: str) -> str:
    """Return the form in which device ids are compared: trimmed, lower case, without dashes.

    Boxes give one device's id in several forms: a dashed UUID in the device list and the same
    32 hex digits in the frames, in either letter case, sometimes padded (with spaces, NULs or a
    byte-order mark).
    """
    return trim(device_id).lower().replace("-", "")


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A camera, gate or panel attached to the box."""

    device_id: str
    name: str | None = None
    ip: str | None = None
    device_type: DeviceType = DeviceType.UNKNOWN
    device_type_raw: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # The camera's stream URL can hold a password: never shown, logged or compared.
    stream_url: str | None = field(default=None, repr=False, compare=False)

    @property
    def key(self) -> str:
        """Return the device id in its canonical form (canonical_device_id)."""
        return canonical_device_id(self.device_id)


@dataclass(frozen=True, slots=True, kw_only=True)
class Subscription:
    """What the client asks the box to push."""

    device_ids: tuple[str, ...]
    with_face: bool = True
    with_registered: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class RecognitionEvent:
    """One recognition pushed by the box, whatever generation it speaks."""

    device_id: str
    timestamp: datetime
    # What the box's clock said, as read (None: no time at all); timestamp is what is shown.
    box_time: datetime | None = None
    identity_id: str = ""
    identity_name: str = ""
    identity_info: dict[str, Any] = field(default_factory=dict)
    person_type: PersonType = PersonType.UNKNOWN
    person_type_code: int | None = None
    person_type_raw: str | None = None
    score: float | None = None
    score_raw: float | None = None
    group_name: str | None = None
    device_type: DeviceType = DeviceType.UNKNOWN
    device_type_raw: str | None = None
    device_ip: str | None = None
    event_id: str | None = None
    video_id: str | None = None
    face_attributes: dict[str, str] = field(default_factory=dict)
    # The pictures pushed with the event (a past event's are fetched from the box when asked).
    face_image: Picture | None = field(default=None, repr=False)
    scene_image: Jpeg | None = field(default=None, repr=False)
    registered_image: Picture | None = field(default=None, repr=False)
    # The scene photo where the box keeps it rather than pushing it (2.0, and past events):
    # fetched on request.
    scene_on_request: Picture | None = field(default=None, repr=False)
    problems: tuple[str, ...] = ()

    def picture(self, name: str) -> Picture | None:
        """Return the picture of a field (face_image, scene_image, registered_image).

        Pushed with the event, or, for the scene, kept by the box and fetched when asked for.
        """
        match name:
            case "face_image":
                return self.face_image
            case "scene_image":
                return self.scene_on_request if self.scene_image is None else self.scene_image
            case "registered_image":
                return self.registered_image
        raise ValueError(f"an event has no picture {name!r}")

    @property
    def time_from_box(self) -> bool:
        """Return False when timestamp is the time of receipt (the box's was missing or wrong)."""
        return TIME_REPLACED.isdisjoint(self.problems)

    @property
    def device_key(self) -> str:
        """Return the id of the device that saw the face, in its canonical form."""
        return canonical_device_id(self.device_id)

    @property
    def is_stranger(self) -> bool:
        """Return True when the face matched no registered person (the parsers decide)."""
        return self.person_type is PersonType.STRANGER


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryQuery:
    """Which past recognitions to ask a box for (api section 1); times are on our clock.

    device_ids: the devices (in any form; empty: all). limit: the most recognitions wanted;
    where more match, the newest are given.
    """

    start: datetime
    end: datetime | None = None
    device_ids: tuple[str, ...] = ()
    identity_id: str | None = None
    person_type: PersonType | None = None
    limit: int = 100


@dataclass(slots=True, kw_only=True)
class History:
    """The past recognitions a box gave for a query.

    recognitions: oldest first, at most the query's limit (the newest, where more matched).
    matched: how many the box gave that matched the query. complete: False when the box's
    pages were not all read (the client reads at most history.MAX_PAGES pages, for at most
    history.MAX_SECONDS); the recognitions are then the newest of those read.
    """

    recognitions: list[RecognitionEvent]
    matched: int
    complete: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoryPageRequest:
    """One page of a history query, as a generation sends it.

    start and end are on the box's clock (our time plus its time-zone error). filter_ms: the
    unit of the time filters: True milliseconds, False seconds, None not known yet (the start
    is then sent in seconds and the end in milliseconds: read in either unit, each bound then
    lets through at least what was asked, and the answer is filtered again here).
    """

    query: HistoryQuery
    start: datetime
    end: datetime | None
    page: int
    per_page: int
    filter_ms: bool | None

    def time_filters(self) -> tuple[int, int | None]:
        """Return the start and end filter values, in the units described above."""
        start_ms = self.filter_ms is True
        end_ms = self.filter_ms is not False
        start = math.floor(self.start.timestamp() * (1000 if start_ms else 1))
        if self.end is None:
            return start, None
        return start, math.ceil(self.end.timestamp() * (1000 if end_ms else 1))


@dataclass(slots=True, kw_only=True)
class HistoryPage:
    """One page of a box's answer: its raw events and what it says of the whole."""

    items: list[Any]
    # How many events the whole query matches, and the page size the box used (None: not said).
    total: int | None = None
    per_page: int | None = None

    @classmethod
    def of(cls, answer: dict[str, Any], items_key: str, per_page_key: str) -> HistoryPage:
        """Read a page: the events under items_key, pagination.{total_count, per_page_key}.

        Raises SophonResponseError when the answer holds no list of events.
        """
        items = answer.get(items_key)
        if not isinstance(items, list):
            raise SophonResponseError(f"no event list in the answer: {describe(answer)}")
        pagination = as_dict(answer.get("pagination")) or {}
        return cls(
            items=items,
            total=as_int(pagination.get("total_count")),
            per_page=as_int(pagination.get(per_page_key)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LibraryPerson:
    """One person of the box's face library, as the people calls give them; no picture held.

    groups: the 1.0 face-library groups (empty on 2.0); face_ids and image_ids: the person's
    faces and their registered pictures, in the box's order (2.0 pairs them; 1.0 gives one
    image id).
    """

    identity_id: str
    name: str = ""
    person_type: PersonType = PersonType.UNKNOWN
    person_type_raw: str | None = None
    groups: tuple[str, ...] = ()
    face_ids: tuple[str, ...] = ()
    image_ids: tuple[str, ...] = ()
    permission_ids: tuple[str, ...] = ()

    @property
    def registered_image_id(self) -> str | None:
        """Return the id of the person's registered photo (the first face's), if any."""
        return self.image_ids[0] if self.image_ids else None


@dataclass(frozen=True, slots=True, kw_only=True)
class NewPerson:
    """A person to register: name, type, one photo (JPEG bytes, never logged or shown).

    identity_id: None lets the box (2.0) or the client (1.0) choose one; group: the 1.0
    face-library group (None: default_group, else the box's first).
    """

    name: str
    person_type: PersonType
    jpeg: bytes = field(repr=False)
    identity_id: str | None = None
    group: str | None = None


@dataclass(slots=True, kw_only=True)
class People:
    """The people of a box's face library as listed: complete, or cut at a bound."""

    people: list[LibraryPerson] = field(default_factory=list)
    complete: bool = True


@dataclass(slots=True)
class ClientCounters:
    """What the receive loop has seen since the client was made."""

    frames_received: int = 0
    events_delivered: int = 0
    duplicates_dropped: int = 0
    images_dropped: int = 0
    reconnects: int = 0
    # Pushes reopened after a long silence; REST calls that judged a box ignoring pings alive.
    stale_reconnects: int = 0
    liveness_probes: int = 0
    # Scene photo fetches that failed for a passing reason (diagnostics show it on its own, so
    # as_dict leaves it out).
    scene_fetch_retries: int = 0
    frames_rejected: dict[str, int] = field(default_factory=dict)
    quirks_accepted: dict[str, int] = field(default_factory=dict)
    # Connections the box closed itself, by close code.
    closed_by_box: dict[str, int] = field(default_factory=dict)
    # History queries answered, failed, and the past recognitions they brought that could not
    # be read (no device, no time).
    history_queries: int = 0
    history_failures: int = 0
    history_rejected: int = 0

    @property
    def rejected_total(self) -> int:
        """Return the number of frames rejected for any reason."""
        return sum(self.frames_rejected.values())

    def as_dict(self) -> dict[str, Any]:
        """Return the counters as plain data."""
        return {
            "frames_received": self.frames_received,
            "events_delivered": self.events_delivered,
            "duplicates_dropped": self.duplicates_dropped,
            "images_dropped": self.images_dropped,
            "reconnects": self.reconnects,
            "stale_reconnects": self.stale_reconnects,
            "liveness_probes": self.liveness_probes,
            "frames_rejected": dict(self.frames_rejected),
            "quirks_accepted": dict(self.quirks_accepted),
            "closed_by_box": dict(self.closed_by_box),
            "history_queries": self.history_queries,
            "history_failures": self.history_failures,
            "history_rejected": self.history_rejected,
        }


class HealthCall(StrEnum):
    """One of the box's health calls (api section 4); each fails on its own."""

    CPU = "cpu"
    TEMPERATURE = "temperature"
    MEMORY = "memory"
    STORAGE = "storage"
    EXTERNAL_DISK = "external_disk"
    UPTIME = "uptime"
    PICTURE_STORE = "picture_store"


@dataclass(frozen=True, slots=True)
class SpaceUsage:
    """Memory or a disk: usage a fraction 0..1, sizes in bytes; None where unreadable.

    mounted: False for an external disk the box has none of (its other values are None).
    """

    usage: float | None = None
    total: int | None = None
    used: int | None = None
    free: int | None = None
    mounted: bool = True

    def as_dict(self) -> dict[str, Any]:
        """Return the values as plain data."""
        return {
            "mounted": self.mounted,
            "usage": self.usage,
            "total": self.total,
            "used": self.used,
            "free": self.free,
        }


@dataclass(frozen=True, slots=True)
class BoxHealth:
    """What the box's health calls told in one poll; None where a value was unreadable.

    failed: the calls that got no answer (their values are None). unreadable: the fields whose
    value could not be read, as "call.field". up_since: when the box started, on our clock.
    picture_store_ok: whether the box can write its pictures (None: unreadable).
    """

    cpu_usage: float | None = None
    core_temperature: float | None = None
    board_temperature: float | None = None
    memory: SpaceUsage | None = None
    storage: SpaceUsage | None = None
    external_disk: SpaceUsage | None = None
    up_since: datetime | None = None
    picture_store_ok: bool | None = None
    picture_store_path: str | None = None
    failed: frozenset[HealthCall] = frozenset()
    unreadable: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """Return the values as plain data (nothing personal in them)."""
        return {
            "cpu_usage": self.cpu_usage,
            "core_temperature": self.core_temperature,
            "board_temperature": self.board_temperature,
            "memory": None if self.memory is None else self.memory.as_dict(),
            "storage": None if self.storage is None else self.storage.as_dict(),
            "external_disk": None if self.external_disk is None else self.external_disk.as_dict(),
            "up_since": None if self.up_since is None else self.up_since.isoformat(),
            "picture_store_ok": self.picture_store_ok,
            "picture_store_path": self.picture_store_path,
            "failed": sorted(self.failed),
            "unreadable": list(self.unreadable),
        }
