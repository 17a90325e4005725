"""The sophon.get_recognitions action: a box's past recognitions as data; filters and errors."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from homeassistant.core import Event, HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import selector
from homeassistant.helpers.service import async_get_all_descriptions
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.compat import device_by_identifier, vol
from custom_components.sophon.const import DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import BoxSimulator, PersonType
from tests.frames import expected
from tests.integration.conftest import attached_device, push


def yesterday_at(hour: int) -> datetime:
    """Return a full hour of yesterday in Home Assistant's time zone."""
    start = dt_util.start_of_local_day(dt_util.now().date() - timedelta(days=1))
    return start + timedelta(hours=hour)


async def get_recognitions(hass: HomeAssistant, **data: Any) -> dict[str, Any]:
    """Call sophon.get_recognitions and return its response."""
    response = await hass.services.async_call(
        DOMAIN, "get_recognitions", data, blocking=True, return_response=True
    )
    assert response is not None
    return response


@pytest.fixture
async def day(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> list[dict[str, Any]]:
    """Four recognitions yesterday at 8, 9 and 10 at the first device, 11 at the second."""
    pushes = [
        (8, 0, PersonType.EMPLOYEE),
        (9, 0, PersonType.VISITOR),
        (10, 0, PersonType.EMPLOYEE),
        (11, 1, PersonType.VIP),
    ]
    pushed = []
    for hour, device, person_type in pushes:
        frame = await push(
            hass,
            simulator,
            bus_events,
            device_id=simulator.devices[device].device_id,
            person_type=person_type,
            timestamp_ms=int(yesterday_at(hour).timestamp() * 1000),
        )
        pushed.append(expected(frame, simulator.generation))
    return pushed


def hours(response: dict[str, Any]) -> list[int]:
    """Return the local hours of the recognitions of a response, in its order."""
    return [
        dt_util.as_local(dt_util.parse_datetime(item["timestamp"])).hour  # type: ignore[arg-type]
        for item in response["recognitions"]
    ]


async def test_recognitions_between_start_and_end_oldest_first(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    day: list[dict[str, Any]],
) -> None:
    """Each as the bus event gives it (but pictures), marked replayed, from the box's memory."""
    entry_id = coordinator.config_entry.entry_id
    response = await get_recognitions(
        hass,
        config_entry_id=entry_id,
        start=yesterday_at(8) + timedelta(minutes=30),
        end=yesterday_at(10) + timedelta(minutes=30),
    )
    assert hours(response) == [9, 10]
    assert (response["matched"], response["complete"]) == (2, True)
    first = response["recognitions"][0]
    assert set(first) == set(bus_events[-1].data) - {"pictures"}
    assert first["replayed"] is True
    assert first["config_entry_id"] == entry_id
    assert (first["identity_name"], first["person_type"]) == (day[1]["identity_name"], "visitor")
    device = attached_device(coordinator, simulator.devices[0].device_id)
    assert first["device_id"] == device.id
    everything = await get_recognitions(hass, config_entry_id=entry_id, start=yesterday_at(0))
    assert hours(everything) == [8, 9, 10, 11]


async def test_times_without_a_time_zone_are_home_assistants(
    hass: HomeAssistant, coordinator: SophonCoordinator, day: list[dict[str, Any]]
) -> None:
    naive = yesterday_at(10).replace(tzinfo=None).isoformat(sep=" ")
    response = await get_recognitions(
        hass, config_entry_id=coordinator.config_entry.entry_id, start=naive
    )
    assert hours(response) == [10, 11]


async def test_filters_device_identity_and_person_type(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    day: list[dict[str, Any]],
) -> None:
    entry_id = coordinator.config_entry.entry_id
    since = {"config_entry_id": entry_id, "start": yesterday_at(0)}
    second = attached_device(coordinator, simulator.devices[1].device_id)
    assert hours(await get_recognitions(hass, **since, device_id=second.id)) == [11]
    first = attached_device(coordinator, simulator.devices[0].device_id)
    assert hours(await get_recognitions(hass, **since, device_id=first.id)) == [8, 9, 10]
    identity = day[1]["identity_id"]
    by_identity = await get_recognitions(hass, **since, identity_id=identity)
    assert {item["identity_id"] for item in by_identity["recognitions"]} == {identity}
    assert 9 in hours(by_identity)
    assert hours(await get_recognitions(hass, **since, person_type="vip")) == [11]
    assert hours(await get_recognitions(hass, **since, person_type="employee")) == [8, 10]
    assert (await get_recognitions(hass, **since, person_type="blacklist"))["recognitions"] == []


async def test_a_limit_keeps_the_newest(
    hass: HomeAssistant, coordinator: SophonCoordinator, day: list[dict[str, Any]]
) -> None:
    entry_id = coordinator.config_entry.entry_id
    response = await get_recognitions(
        hass, config_entry_id=entry_id, start=yesterday_at(0), limit=2
    )
    assert hours(response) == [10, 11]
    assert response["matched"] == 4


async def test_a_box_that_cannot_be_asked_is_a_translated_error(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    simulator.faults.history_query = "error"
    with pytest.raises(
        HomeAssistantError, match=r"^Cannot read the past recognitions of 127\.0\.0\.1: "
    ) as raised:
        await get_recognitions(
            hass, config_entry_id=coordinator.config_entry.entry_id, start=yesterday_at(0)
        )
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == "history_unavailable"


async def test_what_was_asked_is_checked(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    device_registry: dr.DeviceRegistry,
) -> None:
    entry_id = config_entry.entry_id
    other = MockConfigEntry(domain="other_domain", title="Other")
    other.add_to_hass(hass)
    stranger_device = device_registry.async_get_or_create(
        config_entry_id=other.entry_id, identifiers={("other_domain", "x")}
    )
    box = device_by_identifier(device_registry, (DOMAIN, entry_id), entry_id)
    assert box is not None
    start = yesterday_at(0)
    for data, key, message in (
        (
            {"config_entry_id": "nope"},
            "entry_not_found",
            "No Sophon box has the config entry nope",
        ),
        (
            {"config_entry_id": other.entry_id},
            "entry_not_found",
            f"No Sophon box has the config entry {other.entry_id}",
        ),
        (
            {"config_entry_id": entry_id, "end": start - timedelta(seconds=1)},
            "start_after_end",
            "The start (",
        ),
        (
            {"config_entry_id": entry_id, "device_id": box.id},
            "device_not_of_box",
            f"The device {box.id} is not attached to the Sophon box 127.0.0.1",
        ),
        (
            {"config_entry_id": entry_id, "device_id": stranger_device.id},
            "device_not_of_box",
            f"The device {stranger_device.id} is not attached",
        ),
        (
            {"config_entry_id": entry_id, "device_id": "no-such-device"},
            "device_not_of_box",
            "The device no-such-device is not attached",
        ),
    ):
        with pytest.raises(ServiceValidationError, match=f"^{re.escape(message)}") as raised:
            await get_recognitions(hass, start=start, **data)
        assert raised.value.translation_key == key
    for limit in (0, 1001):
        with pytest.raises(vol.Invalid):
            await get_recognitions(hass, config_entry_id=entry_id, start=start, limit=limit)
    assert await hass.config_entries.async_unload(entry_id)
    with pytest.raises(
        ServiceValidationError, match=r"^The Sophon box 127\.0\.0\.1 is not loaded$"
    ):
        await get_recognitions(hass, config_entry_id=entry_id, start=start)


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)
async def test_the_action_is_described_for_the_ui(
    hass: HomeAssistant, coordinator: SophonCoordinator
) -> None:
    """services.yaml: every field has a valid selector; the action only answers."""
    descriptions = await async_get_all_descriptions(hass)
    action = descriptions[DOMAIN]["get_recognitions"]
    assert set(action["fields"]) == {
        "config_entry_id",
        "start",
        "end",
        "device_id",
        "identity_id",
        "person_type",
        "limit",
    }
    for field in action["fields"].values():
        selector.validate_selector(field["selector"])
    assert action["response"] == {"optional": False}
    assert action["fields"]["person_type"]["selector"]["select"]["options"] == [
        "employee",
        "visitor",
        "blacklist",
        "stranger",
        "vip",
    ]


README_ANSWER = (
    "{% set first = seen.recognitions[0] %}"
    "{{ as_timestamp(first.timestamp) | timestamp_custom('%H:%M') }}"
    " at {{ device_attr(first.device_id, 'name') }}"
)


async def test_the_readme_script_answers_when_someone_came_in(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    day: list[dict[str, Any]],
) -> None:
    """The README's script, asking from yesterday (the day the recognitions were made)."""
    assert await async_setup_component(
        hass,
        "script",
        {
            "script": {
                "when": {
                    "sequence": [
                        {
                            "action": "sophon.get_recognitions",
                            "data": {
                                "config_entry_id": coordinator.config_entry.entry_id,
                                "start": "{{ today_at('00:00') - timedelta(days=1) }}",
                                "identity_id": day[1]["identity_id"],
                                "limit": 1000,
                            },
                            "response_variable": "seen",
                        },
                        {"variables": {"answer": {"text": README_ANSWER}}},
                        {"stop": "done", "response_variable": "answer"},
                    ]
                }
            }
        },
    )
    answer = await hass.services.async_call("script", "when", blocking=True, return_response=True)
    assert answer is not None
    assert answer["text"] == f"09:00 at {simulator.devices[0].name}"  # the visitor's only one
