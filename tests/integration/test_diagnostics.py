"""Diagnostics: what a bug report shows, and that it never shows people or pictures."""

from __future__ import annotations

import base64
import json
from typing import Any

from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.diagnostics import (
    async_get_config_entry_diagnostics,
    async_get_device_diagnostics,
)
from custom_components.sophon.identity import device_identifier
from sophon_sim import BoxSimulator, PersonKind
from tests.frames import expected
from tests.integration.conftest import push


def _secrets(frame: dict[str, Any], simulator: BoxSimulator) -> list[str]:
    """Return every string from a sent frame that must not appear in diagnostics."""
    sent = expected(frame, simulator.protocol)
    needles = [sent["identity_name"], sent["identity_id"], "rtsp://", "secret123"]
    needles += [value for value in sent["identity_info"].values() if isinstance(value, str)]
    needles += [template[:32] for template in simulator.templates_of(sent["event_id"])]
    for picture in simulator.images_of(sent["event_id"]).values():
        needles.append(base64.b64encode(picture)[:24].decode())
        needles.append(picture[:16].hex())
    return needles


async def test_entry_diagnostics_show_the_connection_and_hide_people(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    assert await async_setup_component(hass, "diagnostics", {})
    frames = [
        await push(hass, simulator, bus_events, device_id=d.device_id, kind=kind)
        for d, kind in zip(
            simulator.devices,
            (PersonKind.VIP, PersonKind.BLACKLIST, PersonKind.EMPLOYEE),
            strict=True,
        )
    ]
    await simulator.push_raw("{broken")
    result = await async_get_config_entry_diagnostics(hass, config_entry)
    dumped = json.dumps(result, ensure_ascii=False)
    for frame in frames:
        for needle in _secrets(frame, simulator):
            assert needle not in dumped, needle
    box = result["box"]
    assert box["protocol"] == simulator.protocol
    assert box["firmware_version"] == simulator.firmware_version
    assert box["connected"] is True
    assert box["counters"]["events_delivered"] == 3
    assert len(box["subscription"]["device_ids"]) == 3
    device = result["devices"][simulator.devices[0].device_id]
    assert device["last_event"]["person_type"] == "vip"
    assert device["last_event"]["identity_name"] == "**REDACTED**"
    assert device["last_event"]["image_bytes"]["face"] > 0
    assert result["entry"]["data"]["host"] == "**REDACTED**"


async def test_device_diagnostics_hide_people_too(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    gate = simulator.devices[1]
    frame = await push(
        hass, simulator, bus_events, device_id=gate.device_id, kind=PersonKind.VISITOR
    )
    device = device_by_identifier(
        dr.async_get(hass),
        device_identifier(config_entry.entry_id, gate.device_id),
        config_entry.entry_id,
    )
    assert device is not None
    result = await async_get_device_diagnostics(hass, config_entry, device)
    dumped = json.dumps(result, ensure_ascii=False)
    for needle in _secrets(frame, simulator):
        assert needle not in dumped, needle
    assert result["device"]["name"] == gate.name
    assert result["last_event"]["person_type"] == "visitor"
