"""The box simulator speaking generation 1.0 (firmware V5), over real loopback sockets."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import urllib.request
from typing import Any

import aiohttp
import pytest

from sophon_sim import BoxSimulator, Person, PersonType, SimDevice
from sophon_sim.faults import REST_SHAPES
from sophon_sim.roster import ROSTER
from tests.conftest import LOOPBACK, wait_for
from tests.sim.conftest import (
    Clients,
    command_line,
    device_items,
    device_list,
    next_json,
    read_line,
    stop,
)
from tests.sim.generations import JPEG


@pytest.fixture
def generation() -> str:
    """Speak 1.0 in every test of this module."""
    return "1.0"


def item_id(item: dict[str, Any]) -> str | None:
    return next((item[k] for k in ("device_id", "id", "uuid", "deviceId") if k in item), None)


# Devices and REST


async def test_device_list_v5_by_default(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    answer = await device_list(session, sim)
    assert answer.status == 200
    items = json.loads(answer.body)["data"]["devices_list"]
    assert [i["device_id"] for i in items] == [d.device_id for d in sim.devices]
    first = items[0]
    assert set(first) == {
        "device_id",
        "device_name",
        "device_ip",
        "device_type",
        "device_key",
        "group_id",
        "permission_id",
    }
    assert first["device_key"] == f"rtsp://admin:secret123@{first['device_ip']}/stream1"
    assert sim.rest_requests == 1


@pytest.mark.parametrize("shape", REST_SHAPES)
async def test_device_list_shapes(
    session: aiohttp.ClientSession, sim: BoxSimulator, shape: str
) -> None:
    sim.faults.rest_shape = shape
    answer = await device_list(session, sim)
    assert answer.status == 200
    body = json.loads(answer.body)
    items = device_items(body)
    assert [item_id(i) for i in items] == [d.device_id for d in sim.devices]
    if shape == "bare_list":
        assert isinstance(body, list)
    if shape == "data_list":
        assert body["code"] == 0
        assert isinstance(body["data"]["list"], list)
    if shape == "alt_keys":
        keys = set().union(*items)
        assert {"id", "deviceId", "name", "deviceName", "ip", "deviceIp", "type"} <= keys
        assert "device_id" not in keys
        assert "online_status" in keys


async def test_device_list_without_ids_in_every_shape(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    sim.faults.rest_no_ids = True
    for shape in REST_SHAPES:
        sim.faults.rest_shape = shape
        items = device_items(json.loads((await device_list(session, sim)).body))
        assert len(items) == len(sim.devices)
        assert all(item_id(i) is None for i in items)


async def test_unknown_paths_are_404(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    base = f"http://{LOOPBACK}:{sim.rest_port}"
    async with session.get(f"{base}/SophonDevice/api/Other") as resp:
        assert resp.status == 404
    async with session.post(f"{base}/SophonDevice/api/Devices", json={}) as resp:
        assert resp.status == 404


async def test_added_and_removed_devices_show_in_the_list(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    added = sim.add_device(
        SimDevice("3f0b5a9e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "New gate", "10.1.1.9")
    )
    removed = sim.remove_device(sim.devices[0].device_id)
    items = json.loads((await device_list(session, sim)).body)["data"]["devices_list"]
    ids = [i["device_id"] for i in items]
    assert added.device_id in ids
    assert removed.device_id not in ids
    with pytest.raises(KeyError):
        sim.remove_device(removed.device_id)


# WebSocket subscription


async def test_a_second_subscription_replaces_the_first(
    sim: BoxSimulator, clients: Clients
) -> None:
    first, second = sim.devices[0].device_id, sim.devices[1].device_id
    ws = await clients.subscribe({"event_list": [first]})
    await ws.send_str(json.dumps({"event_list": [second]}))
    await sim.wait_for_subscription(count=2)
    await sim.push_event(first)
    frame = await sim.push_event(second)
    assert (await next_json(ws))["event_id"] == frame["event_id"]
    assert sim.subscriptions == [{"event_list": [first]}, {"event_list": [second]}]


async def test_subscriptions_over_one_mib_close_the_connection(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.connect()
    await ws.send_str(json.dumps({"event_list": ["x" * (1 << 20)]}))
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    assert sim.subscriptions == []


async def test_event_fields_follow_generation_1_0(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    person = ROSTER[0]
    frame = await sim.push_event(
        person=person, score=0.6231614351272583, timestamp_ms=1566016554020
    )
    got = await next_json(ws)
    assert got == frame
    assert got["identity_id"] == "666666"
    assert got["identity_name"] == "小明"
    assert got["identity_info"] == person.info
    assert set(got["identity_info"]) >= {"image_id", "permission_ids", "face_ids", "ext_info"}
    assert got["device_id"] == sim.devices[0].device_id
    assert got["timestamp"] == 1566016554020
    assert got["score"] == 0.6231614351272583
    assert got["group_name"] == "default_group"
    ext = got["ext_data"]
    assert ext["person_type"] == 1
    assert ext["device_type"] == sim.devices[0].device_type
    assert ext["device_ip"] == sim.devices[0].ip
    assert isinstance(ext["grab_fiqa_info"], dict)
    assert isinstance(ext["box_fiqa_info"], dict)
    assert got["event_id"] == "1000001"
    assert got["video_id"]
    later = [await sim.push_event() for _ in range(3)]
    assert [int(f["event_id"]) for f in later] == [1000002, 1000003, 1000004]
    assert [s for s, _ in sim.sent] == [1000001, 1000002, 1000003, 1000004]


# Images


async def test_images_are_real_jpegs_distinct_per_person(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    first = await sim.push_event(person=ROSTER[0])
    again = await sim.push_event(person=ROSTER[0])
    other = await sim.push_event(person=ROSTER[4])
    got = await next_json(ws)
    images = sim.images_of(first["event_id"])
    assert set(images) == {"face", "scene", "registered"}
    assert all(data.startswith(JPEG) for data in images.values())
    assert base64.b64decode(got["ext_data"]["recognize_face"]) == images["face"]
    assert base64.b64decode(got["ext_data"]["spot_pic"]) == images["scene"]
    assert base64.b64decode(got["reg_pic"]) == images["registered"]
    assert 2_000 < len(images["face"]) < 30_000
    assert 50_000 < len(images["scene"]) < 400_000
    assert images["face"] != images["registered"]
    assert sim.images_of(again["event_id"]) == images
    other_images = sim.images_of(other["event_id"])
    assert other_images["face"] != images["face"]
    assert other_images["registered"] != images["registered"]
    assert sim.images_of("no-such-event") == {}


# Faults on the event content


@pytest.mark.usefixtures("ws")
async def test_image_faults_show_in_images_of(sim: BoxSimulator) -> None:
    sim.faults.bad_base64 = True
    assert sim.images_of((await sim.push_event(person_type=PersonType.VIP))["event_id"]) == {}
    sim.faults.reset()
    sim.faults.non_jpeg_image = True
    images = sim.images_of((await sim.push_event(person_type=PersonType.VIP))["event_id"])
    assert set(images) == {"face", "scene", "registered"}
    assert not any(data.startswith(JPEG) for data in images.values())


# Raw frames and connection faults


@pytest.mark.parametrize("raw", ["[1,2]", "42", "null", "", b"\xff\xfe\xfa"])
async def test_push_raw_sends_exactly_that(
    sim: BoxSimulator, clients: Clients, raw: str | bytes
) -> None:
    ws = await clients.subscribe({"event_list": []})
    assert await sim.push_raw(raw) == 1
    msg = await ws.receive(timeout=5)
    expected = aiohttp.WSMsgType.BINARY if isinstance(raw, bytes) else aiohttp.WSMsgType.TEXT
    assert (msg.type, msg.data) == (expected, raw)


async def test_close_connections_is_clean(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    await sim.close_connections()
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == 1000
    await wait_for(lambda: sim.connected_clients == 0)


async def test_abort_mid_frame_sends_half_a_frame_then_drops_the_connection(
    sim: BoxSimulator,
) -> None:
    reader, writer = await asyncio.open_connection(LOOPBACK, sim.ws_port)
    key = base64.b64encode(os.urandom(16)).decode()
    writer.write(
        (
            f"GET / HTTP/1.1\r\nHost: {LOOPBACK}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101")
    subscription = b"{}"
    writer.write(
        bytes([0x81, 0x80 | len(subscription)]) + b"\0\0\0\0" + subscription
    )  # masked, zero key
    await sim.wait_for_subscription()
    await sim.abort_mid_frame()
    data = b""
    try:
        async with asyncio.timeout(5):
            while chunk := await reader.read(65536):
                data += chunk
    except ConnectionResetError:
        pass
    writer.close()
    assert data.startswith(b"\x81\x7e\x03\xe8")
    assert 4 < len(data) < 1004
    await wait_for(lambda: sim.connected_clients == 0)


async def test_refused_then_listening_again_on_the_same_port(
    session: aiohttp.ClientSession, sim: BoxSimulator, clients: Clients
) -> None:
    port = sim.ws_port
    open_ws = await clients.subscribe()
    sim.stop_ws_listener()
    assert sim.listening == (True, False)
    with pytest.raises(aiohttp.ClientConnectorError):
        await session.ws_connect(f"ws://{LOOPBACK}:{port}/")
    frame = await sim.push_event()
    assert (await next_json(open_ws))["event_id"] == frame["event_id"]
    await sim.start_ws_listener()
    assert sim.ws_port == port
    await clients.subscribe()
    await sim.refuse_connections(2.0)  # long enough that a stalled loop cannot outlast it
    with pytest.raises(aiohttp.ClientConnectorError):
        await session.ws_connect(f"ws://{LOOPBACK}:{port}/")
    await sim.wait_listening(timeout=5)
    await clients.subscribe()
    assert sim.ws_port == port


async def test_reboot_drops_everything_and_comes_back(
    session: aiohttp.ClientSession, sim: BoxSimulator, clients: Clients
) -> None:
    ports = (sim.rest_port, sim.ws_port)
    ws = await clients.subscribe()
    # Windows long enough that a garbage collection cannot skip a stage.
    await sim.reboot(rest_down=1.0, ws_down=3.0)
    msg = await ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert sim.listening == (False, False)
    with pytest.raises(aiohttp.ClientConnectorError):
        await device_list(session, sim)
    await wait_for(lambda: sim.listening[0])
    assert sim.listening == (True, False)
    assert (await device_list(session, sim)).status == 200
    await sim.wait_listening(timeout=5)
    await clients.subscribe()
    assert (sim.rest_port, sim.ws_port) == ports


async def test_push_many_sends_each_event_once_in_order(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    ids = await sim.push_many(2500)
    received = [(await next_json(ws))["event_id"] for _ in ids]
    assert received == ids
    assert len(set(ids)) == 2500
    assert len(sim.sent) == 1000
    assert sim.sent[-1][0] == int(ids[-1])
    assert "reg_pic" not in sim.sent[-1][1]
    assert sim.images_of(ids[-1]) == {}
    for event_id in await sim.push_many(2, images=True):
        got = await next_json(ws)
        assert got["event_id"] == event_id
        assert "recognize_face" in got["ext_data"]
        assert set(sim.images_of(event_id)) >= {"face", "scene"}


async def test_custom_devices_and_people(session: aiohttp.ClientSession) -> None:
    device = SimDevice("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Side door", "10.0.0.7", "4")
    guest = Person("777", "Zoë", PersonType.VISITOR, "visitors", {"note": "x"})
    async with (
        BoxSimulator(devices=[device], host=LOOPBACK) as box,
        Clients(session, box) as box_clients,
    ):
        ws = await box_clients.subscribe()
        await box.push_event(person=guest)
        got = await next_json(ws)
        assert (got["identity_name"], got["identity_info"]) == ("Zoë", {"note": "x"})
        assert got["ext_data"]["device_type"] == "4"
        assert box.images_of(got["event_id"])["face"].startswith(JPEG)
    assert box.listening == (False, False)


# Command line


def test_command_line_starts_serves_and_stops() -> None:
    with command_line("--devices", "2", "--rate", "20", "--seed", "5") as proc:
        first = read_line(proc, 20)
        match = re.search(r"rest_port=(\d+) ws_port=(\d+)", first)
        assert match, first
        url = f"http://{LOOPBACK}:{match[1]}/SophonDevice/api/Devices"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert len(json.load(resp)["data"]["devices_list"]) == 2
        lines = [read_line(proc, 10) for _ in range(3)]
        assert all(" device " in line for line in lines[:2])
        assert "person" in lines[2]
        output = stop(proc)
    assert "secret123" not in first + output
