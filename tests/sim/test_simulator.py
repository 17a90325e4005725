"""The box simulator itself, over real loopback sockets."""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import os
import re
import selectors
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

from sophon_sim import BoxSimulator, Faults, Person, PersonKind, SimDevice
from sophon_sim.faults import REST_SHAPES
from sophon_sim.roster import ROSTER

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

pytestmark = pytest.mark.usefixtures("socket_enabled")

LOOPBACK = "127.0.0.1"
REPO = Path(__file__).parents[2]
UUID4 = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
JPEG = b"\xff\xd8\xff"


@pytest.fixture
async def sim() -> AsyncIterator[BoxSimulator]:
    async with BoxSimulator(devices=3, host=LOOPBACK, seed=1) as box:
        yield box


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


class Clients:
    """Open WebSocket clients for a test and close them all at its end."""

    def __init__(self, session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
        self.session, self.sim = session, sim
        self.opened: list[aiohttp.ClientWebSocketResponse] = []

    async def connect(self, **kwargs: Any) -> aiohttp.ClientWebSocketResponse:
        url = f"ws://{LOOPBACK}:{self.sim.ws_port}/"
        ws: aiohttp.ClientWebSocketResponse = await self.session.ws_connect(
            url, max_msg_size=0, **kwargs
        )
        self.opened.append(ws)
        return ws

    async def subscribe(
        self, config: dict[str, Any] | None = None, **kwargs: Any
    ) -> aiohttp.ClientWebSocketResponse:
        """Connect and configure (all devices, all images unless told otherwise)."""
        if config is None:
            config = {
                "need_face": True,
                "need_register": True,
                "event_list": [d.device_id for d in self.sim.devices],
            }
        expected = len(self.sim.subscriptions) + 1
        ws = await self.connect(**kwargs)
        await ws.send_str(json.dumps(config))
        await self.sim.wait_for_subscription(count=expected)
        return ws

    async def close(self) -> None:
        async with asyncio.timeout(10):
            for ws in self.opened:
                await ws.close()


@pytest.fixture
async def clients(session: aiohttp.ClientSession, sim: BoxSimulator) -> AsyncIterator[Clients]:
    result = Clients(session, sim)
    yield result
    await result.close()


async def next_json(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    msg = await ws.receive(timeout=10)
    assert msg.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY), msg
    data = msg.data if isinstance(msg.data, str) else msg.data.decode()
    result: dict[str, Any] = json.loads(data)
    return result


async def get_devices(session: aiohttp.ClientSession, sim: BoxSimulator) -> tuple[int, str]:
    url = f"http://{LOOPBACK}:{sim.rest_port}/SophonDevice/api/Devices"
    async with session.get(url) as resp:
        return resp.status, await resp.text()


async def until(predicate: Callable[[], object], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


def device_items(body: Any) -> list[dict[str, Any]]:
    """Find the device list in any tolerated shape (protocol.md section 1)."""
    if isinstance(body, list):
        return body
    for key in ("data", "devices", "list", "result", "devices_list"):
        if key in body:
            return device_items(body[key])
    raise AssertionError(body)


def item_id(item: dict[str, Any]) -> str | None:
    return next((item[k] for k in ("device_id", "id", "uuid", "deviceId") if k in item), None)


# Devices and REST


def test_generated_devices_are_realistic_and_follow_the_seed() -> None:
    devices = BoxSimulator(devices=8, seed=3).devices
    again = BoxSimulator(devices=8, seed=3).devices
    other = BoxSimulator(devices=8, seed=4).devices
    ids = [d.device_id for d in devices]
    assert ids == [d.device_id for d in again]
    assert ids != [d.device_id for d in other]
    assert len(set(ids)) == 8
    assert all(UUID4.match(i) for i in ids)
    assert {d.device_type for d in devices} == {"0", "1", "3", "4"}
    assert "Gate 1" in [d.name for d in devices]
    assert "前门闸机" in [d.name for d in devices]


async def test_device_list_v5_by_default(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    status, text = await get_devices(session, sim)
    assert status == 200
    items = json.loads(text)["data"]["devices_list"]
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
    status, text = await get_devices(session, sim)
    assert status == 200
    body = json.loads(text)
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


async def test_device_list_faults(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    sim.faults.rest_status = 500
    status, text = await get_devices(session, sim)
    assert status == 500
    assert "<html>" in text
    sim.faults.reset()
    sim.faults.rest_garbage = True
    status, text = await get_devices(session, sim)
    assert status == 200
    with pytest.raises(ValueError):
        json.loads(text)
    sim.faults.reset()
    sim.faults.rest_no_ids = True
    for shape in REST_SHAPES:
        sim.faults.rest_shape = shape
        items = device_items(json.loads((await get_devices(session, sim))[1]))
        assert len(items) == 3
        assert all(item_id(i) is None for i in items)
    sim.faults.reset()
    sim.faults.rest_delay = 0.2
    started = time.monotonic()
    assert (await get_devices(session, sim))[0] == 200
    assert time.monotonic() - started >= 0.19


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
    items = json.loads((await get_devices(session, sim))[1])["data"]["devices_list"]
    ids = [i["device_id"] for i in items]
    assert added.device_id in ids
    assert removed.device_id not in ids
    with pytest.raises(KeyError):
        sim.remove_device(removed.device_id)


# WebSocket configuration


async def test_configuration_is_recorded_and_defaults_push_nothing(
    sim: BoxSimulator, clients: Clients
) -> None:
    quiet = await clients.subscribe({})
    both = await clients.subscribe()
    assert sim.subscriptions[0] == {}
    assert sim.connected_clients == 2
    frame = await sim.push_event()
    assert (await next_json(both))["event_id"] == frame["event_id"]
    await sim.push_raw("sentinel")
    assert (await quiet.receive(timeout=5)).data == "sentinel"
    await quiet.close()
    await both.close()
    await until(lambda: sim.connected_clients == 0)


async def test_event_list_filters_devices(sim: BoxSimulator, clients: Clients) -> None:
    second = sim.devices[1].device_id
    ws = await clients.subscribe({"event_list": [second]})
    await sim.push_event(sim.devices[0].device_id)
    frame = await sim.push_event(second)
    assert (await next_json(ws))["event_id"] == frame["event_id"]


async def test_a_second_configuration_replaces_the_first(
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


async def test_invalid_configurations_are_ignored(
    session: aiohttp.ClientSession, sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.session.ws_connect(f"ws://{LOOPBACK}:{sim.ws_port}/any/path")
    clients.opened.append(ws)
    await ws.send_str("{not json")
    await ws.send_str("[1, 2]")
    await ws.send_str(json.dumps({"event_list": [sim.devices[0].device_id]}))
    await sim.wait_for_subscription()
    assert len(sim.subscriptions) == 1
    frame = await sim.push_event()
    assert (await next_json(ws))["event_id"] == frame["event_id"]
    with pytest.raises(TimeoutError):
        await sim.wait_for_subscription(count=2, timeout=0.05)


async def test_configurations_over_one_mib_close_the_connection(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.connect()
    await ws.send_str(json.dumps({"event_list": ["x" * (1 << 20)]}))
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == aiohttp.WSCloseCode.MESSAGE_TOO_BIG
    assert sim.subscriptions == []


@pytest.mark.parametrize(("face", "register"), [(False, False), (True, False), (False, True)])
async def test_images_follow_need_face_and_need_register(
    sim: BoxSimulator, clients: Clients, face: bool, register: bool
) -> None:
    ids = [d.device_id for d in sim.devices]
    full = await clients.subscribe()
    ws = await clients.subscribe({"need_face": face, "need_register": register, "event_list": ids})
    frame = await sim.push_event(kind=PersonKind.VIP)
    assert await next_json(full) == frame
    got = await next_json(ws)
    assert ("spot_pic" in got["ext_data"]) is face
    assert ("recognize_face" in got["ext_data"]) is face
    assert ("reg_pic" in got) is register
    stripped = {k: v for k, v in frame.items() if k not in ("reg_pic", "ext_data")}
    assert {k: v for k, v in got.items() if k not in ("reg_pic", "ext_data")} == stripped


async def test_event_fields_follow_the_protocol(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
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


@pytest.mark.parametrize("kind", list(PersonKind))
async def test_every_kind_of_person(sim: BoxSimulator, clients: Clients, kind: PersonKind) -> None:
    ws = await clients.subscribe()
    frame = await sim.push_event(kind=kind)
    got = await next_json(ws)
    assert got["ext_data"]["person_type"] == int(kind)
    assert 0 <= got["score"] <= 1
    assert got["timestamp"] > 10**12
    if kind is PersonKind.STRANGER:
        assert (got["identity_id"], got["identity_name"], got["identity_info"]) == ("", "", {})
        assert "reg_pic" not in got
        assert set(sim.images_of(frame["event_id"])) == {"face", "scene"}
    else:
        assert got["identity_id"]
        assert got["identity_name"]
        assert got["identity_info"]["face_ids"]
        assert "reg_pic" in got


async def test_overrides_replace_merge_and_remove(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    await sim.push_event(
        overrides={"group_name": ..., "extra": 1, "ext_data": {"device_ip": "1.2.3.4", "x": 2}}
    )
    got = await next_json(ws)
    assert "group_name" not in got
    assert got["extra"] == 1
    assert got["ext_data"]["device_ip"] == "1.2.3.4"
    assert got["ext_data"]["x"] == 2
    assert "person_type" in got["ext_data"]


# Images


async def test_images_are_real_jpegs_distinct_per_person(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.subscribe()
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


def ext_or_top(frame: dict[str, Any], key: str) -> Any:
    ext = frame.get("ext_data")
    return ext[key] if isinstance(ext, dict) and key in ext else frame.get(key)


def undecodable(text: str) -> bool:
    for validate in (True, False):
        try:
            base64.b64decode(text, validate=validate)
        except binascii.Error:
            continue
        return False
    return True


FAULT_CHECKS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "numbers_as_strings": lambda f: (
        isinstance(f["score"], str)
        and isinstance(f["timestamp"], str)
        and f["ext_data"]["person_type"] == "2"
    ),
    "device_type_int": lambda f: isinstance(f["ext_data"]["device_type"], int),
    "omit_person_type": lambda f: "person_type" not in f["ext_data"],
    "person_type_out_of_range": lambda f: f["ext_data"]["person_type"] == 9,
    "timestamp_seconds": lambda f: 10**9 < f["timestamp"] < 10**11,
    "null_fields": lambda f: f["score"] is None and f["identity_info"] is None,
    "wrong_types": lambda f: isinstance(f["identity_info"], str) and isinstance(f["score"], list),
    "extension_top_level": lambda f: all(
        k in f and k not in f["ext_data"] for k in ("person_type", "device_type", "spot_pic")
    ),
    "unknown_fields": lambda f: "x_box_serial" in f and "x_future_field" in f["ext_data"],
    "bad_base64": lambda f: undecodable(f["reg_pic"]) and undecodable(f["ext_data"]["spot_pic"]),
    "non_jpeg_image": lambda f: (
        not base64.b64decode(f["ext_data"]["recognize_face"]).startswith(JPEG)
    ),
    "greeter_mode": lambda f: "spot_pic" not in f["ext_data"] and "recognize_face" in f["ext_data"],
    "drop_event_id": lambda f: "event_id" not in f and "video_id" not in f,
}


@pytest.mark.parametrize("fault", list(FAULT_CHECKS))
async def test_event_faults(sim: BoxSimulator, clients: Clients, fault: str) -> None:
    ws = await clients.subscribe()
    setattr(sim.faults, fault, True)
    frame = await sim.push_event(kind=PersonKind.VISITOR)
    got = await next_json(ws)
    assert got == frame
    assert FAULT_CHECKS[fault](got)
    sim.faults.reset()
    assert sim.faults == Faults()
    await sim.push_event(kind=PersonKind.VISITOR)
    assert (await next_json(ws))["ext_data"]["person_type"] == 2


async def test_image_faults_show_in_images_of(sim: BoxSimulator, clients: Clients) -> None:
    await clients.subscribe()
    sim.faults.bad_base64 = True
    assert sim.images_of((await sim.push_event(kind=PersonKind.VIP))["event_id"]) == {}
    sim.faults.reset()
    sim.faults.non_jpeg_image = True
    images = sim.images_of((await sim.push_event(kind=PersonKind.VIP))["event_id"])
    assert set(images) == {"face", "scene", "registered"}
    assert not any(data.startswith(JPEG) for data in images.values())


async def test_unknown_device_reaches_every_configured_connection(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.subscribe({"event_list": [sim.devices[2].device_id]})
    sim.faults.unknown_device = True
    frame = await sim.push_event()
    got = await next_json(ws)
    assert got["device_id"] == frame["device_id"]
    assert UUID4.match(got["device_id"])
    assert got["device_id"] not in {d.device_id for d in sim.devices}


async def test_binary_frames_and_invalid_json(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    sim.faults.binary_frames = True
    frame = await sim.push_event()
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.BINARY
    assert json.loads(msg.data.decode("utf-8")) == frame
    sim.faults.reset()
    sim.faults.invalid_json_every = 2
    texts = []
    for _ in range(4):
        await sim.push_event()
        texts.append((await ws.receive(timeout=5)).data)
    broken = []
    for text in texts:
        try:
            json.loads(text)
        except ValueError:
            broken.append(text)
    assert broken == [texts[1], texts[3]]


async def test_huge_frame(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    sim.faults.huge_frame_bytes = 16 * 1024 * 1024
    frame = await sim.push_event()
    msg = await ws.receive(timeout=30)
    assert len(msg.data) >= 16 * 1024 * 1024
    assert json.loads(msg.data)["event_id"] == frame["event_id"]


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


async def test_pings_are_answered_unless_silent(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe(autoping=False)
    await ws.ping(b"hello")
    msg = await ws.receive(timeout=5)
    assert (msg.type, msg.data) == (aiohttp.WSMsgType.PONG, b"hello")
    sim.faults.silent = True
    await ws.ping(b"anyone?")
    await sim.push_event()
    assert await sim.push_raw("x") == 0
    with pytest.raises(TimeoutError):
        await ws.receive(timeout=0.3)
    await ws.close()
    assert ws.closed


async def test_close_connections_is_clean(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    await sim.close_connections()
    msg = await ws.receive(timeout=5)
    assert msg.type is aiohttp.WSMsgType.CLOSE
    assert msg.data == 1000
    await until(lambda: sim.connected_clients == 0)


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
    config = b"{}"
    writer.write(bytes([0x81, 0x80 | len(config)]) + b"\0\0\0\0" + config)  # masked, zero key
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
    await until(lambda: sim.connected_clients == 0)


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
        await get_devices(session, sim)
    await until(lambda: sim.listening[0])
    assert sim.listening == (True, False)
    assert (await get_devices(session, sim))[0] == 200
    await sim.wait_listening(timeout=5)
    await clients.subscribe()
    assert (sim.rest_port, sim.ws_port) == ports


async def test_push_many_sends_each_event_once_in_order(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.subscribe()
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


async def test_free_running_mode(sim: BoxSimulator, clients: Clients) -> None:
    ws = await clients.subscribe()
    sim.run(rate=200.0, max_events=5)
    events = [await next_json(ws) for _ in range(5)]
    assert len({e["event_id"] for e in events}) == 5
    assert {e["device_id"] for e in events} <= {d.device_id for d in sim.devices}
    await sim.stop_running()


async def test_custom_devices_and_people(session: aiohttp.ClientSession) -> None:
    device = SimDevice("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d", "Side door", "10.0.0.7", "4")
    guest = Person("777", "Zoë", PersonKind.VISITOR, "visitors", {"note": "x"})
    async with BoxSimulator(devices=[device], host=LOOPBACK) as box:
        box_clients = Clients(session, box)
        ws = await box_clients.subscribe()
        await box.push_event(person=guest)
        got = await next_json(ws)
        assert (got["identity_name"], got["identity_info"]) == ("Zoë", {"note": "x"})
        assert got["ext_data"]["device_type"] == "4"
        assert box.images_of(got["event_id"])["face"].startswith(JPEG)
        await box_clients.close()
    assert box.listening == (False, False)


def test_only_loopback_and_known_protocols() -> None:
    with pytest.raises(ValueError, match="loopback"):
        BoxSimulator(host="10.0.0.1")
    with pytest.raises(ValueError, match="protocol"):
        BoxSimulator(protocol="3.0")


# Command line


def read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        assert selector.select(timeout), "no output from the simulator"
    return proc.stdout.readline()


def test_command_line_starts_serves_and_stops() -> None:
    command = [sys.executable, "-m", "sophon_sim", "--rest-port", "0", "--ws-port", "0"]
    command += ["--devices", "2", "--rate", "20", "--seed", "5"]
    proc = subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, text=True)  # noqa: S603
    try:
        first = read_line(proc, 20)
        match = re.search(r"rest_port=(\d+) ws_port=(\d+)", first)
        assert match, first
        url = f"http://{LOOPBACK}:{match[1]}/SophonDevice/api/Devices"
        with urllib.request.urlopen(url, timeout=5) as resp:
            assert len(json.load(resp)["data"]["devices_list"]) == 2
        lines = [read_line(proc, 10) for _ in range(3)]
        assert all(" device " in line for line in lines[:2])
        assert "person" in lines[2]
        proc.send_signal(signal.SIGTERM)
        output, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0
    assert "sophon_sim stopped" in output
    assert "secret123" not in first + output


def test_command_line_refuses_other_hosts() -> None:
    command = [sys.executable, "-m", "sophon_sim", "--host", "192.0.2.1"]
    done = subprocess.run(  # noqa: S603
        command, cwd=REPO, capture_output=True, text=True, timeout=20, check=False
    )
    assert done.returncode == 2
    assert "loopback" in done.stderr


def test_faults_can_be_set_from_text() -> None:
    faults = Faults()
    faults.set("silent")
    faults.set("rest_shape", "alt_keys")
    faults.set("rest_status", "503")
    faults.set("rest_delay", "0.5")
    faults.set("huge_frame_bytes", "1024")
    faults.set("binary_frames", "false")
    assert (faults.silent, faults.rest_shape, faults.rest_status) == (True, "alt_keys", 503)
    assert (faults.rest_delay, faults.huge_frame_bytes, faults.binary_frames) == (0.5, 1024, False)
    with pytest.raises(ValueError, match="unknown fault"):
        faults.set("nope")
    with pytest.raises(ValueError, match="rest_shape"):
        faults.set("rest_shape", "xml")
    faults.reset()
    assert faults == Faults()
