"""Every recognition stays small enough for the recorder to keep it whole."""

from __future__ import annotations

import json
from typing import Any

import pytest
from homeassistant.components.recorder import Recorder, get_instance
from homeassistant.components.recorder.db_schema import EventData, Events, EventTypes
from homeassistant.components.recorder.util import session_scope
from homeassistant.core import Event, HomeAssistant
from pytest_homeassistant_custom_component.components.recorder.common import (
    async_wait_recording_done,
)

from custom_components.sophon.const import EVENT_RECOGNITION
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.event_size import EVENT_DATA_LIMIT, INFO_LIMIT, fitted_info
from sophon_sim import ROSTER, BoxSimulator
from tests.integration.conftest import push


@pytest.fixture(autouse=True)
def _custom_integrations(recorder_mock: Recorder, enable_custom_integrations: None) -> None:
    """Start the recorder before Home Assistant loads the integration (as the harness asks)."""


TOM = next(person for person in ROSTER if person.name == "Tom")
VALUE = "v" * 250  # under the 256 characters bounded_info keeps


def _nested(levels: int, items: int) -> dict[str, Any]:
    """Return identity info nested levels deep with items entries a level."""
    if levels == 1:
        return {f"k{index}": VALUE for index in range(items)}
    return {f"k{index}": _nested(levels - 1, items) for index in range(items)}


# Shapes of registered info that make an event too big for the recorder, each with the short
# entries a person reads beside them.
SHAPES = {
    "three-levels-of-64": {"user_id": "01220615", **_nested(3, 8), "more": _nested(2, 64)},
    "flat-64-long-values": {"user_id": "01220615", **_nested(1, 64)},
    "list-of-objects": {"user_id": "01220615", "history": [_nested(1, 20) for _ in range(20)]},
    "one-huge-object": {"user_id": "01220615", "room": "101", "blob": _nested(2, 40)},
}


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_identity_info_is_cut_to_its_budget_largest_values_first(shape: dict[str, Any]) -> None:
    fitted = fitted_info(shape, INFO_LIMIT)
    assert len(json.dumps(fitted, separators=(",", ":")).encode()) <= INFO_LIMIT
    assert fitted["user_id"] == "01220615"  # the small fields stay


def test_identity_info_that_fits_is_passed_on_as_it_came() -> None:
    info = {"user_id": "01220615", "room": "101"}
    assert fitted_info(info, INFO_LIMIT) is info


def _recorded(hass: HomeAssistant) -> list[dict[str, Any]]:
    """Return the data of every sophon_recognition event the recorder stored."""
    with session_scope(hass=hass, read_only=True) as session:
        rows = (
            session.query(EventData.shared_data)
            .join(Events, Events.data_id == EventData.data_id)
            .join(EventTypes, Events.event_type_id == EventTypes.event_type_id)
            .filter(EventTypes.event_type == EVENT_RECOGNITION)
            .all()
        )
    return [json.loads(row[0]) for row in rows]


@pytest.mark.parametrize("simulator", ["1.0"], indirect=True)  # only 1.0 sends identity_info
async def test_the_recorder_keeps_every_recognition_whole(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    for shape in SHAPES.values():
        await push(hass, simulator, bus_events, person=TOM, overrides={"identity_info": shape})
    await async_wait_recording_done(hass)
    recorded = await get_instance(hass).async_add_executor_job(_recorded, hass)
    assert len(recorded) == len(SHAPES)
    for data in recorded:
        assert data["identity_name"] == "Tom"
        assert data["identity_info"]["user_id"] == "01220615"
        assert len(json.dumps(data).encode()) < EVENT_DATA_LIMIT
    assert coordinator.recognitions.info_cut == len(SHAPES)
