"""Diagnostics: what a bug report shows, and that it never shows people, places or passages."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props
from syrupy.matchers import path_type

from custom_components.sophon.api import canonical_device_id
from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.diagnostics import (
    DeviceStandIns,
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from custom_components.sophon.identity import device_identifier
from sophon_sim import ROSTER, BoxSimulator, Person
from tests.conftest import LOOPBACK, wait_for
from tests.frames import device_key, expected
from tests.integration.conftest import entry_for, push

REDACTED = "**REDACTED**"
# People whose group names nothing else in diagnostics: a group id, the default, a visitors' one.
PEOPLE: tuple[Person, ...] = tuple(
    next(person for person in ROSTER if person.name == name)
    for name in ("John Doe", "Maria García", "Tom")
)
# A device the options still choose, gone from the box's device list.
GONE_ID = "9b2e4c1a-0d3f-4e5a-8b6c-7d8e9f0a1b2c"
# A device that is not in the box's device list.
STRANGER_ID = "0c9d8e7f-6a5b-4c3d-8e1f-a0b1c2d3e4f5"
# What differs from one run to the next: the box's ports (ephemeral in tests), the clock's
# measures of skew (tenths of a second of real time), whether a pong came yet, and when the
# catch-up last heard the box and ran.
VOLATILE = props(
    "port",
    "ws_port",
    "version_port",
    "skew_seconds",
    "residual_seconds",
    "box_time_skew_seconds",
    "pings",
    "last_run",
    "up_since",  # the box's uptime taken from our clock
)
# The simulator's pictures vary in size with what ran before: only that they are sizes is kept.
PICTURE_SIZES = path_type({r".*\.image_bytes\..*": (int,)}, regex=True)


def _framed_id(frame: dict[str, Any]) -> str:
    """Return the device id a frame names (either generation), without its padding."""
    return str(frame.get("device_id") or frame["media_device_id"]).strip(" \x00\ufeff")


def _people(frame: dict[str, Any], simulator: BoxSimulator) -> list[str]:
    """Return every string from a sent frame that names or shows a person."""
    sent = expected(frame, simulator.generation)
    needles = [sent["identity_name"], sent["identity_id"], "rtsp://", "secret123"]
    needles += [value for value in sent["identity_info"].values() if isinstance(value, str)]
    needles += [template[:32] for template in simulator.templates_of(sent["event_id"])]
    for picture in simulator.images_of(sent["event_id"]).values():
        needles.append(base64.b64encode(picture)[:24].decode())
        needles.append(picture[:16].hex())
    return needles


def _passage(frame: dict[str, Any], simulator: BoxSimulator) -> list[str]:
    """Return what traces a passage in a sent frame: its device, event, video and group."""
    sent = expected(frame, simulator.generation)
    device_id = _framed_id(frame)
    needles = [device_id, device_id.replace("-", ""), sent["event_id"], sent["group_name"]]
    return [needle for needle in (*needles, frame.get("video_id")) if needle]


def _places(simulator: BoxSimulator) -> list[str]:
    """Return each device's id, in the forms the simulator writes it, and its name."""
    return [
        needle
        for device in simulator.devices
        for needle in (device.device_id, device.device_id.replace("-", ""), device.name)
    ]


def _assert_hidden(result: dict[str, Any], needles: list[str]) -> None:
    """Fail if any needle appears in the diagnostics, in any letter case."""
    dumped = json.dumps(result, ensure_ascii=False).lower()
    for needle in needles:
        assert needle.lower() not in dumped, needle


def _stand_ins(simulator: BoxSimulator) -> dict[str, str]:
    """Return the stand-in of each listed device: numbered in the order of canonical ids."""
    ordered = sorted(simulator.devices, key=lambda device: canonical_device_id(device.device_id))
    return {device.device_id: f"device_{n}" for n, device in enumerate(ordered, 1)}


async def test_entry_diagnostics_show_the_connection_and_hide_people(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    frames = [
        await push(hass, simulator, bus_events, device_id=d.device_id, person=person)
        for d, person in zip(simulator.devices, PEOPLE, strict=True)
    ]
    await simulator.push_raw("{broken")
    result = await async_get_config_entry_diagnostics(hass, config_entry)
    needles = _places(simulator)
    for frame in frames:
        needles += _people(frame, simulator) + _passage(frame, simulator)
    _assert_hidden(result, needles)
    box = result["box"]
    assert box["generation"] == simulator.generation
    assert box["firmware_version"] == simulator.firmware_version
    assert box["connected"] is True
    assert box["counters"]["events_delivered"] == 3
    assert len(box["subscription"]["device_ids"]) == 3
    device = result["devices"][_stand_ins(simulator)[simulator.devices[0].device_id]]
    assert device["device"]["name"] == REDACTED
    assert device["last_event"]["person_type"] == "blacklist"
    assert device["last_event"]["identity_name"] == REDACTED
    assert device["last_event"]["event_id"] == REDACTED
    assert device["last_event"]["image_bytes"]["face"] > 0
    assert result["entry"]["data"]["host"] == REDACTED


async def test_device_diagnostics_hide_people_and_places_too(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    gate = simulator.devices[1]
    frame = await push(hass, simulator, bus_events, device_id=gate.device_id, person=PEOPLE[2])
    device = device_by_identifier(
        dr.async_get(hass),
        device_identifier(config_entry.entry_id, gate.device_id),
        config_entry.entry_id,
    )
    assert device is not None
    result = await async_get_device_diagnostics(hass, config_entry, device)
    _assert_hidden(
        result, _places(simulator) + _people(frame, simulator) + _passage(frame, simulator)
    )
    # The same stand-in as in the box's diagnostics.
    assert result["device_id"] == _stand_ins(simulator)[gate.device_id]
    entry_result = await async_get_config_entry_diagnostics(hass, config_entry)
    assert result["last_event"] == entry_result["devices"][result["device_id"]]["last_event"]
    assert result["device"]["name"] == REDACTED
    assert result["last_event"]["person_type"] == "visitor"


async def test_the_box_device_has_no_device_id(
    hass: HomeAssistant, coordinator: SophonCoordinator, config_entry: MockConfigEntry
) -> None:
    hub = device_by_identifier(
        dr.async_get(hass), coordinator.box_identifier, config_entry.entry_id
    )
    assert hub is not None
    result = await async_get_device_diagnostics(hass, config_entry, hub)
    assert (result["device_id"], result["device"], result["last_event"]) == (None, None, None)


async def test_each_device_has_one_stand_in_everywhere(
    hass: HomeAssistant, simulator: BoxSimulator, bus_events: list[Event]
) -> None:
    first, second, _ = simulator.devices
    # One chosen id in another form than the device list's, one gone from the list.
    chosen = [first.device_id.replace("-", "").upper(), second.device_id, GONE_ID]
    entry = entry_for(simulator, entry_id=None, devices=chosen)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, title="Lobby box, 3rd floor")
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: entry.runtime_data.connected)
    await simulator.wait_for_subscription()
    frame = await push(hass, simulator, bus_events, device_id=first.device_id, person=PEOPLE[0])
    result = await async_get_config_entry_diagnostics(hass, entry)
    _assert_hidden(
        result,
        [*_places(simulator), *_passage(frame, simulator), GONE_ID, entry.title, LOOPBACK],
    )
    stand_ins = _stand_ins(simulator)
    assert list(result["devices"]) == ["device_1", "device_2", "device_3"]
    assert result["entry"]["options"]["devices"] == [
        stand_ins[first.device_id],
        stand_ins[second.device_id],
        "unlisted_device_1",
    ]
    assert sorted(result["box"]["subscription"]["device_ids"]) == sorted(
        [stand_ins[first.device_id], stand_ins[second.device_id]]
    )
    assert result["devices"][stand_ins[first.device_id]]["last_event"]["person_type"] == "blacklist"
    # A second download names every device the same.
    assert await async_get_config_entry_diagnostics(hass, entry) == result
    await hass.config_entries.async_unload(entry.entry_id)


async def test_a_device_the_list_lacks_gets_a_stand_in_too(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    sent = await push(hass, simulator, bus_events, person=PEOPLE[1])
    # Named in another form than a device list would (32 upper-case hex digits).
    framed = STRANGER_ID.replace("-", "").upper()
    frame = {**sent, device_key(simulator.generation): framed, "event_id": "e-stranger-0001"}
    await simulator.push_raw(json.dumps(frame))
    await wait_for(lambda: len(bus_events) == 2)
    result = await async_get_config_entry_diagnostics(hass, config_entry)
    _assert_hidden(result, [*_places(simulator), *_passage(frame, simulator), STRANGER_ID])
    assert result["box"]["unknown_device_events"] == 1
    stranger = result["devices"]["unlisted_device_1"]
    assert stranger["device"] is None
    assert stranger["last_event"]["person_type"] == "employee"


async def test_entry_diagnostics_match_the_snapshot(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
    snapshot: SnapshotAssertion,
) -> None:
    # Received just after it happened: a time a day or more behind receipt is implausible.
    coordinator.client.clock = lambda: datetime(2025, 11, 26, 8, 31, tzinfo=UTC)
    # The catch-up of the push's first connection has asked the box (and found nothing).
    await wait_for(lambda: coordinator.catch_up.last_run is not None)
    await wait_for(lambda: coordinator.health.data is not None)
    await push(
        hass,
        simulator,
        bus_events,
        device_id=simulator.devices[0].device_id,
        person=PEOPLE[0],
        score=0.8123,
        timestamp_ms=1_764_145_812_345,
    )
    result = await async_get_config_entry_diagnostics(hass, config_entry)
    assert result["devices"]["device_1"]["last_event"]["image_bytes"]["face"] > 0
    assert result == snapshot(exclude=VOLATILE, matcher=PICTURE_SIZES)


async def test_ids_in_text_become_their_stand_ins(
    coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    gate = simulator.devices[0]
    stand_ins = DeviceStandIns(coordinator)
    assert stand_ins(STRANGER_ID) == "unlisted_device_1"
    # Any letter case, with or without dashes; in dict keys and lists too.
    text = f"no {gate.device_id.upper()} nor {STRANGER_ID.replace('-', '')}; stale"
    gate_stand_in = _stand_ins(simulator)[gate.device_id]
    scrubbed = f"no {gate_stand_in} nor unlisted_device_1; stale"
    assert stand_ins.scrub({"cause": text, text: [text, 3]}) == {
        "cause": scrubbed,
        scrubbed: [scrubbed, 3],
    }
