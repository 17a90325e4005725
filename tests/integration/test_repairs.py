"""Repairs: an issue while the box stays unreachable, gone when it is back."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from homeassistant.core import HomeAssistant
from homeassistant.helpers import issue_registry as ir
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry, async_fire_time_changed

from custom_components.sophon.const import CONF_WS_PORT, DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import BoxSimulator
from tests.conftest import wait_for
from tests.integration.conftest import entry_for


async def test_unreachable_box_raises_a_repair_that_clears_when_it_is_back(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    issue_id = f"unreachable_{config_entry.entry_id}"
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=10))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done()
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_key == "box_unreachable"
    assert issue.translation_placeholders == {"title": config_entry.title, "minutes": "30"}
    await simulator.start_ws_listener()
    await wait_for(lambda: coordinator.connected)
    # Back, but not yet for long: a flapping box must not clear it.
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is not None
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=32))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_a_flapping_box_still_raises_the_repair(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for _ in range(3):
        await simulator.close_connections()
        await wait_for(lambda: not coordinator.connected)
        await wait_for(lambda: coordinator.connected)
    assert caplog.text.count("Lost the connection") == 1
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(seconds=30))
    await hass.async_block_till_done()
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"unreachable_{config_entry.entry_id}")


async def test_unload_removes_the_repair(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"unreachable_{config_entry.entry_id}")
    assert await hass.config_entries.async_unload(config_entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, f"unreachable_{config_entry.entry_id}") is None


async def test_a_short_drop_raises_no_repair(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    issue_registry: ir.IssueRegistry,
) -> None:
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)
    await wait_for(lambda: coordinator.connected)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done()
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"unreachable_{config_entry.entry_id}") is None


@pytest.mark.parametrize("push", ["listener_stopped", "closed_port", "rest_port"])
async def test_a_push_that_never_opened_says_so_at_once(
    hass: HomeAssistant,
    simulator: BoxSimulator,
    issue_registry: ir.IssueRegistry,
    caplog: pytest.LogCaptureFixture,
    push: str,
) -> None:
    entry = entry_for(simulator)
    entry.add_to_hass(hass)
    if push == "listener_stopped":
        simulator.stop_ws_listener()
    else:
        async with BoxSimulator(devices=1) as gone:
            port = gone.ws_port if push == "closed_port" else simulator.rest_port
        hass.config_entries.async_update_entry(entry, data={**entry.data, CONF_WS_PORT: port})
    assert await hass.config_entries.async_setup(entry.entry_id)
    issue_id = f"push_never_opened_{entry.entry_id}"
    await wait_for(lambda: issue_registry.async_get_issue(DOMAIN, issue_id) is not None)
    issue = issue_registry.async_get_issue(DOMAIN, issue_id)
    assert issue is not None
    assert issue.translation_placeholders == {
        "title": entry.title,
        "port": str(entry.data[CONF_WS_PORT]),
    }
    assert "Lost the connection" not in caplog.text
    assert caplog.text.count("Cannot open the push of") == 1
    # Thirty minutes on, this repair still says why: no second one.
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=31))
    await hass.async_block_till_done()
    assert issue_registry.async_get_issue(DOMAIN, f"unreachable_{entry.entry_id}") is None
    if push == "listener_stopped":
        await simulator.start_ws_listener()
        await wait_for(lambda: entry.runtime_data.connected)
        assert issue_registry.async_get_issue(DOMAIN, issue_id) is None
    await hass.config_entries.async_unload(entry.entry_id)
    assert issue_registry.async_get_issue(DOMAIN, issue_id) is None


async def test_the_loss_and_the_restoration_are_logged_alike_once_each(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The quality scale's log-when-unavailable: once at INFO each way, the same level."""
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)
    await simulator.start_ws_listener()
    await wait_for(lambda: coordinator.connected)
    async_fire_time_changed(hass, dt_util.utcnow() + timedelta(minutes=2))
    await hass.async_block_till_done()
    lost = [r for r in caplog.records if "Lost the connection" in r.getMessage()]
    back = [r for r in caplog.records if "restored" in r.getMessage()]
    assert len(lost) == len(back) == 1
    assert lost[0].levelno == back[0].levelno == logging.INFO
