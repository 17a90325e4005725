"""Catch-up: 1,000 recognitions missed during an outage, delivered late, beside the same live.

For each generation, one box: 1,000 recognitions pushed while the push is up (the baseline: how
long the integration takes for them live), then 1,000 made while it is down and delivered by the
catch-up once it is back. Both timed until the last bus event; the event loop's lag sampled
throughout (a task asking to wake every LAG_INTERVAL, and how late it woke).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from time import perf_counter

from homeassistant.core import Event, HomeAssistant

from custom_components.sophon.const import EVENT_RECOGNITION
from custom_components.sophon.coordinator import SophonCoordinator
from devtools.bench.hass import box_entry
from devtools.bench.results import CatchUpResult
from devtools.bench.timing import wait_until
from devtools.progress import say_bench as say
from sophon_sim import BoxSimulator

MISSED = 1_000
RUNS = 3
LAG_INTERVAL = 0.005  # seconds
SEPARATION = 1.5  # seconds between the live recognitions and the missed ones


@contextlib.asynccontextmanager
async def loop_lag(lags: list[float]) -> AsyncIterator[None]:
    """Sample how late the event loop wakes a sleeper (seconds) while the block runs."""
    loop = asyncio.get_running_loop()

    async def sample() -> None:
        while True:
            due = loop.time() + LAG_INTERVAL
            await asyncio.sleep(LAG_INTERVAL)
            lags.append(max(loop.time() - due, 0.0))

    task = asyncio.create_task(sample())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _one_run(hass: HomeAssistant, generation: str, seed: int, missed: int) -> CatchUpResult:
    """Time `missed` recognitions live, then as many caught up after an outage."""
    received: list[Event] = []
    remove = hass.bus.async_listen(EVENT_RECOGNITION, received.append)
    async with BoxSimulator(4, generation=generation, seed=seed) as sim:
        entry = box_entry(sim)
        entry.add_to_hass(hass)
        try:
            await hass.config_entries.async_setup(entry.entry_id)
            coordinator: SophonCoordinator = entry.runtime_data
            coordinator.client.backoff.initial = 0.02
            coordinator.client.backoff.maximum = 0.05
            await wait_until(lambda: coordinator.connected and coordinator.catch_up.last_run)
            result = CatchUpResult(generation=generation, events=missed)
            # Live: the same number of recognitions, pushed while the push is up.
            async with loop_lag(result.live_lags):
                started = perf_counter()
                await sim.push_many(missed)
                await wait_until(lambda: len(received) >= missed)
                result.live_seconds.append(perf_counter() - started)
            # Missed: made while the push is down, delivered by the catch-up once it is back. A
            # second apart from the live ones: a 1.0 box's history names a recognition by another
            # id than its push, so one is told from another by device, person, score and time.
            await asyncio.sleep(SEPARATION)
            sim.stop_ws_listener()
            await sim.close_connections()
            await wait_until(lambda: not coordinator.connected)
            await sim.push_many(missed)
            runs = coordinator.catch_up.runs
            async with loop_lag(result.catch_up_lags):
                started = perf_counter()
                await sim.start_ws_listener()
                await wait_until(lambda: len(received) >= 2 * missed)
                result.catch_up_seconds.append(perf_counter() - started)
            await wait_until(lambda: coordinator.catch_up.runs > runs)
            late = sum(1 for event in received if event.data["replayed"])
            if late != missed or len(received) != 2 * missed:
                result.problems.append(f"{late} late of {len(received)} received")
        finally:
            await hass.config_entries.async_remove(entry.entry_id)
            remove()
    return result


async def run_catch_ups(hass: HomeAssistant, missed: int = MISSED) -> list[CatchUpResult]:
    """Time the catch-up of `missed` recognitions in each generation, RUNS times each."""
    results = []
    for generation in ("1.0", "2.0"):
        runs = [await _one_run(hass, generation, 300 + run, missed) for run in range(RUNS)]
        merged = CatchUpResult.merged(runs)
        results.append(merged)
        say(
            f"catch-up {generation}: {missed} late in {merged.catch_up:.2f} s "
            f"(live {merged.live:.2f} s), loop lag p99 {merged.lag_p99_ms:.1f} ms"
        )
    return results
