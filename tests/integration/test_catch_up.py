"""Recognitions made while Home Assistant did not hear them are delivered late, once (issue 16)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from homeassistant.components import automation
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import async_fire_time_changed, async_mock_service

from custom_components.sophon import catch_up
from custom_components.sophon.const import CONF_CATCH_UP_HOURS, DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.logbook import describe_recognition
from custom_components.sophon.retried_runs import RETRY_AFTER
from sophon_sim import BoxSimulator
from sophon_sim.roster import PersonType as SimPersonType
from tests.conftest import wait_for
from tests.integration.conftest import attached_device, entry_for, push

VIP, VISITOR = SimPersonType.VIP, SimPersonType.VISITOR
pytestmark = pytest.mark.parametrize(
    "simulator", ["1.0", "2.0"], indirect=True, ids=lambda g: f"generation-{g}"
)


async def drop_push(coordinator: SophonCoordinator, simulator: BoxSimulator) -> None:
    """Close the push and keep it closed (the box goes on recognizing)."""
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)


async def restore_push(coordinator: SophonCoordinator, simulator: BoxSimulator) -> None:
    """Let the push connect again."""
    await simulator.start_ws_listener()
    await wait_for(lambda: coordinator.connected)


async def caught_up(hass: HomeAssistant, coordinator: SophonCoordinator, runs: int) -> None:
    """Wait until the catch-up ran this many times (and what it delivered was handled)."""
    await wait_for(lambda: coordinator.catch_up.runs >= runs and coordinator.catch_up.last_run)
    await wait_for(lambda: (task := coordinator.catch_up.task) is None or task.done())
    await hass.async_block_till_done()


def replayed(events: list[Event]) -> list[dict[str, Any]]:
    """Return the data of the bus events received late."""
    return [event.data for event in events if event.data["replayed"]]


async def test_recognitions_made_during_an_outage_are_delivered_late_in_order_once(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """Three recognitions made while the push was down arrive after it, marked replayed."""
    device = simulator.devices[0]
    await push(
        hass, simulator, bus_events, device_id=device.device_id, person_type=SimPersonType.VIP
    )
    runs = coordinator.catch_up.runs
    await drop_push(coordinator, simulator)
    made = []
    for offset, who in enumerate(
        (SimPersonType.EMPLOYEE, SimPersonType.BLACKLIST, SimPersonType.VISITOR)
    ):
        now_ms = int(dt_util.utcnow().timestamp() * 1000)
        frame = await simulator.push_event(
            device.device_id, person_type=who, timestamp_ms=now_ms + offset
        )
        made.append(frame)
        assert simulator.last_reached == 0
    registry_device = attached_device(coordinator, device.device_id)
    event_entity = next(
        entry.entity_id
        for entry in er.async_entries_for_device(er.async_get(hass), registry_device.id)
        if entry.domain == "event"
    )
    before = hass.states.get(event_entity)

    await restore_push(coordinator, simulator)
    await caught_up(hass, coordinator, runs + 1)

    late = replayed(bus_events)
    assert [d["identity_id"] for d in late] == [f["identity_id"] for f in made]
    assert [d["person_type"] for d in late] == ["employee", "blacklist", "visitor"]
    assert all(d["device_id"] == attached_device(coordinator, device.device_id).id for d in late)
    assert len(bus_events) == 4  # the live one is not delivered again
    assert coordinator.catch_up.replayed == 3
    # The sensors show the newest; the event entity, which means "now", did not fire.
    assert hass.states.get("sensor.gate_1_person_type").state == "visitor"
    assert before is not None
    assert hass.states.get(event_entity).state == before.state
    line = describe_recognition(hass, late[0])
    assert line["message"].endswith("(received late)")


async def test_a_restart_catches_up_from_the_remembered_time(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    hass_storage: dict[str, Any],
) -> None:
    """What was made while Home Assistant was stopped arrives when it starts; nothing before."""
    entry = coordinator.config_entry
    await push(hass, simulator, bus_events, person_type=SimPersonType.VIP)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    stored = hass_storage[f"{DOMAIN}.{entry.entry_id}.catch_up"]
    assert dt_util.parse_datetime(stored["data"]["heard_until"]) is not None
    text = json.dumps(stored)
    for person in simulator.roster:
        if person.name:
            assert person.name not in text
    await simulator.push_event(person_type=SimPersonType.BLACKLIST)
    await simulator.push_event(person_type=SimPersonType.EMPLOYEE)

    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data
    await caught_up(hass, coordinator, 1)

    assert [d["person_type"] for d in replayed(bus_events)] == ["blacklist", "employee"]
    assert len(bus_events) == 3


async def test_a_first_set_up_delivers_nothing_made_before_it(
    hass: HomeAssistant, simulator: BoxSimulator, bus_events: list[Event]
) -> None:
    """A box added today does not replay what it saw yesterday."""
    await simulator.push_event(person_type=SimPersonType.VIP)
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    coordinator = entry.runtime_data
    await caught_up(hass, coordinator, 1)
    assert bus_events == []


async def test_a_recognition_brought_by_both_the_push_and_the_query_is_delivered_once(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """Live ones are not replayed (the overlap), and a replayed one pushed later is dropped."""
    for _ in range(3):
        await push(hass, simulator, bus_events)
    runs = coordinator.catch_up.runs
    coordinator.catch_up.connected()
    await caught_up(hass, coordinator, runs + 1)
    assert replayed(bus_events) == []

    await drop_push(coordinator, simulator)
    frame = await simulator.push_event(person_type=SimPersonType.VIP)
    await restore_push(coordinator, simulator)
    await caught_up(hass, coordinator, runs + 2)
    assert len(replayed(bus_events)) == 1
    # The box sends the same recognition late on the push as well.
    await simulator.wait_for_subscription()
    await simulator.push_raw(json.dumps(frame))
    await push(hass, simulator, bus_events, person_type=SimPersonType.EMPLOYEE)
    assert [e.data["person_type"] for e in bus_events[-2:]] == ["vip", "employee"]
    assert len(bus_events) == 5
    assert coordinator.catch_up.duplicates == 1


async def test_device_triggers_fire_for_late_recognitions_only_when_asked(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """A device trigger is for live recognitions unless its include_late option is on."""
    device = attached_device(coordinator, simulator.devices[0].device_id)
    trigger = {
        CONF_PLATFORM: "device",
        CONF_DOMAIN: DOMAIN,
        CONF_DEVICE_ID: device.id,
        CONF_TYPE: "vip_recognized",
    }
    live_only = async_mock_service(hass, "test", "live_only")
    also_late = async_mock_service(hass, "test", "also_late")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {"triggers": [trigger], "actions": {"action": "test.live_only"}},
                {
                    "triggers": [{**trigger, "include_late": True}],
                    "actions": {"action": "test.also_late"},
                },
            ]
        },
    )
    runs = coordinator.catch_up.runs
    await drop_push(coordinator, simulator)
    await simulator.push_event(simulator.devices[0].device_id, person_type=VIP)
    await restore_push(coordinator, simulator)
    await caught_up(hass, coordinator, runs + 1)
    assert len(replayed(bus_events)) == 1
    assert (len(live_only), len(also_late)) == (0, 1)
    await push(
        hass, simulator, bus_events, device_id=simulator.devices[0].device_id, person_type=VIP
    )
    assert (len(live_only), len(also_late)) == (1, 2)


async def test_catch_up_reaches_back_the_chosen_hours_and_0_turns_it_off(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    bus_events: list[Event],
    hass_storage: dict[str, Any],
) -> None:
    """Remembered three days ago, a 24 h catch-up delivers the last 24 h only; 0 delivers none."""
    entry = entry_for(simulator)
    hass_storage[f"{DOMAIN}.{entry.entry_id}.catch_up"] = {
        "version": 1,
        "minor_version": 1,
        "key": f"{DOMAIN}.{entry.entry_id}.catch_up",
        "data": {
            "first": (dt_util.utcnow() - timedelta(days=30)).isoformat(),
            "heard_until": (dt_util.utcnow() - timedelta(days=3)).isoformat(),
        },
    }
    now_ms = int(dt_util.utcnow().timestamp() * 1000)
    await simulator.push_event(person_type=SimPersonType.VIP, timestamp_ms=now_ms - 30 * 3600_000)
    await simulator.push_event(person_type=SimPersonType.EMPLOYEE, timestamp_ms=now_ms - 3600_000)
    entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await caught_up(hass, entry.runtime_data, 1)
    assert [d["person_type"] for d in replayed(bus_events)] == ["employee"]

    assert await hass.config_entries.async_unload(entry.entry_id)
    hass_storage.pop(f"{DOMAIN}.{entry.entry_id}.catch_up")
    off = entry_for(simulator, entry_id="01JSOPHONTESTENTRY000000OFF", **{CONF_CATCH_UP_HOURS: 0})
    off.add_to_hass(hass)
    bus_events.clear()
    assert await hass.config_entries.async_setup(off.entry_id)
    await wait_for(lambda: off.runtime_data.connected)
    await simulator.wait_for_subscription()
    await simulator.stop_running()
    await push(hass, simulator, bus_events)
    assert off.runtime_data.catch_up.runs == 0 or off.runtime_data.catch_up.replayed == 0
    assert replayed(bus_events) == []


async def test_more_than_one_catch_up_delivers_gives_the_newest_and_counts_the_rest(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """With a bound of 5 and 8 missed, the 5 newest arrive, 3 are counted and logged."""
    monkeypatch.setattr(catch_up, "MAX_CATCH_UP", 5)
    runs = coordinator.catch_up.runs
    await drop_push(coordinator, simulator)
    ids = [(await simulator.push_event())["identity_id"] for _ in range(8)]
    await restore_push(coordinator, simulator)
    await caught_up(hass, coordinator, runs + 1)
    assert [d["identity_id"] for d in replayed(bus_events)] == ids[3:]
    assert coordinator.catch_up.missed == 3
    assert "3 older ones were not" in caplog.text


@pytest.mark.parametrize("fault", ["error", "status_500", "empty_body", "reset"])
async def test_a_history_query_that_fails_leaves_the_push_and_entities_alone(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The push goes on; the catch-up is counted, logged, and tried again a minute later."""
    caplog.set_level(logging.WARNING)
    runs = coordinator.catch_up.runs
    await drop_push(coordinator, simulator)
    await simulator.push_event(person_type=SimPersonType.VIP)
    simulator.faults.history_query = fault
    await restore_push(coordinator, simulator)
    await wait_for(lambda: coordinator.catch_up.failures == 1)
    assert "Could not ask" in caplog.text
    await push(hass, simulator, bus_events, person_type=SimPersonType.EMPLOYEE)
    assert coordinator.connected
    assert hass.states.get("binary_sensor.127_0_0_1_connected").state == "on"
    assert replayed(bus_events) == []

    simulator.faults.history_query = ""
    async_fire_time_changed(hass, dt_util.utcnow() + RETRY_AFTER + timedelta(seconds=1))
    await caught_up(hass, coordinator, runs + 2)
    assert [d["person_type"] for d in replayed(bus_events)] == ["vip"]


async def test_diagnostics_of_the_catch_up_hold_times_and_counts_only(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """The catch-up's part of the diagnostics."""
    shown = coordinator.catch_up.as_dict()
    assert set(shown) == {
        "hours",
        "gaps",
        "down",
        "runs",
        "replayed",
        "duplicates_dropped",
        "missed",
        "failures",
        "last_run",
    }
    assert shown["hours"] == 24


async def test_a_long_outage_whose_first_catch_up_fails_is_caught_up_whole(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """A recognition ten minutes into a quarter-hour outage arrives though the first ask failed.

    Live recognitions after the reconnection do not narrow what is asked for again.
    """
    runs = coordinator.catch_up.runs
    await drop_push(coordinator, simulator)
    coordinator.catch_up.gaps.items[-1].start -= timedelta(minutes=15)  # down since then
    coordinator.catch_up.first -= timedelta(minutes=20)  # and added before
    ten_minutes_ago = int((dt_util.utcnow() - timedelta(minutes=10)).timestamp() * 1000)
    await simulator.push_event(person_type=VIP, timestamp_ms=ten_minutes_ago)
    simulator.faults.history_query = "error"
    await restore_push(coordinator, simulator)
    await wait_for(lambda: coordinator.catch_up.failures == 1)
    await push(hass, simulator, bus_events, person_type=SimPersonType.EMPLOYEE)
    simulator.faults.history_query = ""
    async_fire_time_changed(hass, dt_util.utcnow() + RETRY_AFTER + timedelta(seconds=1))
    await caught_up(hass, coordinator, runs + 2)
    assert [d["person_type"] for d in replayed(bus_events)] == ["vip"]
    assert coordinator.catch_up.gaps.items == []


async def test_a_stuck_push_reopened_quietly_catches_up(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """A push that stays open but sends nothing is reopened; what the box made arrives late."""
    coordinator.client.stale_after = 1.0  # read by each new connection
    subscriptions = len(simulator.subscriptions)
    await simulator.close_connections()
    await simulator.wait_for_subscription(count=subscriptions + 1)
    await push(hass, simulator, bus_events, person_type=SimPersonType.EMPLOYEE)
    runs = coordinator.catch_up.runs
    simulator.faults.stale = True
    await simulator.push_event(person_type=VIP)
    assert simulator.last_reached == 0
    await wait_for(lambda: coordinator.client.counters.stale_reconnects >= 1)
    simulator.faults.stale = False
    await caught_up(hass, coordinator, runs + 1)
    assert [d["person_type"] for d in replayed(bus_events)] == ["vip"]
    assert coordinator.connected


async def test_a_restart_reads_the_history_of_a_box_stamping_local_time_right(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """A box stamping local time as UTC (8 h ahead): after a restart its history is read right.

    The clock's correction, learnt from live recognitions, is kept across the restart.
    """
    entry = coordinator.config_entry
    simulator.faults.events_local_time = True
    for _ in range(3):
        await push(hass, simulator, bus_events, person_type=SimPersonType.EMPLOYEE)
    assert coordinator.client.clock_watch.correction == timedelta(hours=8)
    assert await hass.config_entries.async_unload(entry.entry_id)
    await hass.async_block_till_done()
    await simulator.push_event(person_type=VIP)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await caught_up(hass, entry.runtime_data, 1)
    late = replayed(bus_events)
    assert [d["person_type"] for d in late] == ["vip"]
    moment = dt_util.parse_datetime(late[0]["timestamp"])
    assert moment is not None
    assert abs(moment - dt_util.utcnow()) < timedelta(minutes=1)


@pytest.mark.parametrize("fault", ["clock_offset", "score_scale_wrong"])
async def test_a_box_running_ahead_or_scoring_0_to_100_delivers_each_once(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    fault: str,
) -> None:
    """Twenty seconds ahead, or pushing 0..100 scores: live ones are not replayed; missed are."""
    if fault == "clock_offset":
        simulator.faults.clock_offset = 20.0
    else:
        simulator.faults.score_scale_wrong = True
    for _ in range(3):
        await push(hass, simulator, bus_events)
    runs = coordinator.catch_up.runs
    await drop_push(coordinator, simulator)
    await simulator.push_event(person_type=VIP)
    await restore_push(coordinator, simulator)
    await caught_up(hass, coordinator, runs + 1)
    assert [d["person_type"] for d in replayed(bus_events)] == ["vip"]
    assert len(bus_events) == 4
