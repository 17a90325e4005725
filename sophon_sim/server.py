"""Serve a simulated box's REST and WebSocket ports, with connection-level faults."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .faults import Faults
from .generation import BoxState, RestAnswer, RestRequest, SystemInfo
from .health import Health
from .history import History
from .oddities import TextBytes, box_now_ms, encode_answer

if TYPE_CHECKING:
    from .generation import Generation, Subscription
    from .roster import SimDevice

_LOGGER = logging.getLogger(__name__)
MAX_CONFIG_BYTES = 1 << 20
SEND_TIMEOUT = 30.0
CLOSE_TIMEOUT = 3.0
# The scene_fetch and history_query faults the server plays (the others are answers of the
# generation).
CONNECTION_SCENE_FAULTS = frozenset({"timeout", "reset", "status_500"})
CONNECTION_HISTORY_FAULTS = frozenset({"timeout", "reset", "status_500", "empty_body"})
STALL = 10.0  # s a request stalls with a "timeout" fault (clients give up first)
LOOP_TURN = 0.005  # s of sending back to back before the simulator lets the loop turn
GARBAGE_BODY = "<html><body>Sophon service starting\x00\x01 {not json"
ERROR_PAGE = "<html><head><title>{0}</title></head><body><h1>{0} Server Error</h1></body></html>"
# The close code and reason of each refuse_push refusal (a reason fits a close frame: 123 bytes).
REFUSAL_CLOSES = {
    "max_clients": (1008, "max clients"),
    "try_later": (1013, "try again later"),
    "no_reason": (4000, ""),
    "dirty_reason": (1008, "\x1b[31mtoo many\x00\nclients"),
}
# How newest_client_only closes the older connections.
REPLACED_CLOSE = (1008, "replaced by a newer client")
BOX_TIMEZONE = -8  # the box's time zone, sign inverted as the box gives it: UTC+8 (China)
Handler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]


def check_loopback(host: str) -> None:
    """Refuse any address that is not on this machine's loopback."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the simulator binds loopback addresses only, not {host!r}")


@dataclass(eq=False)
class Connection:
    """Hold one open WebSocket connection and its subscription."""

    ws: web.WebSocketResponse
    transport: asyncio.Transport | None
    sub: Subscription | None = None
    dropped: bool = False
    subscribed_at: float = 0.0  # the event loop's time of the last subscription (forget_after)


class Listener:
    """Listen on one loopback port; stop and listen again on the same port at will."""

    def __init__(self, handler: Handler, host: str, port: int) -> None:
        """Remember what to serve and where."""
        self._handler, self.host, self.port = handler, host, port
        self._web: web.Server | None = None
        self._server: asyncio.Server | None = None

    @property
    def listening(self) -> bool:
        """Tell whether the port accepts connections now."""
        return self._server is not None

    async def listen(self) -> None:
        """Bind the port (the same one as before after the first time)."""
        if self._server is not None:
            return
        if self._web is None:
            self._web = web.Server(self._handler, access_log=None)
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(self._web, self.host, self.port, reuse_address=True)
        self.port = self._server.sockets[0].getsockname()[1]

    def unlisten(self, drop: bool) -> None:
        """Stop accepting connections; with drop, also abort every open one."""
        if self._server is not None:
            self._server.close()
            self._server = None
        if drop:
            self.drop_connections()

    def drop_connections(self) -> None:
        """Abort every open connection (the port keeps listening)."""
        if self._web is not None:
            for handler in self._web.connections:
                if handler.transport is not None:
                    handler.transport.abort()

    async def shutdown(self) -> None:
        """Stop listening and end every connection."""
        self.unlisten(drop=False)
        if self._web is not None:
            self._web.pre_shutdown()
            await self._web.shutdown(1.0)
        self.unlisten(drop=True)


def _response(answer: RestAnswer, faults: Faults) -> web.Response:
    """Turn a generation's answer into an HTTP response, JSON framed as the faults ask."""
    if answer.content_type == "application/json" and isinstance(answer.body, str):
        answer = replace(answer, body=encode_answer(answer.body, faults, answer.device_list))
    if isinstance(answer.body, bytes):
        return web.Response(
            status=answer.status, body=answer.body, content_type=answer.content_type
        )
    return web.Response(status=answer.status, text=answer.body, content_type=answer.content_type)


async def _rest_request(request: web.BaseRequest) -> RestRequest:
    """Read what a generation needs of an HTTP request."""
    body = await request.read()
    content_type = request.headers.get("Content-Type", "")
    query = request.query
    repeated = {key: tuple(query.getall(key)) for key in set(query) if len(query.getall(key)) > 1}
    return RestRequest(request.method, request.path, dict(query), content_type, body, repeated)


def _passing_fault(answer: RestAnswer, faults: Faults) -> str:
    """Return the connection-level fault an answer is to fail with ("" for none)."""
    if answer.scene_fetch and faults.scene_fetch in CONNECTION_SCENE_FAULTS:
        return faults.scene_fetch
    if answer.history and faults.history_query in CONNECTION_HISTORY_FAULTS:
        return faults.history_query
    return faults.health_call if answer.health else ""


async def _connection_fault(kind: str, request: web.BaseRequest) -> web.StreamResponse:
    """Fail a request for a passing reason: no answer, a reset, HTTP 500, or an empty body."""
    if kind == "empty_body":
        return web.Response(status=200, body=b"", content_type="application/json")
    if kind == "timeout":
        await asyncio.sleep(STALL)
    elif kind == "reset" and request.transport is not None:
        request.transport.abort()
    page = ERROR_PAGE.format(500)
    return web.Response(status=500, text=page, content_type="text/html")


class BoxServer:
    """Run the ports of a box: REST, the event push over WebSocket, and the firmware version."""

    def __init__(
        self, generation: Generation, host: str, rest_port: int, ws_port: int, version_port: int = 0
    ) -> None:
        """Prepare (but do not bind) the three ports."""
        check_loopback(host)
        self.spoken = generation  # the generation the box speaks
        self.firmware_version = generation.default_firmware
        self.serial_number = "SE6-0000-0000"
        # What the box calls itself (api section 4); None answers 404 (older firmware).
        self.hostname: str | None = "Lobby-SE5"
        self.faults = Faults()
        self.health = Health()  # what the health calls tell (sophon_sim.health)
        self.devices: list[SimDevice] = []
        self.subscriptions: list[dict[str, Any]] = []
        self.rest_requests = 0
        self.pings_answered = 0
        self.pings_ignored = 0  # left unanswered (no_pong, silent)
        self.refused = 0  # connections closed right after their subscription (refuse_push)
        self.replaced = 0  # older connections closed for a newer one (newest_client_only)
        self.timezone = BOX_TIMEZONE  # what the box time call answers: sign inverted, -8 = UTC+8
        self._rest = Listener(self._handle_rest, host, rest_port)
        self._ws = Listener(self._handle_ws, host, ws_port)
        self._version = Listener(self._handle_version, host, version_port)
        self._conns: list[Connection] = []
        self._handlers: set[asyncio.Task[Any]] = set()
        self._timers: dict[Listener, asyncio.Task[None]] = {}
        self._sub_changed = asyncio.Condition()
        self._turn_at = 0.0

    @property
    def rest_port(self) -> int:
        """Return the REST port actually bound."""
        return self._rest.port

    @property
    def ws_port(self) -> int:
        """Return the WebSocket port actually bound."""
        return self._ws.port

    @property
    def version_port(self) -> int:
        """Return the firmware version port actually bound."""
        return self._version.port

    @property
    def connected_clients(self) -> int:
        """Count the open WebSocket connections that have sent a subscription."""
        return sum(1 for conn in self._conns if conn.sub is not None)

    @property
    def listening(self) -> tuple[bool, bool]:
        """Tell whether the REST and the WebSocket ports accept connections."""
        return self._rest.listening, self._ws.listening

    async def _start_servers(self) -> None:
        """Bind the three ports."""
        await self._rest.listen()
        await self._ws.listen()
        await self._version.listen()

    async def _stop_servers(self) -> None:
        """Close both ports, every connection and every task started here."""
        timers = list(self._timers.values())
        for task in timers:
            task.cancel()
        await asyncio.gather(*timers, return_exceptions=True)
        self._timers.clear()
        self._rest.unlisten(drop=False)
        self._ws.unlisten(drop=False)
        self._version.unlisten(drop=False)
        try:
            async with asyncio.timeout(1.0):
                await self.close_connections()
        except TimeoutError:
            pass
        await self._rest.shutdown()
        await self._ws.shutdown()
        await self._version.shutdown()
        if self._handlers:
            await asyncio.wait(self._handlers, timeout=2.0)
        stalled = list(self._handlers)  # a request held by the scene_fetch "timeout" fault
        for task in stalled:
            task.cancel()
        await asyncio.gather(*stalled, return_exceptions=True)

    def _track(self) -> asyncio.Task[Any] | None:
        """Remember the task running the current request handler."""
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
            task.add_done_callback(self._handlers.discard)
        return task

    def _box_state(self) -> BoxState:
        """Show the generation what the box knows (the simulator adds its events and photos)."""
        return BoxState(
            self.devices, self.faults, History(0), lambda _image_id: None, health=self.health
        )

    def _switch_generation(self, generation: Generation) -> None:
        """Speak another generation from now on; drop every WebSocket and its subscription."""
        self.spoken = generation
        self.firmware_version = generation.default_firmware
        for conn in self._conns:
            conn.sub, conn.dropped = None, True
        self.subscriptions.clear()
        self._ws.drop_connections()

    async def _handle_rest(self, request: web.BaseRequest) -> web.StreamResponse:
        """Answer one REST request, applying the REST faults to device-list answers."""
        self._track()
        self.rest_requests += 1
        faults = self.faults
        if faults.rest_delay > 0:
            await asyncio.sleep(faults.rest_delay)
        answer = self.spoken.rest_answer(await _rest_request(request), self._box_state())
        if answer is None:
            return web.Response(status=404, text="404: Not Found")
        if answer.device_list and faults.rest_status:
            page = ERROR_PAGE.format(faults.rest_status)
            return web.Response(status=faults.rest_status, text=page, content_type="text/html")
        if answer.device_list and faults.rest_garbage:
            return web.Response(status=200, text=GARBAGE_BODY, content_type="application/json")
        if fault := _passing_fault(answer, faults):
            return await _connection_fault(fault, request)
        return _response(answer, self.faults)

    def _system_info(self) -> SystemInfo:
        """Show the generation what the system port tells: firmware, serial, the box's clock."""
        serial = None if self.faults.no_serial else self.serial_number
        time_ms = None if self.faults.no_time else box_now_ms(self.faults)
        return SystemInfo(
            self.firmware_version,
            serial,
            time_ms,
            self.timezone,
            self.hostname,
            self.health,
            self.faults,
        )

    async def _handle_version(self, request: web.BaseRequest) -> web.StreamResponse:
        """Answer one request on the system port (version_down: 500; no_serial, no_time: 404)."""
        self._track()
        if self.faults.version_down:
            page = ERROR_PAGE.format(500)
            return web.Response(status=500, text=page, content_type="text/html")
        answer = self.spoken.system_answer(await _rest_request(request), self._system_info())
        if answer is None:
            return web.Response(status=404, text="404: Not Found")
        if answer.health:
            return await _connection_fault(self.faults.health_call, request)
        return _response(answer, self.faults)

    async def _handle_ws(self, request: web.BaseRequest) -> web.StreamResponse:
        """Serve one WebSocket connection until it ends."""
        self._track()
        ws = web.WebSocketResponse(
            autoping=False,
            autoclose=False,
            heartbeat=None,
            compress=False,
            max_msg_size=MAX_CONFIG_BYTES,
            timeout=CLOSE_TIMEOUT,
        )
        await ws.prepare(request)
        conn = Connection(ws, request.transport)
        self._conns.append(conn)
        try:
            await self._serve(conn)
        finally:
            self._conns.remove(conn)
        return ws

    async def _serve(self, conn: Connection) -> None:
        """Read subscriptions and control frames; answer pings unless silent or no_pong."""
        while True:
            msg = await conn.ws.receive()
            if msg.type is WSMsgType.TEXT:
                await self._subscribe(conn, msg.data)
            elif msg.type is WSMsgType.PING:
                await self._ping(conn, msg.data)
            elif msg.type is WSMsgType.CLOSE:
                if self.faults.silent:
                    await self._until_gone(conn)
                else:
                    await self._guard(conn.ws.close())
                return
            elif msg.type in (WSMsgType.CLOSING, WSMsgType.CLOSED, WSMsgType.ERROR):
                return

    async def _ping(self, conn: Connection, data: bytes) -> None:
        """Answer a ping with its pong; count it as ignored instead when silent or no_pong."""
        if self.faults.silent or self.faults.no_pong:
            self.pings_ignored += 1
            return
        await self._guard(conn.ws.pong(data))
        self.pings_answered += 1

    @staticmethod
    async def _guard(action: Awaitable[Any]) -> None:
        """Run a write on a connection that may already be gone."""
        with contextlib.suppress(ConnectionError, RuntimeError):
            await action

    @staticmethod
    async def _until_gone(conn: Connection) -> None:
        """Wait, saying nothing, until the peer drops the TCP connection."""
        while conn.transport is not None and not conn.transport.is_closing():  # noqa: ASYNC110
            await asyncio.sleep(0.1)

    async def _subscribe(self, conn: Connection, text: str) -> None:
        """Apply a subscription frame; ignore one that is not valid or came before a switch.

        Every valid one is recorded in subscriptions, a refused one (refuse_push) too: the box
        then closes that connection. newest_client_only closes every older subscribed one.
        """
        if conn.dropped:
            return
        sub = self.spoken.parse_subscription(text)
        if sub is None:
            _LOGGER.debug("ignored an invalid subscription frame")
            return
        refusal = REFUSAL_CLOSES.get(self.faults.refuse_push)
        if refusal is not None:
            conn.sub, conn.dropped = None, True
            self.refused += 1
        else:
            conn.sub, conn.subscribed_at = sub, asyncio.get_running_loop().time()
            if self.faults.newest_client_only:
                self._replace_older(conn)
        async with self._sub_changed:
            self.subscriptions.append(sub.raw)
            self._sub_changed.notify_all()
        if refusal is not None:
            code, reason = refusal
            await self._guard(conn.ws.close(code=code, message=reason.encode()))

    def _replace_older(self, newest: Connection) -> None:
        """Forget every other subscribed connection and close it (1008), in the background."""
        code, reason = REPLACED_CLOSE
        for conn in self._conns:
            if conn is newest or conn.sub is None or conn.ws.closed:
                continue
            conn.sub, conn.dropped = None, True
            self.replaced += 1
            self._in_background(self._guard(conn.ws.close(code=code, message=reason.encode())))

    def _in_background(self, action: Coroutine[Any, Any, None]) -> None:
        """Run a coroutine in a task that stopping the box waits for (then cancels)."""
        task = asyncio.create_task(action)
        self._handlers.add(task)
        task.add_done_callback(self._handlers.discard)

    async def wait_for_subscription(
        self,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented API
    ) -> dict[str, Any]:
        """Wait until at least count subscriptions were received in all; return the latest."""
        async with asyncio.timeout(timeout), self._sub_changed:
            await self._sub_changed.wait_for(lambda: len(self.subscriptions) >= count)
        return self.subscriptions[-1]

    def _subscribed(self) -> list[Connection]:
        """Return the open connections the box pushes to: subscribed and not forgotten.

        None while stale; forget_after leaves out those subscribed that many s ago or longer.
        """
        if self.faults.stale:
            return []
        now, forget = asyncio.get_running_loop().time(), self.faults.forget_after
        return [
            conn
            for conn in self._conns
            if conn.sub is not None
            and not conn.ws.closed
            and not (forget > 0 and now - conn.subscribed_at >= forget)
        ]

    async def _send(self, conn: Connection, payload: str | bytes) -> bool:
        """Send one frame; abort a connection that cannot take it."""
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                if isinstance(payload, TextBytes):  # not UTF-8: send_str cannot send it
                    await conn.ws.send_frame(payload, WSMsgType.TEXT)
                elif isinstance(payload, bytes):
                    await conn.ws.send_bytes(payload)
                else:
                    await conn.ws.send_str(payload)
        except (ConnectionError, RuntimeError):
            return False
        except TimeoutError:
            if conn.transport is not None:
                conn.transport.abort()
            return False
        await self._let_the_loop_turn()
        return True

    async def _let_the_loop_turn(self) -> None:
        """Give the event loop up now and then while sending back to back.

        A real box is another machine. Here the client shares the event loop, and a write that
        fits the socket buffer never suspends (nor does an eager task): without this, a burst
        would hold the loop for seconds and starve every other box's pings.
        """
        loop = asyncio.get_running_loop()
        if loop.time() >= self._turn_at:
            await asyncio.sleep(0)
            self._turn_at = loop.time() + LOOP_TURN

    async def push_raw(self, data: str | bytes) -> int:
        """Send exactly this frame to every connection pushed to; return how many got it."""
        if self.faults.silent:
            return 0
        sent = await asyncio.gather(*(self._send(conn, data) for conn in self._subscribed()))
        return sum(sent)

    async def close_connections(self) -> None:
        """Close every WebSocket connection with a clean close handshake."""
        await asyncio.gather(*(self._guard(conn.ws.close()) for conn in list(self._conns)))

    async def abort_mid_frame(self) -> None:
        """Send half of a text frame on every connection, then abort its TCP connection."""
        transports = [
            c.transport
            for c in self._conns
            if c.transport is not None and not c.transport.is_closing()
        ]
        for transport in transports:
            transport.write(b"\x81\x7e\x03\xe8" + b'{"identity_id": "666666", "ident')
        for _ in range(100):
            if all(t.get_write_buffer_size() == 0 for t in transports):
                break
            await asyncio.sleep(0.01)
        for transport in transports:
            transport.abort()

    def stop_ws_listener(self) -> None:
        """Refuse new WebSocket connections (open ones stay) until start_ws_listener."""
        self._cancel_timer(self._ws)
        self._ws.unlisten(drop=False)

    async def start_ws_listener(self) -> None:
        """Accept WebSocket connections again, on the same port."""
        self._cancel_timer(self._ws)
        await self._ws.listen()

    async def refuse_connections(self, seconds: float) -> None:
        """Refuse new WebSocket connections for seconds; return at once (see wait_listening)."""
        self.stop_ws_listener()
        self._later(seconds, self._ws)

    async def reboot(self, rest_down: float = 2.0, ws_down: float = 4.0) -> None:
        """Drop all ports and connections; REST and version return after rest_down s, WS ws_down."""
        self._rest.unlisten(drop=True)
        self._ws.unlisten(drop=True)
        self._version.unlisten(drop=True)
        await asyncio.sleep(0)
        self._later(rest_down, self._rest)
        self._later(ws_down, self._ws)
        self._later(rest_down, self._version)

    def _later(self, seconds: float, listener: Listener) -> None:
        """Listen again on a port after some seconds, in a tracked task (replacing one pending)."""

        async def relisten() -> None:
            await asyncio.sleep(seconds)
            try:
                await listener.listen()
            except OSError:
                _LOGGER.exception("could not listen on port %s again", listener.port)

        self._cancel_timer(listener)
        self._timers[listener] = asyncio.create_task(relisten())

    def _cancel_timer(self, listener: Listener) -> None:
        """Forget a pending re-listen of a port."""
        task = self._timers.pop(listener, None)
        if task is not None:
            task.cancel()

    async def wait_listening(self, timeout: float = 10.0) -> None:  # noqa: ASYNC109
        """Wait until the REST, WebSocket and version ports accept connections again."""
        async with asyncio.timeout(timeout):
            while not (all(self.listening) and self._version.listening):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
