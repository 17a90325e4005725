"""Async client for a Sophon SE box: device list over REST, recognitions over WebSocket."""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import aiohttp
from yarl import URL

from .clock import BoxTime, ClockWatch, box_time
from .coerce import JPEG_MAGIC, describe
from .connection import Backoff, Drop, Heartbeat, PingBehaviour, RateLimitedLog
from .decode import UndecodableError, parse_json
from .exceptions import (
    FrameRejectedError,
    SophonBoxStartingError,
    SophonConnectionClosedError,
    SophonConnectionError,
    SophonError,
    SophonNotSupportedError,
    SophonResponseError,
    SophonStaleStreamError,
    SophonTimeoutError,
)
from .generation import Generation, Rest
from .models import ClientCounters, ConnectionState, Device, RecognitionEvent, Subscription
from .protocol_v1 import ProtocolV1
from .protocol_v2 import ProtocolV2
from .text import clean_text, shorten

_LOGGER = logging.getLogger(__name__)

DEFAULT_PORT = 5555
DEFAULT_WS_PORT = 5679
DEFAULT_VERSION_PORT = 8888
# Tried in this order when a box's generation is not known yet (protocol-v2.md section 1).
GENERATIONS: tuple[Generation, ...] = (ProtocolV2(), ProtocolV1())
# HTTP statuses that mean "no such call here": the box speaks the other generation.
_NOT_SUPPORTED = {404, 405, 501}
# Frames with three images are hundreds of KB; accept far more than any real box sends.
MAX_FRAME_BYTES = 32 * 1024 * 1024
# Seconds a close waits for the box's answer to the close frame before dropping the connection:
# a box that ignores the close handshake must not hold up unloading or Home Assistant's stop
# (aiohttp's default is 10 s).
CLOSE_TIMEOUT = 1.0
# Event ids remembered to drop a frame the box sends twice.
DEDUP_WINDOW = 1024
# Seconds of frames handled back to back before the listener lets the event loop turn.
LOOP_TURN = 0.01
# A box is on the local network: the pause between reconnects grows to this many seconds only.
LOCAL_BACKOFF_MAX = 5.0
# While waiting to reconnect to a box whose REST port did not answer, ask it this often: the
# push is tried at once when it answers again.
REST_WATCH_EVERY = 1.0
# Seconds between two reconnects without backoff after a frame the socket could not carry.
INSTANT_RECONNECT_EVERY = 1.0
# Seconds a new push connection must stay open to count as connected, unless a recognition
# proves it first. A pong proves nothing: WebSocket libraries answer pings before a box's own
# code decides to refuse the client.
SETTLE = 1.0
# Close codes that state no reason: normal closure and going away (RFC 6455 section 7.4.1).
PLAIN_CLOSES = frozenset({1000, 1001})
# Close reasons are at most 123 bytes (RFC 6455 section 5.5); kept to this many characters.
MAX_CLOSE_REASON = 123

type EventCallback = Callable[[RecognitionEvent], None]
type StateCallback = Callable[[ConnectionState], None]
type RejectCallback = Callable[[str], None]


@dataclass(slots=True)
class _Link:
    """What one push connection has shown so far (see Drop for how it ended)."""

    opened: float
    cause: str = "closed"
    proven: bool = False
    close_code: int | None = None
    close_reason: str = ""


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
    settle: float | None = None  # None: SETTLE
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
    _reconnect_now: bool = field(default=False, init=False)
    _last_instant: float | None = field(default=None, init=False)
    _ws: aiohttp.ClientWebSocketResponse | None = field(default=None, init=False)
    _link: _Link = field(default_factory=lambda: _Link(0.0), init=False)
    # The REST port did not answer when last asked: a wait to reconnect ends when it answers.
    _rest_down: bool = field(default=False, init=False)
    _on_reject: RejectCallback | None = field(default=None, init=False)
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _seen: OrderedDict[str, None] = field(default_factory=OrderedDict, init=False)
    _log: RateLimitedLog = field(default_factory=lambda: RateLimitedLog(_LOGGER), init=False)

    async def __aenter__(self) -> Self:
        """Use the client as an async context manager."""
        return self

    async def __aexit__(self, *_exc: object) -> None:
        """Close what the client opened."""
        await self.close()

    @property
    def _session(self) -> aiohttp.ClientSession:
        """Return the injected session, or one of our own."""
        if self.session is None:
            self.session = aiohttp.ClientSession()
            self._own_session = True
        return self.session

    async def close(self) -> None:
        """Stop listening and close a session the client created itself."""
        await self.disconnect()
        if self._own_session and self.session is not None:
            await self.session.close()
            self.session = None
            self._own_session = False

    async def async_get_devices(self) -> list[Device]:
        """Return the devices attached to the box, finding out which generation it speaks."""
        if self.generation is not None:
            try:
                return await self.generation.fetch_devices(self._rest)
            except SophonNotSupportedError:
                _LOGGER.info(
                    "%s no longer answers protocol %s; detecting again",
                    self.host,
                    self.generation.name,
                )
        return await self._detect()

    async def _detect(self) -> list[Device]:
        """Try each generation's device list, newest first, and remember the one that answers."""
        errors: list[SophonResponseError] = []
        for generation in GENERATIONS:
            try:
                devices = await generation.fetch_devices(self._rest)
            except SophonNotSupportedError as err:
                errors.append(err)
                continue
            except SophonResponseError as err:
                if generation is GENERATIONS[-1] or isinstance(err, SophonBoxStartingError):
                    raise
                errors.append(err)
                continue
            await self._use(generation)
            return devices
        raise SophonResponseError(
            f"{self.host} answers no known protocol: {'; '.join(map(str, errors))}"
        )

    async def _use(self, generation: Generation) -> None:
        """Remember the box's generation; resubscribe an open push that spoke another."""
        if generation is self.generation:
            return
        _LOGGER.info("%s speaks protocol %s", self.host, generation.name)
        previous, self.generation = self.generation, generation
        if previous is not None and self._ws is not None:
            await self._ws.close()

    async def async_get_firmware_version(self) -> str | None:
        """Return the box's firmware version, best effort: None when it cannot be read."""
        return await self._system_value(
            "firmware version", lambda generation: generation.fetch_firmware_version
        )

    async def async_get_serial_number(self) -> str | None:
        """Return the box's serial number, best effort: None when it gives none (api section 4)."""
        return await self._system_value(
            "serial number", lambda generation: generation.fetch_serial_number
        )

    async def async_get_hostname(self) -> str | None:
        """Return the box's host name, best effort: None when it cannot be read (api section 4)."""
        return await self._system_value("host name", lambda generation: generation.fetch_hostname)

    async def _system_value(
        self, what: str, call: Callable[[Generation], Callable[[Rest, int], Awaitable[str | None]]]
    ) -> str | None:
        """Ask the system port, the box's own generation first; None when neither answers."""
        ordered = sorted(GENERATIONS, key=lambda generation: generation is not self.generation)
        for generation in ordered:
            try:
                value = await call(generation)(self._rest, self.version_port)
            except SophonConnectionError as err:  # the port is down: the other one would be too
                _LOGGER.debug("No %s from %s: %s", what, self.host, err)
                return None
            except SophonError as err:
                _LOGGER.debug("No %s %s from %s: %s", generation.name, what, self.host, err)
                continue
            if value:
                return value
        return None

    async def async_get_scene_image(self, event_id: str) -> bytes | None:
        """Fetch an event's scene photo from boxes that do not push it (protocol 2.0)."""
        if self.generation is None:
            return None
        return await self.generation.fetch_scene_image(self._rest, event_id)

    async def _rest(
        self,
        method: str,
        path: str,
        body: dict[str, Any] | None = None,
        *,
        params: dict[str, str] | None = None,
        port: int | None = None,
        raw: bool = False,
    ) -> Any:
        """Call the box's HTTP API and return the decoded JSON answer.

        raw: return the bytes of a JPEG answer; an answer that is no JPEG is decoded as JSON
        (a box's error envelope) and returned as such, or raises SophonResponseError.
        """
        url = URL.build(scheme="http", host=self.host, port=port or self.port, path=path)
        try:
            async with asyncio.timeout(self.request_timeout):
                response = await self._session.request(method, url, json=body, params=params)
                content = await response.read()
        except TimeoutError as err:
            raise SophonTimeoutError(f"{url} did not answer in {self.request_timeout} s") from err
        except (aiohttp.ClientError, OSError) as err:
            raise SophonConnectionError(f"cannot reach {url}: {err}") from err
        if response.status in _NOT_SUPPORTED:
            raise SophonNotSupportedError(f"{url} answered HTTP {response.status}", response.status)
        if response.status >= 400:  # noqa: PLR2004
            raise SophonResponseError(f"{url} answered HTTP {response.status}: {describe(content)}")
        if raw and content.startswith(JPEG_MAGIC):
            return content
        try:
            answer, quirks = parse_json(content)
        except ValueError as err:
            expected = "JPEG" if raw else "JSON"
            raise SophonResponseError(
                f"{url} answered with no {expected}: {describe(content)}"
            ) from err
        for quirk in quirks:
            self._count_problem(quirk)
        return answer

    async def disconnect(self) -> None:
        """Stop a running listen() and close the WebSocket."""
        self._stop.set()
        if self._ws is not None:
            await self._ws.close()

    async def listen(
        self,
        subscription: Subscription,
        on_event: EventCallback,
        on_state: StateCallback | None = None,
        on_reject: RejectCallback | None = None,
    ) -> None:
        """Receive recognitions until disconnect(), reconnecting with backoff on every drop.

        A stale push (no recognition for stale_after s) is reopened at once and quietly: the
        state stays CONNECTED unless the new connection fails.
        """
        # Each listen() has its own stop signal, so a late one can never revive an earlier one.
        stop = self._stop = asyncio.Event()
        self._on_reject = on_reject
        first, quiet = True, False
        try:
            while not stop.is_set():
                if not quiet:
                    self._set_state(ConnectionState.CONNECTING, on_state)
                link = await self._connect_once(subscription, on_event, on_state, stop, first)
                first, quiet = False, link.cause == "stale"
                if not quiet:
                    self._set_state(ConnectionState.DISCONNECTED, on_state)
                if stop.is_set():
                    break
                await self._wait_to_reconnect(link, quiet, stop)
        finally:
            self._set_state(ConnectionState.DISCONNECTED, on_state)

    async def _connect_once(
        self,
        subscription: Subscription,
        on_event: EventCallback,
        on_state: StateCallback | None,
        stop: asyncio.Event,
        first: bool,
    ) -> Drop:
        """Open, subscribe and read one push connection; return how it ended."""
        link = self._link = _Link(asyncio.get_running_loop().time())
        try:
            await self._check_generation(first)
            if not stop.is_set():
                await self._receive(subscription, on_event, on_state, stop)
        except SophonStaleStreamError as err:
            link.cause = "stale"
            self.counters.stale_reconnects += 1
            _LOGGER.info("%s; reopening the push of %s", err, self.host)
        except SophonError as err:
            link.cause = str(err)
            _LOGGER.debug("Connection to %s ended: %s", self.host, err)
        except Exception:
            # A bug in a callback must not end the push for good: log it and reconnect.
            link.cause = "unexpected error"
            _LOGGER.exception("Unexpected error while listening to %s", self.host)
        return self._ended(link)

    def _ended(self, link: _Link) -> Drop:
        """Record how a connection ended; count the box's early refusals in a row.

        A refusal is a close by the box that states a reason: a code other than a plain close
        or going away (a policy, "try again later", its own), or any reason text.
        """
        lasted = asyncio.get_running_loop().time() - link.opened
        drop = Drop(
            cause=link.cause,
            by_box=link.close_code is not None,
            close_code=link.close_code,
            close_reason=link.close_reason,
            proven=link.proven,
            lasted=lasted,
        )
        if drop.by_box:
            key = str(drop.close_code)
            closes = self.counters.closed_by_box
            closes[key] = closes.get(key, 0) + 1
        refused = drop.by_box and (drop.close_code not in PLAIN_CLOSES or bool(drop.close_reason))
        early = refused and lasted < self.stable_after
        self.refused_in_a_row = self.refused_in_a_row + 1 if early else 0
        self.last_drop = drop
        return drop

    async def _wait_to_reconnect(self, drop: Drop, quiet: bool, stop: asyncio.Event) -> None:
        """Wait the backoff delay (none for a quiet reconnect), or until disconnect()."""
        loop = asyncio.get_running_loop()
        if drop.lasted >= self.stable_after:
            self.backoff.reset()
        delay = 0.0 if quiet else self._next_delay(loop.time())
        self.counters.reconnects += 1
        _LOGGER.debug("Reconnecting to %s in %.1f s", self.host, delay)
        try:
            async with asyncio.timeout(delay):
                await self._watch_rest(stop)
        except TimeoutError:
            pass

    async def _watch_rest(self, stop: asyncio.Event) -> None:
        """Return on disconnect(), or when the box's REST port answers after it did not.

        Asked every REST_WATCH_EVERY s; the caller's timeout ends the wait otherwise.
        """
        while not stop.is_set():
            try:
                async with asyncio.timeout(REST_WATCH_EVERY):
                    await stop.wait()
            except TimeoutError:
                pass
            if stop.is_set():
                return
            down, self._rest_down = self._rest_down, not await self._rest_answers()
            if down and not self._rest_down:
                _LOGGER.debug("%s answers again; reconnecting at once", self.host)
                return

    async def _rest_answers(self) -> bool:
        """Return True when the box's REST port answers (whatever it says: it is alive)."""
        if self.generation is None:
            return False
        try:
            await self.generation.fetch_devices(self._rest)
        except SophonConnectionError as err:
            _LOGGER.debug("%s does not answer its REST port: %s", self.host, err)
            return False
        except SophonError:
            pass
        return True

    def _next_delay(self, now: float) -> float:
        """Return the wait before reconnecting: none after a frame the socket could not carry.

        The box is fine then, the frame was not; still, at most once per INSTANT_RECONNECT_EVERY
        (a box that sends nothing else is not called back in a tight loop).
        """
        instant, self._reconnect_now = self._reconnect_now, False
        if instant and (
            self._last_instant is None or now - self._last_instant >= INSTANT_RECONNECT_EVERY
        ):
            self._last_instant = now
            return 0.0
        return self.backoff.next_delay()

    async def _check_generation(self, first: bool) -> None:
        """Know the generation before subscribing; after a drop, check it is still the same."""
        if self.generation is not None and first:
            return
        try:
            await self.async_get_devices()
        except SophonError as err:
            self._rest_down = isinstance(err, SophonConnectionError)
            # The REST port can come back after the push port (a reboot): go on if we can.
            if self.generation is None:
                raise
        else:
            self._rest_down = False

    def _set_state(self, state: ConnectionState, on_state: StateCallback | None) -> None:
        """Record a connection state change and report it once."""
        if state is self.state:
            return
        self.state = state
        if on_state is not None:
            try:
                on_state(state)
            except Exception:
                _LOGGER.exception("State handler failed for %s", self.host)

    async def _receive(
        self,
        subscription: Subscription,
        on_event: EventCallback,
        on_state: StateCallback | None,
        stop: asyncio.Event,
    ) -> None:
        """Open one WebSocket, subscribe and hand every frame to the parser until it closes."""
        url, ws = await self._open_push()
        if stop.is_set():  # disconnect() came while the socket was opening
            await ws.close()
            return
        self._ws = ws
        assert self.generation is not None  # noqa: S101 - _check_generation ran first
        settle = SETTLE if self.settle is None else self.settle
        settled = asyncio.get_running_loop().call_later(settle, self._prove, on_state)
        try:
            await ws.send_json(self.generation.subscription_message(subscription))
            await ws.ping()  # a pong at once tells that the box answers pings
            await self._read(ws, on_event, on_state)
        except (aiohttp.ClientError, OSError) as err:
            raise SophonConnectionClosedError(f"{url} failed: {err}") from err
        finally:
            settled.cancel()
            self._ws = None
            await ws.close()
        if not stop.is_set():
            raise SophonConnectionClosedError(self._closed_text(url, ws.close_code))

    async def _open_push(self) -> tuple[URL, aiohttp.ClientWebSocketResponse]:
        """Open the push WebSocket (not subscribed yet); raise SophonConnectionError if it fails."""
        url = URL.build(scheme="ws", host=self.host, port=self.ws_port, path="/")
        try:
            async with asyncio.timeout(self.request_timeout):
                ws = await self._session.ws_connect(
                    url,
                    autoping=False,
                    max_msg_size=MAX_FRAME_BYTES,
                    timeout=aiohttp.ClientWSTimeout(ws_close=CLOSE_TIMEOUT),
                )
        except TimeoutError as err:
            raise SophonTimeoutError(f"{url} did not open in time") from err
        except (aiohttp.ClientError, OSError) as err:
            raise SophonConnectionError(f"cannot open {url}: {err}") from err
        return url, ws

    async def async_check_push(self) -> None:
        """Open the push port and close it again, subscribing to nothing.

        Raises SophonConnectionError (SophonTimeoutError) when it does not open.
        """
        _url, ws = await self._open_push()
        await ws.close()

    def _closed_text(self, url: URL, code: int | None) -> str:
        """Describe a closed connection, with the box's close code and reason when it gave one."""
        link = self._link
        if link.close_code is None:
            return f"{url} closed (code {code})"
        reason = f": {link.close_reason}" if link.close_reason else ""
        return f"{url} closed by the box (code {link.close_code}{reason})"

    def _prove(self, on_state: StateCallback | None) -> None:
        """Count the connection as up: it delivered a frame, or stayed open `settle` s."""
        if not self._link.proven:
            self._link.proven = True
            self._set_state(ConnectionState.CONNECTED, on_state)

    async def _probe(self) -> bool:
        """Ask the box's REST port whether it is alive (for a box that ignores pings)."""
        if self.generation is None:
            return False
        self.counters.liveness_probes += 1
        return await self._rest_answers()

    async def _read(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        on_event: EventCallback,
        on_state: StateCallback | None,
    ) -> None:
        """Read frames until the socket closes, under the heartbeat's watch."""
        loop = asyncio.get_running_loop()
        turn_at = loop.time() + LOOP_TURN
        with Heartbeat(
            ws,
            self.heartbeat,
            pings=self.pings,
            probe=self._probe,
            stale_after=self.stale_after,
            on_pings=self._learn_pings,
        ) as heartbeat:
            while True:
                message = await ws.receive()
                heartbeat.last_frame = now = loop.time()
                if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    heartbeat.last_data = now
                    self._prove(on_state)
                    self.handle_frame(message.data, on_event)
                    # receive() does not suspend while frames are buffered: a burst from
                    # this box would hold the loop (and other boxes' pings) as it lasts.
                    if now >= turn_at:
                        await asyncio.sleep(0)
                        turn_at = loop.time() + LOOP_TURN
                elif message.type is aiohttp.WSMsgType.PING:
                    await ws.pong(message.data)
                elif message.type is aiohttp.WSMsgType.PONG:
                    heartbeat.pong()
                else:
                    self._note_end(message)
                    return

    def _learn_pings(self, pings: PingBehaviour) -> None:
        """Remember what the box does with pings; say so once when it ignores them."""
        if pings is self.pings:
            return
        self.pings = pings
        if pings is PingBehaviour.IGNORES:
            _LOGGER.info(
                "%s does not answer WebSocket pings; its REST port tells whether it is alive",
                self.host,
            )

    def _note_end(self, message: aiohttp.WSMessage) -> None:
        """Keep the box's close code and reason; count a text frame that is not UTF-8."""
        if message.type is aiohttp.WSMsgType.CLOSE:
            self._link.close_code = message.data
            self._link.close_reason = shorten(clean_text(message.extra or ""), MAX_CLOSE_REASON)
            return
        self._note_undecodable_text(message)

    def _note_undecodable_text(self, message: aiohttp.WSMessage) -> None:
        """Count a TEXT frame that is not UTF-8 (aiohttp closes with 1007), reconnect at once."""
        error = message.data if message.type is aiohttp.WSMsgType.ERROR else None
        if getattr(error, "code", None) != aiohttp.WSCloseCode.INVALID_TEXT:
            return
        self.counters.frames_received += 1
        self._reject(FrameRejectedError("text_not_utf8", "a text frame in another encoding"))
        self._reconnect_now = True

    def handle_frame(self, data: str | bytes, on_event: EventCallback) -> None:
        """Parse a frame and deliver its event; a bad frame is counted and logged, not raised."""
        self.counters.frames_received += 1
        try:
            event = self._parse(data)
        except FrameRejectedError as err:
            self._reject(err)
            return
        if event.event_id is not None and self._is_duplicate(
            f"{event.device_id}|{event.event_id}|{(event.box_time or event.timestamp).timestamp()}"
        ):
            self.counters.duplicates_dropped += 1
            return
        for problem in event.problems:
            self._count_problem(problem)
        self.counters.events_delivered += 1
        try:
            on_event(event)
        except Exception:
            _LOGGER.exception("Event handler failed for an event from %s", self.host)

    def _reject(self, err: FrameRejectedError) -> None:
        """Count and log (rate-limited) a frame that cannot be an event, and report it."""
        rejected = self.counters.frames_rejected
        rejected[err.reason] = rejected.get(err.reason, 0) + 1
        self._log.warning(err.reason, "Dropped a frame from %s: %s", self.host, err)
        if self._on_reject is not None:
            try:
                self._on_reject(err.reason)
            except Exception:
                _LOGGER.exception("Reject handler failed for %s", self.host)

    def _parse(self, data: str | bytes) -> RecognitionEvent:
        """Decode one frame into an event or raise FrameRejectedError."""
        try:
            frame, quirks = parse_json(data)
        except UndecodableError as err:
            raise FrameRejectedError(err.reason, err.detail) from err
        for quirk in quirks:
            self._count_problem(quirk)
        if not isinstance(frame, dict):
            raise FrameRejectedError("not_an_object", f"got {type(frame).__name__}")
        return self._parse_object(frame)

    def _parse_object(self, frame: dict[str, Any]) -> RecognitionEvent:
        """Parse a frame on our clock: the box's time-zone error is taken off its time."""
        now = self.clock()
        # Judged against our clock moved by the correction, so a time a zone off is plausible.
        event = self.clock_watch.on_our_clock(
            self._parse_on(frame, now + self.clock_watch.correction), now
        )
        if self.clock_watch.observe_recognition(event.box_time, now):
            self._log_correction()
        return event

    def _parse_on(self, frame: dict[str, Any], box_now: datetime) -> RecognitionEvent:
        """Parse with the box's generation; a frame of the other one is read too, and counted."""
        ours = self.generation or GENERATIONS[-1]
        if ours.recognizes(frame):
            return ours.parse_event(frame, box_now)
        for other in GENERATIONS:
            if other is not ours and other.recognizes(frame):
                quirks = self.counters.quirks_accepted
                quirks["other_generation_frame"] = quirks.get("other_generation_frame", 0) + 1
                return other.parse_event(frame, box_now)
        return ours.parse_event(frame, box_now)

    def _log_correction(self) -> None:
        """Say once per change how the box's times are corrected."""
        correction = self.clock_watch.correction
        if not correction:
            _LOGGER.info("%s stamps recognitions on time again; no longer corrected", self.host)
            return
        _LOGGER.warning(
            "%s stamps recognitions %+.2g h off, as if its local time were UTC; they are shown "
            "corrected by that much (set the box's time zone or clock to stop this)",
            self.host,
            correction.total_seconds() / 3600,
        )

    async def async_get_box_time(self) -> BoxTime | None:
        """Read the box's clock and time zone (api section 4); None when it gives none.

        The answer also feeds the clock watch, so a box whose whole clock is a time zone off is
        corrected before its first recognition.
        """
        generation = self.generation
        if generation is None:
            return None
        asked = self.clock()
        try:
            time_ms, timezone = await generation.fetch_box_time(self._rest, self.version_port)
        except SophonError as err:
            _LOGGER.debug("No time from %s: %s", self.host, err)
            return None
        answer = box_time(time_ms, timezone, asked, self.clock())
        if answer is not None and self.clock_watch.observe_box_time(answer):
            self._log_correction()
        return answer

    def _is_duplicate(self, key: str) -> bool:
        """Remember an event's device, id and time; return True when seen recently."""
        if key in self._seen:
            return True
        self._seen[key] = None
        if len(self._seen) > DEDUP_WINDOW:
            self._seen.popitem(last=False)
        return False

    def note_dropped_image(self, name: str, reason: str) -> None:
        """Count and log a picture found bad after its event was delivered (when decoded)."""
        self._count_problem(f"{reason}:{name}")

    def _count_problem(self, problem: str) -> None:
        """Count a tolerated quirk, and log dropped images."""
        quirks = self.counters.quirks_accepted
        quirks[problem] = quirks.get(problem, 0) + 1
        if problem.startswith("image_"):
            self.counters.images_dropped += 1
            reason, _, image = problem.partition(":")
            self._log.warning(
                problem, "Dropped the %s of an event from %s: %s", image, self.host, reason
            )
