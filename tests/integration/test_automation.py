"""Device triggers, logbook lines and the shipped blueprint, with real automations."""

from __future__ import annotations

import asyncio
import json
import shutil
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
from homeassistant.components import automation
from homeassistant.components.device_automation import DeviceAutomationType
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    async_capture_events,
    async_get_device_automations,
    async_mock_service,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sophon import device_trigger, logbook
from custom_components.sophon.api import canonical_device_id
from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.const import DOMAIN, EVENT_RECOGNITION
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.device_trigger import (
    TRIGGER_TYPES,
    async_get_trigger_capabilities,
)
from custom_components.sophon.identity import device_unique_id
from sophon_sim import BoxSimulator, PersonType
from sophon_sim.roster import ROSTER
from tests.conftest import wait_for
from tests.frames import expected
from tests.integration.conftest import add_phone, attached_device, automation_calls, push

BLUEPRINT = Path(__file__).parents[2] / "blueprints" / "automation" / "sophon"
COMPONENT = Path(__file__).parents[2] / "custom_components" / "sophon"


def _entity(coordinator: SophonCoordinator, device_id: str, domain: str, key: str) -> str:
    """Return the entity id of one of an attached device's entities."""
    unique_id = device_unique_id(coordinator.config_entry.entry_id, device_id, key)
    found = er.async_get(coordinator.hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert found is not None
    return found


async def test_each_attached_device_offers_the_recognition_triggers(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    device = attached_device(coordinator, simulator.devices[0].device_id)
    triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, device.id)
    ours = [t for t in triggers if t["domain"] == DOMAIN]
    assert sorted(t["type"] for t in ours) == sorted(TRIGGER_TYPES)
    hub = device_by_identifier(
        dr.async_get(hass), coordinator.box_identifier, coordinator.config_entry.entry_id
    )
    assert hub is not None
    hub_triggers = await async_get_device_automations(hass, DeviceAutomationType.TRIGGER, hub.id)
    assert [t for t in hub_triggers if t["domain"] == DOMAIN] == []


async def test_min_score_is_offered_as_an_extra_field(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    capabilities = await async_get_trigger_capabilities(hass, {})
    assert "min_score" in str(capabilities["extra_fields"].schema)


async def test_blacklist_event_fires_the_device_trigger(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    gate = simulator.devices[0].device_id
    device = attached_device(coordinator, gate)
    calls = await automation_calls(
        hass,
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": device.id,
            "type": "blacklist_recognized",
        },
    )
    await push(hass, simulator, bus_events, device_id=gate, person_type=PersonType.VIP)
    await push(
        hass,
        simulator,
        bus_events,
        device_id=simulator.devices[1].device_id,
        person_type=PersonType.BLACKLIST,
    )
    frame = await push(
        hass, simulator, bus_events, device_id=gate, person_type=PersonType.BLACKLIST
    )
    assert [call.data["who"] for call in calls] == [frame["identity_name"]]


@pytest.mark.parametrize(("min_score", "fires"), [(None, True), (50, True), (90, False)])
async def test_min_score_filters_the_device_trigger(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    min_score: float | None,
    fires: bool,
) -> None:
    gate = simulator.devices[0].device_id
    trigger: dict[str, Any] = {
        "platform": "device",
        "domain": DOMAIN,
        "device_id": attached_device(coordinator, gate).id,
        "type": "anyone_recognized",
    }
    if min_score is not None:
        trigger["min_score"] = min_score
    calls = await automation_calls(hass, trigger)
    await push(
        hass, simulator, bus_events, device_id=gate, person_type=PersonType.EMPLOYEE, score=0.62
    )
    assert len(calls) == (1 if fires else 0)


async def test_stranger_without_score_never_passes_a_min_score(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    gate = simulator.devices[0].device_id
    device = attached_device(coordinator, gate)
    calls = await automation_calls(
        hass,
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": device.id,
            "type": "stranger_detected",
            "min_score": 10,
        },
    )
    hass.bus.async_fire(
        EVENT_RECOGNITION, {"device_id": device.id, "person_type": "stranger", "score": None}
    )
    await hass.async_block_till_done()
    assert calls == []


def _describer(hass: HomeAssistant) -> Any:
    """Return the logbook describer the integration registers."""
    found: dict[str, Any] = {}

    @callback
    def register(domain: str, event_type: str, describe: Any) -> None:
        found[event_type] = describe

    logbook.async_describe_events(hass, register)
    return found[EVENT_RECOGNITION]


async def test_logbook_reads_one_line_per_recognition(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    gate = simulator.devices[0]
    frame = await push(
        hass,
        simulator,
        bus_events,
        device_id=gate.device_id,
        person_type=PersonType.VIP,
        score=0.62,
    )
    line = _describer(hass)(bus_events[-1])
    assert line["message"] == f"{frame['identity_name']} (VIP) recognized at {gate.name}, score 62%"
    assert line["entity_id"] == _entity(coordinator, gate.device_id, "event", "recognition")


async def test_logbook_names_strangers_and_unknown_devices(hass: HomeAssistant) -> None:
    assert await async_setup_component(hass, DOMAIN, {})  # loads the texts, no box needed
    event = Event(
        EVENT_RECOGNITION,
        {"device_id": None, "sophon_device_id": "abc", "person_type": "stranger", "score": None},
    )
    line = _describer(hass)(event)
    assert (line["name"], line["message"]) == ("Stranger", "Stranger detected at abc")


async def test_the_logbook_line_and_device_models_are_in_home_assistants_language(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """zh-Hans: the line in Chinese with full-width punctuation, linked to the device's entity."""
    zh = json.loads((COMPONENT / "translations" / "zh-Hans.json").read_text(encoding="utf-8"))
    hass.config.language = "zh-Hans"
    await coordinator.async_refresh()  # reads the device list, and the texts, again
    gate = simulator.devices[0]
    frame = await push(
        hass,
        simulator,
        bus_events,
        device_id=gate.device_id,
        person_type=PersonType.BLACKLIST,
        score=0.5,
    )
    assert _describer(hass)(bus_events[-1]) == {
        "name": frame["identity_name"],
        "message": f"{frame['identity_name']}（黑名单）在{gate.name}被识别，分数 50%",  # noqa: RUF001
        "entity_id": _entity(coordinator, gate.device_id, "event", "recognition"),
    }
    stranger = await push(
        hass, simulator, bus_events, device_id=gate.device_id, person_type=PersonType.STRANGER
    )
    assert stranger["identity_name"] != "陌生人"
    line = _describer(hass)(bus_events[-1])
    assert (line["name"], line["message"]) == ("陌生人", f"在{gate.name}发现陌生人")
    device_type = coordinator.data[canonical_device_id(gate.device_id)].device_type.value
    assert attached_device(coordinator, gate.device_id).model == zh["device"][device_type]["name"]
    hub = device_by_identifier(
        dr.async_get(hass), coordinator.box_identifier, coordinator.config_entry.entry_id
    )
    assert hub is not None
    assert hub.model == "SE AI 计算盒"


async def test_blueprint_notifies_each_recognition_with_its_own_face(
    stub_mobile_app: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    tmp_path: Path,
) -> None:
    """Two blacklist recognitions a second apart: each notification's picture is its own face.

    The phone fetches the pictures only after both arrived, as a phone that was asleep does.
    """
    hass.config.config_dir = str(tmp_path)
    notified = async_capture_events(hass, "mobile_app_stub_notified")
    shutil.copytree(BLUEPRINT, tmp_path / "blueprints" / "automation" / "sophon")
    phone = add_phone(hass)
    gate = simulator.devices[0].device_id
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: {
                "id": "sophon_notify",
                "alias": "Sophon notify",
                "use_blueprint": {
                    "path": "sophon/notify_on_recognition.yaml",
                    "input": {
                        "sophon_devices": [attached_device(coordinator, gate).id],
                        "person_types": ["blacklist"],
                        "notify_device": phone.id,
                    },
                },
            }
        },
    )
    await hass.async_block_till_done()
    state = hass.states.get("automation.sophon_notify")
    assert state is not None
    assert state.state == "on"
    assert state.attributes.get("last_triggered") is None
    await push(hass, simulator, bus_events, device_id=gate, person_type=PersonType.VIP)
    blacklisted = [person for person in ROSTER if person.person_type is PersonType.BLACKLIST][:2]
    frames = [await push(hass, simulator, bus_events, device_id=gate, person=blacklisted[0])]
    await asyncio.sleep(1)
    frames.append(await push(hass, simulator, bus_events, device_id=gate, person=blacklisted[1]))
    await wait_for(lambda: len(notified) == 2)
    http = await hass_client()
    faces = []
    for frame, notification in zip(frames, notified, strict=True):
        data = notification.data
        assert data["device_id"] == phone.id
        assert data["title"] == f"{frame['identity_name']} (blacklist)"
        assert simulator.devices[0].name in data["message"]
        response = await http.get(data["data"]["image"])
        assert response.status == HTTPStatus.OK
        assert response.content_type == "image/jpeg"
        event_id = expected(frame, simulator.generation)["event_id"]
        faces.append(await response.read())
        assert faces[-1] == simulator.images_of(event_id)["face"]
    assert faces[0] != faces[1]


async def test_a_reconnect_never_runs_an_automation(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """A reconnect is not a recognition: state triggers on the device's entities stay quiet."""
    tom = next(person for person in ROSTER if person.name == "Tom")
    gate = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=gate, person=tom)
    identity = _entity(coordinator, gate, "sensor", "last_identity")
    recognition = _entity(coordinator, gate, "event", "recognition")
    assert hass.states.get(identity).state == "Tom"
    calls = async_mock_service(hass, "test", "fired")
    triggers = {
        "to_tom": {"trigger": "state", "entity_id": identity, "to": "Tom"},
        "identity": {"trigger": "state", "entity_id": identity},
        "recognition": {"trigger": "state", "entity_id": recognition},
    }
    assert await async_setup_component(
        hass,
        automation.DOMAIN,
        {
            automation.DOMAIN: [
                {
                    "alias": name,
                    "triggers": [trigger],
                    "actions": {"action": "test.fired", "data": {"automation": name}},
                }
                for name, trigger in triggers.items()
            ]
        },
    )
    await hass.async_block_till_done()

    def runs() -> dict[str, int]:
        return {name: sum(call.data["automation"] == name for call in calls) for name in triggers}

    for _ in range(2):  # a drop with a refused reconnect, then a plain drop
        simulator.stop_ws_listener()
        await simulator.close_connections()
        await wait_for(lambda: not coordinator.connected)
        await simulator.start_ws_listener()
        await wait_for(lambda: coordinator.connected)
        await simulator.wait_for_subscription()
        await hass.async_block_till_done()
    await simulator.close_connections()
    await wait_for(lambda: coordinator.connected and simulator.connected_clients == 1)
    await hass.async_block_till_done()
    assert runs() == {"to_tom": 0, "identity": 0, "recognition": 0}
    await push(hass, simulator, bus_events, device_id=gate, person=tom)
    await hass.async_block_till_done()
    # Tom again: the identity stays "Tom" (no "to: Tom" run); its score and the event are new.
    assert runs() == {"to_tom": 0, "identity": 1, "recognition": 1}


@pytest.mark.parametrize("earlier", [1, 3600, 23 * 3600], ids=["1s", "1h", "23h"])
async def test_an_older_recognition_is_delivered_but_moves_no_last_value_back(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    earlier: int,
) -> None:
    """A recognition stamped before the one shown reaches everything but the last values."""
    gate = simulator.devices[0].device_id

    def entity(domain: str, key: str) -> str:
        return _entity(coordinator, gate, domain, key)

    calls = await automation_calls(
        hass,
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": attached_device(coordinator, gate).id,
            "type": "anyone_recognized",
        },
    )
    now_ms = int(dt_util.utcnow().timestamp() * 1000)
    later = await push(
        hass, simulator, bus_events, device_id=gate, person_type=PersonType.VIP, timestamp_ms=now_ms
    )
    shown = {
        key: hass.states.get(entity(domain, key))
        for domain, key in (
            ("sensor", "last_identity"),
            ("sensor", "last_seen"),
            ("sensor", "person_type"),
            ("sensor", "last_score"),
            ("image", "last_face"),
        )
    }
    recognition = hass.states.get(entity("event", "recognition"))
    older = await push(
        hass,
        simulator,
        bus_events,
        device_id=gate,
        person_type=PersonType.BLACKLIST,
        timestamp_ms=now_ms - earlier * 1000,
    )
    await hass.async_block_till_done()
    assert [call.data["who"] for call in calls] == [
        later["identity_name"],
        older["identity_name"],
    ]
    assert bus_events[-1].data["person_type"] == "blacklist"
    assert hass.states.get(entity("event", "recognition")).attributes["event_type"] == "blacklist"
    assert hass.states.get(entity("event", "recognition")).state != recognition.state
    for key, state in shown.items():
        assert hass.states.get(state.entity_id) == state, key
    assert coordinator.recognitions.older_recognitions == 1


@pytest.mark.parametrize(
    "bad_time", [1_000_000, 4_102_444_800_000, ...], ids=["1970", "2100", "missing"]
)
async def test_a_recognition_without_a_usable_time_holds_no_later_one_back(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    bad_time: object,
) -> None:
    """Only the box's own times order recognitions: a time of receipt sets no mark."""
    gate = simulator.devices[0].device_id
    behind_ms = int(dt_util.utcnow().timestamp() * 1000) - 3_600_000  # a clock an hour behind
    first, odd, last = (
        next(p for p in ROSTER if p.name == name) for name in ("Tom", "张伟", "陈静")
    )
    await push(hass, simulator, bus_events, device_id=gate, person=first, timestamp_ms=behind_ms)
    await push(
        hass, simulator, bus_events, device_id=gate, person=odd, overrides={"timestamp": bad_time}
    )
    identity = _entity(coordinator, gate, "sensor", "last_identity")
    assert hass.states.get(identity).state == "张伟"
    await push(
        hass, simulator, bus_events, device_id=gate, person=last, timestamp_ms=behind_ms + 1000
    )
    assert hass.states.get(identity).state == "陈静"
    assert coordinator.recognitions.older_recognitions == 0


async def test_the_stranger_trigger_offers_no_minimum_score(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """Strangers carry no score: a minimum would make the trigger never fire.

    Every trigger offers to fire for recognitions received late as well.
    """
    device = attached_device(coordinator, simulator.devices[0].device_id)
    base = {"platform": "device", "domain": DOMAIN, "device_id": device.id}
    stranger = await device_trigger.async_get_trigger_capabilities(
        hass, {**base, "type": "stranger_detected"}
    )
    vip = await device_trigger.async_get_trigger_capabilities(
        hass, {**base, "type": "vip_recognized"}
    )
    assert set(stranger["extra_fields"].schema) == {"include_late"}
    assert set(vip["extra_fields"].schema) == {"min_score", "include_late"}
