"""Measurements of the benchmark: a consumer's events counted, rounds, paced latency, GC, memory."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter, process_time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from devtools.bench.simulator import SendClock

WAIT = 120.0  # seconds: the longest any single wait of the bench may take


@dataclass
class Tally:
    """Count the events a consumer finished, and when; optionally each event's arrival time."""

    target: int = 0
    count: int = 0
    finished_at: float = 0.0
    finished_cpu: float = 0.0
    received_at: float = 0.0
    arrivals: dict[str, float] | None = None
    handling: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def arm(self, target: int, *, arrivals: bool = False) -> None:
        """Start counting towards target events."""
        self.target, self.count, self.finished_at = target, 0, 0.0
        self.arrivals = {} if arrivals else None
        self.handling = []
        self.done.clear()

    def received(self) -> None:
        """Note that the consumer has a whole frame in hand (and starts handling it)."""
        self.received_at = perf_counter()

    def arrived(self, event_id: Any) -> None:
        """Note the time an event reached the point where latency is measured."""
        if self.arrivals is not None and event_id is not None:
            now = perf_counter()
            self.arrivals[str(event_id)] = now
            self.handling.append(now - self.received_at)

    def finished(self, *, settle: bool = False) -> None:
        """Count one event handled completely.

        settle: take the last event's time one loop turn later, after whatever its handling
        scheduled with call_soon (state writes deferred by the integration would be in it).
        """
        self.count += 1
        if self.count == self.target:
            if settle:
                asyncio.get_running_loop().call_soon(self._finish)
            else:
                self._finish()

    def _finish(self) -> None:
        """Take the time of the last event and wake the waiter."""
        self.finished_at, self.finished_cpu = perf_counter(), process_time()
        self.done.set()


async def wait_until(predicate: Callable[[], object], timeout: float = WAIT) -> None:  # noqa: ASYNC109
    """Wait until predicate() is true, polling every millisecond."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - nothing to wait on: Home Assistant's state
            await asyncio.sleep(0.001)


@dataclass
class Round:
    """How long a round took, and the share of that time this process was on a CPU."""

    seconds: float
    cpu_share: float


async def run_until_counted(tally: Tally, count: int, push: Awaitable[Any]) -> Round:
    """Push count events and wait until the consumer handled them all.

    One process does everything here, so it should be on a CPU all round long: a CPU share well
    below 1 means something else on the machine took the CPU.
    """
    gc.collect()
    tally.arm(count)
    started, started_cpu = perf_counter(), process_time()
    pusher = asyncio.ensure_future(push)
    try:
        async with asyncio.timeout(WAIT):
            await tally.done.wait()
            await pusher
    finally:
        pusher.cancel()
    seconds = tally.finished_at - started
    return Round(seconds, (tally.finished_cpu - started_cpu) / seconds)


async def paced(
    tally: Tally, clock: SendClock, count: int, rate: float, push_one: Callable[[], Awaitable[Any]]
) -> list[float]:
    """Push count events at rate per second; return each one's latency send → arrival (s)."""
    gc.collect()
    tally.arm(count, arrivals=True)
    clock.stamps = {}
    started = perf_counter()
    clock.gc.start()
    try:
        async with asyncio.timeout(WAIT):
            for index in range(count):
                # Always yield: a late push must not run back to back with the next ones while
                # the consumer, on the same loop, waits (a real box is another machine).
                await asyncio.sleep(max(0.0, started + index / rate - perf_counter()))
                await push_one()
            await tally.done.wait()
        sent, arrived = clock.stamps, tally.arrivals or {}
        clock.handling = tally.handling
        return [arrived[key] - sent[key] for key in arrived if key in sent]
    finally:
        clock.stamps = None
        tally.arrivals = None
        clock.pauses = clock.gc.stop()


class GcWatch:
    """Record the garbage collector's pauses while active (gc.callbacks)."""

    def __init__(self) -> None:
        """Install the callback; nothing is recorded until start()."""
        self.pauses: list[tuple[int, float]] | None = None
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        """Time one collection."""
        if self.pauses is None:
            return
        if phase == "start":
            self._began = perf_counter()
        else:
            self.pauses.append((info["generation"], perf_counter() - self._began))

    def start(self) -> None:
        """Start recording."""
        self.pauses = []

    def stop(self) -> list[tuple[int, float]]:
        """Stop recording; return (generation, seconds) of each collection."""
        pauses, self.pauses = self.pauses or [], None
        return pauses

    def close(self) -> None:
        """Remove the callback."""
        gc.callbacks.remove(self._callback)


def rss_bytes() -> int:
    """Return this process's resident memory (VmRSS) in bytes."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share in 0..1) of values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]
