"""Recognitions: the bus event, every entity, images, availability, restore, bad frames."""

from __future__ import annotations

import base64
import json
import re
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

import pytest
from homeassistant.const import STATE_UNAVAILABLE, STATE_UNKNOWN
from homeassistant.core import Event, HomeAssistant, State
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.setup import async_setup_component
from homeassistant.util import dt as dt_util
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    mock_restore_cache_with_extra_data,
)
from pytest_homeassistant_custom_component.typing import ClientSessionGenerator

from custom_components.sophon.api import canonical_device_id
from custom_components.sophon.compat import device_by_identifier
from custom_components.sophon.const import DOMAIN
from custom_components.sophon.coordinator import SophonCoordinator
from custom_components.sophon.identity import device_identifier, device_unique_id
from custom_components.sophon.pictures import ImageKind
from sophon_sim import BoxSimulator, PersonType
from sophon_sim.simulator import KEEP
from tests.conftest import wait_for
from tests.frames import expected
from tests.integration.conftest import FIXED_ENTRY_ID, push

KEYS = {
    "config_entry_id",
    "pictures",
    "device_id",
    "sophon_device_id",
    "identity_id",
    "identity_name",
    "person_type",
    "person_type_code",
    "score",
    "group_name",
    "timestamp",
    "device_type",
    "device_ip",
    "event_id",
    "identity_info",
    "face_attributes",
    "replayed",
}


def entity_id(hass: HomeAssistant, domain: str, device_id: str, key: str) -> str:
    """Return the entity id of one of a device's entities."""
    unique_id = device_unique_id(FIXED_ENTRY_ID, device_id, key)
    found = er.async_get(hass).async_get_entity_id(domain, DOMAIN, unique_id)
    assert found is not None, f"{domain} {key}"
    return found


def state(hass: HomeAssistant, domain: str, device_id: str, key: str) -> State:
    """Return the state of one of a device's entities."""
    found = hass.states.get(entity_id(hass, domain, device_id, key))
    assert found is not None
    return found


async def test_recognition_fires_the_bus_event_with_exactly_its_data(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
    device_registry: dr.DeviceRegistry,
) -> None:
    device = simulator.devices[0]
    frame = await push(
        hass, simulator, bus_events, device_id=device.device_id, person_type=PersonType.VIP
    )
    registry_device = device_by_identifier(
        device_registry,
        device_identifier(FIXED_ENTRY_ID, device.device_id),
        coordinator.config_entry.entry_id,
    )
    assert registry_device is not None
    sent = expected(frame, simulator.generation)
    data = dict(bus_events[0].data)
    pictures = data.pop("pictures")
    assert set(pictures) == {"face", "scene", "registered_photo"}
    for name, url in pictures.items():
        assert re.fullmatch(
            f"/api/sophon/pictures/{config_entry.entry_id}/[0-9A-Z]{{26}}/{name}", url
        )
    assert data == {
        "config_entry_id": config_entry.entry_id,
        "device_id": registry_device.id,
        "sophon_device_id": device.device_id,
        "person_type": "vip",
        **sent,
        "timestamp": sent["timestamp"].isoformat(),
        "replayed": False,
    }
    assert sent["person_type_code"] == (5 if simulator.generation == "1.0" else None)


async def test_no_image_data_reaches_the_bus_or_the_states(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    frame = await push(hass, simulator, bus_events, person_type=PersonType.EMPLOYEE)
    event_id = expected(frame, simulator.generation)["event_id"]
    pictures = simulator.images_of(event_id).values()
    needles = [base64.b64encode(picture)[:32].decode() for picture in pictures]
    needles += [template[:32] for template in simulator.templates_of(event_id)]
    needles += ["rtsp://", "secret123"]
    assert len(needles) >= 4
    dumped = json.dumps([bus_events[0].data, [s.as_dict() for s in hass.states.async_all()]])
    for needle in needles:
        assert needle not in dumped
    assert set(bus_events[0].data) == KEYS


async def test_recognition_updates_every_entity_of_the_device(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    device_id = simulator.devices[1].device_id
    assert state(hass, "sensor", device_id, "last_identity").state == STATE_UNKNOWN
    assert state(hass, "image", device_id, "last_face").state == STATE_UNKNOWN
    frame = await push(
        hass,
        simulator,
        bus_events,
        device_id=device_id,
        person_type=PersonType.BLACKLIST,
        score=0.78,
    )
    sent = expected(frame, simulator.generation)
    identity = state(hass, "sensor", device_id, "last_identity")
    assert identity.state == frame["identity_name"]
    assert identity.attributes["identity_id"] == frame["identity_id"]
    assert identity.attributes["person_type"] == "blacklist"
    assert identity.attributes["group_name"] == sent["group_name"]
    assert identity.attributes["score"] == pytest.approx(0.78)
    assert identity.attributes["device_type"] == sent["device_type"]
    assert identity.attributes["face_attributes"] == sent["face_attributes"]
    assert state(hass, "sensor", device_id, "last_score").state == "78.0"
    assert state(hass, "sensor", device_id, "person_type").state == "blacklist"
    seen = sent["timestamp"].isoformat(timespec="seconds")
    assert state(hass, "sensor", device_id, "last_seen").state == seen
    for key in ("last_face", "last_scene", "registered_photo"):
        assert state(hass, "image", device_id, key).state != STATE_UNKNOWN
    event_state = state(hass, "event", device_id, "recognition")
    assert event_state.attributes["event_type"] == "blacklist"
    assert event_state.attributes["identity_name"] == frame["identity_name"]
    assert event_state.attributes["score"] == pytest.approx(0.78)
    other = simulator.devices[0].device_id
    assert state(hass, "sensor", other, "last_identity").state == STATE_UNKNOWN
    assert hass.states.get("sensor.127_0_0_1_events_received").state == "1"


async def test_stranger_shows_the_stranger_state(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    device_id = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.STRANGER)
    assert state(hass, "sensor", device_id, "last_identity").state == "stranger"
    assert state(hass, "sensor", device_id, "person_type").state == "stranger"
    assert state(hass, "image", device_id, "registered_photo").state == STATE_UNKNOWN


@pytest.mark.parametrize(
    ("key", "picture"),
    [("last_face", "face"), ("last_scene", "scene"), ("registered_photo", "registered")],
)
async def test_image_entity_serves_the_jpeg_through_the_image_proxy(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    key: str,
    picture: str,
) -> None:
    device_id = simulator.devices[0].device_id
    frame = await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    http = await hass_client()
    response = await http.get(f"/api/image_proxy/{entity_id(hass, 'image', device_id, key)}")
    assert response.status == HTTPStatus.OK
    assert response.content_type == "image/jpeg"
    event_id = expected(frame, simulator.generation)["event_id"]
    assert await response.read() == simulator.images_of(event_id)[picture]


async def test_a_photo_that_does_not_decode_is_counted_when_first_shown(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Base64 that begins like a JPEG, then breaks: the big photos are only decoded when shown.
    simulator.faults.bad_base64 = True
    device_id = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    counters = coordinator.client.counters
    before = counters.images_dropped  # the face crop, decoded and dropped on receipt
    assert "image_bad_base64:face_image" in counters.quirks_accepted
    assert "image_bad_base64:registered_image" not in counters.quirks_accepted
    http = await hass_client()
    photo = entity_id(hass, "image", device_id, "registered_photo")
    for _ in range(2):  # counted and logged once, not on every request
        response = await http.get(f"/api/image_proxy/{photo}")
        assert response.status != HTTPStatus.OK
    assert counters.images_dropped == before + 1
    assert counters.quirks_accepted["image_bad_base64:registered_image"] == 1
    assert "Dropped the registered_image of an event" in caplog.text
    assert "%%not base64" not in caplog.text


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)  # 2.0 keeps the scene by event id
async def test_a_scene_photo_the_box_fails_to_give_is_logged_once_and_left_out(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
) -> None:
    device_id = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    scene = f"/api/image_proxy/{entity_id(hass, 'image', device_id, 'last_scene')}"
    # The box keeps its last 1,000 events: after 1,000 more elsewhere it has forgotten this one.
    count = len(bus_events)
    simulator.history_keep = KEEP  # the box forgets all but its last KEEP events
    await simulator.push_many(KEEP, simulator.devices[1].device_id)
    await wait_for(lambda: len(bus_events) >= count + KEEP, timeout=60)
    http = await hass_client()
    for _ in range(2):
        response = await http.get(scene)
        assert response.status != HTTPStatus.OK
    assert caplog.text.count("no longer keeps a picture") == 1
    frame = await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    response = await http.get(scene)
    assert response.status == HTTPStatus.OK
    event_id = expected(frame, simulator.generation)["event_id"]
    assert await response.read() == simulator.images_of(event_id)["scene"]


async def test_camera_serves_the_last_face(
    camera_enabled: None,
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    device_id = simulator.devices[0].device_id
    camera = entity_id(hass, "camera", device_id, "last_face_camera")
    http = await hass_client()
    response = await http.get(f"/api/camera_proxy/{camera}")
    assert response.status != HTTPStatus.OK
    frame = await push(
        hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VISITOR
    )
    response = await http.get(f"/api/camera_proxy/{camera}")
    assert response.status == HTTPStatus.OK
    event_id = expected(frame, simulator.generation)["event_id"]
    assert await response.read() == simulator.images_of(event_id)["face"]


# Every entity of an attached device, by platform and key.
DEVICE_ENTITIES = [
    ("sensor", "last_identity"),
    ("sensor", "last_score"),
    ("sensor", "person_type"),
    ("sensor", "last_seen"),
    ("image", "last_face"),
    ("image", "last_scene"),
    ("image", "registered_photo"),
    ("camera", "last_face_camera"),
    ("event", "recognition"),
]


async def test_recognition_entities_keep_their_facts_through_a_push_outage(
    camera_enabled: None,
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    """By design since the field-inputs issue: an outage is the Connected sensor's to report."""
    device_id = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    before = {key: state(hass, domain, device_id, key) for domain, key in DEVICE_ENTITIES}
    connected = "binary_sensor.127_0_0_1_connected"
    assert hass.states.get(connected).state == "on"
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: hass.states.get(connected).state == "off")
    during = {key: state(hass, domain, device_id, key) for domain, key in DEVICE_ENTITIES}
    await simulator.start_ws_listener()
    await wait_for(lambda: hass.states.get(connected).state == "on")
    await simulator.wait_for_subscription(count=2)
    await hass.async_block_till_done()
    after = {key: state(hass, domain, device_id, key) for domain, key in DEVICE_ENTITIES}
    for key, old in before.items():
        assert old.state not in (STATE_UNKNOWN, STATE_UNAVAILABLE), key
        for seen in (during[key], after[key]):
            assert (seen.state, seen.last_changed) == (old.state, old.last_changed), key


async def test_a_hundred_mixed_frames_leave_the_loop_alive(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    bad = ["{oops", "[]", "", "7", '{"score": 1}']
    good = 0
    for index in range(100):
        if index % 3 == 0:
            await simulator.push_raw(bad[index % len(bad)])
        else:
            await simulator.push_event(simulator.devices[index % 3].device_id)
            good += 1
    counters = coordinator.client.counters
    # The last frame pushed is a bad one: wait for every frame, not only the good ones.
    await wait_for(lambda: counters.frames_received == 100)
    assert len(bus_events) == good
    assert counters.rejected_total == 100 - good
    assert coordinator.connected
    await hass.async_block_till_done()
    assert hass.states.get("sensor.127_0_0_1_events_received").state == str(good)


def _restored(
    hass: HomeAssistant, entry: MockConfigEntry, domain: str, device_id: str, key: str
) -> str:
    """Register an entity of an attached device as it was before a restart; return its id."""
    return (
        er.async_get(hass)
        .async_get_or_create(
            domain, DOMAIN, device_unique_id(FIXED_ENTRY_ID, device_id, key), config_entry=entry
        )
        .entity_id
    )


def _sensor_data(value: object) -> dict[str, object]:
    """Return what a restore sensor stores of its value."""
    return {"native_value": value, "native_unit_of_measurement": None}


async def test_every_fact_of_the_last_recognition_survives_a_restart(
    hass: HomeAssistant, config_entry: MockConfigEntry, simulator: BoxSimulator
) -> None:
    device_id = simulator.devices[0].device_id
    seen = datetime(2026, 11, 1, 8, 30, tzinfo=UTC)
    ids = {
        key: _restored(hass, config_entry, "sensor", device_id, key)
        for key in ("last_identity", "last_seen", "person_type", "last_score")
    }
    event_id = _restored(hass, config_entry, "event", device_id, "recognition")
    seen_value = {"__type": "<class 'datetime.datetime'>", "isoformat": seen.isoformat()}
    mock_restore_cache_with_extra_data(
        hass,
        [
            (State(ids["last_identity"], "小明"), _sensor_data("小明")),
            (State(ids["last_seen"], seen.isoformat()), _sensor_data(seen_value)),
            (State(ids["person_type"], "vip"), _sensor_data("vip")),
            (State(ids["last_score"], "93.5"), _sensor_data(93.5)),
            (
                State(event_id, seen.isoformat(), {"event_type": "vip"}),
                {"last_event_type": "vip", "last_event_attributes": {}},
            ),
        ],
    )
    assert await hass.config_entries.async_setup(config_entry.entry_id)
    await hass.async_block_till_done()
    await wait_for(lambda: hass.states.get(ids["last_identity"]).state == "小明")
    assert hass.states.get(ids["last_seen"]).state == seen.isoformat()
    assert hass.states.get(ids["person_type"]).state == "vip"
    assert hass.states.get(ids["last_score"]).state == "93.5"
    event_state = hass.states.get(event_id)
    assert datetime.fromisoformat(event_state.state) == seen
    assert event_state.attributes["event_type"] == "vip"
    assert await async_setup_component(hass, "homeassistant", {})


async def test_a_new_event_never_shows_the_last_persons_pictures(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    device_id = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    assert state(hass, "image", device_id, "registered_photo").state != STATE_UNKNOWN
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.STRANGER)
    assert state(hass, "image", device_id, "registered_photo").state == STATE_UNKNOWN
    assert state(hass, "image", device_id, "last_face").state != STATE_UNKNOWN


@pytest.mark.parametrize("simulator", ["1.0"], indirect=True)  # only 1.0 sends identity_info
async def test_long_strings_in_identity_info_stay_off_the_bus(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    picture = "data:image/jpeg;base64," + "A" * 400
    info = {"user_id": "u1", "photo": picture, "notes": "x" * 300, "ext_info": {"room": "101"}}
    key = "identity_info"
    await push(hass, simulator, bus_events, person_type=PersonType.VIP, overrides={key: info})
    assert bus_events[-1].data[key] == {
        "user_id": "u1",
        "photo": None,
        "notes": None,
        "ext_info": {"room": "101"},
    }


async def _set_devices(
    hass: HomeAssistant, entry: MockConfigEntry, devices: list[str] | None
) -> None:
    """Choose the devices to follow in the options (None: all), as the options flow does."""
    options = {} if devices is None else {"devices": devices}
    hass.config_entries.async_update_entry(entry, options=options)
    await hass.config_entries.async_reload(entry.entry_id)
    await hass.async_block_till_done()
    new: SophonCoordinator = entry.runtime_data
    await wait_for(lambda: new.connected)


@pytest.mark.parametrize("expected_lingering_timers", [True])  # HA's reload after re-enabling
async def test_devices_left_out_of_the_options_are_disabled_by_the_integration(
    hass: HomeAssistant,
    coordinator: SophonCoordinator,
    config_entry: MockConfigEntry,
    simulator: BoxSimulator,
    bus_events: list[Event],
    device_registry: dr.DeviceRegistry,
    entity_registry: er.EntityRegistry,
) -> None:
    """Their device page says why they show nothing; chosen again, they come back whole."""
    followed, left_out = simulator.devices[0].device_id, simulator.devices[1].device_id
    await push(hass, simulator, bus_events, device_id=left_out, person_type=PersonType.VIP)
    name = state(hass, "sensor", left_out, "last_identity").state
    await _set_devices(hass, config_entry, [followed])
    assert state(hass, "sensor", followed, "last_identity").state == STATE_UNKNOWN
    device = device_registry.async_get(_device_of(hass, left_out))
    assert device is not None
    assert device.disabled_by is dr.DeviceEntryDisabler.INTEGRATION
    for entry in er.async_entries_for_device(entity_registry, device.id, True):
        # The camera is disabled by default, by the integration; every other one by the device.
        assert entry.disabled_by is not None, entry.entity_id
        assert hass.states.get(entry.entity_id) is None, entry.entity_id
    assert device_registry.async_get(_device_of(hass, followed)).disabled_by is None
    # A device the user disabled stays disabled when every device is chosen again.
    mine = _device_of(hass, simulator.devices[2].device_id)
    device_registry.async_update_device(mine, disabled_by=dr.DeviceEntryDisabler.USER)
    await _set_devices(hass, config_entry, None)
    assert device_registry.async_get(_device_of(hass, left_out)).disabled_by is None
    assert device_registry.async_get(mine).disabled_by is dr.DeviceEntryDisabler.USER
    assert state(hass, "sensor", left_out, "last_identity").state == name


def _device_of(hass: HomeAssistant, device_id: str) -> str:
    """Return the Home Assistant device id of an attached device."""
    found = device_by_identifier(
        dr.async_get(hass), device_identifier(FIXED_ENTRY_ID, device_id), FIXED_ENTRY_ID
    )
    assert found is not None
    return found.id


COOL_DOWN = timedelta(hours=1)  # so long that no slow machine reaches its end by itself


@pytest.fixture
def long_cool_down(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the pause before a failed fetch is tried again an hour."""
    monkeypatch.setattr("custom_components.sophon.api.pictures.SCENE_RETRY_AFTER", COOL_DOWN)


def stored_event_id(coordinator: SophonCoordinator, device_id: str) -> str:
    """Return the event id of the scene photo held for a device (kept by the box, 2.0)."""
    record = coordinator.recognitions.records[canonical_device_id(device_id)]
    return record.images[ImageKind.SCENE].picture.key  # type: ignore[attr-defined]


def _end_the_cool_down(coordinator: SophonCoordinator, device_id: str) -> None:
    """Let the time pass after which a failed fetch may be tried again (without sleeping)."""
    stored = coordinator.recognitions.records[canonical_device_id(device_id)].images[
        ImageKind.SCENE
    ]
    picture = stored.picture
    if picture.retry_at is not None:
        assert picture.retry_at - dt_util.utcnow() > COOL_DOWN - timedelta(minutes=1)
        picture.retry_at = coordinator.client.pictures.down_until = dt_util.utcnow()


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)  # 2.0 keeps the scene by event id
@pytest.mark.parametrize("fault", ["timeout", "reset", "status_500", "internal_error"])
async def test_a_scene_photo_fetch_that_fails_for_a_passing_reason_is_tried_again(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    long_cool_down: None,
    fault: str,
) -> None:
    coordinator.client.request_timeout = 0.5
    device_id = simulator.devices[0].device_id
    frame = await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    scene = f"/api/image_proxy/{entity_id(hass, 'image', device_id, 'last_scene')}"
    http = await hass_client()
    simulator.faults.scene_fetch = fault
    assert (await http.get(scene)).status != HTTPStatus.OK
    simulator.faults.scene_fetch = ""
    # Within the cool-down the box is not asked again; after it, the photo comes.
    requests = simulator.rest_requests
    assert (await http.get(scene)).status != HTTPStatus.OK
    assert simulator.rest_requests == requests
    _end_the_cool_down(coordinator, device_id)
    response = await http.get(scene)
    assert response.status == HTTPStatus.OK
    event_id = expected(frame, simulator.generation)["event_id"]
    assert await response.read() == simulator.images_of(event_id)["scene"]
    assert coordinator.client.counters.scene_fetch_retries == 1


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)
@pytest.mark.parametrize("fault", ["not_found", "gone_in_envelope"])
async def test_a_scene_photo_the_box_says_is_gone_is_not_asked_for_again(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
    caplog: pytest.LogCaptureFixture,
    fault: str,
) -> None:
    device_id = simulator.devices[0].device_id
    await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    scene = f"/api/image_proxy/{entity_id(hass, 'image', device_id, 'last_scene')}"
    http = await hass_client()
    simulator.faults.scene_fetch = fault
    assert (await http.get(scene)).status != HTTPStatus.OK
    simulator.faults.scene_fetch = ""
    requests = simulator.rest_requests
    _end_the_cool_down(coordinator, device_id)
    assert (await http.get(scene)).status != HTTPStatus.OK
    assert simulator.rest_requests == requests
    assert caplog.text.count("no longer keeps a picture") == 1
    assert stored_event_id(coordinator, device_id) not in caplog.text  # identifies a passage


@pytest.mark.parametrize("simulator", ["2.0"], indirect=True)
async def test_a_scene_photo_refused_to_get_is_fetched_with_post(
    hass: HomeAssistant,
    hass_client: ClientSessionGenerator,
    coordinator: SophonCoordinator,
    simulator: BoxSimulator,
    bus_events: list[Event],
) -> None:
    device_id = simulator.devices[0].device_id
    frame = await push(hass, simulator, bus_events, device_id=device_id, person_type=PersonType.VIP)
    simulator.faults.scene_fetch = "get_refused"
    http = await hass_client()
    response = await http.get(
        f"/api/image_proxy/{entity_id(hass, 'image', device_id, 'last_scene')}"
    )
    assert response.status == HTTPStatus.OK
    event_id = expected(frame, simulator.generation)["event_id"]
    assert await response.read() == simulator.images_of(event_id)["scene"]
