"""Both generations in Home Assistant: a firmware upgrade, templates, firmware version."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.const import DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.diagnostics import async_get_config_entry_diagnostics
from sophon_sim import BoxSimulator, PersonType
from tests.conftest import LOOPBACK, wait_for
from tests.integration.conftest import entry_for, push


@pytest.fixture
async def simulator() -> AsyncIterator[BoxSimulator]:
    """Run a box that starts on firmware V5 (generation 1.0)."""
    async with BoxSimulator(devices=2, host=LOOPBACK, seed=21) as sim:
        yield sim


async def test_a_firmware_upgrade_keeps_events_flowing(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    gate = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=gate, person_type=PersonType.VIP)
    assert bus_events[-1].data["person_type_code"] == 5
    simulator.set_generation("2.0")
    assert "media_device_ids" in await simulator.wait_for_subscription()
    frame = await push(
        hass, simulator, bus_events, device_id=gate, person_type=PersonType.BLACKLIST
    )
    data = bus_events[-1].data
    assert data["sophon_device_id"] == gate
    assert data["person_type"] == "blacklist"
    assert data["person_type_code"] is None
    assert data["score"] == pytest.approx(frame["score"] / 100)
    assert set(data["face_attributes"]) <= {"gender", "age", "mask", "glasses", "expression"}
    await wait_for(lambda: coordinator.firmware_version == simulator.firmware_version)
    hub = device_by_identifier(device_registry, coordinator.box_identifier, config_entry.entry_id)
    assert hub is not None
    await wait_for(
        lambda: device_registry.async_get(hub.id).sw_version == simulator.firmware_version
    )
    diagnostics = await async_get_config_entry_diagnostics(hass, config_entry)
    assert diagnostics["box"]["generation"] == "2.0"


async def test_no_template_reaches_bus_states_logs_or_diagnostics(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    async with BoxSimulator(devices=2, generation="2.0", host=LOOPBACK, seed=22) as sim:
        entry = entry_for(sim, entry_id=None)
        entry.add_to_hass(hass)
        assert await hass.config_entries.async_setup(entry.entry_id)
        await sim.wait_for_subscription()
        templates: list[str] = []
        for person_type in (PersonType.VIP, PersonType.STRANGER, PersonType.EMPLOYEE):
            frame = await push(hass, sim, bus_events, person_type=person_type)
            templates += sim.templates_of(frame["event_id"])
        assert len(templates) >= 3
        diagnostics = await async_get_config_entry_diagnostics(hass, entry)
        dumped = json.dumps(
            [
                [event.data for event in bus_events],
                [state.as_dict() for state in hass.states.async_all()],
                diagnostics,
            ],
            ensure_ascii=False,
        )
        for template in templates:
            assert template[:24] not in dumped
            assert template[:24] not in caplog.text
        await hass.config_entries.async_unload(entry.entry_id)


async def test_a_starting_box_is_retried_and_explained(hass: HomeAssistant) -> None:
    async with BoxSimulator(devices=1, generation="2.0", host=LOOPBACK) as sim:
        sim.faults.init_error = True
        result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
        result = await hass.config_entries.flow.async_configure(
            result["flow_id"],
            {"host": LOOPBACK, "port": sim.rest_port, "ws_port": sim.ws_port},
        )
        assert result["type"] is FlowResultType.FORM
        assert result["errors"] == {"base": "box_starting"}
        entry = entry_for(sim, entry_id=None)
        entry.add_to_hass(hass)
        await hass.config_entries.async_setup(entry.entry_id)
        assert entry.state is ConfigEntryState.SETUP_RETRY
        sim.faults.init_error = False
        await hass.config_entries.async_reload(entry.entry_id)
        assert entry.state is ConfigEntryState.LOADED
        await hass.config_entries.async_unload(entry.entry_id)
