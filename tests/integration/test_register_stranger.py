"""The register-a-stranger blueprint, as a real automation: notification, button, registration."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path
from typing import Any

from homeassistant.components import automation
from homeassistant.core import Event, HomeAssistant
from homeassistant.setup import async_setup_component
from pytest_homeassistant_custom_component.common import async_capture_events
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sophon.const import EVENT_LIBRARY_CHANGED
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import BoxSimulator, PersonType
from tests.conftest import wait_for
from tests.frames import expected
from tests.integration.conftest import BLUEPRINTS, add_phone, attached_device

NOTIFIED = "mobile_app_stub_notified"
ACTION = "mobile_app_notification_action"


async def push(
    hass: HomeAssistant, simulator: BoxSimulator, events: list[Event], **kwargs: Any
) -> dict[str, Any]:
    """Push one event and wait until it is on the bus (not for the automation's runs: they
    wait for a button, which async_block_till_done would wait for too)."""
    count = len(events)
    frame = await simulator.push_event(**kwargs)
    await wait_for(lambda: len(events) > count)
    return frame


@dataclass
class Asking:
    """The automation made from the blueprint: the phone, and what it and the library saw."""

    phone: str
    notified: list[Event]
    changes: list[Event]


async def _set_up(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator, tmp_path: Path
) -> Asking:
    """Create an automation from the blueprint for the first device; capture what follows."""
    hass.config.config_dir = str(tmp_path)
    shutil.copytree(BLUEPRINTS, tmp_path / "blueprints" / "automation" / "sophon")
    phone = add_phone(hass)
    gate = attached_device(coordinator, simulator.devices[0].device_id)
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": "sophon_register_stranger",
                "alias": "Register strangers",
                "use_blueprint": {
                    "path": "sophon/register_stranger.yaml",
                    "input": {"sophon_devices": [gate.id], "notify_device": phone.id},
                },
            }
        },
    )
    await hass.async_block_till_done()
    return Asking(
        phone.id,
        async_capture_events(hass, NOTIFIED),
        async_capture_events(hass, EVENT_LIBRARY_CHANGED),
    )


def _buttons(notification: Event) -> dict[str, str]:
    """Return a notification's buttons: title -> action id."""
    return {button["title"]: button["action"] for button in notification.data["data"]["actions"]}


async def _press(
    hass: HomeAssistant, changes: list[Event], notification: Event, title: str, **reply: Any
) -> str:
    """Press a button of a notification, as the Companion app reports it; return who changed."""
    count = len(changes)
    hass.bus.async_fire(ACTION, {"action": _buttons(notification)[title], **reply})
    await wait_for(lambda: len(changes) > count)
    identity_id: str = changes[-1].data["identity_id"]
    return identity_id


async def test_a_stranger_registered_from_the_notification_is_recognized_as_the_new_person(
    stub_mobile_app: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    tmp_path: Path,
) -> None:
    """Two strangers, two notifications; each button registers its own notification's face.

    The first is registered as a visitor with a typed name after the second arrived, the
    second blacklisted; the next recognitions of those faces come as the new people.
    """
    asking = await _set_up(hass, coordinator, simulator, tmp_path)
    phone, notified, changes = asking.phone, asking.notified, asking.changes
    gate = simulator.devices[0].device_id
    # A VIP and a stranger at another device ask nothing.
    await push(hass, simulator, bus_events, device_id=gate, person_type=PersonType.VIP)
    other = simulator.devices[1].device_id
    await push(hass, simulator, bus_events, device_id=other, person_type=PersonType.STRANGER)
    strangers = []
    for face in (9001, 9002):  # two faces the library does not know
        frame = await push(hass, simulator, bus_events, device_id=gate, face=face)
        assert bus_events[-1].data["person_type"] == "stranger"
        strangers.append(expected(frame, simulator.generation)["event_id"])
    await wait_for(lambda: len(notified) == 2)
    first, second = notified
    assert first.data["device_id"] == phone
    assert first.data["title"] == f"Stranger at {simulator.devices[0].name}"
    assert set(_buttons(first)) == {"Register as visitor", "Blacklist", "Ignore"}
    assert _buttons(first) != _buttons(second)
    http = await hass_client()
    response = await http.get(first.data["data"]["image"])
    assert response.status == HTTPStatus.OK
    assert await response.read() == simulator.images_of(strangers[0])["face"]

    ringer = await _press(hass, changes, first, "Register as visitor", reply_text=" Ringer ")
    assert changes[-1].data["identity_name"] == "Ringer"
    assert changes[-1].data["person_type"] == "visitor"
    await wait_for(lambda: len(notified) == 3)
    assert notified[-1].data["message"] == "Ringer is now a visitor."
    assert notified[-1].data["data"]["tag"] == first.data["data"]["tag"]
    blacklisted = await _press(hass, changes, second, "Blacklist")
    assert changes[-1].data["identity_name"].startswith("Blacklisted ")

    await push(hass, simulator, bus_events, device_id=gate, face_of=strangers[0])
    assert bus_events[-1].data["identity_id"] == ringer
    assert bus_events[-1].data["identity_name"] == "Ringer"
    assert bus_events[-1].data["person_type"] == "visitor"
    await push(hass, simulator, bus_events, device_id=other, face_of=strangers[1])
    assert bus_events[-1].data["identity_id"] == blacklisted
    assert bus_events[-1].data["person_type"] == "blacklist"
    # The new people are no strangers: no more questions (the two answered with "Registered").
    await wait_for(lambda: len(notified) == 4)
    assert notified[-1].data["message"].endswith("is now blacklisted.")
    await hass.async_block_till_done()
    assert len(notified) == 4


async def test_ignore_registers_nothing(
    stub_mobile_app: None,
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    tmp_path: Path,
) -> None:
    asking = await _set_up(hass, coordinator, simulator, tmp_path)
    notified, changes, people = asking.notified, asking.changes, len(simulator.library)
    gate = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=gate, person_type=PersonType.STRANGER)
    await wait_for(lambda: len(notified) == 1)
    hass.bus.async_fire(ACTION, {"action": _buttons(notified[0])["Ignore"]})
    await hass.async_block_till_done()  # the run ended: nothing waits
    assert changes == []
    assert len(simulator.library) == people
    assert len(notified) == 1


async def test_a_refused_registration_is_said_on_the_phone(
    stub_mobile_app: None,
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    tmp_path: Path,
) -> None:
    """The box finds no face in it: the phone is told, and nothing is registered."""
    asking = await _set_up(hass, coordinator, simulator, tmp_path)
    notified, changes, people = asking.notified, asking.changes, len(simulator.library)
    await push(hass, simulator, bus_events, device_id=simulator.devices[0].device_id, face=9003)
    await wait_for(lambda: len(notified) == 1)
    simulator.faults.library_reject = "no_face"
    hass.bus.async_fire(ACTION, {"action": _buttons(notified[0])["Blacklist"]})
    await wait_for(lambda: len(notified) == 2)
    assert notified[-1].data["title"].startswith("Not registered at ")
    assert notified[-1].data["data"]["tag"] == notified[0].data["data"]["tag"]
    await hass.async_block_till_done()
    assert changes == []
    assert len(simulator.library) == people
