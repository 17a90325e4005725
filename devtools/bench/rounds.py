"""One workload's measurements: its streams, the throughput rounds, paced latency, memory."""

from __future__ import annotations

import contextlib
import gc
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from time import perf_counter
from typing import Any

from homeassistant.core import HomeAssistant

from devtools.bench.consumers import BareClient, IntegrationConsumer
from devtools.bench.floor import HaFloor
from devtools.bench.profile import profile
from devtools.bench.results import (
    BASELINE,
    CONSUMERS,
    FLOOR,
    INTEGRATION,
    MIB,
    ORDER,
    PACE,
    RECEIVE,
    Memory,
    WorkloadResult,
)
from devtools.bench.simulator import (
    REGISTERED_PERSON,
    SendClock,
    bench_devices,
    realistic_registered_photo,
)
from devtools.bench.timing import Tally, paced, rss_bytes, run_until_counted
from devtools.bench.workloads import Options, Workload
from devtools.progress import say_bench as say
from sophon_sim import BoxSimulator
from sophon_sim.imagery import Picture, face_marker

WARM_UP = 500  # events per consumer before the first round
RECORDED = 500  # events through the integration that the HA floor records, before the warm-up
MEMORY_CHUNK = 5_000


@dataclass
class Streams:
    """A simulator for one workload with the three consumers connected, and the HA floor."""

    clock: SendClock
    tallies: dict[str, Tally]
    pushes: dict[str, Callable[[int], Awaitable[Any]]]
    integration: IntegrationConsumer
    device_id: str


def pusher(
    sim: BoxSimulator, workload: Workload, device_id: str
) -> Callable[[int], Awaitable[Any]]:
    """Return push(n): n events to one device, as fast as the simulator sends them."""
    if not workload.images:
        return lambda count: sim.push_many(count, device_id)

    async def push(count: int) -> None:
        for _ in range(count):
            await sim.push_event(device_id, person=REGISTERED_PERSON)

    return push


async def record_floor(floor: HaFloor, run: Streams) -> None:
    """Let the HA floor record what RECORDED events through the integration make HA do."""
    with floor.recording(run.integration.coordinator.config_entry.entry_id):
        await run_until_counted(
            run.tallies[INTEGRATION], RECORDED, run.pushes[INTEGRATION](RECORDED)
        )
    writes = sum(len(recognition.writes) for recognition in floor.recorded)
    say(f"  {FLOOR}: {writes / len(floor.recorded):.2f} state writes per recognition recorded")


@contextlib.asynccontextmanager
async def streams(
    hass: HomeAssistant, workload: Workload, photo: Picture
) -> AsyncIterator[Streams]:
    """Run a simulator for a workload with the three consumers, and the HA floor recorded."""
    async with BoxSimulator(bench_devices(3), generation=workload.generation, seed=1) as sim:
        sim.faults.greeter_mode = workload.greeter
        sim._bank._registered[face_marker(REGISTERED_PERSON.image_key)] = photo  # noqa: SLF001
        clock = SendClock(sim)
        devices = dict(zip(CONSUMERS, (device.device_id for device in sim.devices), strict=True))
        tallies = {who: Tally() for who in ORDER}
        integration = IntegrationConsumer(hass, sim, tallies[INTEGRATION])
        baseline = BareClient(sim, tallies[BASELINE])
        receiver = BareClient(sim, tallies[RECEIVE], parse=False)
        floor = HaFloor(hass, tallies[FLOOR])
        try:
            await integration.start(devices[INTEGRATION], workload.face, workload.registered)
            await baseline.start(devices[BASELINE], workload.face, workload.registered)
            await receiver.start(devices[RECEIVE], workload.face, workload.registered)
            pushes = {who: pusher(sim, workload, devices[who]) for who in CONSUMERS}
            run = Streams(
                clock, tallies, {**pushes, FLOOR: floor.push}, integration, devices[INTEGRATION]
            )
            await record_floor(floor, run)
            yield run
        finally:
            await receiver.stop()
            await baseline.stop()
            await integration.stop()
            clock.gc.close()


async def run_workload(
    hass: HomeAssistant, workload: Workload, options: Options, photo: Picture
) -> WorkloadResult:
    """Measure one workload: throughput rounds, paced latency, memory."""
    result = WorkloadResult(workload, workload.scaled(options.scale))
    say(f"{workload.title}: starting")
    async with streams(hass, workload, photo) as run:
        result.setup_seconds = run.integration.setup_seconds
        await measure_rounds(result, options, run)
        await measure_latency(result, options, run)
        events = int(options.memory_events * workload.memory)
        if events:
            result.memory = await measure_memory(run, events)
        result.images = run.integration.image_bytes(run.device_id)
        counters = run.integration.coordinator.client.counters
        if counters.rejected_total or counters.duplicates_dropped or counters.images_dropped:
            result.problems.append(f"integration counters: {counters.as_dict()}")
    return result


async def measure_rounds(result: WorkloadResult, options: Options, run: Streams) -> None:
    """Warm up each consumer, then run the throughput rounds, alternating the consumers."""
    count, tallies, pushes = result.events_per_round, run.tallies, run.pushes
    for who in ORDER:
        await run_until_counted(tallies[who], WARM_UP, pushes[who](WARM_UP))
    result.frame_bytes = run.clock.last_frame_bytes
    result.rates = {who: [] for who in ORDER}
    for round_no in range(options.rounds):
        for who in ORDER:
            measured = await run_until_counted(tallies[who], count, pushes[who](count))
            result.rates[who].append(count / measured.seconds)
            result.cpu_shares.append(measured.cpu_share)
        rates = ", ".join(f"{who} {result.rates[who][-1]:,.0f}" for who in ORDER)
        say(f"  round {round_no + 1}, events/s: {rates}")


async def measure_latency(result: WorkloadResult, options: Options, run: Streams) -> None:
    """Push events at PACE per second through the baseline, then through the integration."""
    for who in (BASELINE, INTEGRATION):
        result.latency[who] = await paced(
            run.tallies[who], run.clock, options.latency_events, PACE, partial(run.pushes[who], 1)
        )
        result.gc_pauses[who], result.handling[who] = run.clock.pauses, run.clock.handling
        if len(result.latency[who]) != options.latency_events:
            result.problems.append(f"{who}: {len(result.latency[who])} latencies matched")
    say(
        f"  latency p99 at {PACE:.0f}/s: baseline {result.p(BASELINE, 0.99):.2f} ms, "
        f"integration {result.p(INTEGRATION, 0.99):.2f} ms"
    )


async def measure_memory(run: Streams, events: int) -> Memory:
    """Measure VmRSS (after gc.collect()) before and after events through the integration."""
    tally, push = run.tallies[INTEGRATION], run.pushes[INTEGRATION]
    gc.collect()
    before, blocks_before = rss_bytes(), sys.getallocatedblocks()
    started, done = perf_counter(), 0
    while done < events:
        count = min(MEMORY_CHUNK, events - done)
        await run_until_counted(tally, count, push(count))
        done += count
    seconds = perf_counter() - started
    gc.collect()
    memory = Memory(events, before, rss_bytes(), blocks_before, sys.getallocatedblocks(), seconds)
    say(
        f"  memory: {events:,} events in {seconds:.0f} s, "
        f"VmRSS {memory.before / MIB:.1f} -> {memory.after / MIB:.1f} MiB"
    )
    return memory


async def profile_workload(hass: HomeAssistant, workload: Workload, options: Options) -> None:
    """Profile the same number of events through the baseline, the integration and the floor."""
    count = workload.scaled(options.scale)
    profiled = (BASELINE, INTEGRATION, FLOOR)
    async with streams(hass, workload, realistic_registered_photo()) as run:
        for who in profiled:
            await run_until_counted(run.tallies[who], WARM_UP, run.pushes[who](WARM_UP))
        for who in profiled:
            title = f"{workload.title}, {who}"
            lines = await profile(
                title, run.tallies[who], run.pushes[who], count, run_until_counted
            )
            print("\n".join(lines), flush=True)
