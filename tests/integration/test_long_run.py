"""What boxes do over hours and days (issue 13), seen from Home Assistant.

A box that never pongs, a push that goes stale, a box that refuses or gives away our push, and
box clocks that are wrong: no flapping, no false repair, the right repair where one is due, and
no state in the future.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from homeassistant.const import STATE_ON
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import issue_registry as ir
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.api import Backoff, BoxClient, PingBehaviour, Subscription
from custom_components.sophon.const import (
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    CONF_STALE_MINUTES,
    DOMAIN,
    EVENT_RECOGNITION,
)
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.diagnostics import async_get_config_entry_diagnostics
from sophon_sim import BoxSimulator
from tests.conftest import LOOPBACK, wait_for
from tests.integration.conftest import entry_for, open_options

HEARTBEAT = 0.4
SETTLE = 0.2
STALE_AFTER = 0.6
# The integration's long timers, shortened: waiting them out in real time keeps every other
# timer honest (firing Home Assistant's time forward would also fire the client's own timers,
# such as its request timeouts and the settle of a connection, long before they are due).
UNREACHABLE_AFTER = 0.5
STABLE_AFTER = 0.3
CLOCK_EVERY = 0.3


@dataclass
class Timings:
    """The client timings a test gives the integration (from its first connection on)."""

    heartbeat: float = HEARTBEAT
    settle: float = SETTLE
    stale_after: float | None = None
    clients: list[BoxClient] = field(default_factory=list)


@pytest.fixture
def timings(monkeypatch: pytest.MonkeyPatch) -> Timings:
    """Make the integration's client with short timings."""
    chosen = Timings()

    def client_with_test_timings(**kwargs: Any) -> BoxClient:
        kwargs["stale_after"] = chosen.stale_after
        client = BoxClient(
            **kwargs,
            heartbeat=chosen.heartbeat,
            settle=chosen.settle,
            backoff=Backoff(initial=0.05, maximum=0.2),
        )
        chosen.clients.append(client)
        return client

    monkeypatch.setattr("custom_components.sophon.BoxClient", client_with_test_timings)
    monkeypatch.setattr(
        "custom_components.sophon.outage.UNREACHABLE_REPAIR_AFTER",
        timedelta(seconds=UNREACHABLE_AFTER),
    )
    monkeypatch.setattr(
        "custom_components.sophon.outage.STABLE_CONNECTION", timedelta(seconds=STABLE_AFTER)
    )
    monkeypatch.setattr(
        "custom_components.sophon.box_clock.CLOCK_CHECK_INTERVAL", timedelta(seconds=CLOCK_EVERY)
    )
    return chosen


@dataclass
class Watch:
    """What Home Assistant showed of one box: its bus events and its Connected sensor."""

    entry: MockConfigEntry
    coordinator: SophonCoordinator
    events: list[Event] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)


async def _set_up(hass: HomeAssistant, sim: BoxSimulator, **options: Any) -> Watch:
    """Add the simulator's box and follow its events and its Connected sensor."""
    entry = entry_for(sim, **options)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    watch = Watch(entry, entry.runtime_data)
    connected_id = er.async_get(hass).async_get_entity_id(
        "binary_sensor", DOMAIN, f"{entry.entry_id}_connected"
    )

    @callback
    def record(event: Event) -> None:
        if event.event_type == EVENT_RECOGNITION:
            watch.events.append(event)
        elif event.data["entity_id"] == connected_id and event.data["new_state"] is not None:
            watch.connected.append(event.data["new_state"].state)

    hass.bus.async_listen(EVENT_RECOGNITION, record)
    hass.bus.async_listen("state_changed", record)
    await wait_for(lambda: watch.coordinator.connected)
    await sim.wait_for_subscription()
    return watch


def _issues(hass: HomeAssistant) -> set[str]:
    """Return the translation keys of the integration's open repairs."""
    return {
        issue.translation_key or ""
        for (domain, _), issue in ir.async_get(hass).issues.items()
        if domain == DOMAIN
    }


async def _past(hass: HomeAssistant, seconds: float) -> None:
    """Let a shortened timer of the integration run out (it is scheduled on the real clock)."""
    await asyncio.sleep(seconds)
    await hass.async_block_till_done()


async def _delivers(hass: HomeAssistant, sim: BoxSimulator, watch: Watch, count: int = 1) -> None:
    """Push events and wait until each reached the bus."""
    before = len(watch.events)
    for _ in range(count):
        await sim.push_event()
    await wait_for(lambda: len(watch.events) >= before + count)
    await hass.async_block_till_done()


def _never_ahead(events: list[Event]) -> None:
    """Fail when a recognition is dated after Home Assistant received it."""
    for event in events:
        assert datetime.fromisoformat(event.data["timestamp"]) <= event.time_fired


# Kind 1: a box that never answers pings.


@pytest.mark.usefixtures("timings")
async def test_a_box_that_never_pongs_stays_connected_without_a_repair(
    hass: HomeAssistant, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.faults.no_pong = True
    watch = await _set_up(hass, simulator)
    client = watch.coordinator.client
    await wait_for(lambda: client.pings is PingBehaviour.IGNORES)
    probes = client.counters.liveness_probes
    await wait_for(lambda: client.counters.liveness_probes >= probes + 3)
    await _delivers(hass, simulator, watch, 2)
    await _past(hass, UNREACHABLE_AFTER * 2)
    assert watch.connected.count("off") == 0
    assert client.counters.reconnects == 0
    assert watch.coordinator.outages.outages == 0
    assert _issues(hass) == set()
    assert "Lost the connection" not in caplog.text
    assert caplog.text.count("does not answer WebSocket pings") == 1
    diagnostics = await async_get_config_entry_diagnostics(hass, watch.entry)
    assert diagnostics["box"]["pings"] == "ignores"
    assert diagnostics["box"]["counters"]["liveness_probes"] >= 3


@pytest.mark.usefixtures("timings")
async def test_a_box_that_ignores_pings_is_still_found_gone(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    simulator.faults.no_pong = True
    watch = await _set_up(hass, simulator)
    await wait_for(lambda: watch.coordinator.client.pings is PingBehaviour.IGNORES)
    await simulator.reboot(rest_down=0.5, ws_down=0.8)
    await wait_for(lambda: not watch.coordinator.connected)
    await wait_for(lambda: watch.coordinator.connected)
    await _delivers(hass, simulator, watch)


# Kind 2: a stream that goes stale without closing.


@pytest.mark.parametrize("fault", ["stale", "forget_after", "quiet"])
async def test_a_stale_push_is_reopened_quietly(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    timings: Timings,
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    timings.stale_after = STALE_AFTER
    watch = await _set_up(hass, simulator)
    client = watch.coordinator.client
    if fault == "stale":
        simulator.faults.stale = True
    elif fault == "forget_after":
        simulator.faults.forget_after = 0.2
        await asyncio.sleep(0.3)
        frame = await simulator.push_event()  # forgotten: the box sends it to nobody
        assert simulator.last_reached == 0, frame
    await wait_for(lambda: client.counters.stale_reconnects >= 2)
    simulator.faults.stale = False
    simulator.faults.forget_after = 0
    await wait_for(lambda: client.counters.stale_reconnects >= 3)
    # Right after a reopen (one made while reopening would be lost until the catch-up issue).
    await simulator.wait_for_subscription(count=len(simulator.subscriptions) + 1)
    await _delivers(hass, simulator, watch)
    assert watch.connected.count("off") == 0
    assert watch.coordinator.outages.outages == 0
    assert "Lost the connection" not in caplog.text
    diagnostics = await async_get_config_entry_diagnostics(hass, watch.entry)
    assert diagnostics["box"]["counters"]["stale_reconnects"] >= 3
    assert diagnostics["box"]["push"]["last_drop"]["cause"] == "stale"


@pytest.mark.parametrize(("minutes", "seconds"), [(45, 2700.0), (0, None)])
async def test_the_silence_before_a_reopen_is_an_option(
    hass: HomeAssistant, simulator: BoxSimulator, minutes: int, seconds: float | None
) -> None:
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.client.stale_after == 1800  # the default: 30 minutes
    result = await open_options(hass, entry.entry_id)
    schema = result["data_schema"]
    assert schema is not None
    assert schema({})[CONF_STALE_MINUTES] == 30
    result = await hass.config_entries.options.async_configure(
        result["flow_id"],
        {
            "devices": [device.device_id for device in simulator.devices],
            CONF_NEED_FACE: True,
            CONF_NEED_REGISTER: True,
            CONF_STALE_MINUTES: float(minutes),
        },
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    assert entry.options[CONF_STALE_MINUTES] == minutes
    await hass.async_block_till_done()
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    assert entry.runtime_data.client.stale_after == seconds


# Kind 3: the box closes or refuses the push, for a reason it states.

REFUSALS = {
    "max_clients": ("1008", "max clients"),
    "try_later": ("1013", "try again later"),
    "no_reason": ("4000", "-"),
    "dirty_reason": ("1008", "too many clients"),
}


@pytest.mark.usefixtures("timings")
@pytest.mark.parametrize("refusal", REFUSALS)
async def test_a_refused_push_raises_push_held_not_unreachable(
    hass: HomeAssistant, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture, refusal: str
) -> None:
    watch = await _set_up(hass, simulator)
    simulator.faults.refuse_push = refusal
    await simulator.close_connections()
    await wait_for(lambda: "push_held" in _issues(hass))
    ons = watch.connected.count(STATE_ON)
    refused = simulator.refused
    await wait_for(lambda: simulator.refused >= refused + 2)
    await _past(hass, UNREACHABLE_AFTER * 2)
    assert _issues(hass) == {"push_held"}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"push_held_{watch.entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders is not None
    code, reason = REFUSALS[refusal]
    assert issue.translation_placeholders["code"] == code
    assert issue.translation_placeholders["reason"] == reason
    # A refused connection never proved itself: Connected did not flip on and off.
    assert watch.connected.count(STATE_ON) == ons
    logged = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert sum("Lost the connection" in message for message in logged) == 1
    assert sum(f"code {code}" in message for message in logged) == 1
    assert not any("\x1b" in message for message in logged)
    diagnostics = await async_get_config_entry_diagnostics(hass, watch.entry)
    drop = diagnostics["box"]["push"]["last_drop"]
    assert (drop["close_code"], drop["proven"]) == (int(code), False)
    assert LOOPBACK not in repr(diagnostics)  # the drop's cause names the box's address
    simulator.faults.refuse_push = ""
    await wait_for(lambda: watch.coordinator.connected)
    await wait_for(lambda: not _issues(hass))
    assert _issues(hass) == set()
    await _delivers(hass, simulator, watch)


async def _other_subscriber(sim: BoxSimulator, stop: asyncio.Event) -> None:
    """Be another client of the box (the vendor's platform, another Home Assistant)."""
    other = BoxClient(
        host=LOOPBACK,
        port=sim.rest_port,
        ws_port=sim.ws_port,
        heartbeat=HEARTBEAT,
        settle=SETTLE,
        backoff=Backoff(initial=0.1, maximum=0.3),
    )
    subscription = Subscription(device_ids=tuple(device.device_id for device in sim.devices))
    async with other:
        task = asyncio.create_task(other.listen(subscription, lambda _event: None))
        await stop.wait()
        await other.disconnect()
        await asyncio.wait_for(task, 5)


@pytest.mark.usefixtures("timings")
async def test_a_push_stolen_by_another_client_raises_push_held(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    watch = await _set_up(hass, simulator)
    simulator.faults.newest_client_only = True
    stop = asyncio.Event()
    other = asyncio.create_task(_other_subscriber(simulator, stop))
    try:
        await wait_for(lambda: "push_held" in _issues(hass), timeout=20)
        issue = ir.async_get(hass).async_get_issue(DOMAIN, f"push_held_{watch.entry.entry_id}")
        assert issue is not None
        assert issue.translation_placeholders is not None
        assert issue.translation_placeholders["reason"] == "replaced by a newer client"
        assert simulator.replaced >= 3
    finally:
        stop.set()
        await asyncio.wait_for(other, 10)
    await wait_for(lambda: watch.coordinator.connected)
    await simulator.wait_for_subscription(count=len(simulator.subscriptions))
    await wait_for(lambda: not _issues(hass))
    assert _issues(hass) == set()


# Kind 4: box clocks that are wrong.


@pytest.mark.usefixtures("timings")
@pytest.mark.parametrize(
    ("fault", "value"),
    [("events_local_time", True), ("clock_offset", 8 * 3600.0), ("clock_offset", -5 * 3600.0)],
)
async def test_a_clock_a_time_zone_off_is_corrected(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    caplog: pytest.LogCaptureFixture,
    fault: str,
    value: object,
) -> None:
    setattr(simulator.faults, fault, value)
    if value == -5 * 3600.0:
        simulator.timezone = 5  # a box in UTC-5 whose clock is set to its local time
    watch = await _set_up(hass, simulator)
    await _delivers(hass, simulator, watch, 6)
    _never_ahead(watch.events)
    last = watch.events[-1]
    assert abs(last.time_fired - datetime.fromisoformat(last.data["timestamp"])) < timedelta(
        seconds=30
    )
    client = watch.coordinator.client
    hours = -5 if value == -5 * 3600.0 else 8
    assert client.clock_watch.correction == timedelta(hours=hours)
    assert client.counters.quirks_accepted.get("timestamp_corrected", 0) >= 3
    assert caplog.text.count("as if its local time were UTC") == 1
    await _past(hass, CLOCK_EVERY * 3)
    assert _issues(hass) == set()
    diagnostics = await async_get_config_entry_diagnostics(hass, watch.entry)
    assert (
        diagnostics["box"]["clock"]["correction"] == f"{'+' if hours > 0 else '-'}0{abs(hours)}:00"
    )


@pytest.mark.usefixtures("timings")
@pytest.mark.parametrize(
    ("offset", "repair"), [(-420.0, "box_clock_behind"), (240.0, "box_clock_ahead")]
)
async def test_a_clock_minutes_off_raises_a_repair_and_nothing_shows_in_the_future(
    hass: HomeAssistant, simulator: BoxSimulator, offset: float, repair: str
) -> None:
    simulator.faults.clock_offset = offset
    watch = await _set_up(hass, simulator)
    await _delivers(hass, simulator, watch, 3)
    assert _issues(hass) == {repair}
    issue = ir.async_get(hass).async_get_issue(DOMAIN, f"box_clock_{watch.entry.entry_id}")
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": watch.entry.title,
        "minutes": str(round(abs(offset) / 60)),
    }
    _never_ahead(watch.events)
    assert watch.coordinator.client.clock_watch.correction == timedelta(0)
    simulator.faults.clock_offset = 0
    await _delivers(hass, simulator, watch, 12)
    assert _issues(hass) == set()
