"""The benchmark's command line: what to run, then one Home Assistant for all of it, the report."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from time import perf_counter

from homeassistant import runner

from devtools.bench.catch_up_times import MISSED, run_catch_ups
from devtools.bench.docs import DOCS, markdown, write_docs
from devtools.bench.environment import environment, load_average
from devtools.bench.hass import home_assistant
from devtools.bench.report import report, targets, verdict
from devtools.bench.results import MEMORY_EVENTS, CatchUpResult, SetupResult, WorkloadResult
from devtools.bench.rounds import profile_workload, run_workload
from devtools.bench.setup_times import run_setups
from devtools.bench.simulator import realistic_registered_photo
from devtools.bench.workloads import WORKLOADS, Options
from devtools.progress import say_bench as say

DESCRIPTION = (
    "Benchmark the integration against a bare WebSocket loop and Home Assistant's floor "
    "in one Home Assistant (scripts/bench)."
)


def print_summary(
    env: dict[str, str],
    results: list[WorkloadResult],
    setups: list[SetupResult],
    catch_ups: list[CatchUpResult],
) -> None:
    """Print the machine, the result tables, the targets and any problem seen."""
    print(f"\nSophon benchmark, {env['Date']}: {env['CPU']}, {env['Cores']} cores")
    print(
        f"Python {env['Python']}, Home Assistant {env['Home Assistant']}, asyncio debug "
        f"{env['asyncio debug']}, log level {env['Log level']}, ulid_transform "
        f"{env['ulid_transform']}; load {env['Load average at start']} -> "
        f"{env['Load average at end']}; took {env['Duration']}\n"
    )
    print("\n".join(report(results, setups, markdown=False, catch_ups=catch_ups)), end="\n\n")
    for name, ok in targets(results, catch_ups):
        print(f"{verdict(ok)}  {name}")
    for result in results:
        for problem in result.problems:
            print(f"PROBLEM  {result.workload.title}: {problem}")


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
    catch_ups: list[CatchUpResult] = []
    async with home_assistant() as hass:
        for workload in options.workloads:
            results.append(await run_workload(hass, workload, options, photo))  # noqa: PERF401
        if options.setup:
            setups = await run_setups(hass)
        if options.catch_up:
            catch_ups = await run_catch_ups(hass, options.catch_up)
    env["Load average at end"] = load_average()
    env["Duration"] = f"{perf_counter() - started:.0f} s"
    print_summary(env, results, setups, catch_ups)
    if options.write:
        write_docs(markdown(env, results, setups, options.command, catch_ups))
    return 0


def parse_args(argv: list[str]) -> Options:
    """Read the command line."""
    parser = argparse.ArgumentParser(prog="scripts/bench", description=DESCRIPTION)
    keys = [workload.key for workload in WORKLOADS]
    parser.add_argument("--rounds", type=int, default=5, help="rounds per consumer (5)")
    parser.add_argument("--scale", type=float, default=1.0, help="events per round times this")
    parser.add_argument("--latency-events", type=int, default=1_500, help="paced events (1500)")
    parser.add_argument(
        "--memory-events", type=int, default=MEMORY_EVENTS, help="memory run; 0 skips (100000)"
    )
    parser.add_argument("--only", action="append", choices=keys, help="this workload (repeat)")
    parser.add_argument("--no-setup", action="store_true", help="skip the setup timings")
    parser.add_argument(
        "--no-catch-up", action="store_true", help=f"skip the catch-up of {MISSED:,} missed"
    )
    parser.add_argument("--no-write", action="store_true", help=f"do not write {DOCS.name}")
    parser.add_argument("--quick", action="store_true", help="smoke test; implies --no-write")
    parser.add_argument("--profile", choices=keys, help="profile one workload with pyinstrument")
    args = parser.parse_args(argv)
    quick = bool(args.quick)
    subset = quick or bool(args.only) or args.no_setup or args.no_catch_up
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
        catch_up=0 if args.no_catch_up else 200 if quick else MISSED,
    )


def main() -> int:
    """Run the benchmark with asyncio debug off and logging at WARNING."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return asyncio.run(bench(parse_args(sys.argv[1:])), debug=False)
