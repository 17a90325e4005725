"""Recognition triggers with a target (the trigger picker's "By target"), with real automations."""

from __future__ import annotations

from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant
from homeassistant.helpers import area_registry as ar
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers import label_registry as lr
from homeassistant.helpers import trigger as trigger_helper
from homeassistant.helpers.translation import async_get_translations

from custom_components.sophon.compat import TARGET_TRIGGERS, vol
from custom_components.sophon.const import DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_unique_id
from custom_components.sophon.recognition_filter import (
    TRIGGER_TYPES,
    RecognitionFilter,
    describe_recognition,
)
from sophon_sim import BoxSimulator, PersonType
from tests.conftest import wait_for
from tests.integration.conftest import attached_device, automation_calls, push

needs_target_triggers = pytest.mark.skipif(
    not TARGET_TRIGGERS,
    reason="this Home Assistant has no integration triggers with a target (device triggers only)",
)


@needs_target_triggers
async def test_vip_trigger_fires_for_vips_at_its_device_only(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    gate, other = simulator.devices[0], simulator.devices[1]
    device = attached_device(coordinator, simulator.devices[0].device_id)
    calls = await automation_calls(
        hass, {"trigger": "sophon.vip_recognized", "target": {"device_id": device.id}}
    )
    await push(hass, simulator, bus_events, device_id=other.device_id, person_type=PersonType.VIP)
    await push(
        hass, simulator, bus_events, device_id=gate.device_id, person_type=PersonType.BLACKLIST
    )
    frame = await push(
        hass, simulator, bus_events, device_id=gate.device_id, person_type=PersonType.VIP
    )
    assert [call.data for call in calls] == [
        {
            "who": frame["identity_name"],
            "device_id": device.id,
            "description": f"recognition of a VIP at {gate.name}",
            "platform": "sophon.vip_recognized",
        }
    ]


@needs_target_triggers
@pytest.mark.parametrize(("min_score", "fires"), [(None, True), (29, True), (30, False)])
async def test_min_score_filters_the_target_trigger(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    min_score: float | None,
    fires: bool,
) -> None:
    trigger: dict[str, Any] = {
        "trigger": "sophon.anyone_recognized",
        "target": {"device_id": [attached_device(coordinator, simulator.devices[0].device_id).id]},
    }
    if min_score is not None:
        trigger["options"] = {"min_score": min_score}
    calls = await automation_calls(hass, trigger)
    gate = simulator.devices[0].device_id
    await push(
        hass, simulator, bus_events, device_id=gate, person_type=PersonType.EMPLOYEE, score=0.29
    )
    assert len(calls) == (1 if fires else 0)


@needs_target_triggers
@pytest.mark.parametrize(("include_late", "fires"), [(None, False), (False, False), (True, True)])
async def test_a_late_recognition_fires_the_target_trigger_only_when_asked(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    include_late: bool | None,
    fires: bool,
) -> None:
    """A recognition delivered late after an outage (replayed) fires with include_late only."""
    trigger: dict[str, Any] = {
        "trigger": "sophon.anyone_recognized",
        "target": {"device_id": [attached_device(coordinator, simulator.devices[0].device_id).id]},
    }
    if include_late is not None:
        trigger["options"] = {"include_late": include_late}
    calls = await automation_calls(hass, trigger)
    runs = coordinator.catch_up.runs
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: not coordinator.connected)
    await simulator.push_event(simulator.devices[0].device_id, person_type=PersonType.VIP)
    await simulator.start_ws_listener()
    await wait_for(lambda: coordinator.catch_up.runs > runs and bool(bus_events))
    await hass.async_block_till_done()
    assert [event.data["replayed"] for event in bus_events] == [True]
    assert len(calls) == (1 if fires else 0)


@needs_target_triggers
@pytest.mark.parametrize("by", ["entity", "area", "label"])
async def test_the_target_names_a_device_by_its_entity_area_or_label(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    by: str,
) -> None:
    """The target is read at each recognition: a device labelled or moved later counts."""
    gate, other = simulator.devices[0], simulator.devices[1]
    device = attached_device(coordinator, simulator.devices[0].device_id)
    lobby = ar.async_get(hass).async_create("Lobby")
    entrances = lr.async_get(hass).async_create("Entrances")
    unique_id = device_unique_id(coordinator.config_entry.entry_id, gate.device_id, "recognition")
    targets: dict[str, dict[str, Any]] = {
        "entity": {"entity_id": er.async_get(hass).async_get_entity_id("event", DOMAIN, unique_id)},
        # Named twice, by area and by itself: still one run per recognition.
        "area": {"area_id": lobby.id, "device_id": device.id},
        "label": {"label_id": entrances.label_id},
    }
    calls = await automation_calls(
        hass, {"trigger": "sophon.stranger_detected", "target": targets[by]}
    )
    dr.async_get(hass).async_update_device(device.id, area_id=lobby.id, labels={entrances.label_id})
    await push(
        hass, simulator, bus_events, device_id=other.device_id, person_type=PersonType.STRANGER
    )
    await push(
        hass, simulator, bus_events, device_id=gate.device_id, person_type=PersonType.STRANGER
    )
    assert [call.data["description"] for call in calls] == [
        f"detection of a stranger at {gate.name}"
    ]


@needs_target_triggers
async def test_a_minimum_above_100_is_refused(hass: HomeAssistant) -> None:
    config = {"platform": "sophon.vip_recognized", "target": {"device_id": "x"}}
    with pytest.raises(vol.Invalid):
        await trigger_helper.async_validate_trigger_config(
            hass, [{**config, "options": {"min_score": 150}}]
        )
    assert await trigger_helper.async_validate_trigger_config(hass, [config])


@needs_target_triggers
async def test_the_picker_offers_the_triggers_for_an_attached_device(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    """Home Assistant's "By target" list for a gate holds every recognition trigger."""
    from homeassistant.components.websocket_api.automation import (  # noqa: PLC0415
        async_get_triggers_for_target,
    )

    offered = await async_get_triggers_for_target(
        hass,
        {"device_id": [attached_device(coordinator, simulator.devices[0].device_id).id]},
        expand_group=True,
    )
    assert {f"{DOMAIN}.{key}" for key in TRIGGER_TYPES} <= offered


@needs_target_triggers
async def test_the_triggers_are_described_and_translated(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    descriptions = await trigger_helper.async_get_all_descriptions(hass)
    for key in TRIGGER_TYPES:
        description = descriptions[f"{DOMAIN}.{key}"]
        assert description is not None
        assert description["target"]["entity"] == [{"integration": DOMAIN, "domain": ["event"]}]
        if key == "stranger_detected":  # strangers carry no score
            assert "min_score" not in description.get("fields", {})
        else:
            assert description["fields"]["min_score"]["selector"]["number"]["max"] == 100
        assert "boolean" in description["fields"]["include_late"]["selector"]
    for language, name in (("en", "VIP recognized"), ("zh-Hans", "识别到 VIP")):
        strings = await async_get_translations(hass, language, "triggers", [DOMAIN])
        prefix = f"component.{DOMAIN}.triggers.vip_recognized"
        assert strings[f"{prefix}.name"] == name
        assert strings[f"{prefix}.description"]
        assert strings[f"{prefix}.fields.min_score.description"]
        assert strings[f"{prefix}.fields.include_late.name"]


@pytest.mark.skipif(TARGET_TRIGGERS, reason="this Home Assistant has integration triggers")
async def test_an_older_home_assistant_refuses_the_trigger_and_says_why(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    config = {"platform": "sophon.vip_recognized", "target": {"device_id": "x"}}
    with pytest.raises(vol.Invalid, match="use the Sophon device triggers"):
        await trigger_helper.async_validate_trigger_config(hass, [config])


async def test_the_trace_names_the_recognition_in_home_assistants_language(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
) -> None:
    gate = attached_device(coordinator, simulator.devices[0].device_id)
    hass.config.language = "zh-Hans"
    await coordinator.async_refresh()  # reads the texts again
    data = {"device_id": gate.id, "person_type": "blacklist"}
    assert describe_recognition(hass, data) == f"在{gate.name}识别到黑名单人员"
    assert describe_recognition(hass, {**data, "person_type": "stranger"}) == (
        f"在{gate.name}发现陌生人"
    )


async def test_the_device_trigger_names_the_recognition_in_the_trace(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    gate = simulator.devices[0]
    calls = await automation_calls(
        hass,
        {
            "platform": "device",
            "domain": DOMAIN,
            "device_id": attached_device(coordinator, simulator.devices[0].device_id).id,
            "type": "blacklist_recognized",
        },
    )
    await push(
        hass, simulator, bus_events, device_id=gate.device_id, person_type=PersonType.BLACKLIST
    )
    assert calls[0].data["description"] == f"recognition of a blacklisted person at {gate.name}"


def test_a_recognition_of_no_known_device_or_type_is_still_named(hass: HomeAssistant) -> None:
    data = {"device_id": None, "person_type": "unknown", "score": None}
    assert describe_recognition(hass, data) == "recognition of a person at a Sophon device"


@pytest.mark.parametrize(
    ("score", "passes"), [(0.29, True), (0.289, False), (None, False)], ids=str
)
def test_a_minimum_score_is_met_exactly(score: float | None, passes: bool) -> None:
    """0.29 * 100 is 28.999… in floating point, and must still pass a 29 % minimum."""
    wanted = RecognitionFilter.for_trigger("employee_recognized", 29)
    assert wanted.matches({"person_type": "employee", "score": score}) is passes
