"""The simulator's long-run switches (issue 13): what real boxes do over hours and days."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from sophon_sim import BoxSimulator, Faults
from sophon_sim.__main__ import parse_args
from sophon_sim.faults import REFUSALS
from sophon_sim.server import REFUSAL_CLOSES
from tests.conftest import LOOPBACK, wait_for
from tests.sim.conftest import Clients, next_json
from tests.sim.generations import subscription_frame

FIXED_MS = 1_764_145_812_345
HOUR_MS = 3_600_000
NEAR_MS = 5_000  # how far the box time may be from the test's own clock
FORGET = 0.3  # s (forget_after)
QUIET = 0.3  # s of listening for a frame that must not come
TIME_CALL = {"1.0": ("GET", "/SophonSystem/api/time"), "2.0": ("POST", "/sophon/v2/system/gettime")}
REFUSED = {
    "max_clients": (1008, "max clients"),
    "try_later": (1013, "try again later"),
    "no_reason": (4000, ""),
    "dirty_reason": (1008, "\x1b[31mtoo many\x00\nclients"),
}


@pytest.fixture
def ws_options() -> dict[str, Any]:
    """Answer no ping by ourselves (the tests watch pongs), and give up a close after 5 s."""
    return {"autoping": False, "timeout": aiohttp.ClientWSTimeout(ws_close=5)}


async def next_pong(ws: aiohttp.ClientWebSocketResponse) -> bytes:
    """Return the next message's payload, which must be a pong (no event came before it)."""
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.PONG, msg
    data: bytes = msg.data
    return data


async def box_time(session: aiohttp.ClientSession, sim: BoxSimulator) -> tuple[int, Any]:
    """Call the box time on the system port; return the status and the answer's time object."""
    method, path = TIME_CALL[sim.generation]
    url = f"http://{LOOPBACK}:{sim.version_port}{path}"
    async with session.request(method, url) as resp:
        if resp.status != 200:
            return resp.status, None
        body = json.loads(await resp.read())
    return resp.status, body["data"] if sim.generation == "1.0" else body


def now_ms() -> int:
    return int(time.time() * 1000)


# WebSocket pings, pushes and closes.


async def test_no_pong_ignores_pings_but_pushes_and_closes(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws, other = await clients.subscribe(), await clients.subscribe()
    sim.faults.no_pong = True
    await ws.ping(b"anyone?")
    await other.ping(b"hello?")
    frame = await sim.push_event()
    assert await next_json(ws) == frame
    assert await next_json(other) == frame
    with pytest.raises(TimeoutError):
        await ws.receive(timeout=QUIET)
    await wait_for(lambda: sim.pings_ignored == 2)
    assert sim.pings_answered == 0
    # A receive that timed out spoils aiohttp's close: the handshake is tried on the other one.
    assert await other.close()
    assert other.close_code == aiohttp.WSCloseCode.OK  # the box answered the close handshake
    await wait_for(lambda: sim.connected_clients == 1)


async def test_no_pong_off_answers_pings_again(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    sim.faults.no_pong = True
    await ws.ping(b"one")
    await wait_for(lambda: sim.pings_ignored == 1)
    sim.faults.no_pong = False
    await ws.ping(b"two")
    assert await next_pong(ws) == b"two"
    assert sim.pings_answered == 1


async def test_stale_answers_pings_and_pushes_nothing(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    sim.faults.stale = True
    assert await sim.push_raw("x") == 0
    await sim.push_event()
    await ws.ping(b"still there?")
    assert await next_pong(ws) == b"still there?"  # nothing was pushed before it
    assert (sim.pings_answered, sim.connected_clients, ws.closed) == (1, 1, False)
    sim.faults.stale = False
    frame = await sim.push_event()
    assert await next_json(ws) == frame


async def test_forget_after_stops_events_until_a_new_subscription(
    sim: BoxSimulator, clients: Clients
) -> None:
    first = await clients.subscribe()
    sim.faults.forget_after = FORGET
    await asyncio.sleep(FORGET + 0.1)
    assert await sim.push_raw("forgotten") == 0
    await sim.push_event()
    await first.ping(b"awake?")
    assert await next_pong(first) == b"awake?"  # answered, and no event before it
    second = await clients.subscribe()
    frame = await sim.push_event()
    assert await next_json(second) == frame
    await first.ping(b"still forgotten?")
    assert await next_pong(first) == b"still forgotten?"
    await clients.send_subscription(first)
    frame = await sim.push_event()
    assert await next_json(first) == frame
    assert not first.closed


# The box turning push clients away.


@pytest.mark.parametrize("refusal", list(REFUSED))
async def test_refuse_push_closes_right_after_the_subscription(
    sim: BoxSimulator, clients: Clients, refusal: str
) -> None:
    sim.faults.refuse_push = refusal
    ws = await clients.connect()
    await ws.send_str(
        json.dumps(subscription_frame(sim.generation, (d.device_id for d in sim.devices)))
    )
    msg = await ws.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert (msg.data, msg.extra) == REFUSED[refusal]
    assert sim.refused == 1
    assert sim.connected_clients == 0
    await wait_for(lambda: ws.closed)
    sim.faults.refuse_push = ""
    other = await clients.subscribe()
    frame = await sim.push_event()
    assert await next_json(other) == frame


def test_refusal_reasons_fit_a_close_frame() -> None:
    assert set(REFUSAL_CLOSES) == set(REFUSALS) - {""}
    assert REFUSAL_CLOSES == REFUSED
    for _code, reason in REFUSAL_CLOSES.values():
        assert len(reason.encode("utf-8")) <= 123
    dirty = REFUSAL_CLOSES["dirty_reason"][1]
    assert all(char in dirty for char in ("\x1b[31m", "\x00", "\n"))


async def test_newest_client_only_closes_the_older_connection(
    sim: BoxSimulator, clients: Clients
) -> None:
    sim.faults.newest_client_only = True
    first = await clients.subscribe()
    second = await clients.subscribe()
    msg = await first.receive(timeout=10)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert (msg.data, msg.extra) == (1008, "replaced by a newer client")
    assert sim.replaced == 1
    await wait_for(lambda: sim.connected_clients == 1)
    frame = await sim.push_event()
    assert await next_json(second) == frame
    await clients.send_subscription(second)  # subscribing again replaces no one
    assert sim.replaced == 1


async def test_without_newest_client_only_both_connections_get_events(
    sim: BoxSimulator, clients: Clients
) -> None:
    first = await clients.subscribe()
    second = await clients.subscribe()
    frame = await sim.push_event()
    assert [await next_json(first), await next_json(second)] == [frame, frame]
    assert sim.replaced == 0


# The box time on the system port.


async def test_time_call_gives_the_box_clock_and_timezone(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    before = now_ms()
    status, answer = await box_time(session, sim)
    after = now_ms()
    assert status == 200
    assert set(answer) == {"time", "timezone"}
    assert type(answer["time"]) is int
    assert answer["timezone"] == -8
    assert before - NEAR_MS <= answer["time"] <= after + NEAR_MS
    sim.timezone = 5
    sim.faults.clock_offset = 28_800.0
    before = now_ms()
    status, answer = await box_time(session, sim)
    after = now_ms()
    assert answer["timezone"] == 5
    offset = 28_800_000
    assert before + offset - NEAR_MS <= answer["time"] <= after + offset + NEAR_MS


async def test_time_call_faults_and_the_other_generations_path(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    sim.faults.no_time = True
    assert await box_time(session, sim) == (404, None)
    sim.faults.reset()
    sim.faults.version_down = True
    assert (await box_time(session, sim))[0] == 500
    sim.faults.reset()
    other = "2.0" if sim.generation == "1.0" else "1.0"
    method, path = TIME_CALL[other]
    async with session.request(method, f"http://{LOOPBACK}:{sim.version_port}{path}") as resp:
        assert resp.status == 404


async def test_events_local_time_shifts_events_and_not_the_time_call(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    sim.faults.events_local_time = True
    frame = await sim.push_event(timestamp_ms=FIXED_MS)
    assert frame["timestamp"] == FIXED_MS + 8 * HOUR_MS
    before = now_ms()
    frame = await sim.push_event()
    status, answer = await box_time(session, sim)
    after = now_ms()
    assert before + 8 * HOUR_MS - NEAR_MS <= frame["timestamp"] <= after + 8 * HOUR_MS + NEAR_MS
    assert status == 200
    assert before - NEAR_MS <= answer["time"] <= after + NEAR_MS
    sim.timezone = 5  # UTC-5
    frame = await sim.push_event(timestamp_ms=FIXED_MS)
    assert frame["timestamp"] == FIXED_MS - 5 * HOUR_MS


async def test_events_local_time_adds_to_clock_offset(sim: BoxSimulator) -> None:
    sim.faults.events_local_time = True
    sim.faults.clock_offset = -60.0
    frame = await sim.push_event(timestamp_ms=FIXED_MS)
    assert frame["timestamp"] == FIXED_MS + 8 * HOUR_MS - 60_000


# Setting the switches.


def test_long_run_switches_can_be_set_from_text() -> None:
    faults = Faults()
    for name in ("no_pong", "stale", "newest_client_only", "events_local_time", "no_time"):
        assert getattr(faults, name) is False
        faults.set(name)
        assert getattr(faults, name) is True
    assert (faults.forget_after, faults.refuse_push) == (0.0, "")
    faults.set("forget_after", "0.2")
    faults.set("refuse_push")
    assert (faults.forget_after, faults.refuse_push) == (0.2, "max_clients")
    faults.set("refuse_push", "dirty_reason")
    assert faults.refuse_push == "dirty_reason"
    with pytest.raises(ValueError, match="refuse_push must be one of"):
        faults.set("refuse_push", "busy")
    faults.reset()
    assert faults == Faults()


def test_the_command_line_takes_the_timezone_and_the_long_run_switches() -> None:
    assert parse_args([]).timezone == -8
    args = parse_args(
        ["--timezone", "5", "--fault", "refuse_push=try_later", "--fault", "forget_after=30"]
    )
    assert args.timezone == 5
    assert (args.faults.refuse_push, args.faults.forget_after) == ("try_later", 30.0)
