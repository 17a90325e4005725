"""Setup times: many boxes with many devices set up at once, until every entity has a state."""

from __future__ import annotations

import asyncio
import contextlib
from time import perf_counter

from homeassistant.core import HomeAssistant
from homeassistant.helpers import entity_registry as er

from devtools.bench.hass import box_entry
from devtools.bench.results import SetupResult
from devtools.bench.timing import wait_until
from devtools.progress import say_bench as say
from sophon_sim import BoxSimulator

# Per device: 3 images, 4 sensors, 1 event; per box: connected and events_received (the
# camera and frames_rejected are disabled by default: in the registry, without a state).
STATES_PER_DEVICE = 8
STATES_PER_BOX = 2
SETUP_CASES = ((1, 64, 3), (20, 32, 2))  # boxes, devices per box, runs


async def setup_case(
    hass: HomeAssistant, generation: str, boxes: int, devices: int, seed: int
) -> float:
    """Set up boxes at once; return the seconds until every entity exists and every box listens."""
    async with contextlib.AsyncExitStack() as stack:
        sims = [
            await stack.enter_async_context(
                BoxSimulator(devices, generation=generation, seed=seed + index)
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
    for generation in ("1.0", "2.0"):
        for boxes, devices, runs in SETUP_CASES:
            times = []
            for _ in range(runs):
                seed += boxes
                times.append(await setup_case(hass, generation, boxes, devices, seed))
            states = boxes * (devices * STATES_PER_DEVICE + STATES_PER_BOX)
            results.append(SetupResult(generation, boxes, devices, states, times))
            say(f"setup {generation}, {boxes} x {devices} devices: {min(times):.2f} s")
    return results
