"""docs/benchmarks.md: the generated report, its method, and the notes written by hand below it."""

from __future__ import annotations

from devtools import REPO
from devtools.bench.report import report, targets, verdict
from devtools.bench.results import CatchUpResult, SetupResult, WorkloadResult
from devtools.progress import say_bench

DOCS = REPO / "docs" / "benchmarks.md"
# Everything below this line in docs/benchmarks.md is written by hand and kept by each run.
KEPT = "<!-- Written by hand below this line; scripts/bench keeps it. -->"

METHOD = """\
- One process, one event loop: the test harness's Home Assistant (`async_test_home_assistant`
  from pytest-homeassistant-custom-component, in a plain asyncio script: no HTTP port, no
  recorder, asyncio debug off, logging at WARNING), the box simulator (`sophon_sim`), three
  consumers and Home Assistant's floor. The simulator's own work (building and serialising
  frames) runs on the same loop and is inside every number; the receive-only column shows its
  share.
- Each workload runs its own simulator with three identical gates, one per consumer: the
  integration's config entry subscribes to the first (entry option `devices`), the baseline to
  the second, a receive-only client to the third. Each stream reaches exactly one consumer; the
  others stay connected and idle.
- Receive-only: an aiohttp WebSocket client that counts frames (the cost of the simulator and the
  socket). Baseline: the same, plus `homeassistant.util.json.json_loads` and `binascii.a2b_base64`
  of each picture (2.0: after the data-URI prefix), nothing else. Integration: the config entry set
  up for real: `BoxClient`, the coordinator, the `sophon_recognition` bus event, the state writes
  of the device's entities (images, sensors, event, camera) and of the box's entities; pictures
  stored in the coordinator. In 2.0 the scene photo is fetched only when the image is requested,
  which nothing does here.
- HA floor: what Home Assistant itself does for the integration's recognitions, with none of the
  integration. Before the rounds 500 events go through the integration while the bench records,
  in order, each `sophon_recognition` bus event (its data) and every state write of the entry's
  entities (`state_changed` and `state_reported`: a write that changes nothing costs too; writes
  the integration coalesces in a burst stay coalesced). A floor round replays that record, round
  and round: `hass.bus.async_fire` with the same data and `hass.states.async_set` of the same
  entity ids, states and attributes, the loop turning every 16 recognitions; no socket, no
  parsing, no coordinator, no entity code. Its µs/ev is all of its time (it receives nothing);
  "own µs/ev" is the integration's beyond receive-only minus the floor's. Home Assistant's
  `Entity.async_write_ha_state` (assembling a state's attributes from the entity's properties)
  stays on the integration's side: a replay of states cannot run it without the entities, whose
  properties are the integration's code. The floor is therefore a little below what any
  integration with these entities could reach: a lower bound of Home Assistant's cost.
- Throughput: 500 warm-up events per consumer, then rounds alternating receive-only, baseline,
  integration, HA floor. A round pushes its events as fast as the simulator sends them
  (`push_many`; `push_event` in a loop with a registered person for the image workloads) and ends
  when the consumer has finished the last one (integration: one loop turn after
  `BoxClient.feed_frame` returns, so that state writes it deferred with `call_soon` are inside;
  HA floor: one loop turn after its last replayed recognition). The ratios are the medians of the
  per-round ratios: this virtual machine's speed drifts by 10-20 % from one round to the next (the
  CPU share column tells whether another process took the CPU).
- Latency: events pushed at a fixed pace, the pusher yielding to the loop after each one. Send
  time: `time.perf_counter()` just before the simulator writes the frame to the socket (the bench
  wraps the simulator's `_deliver` and `_send` on the instance; `sophon_sim` is unchanged).
  Arrival: in a `sophon_recognition` bus listener (baseline: after parsing and decoding). "In
  hand" is the consumer's own part: from the moment it has the whole frame (the WebSocket message
  returned) to the arrival; the rest is the wait for the loop, which the simulator shares. "GC
  max" is the longest garbage collection during the paced run (`gc.callbacks`).
- ulid_transform: Home Assistant makes a ULID for the context of every state write and bus event;
  the line above says whether the test environment has its C extension or the pure-Python
  fallback (about 5 µs per ULID instead of 0.2).
- Memory: after the workload's rounds and latency run (thousands of events: every cache and
  bounded window filled), `gc.collect()`, VmRSS from /proc/self/status, then the events pushed in
  chunks of 5,000, `gc.collect()`, VmRSS again. "Python blocks" is the change in
  `sys.getallocatedblocks()`. The 250 KiB-frame workload runs a tenth of the events (100,000 take
  over 5 minutes): a picture kept per event would still show there as gigabytes.
- Pictures: face crop 160x160 and scene 1280x720 as the simulator draws them; the registered
  photo 413x579 (2-inch ID photo) with camera noise, made by the bench, for the person pushed.
- Setup: 1 and 20 simulated boxes (devices with realistic names and types), their config entries
  set up at once; timed until every enabled entity has a state and every box holds a push
  subscription naming all its devices. Repeated with new device ids; the entries are removed after
  each run.
- Catch-up: per generation, one simulated box with 4 devices; 1,000 recognitions pushed while
  the push is up (live), then, 1.5 s later, 1,000 made while it is down (its port closed) and
  delivered by the integration's catch-up once the port opens again (the client's reconnect
  pause set to 20-50 ms). Each timed until the last bus event, 3 runs. The event loop's lag is
  sampled throughout by a task that sleeps 5 ms and notes how late it wakes.
"""


def markdown(
    env: dict[str, str],
    results: list[WorkloadResult],
    setups: list[SetupResult],
    command: str,
    catch_ups: list[CatchUpResult] | None = None,
) -> str:
    """Return the text of docs/benchmarks.md."""
    lines = ["# Benchmarks", "", "Written by `scripts/bench` on its last run; not by hand.", ""]
    lines += [f"- {key}: {value}" for key, value in env.items()]
    lines += [f"- Command: `{command}`", "", "## Targets", ""]
    lines += [f"- {verdict(ok)}: {name}" for name, ok in targets(results, catch_ups)]
    lines += ["", "## Results", "", *report(results, setups, markdown=True, catch_ups=catch_ups)]
    lines += [""]
    problems = [f"- {r.workload.title}: {p}" for r in results for p in r.problems]
    if problems:
        lines += ["## Problems seen", "", *problems, ""]
    lines += ["## Method", "", METHOD]
    return "\n".join(lines)


def write_docs(text: str) -> None:
    """Write docs/benchmarks.md, keeping what was written by hand below the KEPT line."""
    kept = ""
    if DOCS.exists() and KEPT in (old := DOCS.read_text(encoding="utf-8")):
        kept = old[old.index(KEPT) :]
    DOCS.write_text(f"{text.rstrip()}\n\n{kept or KEPT + chr(10)}", encoding="utf-8")
    say_bench(f"wrote {DOCS.relative_to(REPO)}")
