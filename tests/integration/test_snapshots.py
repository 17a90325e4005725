"""Snapshots of every entity's registry entry and state, per Home Assistant version."""

from __future__ import annotations

from datetime import UTC, datetime

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry
from syrupy.assertion import SnapshotAssertion
from syrupy.filters import props

from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_unique_id
from sophon_sim import ROSTER, BoxSimulator, PersonType
from tests.integration.conftest import push

# Camera and image states carry a random access token, also inside their picture URL.
RANDOM_TOKENS = props("access_token", "entity_picture")


def _device_entities(
    entity_registry: er.EntityRegistry, entry: MockConfigEntry, device_id: str
) -> list[er.RegistryEntry]:
    """Return one attached device's registry entries, in a stable order."""
    entries = er.async_entries_for_config_entry(entity_registry, entry.entry_id)
    prefix = device_unique_id(entry.entry_id, device_id, "")
    found = sorted(
        (e for e in entries if e.unique_id.startswith(prefix)), key=lambda e: e.entity_id
    )
    assert len(found) == 9  # four sensors, three images, a camera, an event
    return found


async def test_entities_of_a_device_match_the_snapshot(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
    snapshot: SnapshotAssertion,
) -> None:
    device_id = simulator.devices[0].device_id
    for entry in _device_entities(entity_registry, config_entry, device_id):
        assert entry == snapshot(name=f"{entry.entity_id}-entry")
        assert hass.states.get(entry.entity_id) == snapshot(
            name=f"{entry.entity_id}-state", exclude=RANDOM_TOKENS
        )


async def test_sensor_states_after_a_recognition_match_the_snapshot(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
    bus_events: list[Event],
    snapshot: SnapshotAssertion,
) -> None:
    device_id = simulator.devices[0].device_id
    vip = next(person for person in ROSTER if person.person_type is PersonType.VIP)
    # Received just after it happened: a time a day or more behind receipt is implausible.
    coordinator.client.clock = lambda: datetime(2025, 11, 26, 8, 31, tzinfo=UTC)
    await push(
        hass,
        simulator,
        bus_events,
        device_id=device_id,
        person=vip,
        score=0.8123,
        timestamp_ms=1_764_145_812_345,
    )
    for entry in _device_entities(entity_registry, config_entry, device_id):
        if entry.domain == "sensor":
            assert hass.states.get(entry.entity_id) == snapshot(name=f"{entry.entity_id}-state")
