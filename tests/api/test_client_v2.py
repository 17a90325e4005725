"""The client against a firmware V6 (generation 2.0) box, and across a firmware upgrade."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.sophon.api import (
    Backoff,
    BoxClient,
    ConnectionState,
    DeviceType,
    PersonType,
    RecognitionEvent,
    SophonBoxStartingError,
    SophonResponseError,
    Subscription,
)
from sophon_sim import BoxSimulator
from sophon_sim import PersonType as SimPersonType
from tests.api.conftest import client_of
from tests.conftest import LOOPBACK, wait_for
from tests.frames import CONTENT_FAULTS


@pytest.fixture
async def simulator() -> AsyncIterator[BoxSimulator]:
    """Run a 2.0 box with a gb28181 device among its four."""
    async with BoxSimulator(devices=4, generation="2.0", host=LOOPBACK, seed=5) as sim:
        yield sim


@pytest.fixture
def client(simulator: BoxSimulator, session: aiohttp.ClientSession) -> BoxClient:
    """Return a client for the 2.0 box with short timings."""
    return client_of(simulator, session, heartbeat=5.0, backoff=Backoff(initial=0.05, maximum=0.3))


async def _listen(
    client: BoxClient, simulator: BoxSimulator, events: list[RecognitionEvent]
) -> asyncio.Task[None]:
    """Start listening to every device and wait for the subscription."""
    devices = await client.async_get_devices()
    subscription = Subscription(device_ids=tuple(d.device_id for d in devices))
    task = asyncio.create_task(client.listen(subscription, events.append))
    await simulator.wait_for_subscription()
    return task


async def _stop(client: BoxClient, task: asyncio.Task[None]) -> None:
    """Stop listening."""
    await client.disconnect()
    await asyncio.wait_for(task, 5)


async def test_generation_is_detected_and_devices_read(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    devices = await client.async_get_devices()
    assert client.generation is not None
    assert client.generation.name == "2.0"
    assert [d.device_id for d in devices] == [d.device_id for d in simulator.devices]
    assert {d.device_type for d in devices} >= {DeviceType.PHOTO, DeviceType.VIDEO_STREAM}
    assert all(d.stream_url is None or "secret" not in repr(d) for d in devices)


async def test_a_1_0_box_is_detected_after_the_2_0_probe(
    session: aiohttp.ClientSession,
) -> None:
    async with BoxSimulator(devices=2, host=LOOPBACK) as sim:
        client = BoxClient(host=LOOPBACK, port=sim.rest_port, session=session)
        assert len(await client.async_get_devices()) == 2
        assert client.generation is not None
        assert client.generation.name == "1.0"
        assert sim.rest_requests == 2  # the 2.0 device list (404), then the 1.0 one


async def test_a_starting_box_says_so(client: BoxClient, simulator: BoxSimulator) -> None:
    simulator.faults.init_error = True
    with pytest.raises(SophonBoxStartingError):
        await client.async_get_devices()
    simulator.faults.error_code_int = True
    with pytest.raises(SophonResponseError):
        await client.async_get_devices()


async def test_firmware_version_is_read_in_both_generations(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    await client.async_get_devices()
    assert await client.async_get_firmware_version() == simulator.firmware_version
    simulator.set_generation("1.0")
    assert await client.async_get_firmware_version() == simulator.firmware_version
    simulator.faults.version_down = True
    assert await client.async_get_firmware_version() is None


async def test_event_and_its_scene_photo_on_request(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    events: list[RecognitionEvent] = []
    task = await _listen(client, simulator, events)
    frame = await simulator.push_event(
        simulator.devices[0].device_id, person_type=SimPersonType.VIP
    )
    await wait_for(lambda: events)
    event = events[0]
    assert event.person_type is PersonType.VIP
    assert event.score == pytest.approx(frame["score"] / 100)
    assert event.face_image is not None
    assert event.face_image.content() == simulator.images_of(frame["event_id"])["face"]
    assert event.scene_image is None
    scene = await client.async_get_scene_image(frame["event_id"])
    assert scene == simulator.images_of(frame["event_id"])["scene"]
    with pytest.raises(SophonResponseError):
        await client.async_get_scene_image("no-such-event")
    await _stop(client, task)


async def test_templates_never_reach_the_model(client: BoxClient, simulator: BoxSimulator) -> None:
    events: list[RecognitionEvent] = []
    task = await _listen(client, simulator, events)
    frame = await simulator.push_event(person_type=SimPersonType.EMPLOYEE)
    await wait_for(lambda: events)
    templates = simulator.templates_of(frame["event_id"])
    assert templates
    dumped = repr(events[0]) + repr(events[0].face_attributes)
    assert all(template[:24] not in dumped for template in templates)
    await _stop(client, task)


@pytest.mark.parametrize("quirk", CONTENT_FAULTS["2.0"])
async def test_every_2_0_quirk_is_accepted_and_the_loop_lives_on(
    client: BoxClient, simulator: BoxSimulator, quirk: str
) -> None:
    events: list[RecognitionEvent] = []
    task = await _listen(client, simulator, events)
    setattr(simulator.faults, quirk, True)
    await simulator.push_event(person_type=SimPersonType.VISITOR)
    simulator.faults.reset()
    await simulator.push_event()
    await wait_for(lambda: len(events) == 2)
    assert client.counters.rejected_total == 0
    assert client.state is ConnectionState.CONNECTED
    await _stop(client, task)


async def test_a_firmware_upgrade_is_followed_without_help(
    session: aiohttp.ClientSession,
) -> None:
    async with BoxSimulator(devices=2, host=LOOPBACK, seed=3) as sim:
        client = BoxClient(
            host=LOOPBACK,
            port=sim.rest_port,
            ws_port=sim.ws_port,
            session=session,
            backoff=Backoff(initial=0.05, maximum=0.2),
        )
        events: list[RecognitionEvent] = []
        task = await _listen(client, sim, events)
        assert client.generation is not None
        assert client.generation.name == "1.0"
        await sim.push_event()
        sim.set_generation("2.0")
        assert "media_device_ids" in await sim.wait_for_subscription()
        assert client.generation.name == "2.0"
        await sim.push_event()
        await wait_for(lambda: len(events) == 2)
        assert [e.device_id for e in events] == [sim.devices[0].device_id] * 2
        await _stop(client, task)


async def test_a_frame_of_the_other_generation_is_still_read(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    events: list[RecognitionEvent] = []
    task = await _listen(client, simulator, events)
    device_id = simulator.devices[0].device_id
    await simulator.push_raw(
        json.dumps({"device_id": device_id, "identity_name": "x", "ext_data": {"person_type": 5}})
    )
    await wait_for(lambda: events)
    assert events[0].person_type is PersonType.VIP
    assert client.counters.quirks_accepted["other_generation_frame"] == 1
    await _stop(client, task)
