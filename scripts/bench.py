"""Benchmark the integration against a bare WebSocket loop in one Home Assistant (scripts/bench)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from time import perf_counter
from typing import Any

from bench_harness import (
    REGISTERED_PERSON,
    BareClient,
    IntegrationConsumer,
    SendClock,
    Tally,
    bench_devices,
    box_entry,
    home_assistant,
    paced,
    realistic_registered_photo,
    rss_bytes,
    run_until_counted,
    wait_until,
)
from bench_profile import profile
from bench_report import (
    BASELINE,
    INTEGRATION,
    MEMORY_EVENTS,
    MIB,
    ORDER,
    PACE,
    RECEIVE,
    Memory,
    SetupResult,
    Workload,
    WorkloadResult,
    environment,
    load_average,
    markdown,
    report,
    targets,
    verdict,
)
from homeassistant import runner
from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from sophon_sim import BoxSimulator
from sophon_sim.imagery import Picture

REPO = Path(__file__).resolve().parent.parent
DOCS = REPO / "docs" / "benchmarks.md"
# Everything below this line in docs/benchmarks.md is written by hand and kept by each run.
KEPT = "<!-- Written by hand below this line; scripts/bench keeps it. -->"
WARM_UP = 500  # events per consumer before the first round
MEMORY_CHUNK = 5_000
# Per device: 3 images, 4 sensors, 1 event; per box: connected and events_received (the
# camera and frames_rejected are disabled by default: in the registry, without a state).
STATES_PER_DEVICE = 8
STATES_PER_BOX = 2
SETUP_CASES = ((1, 64, 3), (20, 32, 2))  # boxes, devices per box, runs
# Rounds of about 3 s through the integration on a 2-core machine.
WORKLOADS: tuple[Workload, ...] = (
    Workload(key="v1-none", title="1.0 no images", protocol="1.0", images=False, events=8_000),
    Workload(
        key="v1-face",
        title="1.0 face only",
        protocol="1.0",
        images=True,
        face=True,
        greeter=True,  # the simulator's greeter mode: no scene photo in 1.0 frames
        events=6_000,
    ),
    Workload(
        key="v1-full",
        title="1.0 face+scene+registered",
        protocol="1.0",
        images=True,
        face=True,
        registered=True,
        events=1_000,
        memory=0.1,
    ),
    Workload(
        key="v2-face-reg",
        title="2.0 face+registered",
        protocol="2.0",
        images=True,
        face=True,
        registered=True,
        events=2_500,
    ),
)


@dataclass
class Options:
    """What to run, from the command line."""

    rounds: int
    scale: float
    latency_events: int
    memory_events: int
    workloads: tuple[Workload, ...]
    setup: bool
    write: bool
    command: str
    profile: Workload | None = None


@dataclass
class Streams:
    """A simulator for one workload with the three consumers connected, one device each."""

    clock: SendClock
    tallies: dict[str, Tally]
    pushes: dict[str, Callable[[int], Awaitable[Any]]]
    integration: IntegrationConsumer
    device_id: str


def say(line: str) -> None:
    """Print one line of progress at once."""
    print(f"[bench] {line}", file=sys.stderr, flush=True)


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


@contextlib.asynccontextmanager
async def streams(
    hass: HomeAssistant, workload: Workload, photo: Picture
) -> AsyncIterator[Streams]:
    """Run a simulator for a workload with the integration, the baseline and receive-only."""
    async with BoxSimulator(bench_devices(3), protocol=workload.protocol, seed=1) as sim:
        sim.faults.greeter_mode = workload.greeter
        sim._bank._registered[REGISTERED_PERSON.image_key] = photo  # noqa: SLF001
        clock = SendClock(sim)
        devices = dict(zip(ORDER, (device.device_id for device in sim.devices), strict=True))
        tallies = {who: Tally() for who in ORDER}
        integration = IntegrationConsumer(hass, sim, tallies[INTEGRATION])
        baseline = BareClient(sim, tallies[BASELINE])
        receiver = BareClient(sim, tallies[RECEIVE], parse=False)
        try:
            await integration.start(devices[INTEGRATION], workload.face, workload.registered)
            await baseline.start(devices[BASELINE], workload.face, workload.registered)
            await receiver.start(devices[RECEIVE], workload.face, workload.registered)
            pushes = {who: pusher(sim, workload, devices[who]) for who in ORDER}
            yield Streams(clock, tallies, pushes, integration, devices[INTEGRATION])
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


async def setup_case(
    hass: HomeAssistant, protocol: str, boxes: int, devices: int, seed: int
) -> float:
    """Set up boxes at once; return the seconds until every entity exists and every box listens."""
    async with contextlib.AsyncExitStack() as stack:
        sims = [
            await stack.enter_async_context(
                BoxSimulator(devices, protocol=protocol, seed=seed + index)
            )
            for index in range(boxes)
        ]
        entries = [box_entry(sim) for sim in sims]
        for entry in entries:
            entry.add_to_hass(hass)
        wanted = hass.states.async_entity_ids_count() + boxes * (
            devices * STATES_PER_DEVICE + STATES_PER_BOX
        )
        started = perf_counter()
        setups = await asyncio.gather(
            *(hass.config_entries.async_setup(entry.entry_id) for entry in entries)
        )
        await wait_until(
            lambda: (
                hass.states.async_entity_ids_count() >= wanted
                and all(sim.subscriptions for sim in sims)
            )
        )
        seconds = perf_counter() - started
        if not all(setups):
            raise RuntimeError("a config entry did not set up")
        for sim, entry in zip(sims, entries, strict=True):
            check_box(hass, sim, entry.entry_id, devices)
        for entry in entries:
            await hass.config_entries.async_remove(entry.entry_id)
    return seconds


def check_box(hass: HomeAssistant, sim: BoxSimulator, entry_id: str, devices: int) -> None:
    """Fail unless the box subscribed to every device and every enabled entity has a state."""
    raw = sim.subscriptions[-1]
    subscribed = raw.get("event_list", raw.get("media_device_ids")) or []
    registry = er.async_get(hass)
    enabled = [e for e in er.async_entries_for_config_entry(registry, entry_id) if not e.disabled]
    missing = [e.entity_id for e in enabled if hass.states.get(e.entity_id) is None]
    expected = devices * STATES_PER_DEVICE + STATES_PER_BOX
    if len(subscribed) != devices or missing or len(enabled) != expected:
        message = f"{len(subscribed)} devices subscribed, {len(enabled)} entities, no state: "
        raise RuntimeError(message + ", ".join(missing))


async def run_setups(hass: HomeAssistant) -> list[SetupResult]:
    """Time the setup of 1 box with 64 devices and of 20 boxes with 32, in each generation."""
    results, seed = [], 100
    for protocol in ("1.0", "2.0"):
        for boxes, devices, runs in SETUP_CASES:
            times = []
            for _ in range(runs):
                seed += boxes
                times.append(await setup_case(hass, protocol, boxes, devices, seed))
            states = boxes * (devices * STATES_PER_DEVICE + STATES_PER_BOX)
            results.append(SetupResult(protocol, boxes, devices, states, times))
            say(f"setup {protocol}, {boxes} x {devices} devices: {min(times):.2f} s")
    return results


async def profile_workload(hass: HomeAssistant, workload: Workload, options: Options) -> None:
    """Profile the same number of events through the baseline and through the integration."""
    count = workload.scaled(options.scale)
    async with streams(hass, workload, realistic_registered_photo()) as run:
        for who in (BASELINE, INTEGRATION):
            await run_until_counted(run.tallies[who], WARM_UP, run.pushes[who](WARM_UP))
        for who in (BASELINE, INTEGRATION):
            title = f"{workload.title}, {who}"
            lines = await profile(
                title, run.tallies[who], run.pushes[who], count, run_until_counted
            )
            print("\n".join(lines), flush=True)


def write_docs(text: str) -> None:
    """Write docs/benchmarks.md, keeping what was written by hand below the KEPT line."""
    kept = ""
    if DOCS.exists() and KEPT in (old := DOCS.read_text(encoding="utf-8")):
        kept = old[old.index(KEPT) :]
    DOCS.write_text(f"{text.rstrip()}\n\n{kept or KEPT + chr(10)}", encoding="utf-8")
    say(f"wrote {DOCS.relative_to(REPO)}")


async def bench(options: Options) -> int:
    """Run every measurement in one Home Assistant; print the results and write the docs."""
    loop = asyncio.get_running_loop()
    runner.configure_event_loop(loop)
    loop.set_debug(False)
    env = environment(loop.get_debug())
    for key, value in env.items():
        say(f"{key}: {value}")
    if options.profile is not None:
        async with home_assistant() as hass:
            await profile_workload(hass, options.profile, options)
        return 0
    started = perf_counter()
    photo = realistic_registered_photo()
    results: list[WorkloadResult] = []
    setups: list[SetupResult] = []
    async with home_assistant() as hass:
        for workload in options.workloads:
            results.append(await run_workload(hass, workload, options, photo))  # noqa: PERF401
        if options.setup:
            setups = await run_setups(hass)
    env["Load average at end"] = load_average()
    env["Duration"] = f"{perf_counter() - started:.0f} s"
    print(f"\nSophon benchmark, {env['Date']}: {env['CPU']}, {env['Cores']} cores")
    print(
        f"Python {env['Python']}, Home Assistant {env['Home Assistant']}, asyncio debug "
        f"{env['asyncio debug']}, log level {env['Log level']}, ulid_transform "
        f"{env['ulid_transform']}; load {env['Load average at start']} -> "
        f"{env['Load average at end']}; took {env['Duration']}\n"
    )
    print("\n".join(report(results, setups, markdown=False)), end="\n\n")
    for name, ok in targets(results):
        print(f"{verdict(ok)}  {name}")
    for result in results:
        for problem in result.problems:
            print(f"PROBLEM  {result.workload.title}: {problem}")
    if options.write:
        write_docs(markdown(env, results, setups, options.command))
    return 0


def parse_args(argv: list[str]) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    keys = [workload.key for workload in WORKLOADS]
    parser.add_argument("--rounds", type=int, default=5, help="rounds per consumer (5)")
    parser.add_argument("--scale", type=float, default=1.0, help="events per round times this")
    parser.add_argument("--latency-events", type=int, default=1_500, help="paced events (1500)")
    parser.add_argument(
        "--memory-events", type=int, default=MEMORY_EVENTS, help="memory run; 0 skips (100000)"
    )
    parser.add_argument("--only", action="append", choices=keys, help="this workload (repeat)")
    parser.add_argument("--no-setup", action="store_true", help="skip the setup timings")
    parser.add_argument("--no-write", action="store_true", help=f"do not write {DOCS.name}")
    parser.add_argument("--quick", action="store_true", help="smoke test; implies --no-write")
    parser.add_argument("--profile", choices=keys, help="profile one workload with pyinstrument")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    subset = quick or bool(args.only) or args.no_setup
    return Options(
        rounds=1 if quick else args.rounds,
        scale=0.05 if quick else args.scale,
        latency_events=200 if quick else args.latency_events,
        memory_events=5_000 if quick else args.memory_events,
        workloads=tuple(w for w in WORKLOADS if not args.only or w.key in args.only),
        setup=not args.no_setup,
        write=not (args.no_write or subset),
        command=" ".join(["scripts/bench", *argv]),
        profile=next((w for w in WORKLOADS if w.key == args.profile), None),
    )


def main() -> int:
    """Run the benchmark with asyncio debug off and logging at WARNING."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(bench(parse_args(sys.argv[1:])), debug=False)


if __name__ == "__main__":
    sys.exit(main())
