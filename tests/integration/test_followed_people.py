"""Followed people: chosen in the options, a device each, moved by their recognitions anywhere."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime
from http import HTTPStatus
from typing import Any

import pytest
from homeassistant.const import STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components import sophon
from custom_components.sophon.api import LibraryPerson
from custom_components.sophon.api import PersonType as ApiPersonType
from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.const import CONF_PEOPLE, DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from custom_components.sophon.followed_people import LISTINGS_BEFORE_GONE
from custom_components.sophon.identity import person_identifier, person_unique_id
from custom_components.sophon.people_options import people_choices
from sophon_sim import ROSTER, BoxSimulator, PersonType
from tests.conftest import wait_for
from tests.integration.conftest import attached_device, open_options, push

TOM = next(person for person in ROSTER if person.name == "Tom")
ALICE = next(person for person in ROSTER if person.name == "Alice Zhang")
LIBRARY = [person for person in ROSTER if person.person_type is not PersonType.STRANGER]


async def follow(
    hass: HomeAssistant, coordinator: SophonCoordinator, *people: str
) -> SophonCoordinator:
    """Choose people in the options step "People", wait for their entities; return the new
    coordinator (the entry reloads)."""
    entry = coordinator.config_entry
    result = await open_options(hass, entry.entry_id, "people")
    assert result["type"] is FlowResultType.FORM
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PEOPLE: list(people)}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    await wait_for(
        lambda: all(entity_id(hass, entry.entry_id, p, "person_last_seen") for p in people)
    )
    coordinator = entry.runtime_data
    coordinator.client.backoff.initial = 0.05
    await wait_for(lambda: coordinator.connected)
    return coordinator


def entity_id(hass: HomeAssistant, entry_id: str, identity_id: str, key: str) -> str | None:
    """Return the entity id of one of a followed person's entities, if it exists."""
    platform = "image" if key == "person_photo" else "sensor"
    unique_id = person_unique_id(entry_id, identity_id, key)
    return er.async_get(hass).async_get_entity_id(platform, DOMAIN, unique_id)


def person_device(hass: HomeAssistant, entry_id: str, identity_id: str) -> dr.DeviceEntry | None:
    """Return a followed person's device, if there is one."""
    identifier = person_identifier(entry_id, identity_id)
    return device_by_identifier(dr.async_get(hass), identifier, entry_id)


def seen(hass: HomeAssistant, coordinator: SophonCoordinator, identity_id: str) -> tuple[Any, ...]:
    """Return the person's Last seen, Last seen at and its attributes."""
    entry_id = coordinator.config_entry.entry_id
    last_seen = hass.states.get(entity_id(hass, entry_id, identity_id, "person_last_seen") or "")
    where = hass.states.get(entity_id(hass, entry_id, identity_id, "person_last_seen_at") or "")
    assert last_seen is not None
    assert where is not None
    return last_seen.state, where.state, dict(where.attributes)


async def test_the_people_step_offers_the_library_and_follows_the_chosen(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """Each chosen person becomes a device under the box, named as the library names them."""
    entry = coordinator.config_entry
    result = await open_options(hass, entry.entry_id, "people")
    schema = result["data_schema"]
    assert schema is not None
    offered = schema.schema[CONF_PEOPLE].config["options"]
    assert {choice["value"] for choice in offered} == {p.identity_id for p in LIBRARY}
    assert result["description_placeholders"] == {"count": str(len(LIBRARY))}
    hass.config_entries.options.async_abort(result["flow_id"])

    coordinator = await follow(hass, coordinator, TOM.identity_id, ALICE.identity_id)
    assert entry.options[CONF_PEOPLE] == [TOM.identity_id, ALICE.identity_id]
    hub = device_by_identifier(dr.async_get(hass), (DOMAIN, entry.entry_id), entry.entry_id)
    assert hub is not None
    for person in (TOM, ALICE):
        device = person_device(hass, entry.entry_id, person.identity_id)
        assert device is not None
        assert device.name == person.name
        assert device.via_device_id == hub.id
        assert device.model == "Followed person"
    assert entity_id(hass, entry.entry_id, TOM.identity_id, "person_last_seen") == (
        "sensor.tom_last_seen"
    )
    assert seen(hass, coordinator, TOM.identity_id)[:2] == (STATE_UNKNOWN, STATE_UNKNOWN)
    # Nobody else, no stranger, has a device of their own.
    people = [
        device
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), entry.entry_id)
        if any("#person#" in identifier for _, identifier in device.identifiers)
    ]
    assert len(people) == 2


async def test_a_person_seen_at_two_devices_in_turn(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """Last seen and Last seen at follow the person from one device to the next, not others."""
    coordinator = await follow(hass, coordinator, TOM.identity_id)
    gate, lobby = simulator.devices[0], simulator.devices[1]
    await push(hass, simulator, bus_events, device_id=gate.device_id, person=TOM, score=0.91)
    last_seen, where, attributes = seen(hass, coordinator, TOM.identity_id)
    assert where == gate.name
    made = datetime.fromisoformat(bus_events[-1].data["timestamp"])
    assert dt_util.parse_datetime(last_seen) == made.replace(microsecond=0)
    assert attributes["device_id"] == attached_device(coordinator, gate.device_id).id
    assert attributes["score"] == bus_events[-1].data["score"]
    # Someone else at the lobby moves nothing; Tom at the lobby moves both.
    await push(hass, simulator, bus_events, device_id=lobby.device_id, person=ALICE)
    assert seen(hass, coordinator, TOM.identity_id)[1] == gate.name
    await push(hass, simulator, bus_events, device_id=lobby.device_id, person=TOM, score=0.8)
    last_seen, where, attributes = seen(hass, coordinator, TOM.identity_id)
    assert where == lobby.name
    assert attributes["score"] == bus_events[-1].data["score"]
    assert attributes["device_id"] == attached_device(coordinator, lobby.device_id).id
    # No name, no picture: the device and the score only.
    assert set(attributes) == {"score", "device_id", "friendly_name"}
    # A recognition the box made earlier, delivered late, does not move them back.
    older = int((dt_util.parse_datetime(last_seen) or dt_util.utcnow()).timestamp() * 1000) - 60_000
    await push(
        hass, simulator, bus_events, device_id=gate.device_id, person=TOM, timestamp_ms=older
    )
    assert seen(hass, coordinator, TOM.identity_id)[:2] == (last_seen, lobby.name)


async def test_what_a_person_showed_survives_a_restart(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    coordinator = await follow(hass, coordinator, TOM.identity_id)
    await push(hass, simulator, bus_events, device_id=simulator.devices[2].device_id, person=TOM)
    before = seen(hass, coordinator, TOM.identity_id)
    entry = coordinator.config_entry
    assert await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: entity_id(hass, entry.entry_id, TOM.identity_id, "person_last_seen"))
    await wait_for(lambda: hass.states.get("sensor.tom_last_seen") is not None)
    assert seen(hass, entry.runtime_data, TOM.identity_id) == before


async def test_the_registered_photo_comes_from_the_box_through_the_image_entity(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    hass_client: ClientSessionGenerator,
) -> None:
    coordinator = await follow(hass, coordinator, ALICE.identity_id)
    entry_id = coordinator.config_entry.entry_id
    image = entity_id(hass, entry_id, ALICE.identity_id, "person_photo")
    assert image is not None
    await wait_for(lambda: hass.states.get(image).state != STATE_UNKNOWN)  # type: ignore[union-attr]
    state = hass.states.get(image)
    assert state is not None
    assert not any("base64" in str(value) for value in state.attributes.values())
    client = await hass_client()
    response = await client.get(state.attributes["entity_picture"])
    assert response.status == HTTPStatus.OK
    entry = simulator.library.get(ALICE.identity_id)
    assert entry is not None
    assert await response.read() == simulator.library.photo(entry.image_id)


async def test_a_person_deleted_from_the_library_is_followed_no_longer(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """Gone from complete listings in a row: device and entities removed, options forget them."""
    coordinator = await follow(hass, coordinator, TOM.identity_id, ALICE.identity_id)
    entry = coordinator.config_entry
    simulator.library.delete(TOM.identity_id)
    for _ in range(LISTINGS_BEFORE_GONE - 1):
        await coordinator.library.async_refresh()
        await hass.async_block_till_done()
        assert person_device(hass, entry.entry_id, TOM.identity_id) is not None
        # A reading that fails is no listing (its listeners see the last one again).
        await simulator.reboot(rest_down=0.5, ws_down=0.5)
        await coordinator.library.async_refresh()
        await hass.async_block_till_done()
        assert not coordinator.library.last_update_success
        assert person_device(hass, entry.entry_id, TOM.identity_id) is not None
        await _refresh_until_read(coordinator)
    await hass.async_block_till_done()
    assert person_device(hass, entry.entry_id, TOM.identity_id) is None
    assert entity_id(hass, entry.entry_id, TOM.identity_id, "person_last_seen") is None
    assert entry.options[CONF_PEOPLE] == [ALICE.identity_id]
    assert person_device(hass, entry.entry_id, ALICE.identity_id) is not None


async def _refresh_until_read(coordinator: SophonCoordinator) -> None:
    """Read the library again until the box answers (it is coming back from a reboot)."""
    for _ in range(100):
        await coordinator.library.async_refresh()
        if coordinator.library.last_update_success:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the library was not read again within 5 s")


async def test_deleting_a_followed_person_with_the_action_removes_their_device_at_once(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    coordinator = await follow(hass, coordinator, TOM.identity_id)
    entry = coordinator.config_entry
    await hass.services.async_call(
        DOMAIN,
        "delete_person",
        {"config_entry_id": entry.entry_id, "identity_id": TOM.identity_id},
        blocking=True,
    )
    await hass.async_block_till_done()
    assert person_device(hass, entry.entry_id, TOM.identity_id) is None
    assert entry.options[CONF_PEOPLE] == []


async def test_a_person_left_out_or_whose_device_is_deleted_is_unfollowed(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    coordinator = await follow(hass, coordinator, TOM.identity_id, ALICE.identity_id)
    entry = coordinator.config_entry
    # Deleted from the device page: unfollowed.
    device = person_device(hass, entry.entry_id, ALICE.identity_id)
    assert device is not None
    registry = dr.async_get(hass)
    assert await sophon.async_remove_config_entry_device(hass, entry, device)
    registry.async_remove_device(device.id)
    await hass.async_block_till_done()
    assert entry.options[CONF_PEOPLE] == [TOM.identity_id]
    # Left out in the options: the device goes with the reload.
    await follow(hass, coordinator)
    await wait_for(lambda: person_device(hass, entry.entry_id, TOM.identity_id) is None)


async def test_the_people_step_with_ten_thousand_people(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """A library of 10,000 more people is offered whole, and one of them can be followed."""
    simulator.library.add_generated(10_000)
    began = time.perf_counter()
    result = await open_options(hass, coordinator.config_entry.entry_id, "people")
    opened = time.perf_counter() - began
    schema = result["data_schema"]
    assert schema is not None
    offered = schema.schema[CONF_PEOPLE].config["options"]
    assert len(offered) == 10_000 + len(LIBRARY)
    print(f"the People step opened with {len(offered)} people in {opened:.2f} s")  # noqa: T201
    chosen = offered[5_000]["value"]
    result = await hass.config_entries.options.async_configure(
        result["flow_id"], {CONF_PEOPLE: [chosen]}
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
    entry_id = coordinator.config_entry.entry_id
    await wait_for(lambda: person_device(hass, entry_id, chosen) is not None, timeout=30)


def test_people_sharing_a_name_are_told_apart_by_id() -> None:
    people = [
        LibraryPerson(identity_id="2", name="Li Na"),
        LibraryPerson(identity_id="1", name="Li Na"),
        LibraryPerson(identity_id="3", name="alice"),
        LibraryPerson(identity_id="4", name=""),
    ]
    assert [choice["label"] for choice in people_choices(people)] == [
        "? (4)",
        "alice",
        "Li Na (1)",
        "Li Na (2)",
    ]


async def test_no_name_id_or_photo_of_a_followed_person_in_diagnostics_states_or_logs(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    coordinator = await follow(hass, coordinator, TOM.identity_id)
    await push(hass, simulator, bus_events, device_id=simulator.devices[0].device_id, person=TOM)
    entry = coordinator.config_entry
    device = person_device(hass, entry.entry_id, TOM.identity_id)
    assert device is not None
    found = json.dumps(
        [
            await async_get_config_entry_diagnostics(hass, entry),
            await async_get_device_diagnostics(hass, entry, device),
        ],
        default=str,
    )
    assert TOM.identity_id not in found
    assert TOM.name not in found
    assert '"followed": 1' in found
    for state in hass.states.async_all():
        if state.entity_id.startswith(("sensor.tom_", "image.tom_")):
            assert TOM.identity_id not in str(state.attributes)
            assert "base64" not in str(state.attributes)
    ours = [r for r in caplog.records if r.name.startswith("custom_components.sophon")]
    assert all(TOM.identity_id not in record.getMessage() for record in ours)


async def test_the_people_step_keeps_followed_people_a_cut_listing_did_not_reach(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    simulator.library.add_generated(350)
    last = simulator.library.people()[-1].identity_id
    coordinator = await follow(hass, coordinator, last)
    simulator.faults.library_ignore_paging = True  # every page the first: the listing is cut
    result = await open_options(hass, coordinator.config_entry.entry_id, "people")
    schema = result["data_schema"]
    assert schema is not None
    offered = {c["value"]: c["label"] for c in schema.schema[CONF_PEOPLE].config["options"]}
    assert offered[last] == last
    defaults = {str(key): key.default() for key in schema.schema if hasattr(key, "default")}
    assert defaults[CONF_PEOPLE] == [last]
    hass.config_entries.options.async_abort(result["flow_id"])


async def test_a_person_is_unfollowed_from_the_device_page_while_the_box_is_away(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    coordinator = await follow(hass, coordinator, TOM.identity_id, ALICE.identity_id)
    entry = coordinator.config_entry
    device = person_device(hass, entry.entry_id, TOM.identity_id)
    assert device is not None
    assert await hass.config_entries.async_unload(entry.entry_id)
    assert await sophon.async_remove_config_entry_device(hass, entry, device)
    assert entry.options[CONF_PEOPLE] == [ALICE.identity_id]
    gate = attached_device(coordinator, simulator.devices[0].device_id)
    assert not await sophon.async_remove_config_entry_device(hass, entry, gate)


def test_people_the_library_types_as_strangers_are_not_offered() -> None:
    people = [
        LibraryPerson(identity_id="1", name="Tom", person_type=ApiPersonType.VISITOR),
        LibraryPerson(identity_id="2", name="Unknown face", person_type=ApiPersonType.STRANGER),
    ]
    assert [choice["value"] for choice in people_choices(people)] == ["1"]
