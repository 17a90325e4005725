"""The box simulator speaking generation 2.0 (firmware V6), over real loopback sockets."""

from __future__ import annotations

import base64
import json
import re
import urllib.request
from typing import Any

import aiohttp
import pytest

from sophon_sim import BoxSimulator, Faults, Person, PersonType
from sophon_sim.roster import ROSTER
from tests.conftest import LOOPBACK, wait_for
from tests.sim.conftest import (
    UUID4,
    V2,
    Clients,
    command_line,
    get_event,
    next_json,
    post,
    read_line,
    stop,
)
from tests.sim.generations import ATTRIBUTE_KEYS, JPEG, USER_TYPES, unuri

HEX32 = re.compile(r"^[0-9a-f]{32}$")
V1_DEVICES = "/SophonDevice/api/Devices"


@pytest.fixture
def generation() -> str:
    """Speak 2.0 in every test of this module."""
    return "2.0"


async def media_devices(
    session: aiohttp.ClientSession, sim: BoxSimulator, body: Any = None, **kwargs: Any
) -> Any:
    status, text = await post(session, sim.rest_port, f"{V2}/getmediadevices", body or {}, **kwargs)
    assert status == 200, text
    return json.loads(text)


async def get_bytes(
    session: aiohttp.ClientSession, url: str, method: str = "GET", **kwargs: Any
) -> tuple[int, str, bytes]:
    async with session.request(method, url, **kwargs) as resp:
        return resp.status, resp.content_type, await resp.read()


# Devices


def test_generated_devices_have_2_0_media_types() -> None:
    devices = BoxSimulator(devices=8, generation="2.0", seed=3).devices
    assert [d.device_id for d in devices] == [
        d.device_id for d in BoxSimulator(devices=8, seed=3).devices
    ]
    by_type = {d.device_type: d.media_type for d in devices[:3]}
    assert by_type == {"0": "photo", "1": "photo", "3": "rtsp"}
    assert {d.media_type for d in devices[:4]} >= {"gb28181"}
    assert {d.media_type for d in devices} == {"photo", "rtsp", "gb28181", "file"}


async def test_device_list_needs_the_json_content_type(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    path = f"{V2}/getmediadevices"
    for content_type in (None, "text/plain", "application/x-www-form-urlencoded"):
        status, text = await post(session, sim.rest_port, path, {}, content_type=content_type)
        assert status == 200
        error = json.loads(text)["error"]
        assert error["code"] == "UNSUPPORT_CONTENT_TYPE"
        assert error["message"]
    for content_type in ("application/json", "application/json; charset=utf-8"):
        body = await media_devices(session, sim, content_type=content_type)
        assert len(body["devices"]) == 4
    status, text = await post(session, sim.rest_port, path, None)
    assert len(json.loads(text)["devices"]) == 4
    status, text = await post(session, sim.rest_port, path, [1, 2])
    assert json.loads(text)["error"]["code"] == "INVALID_ARGUMENTS"
    url = f"http://{LOOPBACK}:{sim.rest_port}{path}"
    headers = {"Content-Type": "application/json"}
    async with session.post(url, data=b"{not json", headers=headers) as resp:
        assert (await resp.json())["error"]["code"] == "INVALID_ARGUMENTS"


async def test_device_list_items(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    body = await media_devices(session, sim)
    assert set(body) == {"devices"}
    items = body["devices"]
    assert [i["media_device_id"] for i in items] == [d.device_id for d in sim.devices]
    assert all(UUID4.match(i["media_device_id"]) for i in items)
    required = {
        "media_device_id",
        "media_device_name",
        "media_device_type",
        "media_device_url",
        "media_device_ip",
        "permission_id",
        "net_relay",
        "media_device_status",
        "addtime",
    }
    assert all(required <= set(i) for i in items)
    by_type = {i["media_device_type"]: i for i in items}
    assert set(by_type) == {"photo", "rtsp", "gb28181"}
    rtsp = by_type["rtsp"]
    assert rtsp["media_device_url"] == f"rtsp://admin:secret123@{rtsp['media_device_ip']}/stream1"
    gate = items[0]
    assert (gate["media_device_name"], gate["media_device_type"]) == ("Gate 1", "photo")
    assert gate["media_device_url"] == gate["media_device_ip"]
    assert set(gate["net_relay"]) == {"ip", "port", "channel", "delay_time"}
    assert items[1]["net_relay"] == {}
    assert {i["media_device_status"] for i in items} == {"online"}
    one = await media_devices(session, sim, {"media_device_id": sim.devices[2].device_id})
    assert one == {"devices": [items[2]]}
    assert await media_devices(session, sim, {"media_device_id": "nope"}) == {"devices": []}


async def test_each_generation_404s_the_others_calls(session: aiohttp.ClientSession) -> None:
    async with (
        BoxSimulator(devices=2, generation="2.0", host=LOOPBACK) as v2,
        BoxSimulator(devices=2, generation="1.0", host=LOOPBACK) as v1,
    ):
        async with session.get(f"http://{LOOPBACK}:{v2.rest_port}{V1_DEVICES}") as resp:
            assert resp.status == 404
        status, _ = await post(session, v1.rest_port, f"{V2}/getmediadevices", {})
        assert status == 404
        status, _ = await post(session, v1.rest_port, f"{V2}/getevent", {"event_id": "1"})
        assert status == 404
        async with session.get(f"http://{LOOPBACK}:{v2.rest_port}{V2}/getmediadevices") as resp:
            assert resp.status == 404
        async with session.get(f"http://{LOOPBACK}:{v1.rest_port}{V1_DEVICES}") as resp:
            assert resp.status == 200


async def test_device_list_error_faults(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    sim.faults.init_error = True
    error = (await media_devices(session, sim))["error"]
    assert error["code"] == "DEVICE_INIT_ERROR"
    assert error["message"]
    sim.faults.error_code_int = True
    assert (await media_devices(session, sim))["error"]["code"] == 1001
    sim.faults.reset()
    sim.faults.error_code_int = True
    assert (await media_devices(session, sim))["error"]["code"] == 1001
    path = f"{V2}/getmediadevices"
    _, text = await post(session, sim.rest_port, path, {}, content_type=None)
    assert isinstance(json.loads(text)["error"]["code"], int)
    sim.faults.reset()
    sim.faults.rest_no_ids = True
    items = (await media_devices(session, sim))["devices"]
    assert len(items) == 4
    assert not any("media_device_id" in i for i in items)


# Events by id and their pictures


async def test_getevent_then_getspotimage_round_trip(
    session: aiohttp.ClientSession, sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    frame = await sim.push_event(person=ROSTER[8], score=0.8205, timestamp_ms=1764145812345)
    assert await next_json(ws) == frame
    record = await get_event(session, sim, frame["event_id"])
    assert record["event_id"] == frame["event_id"]
    assert isinstance(record["timestamp"], float)
    assert abs(record["timestamp"] * 1000 - 1764145812345) < 1
    assert record["media_device_id"] == sim.devices[0].device_id
    assert record["media_device_info"]["media_device_id"] == sim.devices[0].device_id
    assert (record["identity_id"], record["identity_name"]) == ("50000008", "Alice Zhang")
    assert (record["user_type"], record["score"]) == ("vip", 82.05)
    assert record["spot_image_id"]
    images = sim.images_of(frame["event_id"])
    spot = f"http://{LOOPBACK}:{sim.rest_port}{V2}/getspotimage/{record['spot_image_id']}"
    stamp = {"timestamp": str(record["timestamp"])}
    for method in ("GET", "POST"):
        status, content_type, data = await get_bytes(session, spot, method, params=stamp)
        assert (status, content_type) == (200, "image/jpeg")
        assert data == images["scene"]
    assert data.startswith(JPEG)
    assert 50_000 < len(data) < 400_000
    face = spot.replace(record["spot_image_id"], record["recognize_face_image_id"])
    assert (await get_bytes(session, face, params=stamp))[2] == images["face"]
    assert (await get_bytes(session, spot))[0] == 404
    assert (await get_bytes(session, spot, params={"timestamp": "soon"}))[0] == 404
    milliseconds = {"timestamp": str(1764145812345)}
    assert (await get_bytes(session, spot, params=milliseconds))[0] == 404
    assert (await get_bytes(session, spot + "0", params=stamp))[0] == 404
    register = f"http://{LOOPBACK}:{sim.rest_port}{V2}/getregisterimage/"
    status, content_type, data = await get_bytes(session, register + record["register_image_id"])
    assert (status, content_type, data) == (200, "image/jpeg", images["registered"])
    assert (await get_bytes(session, register + "no-such-image"))[0] == 404


async def test_getevent_errors_and_strangers(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    error = (await get_event(session, sim, "1234.5678"))["error"]
    assert error["code"] == "EVENT_NOT_FOUND"
    assert "1234.5678" in error["message"]
    _, text = await post(session, sim.rest_port, f"{V2}/getevent", {})
    assert json.loads(text)["error"]["code"] == "MISSING_ARGUMENTS"
    frame = await sim.push_event(person_type=PersonType.STRANGER)
    _, text = await post(
        session, sim.rest_port, f"{V2}/getevent", {"event_id": frame["event_id"]}, None
    )
    assert json.loads(text)["error"]["code"] == "UNSUPPORT_CONTENT_TYPE"
    record = await get_event(session, sim, frame["event_id"])
    assert (record["identity_id"], record["user_type"], record["register_image_id"]) == (
        "",
        "stranger",
        "",
    )
    assert set(sim.images_of(frame["event_id"])) == {"face", "scene"}


async def test_getevent_answers_for_every_kept_event(session: aiohttp.ClientSession) -> None:
    async with BoxSimulator(devices=1, generation="2.0", host=LOOPBACK, history_keep=1001) as box:
        ids = await box.push_many(1002)
        assert (await get_event(session, box, ids[0]))["error"]["code"] == "EVENT_NOT_FOUND"
        for event_id in (ids[1], ids[-1]):  # ids[1]: older than the last 1000 frames sent
            record = await get_event(session, box, event_id)
            assert record["event_id"] == event_id
            assert record["spot_image_id"] == record["recognize_face_image_id"] == ""
            assert box.images_of(event_id) == {}


async def test_custom_people_have_registered_photos(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    guest = Person("777", "Zoë", PersonType.VISITOR, "visitors", {"note": "x"})
    frame = await sim.push_event(person=guest)
    record = await get_event(session, sim, frame["event_id"])
    assert record["register_image_id"] == guest.image_id
    url = f"http://{LOOPBACK}:{sim.rest_port}{V2}/getregisterimage/{guest.image_id}"
    assert (await get_bytes(session, url))[2] == sim.images_of(frame["event_id"])["registered"]


async def test_every_media_type_has_its_url(session: aiohttp.ClientSession) -> None:
    async with BoxSimulator(devices=8, generation="2.0", host=LOOPBACK, seed=2) as box:
        items = (await media_devices(session, box))["devices"]
    urls = {i["media_device_type"]: i["media_device_url"] for i in items}
    assert urls["file"].endswith(".mp4")
    assert urls["gb28181"].startswith("gb28181://")
    assert urls["rtsp"].startswith("rtsp://admin:secret123@")
    photos = [i for i in items if i["media_device_type"] == "photo"]
    assert all(i["media_device_url"] == i["media_device_ip"] for i in photos)


# Firmware version port


async def test_version_port_in_both_generations(session: aiohttp.ClientSession) -> None:
    async with (
        BoxSimulator(devices=1, generation="1.0", host=LOOPBACK) as v1,
        BoxSimulator(devices=1, generation="2.0", host=LOOPBACK) as v2,
    ):
        assert v1.version_port not in (0, v1.rest_port, v1.ws_port)
        url1 = f"http://{LOOPBACK}:{v1.version_port}/SophonSystem/api/systemVersion"
        async with session.get(url1) as resp:
            data = (await resp.json())["data"]
        assert data["version"] == "V5R3C01_686e472"
        assert isinstance(data["mcu_version"], str)
        assert isinstance(data["details"], dict)
        path2 = "/sophon/v2/system/getsoftwareversion"
        assert (await post(session, v1.version_port, path2))[0] == 404
        status, text = await post(session, v2.version_port, path2, content_type=None)
        body = json.loads(text)
        assert status == 200
        assert set(body) == {"app_version_details", "app_gate_version", "nnsdk_version"}
        assert body["app_version_details"] == "V6R2C01_9f3c2a1"
        async with session.get(
            f"http://{LOOPBACK}:{v2.version_port}/SophonSystem/api/systemVersion"
        ) as resp:
            assert resp.status == 404
        v2.firmware_version = "V6R1C01_0123abc"
        assert json.loads((await post(session, v2.version_port, path2))[1]) == {
            **body,
            "app_version_details": "V6R1C01_0123abc",
        }
        v1.faults.version_down = True
        v2.faults.version_down = True
        async with session.get(url1) as resp:
            assert resp.status == 500
        assert (await post(session, v2.version_port, path2))[0] == 500


# WebSocket subscription and frames


@pytest.mark.parametrize(
    "person_type", list(PersonType), ids=lambda person_type: person_type.name.lower()
)
async def test_frames_follow_generation_2_0(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse, person_type: PersonType
) -> None:
    device = sim.devices[3]
    frame = await sim.push_event(device.device_id, person_type=person_type, score=0.8205)
    got = await next_json(ws)
    assert got == frame
    assert got["score"] == 82.05
    assert got["user_type"] == person_type.name.lower()
    assert isinstance(got["timestamp"], int)
    assert got["timestamp"] > 10**12
    assert (got["media_device_id"], got["media_device_ip"]) == (device.device_id, device.ip)
    assert got["media_device_type"] == device.media_type == "gb28181"
    images = sim.images_of(got["event_id"])
    assert unuri(got["recognize_face_image"]) == images["face"]
    assert images["face"].startswith(JPEG)
    assert images["scene"].startswith(JPEG)
    assert base64.b64encode(images["scene"]).decode() not in json.dumps(got)
    for old in ("device_id", "ext_data", "reg_pic", "spot_pic", "identity_info", "group_name"):
        assert old not in got
    attrs = got["recognize_face_attr"]
    assert set(attrs) == ATTRIBUTE_KEYS
    assert attrs["gender"] in ("male", "female")
    assert attrs["age"] in ("child", "juvenile", "youth", "middle-aged", "aged")
    assert attrs["mask"] in ("yes", "no")
    assert attrs["glasses"] in ("yes", "no")
    assert attrs["hat"] is None
    assert len(attrs["box"]) == 4
    assert attrs["box"][0] < attrs["box"][2]
    assert len(attrs["point"]) == 10
    assert all(isinstance(v, float) for v in attrs["box"] + attrs["point"])
    templates = sim.templates_of(got["event_id"])
    assert templates == [attrs["feature_binary"], attrs["feature_base64_str"]]
    for template in templates:
        raw = base64.b64decode(template, validate=True)
        assert raw.startswith(f"TEMPLATE-{sim.sent[-1][0]}-".encode())
        assert 600 <= len(raw) <= 800


async def test_event_ids_are_unique_and_increasing(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    ids = await sim.push_many(5, images=True)
    frames = [await next_json(ws) for _ in ids]
    assert [f["event_id"] for f in frames] == ids
    assert all(isinstance(i, str) for i in ids)
    assert len(set(ids)) == 5
    assert ids == sorted(ids)
    assert [float(i) for i in ids] == sorted(float(i) for i in ids)
    assert sim.last_event_id == ids[-1]
    templates = [t for i in ids for t in sim.templates_of(i)]
    assert len(set(templates)) == 10
    first = await sim.push_event()
    second = await sim.push_event()
    assert float(first["event_id"]) < float(second["event_id"])


# Faults


async def test_score_out_of_range_goes_both_ways(sim: BoxSimulator) -> None:
    sim.faults.score_out_of_range = True
    scores = {(await sim.push_event())["score"] for _ in range(2)}
    assert scores == {104.5, -3.0}


async def test_hex_ids_in_the_device_list_and_frames(session: aiohttp.ClientSession) -> None:
    async with (
        BoxSimulator(devices=3, generation="2.0", host=LOOPBACK, seed=1, hex_ids=True) as box,
        Clients(session, box) as box_clients,
    ):
        items = (await media_devices(session, box))["devices"]
        ids = [i["media_device_id"] for i in items]
        assert all(HEX32.match(i) for i in ids)
        assert ids == [d.device_id for d in box.devices]
        ws = await box_clients.subscribe({"media_device_ids": ids})
        frame = await box.push_event(ids[1])
        assert (await next_json(ws))["media_device_id"] == ids[1] == frame["media_device_id"]
        box.faults.unknown_device = True
        stranger = await box.push_event()
        got = await next_json(ws)
        assert got["media_device_id"] == stranger["media_device_id"]
        assert HEX32.match(got["media_device_id"])
        assert got["media_device_id"] not in ids


def test_new_faults_can_be_set_from_text() -> None:
    faults = Faults()
    for name in (
        "init_error",
        "error_code_int",
        "version_down",
        "v1_leftovers",
        "bare_base64_images",
        "empty_images",
        "png_data_uri",
        "user_type_case",
        "user_type_unknown",
        "score_out_of_range",
        "null_attributes",
        "no_attributes",
    ):
        faults.set(name)
        assert getattr(faults, name) is True
        faults.set(name, "off")
        assert getattr(faults, name) is False


# Switching the firmware generation at runtime


async def test_set_generation_switches_everything_mid_run(session: aiohttp.ClientSession) -> None:
    async with (
        BoxSimulator(devices=3, generation="1.0", host=LOOPBACK, seed=4) as box,
        Clients(session, box) as box_clients,
    ):
        ids = [d.device_id for d in box.devices]
        rest = f"http://{LOOPBACK}:{box.rest_port}"
        old = await box_clients.subscribe({"need_face": True, "event_list": ids})
        assert (await box.push_event())["device_id"] == ids[0]
        assert "device_id" in await next_json(old)

        box.set_generation("2.0")
        assert box.generation == "2.0"
        msg = await old.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        await wait_for(lambda: box.connected_clients == 0)
        assert box.subscriptions == []
        async with session.get(rest + V1_DEVICES) as resp:
            assert resp.status == 404
        items = (await media_devices(session, box))["devices"]
        assert [i["media_device_id"] for i in items] == ids
        path2 = "/sophon/v2/system/getsoftwareversion"
        status, text = await post(session, box.version_port, path2)
        assert json.loads(text)["app_version_details"] == box.firmware_version == "V6R2C01_9f3c2a1"
        ws = await box_clients.subscribe()
        frame = await box.push_event(ids[2])
        got = await next_json(ws)
        assert got == frame
        assert (got["media_device_id"], got["user_type"] in USER_TYPES) == (ids[2], True)
        assert box.images_of(got["event_id"])["scene"].startswith(JPEG)

        box.set_generation("1.0")
        msg = await ws.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
        status, _ = await post(session, box.rest_port, f"{V2}/getmediadevices", {})
        assert status == 404
        async with session.get(rest + V1_DEVICES) as resp:
            listed = (await resp.json())["data"]["devices_list"]
        assert [i["device_id"] for i in listed] == ids
        async with session.get(
            f"http://{LOOPBACK}:{box.version_port}/SophonSystem/api/systemVersion"
        ) as resp:
            assert (await resp.json())["data"]["version"] == "V5R3C01_686e472"
        again = await box_clients.subscribe({"need_register": True, "event_list": ids})
        frame = await box.push_event(ids[1], person_type=PersonType.VIP)
        got = await next_json(again)
        assert (got["device_id"], got["ext_data"]["person_type"]) == (ids[1], 5)
        assert "reg_pic" in got
        with pytest.raises(ValueError, match="generation"):
            box.set_generation("3.0")


async def test_reboot_brings_the_version_port_back(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    port = sim.version_port
    await sim.reboot(rest_down=0.05, ws_down=0.1)
    await sim.wait_listening(timeout=5)
    assert sim.version_port == port
    status, _ = await post(session, port, "/sophon/v2/system/getsoftwareversion")
    assert status == 200


# Command line


def test_command_line_with_generation_2_0() -> None:
    args = ["--version-port", "0", "--devices", "4", "--rate", "20", "--seed", "5"]
    with command_line(*args, "--generation", "2.0", "--hex-ids") as proc:
        first = read_line(proc, 20)
        match = re.search(r"rest_port=(\d+) ws_port=(\d+) version_port=(\d+)", first)
        assert match, first
        assert "generation=2.0" in first
        request = urllib.request.Request(
            f"http://{LOOPBACK}:{match[1]}{V2}/getmediadevices",
            data=b"{}",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as resp:  # noqa: S310
            devices = json.load(resp)["devices"]
        assert len(devices) == 4
        assert all(HEX32.match(d["media_device_id"]) for d in devices)
        version = urllib.request.Request(
            f"http://{LOOPBACK}:{match[3]}/sophon/v2/system/getsoftwareversion", data=b"{}"
        )
        with urllib.request.urlopen(version, timeout=5) as resp:  # noqa: S310
            assert json.load(resp)["app_version_details"].startswith("V6")
        lines = [read_line(proc, 10) for _ in range(5)]
        assert all(" device " in line for line in lines[:4])
        assert " media gb28181 " in "".join(lines[:4])
        assert "person" in lines[4]
        output = stop(proc)
    assert "secret123" not in first + output
    assert "TEMPLATE" not in output
