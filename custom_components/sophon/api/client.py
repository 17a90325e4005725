"""Async client for a Sophon SE box: device list over REST, recognitions over WebSocket."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self

import aiohttp
from yarl import URL

from .coerce import JPEG_MAGIC, describe
from .decode import UndecodableError, parse_json
from .exceptions import (
    FrameRejectedError,
    SophonBoxStartingError,
    SophonConnectionClosedError,
    SophonConnectionError,
    SophonError,
    SophonNotSupportedError,
    SophonResponseError,
    SophonTimeoutError,
)
from .generation import Generation, Rest
from .models import ClientCounters, ConnectionState, Device, RecognitionEvent, Subscription
from .protocol_v1 import ProtocolV1
from .protocol_v2 import ProtocolV2

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
# Seconds between two reconnects without backoff after a frame the socket could not carry.
INSTANT_RECONNECT_EVERY = 1.0

type EventCallback = Callable[[RecognitionEvent], None]
type StateCallback = Callable[[ConnectionState], None]
type RejectCallback = Callable[[str], None]


class RateLimitedLog:
    """Log each kind of problem at most once per interval, counting what was held back."""

    def __init__(self, logger: logging.Logger, interval: float = 60.0) -> None:
        """Remember where to log and how often."""
        self._logger = logger
        self._interval = interval
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: Any) -> None:
        """Log a warning for key unless one was logged within the interval."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self._held[key] = self._held.get(key, 0) + 1
            return
        held = self._held.pop(key, 0)
        self._last[key] = now
        suffix = f" ({held} more since the last report)" if held else ""
        template = message + "%s"
        self._logger.warning(template, *args, suffix)


@dataclass(kw_only=True)
class Backoff:
    """Capped exponential backoff with full jitter."""

    initial: float = 1.0
    maximum: float = 60.0
    attempt: int = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt and count it."""
        ceiling = min(self.maximum, self.initial * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 32)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography

    def reset(self) -> None:
        """Start again from the initial delay."""
        self.attempt = 0


class Heartbeat:
    """Ping a quiet push, and end its read when the ping goes unanswered.

    Used as `with Heartbeat(ws, interval) as heartbeat:` around the read, like asyncio.timeout:
    one timer, re-armed lazily (a frame only sets `last_frame`, no timeout per receive()); an
    unanswered ping cancels the reading task, and leaving the block turns that cancellation
    into SophonConnectionClosedError (any other cancellation goes on).
    """

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
        """Remember the socket and the interval; the watch starts on entering the block."""
        self._loop = asyncio.get_running_loop()
        self._ws = ws
        self._interval = interval
        self._task: asyncio.Task[Any] | None = None
        self._cancelling = 0
        self._ping_sent: float | None = None
        self._pinging: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.last_frame = self._loop.time()
        self.expired = False

    def __enter__(self) -> Self:
        """Start watching, from the task that reads the socket."""
        self._task = asyncio.current_task()
        self._cancelling = self._task.cancelling() if self._task is not None else 0
        self.last_frame = self._loop.time()
        self._timer = self._loop.call_at(self.last_frame + self._interval, self._check)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        """Stop watching; report our own cancellation as a dead connection."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._pinging is not None and not self._pinging.done():
            self._pinging.cancel()
        if (
            exc_type is asyncio.CancelledError
            and self.expired
            and self._task is not None
            and self._task.uncancel() <= self._cancelling
        ):
            raise SophonConnectionClosedError("the box stopped answering pings") from None

    def _check(self) -> None:
        """Ping after `interval` s without a frame; give up `interval / 2` s after a ping."""
        now = self._loop.time()
        if self._ping_sent is not None and self.last_frame < self._ping_sent:
            if now < (deadline := self._ping_sent + self._interval / 2):
                self._timer = self._loop.call_at(deadline, self._check)
                return
            self._timer = None
            self.expired = True
            if self._task is not None:
                self._task.cancel()
            return
        self._ping_sent = None
        if now < (quiet_since := self.last_frame + self._interval):
            self._timer = self._loop.call_at(quiet_since, self._check)
            return
        self._ping_sent = now
        self._pinging = self._loop.create_task(self._ping())
        self._timer = self._loop.call_at(now + self._interval / 2, self._check)

    async def _ping(self) -> None:
        """Send one ping; a socket that fails here is found by the read or the next check."""
        with contextlib.suppress(aiohttp.ClientError, OSError, ConnectionError, RuntimeError):
            await self._ws.ping()


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
    backoff: Backoff = field(default_factory=Backoff)
    stable_after: float = 30.0
    generation: Generation | None = None
    counters: ClientCounters = field(default_factory=ClientCounters)
    state: ConnectionState = ConnectionState.DISCONNECTED
    # The time of receipt, against which a recognition's own time is checked (tests set it).
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    _own_session: bool = field(default=False, init=False)
    _reconnect_now: bool = field(default=False, init=False)
    _last_instant: float | None = field(default=None, init=False)
    _ws: aiohttp.ClientWebSocketResponse | None = field(default=None, init=False)
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
        """Receive recognitions until disconnect(), reconnecting with backoff on every drop."""
        # Each listen() has its own stop signal, so a late one can never revive an earlier one.
        stop = self._stop = asyncio.Event()
        self._on_reject = on_reject
        loop = asyncio.get_running_loop()
        first = True
        try:
            while not stop.is_set():
                self._set_state(ConnectionState.CONNECTING, on_state)
                opened = loop.time()
                try:
                    await self._check_generation(first)
                    if not stop.is_set():
                        await self._receive(subscription, on_event, on_state, stop)
                except SophonError as err:
                    _LOGGER.debug("Connection to %s ended: %s", self.host, err)
                except Exception:
                    # A bug in a callback must not end the push for good: log it and reconnect.
                    _LOGGER.exception("Unexpected error while listening to %s", self.host)
                first = False
                self._set_state(ConnectionState.DISCONNECTED, on_state)
                if stop.is_set():
                    break
                if loop.time() - opened >= self.stable_after:
                    self.backoff.reset()
                delay = self._next_delay(loop.time())
                self.counters.reconnects += 1
                _LOGGER.debug("Reconnecting to %s in %.1f s", self.host, delay)
                try:
                    async with asyncio.timeout(delay):
                        await stop.wait()
                except TimeoutError:
                    pass
        finally:
            self._set_state(ConnectionState.DISCONNECTED, on_state)

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
        except SophonError:
            # The REST port can come back after the push port (a reboot): go on if we can.
            if self.generation is None:
                raise

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
        if stop.is_set():  # disconnect() came while the socket was opening
            await ws.close()
            return
        self._ws = ws
        generation = self.generation
        assert generation is not None  # noqa: S101 - _check_generation ran first
        try:
            await ws.send_json(generation.subscription_message(subscription))
            self._set_state(ConnectionState.CONNECTED, on_state)
            await self._read(ws, on_event)
        except (aiohttp.ClientError, OSError) as err:
            raise SophonConnectionClosedError(f"{url} failed: {err}") from err
        finally:
            self._ws = None
            await ws.close()
        if not stop.is_set():
            raise SophonConnectionClosedError(f"{url} closed (code {ws.close_code})")

    async def _read(self, ws: aiohttp.ClientWebSocketResponse, on_event: EventCallback) -> None:
        """Read frames until the socket closes; ping when it is quiet, give up when no answer."""
        loop = asyncio.get_running_loop()
        turn_at = loop.time() + LOOP_TURN
        with Heartbeat(ws, self.heartbeat) as heartbeat:
            while True:
                message = await ws.receive()
                heartbeat.last_frame = now = loop.time()
                if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    self.handle_frame(message.data, on_event)
                    # receive() does not suspend while frames are buffered: a burst from this
                    # box would hold the loop (and other boxes' pings) as long as it lasts.
                    if now >= turn_at:
                        await asyncio.sleep(0)
                        turn_at = loop.time() + LOOP_TURN
                elif message.type is aiohttp.WSMsgType.PING:
                    await ws.pong(message.data)
                elif message.type is not aiohttp.WSMsgType.PONG:
                    self._note_undecodable_text(message)
                    return

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
            f"{event.device_id}|{event.event_id}|{event.timestamp.timestamp()}"
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
        """Parse with the box's generation; a frame of the other one is read too, and counted."""
        now = self.clock()
        ours = self.generation or GENERATIONS[-1]
        if ours.recognizes(frame):
            return ours.parse_event(frame, now)
        for other in GENERATIONS:
            if other is not ours and other.recognizes(frame):
                quirks = self.counters.quirks_accepted
                quirks["other_generation_frame"] = quirks.get("other_generation_frame", 0) + 1
                return other.parse_event(frame, now)
        return ours.parse_event(frame, now)

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
