"""Fixtures for the integration's tests: a config entry for the simulated box, set up for real."""

from __future__ import annotations

import pytest
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.const import CONF_WS_PORT, DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import BoxSimulator
from tests.conftest import LOOPBACK, wait_for


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


def entry_for(simulator: BoxSimulator, **options: object) -> MockConfigEntry:
    """Return a config entry pointing at the simulator."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=LOOPBACK,
        unique_id=f"{LOOPBACK}:{simulator.rest_port}",
        data={CONF_HOST: LOOPBACK, CONF_PORT: simulator.rest_port, CONF_WS_PORT: simulator.ws_port},
        options=options,
    )


@pytest.fixture
def config_entry(hass: HomeAssistant, simulator: BoxSimulator) -> MockConfigEntry:
    """Return the simulator's config entry, added to Home Assistant."""
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    return entry


@pytest.fixture
async def coordinator(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> SophonCoordinator:
    """Set up the entry and wait until the box's push is subscribed."""
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    coordinator: SophonCoordinator = config_entry.runtime_data
    coordinator.client.backoff.initial = 0.05
    coordinator.client.backoff.maximum = 0.2
    await wait_for(lambda: coordinator.connected)
    await simulator.wait_for_subscription()
    return coordinator
