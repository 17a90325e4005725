"""Async client for a Sophon SE box: device list over REST, recognitions over WebSocket.

`BoxClient` is the one facade; its jobs live beside it: `rest.py` (the HTTP calls, the
generation), `push.py` (the WebSocket and its reconnects), `frames.py` (frames into events),
`pictures.py` (an event's pictures and how to get their bytes), `history.py` (past
recognitions, with `history_v1.py` and `history_v2.py`), `people.py` (the face library, with
`people_v1.py` and `people_v2.py`), `health.py` (the box's health, with `health_v1.py` and
`health_v2.py`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sized
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

import aiohttp

from .clock import BoxTime, ClockWatch
from .connection import Backoff, Drop, PingBehaviour
from .frames import EventCallback, FrameReader, RejectCallback
from .generation import Generation
from .health import HealthReader
from .history import HistoryReader
from .models import (
    BoxHealth,
    ClientCounters,
    ConnectionState,
    Device,
    History,
    HistoryQuery,
    LibraryPerson,
    NewPerson,
    People,
    PersonType,
    Subscription,
)
from .people import MAX_PEOPLE, PeopleLibrary
from .pictures import BoxPictures
from .push import Listener, PushLoop, StateCallback, open_push
from .rest import BoxRest

DEFAULT_PORT = 5555
DEFAULT_WS_PORT = 5679
DEFAULT_VERSION_PORT = 8888
# A box is on the local network: the pause between reconnects grows to this many seconds only.
LOCAL_BACKOFF_MAX = 5.0


@dataclass(kw_only=True)
class BoxClient:
    """Talk to one Sophon box: read its devices and listen to its recognitions."""

    host: str
    port: int = DEFAULT_PORT
    ws_port: int = DEFAULT_WS_PORT
    version_port: int = DEFAULT_VERSION_PORT
    session: aiohttp.ClientSession | None = None
    request_timeout: float = 10.0
    heartbeat: float = 30.0
    backoff: Backoff = field(default_factory=lambda: Backoff(maximum=LOCAL_BACKOFF_MAX))
    stable_after: float = 30.0
    # Seconds without a recognition after which the push is reopened quietly (None: never).
    stale_after: float | None = None
    settle: float | None = None  # None: push.SETTLE
    # What the box does with pings, learnt on the first quiet interval and kept across reconnects.
    pings: PingBehaviour = PingBehaviour.UNKNOWN
    clock_watch: ClockWatch = field(default_factory=ClockWatch)
    # How the last push connection ended, and how many in a row the box refused early.
    last_drop: Drop | None = None
    refused_in_a_row: int = 0
    generation: Generation | None = None
    counters: ClientCounters = field(default_factory=ClientCounters)
    state: ConnectionState = ConnectionState.DISCONNECTED
    # The time of receipt, against which a recognition's own time is checked (tests set it).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _own_session: bool = field(default=False, init=False)
    _frames: FrameReader = field(init=False, repr=False)
    _rest: BoxRest = field(init=False, repr=False)
    _push: PushLoop = field(init=False, repr=False)
    _history: HistoryReader = field(init=False, repr=False)
    _people: PeopleLibrary = field(init=False, repr=False)
    _health: HealthReader = field(init=False, repr=False)

    def __post_init__(self) -> None:
        """Set up the client's jobs; each reads the settings above as they are when used."""
        self._frames = FrameReader(self)
        self._rest = BoxRest(self, self._frames)
        self._push = PushLoop(self, self._frames, self._rest)
        self._history = HistoryReader(self, self._rest)
        self._people = PeopleLibrary(self, self._rest)
        self._health = HealthReader(self, self._rest)

    async def __aenter__(self) -> Self:
        """Use the client as an async context manager."""
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Close what the client opened."""
        await self.close()

    @property
    def pictures(self) -> BoxPictures:
        """Return what makes and fetches the pictures of this box's events."""
        return self._frames.pictures

    @property
    def http_session(self) -> aiohttp.ClientSession:
        """Return the injected session, or one of the client's own (closed by close())."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._own_session = True
        return self.session

    @property
    def _seen(self) -> Sized:
        """Return the events remembered to drop a frame the box sends twice."""
        return self._frames.seen

    async def close(self) -> None:
        """Stop listening and close a session the client created itself."""
        await self.disconnect()
        if self._own_session and self.session is not None:
            await self.session.close()
            self.session = None
            self._own_session = False

    async def async_get_devices(self) -> list[Device]:
        """Return the devices attached to the box, finding out which generation it speaks."""
        previous = self.generation
        devices = await self._rest.devices()
        if previous is not None and self.generation is not previous:
            await self._push.close_socket()  # resubscribed in the generation it speaks now
        return devices

    async def async_get_firmware_version(self) -> str | None:
        """Return the box's firmware version, best effort: None when it cannot be read."""
        return await self._rest.system_value(
            "firmware version", lambda generation: generation.fetch_firmware_version
        )

    async def async_get_serial_number(self) -> str | None:
        """Return the box's serial number, best effort: None when it gives none (api section 4)."""
        return await self._rest.system_value(
            "serial number", lambda generation: generation.fetch_serial_number
        )

    async def async_get_hostname(self) -> str | None:
        """Return the box's host name, best effort: None when it cannot be read (api section 4)."""
        return await self._rest.system_value(
            "host name", lambda generation: generation.fetch_hostname
        )

    async def async_get_scene_image(self, event_id: str) -> bytes | None:
        """Fetch an event's scene photo from boxes that do not push it (generation 2.0).

        An event's pictures fetch themselves (RecognitionEvent.picture); this is the call below.
        """
        return await self._rest.scene_image(event_id)

    async def async_get_recognitions(self, query: HistoryQuery) -> History:
        """Return the box's past recognitions that match query, oldest first (api section 1).

        Their times are on our clock (a time-zone error of the box's clock taken off, as for the
        push); their pictures are fetched from the box when first asked for. Tolerates what api
        section 7 lists (see history.py). Raises SophonError when the box cannot be asked.
        """
        return await self._history.query(query)

    async def async_list_people(self, max_people: int = MAX_PEOPLE) -> People:
        """List the people of the box's face library, page by page, at most max_people.

        People.complete is False when a bound (people, pages) cut the list. Raises SophonError
        when the box cannot be asked.
        """
        return await self._people.list_people(max_people)

    async def async_get_person(self, identity_id: str) -> LibraryPerson:
        """Read one person of the face library (SophonPersonNotFoundError: none)."""
        return await self._people.get_person(identity_id)

    async def async_get_registered_photo(self, image_id: str) -> bytes:
        """Fetch a registered (library) photo by id: JPEG bytes, held by nobody here (api 2).

        Raises SophonNotFoundError when the box keeps no such photo, SophonError otherwise.
        """
        return await self._people.registered_photo(image_id)

    async def async_create_person(self, new: NewPerson) -> LibraryPerson:
        """Register a person with a photo (JPEG bytes, sent as plain base64; api 7.15).

        The box's refusals are SophonLibraryError subclasses: SophonNoFaceError,
        SophonLowQualityError (.checks), SophonPictureTooLargeError, SophonDuplicateError
        (.field), SophonLibraryFullError, SophonPictureUnreadableError.
        """
        return await self._people.create(new)

    async def async_set_person_type(
        self, identity_id: str, person_type: PersonType
    ) -> LibraryPerson:
        """Change a person's type; every other field is read first and sent back (api 7.17)."""
        return await self._people.set_type(identity_id, person_type)

    async def async_add_face(self, identity_id: str, jpeg: bytes) -> LibraryPerson:
        """Add a face (a photo, JPEG bytes) to a person; refusals as for a new person."""
        return await self._people.add_face(identity_id, jpeg)

    async def async_delete_face(self, identity_id: str, face: str) -> LibraryPerson:
        """Delete a face by its registered picture's id or face id (2.0; 1.0 has no such call)."""
        return await self._people.delete_face(identity_id, face)

    async def async_delete_person(self, identity_id: str) -> None:
        """Delete a person and their faces (never a group, never a wipe)."""
        await self._people.delete(identity_id)

    async def async_get_health(self) -> BoxHealth:
        """Read the box's health: each call on its own (BoxHealth.failed: those that failed).

        A value that cannot be read is None (BoxHealth.unreadable), logged rate-limited and
        counted (health_counts). Raises SophonError only when no health call answered.
        """
        return await self._health.read()

    @property
    def health_counts(self) -> dict[str, dict[str, int]]:
        """Return the health calls failed and the values unreadable, by name, since made."""
        return {
            "failed": dict(self._health.failures),
            "unreadable": dict(self._health.unreadable),
        }

    async def async_get_box_time(self) -> BoxTime | None:
        """Read the box's clock and time zone (api section 4); None when it gives none.

        The answer also feeds the clock watch, so a box whose whole clock is a time zone off is
        corrected before its first recognition.
        """
        return await self._rest.box_time()

    async def async_check_push(self) -> None:
        """Open the push port and close it again, subscribing to nothing.

        Raises SophonConnectionError (SophonTimeoutError) when it does not open.
        """
        _url, ws = await open_push(self)
        await ws.close()

    async def listen(
        self,
        subscription: Subscription,
        on_event: EventCallback,
        on_state: StateCallback | None = None,
        on_reject: RejectCallback | None = None,
        on_connection: Callable[[], None] | None = None,
    ) -> None:
        """Receive recognitions until disconnect(), reconnecting with backoff on every drop.

        A stale push (no recognition for stale_after s) is reopened at once and quietly: the
        state stays CONNECTED unless the new connection fails. on_reject is told the reason of
        each frame that cannot be a recognition; on_connection is called each time a
        connection proves up, a quiet reopen included (what the box recognized meanwhile is
        not pushed: ask its history).
        """
        self._frames.follow(subscription, on_reject)
        await self._push.listen(
            Listener(subscription, on_event, on_state, asyncio.Event(), on_connection)
        )

    async def disconnect(self) -> None:
        """Stop a running listen() and close the WebSocket."""
        await self._push.disconnect()

    def feed_frame(self, data: str | bytes, on_event: EventCallback) -> None:
        """Handle one pushed frame: parse, de-duplicate, count, and call on_event with its event.

        Every frame the push reads enters here (a bad one is counted and logged, not raised).
        The seam for benchmarks and profiling: call it with captured frames and no socket, or
        wrap it on an instance to time each frame of a live push.
        """
        self._frames.handle(data, on_event)
