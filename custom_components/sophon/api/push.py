"""A box's push: one WebSocket connection read under a heartbeat, and the loop that reopens it.

`PushConnection` is one connection (open, subscribe, read until it ends, say how it ended);
`PushLoop` keeps reopening them with backoff until the client disconnects, and reports the
connection state. The pieces they share (backoff, heartbeat, Drop) are in connection.py.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import aiohttp
from yarl import URL

from .connection import Drop, Heartbeat, PingBehaviour
from .exceptions import (
    FrameRejectedError,
    SophonConnectionClosedError,
    SophonConnectionError,
    SophonError,
    SophonStaleStreamError,
    SophonTimeoutError,
)
from .frames import EventCallback, FrameReader
from .models import ConnectionState, Subscription
from .text import clean_text, shorten

if TYPE_CHECKING:
    from .client import BoxClient
    from .rest import BoxRest

_LOGGER = logging.getLogger(__name__)

# Frames with three images are hundreds of KB; accept far more than any real box sends.
MAX_FRAME_BYTES = 32 * 1024 * 1024
# Seconds a close waits for the box's answer to the close frame before dropping the connection:
# a box that ignores the close handshake must not hold up unloading or Home Assistant's stop
# (aiohttp's default is 10 s).
CLOSE_TIMEOUT = 1.0
# Seconds of frames handled back to back before the listener lets the event loop turn.
LOOP_TURN = 0.01
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

type StateCallback = Callable[[ConnectionState], None]


@dataclass(slots=True)
class Listener:
    """What one listen() delivers to, and the signal that ends it.

    on_connection: called each time a connection proves up, a quiet reopen included (the
    state, which stays CONNECTED then, is reported once).
    """

    subscription: Subscription
    on_event: EventCallback
    on_state: StateCallback | None
    stop: asyncio.Event
    on_connection: Callable[[], None] | None = None


async def open_push(client: BoxClient) -> tuple[URL, aiohttp.ClientWebSocketResponse]:
    """Open the push WebSocket (not subscribed yet); raise SophonConnectionError if it fails."""
    url = URL.build(scheme="ws", host=client.host, port=client.ws_port, path="/")
    try:
        async with asyncio.timeout(client.request_timeout):
            ws = await client.http_session.ws_connect(
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


class PushConnection:
    """One push connection: subscribe, read frames under the heartbeat's watch, note the end."""

    def __init__(self, client: BoxClient, rest: BoxRest, on_proven: Callable[[], None]) -> None:
        """Prepare a connection of client's box; on_proven is called once it counts as up."""
        self._client = client
        self._rest = rest
        self._on_proven = on_proven
        self.opened = asyncio.get_running_loop().time()
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        # How it ended: what went wrong, and the box's close code and reason if it closed it.
        self.cause = "closed"
        self.proven = False
        self.close_code: int | None = None
        self.close_reason = ""
        # It ended on a frame the socket could not carry: reconnect without backoff.
        self.unreadable_frame = False

    async def run(self, listener: Listener, frames: FrameReader) -> None:
        """Open the WebSocket, subscribe and hand every frame to frames until it closes."""
        url, ws = await open_push(self._client)
        if listener.stop.is_set():  # disconnect() came while the socket was opening
            await ws.close()
            return
        self.ws = ws
        generation = self._client.generation
        assert generation is not None  # noqa: S101 - the loop checked the generation first
        settle = SETTLE if self._client.settle is None else self._client.settle
        settled = asyncio.get_running_loop().call_later(settle, self._prove)
        try:
            await ws.send_json(generation.subscription_message(listener.subscription))
            await ws.ping()  # a pong at once tells that the box answers pings
            await self._read(ws, listener.on_event, frames)
        except (aiohttp.ClientError, OSError) as err:
            raise SophonConnectionClosedError(f"{url} failed: {err}") from err
        finally:
            settled.cancel()
            self.ws = None
            await ws.close()
        if not listener.stop.is_set():
            raise SophonConnectionClosedError(self._closed_text(url, ws.close_code))

    def drop(self) -> Drop:
        """Return how the connection ended."""
        return Drop(
            cause=self.cause,
            by_box=self.close_code is not None,
            close_code=self.close_code,
            close_reason=self.close_reason,
            proven=self.proven,
            lasted=asyncio.get_running_loop().time() - self.opened,
        )

    async def _read(
        self, ws: aiohttp.ClientWebSocketResponse, on_event: EventCallback, frames: FrameReader
    ) -> None:
        """Read frames until the socket closes, under the heartbeat's watch."""
        client = self._client
        loop = asyncio.get_running_loop()
        turn_at = loop.time() + LOOP_TURN
        with Heartbeat(
            ws,
            client.heartbeat,
            pings=client.pings,
            probe=self._probe,
            stale_after=client.stale_after,
            on_pings=self._learn_pings,
        ) as heartbeat:
            while True:
                message = await ws.receive()
                heartbeat.last_frame = now = loop.time()
                if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                    heartbeat.last_data = now
                    self._prove()
                    client.feed_frame(message.data, on_event)
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
                    self._note_end(message, frames)
                    return

    def _prove(self) -> None:
        """Count the connection as up: it delivered a frame, or stayed open `settle` s."""
        if not self.proven:
            self.proven = True
            self._on_proven()

    async def _probe(self) -> bool:
        """Ask the box's REST port whether it is alive (for a box that ignores pings)."""
        if self._client.generation is None:
            return False
        self._client.counters.liveness_probes += 1
        return await self._rest.answers()

    def _learn_pings(self, pings: PingBehaviour) -> None:
        """Remember what the box does with pings; say so once when it ignores them."""
        if pings is self._client.pings:
            return
        self._client.pings = pings
        if pings is PingBehaviour.IGNORES:
            _LOGGER.info(
                "%s does not answer WebSocket pings; its REST port tells whether it is alive",
                self._client.host,
            )

    def _note_end(self, message: aiohttp.WSMessage, frames: FrameReader) -> None:
        """Keep the box's close code and reason; count a text frame that is not UTF-8."""
        if message.type is aiohttp.WSMsgType.CLOSE:
            self.close_code = message.data
            self.close_reason = shorten(clean_text(message.extra or ""), MAX_CLOSE_REASON)
            return
        # A TEXT frame that is not UTF-8 (aiohttp closes with 1007): counted, reconnect at once.
        error = message.data if message.type is aiohttp.WSMsgType.ERROR else None
        if getattr(error, "code", None) != aiohttp.WSCloseCode.INVALID_TEXT:
            return
        self._client.counters.frames_received += 1
        frames.reject(FrameRejectedError("text_not_utf8", "a text frame in another encoding"))
        self.unreadable_frame = True

    def _closed_text(self, url: URL, code: int | None) -> str:
        """Describe a closed connection, with the box's close code and reason when it gave one."""
        if self.close_code is None:
            return f"{url} closed (code {code})"
        reason = f": {self.close_reason}" if self.close_reason else ""
        return f"{url} closed by the box (code {self.close_code}{reason})"


class PushLoop:
    """Keep a box's push open until disconnect(): reconnect with backoff after every drop."""

    def __init__(self, client: BoxClient, frames: FrameReader, rest: BoxRest) -> None:
        """Listen to client's box; frames turns what it pushes into events."""
        self._client = client
        self._frames = frames
        self._rest = rest
        self._stop = asyncio.Event()
        self._connection: PushConnection | None = None
        # The REST port did not answer when last asked: a wait to reconnect ends when it answers.
        self._rest_down = False
        self._reconnect_now = False
        self._last_instant: float | None = None

    async def listen(self, listener: Listener) -> None:
        """Receive recognitions until disconnect(), reconnecting with backoff on every drop.

        A stale push (no recognition for stale_after s) is reopened at once and quietly: the
        state stays CONNECTED unless the new connection fails.
        """
        # Each listen() has its own stop signal, so a late one can never revive an earlier one.
        self._stop = listener.stop
        first, quiet = True, False
        try:
            while not listener.stop.is_set():
                if not quiet:
                    self._set_state(ConnectionState.CONNECTING, listener)
                drop = await self._connect_once(listener, first)
                first, quiet = False, drop.cause == "stale"
                if not quiet:
                    self._set_state(ConnectionState.DISCONNECTED, listener)
                if listener.stop.is_set():
                    break
                await self._wait_to_reconnect(drop, quiet, listener.stop)
        finally:
            self._set_state(ConnectionState.DISCONNECTED, listener)

    async def disconnect(self) -> None:
        """End a running listen() and close its WebSocket."""
        self._stop.set()
        await self.close_socket()

    async def close_socket(self) -> None:
        """Close the open WebSocket, if any (a listen() goes on with a new one)."""
        connection = self._connection
        if connection is not None and connection.ws is not None:
            await connection.ws.close()

    async def _connect_once(self, listener: Listener, first: bool) -> Drop:
        """Open, subscribe and read one push connection; return how it ended."""
        connection = self._connection = PushConnection(
            self._client, self._rest, lambda: self._proven(listener)
        )
        try:
            await self._check_generation(first)
            if not listener.stop.is_set():
                await connection.run(listener, self._frames)
        except SophonStaleStreamError as err:
            connection.cause = "stale"
            self._client.counters.stale_reconnects += 1
            _LOGGER.info("%s; reopening the push of %s", err, self._client.host)
        except SophonError as err:
            connection.cause = str(err)
            _LOGGER.debug("Connection to %s ended: %s", self._client.host, err)
        except Exception:
            # A bug in a callback must not end the push for good: log it and reconnect.
            connection.cause = "unexpected error"
            _LOGGER.exception("Unexpected error while listening to %s", self._client.host)
        self._reconnect_now = self._reconnect_now or connection.unreadable_frame
        return self._ended(connection.drop())

    def _ended(self, drop: Drop) -> Drop:
        """Record how a connection ended; count the box's early refusals in a row.

        A refusal is a close by the box that states a reason: a code other than a plain close
        or going away (a policy, "try again later", its own), or any reason text.
        """
        client = self._client
        if drop.by_box:
            key = str(drop.close_code)
            closes = client.counters.closed_by_box
            closes[key] = closes.get(key, 0) + 1
        refused = drop.by_box and (drop.close_code not in PLAIN_CLOSES or bool(drop.close_reason))
        early = refused and drop.lasted < client.stable_after
        client.refused_in_a_row = client.refused_in_a_row + 1 if early else 0
        client.last_drop = drop
        return drop

    async def _check_generation(self, first: bool) -> None:
        """Know the generation before subscribing; after a drop, check it is still the same."""
        if self._client.generation is not None and first:
            return
        try:
            await self._client.async_get_devices()
        except SophonError as err:
            self._rest_down = isinstance(err, SophonConnectionError)
            # The REST port can come back after the push port (a reboot): go on if we can.
            if self._client.generation is None:
                raise
        else:
            self._rest_down = False

    def _proven(self, listener: Listener) -> None:
        """Report a connection that proved up: the state (once), and the connection itself."""
        self._set_state(ConnectionState.CONNECTED, listener)
        if listener.on_connection is not None:
            try:
                listener.on_connection()
            except Exception:
                _LOGGER.exception("Connection handler failed for %s", self._client.host)

    def _set_state(self, state: ConnectionState, listener: Listener) -> None:
        """Record a connection state change and report it once."""
        client = self._client
        if state is client.state:
            return
        client.state = state
        if listener.on_state is not None:
            try:
                listener.on_state(state)
            except Exception:
                _LOGGER.exception("State handler failed for %s", client.host)

    async def _wait_to_reconnect(self, drop: Drop, quiet: bool, stop: asyncio.Event) -> None:
        """Wait the backoff delay (none for a quiet reconnect), or until disconnect()."""
        client = self._client
        loop = asyncio.get_running_loop()
        if drop.lasted >= client.stable_after:
            client.backoff.reset()
        delay = 0.0 if quiet else self._next_delay(loop.time())
        client.counters.reconnects += 1
        _LOGGER.debug("Reconnecting to %s in %.1f s", client.host, delay)
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
            down, self._rest_down = self._rest_down, not await self._rest.answers()
            if down and not self._rest_down:
                _LOGGER.debug("%s answers again; reconnecting at once", self._client.host)
                return

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
        return self._client.backoff.next_delay()
