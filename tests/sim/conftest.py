"""Fixtures for the simulator's tests: a box of each generation, and clients that talk to it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import selectors
import signal
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Self

import aiohttp
import pytest

from sophon_sim import BoxSimulator
from tests.conftest import GENERATIONS, LOOPBACK
from tests.sim.generations import subscription_frame

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

REPO = Path(__file__).parents[2]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
V2 = "/sophon/v2/face"
# How each generation asks for the device list: method, path and JSON body.
DEVICE_LIST_CALLS = {
    "1.0": ("GET", "/SophonDevice/api/Devices", None),
    "2.0": ("POST", f"{V2}/getmediadevices", {}),
}


@pytest.fixture(params=GENERATIONS, ids=lambda generation: f"generation-{generation}")
def generation(request: pytest.FixtureRequest) -> str:
    """Return the generation the box speaks: each in turn, unless a module or a test picks one."""
    return str(request.param)


@pytest.fixture
async def sim(generation: str) -> AsyncIterator[BoxSimulator]:
    """Run a box of four devices speaking the generation, on ephemeral loopback ports."""
    async with BoxSimulator(devices=4, generation=generation, host=LOOPBACK, seed=1) as box:
        yield box


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an aiohttp session closed after the test."""
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as client_session:
        yield client_session


@pytest.fixture
def ws_options() -> dict[str, Any]:
    """Return the ws_connect options of the test's push clients (a module may override it)."""
    return {}


class Clients:
    """Open push clients of a box for a test, and close them all at its end."""

    def __init__(self, session: aiohttp.ClientSession, sim: BoxSimulator, **options: Any) -> None:
        """Connect to sim through session, with these ws_connect options."""
        self.session, self.sim, self.options = session, sim, options
        self.opened: list[aiohttp.ClientWebSocketResponse] = []

    async def __aenter__(self) -> Self:
        """Return the clients for an async with block."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close every client at the end of an async with block."""
        await self.close()

    async def connect(self, path: str = "/", **options: Any) -> aiohttp.ClientWebSocketResponse:
        """Open a WebSocket to the box, without subscribing."""
        url = f"ws://{LOOPBACK}:{self.sim.ws_port}{path}"
        ws = await self.session.ws_connect(url, max_msg_size=0, **(self.options | options))
        self.opened.append(ws)
        return ws

    async def send_subscription(
        self, ws: aiohttp.ClientWebSocketResponse, subscription: dict[str, Any] | None = None
    ) -> None:
        """Send a subscription and wait until the box has it (all devices and pictures if None)."""
        if subscription is None:
            ids = (d.device_id for d in self.sim.devices)
            subscription = subscription_frame(self.sim.generation, ids)
        expected = len(self.sim.subscriptions) + 1
        await ws.send_str(json.dumps(subscription))
        await self.sim.wait_for_subscription(count=expected)

    async def subscribe(
        self, subscription: dict[str, Any] | None = None, **options: Any
    ) -> aiohttp.ClientWebSocketResponse:
        """Connect and subscribe (all devices and pictures unless told otherwise)."""
        ws = await self.connect(**options)
        await self.send_subscription(ws, subscription)
        return ws

    async def close(self) -> None:
        """Close every client opened."""
        async with asyncio.timeout(10):
            for ws in self.opened:
                await ws.close()


@pytest.fixture
async def clients(
    session: aiohttp.ClientSession, sim: BoxSimulator, ws_options: dict[str, Any]
) -> AsyncIterator[Clients]:
    """Return the test's push clients, closed after it."""
    async with Clients(session, sim, **ws_options) as result:
        yield result


@pytest.fixture
async def ws(clients: Clients) -> aiohttp.ClientWebSocketResponse:
    """Return a push client of every device with every picture."""
    return await clients.subscribe()


async def next_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    """Return the next frame, which must be a JSON text frame, within ten seconds."""
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.TEXT, msg
    result: dict[str, Any] = json.loads(msg.data)
    return result


class Answer(NamedTuple):
    """Hold the status and the raw body of an HTTP answer."""

    status: int
    body: bytes


async def device_list(session: aiohttp.ClientSession, sim: BoxSimulator) -> Answer:
    """Ask the box for its device list the way its generation does."""
    method, path, body = DEVICE_LIST_CALLS[sim.generation]
    url = f"http://{LOOPBACK}:{sim.rest_port}{path}"
    async with session.request(method, url, json=body) as resp:
        return Answer(resp.status, await resp.read())


def device_items(body: Any) -> list[dict[str, Any]]:
    """Find the device items in any shape either generation answers (protocol.md section 1)."""
    if isinstance(body, list):
        return body
    for key in ("data", "devices", "list", "result", "devices_list"):
        if key in body:
            return device_items(body[key])
    raise AssertionError(body)


async def post(
    session: aiohttp.ClientSession,
    port: int,
    path: str,
    body: Any = None,
    content_type: str | None = "application/json",
) -> tuple[int, str]:
    """POST a JSON body (none if None) with this content type; return the status and the text."""
    headers = {} if content_type is None else {"Content-Type": content_type}
    data = b"" if body is None else json.dumps(body).encode()
    async with session.post(f"http://{LOOPBACK}:{port}{path}", data=data, headers=headers) as resp:
        return resp.status, await resp.text()


async def get_event(session: aiohttp.ClientSession, sim: BoxSimulator, event_id: Any) -> Any:
    """Return what a 2.0 box's getevent answers about an event."""
    status, text = await post(session, sim.rest_port, f"{V2}/getevent", {"event_id": event_id})
    assert status == 200, text
    return json.loads(text)


@contextlib.contextmanager
def command_line(*args: str) -> Iterator[subprocess.Popen[str]]:
    """Run the simulator's command line on ephemeral ports; kill it if the test did not stop it."""
    command = [sys.executable, "-m", "sophon_sim", "--rest-port", "0", "--ws-port", "0", *args]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """Return the command line's next line of output, waiting at most timeout seconds for it."""
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "no output from the simulator"
    return proc.stdout.readline()


def stop(proc: subprocess.Popen[str]) -> str:
    """Stop the command line as a service manager would; return the rest of its output."""
    proc.send_signal(signal.SIGTERM)
    output, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert "sophon_sim stopped" in output
    return output
