"""The client against the simulated box, over real loopback sockets."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest

from custom_components.sophon.api import (
    Backoff,
    BoxClient,
    ConnectionState,
    DeviceType,
    PersonType,
    SophonConnectionError,
    SophonResponseError,
    SophonTimeoutError,
    Subscription,
)
from sophon_sim import BoxSimulator
from sophon_sim import PersonType as SimPersonType
from sophon_sim.faults import REST_SHAPES
from tests.api.conftest import Listening
from tests.conftest import LOOPBACK, wait_for
from tests.frames import CONTENT_FAULTS

API_DIR = Path(__file__).parents[2] / "custom_components" / "sophon" / "api"


def test_client_package_imports_nothing_from_home_assistant() -> None:
    for path in API_DIR.glob("*.py"):
        assert "homeassistant" not in path.read_text(encoding="utf-8"), path.name


@pytest.mark.parametrize("shape", REST_SHAPES)
async def test_device_list_is_read_in_every_shape(
    client: BoxClient, simulator: BoxSimulator, shape: str
) -> None:
    simulator.faults.rest_shape = shape
    devices = await client.async_get_devices()
    assert [d.device_id for d in devices] == [d.device_id for d in simulator.devices]
    first, expected = devices[0], simulator.devices[0]
    assert first.name == expected.name
    assert first.ip == expected.ip


async def test_device_list_keeps_extras_and_hides_the_stream_url(client: BoxClient) -> None:
    device = (await client.async_get_devices())[0]
    assert device.device_type is not DeviceType.UNKNOWN
    assert "permission_id" in device.extra
    assert "device_key" not in device.extra
    assert device.stream_url is not None
    assert device.stream_url.startswith("rtsp://")
    assert "rtsp" not in repr(device)


@pytest.mark.parametrize(
    ("fault", "value", "error"),
    [
        ("rest_status", 500, SophonResponseError),
        ("rest_garbage", True, SophonResponseError),
        ("rest_no_ids", True, SophonResponseError),
        ("rest_delay", 3.0, SophonTimeoutError),
    ],
)
async def test_device_list_errors_are_typed(
    client: BoxClient, simulator: BoxSimulator, fault: str, value: object, error: type
) -> None:
    setattr(simulator.faults, fault, value)
    with pytest.raises(error):
        await client.async_get_devices()


async def test_device_list_error_never_shows_credentials(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    simulator.faults.rest_no_ids = True
    with pytest.raises(SophonResponseError) as err:
        await client.async_get_devices()
    assert "secret" not in str(err.value)


async def test_unreachable_box_is_a_connection_error(session: aiohttp.ClientSession) -> None:
    async with BoxSimulator(devices=1) as sim:
        port = sim.rest_port
    client = BoxClient(host=LOOPBACK, port=port, session=session)
    with pytest.raises(SophonConnectionError):
        await client.async_get_devices()


async def test_client_without_session_makes_and_closes_its_own(simulator: BoxSimulator) -> None:
    async with BoxClient(host=LOOPBACK, port=simulator.rest_port) as client:
        assert await client.async_get_devices()
        session = client.session
    assert session is not None
    assert session.closed


async def test_subscription_is_sent_as_the_vendor_describes(
    listening: Listening, simulator: BoxSimulator
) -> None:
    assert simulator.subscriptions[-1] == {
        "need_face": True,
        "need_register": True,
        "event_list": [d.device_id for d in simulator.devices],
    }


async def test_event_arrives_with_every_field_and_its_images(
    listening: Listening, simulator: BoxSimulator
) -> None:
    device = simulator.devices[1]
    frame = await simulator.push_event(device.device_id, person_type=SimPersonType.VIP)
    await listening.received(1)
    event = listening.events[0]
    assert event.device_id == device.device_id
    assert event.identity_id == frame["identity_id"]
    assert event.identity_name == frame["identity_name"]
    assert event.identity_info == frame["identity_info"]
    assert event.person_type is PersonType.VIP
    assert event.person_type_code == 5
    assert event.score == pytest.approx(frame["score"])
    assert event.timestamp == datetime.fromtimestamp(frame["timestamp"] / 1000, UTC)
    assert event.group_name == frame["group_name"]
    assert event.event_id == frame["event_id"]
    assert event.device_ip == frame["ext_data"]["device_ip"]
    images = simulator.images_of(frame["event_id"])
    assert event.face_image is not None
    assert event.face_image.content() == images["face"]
    assert event.scene_image is not None
    assert event.scene_image.content() == images["scene"]
    assert event.registered_image is not None
    assert event.registered_image.content() == images["registered"]
    assert event.problems == ()


async def test_stranger_has_no_registered_photo(
    listening: Listening, simulator: BoxSimulator
) -> None:
    await simulator.push_event(person_type=SimPersonType.STRANGER)
    await listening.received(1)
    event = listening.events[0]
    assert event.is_stranger
    assert event.person_type is PersonType.STRANGER
    assert event.registered_image is None
    assert event.face_image is not None


@pytest.mark.parametrize("quirk", CONTENT_FAULTS["1.0"])
async def test_every_quirk_is_accepted_and_the_loop_lives_on(
    listening: Listening, simulator: BoxSimulator, quirk: str
) -> None:
    setattr(simulator.faults, quirk, True)
    await simulator.push_event(person_type=SimPersonType.VISITOR)
    await listening.received(1)
    simulator.faults.reset()
    await simulator.push_event()
    await listening.received(2)
    assert listening.client.counters.rejected_total == 0
    assert listening.client.state is ConnectionState.CONNECTED


@pytest.mark.parametrize(
    ("quirk", "check"),
    [
        ("numbers_as_strings", lambda e: e.score is not None and e.person_type_code == 2),
        ("device_type_int", lambda e: e.device_type is not DeviceType.UNKNOWN),
        ("omit_person_type", lambda e: e.person_type is PersonType.EMPLOYEE),
        ("person_type_out_of_range", lambda e: e.person_type is PersonType.UNKNOWN),
        ("timestamp_seconds", lambda e: e.timestamp.year >= 2020),
        ("extension_top_level", lambda e: e.person_type is PersonType.VISITOR and e.device_ip),
        ("bad_base64", lambda e: e.face_image is None and e.identity_name is not None),
        ("non_jpeg_image", lambda e: e.face_image is None),
        ("greeter_mode", lambda e: e.scene_image is None and e.face_image is not None),
    ],
)
async def test_quirks_are_read_as_documented(
    listening: Listening, simulator: BoxSimulator, quirk: str, check: object
) -> None:
    setattr(simulator.faults, quirk, True)
    await simulator.push_event(person_type=SimPersonType.VISITOR)
    await listening.received(1)
    assert callable(check)
    assert check(listening.events[0])


async def test_dropped_images_are_counted(listening: Listening, simulator: BoxSimulator) -> None:
    simulator.faults.bad_base64 = True
    await simulator.push_event(person_type=SimPersonType.VIP)
    await listening.received(1)
    assert listening.client.counters.images_dropped >= 1


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        ("{not json", "invalid_json"),
        ("[1, 2]", "not_an_object"),
        ("42", "not_an_object"),
        ("null", "not_an_object"),
        ("", "empty_frame"),
        (b"\xff\xfe\xfa", "binary_not_utf8"),
        ('{"identity_name": "x", "score": 0.5}', "no_device_id"),
    ],
)
async def test_bad_frames_are_rejected_with_a_reason_and_the_loop_lives_on(
    listening: Listening, simulator: BoxSimulator, frame: str | bytes, reason: str
) -> None:
    await simulator.push_raw(frame)
    await wait_for(lambda: listening.rejected)
    assert listening.client.counters.frames_rejected == {reason: 1}
    await simulator.push_event()
    await listening.received(1)
    assert listening.client.state is ConnectionState.CONNECTED


async def test_invalid_json_fault_is_rejected(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.invalid_json_every = 2
    for _ in range(4):
        await simulator.push_event()
    await wait_for(lambda: len(listening.events) + len(listening.rejected) >= 4)
    assert listening.client.counters.frames_rejected == {"invalid_json": 2}


async def test_bad_frames_are_logged_once_per_reason(
    listening: Listening, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    for _ in range(5):
        await simulator.push_raw("{broken")
    await simulator.push_raw("[]")
    await wait_for(lambda: len(listening.rejected) == 6)
    messages = [r.getMessage() for r in caplog.records if "Dropped a frame" in r.getMessage()]
    assert len(messages) == 2


async def test_image_data_never_reaches_the_log(
    listening: Listening, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    simulator.faults.non_jpeg_image = True
    frame = await simulator.push_event(person_type=SimPersonType.VIP)
    await listening.received(1)
    logged = caplog.text
    assert frame["ext_data"]["recognize_face"][:40] not in logged
    assert "Dropped the face_image" in logged


async def test_a_frame_sent_twice_is_delivered_once(
    listening: Listening, simulator: BoxSimulator
) -> None:
    frame = await simulator.push_event()
    await listening.received(1)
    await simulator.push_raw(json.dumps(frame))
    await simulator.push_event()
    await listening.received(2)
    assert [e.event_id for e in listening.events] == [
        frame["event_id"],
        listening.events[1].event_id,
    ]
    assert listening.client.counters.duplicates_dropped == 1


async def test_a_failing_subscriber_does_not_stop_the_loop(
    client: BoxClient, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[str] = []

    def on_event(event: object) -> None:
        seen.append("x")
        raise RuntimeError("subscriber bug")

    subscription = Subscription(device_ids=(simulator.devices[0].device_id,))
    task = asyncio.create_task(client.listen(subscription, on_event))
    await simulator.wait_for_subscription()
    await simulator.push_event()
    await simulator.push_event()
    await wait_for(lambda: len(seen) == 2)
    assert "Event handler failed" in caplog.text
    await client.disconnect()
    await asyncio.wait_for(task, 5)


async def test_a_16_mib_frame_is_accepted(listening: Listening, simulator: BoxSimulator) -> None:
    simulator.faults.huge_frame_bytes = 16 * 1024 * 1024
    await simulator.push_event()
    await listening.received(1, timeout=30)
    assert listening.client.counters.rejected_total == 0


async def test_only_subscribed_devices_are_pushed(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    events: list[object] = []
    wanted = simulator.devices[0].device_id
    subscription = Subscription(device_ids=(wanted,), with_face=False, with_registered=False)
    task = asyncio.create_task(client.listen(subscription, events.append))
    await simulator.wait_for_subscription()
    await simulator.push_event(simulator.devices[1].device_id)
    await simulator.push_event(wanted, person_type=SimPersonType.VIP)
    await wait_for(lambda: events)
    await client.disconnect()
    await asyncio.wait_for(task, 5)
    assert [e.device_id for e in events] == [wanted]  # type: ignore[attr-defined]
    assert events[0].face_image is None  # type: ignore[attr-defined]
    assert simulator.subscriptions[-1] == {
        "need_face": False,
        "need_register": False,
        "event_list": [wanted],
    }


async def test_reconnects_after_the_box_closes_the_socket(
    listening: Listening, simulator: BoxSimulator
) -> None:
    await simulator.close_connections()
    await listening.connected(2)
    await simulator.wait_for_subscription(count=2)
    await simulator.push_event()
    await listening.received(1)
    assert listening.client.counters.reconnects == 1


async def test_reconnects_after_a_drop_mid_frame(
    listening: Listening, simulator: BoxSimulator
) -> None:
    await simulator.abort_mid_frame()
    await listening.connected(2)
    assert listening.client.counters.rejected_total == 0


async def test_reconnects_with_backoff_while_refused(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.stop_ws_listener()
    await simulator.close_connections()
    await wait_for(lambda: listening.client.counters.reconnects >= 4)
    assert listening.client.backoff.attempt >= 4
    await simulator.start_ws_listener()
    await listening.connected(2)
    await simulator.wait_for_subscription(count=2)
    await simulator.push_event()
    await listening.received(1)


@pytest.mark.parametrize("heartbeat", [1.0])
async def test_a_quiet_box_that_answers_pings_stays_connected(
    listening: Listening, simulator: BoxSimulator
) -> None:
    pings = simulator.pings_answered
    # Three heartbeats of silence: each one pings, and each pong keeps the push open. (A pong
    # window of 0.5 s: a garbage collection in asyncio debug mode takes up to 0.3 s.)
    await wait_for(lambda: simulator.pings_answered >= pings + 3)
    assert listening.states.count(ConnectionState.CONNECTED) == 1
    assert listening.client.counters.reconnects == 0
    await simulator.push_event()
    await listening.received(1)


@pytest.mark.parametrize("heartbeat", [0.4])
async def test_half_open_connection_is_found_by_the_heartbeat(
    listening: Listening, simulator: BoxSimulator
) -> None:
    before = len(listening.states)
    simulator.faults.silent = True
    await wait_for(lambda: ConnectionState.DISCONNECTED in listening.states[before:])
    simulator.faults.silent = False
    await listening.connected(2)


async def test_a_box_back_on_its_rest_port_is_tried_at_once_whatever_the_backoff(
    listening: Listening, simulator: BoxSimulator
) -> None:
    # A pause of 15 to 30 s before the next try: only the box's REST port coming back can
    # bring the push back within the few seconds waited for below.
    listening.client.backoff = Backoff(initial=30.0, maximum=30.0)
    await simulator.reboot(rest_down=1.5, ws_down=1.5)
    await listening.connected(2)
    await simulator.wait_for_subscription(count=2)
    assert listening.client.counters.reconnects == 1
    await simulator.push_event()
    await listening.received(1)


def test_a_box_on_the_local_network_is_retried_every_few_seconds_at_most() -> None:
    backoff = BoxClient(host=LOOPBACK).backoff
    delays = [backoff.next_delay() for _ in range(12)]
    assert max(delays) <= 5.0
    assert delays[-1] >= 2.5  # still growing to its cap, with jitter


async def test_reconnects_after_a_reboot(listening: Listening, simulator: BoxSimulator) -> None:
    await simulator.reboot(rest_down=0.2, ws_down=0.6)
    await listening.connected(2)
    assert await listening.client.async_get_devices()


async def test_ten_thousand_events_arrive_once_each_in_order(
    listening: Listening, simulator: BoxSimulator
) -> None:
    sent = await simulator.push_many(10_000)
    await listening.received(10_000, timeout=60)
    assert [e.event_id for e in listening.events] == [str(i) for i in sent]
    assert listening.client.counters.events_delivered == 10_000
    assert listening.client.counters.duplicates_dropped == 0


def test_backoff_grows_exponentially_with_jitter_up_to_its_cap() -> None:
    backoff = Backoff(initial=1.0, maximum=8.0)
    delays = [backoff.next_delay() for _ in range(8)]
    ceilings = [1, 2, 4, 8, 8, 8, 8, 8]
    for delay, ceiling in zip(delays, ceilings, strict=True):
        assert ceiling / 2 <= delay <= ceiling
    backoff.reset()
    assert backoff.next_delay() <= 1.0


async def test_a_listener_stopped_while_connecting_stays_stopped(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    subscription = Subscription(device_ids=(simulator.devices[0].device_id,))
    first = asyncio.create_task(client.listen(subscription, lambda _event: None))
    await simulator.wait_for_subscription()
    simulator.faults.rest_delay = 1.0  # the reconnect's generation check now takes a while
    await simulator.close_connections()
    await wait_for(lambda: client.state is ConnectionState.CONNECTING)
    await client.disconnect()
    simulator.faults.rest_delay = 0
    second = asyncio.create_task(client.listen(subscription, lambda _event: None))
    await asyncio.wait_for(first, 5)
    await simulator.wait_for_subscription(count=2)
    await asyncio.sleep(0.3)
    assert simulator.connected_clients == 1
    await client.disconnect()
    await asyncio.wait_for(second, 5)


async def test_a_failing_state_handler_does_not_stop_the_loop(
    client: BoxClient, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    events: list[object] = []

    def on_state(_state: ConnectionState) -> None:
        raise RuntimeError("handler bug")

    subscription = Subscription(device_ids=(simulator.devices[0].device_id,))
    task = asyncio.create_task(client.listen(subscription, events.append, on_state))
    await simulator.wait_for_subscription()
    await simulator.push_event()
    await wait_for(lambda: events)
    assert "State handler failed" in caplog.text
    await client.disconnect()
    await asyncio.wait_for(task, 5)
