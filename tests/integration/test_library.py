"""The face library actions and the library sensor, over the simulator in both generations."""

from __future__ import annotations

import base64
import logging
from typing import Any

import pytest
from homeassistant.const import STATE_UNAVAILABLE
from homeassistant.core import Context, Event, HomeAssistant, callback
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError, Unauthorized
from homeassistant.helpers import entity_registry as er
from pytest_homeassistant_custom_component.common import MockUser, async_capture_events

from custom_components.sophon import logbook
from custom_components.sophon.api import SophonConnectionError
from custom_components.sophon.compat import vol
from custom_components.sophon.const import DOMAIN, EVENT_LIBRARY_CHANGED
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_unique_id
from custom_components.sophon.pictures import forget_recent_pictures
from sophon_sim import ROSTER, BoxSimulator, PersonType
from tests.conftest import wait_for
from tests.integration.conftest import push

TOM = next(person for person in ROSTER if person.name == "Tom")
# The roster's people by type (strangers are not in the library).
SEEDED = {"employee": 4, "visitor": 2, "blacklist": 2, "vip": 2, "unknown": 0}


async def act(
    hass: HomeAssistant, service: str, context: Context | None = None, **data: Any
) -> dict[str, Any] | None:
    """Call one of the library actions and return its response (register_person's)."""
    response = await hass.services.async_call(
        DOMAIN,
        service,
        data,
        blocking=True,
        context=context,
        return_response=service == "register_person",
    )
    await hass.async_block_till_done()
    return response


async def register(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    event_id: str,
    context: Context | None = None,
    **data: Any,
) -> str:
    """Register a visitor named Ringer (unless data says otherwise) from a recognition's face."""
    response = await act(
        hass,
        "register_person",
        context,
        **{"name": "Ringer", "person_type": "visitor", **data},
        config_entry_id=coordinator.config_entry.entry_id,
        event_id=event_id,
    )
    assert response is not None
    identity_id: str = response["identity_id"]
    return identity_id


def library_sensor(hass: HomeAssistant, coordinator: SophonCoordinator) -> str:
    """Return the entity id of the box's library sensor."""
    unique_id = f"{coordinator.box_identifier[1]}_library_people"
    found = er.async_get(hass).async_get_entity_id("sensor", DOMAIN, unique_id)
    assert found is not None
    return found


async def counted(
    hass: HomeAssistant, coordinator: SophonCoordinator
) -> tuple[str, dict[str, Any]]:
    """Return the library sensor's state and attributes once it has counted."""
    entity_id = library_sensor(hass, coordinator)
    await wait_for(lambda: coordinator.library.data is not None)
    await hass.async_block_till_done()
    state = hass.states.get(entity_id)
    assert state is not None
    attributes = {k: v for k, v in state.attributes.items() if k in SEEDED}
    return state.state, attributes


async def stranger(
    hass: HomeAssistant, simulator: BoxSimulator, bus_events: list[Event]
) -> dict[str, Any]:
    """Push a stranger's recognition; return its bus event's data."""
    await push(
        hass,
        simulator,
        bus_events,
        device_id=simulator.devices[0].device_id,
        person_type=PersonType.STRANGER,
    )
    return dict(bus_events[-1].data)


def describe(hass: HomeAssistant, event: Event) -> dict[str, str]:
    """Return the logbook line the integration writes for a library change."""
    found: dict[str, Any] = {}

    @callback
    def register(domain: str, event_type: str, describer: Any) -> None:
        found[event_type] = describer

    logbook.async_describe_events(hass, register)
    line: dict[str, str] = found[EVENT_LIBRARY_CHANGED](event)
    return line


async def test_a_stranger_registered_from_its_recognition_comes_back_as_the_new_person(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    assert await counted(hass, coordinator) == ("10", SEEDED)
    seen = await stranger(hass, simulator, bus_events)
    identity_id = await register(hass, coordinator, seen["event_id"])
    registered = simulator.library.get(identity_id)
    assert registered is not None
    assert (registered.name, registered.person_type) == ("Ringer", PersonType.VISITOR)
    await push(hass, simulator, bus_events, face_of=seen["event_id"])
    again = bus_events[-1].data
    assert (again["identity_id"], again["identity_name"]) == (identity_id, "Ringer")
    assert again["person_type"] == "visitor"
    assert await counted(hass, coordinator) == ("11", {**SEEDED, "visitor": 3})


async def test_register_with_an_id_and_a_group(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    seen = await stranger(hass, simulator, bus_events)
    data: dict[str, Any] = {"identity_id": "77000001"}
    if simulator.generation == "1.0":
        data["group"] = "vip"
    identity_id = await register(
        hass, coordinator, seen["event_id"], name="Guest of honour", person_type="vip", **data
    )
    assert identity_id == "77000001"
    registered = simulator.library.get("77000001")
    assert registered is not None
    assert registered.person_type is PersonType.VIP
    if simulator.generation == "1.0":
        assert registered.groups == ["vip"]


async def test_a_past_recognition_is_found_in_the_boxs_history(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """Its pictures forgotten here (a restart), the face is fetched by the history's event id."""
    entry_id = coordinator.config_entry.entry_id
    seen = await stranger(hass, simulator, bus_events)
    forget_recent_pictures(hass, entry_id)
    past = await hass.services.async_call(
        DOMAIN,
        "get_recognitions",
        {"config_entry_id": entry_id, "start": seen["timestamp"], "limit": 1},
        blocking=True,
        return_response=True,
    )
    assert past is not None
    event_id = past["recognitions"][-1]["event_id"]  # type: ignore[index]
    identity_id = await register(hass, coordinator, event_id, name="Late ringer")
    await push(hass, simulator, bus_events, face_of=seen["event_id"])
    assert bus_events[-1].data["identity_id"] == identity_id


async def test_a_recognition_no_longer_kept_is_a_translated_error(
    hass: HomeAssistant, coordinator: SophonCoordinator
) -> None:
    with pytest.raises(
        ServiceValidationError, match=r"^No face of the recognition gone-1 is kept any longer$"
    ) as raised:
        await register(hass, coordinator, "gone-1", name="Nobody")
    assert raised.value.translation_key == "library_recognition_not_found"


@pytest.mark.usefixtures("camera_enabled")
@pytest.mark.parametrize("domain", ["image", "camera"])
async def test_a_face_added_from_an_image_or_camera_entity(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    domain: str,
) -> None:
    """The last face of a gate (its image or camera entity) becomes another face of Tom."""
    gate = simulator.devices[0].device_id
    key = "last_face" if domain == "image" else "last_face_camera"
    unique_id = device_unique_id(coordinator.config_entry.entry_id, gate, key)
    entity_id = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert entity_id is not None
    seen = await stranger(hass, simulator, bus_events)
    await act(
        hass,
        "add_face",
        config_entry_id=coordinator.config_entry.entry_id,
        identity_id=TOM.identity_id,
        picture_entity_id=entity_id,
    )
    tom = simulator.library.get(TOM.identity_id)
    assert tom is not None
    assert len(tom.faces) == 2
    await push(hass, simulator, bus_events, face_of=seen["event_id"])
    assert bus_events[-1].data["identity_name"] == "Tom"


async def test_an_entity_without_a_picture_is_a_translated_error(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    gate = simulator.devices[1].device_id
    unique_id = device_unique_id(coordinator.config_entry.entry_id, gate, "last_face")
    entity_id = er.async_get(hass).async_get_entity_id("image", DOMAIN, unique_id)
    with pytest.raises(ServiceValidationError, match=r"has no picture to give$") as raised:
        await act(
            hass,
            "add_face",
            config_entry_id=coordinator.config_entry.entry_id,
            identity_id=TOM.identity_id,
            picture_entity_id=entity_id,
        )
    assert raised.value.translation_key == "library_no_picture"


async def test_set_person_type_keeps_the_persons_other_fields(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    before = simulator.library.get(TOM.identity_id)
    assert before is not None
    info, ext, groups = dict(before.info), dict(before.ext), list(before.groups)
    faces = [face.face_id for face in before.faces]
    await act(
        hass,
        "set_person_type",
        config_entry_id=coordinator.config_entry.entry_id,
        identity_id=TOM.identity_id,
        person_type="vip",
    )
    after = simulator.library.get(TOM.identity_id)
    assert after is not None
    assert (after.name, after.person_type) == ("Tom", PersonType.VIP)
    assert (after.info, after.ext, after.groups) == (info, ext, groups)
    assert [face.face_id for face in after.faces] == faces
    assert await counted(hass, coordinator) == ("10", {**SEEDED, "visitor": 1, "vip": 3})
    await push(hass, simulator, bus_events, person=after.person)
    assert (bus_events[-1].data["identity_name"], bus_events[-1].data["person_type"]) == (
        "Tom",
        "vip",
    )


async def test_delete_person(
    hass: HomeAssistant, coordinator: SophonCoordinator, simulator: BoxSimulator
) -> None:
    await act(
        hass,
        "delete_person",
        config_entry_id=coordinator.config_entry.entry_id,
        identity_id=TOM.identity_id,
    )
    assert simulator.library.get(TOM.identity_id) is None
    assert await counted(hass, coordinator) == ("9", {**SEEDED, "visitor": 1})


REFUSALS = [
    ("no_face", "library_no_face", "The box found no face in the picture"),
    (
        "low_quality",
        "library_low_quality",
        "The face in the picture is of too low a quality for the box (headpose, clarity)",
    ),
    ("too_large", "library_picture_too_large", "The picture is larger than the box accepts"),
    ("decode", "library_picture_unreadable", "The picture cannot be read"),
    ("full", "library_full", "The face library of 127.0.0.1 is full"),
]


@pytest.mark.parametrize(("fault", "key", "message"), REFUSALS)
async def test_each_refusal_of_the_box_is_translated(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    fault: str,
    key: str,
    message: str,
) -> None:
    seen = await stranger(hass, simulator, bus_events)
    simulator.faults.library_reject = fault
    changes = async_capture_events(hass, EVENT_LIBRARY_CHANGED)
    with pytest.raises(HomeAssistantError) as raised:
        await register(hass, coordinator, seen["event_id"], name="Refused")
    assert (raised.value.translation_key, str(raised.value)) == (key, message)
    # What the picture or the call got wrong is the caller's to fix; a full library is not.
    assert isinstance(raised.value, ServiceValidationError) == (fault != "full")
    assert changes == []


async def test_duplicates_and_a_missing_person_are_translated(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    entry_id = coordinator.config_entry.entry_id
    seen = await stranger(hass, simulator, bus_events)
    register = {
        "config_entry_id": entry_id,
        "person_type": "visitor",
        "event_id": seen["event_id"],
    }
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "register_person", name="Tom Two", identity_id=TOM.identity_id, **register)
    assert raised.value.translation_key == "library_duplicate_id"
    assert str(raised.value) == (
        f"The box's face library already has a person with the id {TOM.identity_id}"
    )
    with pytest.raises(ServiceValidationError) as raised:
        await act(hass, "register_person", name="Tom", **register)
    assert raised.value.translation_key == "library_duplicate_name"
    assert str(raised.value) == "The box's face library already has a person with this name"
    for service, data in [
        ("set_person_type", {"person_type": "vip"}),
        ("delete_person", {}),
        ("add_face", {"event_id": seen["event_id"]}),
    ]:
        with pytest.raises(ServiceValidationError) as raised:
            await act(hass, service, config_entry_id=entry_id, identity_id="99999999", **data)
        assert raised.value.translation_key == "library_person_not_found", service
        assert str(raised.value) == (
            "The face library of 127.0.0.1 has no person with the id 99999999"
        )


async def test_a_box_that_cannot_be_reached_is_translated(
    hass: HomeAssistant, coordinator: SophonCoordinator, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unreachable(*_: Any) -> None:
        raise SophonConnectionError("connection refused")

    monkeypatch.setattr(coordinator.client, "async_set_person_type", unreachable)
    with pytest.raises(HomeAssistantError) as raised:
        await act(
            hass,
            "set_person_type",
            config_entry_id=coordinator.config_entry.entry_id,
            identity_id=TOM.identity_id,
            person_type="vip",
        )
    assert not isinstance(raised.value, ServiceValidationError)
    assert raised.value.translation_key == "library_unavailable"
    assert str(raised.value) == "Cannot reach the face library of 127.0.0.1: connection refused"


async def test_the_chinese_messages_use_full_width_punctuation() -> None:
    import json  # noqa: PLC0415
    from pathlib import Path  # noqa: PLC0415

    folder = Path(__file__).parents[2] / "custom_components" / "sophon" / "translations"
    chinese = json.loads((folder / "zh-Hans.json").read_text(encoding="utf-8"))
    for key, value in chinese["exceptions"].items():
        if key.startswith("library_"):
            message = value["message"]
            # Ends with a full stop or a parenthesis, full width (or with the box's own words).
            assert message.endswith(("\u3002", "\uff09", "{reason}")), key
            assert not any(mark in message for mark in (". ", ",", "(", ")", ":")), key


async def test_the_actions_are_for_administrators_only(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    hass_read_only_user: MockUser,
    hass_admin_user: MockUser,
) -> None:
    entry_id = coordinator.config_entry.entry_id
    changes = async_capture_events(hass, EVENT_LIBRARY_CHANGED)
    data = {"config_entry_id": entry_id, "identity_id": TOM.identity_id}
    for service, extra in [
        ("set_person_type", {"person_type": "blacklist"}),
        ("delete_person", {}),
        ("add_face", {"event_id": "any"}),
        ("register_person", {"name": "X", "person_type": "vip", "event_id": "any"}),
    ]:
        with pytest.raises(Unauthorized):
            await act(hass, service, Context(user_id=hass_read_only_user.id), **data, **extra)
    tom = simulator.library.get(TOM.identity_id)
    assert tom is not None
    assert tom.person_type is PersonType.VISITOR
    assert changes == []

    await act(
        hass,
        "set_person_type",
        Context(user_id=hass_admin_user.id),
        person_type="blacklist",
        **data,
    )
    await act(hass, "set_person_type", None, person_type="vip", **data)  # an automation's call
    assert [change.data["user_name"] for change in changes] == [hass_admin_user.name, None]
    admin_line = describe(hass, changes[0])
    assert admin_line == {
        "name": "Tom",
        "message": f"made Blacklisted in the face library of 127.0.0.1 by {hass_admin_user.name}",
    }
    assert changes[0].context.user_id == hass_admin_user.id
    assert describe(hass, changes[1])["message"] == (
        "made VIP in the face library of 127.0.0.1 by an automation"
    )


async def test_each_change_is_written_to_the_logbook(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    hass_admin_user: MockUser,
) -> None:
    entry_id = coordinator.config_entry.entry_id
    changes = async_capture_events(hass, EVENT_LIBRARY_CHANGED)
    admin = Context(user_id=hass_admin_user.id)
    seen = await stranger(hass, simulator, bus_events)
    new_id = await register(hass, coordinator, seen["event_id"], admin)
    await act(
        hass,
        "add_face",
        admin,
        config_entry_id=entry_id,
        identity_id=new_id,
        event_id=seen["event_id"],
    )
    await act(hass, "delete_person", admin, config_entry_id=entry_id, identity_id=new_id)
    user = hass_admin_user.name
    assert [describe(hass, change) for change in changes] == [
        {
            "name": "Ringer",
            "message": f"registered as Visitor in the face library of 127.0.0.1 by {user}",
        },
        {"name": "Ringer", "message": f"face added in the face library of 127.0.0.1 by {user}"},
        {"name": "Ringer", "message": f"deleted from the face library of 127.0.0.1 by {user}"},
    ]
    assert [change.data["identity_id"] for change in changes] == [new_id] * 3


async def test_the_library_sensor_alone_goes_unavailable_when_the_box_cannot_be_asked(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert (await counted(hass, coordinator))[0] == "10"

    async def unreachable(*_: Any) -> None:
        raise SophonConnectionError("connection refused")

    monkeypatch.setattr(coordinator.client, "async_list_people", unreachable)
    await coordinator.library.async_refresh()
    await hass.async_block_till_done()
    state = hass.states.get(library_sensor(hass, coordinator))
    assert state is not None
    assert state.state == STATE_UNAVAILABLE
    box_sensors = [
        hass.states.get(entry.entity_id)
        for entry in er.async_entries_for_config_entry(
            er.async_get(hass), coordinator.config_entry.entry_id
        )
        if entry.domain == "sensor" and entry.disabled_by is None
    ]
    assert [s.entity_id for s in box_sensors if s is not None and s.state == STATE_UNAVAILABLE] == [
        library_sensor(hass, coordinator)
    ]
    monkeypatch.undo()
    await coordinator.library.async_refresh()
    await hass.async_block_till_done()
    assert (await counted(hass, coordinator))[0] == "10"


def test_a_picture_is_required_once_and_a_stranger_is_no_type() -> None:
    from custom_components.sophon.library_actions import (  # noqa: PLC0415
        ADD_FACE_SCHEMA,
        REGISTER_PERSON_SCHEMA,
    )

    base = {"config_entry_id": "x", "identity_id": "1"}
    with pytest.raises(vol.Invalid):
        ADD_FACE_SCHEMA(base)
    with pytest.raises(vol.Invalid):
        ADD_FACE_SCHEMA({**base, "event_id": "e", "picture_entity_id": "image.a"})
    with pytest.raises(vol.Invalid):
        ADD_FACE_SCHEMA({**base, "picture_entity_id": "light.a"})
    assert ADD_FACE_SCHEMA({**base, "picture_entity_id": "camera.a"})
    with pytest.raises(vol.Invalid):
        REGISTER_PERSON_SCHEMA(
            {"config_entry_id": "x", "name": "A", "person_type": "stranger", "event_id": "e"}
        )


async def test_no_photo_in_states_events_or_logs(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="custom_components.sophon")
    changes = async_capture_events(hass, EVENT_LIBRARY_CHANGED)
    seen = await stranger(hass, simulator, bus_events)
    registered = simulator.library.get(await register(hass, coordinator, seen["event_id"]))
    assert registered is not None
    photo = registered.faces[0].photo
    assert photo is not None
    encoded = base64.b64encode(photo).decode()[:40]
    await counted(hass, coordinator)
    texts = [caplog.text, repr([change.data for change in changes])]
    texts += [repr((state.state, dict(state.attributes))) for state in hass.states.async_all()]
    for text in texts:
        assert encoded not in text
        assert "/9j/" not in text  # the start of any JPEG as base64
    assert all(len(repr(change.data)) < 400 for change in changes)


async def test_the_actions_describe_their_fields_with_valid_selectors(
    hass: HomeAssistant, coordinator: SophonCoordinator
) -> None:
    from homeassistant.helpers import selector  # noqa: PLC0415
    from homeassistant.helpers.service import async_get_all_descriptions  # noqa: PLC0415

    descriptions = (await async_get_all_descriptions(hass))[DOMAIN]
    picture = {"event_id", "picture_entity_id"}
    expected = {
        "register_person": {"config_entry_id", "name", "person_type", "identity_id", "group"}
        | picture,
        "add_face": {"config_entry_id", "identity_id"} | picture,
        "set_person_type": {"config_entry_id", "identity_id", "person_type"},
        "delete_person": {"config_entry_id", "identity_id"},
    }
    for service, fields in expected.items():
        action = descriptions[service]
        assert set(action["fields"]) == fields, service
        for field in action["fields"].values():
            selector.validate_selector(field["selector"])
        if "person_type" in fields:
            options = action["fields"]["person_type"]["selector"]["select"]["options"]
            assert options == ["employee", "visitor", "blacklist", "vip"]
    assert descriptions["register_person"]["response"] == {"optional": True}
    entity = descriptions["add_face"]["fields"]["picture_entity_id"]["selector"]["entity"]
    assert entity["domain"] == ["image", "camera"]
