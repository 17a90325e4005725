"""One simulated day, time compressed, against a box that does everything issue 13 describes.

The box never answers pings, goes stale twice (a stuck process, then forgotten subscriptions)
and has a clock eight hours ahead (its local time, UTC+8, set as if it were UTC). Through the
whole day: Connected never goes off, no repair appears, every recognition the box sent reaches
the bus exactly once, and every one is dated when it happened, never in the future.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir

from custom_components.sophon.api import Backoff, BoxClient, PingBehaviour, canonical_device_id
from custom_components.sophon.const import DOMAIN, EVENT_RECOGNITION
from custom_components.sophon.diagnostics import async_get_config_entry_diagnostics
from sophon_sim import BoxSimulator
from tests.conftest import wait_for
from tests.integration.conftest import entry_for

# One simulated minute lasts this many real seconds (a day: 36 s).
MINUTE = 0.025
DAY = 24 * 60
EVERY = 5  # minutes between two recognitions in the day's busy hours
QUIET_NIGHT = range(45)  # minutes with no recognition: the no-pong box is found here
STUCK = range(180, 270)  # the box's process is stuck: pings answered, nothing pushed
FORGETFUL = range(900, 1000)  # the box forgets each subscription ten minutes after it
FORGET_AFTER = 10


def _scaled(minutes: float, floor: float = 0.0) -> float:
    """Return simulated minutes as real seconds (at least floor)."""
    return max(minutes * MINUTE, floor)


@pytest.fixture
def compressed_day(monkeypatch: pytest.MonkeyPatch) -> list[BoxClient]:
    """Run the integration's timings on the compressed clock."""
    clients: list[BoxClient] = []

    def client_on_the_day_clock(**kwargs: Any) -> BoxClient:
        kwargs["stale_after"] = _scaled(30)
        client = BoxClient(
            **kwargs,
            heartbeat=_scaled(0.5, floor=0.1),
            settle=_scaled(3 / 60, floor=0.1),
            backoff=Backoff(initial=0.05, maximum=0.2),
        )
        clients.append(client)
        return client

    monkeypatch.setattr("custom_components.sophon.BoxClient", client_on_the_day_clock)
    monkeypatch.setattr(
        "custom_components.sophon.outage.STABLE_CONNECTION", timedelta(seconds=_scaled(1, 0.1))
    )
    monkeypatch.setattr(
        "custom_components.sophon.outage.UNREACHABLE_REPAIR_AFTER",
        timedelta(seconds=_scaled(30)),
    )
    monkeypatch.setattr(
        "custom_components.sophon.box_clock.CLOCK_CHECK_INTERVAL", timedelta(seconds=_scaled(60))
    )
    return clients


def _faults_at(sim: BoxSimulator, minute: int) -> None:
    """Switch the box's misbehaviours of the moment on or off."""
    sim.faults.stale = minute in STUCK
    sim.faults.forget_after = _scaled(FORGET_AFTER) if minute in FORGETFUL else 0.0


@dataclass
class Made:
    """A recognition the box made: when in the day, its frame, whether it reached a client."""

    minute: int
    frame: dict[str, Any]
    sent: bool

    @property
    def in_a_fault(self) -> bool:
        """Return True when the box was stuck or forgetful as it made it."""
        return self.minute in STUCK or self.minute in FORGETFUL


async def _live_the_day(sim: BoxSimulator) -> list[Made]:
    """Run the day: return every recognition the box made."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    made: list[Made] = []
    for minute in range(0, DAY, EVERY):
        await asyncio.sleep(max(0.0, start + minute * MINUTE - loop.time()))
        _faults_at(sim, minute)
        if minute in QUIET_NIGHT:
            continue
        device = sim.devices[len(made) % len(sim.devices)].device_id
        frame = await sim.push_event(device)
        made.append(Made(minute, frame, bool(sim.last_reached)))
    _faults_at(sim, DAY)
    return made


def _key(data: dict[str, Any], correction: timedelta | None = None) -> tuple[str, str, int]:
    """Return a recognition's device, identity and box time in ms (a frame, or a bus event's data).

    A bus event's time is on our clock: correction gives the box's back.
    """
    if correction is None:
        device = str(data.get("device_id") or data.get("media_device_id"))
        return canonical_device_id(device), str(data["identity_id"]), int(data["timestamp"])
    moment = datetime.fromisoformat(data["timestamp"]) + correction
    return (
        canonical_device_id(data["sophon_device_id"]),
        str(data["identity_id"]),
        math.floor(moment.timestamp() * 1000 + 1e-6),
    )


async def test_a_day_with_a_box_that_never_pongs_goes_stale_and_is_eight_hours_ahead(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    compressed_day: list[BoxClient],
    caplog: pytest.LogCaptureFixture,
) -> None:
    simulator.faults.no_pong = True
    simulator.faults.clock_offset = 8 * 3600.0
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    received: list[Event] = []
    connected: list[str] = []
    connected_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.entry_id}_connected"
    )

    @callback
    def on_state(event: Event) -> None:
        if event.data["entity_id"] == connected_id and event.data["new_state"] is not None:
            connected.append(event.data["new_state"].state)

    hass.bus.async_listen(EVENT_RECOGNITION, received.append)
    hass.bus.async_listen("state_changed", on_state)
    coordinator = entry.runtime_data
    await wait_for(lambda: coordinator.connected)
    await simulator.wait_for_subscription()

    made = await _live_the_day(simulator)
    sent = {str(m.frame["event_id"]): m for m in made if m.sent}
    # What the push did not bring (a stuck or forgetful box kept it) comes late, by the
    # catch-up after each quiet reopen: every recognition the box made arrives once.
    await wait_for(lambda: len(received) >= len(made), timeout=30)
    await hass.async_block_till_done()

    client = compressed_day[-1]
    assert Counter(_key(event.data, timedelta(hours=8)) for event in received) == Counter(
        _key(m.frame) for m in made
    )
    live = [event for event in received if not event.data["replayed"]]
    assert sorted(event.data["event_id"] for event in live) == sorted(sent)
    # Only a stuck or forgetful box kept any to itself.
    assert all(m.sent for m in made if not m.in_a_fault)
    for event in live:
        stamped = datetime.fromisoformat(event.data["timestamp"])
        box_ms = sent[event.data["event_id"]].frame["timestamp"]
        assert stamped == datetime.fromtimestamp(box_ms / 1000, UTC) - timedelta(hours=8)
        assert stamped <= event.time_fired
    assert "off" not in connected
    assert coordinator.outages.outages == 0
    assert not [key for (domain, key) in ir.async_get(hass).issues if domain == DOMAIN]
    assert client.pings is PingBehaviour.IGNORES
    assert client.counters.stale_reconnects >= 2
    assert client.clock_watch.correction == timedelta(hours=8)
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("custom_components.sophon.")
    ]
    assert len(warnings) == 1, warnings
    assert "as if its local time were UTC" in warnings[0]
    diagnostics = await async_get_config_entry_diagnostics(hass, entry)
    box = diagnostics["box"]
    assert box["pings"] == "ignores"
    assert box["clock"]["correction"] == "+08:00"
    assert box["counters"]["stale_reconnects"] == client.counters.stale_reconnects
    assert box["push"]["in_outage"] is False
