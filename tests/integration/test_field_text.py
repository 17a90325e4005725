"""Field input through Home Assistant: dirty names become clean states, odd device lists load."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from homeassistant.config_entries import SOURCE_USER, ConfigEntryState
from homeassistant.const import CONF_HOST, CONF_PORT, MAX_LENGTH_STATE_STATE
from homeassistant.core import Event, HomeAssistant
from homeassistant.data_entry_flow import FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.const import CONF_WS_PORT, DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import ROSTER, BoxSimulator
from sophon_sim.oddities import LONG_NAME
from tests.conftest import LOOPBACK, wait_for
from tests.integration.conftest import push

TOM = next(person for person in ROSTER if person.name == "Tom")


def last_identity(hass: HomeAssistant, entry: MockConfigEntry, device_name: str) -> str:
    """Return the state of the last-identity sensor of the device with this name."""
    devices = dr.async_get(hass)
    for item in er.async_entries_for_config_entry(er.async_get(hass), entry.entry_id):
        device = devices.async_get(item.device_id) if item.device_id else None
        if (
            item.domain == "sensor"
            and item.translation_key == "last_identity"
            and device is not None
            and device.name == device_name
        ):
            state = hass.states.get(item.entity_id)
            assert state is not None
            return state.state
    raise AssertionError(f"no last identity sensor for {device_name}")


@pytest.mark.parametrize(
    "dirty",
    ["Tom\u0000\u0000", "\ufeffTom\u200b", "\u3000Tom\r\n", "\x1b[31mTom\x1b[0m"],
    ids=["nul-padding", "bom-zero-width", "ideographic-space-newline", "escape-sequence"],
)
async def test_a_dirty_name_becomes_a_clean_state(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
    dirty: str,
) -> None:
    device = simulator.devices[0]
    await push(
        hass,
        simulator,
        bus_events,
        device_id=device.device_id,
        person=TOM,
        overrides={"identity_name": dirty},
    )
    assert bus_events[-1].data["identity_name"] == "Tom"
    assert last_identity(hass, config_entry, device.name) == "Tom"
    assert coordinator.client.counters.quirks_accepted["text_cleaned:identity_name"] == 1


async def test_a_long_name_reaches_the_bus_whole(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    simulator.faults.long_names = True
    simulator.faults.dirty_text = True
    await push(hass, simulator, bus_events, device_id=simulator.devices[0].device_id, person=TOM)
    assert bus_events[-1].data["identity_name"] == LONG_NAME


@pytest.mark.parametrize(
    "name",
    [
        "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466" * 60,  # 420 code points
        "张" * 300,
        "T" * 256,
        "e\u0301" * 200,  # NFC makes it 200 "é": fits whole
    ],
    ids=["family-emoji", "cjk", "ascii-256", "combining"],
)
async def test_a_name_too_long_for_a_state_is_cut_and_kept_whole_elsewhere(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    device = simulator.devices[0]
    overrides = {"identity_name": name}
    await push(
        hass, simulator, bus_events, device_id=device.device_id, person=TOM, overrides=overrides
    )
    whole = unicodedata.normalize("NFC", name)
    assert bus_events[-1].data["identity_name"] == whole
    state = last_identity(hass, config_entry, device.name)
    assert len(state) <= MAX_LENGTH_STATE_STATE
    assert state == whole if len(whole) <= MAX_LENGTH_STATE_STATE else state.endswith("…")
    assert whole.startswith(state.removesuffix("…"))
    assert "State max length" not in caplog.text  # what Home Assistant says of a long state


@pytest.mark.parametrize(
    "faults",
    [{"bom": True}, {"nul_padding": True}, {"rest_encoding": "gbk"}, {"rest_encoding": "utf16"}],
    ids=["bom", "nul-padding", "gbk", "utf16"],
)
async def test_an_oddly_framed_device_list_still_sets_up(
    hass: HomeAssistant,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
    faults: dict[str, Any],
) -> None:
    for name, value in faults.items():
        setattr(simulator.faults, name, value)
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    assert config_entry.state is ConfigEntryState.LOADED
    coordinator: SophonCoordinator = config_entry.runtime_data
    await wait_for(lambda: coordinator.connected)
    await simulator.wait_for_subscription()
    names = {
        device.name
        for device in dr.async_entries_for_config_entry(dr.async_get(hass), config_entry.entry_id)
    }
    assert {device.name for device in simulator.devices} <= names
    device = simulator.devices[1]  # "大厅抓拍机": not ASCII
    await push(hass, simulator, bus_events, device_id=device.device_id, person=TOM)
    assert last_identity(hass, config_entry, device.name) == "Tom"


async def test_a_box_whose_device_list_begins_with_a_bom_can_be_added(
    hass: HomeAssistant, simulator: BoxSimulator
) -> None:
    simulator.faults.bom = True
    result = await hass.config_entries.flow.async_init(DOMAIN, context={"source": SOURCE_USER})
    result = await hass.config_entries.flow.async_configure(
        result["flow_id"],
        {CONF_HOST: LOOPBACK, CONF_PORT: simulator.rest_port, CONF_WS_PORT: simulator.ws_port},
    )
    assert result["type"] is FlowResultType.CREATE_ENTRY
    await hass.async_block_till_done()
