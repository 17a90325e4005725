"""Stopping never waits on the box: unload, shutdown and resubscribe against a box that stalls."""

from __future__ import annotations

import asyncio

import pytest
from homeassistant.config_entries import ConfigEntryState
from homeassistant.const import EVENT_HOMEASSISTANT_STOP
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.api import ConnectionState
from custom_components.sophon.api.push import CLOSE_TIMEOUT
from custom_components.sophon.const import CONF_DEVICES, CONF_NEED_FACE, CONF_NEED_REGISTER
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import BoxSimulator
from tests.conftest import wait_for
from tests.integration.conftest import open_options

# Well under aiohttp's default close timeout (10 s), well over the client's own (CLOSE_TIMEOUT).
PROMPTLY = 5.0


@pytest.mark.parametrize("stopping", ["unload", "shutdown", "resubscribe"])
async def test_stopping_is_prompt_when_the_box_ignores_the_close_handshake(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    stopping: str,
) -> None:
    assert CLOSE_TIMEOUT < PROMPTLY
    simulator.faults.silent = True  # answers neither pings nor the close frame
    async with asyncio.timeout(PROMPTLY):
        if stopping == "unload":
            assert await hass.config_entries.async_unload(config_entry.entry_id)
            assert config_entry.state is ConfigEntryState.NOT_LOADED
        elif stopping == "shutdown":
            hass.bus.async_fire(EVENT_HOMEASSISTANT_STOP)
            await hass.async_block_till_done()
            assert coordinator.client.state is ConnectionState.DISCONNECTED
        else:  # an options change reloads the entry: the old push is closed first
            result = await open_options(hass, config_entry.entry_id)
            options = {CONF_DEVICES: [d.device_id for d in simulator.devices[:1]]}
            options |= {CONF_NEED_FACE: False, CONF_NEED_REGISTER: True}
            await hass.config_entries.options.async_configure(result["flow_id"], options)
            await hass.async_block_till_done()
            simulator.faults.silent = False
            await wait_for(lambda: config_entry.state is ConfigEntryState.LOADED)
            await simulator.wait_for_subscription(count=2)
    if config_entry.state is ConfigEntryState.LOADED:
        await hass.config_entries.async_unload(config_entry.entry_id)
