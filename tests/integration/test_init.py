"""Setting up, unloading and following a box's devices."""

from __future__ import annotations

import json

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon import async_remove_config_entry_device
from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.const import DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_identifier, device_unique_id
from sophon_sim import BoxSimulator, SimDevice
from tests.conftest import wait_for
from tests.frames import device_key, subscription
from tests.integration.conftest import FIXED_ENTRY_ID, entry_for


async def test_setup_registers_the_box_and_each_device(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    assert config_entry.state is ConfigEntryState.LOADED
    hub = device_by_identifier(
        device_registry, coordinator.box_identifier, coordinator.config_entry.entry_id
    )
    assert hub is not None
    for sim_device in simulator.devices:
        device = device_by_identifier(
            device_registry,
            device_identifier(FIXED_ENTRY_ID, sim_device.device_id),
            coordinator.config_entry.entry_id,
        )
        assert device is not None
        assert device.name == sim_device.name
        assert device.via_device_id == hub.id


async def test_setup_creates_the_entities_of_each_device(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    # The external disk's sensors come once the box's health says one is mounted.
    await wait_for(lambda: coordinator.health.data is not None)
    await hass.async_block_till_done()
    entries = er.async_entries_for_config_entry(entity_registry, config_entry.entry_id)
    # Per device: 4 sensors, 3 images, 1 camera, 1 event; per box: 3 sensors, 1 binary sensor,
    # and its health: 10 sensors, 1 binary sensor.
    assert len(entries) == 3 * 9 + 4 + 11
    keys = {entry.translation_key for entry in entries}
    assert keys == {
        "last_identity",
        "last_score",
        "person_type",
        "last_seen",
        "last_face",
        "last_face_camera",
        "last_scene",
        "registered_photo",
        "recognition",
        "connected",
        "events_received",
        "frames_rejected",
        "library_people",
        "cpu_usage",
        "memory_usage",
        "memory_free",
        "core_temperature",
        "board_temperature",
        "storage_usage",
        "storage_free",
        "external_disk_usage",
        "external_disk_free",
        "up_since",
        "picture_store",
    }


async def test_setup_retries_when_the_box_answers_with_an_error(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    simulator.faults.rest_status = 500
    await hass.config_entries.async_setup(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.SETUP_RETRY


async def test_setup_retries_when_the_box_is_down(hass: HomeAssistant) -> None:
    async with BoxSimulator(devices=1) as sim:
        entry = entry_for(sim)
    entry.add_to_hass(hass)
    await hass.config_entries.async_setup(entry.entry_id)
    assert entry.state is ConfigEntryState.SETUP_RETRY


async def test_unload_closes_the_websocket(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
) -> None:
    assert simulator.connected_clients == 1
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert config_entry.state is ConfigEntryState.NOT_LOADED
    await wait_for(lambda: simulator.connected_clients == 0)
    assert coordinator._listen_task is None


async def test_a_new_device_gets_entities_and_a_subscription(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    new = simulator.add_device(
        SimDevice(
            device_id="9b2f4c1e-5d6a-4b7c-8e9f-0a1b2c3d4e5f",
            name="Side door",
            ip="127.0.0.9",
            device_type="4",
        )
    )
    await coordinator.async_refresh()
    await hass.async_block_till_done()
    assert entity_registry.async_get_entity_id(
        "sensor", DOMAIN, device_unique_id(FIXED_ENTRY_ID, new.device_id, "last_identity")
    )
    await wait_for(lambda: new.device_id in subscription(simulator.subscriptions[-1])["event_list"])


async def test_an_event_from_an_unknown_device_refreshes_the_device_list(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    new = SimDevice(
        device_id="0c9d8e7f-6a5b-4c3d-2e1f-a0b1c2d3e4f5",
        name="Lobby",
        ip="127.0.0.8",
        device_type="1",
    )
    simulator.add_device(new)
    frame = await simulator.push_event(simulator.devices[0].device_id)
    await simulator.push_raw(
        json.dumps({**frame, device_key(simulator.generation): new.device_id, "event_id": "x1"})
    )
    await wait_for(
        lambda: (
            entity_registry.async_get_entity_id(
                "sensor", DOMAIN, device_unique_id(FIXED_ENTRY_ID, new.device_id, "last_identity")
            )
            is not None
        )
    )


async def test_only_devices_the_box_no_longer_lists_can_be_removed(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    device_registry: dr.DeviceRegistry,
) -> None:
    assert await async_setup_component(hass, "config", {})
    gone = simulator.remove_device(simulator.devices[-1].device_id)
    await coordinator.async_refresh()
    kept = simulator.devices[0]
    remove = hass.config_entries.async_get_entry(config_entry.entry_id)
    assert remove is not None

    def device(identifier: tuple[str, str]) -> dr.DeviceEntry:
        entry = device_by_identifier(device_registry, identifier, coordinator.config_entry.entry_id)
        assert entry is not None
        return entry

    assert await async_remove_config_entry_device(
        hass, config_entry, device(device_identifier(FIXED_ENTRY_ID, gone.device_id))
    )
    assert not await async_remove_config_entry_device(
        hass, config_entry, device(device_identifier(FIXED_ENTRY_ID, kept.device_id))
    )
    assert not await async_remove_config_entry_device(
        hass, config_entry, device(coordinator.box_identifier)
    )
