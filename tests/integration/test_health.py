"""The box's health entities (health.py), in both generations, over the simulator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

import pytest
from homeassistant.const import STATE_OFF, STATE_ON, STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import entity_registry as er
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.health import EXTERNAL_DISK_SENSORS, HEALTH_SENSORS
from sophon_sim import BoxSimulator
from tests.conftest import wait_for
from tests.integration.conftest import push

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
# The states of the sensors enabled by default, with the simulator's values.
EXPECTED = {
    "cpu_usage": "23.0",
    "memory_usage": "24.51",
    "core_temperature": "44.0",
    "storage_usage": "54.63",
    "external_disk_usage": "12.91",
}
DISABLED = {"memory_free", "board_temperature", "storage_free", "external_disk_free"}
SHOWN = [*EXPECTED, "up_since", "picture_store"]


def entity_id(entity_registry: er.EntityRegistry, coordinator: SophonCoordinator, key: str) -> str:
    """Return the entity id of one of the box's health entities."""
    unique_id = f"{coordinator.box_identifier[1]}_{key}"
    domain = "binary_sensor" if key == "picture_store" else "sensor"
    found = entity_registry.async_get_entity_id(domain, "sophon", unique_id)
    assert found is not None, key
    return found


def state(
    hass: HomeAssistant,
    entity_registry: er.EntityRegistry,
    coordinator: SophonCoordinator,
    key: str,
) -> str:
    """Return the state of one of the box's health entities."""
    current = hass.states.get(entity_id(entity_registry, coordinator, key))
    assert current is not None, key
    return current.state


async def refresh(hass: HomeAssistant, coordinator: SophonCoordinator) -> None:
    """Read the box's health now, and let the entities write their states."""
    await coordinator.health.async_refresh()
    await hass.async_block_till_done()


@pytest.fixture
async def health(hass: HomeAssistant, coordinator: SophonCoordinator) -> SophonCoordinator:
    """Set the box up, its clock standing at NOW, and read its health once."""
    coordinator.client.clock = lambda: NOW
    await refresh(hass, coordinator)
    return coordinator


async def test_every_health_entity_shows_the_box_s_values(
    hass: HomeAssistant, health: SophonCoordinator, entity_registry: er.EntityRegistry
) -> None:
    for key, expected in EXPECTED.items():
        assert state(hass, entity_registry, health, key) == expected, key
    up_since = state(hass, entity_registry, health, "up_since")
    assert dt_util.parse_datetime(up_since) == NOW - timedelta(hours=3, minutes=57)
    assert state(hass, entity_registry, health, "picture_store") == STATE_OFF


async def test_units_device_classes_and_what_is_disabled(
    hass: HomeAssistant, health: SophonCoordinator, entity_registry: er.EntityRegistry
) -> None:
    for description in HEALTH_SENSORS + EXTERNAL_DISK_SENSORS:
        entry = entity_registry.async_get(entity_id(entity_registry, health, description.key))
        assert entry is not None
        assert entry.entity_category == "diagnostic"
        assert (entry.disabled_by is not None) == (description.key in DISABLED), description.key
    temperature = hass.states.get(entity_id(entity_registry, health, "core_temperature"))
    assert temperature is not None
    assert temperature.attributes["device_class"] == "temperature"
    assert temperature.attributes["unit_of_measurement"] == "°C"
    cpu = hass.states.get(entity_id(entity_registry, health, "cpu_usage"))
    assert cpu is not None
    assert cpu.attributes["unit_of_measurement"] == "%"
    up_since = hass.states.get(entity_id(entity_registry, health, "up_since"))
    assert up_since is not None
    assert up_since.attributes["device_class"] == "timestamp"
    store = hass.states.get(entity_id(entity_registry, health, "picture_store"))
    assert store is not None
    assert store.attributes["device_class"] == "problem"


async def test_the_disabled_ones_show_sizes_in_gib_once_enabled(
    hass: HomeAssistant,
    health: SophonCoordinator,
    config_entry: MockConfigEntry,
    entity_registry: er.EntityRegistry,
) -> None:
    for key in DISABLED:
        entity_registry.async_update_entity(
            entity_id(entity_registry, health, key), disabled_by=None
        )
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SophonCoordinator = config_entry.runtime_data
    await refresh(hass, coordinator)
    storage = hass.states.get(entity_id(entity_registry, coordinator, "storage_free"))
    assert storage is not None
    assert storage.attributes["device_class"] == "data_size"
    assert storage.attributes["unit_of_measurement"] == "GiB"
    assert float(storage.state) == pytest.approx(7.64)
    assert float(state(hass, entity_registry, coordinator, "memory_free")) == pytest.approx(2.9)
    assert state(hass, entity_registry, coordinator, "board_temperature") == "38.5"
    external = float(state(hass, entity_registry, coordinator, "external_disk_free"))
    assert external == pytest.approx(811.26)


type Shown = Callable[[str], Awaitable[dict[str, str]]]


@pytest.fixture
def shown(
    hass: HomeAssistant,
    health: SophonCoordinator,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
) -> Shown:
    """Return what shows the health entities' states after the box gives its values oddly."""

    async def read(form: str) -> dict[str, str]:
        simulator.faults.health_odd = form
        await refresh(hass, health)
        return {key: state(hass, entity_registry, health, key) for key in SHOWN}

    return read


@pytest.mark.parametrize("form", ["unit_letter", "lower_case", "spaces", "comma", "number"])
async def test_each_odd_unit_string_shows_the_same_values(shown: Shown, form: str) -> None:
    states = await shown(form)
    for key, expected in EXPECTED.items():
        assert float(states[key]) == pytest.approx(float(expected), abs=0.02), key
    assert states["picture_store"] == STATE_OFF


@pytest.mark.parametrize("form", ["nan", "empty", "missing"])
async def test_values_that_cannot_be_read_are_unknown_not_unavailable(
    shown: Shown, health: SophonCoordinator, form: str
) -> None:
    assert set((await shown(form)).values()) == {STATE_UNKNOWN}
    assert health.health.last_update_success
    assert health.client.health_counts["unreadable"]["uptime.uptime"] == 1


@pytest.mark.parametrize("form", ["boot_1970", "boot_future"])
async def test_a_start_in_1970_or_in_the_future_is_unknown(shown: Shown, form: str) -> None:
    states = await shown(form)
    assert states["up_since"] == STATE_UNKNOWN
    assert states["cpu_usage"] == "23.0"


@pytest.mark.parametrize("kind", ["error", "status_500", "empty_body", "timeout"])
async def test_failing_health_calls_leave_recognitions_and_the_push_alone(
    hass: HomeAssistant,
    health: SophonCoordinator,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
    bus_events: list[Event],
    kind: str,
) -> None:
    health.client.request_timeout = 0.3
    simulator.faults.health_call = kind
    await refresh(hass, health)
    assert not health.health.last_update_success
    for key in SHOWN:
        assert state(hass, entity_registry, health, key) == STATE_UNAVAILABLE, key
    # The push is up, and a recognition arrives on its device's entities.
    assert health.connected
    assert health.last_update_success
    assert state_of(hass, "binary_sensor", "connected", entity_registry, health) == STATE_ON
    await push(hass, simulator, bus_events, device_id=simulator.devices[0].device_id)
    assert len(bus_events) == 1
    # Back, they come back.
    simulator.faults.health_call = ""
    await refresh(hass, health)
    assert state(hass, entity_registry, health, "cpu_usage") == "23.0"


def state_of(
    hass: HomeAssistant,
    domain: str,
    key: str,
    entity_registry: er.EntityRegistry,
    coordinator: SophonCoordinator,
) -> str:
    """Return the state of one of the box's other entities."""
    unique_id = f"{coordinator.box_identifier[1]}_{key}"
    found = entity_registry.async_get_entity_id(domain, "sophon", unique_id)
    assert found is not None
    current = hass.states.get(found)
    assert current is not None
    return current.state


@pytest.mark.parametrize(
    ("call", "keys"),
    [
        ("cpu", ["cpu_usage"]),
        ("temperature", ["core_temperature"]),
        ("memory", ["memory_usage"]),
        ("storage", ["storage_usage"]),
        ("external_disk", ["external_disk_usage"]),
        ("uptime", ["up_since"]),
        ("picture_store", ["picture_store"]),
    ],
)
async def test_one_failing_call_makes_only_its_entities_unavailable(
    hass: HomeAssistant,
    health: SophonCoordinator,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
    call: str,
    keys: list[str],
) -> None:
    simulator.faults.health_call = "error"
    simulator.faults.health_calls = call
    await refresh(hass, health)
    for key in SHOWN:
        shown = state(hass, entity_registry, health, key)
        assert (shown == STATE_UNAVAILABLE) == (key in keys), key


async def test_the_picture_store_failing_is_a_problem(
    hass: HomeAssistant,
    health: SophonCoordinator,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    simulator.faults.picture_store_down = True
    await refresh(hass, health)
    assert state(hass, entity_registry, health, "picture_store") == STATE_ON


async def test_the_external_disk_appears_once_mounted_and_is_unknown_when_removed(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    entity_registry: er.EntityRegistry,
) -> None:
    simulator.faults.no_external_disk = True
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SophonCoordinator = config_entry.runtime_data
    await wait_for(lambda: coordinator.health.data is not None)
    await hass.async_block_till_done()
    unique_id = f"{coordinator.box_identifier[1]}_external_disk_usage"
    assert entity_registry.async_get_entity_id("sensor", "sophon", unique_id) is None
    assert state(hass, entity_registry, coordinator, "storage_usage") == "54.63"
    # A disk is plugged in.
    simulator.faults.no_external_disk = False
    await refresh(hass, coordinator)
    assert state(hass, entity_registry, coordinator, "external_disk_usage") == "12.91"
    # And taken out again.
    simulator.faults.no_external_disk = True
    await refresh(hass, coordinator)
    assert state(hass, entity_registry, coordinator, "external_disk_usage") == STATE_UNKNOWN
    # After a restart without the disk it is still there, unknown.
    assert await hass.config_entries.async_reload(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator = config_entry.runtime_data
    await refresh(hass, coordinator)
    assert state(hass, entity_registry, coordinator, "external_disk_usage") == STATE_UNKNOWN
    await hass.config_entries.async_unload(config_entry.entry_id)
