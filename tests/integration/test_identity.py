"""Boxes and devices are identified by what is stable about them: serial numbers, canonical ids."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import AsyncIterator

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.api import canonical_device_id
from custom_components.sophon.compat import device_by_identifier, device_entry_ids
from custom_components.sophon.const import DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_identifier, device_unique_id
from custom_components.sophon.migration import CURRENT_VERSION
from sophon_sim import BoxSimulator, PersonType
from tests.conftest import LOOPBACK, wait_for
from tests.frames import subscription
from tests.integration.conftest import FIXED_ENTRY_ID, entry_for, push

# Per device: 4 sensors, 3 images, 1 camera, 1 event; per box: 3 sensors, 1 binary sensor, and
# its health: 10 sensors (the external disk's two once its health is read), 1 binary sensor.
ENTITIES_PER_DEVICE = 9
ENTITIES_PER_BOX = 4 + 11


async def _set_up(hass: HomeAssistant, entry: MockConfigEntry) -> SophonCoordinator:
    """Add an entry (unless added), set it up and wait until its push is connected."""
    if hass.config_entries.async_get_entry(entry.entry_id) is None:
        entry.add_to_hass(hass)
    assert await hass.config_entries.async_setup(entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SophonCoordinator = entry.runtime_data
    await wait_for(lambda: coordinator.connected)
    await wait_for(lambda: coordinator.health.data is not None)
    await hass.async_block_till_done()
    return coordinator


@pytest.fixture
async def twin(simulator: BoxSimulator) -> AsyncIterator[BoxSimulator]:
    """Run a second box that lists the same device ids (restored from the first's backup)."""
    devices = [dataclasses.replace(device) for device in simulator.devices]
    async with BoxSimulator(
        devices=devices, generation=simulator.generation, host=LOOPBACK, seed=8
    ) as box:
        yield box


@pytest.mark.parametrize("instance", ["restored_backup", "added_twice", "other_id_form"])
async def test_two_entries_listing_one_device_id_never_collide(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    twin: BoxSimulator,
    caplog: pytest.LogCaptureFixture,
    instance: str,
) -> None:
    first = await _set_up(hass, entry_for(simulator))
    if instance == "added_twice":  # one box in two entries (possible before serial numbers)
        second = entry_for(simulator, entry_id=None)
        second.add_to_hass(hass)
        hass.config_entries.async_update_entry(second, unique_id=None)
        box_of_second = simulator
    else:
        if instance == "other_id_form":  # the twin lists the same ids as 32 upper-case digits
            for device in twin.devices:
                device.device_id = device.device_id.replace("-", "").upper()
        second = entry_for(twin, entry_id=None)
        box_of_second = twin
    other = await _set_up(hass, second)
    entities = er.async_get(hass)
    for coordinator in (first, other):
        entry_id = coordinator.config_entry.entry_id
        own = er.async_entries_for_config_entry(entities, entry_id)
        assert len(own) == len(simulator.devices) * ENTITIES_PER_DEVICE + ENTITIES_PER_BOX
        devices = dr.async_entries_for_config_entry(dr.async_get(hass), entry_id)
        assert all(device_entry_ids(device) == {entry_id} for device in devices)
    assert "does not generate unique IDs" not in caplog.text
    events: list[Event] = []
    hass.bus.async_listen("sophon_recognition", events.append)
    # Both entries subscribed to the one box when it is added twice.
    await wait_for(
        lambda: box_of_second.connected_clients == (2 if instance == "added_twice" else 1)
    )
    await box_of_second.push_event(box_of_second.devices[0].device_id)
    other_id = other.config_entry.entry_id
    await wait_for(lambda: any(e.data["config_entry_id"] == other_id for e in events))
    event = next(e for e in events if e.data["config_entry_id"] == other_id)
    own_devices = dr.async_entries_for_config_entry(dr.async_get(hass), other_id)
    assert event.data["device_id"] in {device.id for device in own_devices}


@pytest.mark.parametrize("form", ["hex", "upper", "padded", "nul_padded"])
async def test_a_device_id_in_another_form_in_frames_is_the_same_device(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    form: str,
) -> None:
    gate = simulator.devices[0]
    simulator.faults.id_form = form
    frame = await push(
        hass, simulator, bus_events, device_id=gate.device_id, person_type=PersonType.VIP
    )
    assert gate.device_id not in frame.values()  # the frame names it another way
    unique_id = device_unique_id(FIXED_ENTRY_ID, gate.device_id, "person_type")
    sensor = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert sensor is not None
    assert hass.states.get(sensor).state == "vip"
    assert coordinator.recognitions.unknown_device_events == 0
    assert bus_events[-1].data["sophon_device_id"] == gate.device_id
    sent = subscription(simulator.subscriptions[-1])
    assert gate.device_id in sent.get("event_list", sent.get("media_device_ids"))


async def test_an_entry_known_by_its_address_takes_the_serial_number(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    assert config_entry.unique_id == f"{LOOPBACK}:{simulator.rest_port}"
    await _set_up(hass, config_entry)
    await wait_for(lambda: config_entry.unique_id == simulator.serial_number)
    hub = device_by_identifier(dr.async_get(hass), (DOMAIN, FIXED_ENTRY_ID), FIXED_ENTRY_ID)
    assert hub is not None
    await wait_for(lambda: dr.async_get(hass).async_get(hub.id).serial_number is not None)
    assert dr.async_get(hass).async_get(hub.id).serial_number == simulator.serial_number


async def test_an_entry_of_another_box_keeps_its_serial_and_says_why(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hass.config_entries.async_update_entry(config_entry, unique_id="SE000000000001")
    coordinator = await _set_up(hass, config_entry)
    await wait_for(lambda: coordinator.serial_number is not None)
    assert config_entry.unique_id == "SE000000000001"
    assert "answers with another serial number" in caplog.text
    assert simulator.serial_number not in caplog.text


def _v1_registries(
    hass: HomeAssistant, entry: MockConfigEntry, device_ids: list[str]
) -> dict[str, str]:
    """Fill the registries as version 1 did; return entity id by version-1 unique id."""
    devices, entities = dr.async_get(hass), er.async_get(hass)
    made = {}
    for index, device_id in enumerate(device_ids):
        device = devices.async_get_or_create(
            config_entry_id=entry.entry_id, identifiers={(DOMAIN, device_id)}, name=device_id
        )
        devices.async_update_device(device.id, name_by_user=f"My gate {index}")
        for domain, key in (("sensor", "last_identity"), ("camera", "last_face_camera")):
            entity = entities.async_get_or_create(
                domain,
                DOMAIN,
                f"{device_id}_{key}",
                config_entry=entry,
                device_id=device.id,
                suggested_object_id=f"custom_{index}_{key}",
            )
            made[entity.unique_id] = entity.entity_id
    box = entities.async_get_or_create(
        "sensor", DOMAIN, f"{entry.entry_id}_events_received", config_entry=entry
    )
    made[box.unique_id] = box.entity_id
    return made


async def test_version_1_entries_migrate_keeping_entity_ids_and_names(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, version=1)
    ids = [device.device_id for device in simulator.devices]
    made = _v1_registries(hass, entry, ids)
    coordinator = await _set_up(hass, entry)
    assert entry.version == CURRENT_VERSION
    assert entry.state is ConfigEntryState.LOADED
    entities = er.async_get(hass)
    for old_unique_id, entity_id in made.items():
        migrated = entities.async_get(entity_id)
        assert migrated is not None
        if old_unique_id.startswith(FIXED_ENTRY_ID):
            assert migrated.unique_id == old_unique_id
            continue
        device_id, _, key = old_unique_id.partition("_")
        assert migrated.unique_id == device_unique_id(FIXED_ENTRY_ID, device_id, key)
    devices = dr.async_get(hass)
    for index, device_id in enumerate(ids):
        identifier = device_identifier(FIXED_ENTRY_ID, device_id)
        device = device_by_identifier(devices, identifier, FIXED_ENTRY_ID)
        assert device is not None
        assert device.name_by_user == f"My gate {index}"
        assert device_by_identifier(devices, (DOMAIN, device_id), FIXED_ENTRY_ID) is None
    assert len(er.async_entries_for_config_entry(entities, FIXED_ENTRY_ID)) == (
        len(ids) * ENTITIES_PER_DEVICE + ENTITIES_PER_BOX
    )
    assert coordinator.connected


async def test_two_version_1_entries_that_shared_a_device_each_get_their_own(
    hass: HomeAssistant, simulator: BoxSimulator, twin: BoxSimulator
) -> None:
    ids = [device.device_id for device in simulator.devices]
    first, second = entry_for(simulator), entry_for(twin, entry_id="01JSOPHONTESTENTRY000000002")
    for entry in (first, second):
        entry.add_to_hass(hass)
        hass.config_entries.async_update_entry(entry, version=1)
    _v1_registries(hass, first, ids)
    devices = dr.async_get(hass)
    for device_id in ids:
        if hasattr(devices, "async_get_device_by_identifier"):
            # Since 2026.8 a device has one entry: the second box had copies of its own.
            devices.async_get_or_create(
                config_entry_id=second.entry_id, identifiers={(DOMAIN, device_id)}
            )
        else:  # version 1 on 2025.4 linked the second box to the first one's devices
            device = device_by_identifier(devices, (DOMAIN, device_id), first.entry_id)
            assert device is not None
            devices.async_update_device(device.id, add_config_entry_id=second.entry_id)
    assert await hass.config_entries.async_setup(second.entry_id)  # sets up both
    await hass.async_block_till_done()
    for entry in (first, second):
        assert entry.state is ConfigEntryState.LOADED
        own = dr.async_entries_for_config_entry(devices, entry.entry_id)
        assert all(device_entry_ids(device) == {entry.entry_id} for device in own)
        assert len(own) == len(ids) + 1  # the box itself
    for device_id in ids:
        identifier = device_identifier(first.entry_id, device_id)
        kept = device_by_identifier(devices, identifier, first.entry_id)
        assert kept is not None
        assert kept.name_by_user is not None


async def test_an_entry_from_a_newer_version_is_refused(
    hass: HomeAssistant, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    hass.config_entries.async_update_entry(entry, version=CURRENT_VERSION + 1)
    caplog.set_level(logging.ERROR)
    assert not await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.MIGRATION_ERROR


async def test_a_failed_read_keeps_the_firmware_and_serial_shown(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    coordinator = await _set_up(hass, config_entry)
    registry = dr.async_get(hass)
    hub = device_by_identifier(registry, (DOMAIN, FIXED_ENTRY_ID), FIXED_ENTRY_ID)
    assert hub is not None
    await wait_for(lambda: registry.async_get(hub.id).serial_number is not None)
    simulator.faults.version_down = True
    await coordinator.async_update_box_info()
    shown = registry.async_get(hub.id)
    assert (shown.sw_version, shown.serial_number) == (
        simulator.firmware_version,
        simulator.serial_number,
    )


async def test_a_device_listed_twice_in_two_forms_is_one_device(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = simulator.devices[0]
    simulator.add_device(dataclasses.replace(first, device_id=first.device_id.upper()))
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert len(coordinator.data) == len(simulator.devices) - 1
    assert coordinator.data[canonical_device_id(first.device_id)].device_id == first.device_id
    assert "lists one device twice" in caplog.text
