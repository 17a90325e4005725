"""What real boxes do over hours and days (issue 13): the client against the simulated box.

Four kinds, each on both generations: a box that never answers pings, a push that goes stale
(a stuck box, or one that forgets its client), a box that closes the push with a code and a
reason, and a box whose clock is wrong (its local time sent as UTC, or drift).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.sophon.api import (
    Backoff,
    BoxClient,
    BoxTime,
    ClockWatch,
    ConnectionState,
    PingBehaviour,
    RecognitionEvent,
    Subscription,
)
from custom_components.sophon.api.clock import box_time
from sophon_sim import BoxSimulator
from tests.api.conftest import client_of
from tests.conftest import wait_for

CONNECTING, CONNECTED, DISCONNECTED = (
    ConnectionState.CONNECTING,
    ConnectionState.CONNECTED,
    ConnectionState.DISCONNECTED,
)
API_LOGGER = "custom_components.sophon.api"
HEARTBEAT = 0.4  # s: pings (and probes) for the tests about pings
QUIET_HEARTBEAT = 5.0  # s: no heartbeat ping in the other tests (a loaded machine misses none)
SETTLE = 0.2
STALE_AFTER = 0.5
SHORT_TIMEOUT = 0.5  # request_timeout of a client whose box holds its REST answers longer
HELD = 1.0  # s the box holds its REST answers (rest_delay)
FORGET = 0.3  # s (forget_after)
NEAR = timedelta(seconds=5)  # how far apart two readings of "now" may be on a loaded machine
HOUR = timedelta(hours=1)
IGNORES_PINGS = "does not answer WebSocket pings"
CORRECTED = "as if its local time were UTC"
# What the client keeps of each refuse_push close: code and cleaned reason.
REFUSED = {
    "max_clients": (1008, "max clients"),
    "try_later": (1013, "try again later"),
    "no_reason": (4000, ""),
    "dirty_reason": (1008, "too many clients"),  # sent as "\x1b[31mtoo many\x00\nclients"
}
REPLACED = (1008, "replaced by a newer client")


@pytest.fixture
def simulator(each_generation: BoxSimulator) -> BoxSimulator:
    """Run a simulated box in each generation (the long-run switches apply to both)."""
    return each_generation


class Receipts:
    """The client's clock (shifted when asked), remembering the last time it told."""

    def __init__(self, shift: timedelta = timedelta(0)) -> None:
        """Tell the real time plus shift."""
        self.shift = shift
        self.last: datetime | None = None

    def __call__(self) -> datetime:
        """Return the time of receipt, and remember it."""
        self.last = datetime.now(UTC) + self.shift
        return self.last


def make_client(
    simulator: BoxSimulator, session: aiohttp.ClientSession, **options: Any
) -> BoxClient:
    """Return a client for the simulator with short timings (options override them)."""
    settings: dict[str, Any] = {
        "heartbeat": QUIET_HEARTBEAT,
        "settle": SETTLE,
        "backoff": Backoff(initial=0.05, maximum=0.2),
        "stable_after": 5.0,
        "clock": Receipts(),
    } | options
    return client_of(simulator, session, **settings)


@dataclass
class Run:
    """A running listen() of one client and everything it reported."""

    client: BoxClient
    events: list[RecognitionEvent] = field(default_factory=list)
    # The client's clock when it read each event (its time of receipt).
    receipts: list[datetime] = field(default_factory=list)
    # How many stale reconnects the client had made when each event arrived.
    stale_at: list[int] = field(default_factory=list)
    states: list[ConnectionState] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    def on_event(self, event: RecognitionEvent) -> None:
        """Keep an event with its time of receipt."""
        clock = self.client.clock
        assert isinstance(clock, Receipts)
        assert clock.last is not None
        self.events.append(event)
        self.receipts.append(clock.last)
        self.stale_at.append(self.client.counters.stale_reconnects)

    def start(self, simulator: BoxSimulator) -> None:
        """Listen to every device of the box."""
        subscription = Subscription(device_ids=tuple(d.device_id for d in simulator.devices))
        self.task = asyncio.create_task(
            self.client.listen(subscription, self.on_event, self.states.append)
        )

    async def stop(self) -> None:
        """Stop listening and wait until listen() returned."""
        await self.client.disconnect()
        if self.task is not None:
            async with asyncio.timeout(5):
                await self.task

    async def connected(self, count: int = 1) -> None:
        """Wait until CONNECTED was reported count times."""
        await wait_for(lambda: self.states.count(CONNECTED) >= count)

    async def received(self, count: int, timeout: float = 5.0) -> None:
        """Wait until count events arrived."""
        await wait_for(lambda: len(self.events) >= count, timeout)

    def never_ahead(self) -> None:
        """Check that no event's time is after its receipt."""
        assert self.events
        for event, receipt in zip(self.events, self.receipts, strict=True):
            assert event.timestamp <= receipt, event


type Listen = Callable[..., Run]


@pytest.fixture
async def listen(simulator: BoxSimulator, session: aiohttp.ClientSession) -> AsyncIterator[Listen]:
    """Start listeners (a given client, or a new one with options); stop them all at the end."""
    runs: list[Run] = []

    def start(client: BoxClient | None = None, **options: Any) -> Run:
        run = Run(client or make_client(simulator, session, **options))
        runs.append(run)
        run.start(simulator)
        return run

    yield start
    for run in runs:
        await run.stop()


async def deliver(simulator: BoxSimulator, run: Run, tries: int = 10) -> RecognitionEvent:
    """Push events until one reaches the client (one pushed as it reconnects is lost)."""
    for _ in range(tries):
        wanted = len(run.events) + 1
        await simulator.push_event()
        try:
            await run.received(wanted, timeout=0.5)
        except TimeoutError:
            continue
        return run.events[-1]
    pytest.fail(f"none of {tries} events reached the client")


async def push_each(simulator: BoxSimulator, run: Run, count: int) -> None:
    """Push count events one after the other, each once the previous one arrived."""
    for _ in range(count):
        wanted = len(run.events) + 1
        await simulator.push_event()
        await run.received(wanted)


def logged(caplog: pytest.LogCaptureFixture, text: str) -> list[logging.LogRecord]:
    """Return the records whose message holds text."""
    return [record for record in caplog.records if text in record.getMessage()]


# Kind 1: a box that never answers pings.


async def test_a_box_that_ignores_pings_stays_connected(
    listen: Listen, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=API_LOGGER)
    simulator.faults.no_pong = True
    run = listen(heartbeat=HEARTBEAT)
    await run.connected()  # after settle: no frame came, no pong either
    assert simulator.pings_answered == 0
    assert run.client.counters.frames_received == 0
    await wait_for(lambda: run.client.pings is PingBehaviour.IGNORES)
    probes = run.client.counters.liveness_probes
    assert probes >= 1
    # From now on each quiet interval is judged by the REST port, and still pinged.
    await wait_for(lambda: run.client.counters.liveness_probes >= probes + 1)
    await wait_for(lambda: simulator.pings_ignored >= 3)
    event = await deliver(simulator, run)
    assert event.device_id
    assert run.states == [CONNECTING, CONNECTED]
    assert run.client.counters.reconnects == 0
    assert run.client.last_drop is None
    assert len(logged(caplog, IGNORES_PINGS)) == 1
    assert logged(caplog, IGNORES_PINGS)[0].levelno == logging.INFO
    # A box that answers pings again is judged by them again, on the same connection.
    simulator.faults.no_pong = False
    await wait_for(lambda: run.client.pings is PingBehaviour.ANSWERS)
    assert simulator.pings_answered >= 1
    assert run.states == [CONNECTING, CONNECTED]
    assert run.client.counters.reconnects == 0


async def test_ignoring_pings_is_remembered_across_a_reconnect(
    listen: Listen, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=API_LOGGER)
    simulator.faults.no_pong = True
    run = listen(heartbeat=HEARTBEAT)
    await wait_for(lambda: run.client.pings is PingBehaviour.IGNORES)
    await simulator.close_connections()
    await run.connected(2)  # after settle again: no pong, no frame
    await simulator.wait_for_subscription(count=2)
    assert run.states == [CONNECTING, CONNECTED, DISCONNECTED, CONNECTING, CONNECTED]
    assert run.client.pings is PingBehaviour.IGNORES
    assert (simulator.pings_answered, run.client.counters.frames_received) == (0, 0)
    drop = run.client.last_drop
    assert drop is not None
    assert (drop.by_box, drop.close_code, drop.close_reason) == (True, 1000, "")
    assert run.client.refused_in_a_row == 0
    # The new connection's quiet intervals go straight to the REST port.
    probes = run.client.counters.liveness_probes
    await wait_for(lambda: run.client.counters.liveness_probes >= probes + 1)
    await deliver(simulator, run)
    assert run.client.counters.reconnects == 1
    assert run.client.pings is PingBehaviour.IGNORES
    assert len(logged(caplog, IGNORES_PINGS)) == 1  # said once, not again after the reconnect


@pytest.mark.parametrize("learnt", [True, False], ids=["after-learning", "before-learning"])
async def test_a_box_answering_neither_pings_nor_rest_is_dropped(
    listen: Listen, simulator: BoxSimulator, learnt: bool
) -> None:
    simulator.faults.no_pong = True
    run = listen(heartbeat=HEARTBEAT, request_timeout=SHORT_TIMEOUT)
    if learnt:
        await wait_for(lambda: run.client.pings is PingBehaviour.IGNORES)
    else:
        await run.connected()
    probes = run.client.counters.liveness_probes
    simulator.faults.rest_delay = HELD  # the REST port answers, but later than the client waits
    await wait_for(lambda: DISCONNECTED in run.states)
    drop = run.client.last_drop
    assert drop is not None
    assert drop.cause == "the box answers neither pings nor its REST port"
    assert not drop.by_box
    assert drop.proven  # it was CONNECTED (settled) before
    assert run.client.counters.liveness_probes == probes + 1
    assert run.client.pings is (PingBehaviour.IGNORES if learnt else PingBehaviour.UNKNOWN)
    assert run.states[:3] == [CONNECTING, CONNECTED, DISCONNECTED]
    # The ended connection's watch is gone: nothing of it probes on, nor ends a later read.
    await asyncio.sleep(HELD)
    assert run.task is not None
    assert not run.task.done()
    simulator.faults.rest_delay = 0.0
    await run.connected(2)
    await deliver(simulator, run)


async def test_a_box_that_answered_pings_and_stops_is_dropped_without_a_probe(
    listen: Listen, simulator: BoxSimulator
) -> None:
    run = listen(heartbeat=HEARTBEAT)
    await wait_for(lambda: run.client.pings is PingBehaviour.ANSWERS)  # the first ping's pong
    simulator.faults.silent = True
    await wait_for(lambda: simulator.pings_ignored >= 1)  # the heartbeat's ping
    simulator.faults.silent = False  # it answers the close handshake, and pings from now on
    await wait_for(lambda: DISCONNECTED in run.states)
    drop = run.client.last_drop
    assert drop is not None
    assert drop.cause == "the box stopped answering pings"
    assert (drop.by_box, drop.proven) == (False, True)
    assert run.client.counters.liveness_probes == 0
    await run.connected(2)
    # Learnt afresh on the new connection: its first ping is answered again.
    await wait_for(lambda: run.client.pings is PingBehaviour.ANSWERS)
    await deliver(simulator, run)


async def test_a_box_that_stops_answering_pings_for_good_is_dropped_once(
    listen: Listen, simulator: BoxSimulator
) -> None:
    run = listen(heartbeat=HEARTBEAT)
    await wait_for(lambda: run.client.pings is PingBehaviour.ANSWERS)
    simulator.faults.no_pong = True  # a firmware update, a proxy in between
    await wait_for(lambda: DISCONNECTED in run.states)
    await wait_for(lambda: run.client.pings is PingBehaviour.IGNORES)
    probes = run.client.counters.liveness_probes
    await wait_for(lambda: run.client.counters.liveness_probes >= probes + 3)
    assert run.states.count(DISCONNECTED) == 1
    await deliver(simulator, run)


# Kind 2: a stale push.


@pytest.mark.parametrize("stuck", [True, False], ids=["stuck-box", "quiet-box"])
async def test_a_stale_push_is_reopened_quietly(
    listen: Listen, simulator: BoxSimulator, stuck: bool
) -> None:
    simulator.faults.stale = stuck  # else a healthy box that has nothing to tell
    run = listen(stale_after=STALE_AFTER)
    await wait_for(lambda: run.client.counters.stale_reconnects >= 2)
    await simulator.wait_for_subscription(count=3)
    drop = run.client.last_drop
    assert drop is not None
    assert (drop.cause, drop.by_box) == ("stale", False)
    assert run.states == [CONNECTING, CONNECTED]  # never DISCONNECTED, nor CONNECTING again
    assert run.client.state is CONNECTED
    assert run.client.refused_in_a_row == 0
    simulator.faults.stale = False
    await deliver(simulator, run)
    assert run.states == [CONNECTING, CONNECTED]
    assert run.client.counters.reconnects >= run.client.counters.stale_reconnects >= 2


async def test_a_box_that_forgets_its_client_is_healed_by_the_stale_reconnect(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.forget_after = FORGET
    run = listen(stale_after=STALE_AFTER)
    await simulator.wait_for_subscription()
    pushed = 0
    # An event now and then: each connection gets them for FORGET s, then none until the
    # client finds the push stale and opens (and subscribes on) a new one.
    for _ in range(200):
        await simulator.push_event()
        pushed += 1
        if {0, 1} <= set(run.stale_at):
            break
        await asyncio.sleep(0.05)
    assert {0, 1} <= set(run.stale_at)  # events came before and after a stale reconnect
    assert len(run.events) < pushed  # those pushed while forgotten were lost
    assert run.states == [CONNECTING, CONNECTED]
    drop = run.client.last_drop
    assert drop is not None
    assert drop.cause == "stale"


async def test_without_stale_after_a_quiet_push_stays_open(
    listen: Listen, simulator: BoxSimulator
) -> None:
    run = listen(heartbeat=1.0, stale_after=None)
    await run.connected()
    # The first ping and the heartbeat's next one: twice STALE_AFTER of silence, or more.
    await wait_for(lambda: simulator.pings_answered >= 2)
    assert run.client.counters.stale_reconnects == 0
    assert run.client.counters.reconnects == 0
    assert len(simulator.subscriptions) == 1
    assert run.client.last_drop is None
    await deliver(simulator, run)


async def test_a_stale_reconnect_that_fails_reports_disconnected(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.stale = True
    run = listen(stale_after=STALE_AFTER)
    await run.connected()
    simulator.stop_ws_listener()  # the open push stays; a new one is refused
    await wait_for(lambda: DISCONNECTED in run.states)
    assert run.client.counters.stale_reconnects >= 1
    assert run.states[:3] == [CONNECTING, CONNECTED, DISCONNECTED]
    drop = run.client.last_drop
    assert drop is not None
    assert drop.cause.startswith("cannot open")
    assert not drop.proven
    simulator.faults.stale = False
    await simulator.start_ws_listener()
    await run.connected(2)
    await deliver(simulator, run)


# Kind 3: the box closes the push with a code and a reason.


@pytest.mark.parametrize("refusal", list(REFUSED))
async def test_a_box_refusing_the_push_is_counted_in_a_row(
    listen: Listen, simulator: BoxSimulator, refusal: str
) -> None:
    simulator.faults.refuse_push = refusal
    # Settling takes far longer than a refusal: only a frame could make the push CONNECTED.
    run = listen(settle=1.0)
    await wait_for(lambda: run.client.refused_in_a_row >= 3)
    code, reason = REFUSED[refusal]
    drop = run.client.last_drop
    assert drop is not None
    assert (drop.close_code, drop.close_reason) == (code, reason)
    assert (drop.by_box, drop.proven) == (True, False)
    assert not {"\x1b", "\x00", "\n"} & set(drop.close_reason)
    assert f"code {code}" in drop.cause
    assert CONNECTED not in run.states
    assert run.client.counters.closed_by_box[str(code)] >= 3
    assert simulator.refused >= 3
    # Let in again: a plain close (1000, no reason) is no refusal and ends the run.
    simulator.faults.refuse_push = ""
    await run.connected()
    await deliver(simulator, run)
    assert run.client.refused_in_a_row >= 3  # until the next drop
    await simulator.close_connections()
    await wait_for(lambda: run.client.counters.closed_by_box.get("1000") == 1)
    assert run.client.refused_in_a_row == 0
    drop = run.client.last_drop
    assert drop is not None
    assert (drop.close_code, drop.close_reason, drop.proven) == (1000, "", True)


async def test_a_refusal_after_a_stable_connection_is_not_counted_in_a_row(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.refuse_push = "try_later"
    run = listen(settle=1.0, stable_after=0.0)  # every connection counts as stable
    await wait_for(lambda: run.client.counters.closed_by_box.get("1013", 0) >= 3)
    assert run.client.refused_in_a_row == 0
    drop = run.client.last_drop
    assert drop is not None
    assert (drop.close_code, drop.close_reason) == REFUSED["try_later"]


async def test_a_plain_close_is_no_refusal(listen: Listen, simulator: BoxSimulator) -> None:
    run = listen()
    await run.connected()
    await simulator.wait_for_subscription()
    await simulator.close_connections()
    await run.connected(2)
    drop = run.client.last_drop
    assert drop is not None
    assert (drop.by_box, drop.close_code, drop.close_reason, drop.proven) == (True, 1000, "", True)
    assert run.client.refused_in_a_row == 0
    assert run.client.counters.closed_by_box == {"1000": 1}


async def test_two_clients_of_a_box_that_keeps_the_newest_replace_each_other(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.newest_client_only = True
    first = listen()
    await simulator.wait_for_subscription()
    second = listen()
    await wait_for(
        lambda: first.client.refused_in_a_row >= 2 and second.client.refused_in_a_row >= 2
    )
    for run in (first, second):
        drop = run.client.last_drop
        assert drop is not None
        assert (drop.close_code, drop.close_reason) == REPLACED
        assert drop.by_box
        assert run.client.counters.closed_by_box["1008"] >= 2
    assert simulator.replaced >= 4


# Kind 4: wrong clocks. First the clock watch alone.

BASE = datetime(2025, 11, 26, 8, 30, 12, 345000, tzinfo=UTC)


def watched(skew: timedelta, samples: int = 3, box: BoxTime | None = None) -> ClockWatch:
    """Return a clock watch that saw samples recognitions stamped skew off their receipt."""
    watch = ClockWatch()
    if box is not None:
        watch.observe_box_time(box)
    for second in range(samples):
        received = BASE + timedelta(seconds=second)
        watch.observe_recognition(received + skew, received)
    return watch


def ms(moment: datetime) -> int:
    """Return a time in milliseconds since the epoch, as a box gives it."""
    return round(moment.timestamp() * 1000)


@pytest.mark.parametrize(
    ("skew", "correction"),
    [
        (8 * HOUR, 8 * HOUR),
        (8 * HOUR - timedelta(seconds=40), 8 * HOUR),
        (-5 * HOUR, -5 * HOUR),
        (8 * HOUR + timedelta(minutes=7), 8 * HOUR),
        (timedelta(minutes=7), timedelta(0)),
        (timedelta(minutes=-7), timedelta(0)),
        (5 * HOUR + timedelta(minutes=45), timedelta(0)),  # the box did not say it is Nepal
        (3 * HOUR + timedelta(minutes=30), timedelta(0)),
        (14 * HOUR, 14 * HOUR),
    ],
    ids=["+8h", "+8h-40s", "-5h", "+8h07", "+7min", "-7min", "+5h45", "+3h30", "+14h"],
)
def test_a_skew_near_a_whole_hour_is_corrected_and_the_rest_is_left(
    skew: timedelta, correction: timedelta
) -> None:
    watch = watched(skew)
    assert watch.skew == skew
    assert watch.correction == correction
    assert watch.residual == skew - correction


def test_two_recognitions_measure_nothing_yet() -> None:
    watch = watched(8 * HOUR, samples=2)
    assert (watch.skew, watch.correction, watch.residual) == (None, timedelta(0), None)


def test_a_quarter_hour_zone_is_corrected_only_when_it_is_the_boxs_own() -> None:
    skew = 5 * HOUR + timedelta(minutes=45)
    nepal = BoxTime(now=BASE, utc_offset=skew, skew=timedelta(seconds=1))
    watch = watched(skew, box=nepal)
    assert (watch.correction, watch.residual) == (skew, timedelta(0))
    china = BoxTime(now=BASE, utc_offset=8 * HOUR, skew=timedelta(seconds=1))
    assert watched(skew, box=china).correction == timedelta(0)


def test_the_box_time_call_decides_until_three_recognitions_are_measured() -> None:
    watch = ClockWatch()
    answer = BoxTime(now=BASE + 8 * HOUR, utc_offset=8 * HOUR, skew=8 * HOUR + timedelta(seconds=2))
    assert watch.observe_box_time(answer) is True
    assert watch.correction == 8 * HOUR
    assert watch.residual == timedelta(seconds=2)
    assert watch.observe_recognition(BASE, BASE) is False
    assert watch.observe_recognition(BASE, BASE) is False
    assert watch.correction == 8 * HOUR
    assert watch.observe_recognition(BASE, BASE) is True  # three on time outvote the call
    assert (watch.correction, watch.skew) == (timedelta(0), timedelta(0))
    assert watch.observe_box_time(answer) is False  # the recognitions still decide


def test_the_median_of_the_last_fifteen_recognitions_decides() -> None:
    watch = watched(8 * HOUR, samples=10)
    for _ in range(4):  # a few odd ones do not move the median
        watch.observe_recognition(BASE + timedelta(hours=2), BASE)
    assert watch.correction == 8 * HOUR
    changed = [watch.observe_recognition(BASE, BASE) for _ in range(15)]
    assert True in changed
    assert changed[-1] is False
    assert (watch.correction, watch.skew) == (timedelta(0), timedelta(0))


@pytest.mark.parametrize(
    "stamped",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(2100, 1, 1, tzinfo=UTC),
        BASE + timedelta(hours=15),
        BASE - timedelta(days=1),
    ],
    ids=["1970", "2100", "+15h", "-1d"],
)
def test_recognitions_beyond_any_time_zone_are_not_measured(stamped: datetime) -> None:
    watch = watched(timedelta(0), samples=2)
    for _ in range(3):
        assert watch.observe_recognition(stamped, BASE) is False
    assert watch.ignored_samples == 3
    assert watch.observe_recognition(None, BASE) is False  # no time at all: nothing to measure
    assert watch.ignored_samples == 3
    assert (watch.skew, watch.correction) == (None, timedelta(0))


def test_box_time_reads_the_time_zone_with_its_sign_inverted() -> None:
    asked, answered = BASE, BASE + timedelta(seconds=2)
    answer = box_time(ms(BASE + timedelta(seconds=1)), -8, asked, answered)
    # The skew is taken against the middle of the request.
    assert answer == BoxTime(
        now=BASE + timedelta(seconds=1), utc_offset=8 * HOUR, skew=timedelta(0)
    )
    assert box_time(ms(BASE), 5, BASE, BASE) == BoxTime(
        now=BASE, utc_offset=-5 * HOUR, skew=timedelta(0)
    )
    nepal = box_time(float(ms(BASE)), -5.75, BASE, BASE)
    assert nepal is not None
    assert nepal.utc_offset == 5 * HOUR + timedelta(minutes=45)
    eight_ahead = box_time(ms(BASE + 8 * HOUR), -8, BASE, BASE)
    assert eight_ahead is not None
    assert eight_ahead.skew == 8 * HOUR


@pytest.mark.parametrize(
    "time_ms",
    [True, False, "soon", None, -1, 0, [1764145812345], float("nan"), 1e30],
    ids=["true", "false", "text", "none", "negative", "zero", "list", "nan", "year-1e19"],
)
def test_box_time_without_a_usable_time_is_none(time_ms: object) -> None:
    assert box_time(time_ms, -8, BASE, BASE) is None


@pytest.mark.parametrize(
    "time_value",
    [ms(BASE), str(ms(BASE)), ms(BASE) / 1000, f"{ms(BASE) / 1000}"],
    ids=["ms", "ms-as-text", "seconds", "seconds-as-text"],
)
def test_box_time_in_seconds_or_as_text_is_read(time_value: object) -> None:
    answer = box_time(time_value, -8, BASE, BASE)
    assert answer is not None
    assert abs(answer.skew) < timedelta(milliseconds=1)


def test_a_box_time_call_beyond_any_time_zone_is_kept_but_not_used() -> None:
    watch = ClockWatch()
    answer = box_time(ms(datetime(1970, 1, 2, tzinfo=UTC)), -8, BASE, BASE)
    assert answer is not None
    assert watch.observe_box_time(answer) is False
    assert watch.box == answer
    assert (watch.skew, watch.correction, watch.residual) == (None, timedelta(0), None)


def test_a_clock_set_right_is_followed_after_five_recognitions() -> None:
    watch = watched(8 * HOUR, samples=15)
    assert watch.correction == 8 * HOUR
    assert not watch.fits(BASE, BASE)  # an event on time is not taken 8 h back
    changed = [watch.observe_recognition(BASE, BASE) for _ in range(5)]
    assert changed == [False, False, False, False, True]  # never a median halfway, at +4 h
    assert (watch.correction, watch.skew) == (timedelta(0), timedelta(0))
    assert watch.fits(BASE, BASE)


@pytest.mark.parametrize(
    "timezone",
    [True, "-8", None, 15, -15, float("nan"), [-8]],
    ids=["bool", "string", "none", "15", "-15", "nan", "list"],
)
def test_box_time_with_an_unusable_time_zone_gives_no_offset(timezone: object) -> None:
    answer = box_time(ms(BASE), timezone, BASE, BASE)
    assert answer is not None
    assert (answer.now, answer.utc_offset) == (BASE, None)


# Kind 4 against the box: its recognitions and its time call.


async def test_events_in_local_time_are_corrected_after_three(
    listen: Listen, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=API_LOGGER)
    simulator.faults.events_local_time = True  # +8 h: the default time zone is UTC+8
    run = listen()
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 6)
    watch = run.client.clock_watch
    assert watch.correction == 8 * HOUR
    assert watch.residual is not None
    assert abs(watch.residual) < NEAR
    for event, receipt in zip(run.events[:3], run.receipts[:3], strict=True):
        # Measured, not corrected yet: too far ahead, shown at receipt.
        assert event.timestamp == receipt
        assert "timestamp_implausible" in event.problems
        assert "timestamp_corrected" not in event.problems
        assert event.box_time is not None
        assert abs(event.box_time - receipt - 8 * HOUR) < NEAR
    for event, receipt in zip(run.events[3:], run.receipts[3:], strict=True):
        assert "timestamp_corrected" in event.problems
        assert "timestamp_implausible" not in event.problems
        assert receipt - NEAR < event.timestamp <= receipt
        assert event.box_time is not None
        assert event.box_time - event.timestamp == 8 * HOUR
    run.never_ahead()
    assert run.client.counters.quirks_accepted["timestamp_corrected"] == 3
    warnings = logged(caplog, CORRECTED)
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING


async def test_a_box_clock_set_right_shows_its_times_at_once(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.events_local_time = True
    run = listen()
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 6)
    assert run.client.clock_watch.correction == 8 * HOUR
    simulator.faults.events_local_time = False  # the box's time zone was set right
    await push_each(simulator, run, 6)
    for event in run.events[6:]:
        # On time from the first one on: never taken 8 h back by the old correction.
        assert event.timestamp == event.box_time
        assert "timestamp_corrected" not in event.problems
    assert run.client.clock_watch.correction == timedelta(0)
    run.never_ahead()


async def test_a_box_behind_our_clock_by_whole_hours_is_corrected_too(
    listen: Listen, simulator: BoxSimulator
) -> None:
    # Our clock 5 h ahead of the box's (the clock seam): the box seems 5 h behind.
    run = listen(clock=Receipts(shift=5 * HOUR))
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 5)
    assert run.client.clock_watch.correction == -5 * HOUR
    for event in run.events[:3]:  # 5 h behind is plausible: the box's time is shown
        assert event.timestamp == event.box_time
        assert not event.problems
    for event, receipt in zip(run.events[3:], run.receipts[3:], strict=True):
        assert event.problems == ("timestamp_corrected",)
        assert receipt - NEAR < event.timestamp <= receipt
    run.never_ahead()


async def test_a_whole_clock_off_by_hours_is_corrected_from_the_first_event(
    listen: Listen, simulator: BoxSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.faults.clock_offset = 8 * 3600.0  # the whole clock: events and the time call
    client = make_client(simulator, session)
    assert await client.async_get_box_time() is None  # no generation known yet
    await client.async_get_devices()
    answer = await client.async_get_box_time()
    assert answer is not None
    assert answer.utc_offset == 8 * HOUR
    assert abs(answer.skew - 8 * HOUR) < NEAR
    assert client.clock_watch.correction == 8 * HOUR
    run = listen(client)
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 2)
    for event, receipt in zip(run.events, run.receipts, strict=True):
        assert event.problems == ("timestamp_corrected",)
        assert receipt - NEAR < event.timestamp <= receipt
    run.never_ahead()


async def test_a_clock_minutes_behind_is_measured_not_corrected(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.clock_offset = -420.0  # 7 min behind
    run = listen()
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 4)
    watch = run.client.clock_watch
    assert watch.correction == timedelta(0)
    assert watch.residual is not None
    assert abs(watch.residual + timedelta(minutes=7)) < NEAR
    for event, receipt in zip(run.events, run.receipts, strict=True):
        assert event.timestamp == event.box_time  # the box's own time, as it gave it
        assert not event.problems
        assert abs(receipt - event.timestamp - timedelta(minutes=7)) < NEAR
    answer = await run.client.async_get_box_time()
    assert answer is not None
    assert abs(answer.skew + timedelta(minutes=7)) < NEAR
    assert watch.correction == timedelta(0)
    assert "timestamp_corrected" not in run.client.counters.quirks_accepted
    run.never_ahead()


async def test_a_clock_minutes_ahead_gives_times_of_receipt(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.clock_offset = 180.0  # 3 min ahead: plausible, but no time in the future
    run = listen()
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 4)
    watch = run.client.clock_watch
    assert watch.correction == timedelta(0)
    assert watch.residual is not None
    assert abs(watch.residual - timedelta(minutes=3)) < NEAR
    for event, receipt in zip(run.events, run.receipts, strict=True):
        assert event.timestamp == receipt
        assert event.problems == ("timestamp_ahead",)
    assert run.client.counters.quirks_accepted["timestamp_ahead"] == 4
    run.never_ahead()


async def test_a_clock_days_off_gives_times_of_receipt(
    listen: Listen, simulator: BoxSimulator
) -> None:
    simulator.faults.clock_offset = -2 * 86400.0
    run = listen()
    await simulator.wait_for_subscription()
    await push_each(simulator, run, 3)
    for event, receipt in zip(run.events, run.receipts, strict=True):
        assert event.timestamp == receipt
        assert "timestamp_implausible" in event.problems
    watch = run.client.clock_watch
    assert (watch.ignored_samples, watch.skew, watch.correction) == (3, None, timedelta(0))
    run.never_ahead()


async def test_the_box_time_call(simulator: BoxSimulator, session: aiohttp.ClientSession) -> None:
    client = make_client(simulator, session)
    await client.async_get_devices()
    answer = await client.async_get_box_time()
    assert answer is not None
    assert answer.utc_offset == 8 * HOUR  # the box says -8
    assert abs(answer.skew) < NEAR
    assert client.clock_watch.box == answer
    assert client.clock_watch.correction == timedelta(0)
    simulator.timezone = 5
    answer = await client.async_get_box_time()
    assert answer is not None
    assert answer.utc_offset == -5 * HOUR
    simulator.faults.no_time = True  # older firmware: 404
    assert await client.async_get_box_time() is None
    simulator.faults.no_time = False
    simulator.faults.version_down = True
    assert await client.async_get_box_time() is None
