"""Fixtures for the integration's tests: a config entry for the simulated box, set up for real."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import automation
from homeassistant.const import CONF_HOST, CONF_PORT, MAJOR_VERSION, MINOR_VERSION
from homeassistant.core import Event, HomeAssistant, ServiceCall
from homeassistant.data_entry_flow import FlowResult, FlowResultType
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_capture_events,
    async_mock_service,
)
from pytest_homeassistant_custom_component.syrupy import HomeAssistantSnapshotExtension
from syrupy.assertion import SnapshotAssertion

from custom_components.sophon import config_flow
from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.const import (
    CONF_VERSION_PORT,
    CONF_WS_PORT,
    DOMAIN,
    EVENT_RECOGNITION,
)
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_identifier
from custom_components.sophon.migration import CURRENT_VERSION
from sophon_sim import BoxSimulator
from tests.conftest import LOOPBACK, wait_for


@pytest.fixture(autouse=True)
def _custom_integrations(enable_custom_integrations: None) -> None:
    """Let Home Assistant load the integration from custom_components."""


@pytest.fixture(autouse=True)
def _flow_system_port(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the config flow ask the test's simulator for its serial number (not on port 8888),
    and find it, when discovered, on its ports (not on the stock 5555 and 5679)."""
    if "simulator" in request.fixturenames:
        simulator: BoxSimulator = request.getfixturevalue("simulator")
        monkeypatch.setattr(config_flow, "SYSTEM_PORT", simulator.version_port)
        monkeypatch.setattr(config_flow, "DISCOVERY_PORT", simulator.rest_port)
        monkeypatch.setattr(config_flow, "DISCOVERY_WS_PORT", simulator.ws_port)


class VersionedSnapshotExtension(HomeAssistantSnapshotExtension):
    """Keep one set of snapshots per Home Assistant version: their serializers differ."""

    @classmethod
    def dirname(cls, *, test_location: object) -> str:
        """Return snapshots/<Home Assistant version>/ beside the test file."""
        folder = Path(test_location.filepath).parent  # type: ignore[attr-defined]
        return str(folder / "snapshots" / f"ha{MAJOR_VERSION}.{MINOR_VERSION}")


@pytest.fixture
def snapshot(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    """Return a snapshot assertion that reads the snapshots of this Home Assistant version."""
    return snapshot.use_extension(VersionedSnapshotExtension)


FIXED_ENTRY_ID = "01JSOPHONTESTENTRY000000000"


def entry_for(
    simulator: BoxSimulator, entry_id: str | None = FIXED_ENTRY_ID, **options: object
) -> MockConfigEntry:
    """Return a config entry pointing at the simulator (a fixed id keeps snapshots stable)."""
    return MockConfigEntry(
        domain=DOMAIN,
        entry_id=entry_id,
        version=CURRENT_VERSION,
        title=LOOPBACK,
        unique_id=f"{LOOPBACK}:{simulator.rest_port}",
        data={
            CONF_HOST: LOOPBACK,
            CONF_PORT: simulator.rest_port,
            CONF_WS_PORT: simulator.ws_port,
            CONF_VERSION_PORT: simulator.version_port,
        },
        options=options,
    )


@pytest.fixture
def camera_enabled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Create the last-face cameras enabled (they are disabled by default)."""
    monkeypatch.setattr(
        "custom_components.sophon.camera.SophonFaceCamera._attr_entity_registry_enabled_default",
        True,
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


async def push(
    hass: HomeAssistant, simulator: BoxSimulator, events: list[Event], **kwargs: Any
) -> dict[str, Any]:
    """Push one event and wait until Home Assistant fired it on the bus."""
    count = len(events)
    frame = await simulator.push_event(**kwargs)
    await wait_for(lambda: len(events) > count)
    await hass.async_block_till_done()
    return frame


@pytest.fixture
def bus_events(hass: HomeAssistant) -> list[Event]:
    """Capture every sophon_recognition event."""
    return async_capture_events(hass, EVENT_RECOGNITION)


def attached_device(coordinator: SophonCoordinator, device_id: str) -> dr.DeviceEntry:
    """Return the registry entry of an attached device (the box's id for it)."""
    entry_id = coordinator.config_entry.entry_id
    device = device_by_identifier(
        dr.async_get(coordinator.hass), device_identifier(entry_id, device_id), entry_id
    )
    assert device is not None
    return device


async def automation_calls(hass: HomeAssistant, trigger: dict[str, Any]) -> list[ServiceCall]:
    """Set up an automation that calls test.fired with what its trigger variables hold."""
    calls = async_mock_service(hass, "test", "fired")
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "triggers": [trigger],
                "actions": {
                    "action": "test.fired",
                    "data": {
                        "who": "{{ trigger.event.data.identity_name }}",
                        "device_id": "{{ trigger.device_id }}",
                        "description": "{{ trigger.description }}",
                        "platform": "{{ trigger.platform }}",
                    },
                },
            }
        },
    )
    return calls


async def open_options(hass: HomeAssistant, entry_id: str, step: str = "settings") -> FlowResult:
    """Open the entry's options and choose a part of them from the menu; return its form."""
    result = await hass.config_entries.options.async_init(entry_id)
    assert result["type"] is FlowResultType.MENU
    return await hass.config_entries.options.async_configure(
        result["flow_id"], {"next_step_id": step}
    )


STUBS = str(Path(__file__).parents[1] / "stubs")
BLUEPRINTS = Path(__file__).parents[2] / "blueprints" / "automation" / "sophon"


@pytest.fixture
def stub_mobile_app() -> Iterator[None]:
    """Put a stand-in Mobile App integration beside ours while the test runs."""
    sys.path.append(STUBS)
    yield
    sys.path.remove(STUBS)


def add_phone(hass: HomeAssistant) -> dr.DeviceEntry:
    """Add a phone: a device of a (stand-in) Mobile App config entry."""
    phone_entry = MockConfigEntry(domain="mobile_app")
    phone_entry.add_to_hass(hass)
    return dr.async_get(hass).async_get_or_create(
        config_entry_id=phone_entry.entry_id, identifiers={("mobile_app", "phone-1")}, name="Phone"
    )
