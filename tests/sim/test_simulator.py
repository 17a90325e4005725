"""The box simulator in both generations, over real loopback sockets.

Each test runs against a box of each generation (the `generation` fixture); the generations'
differences are in the small tables beside the tests and in tests/sim/generations.py. What only
one generation does is in test_simulator_v1.py and test_simulator_v2.py.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import subprocess
import sys
from typing import TYPE_CHECKING, Any, NamedTuple

import aiohttp
import pytest

from sophon_sim import BoxSimulator, Faults, PersonType
from tests.conftest import GENERATIONS, wait_for
from tests.frames import device_key
from tests.sim.conftest import (
    REPO,
    UUID4,
    Clients,
    device_list,
    get_event,
    next_json,
)
from tests.sim.generations import (
    ATTRIBUTE_KEYS,
    FACE_FLAG_PICTURES,
    JPEG,
    JPEG_URI,
    SCORE_SCALE,
    SUBSCRIPTION_KEYS,
    USER_TYPES,
    person_type_of,
    pictures_in,
    subscription_frame,
    unuri,
    without_pictures,
)

if TYPE_CHECKING:
    from collections.abc import Callable

PNG = b"\x89PNG\r\n\x1a\n"


# Without a box


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


def test_only_loopback_and_known_generations() -> None:
    with pytest.raises(ValueError, match="loopback"):
        BoxSimulator(host="10.0.0.1")
    with pytest.raises(ValueError, match="generation"):
        BoxSimulator(generation="3.0")


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


# The device list


async def test_device_list_faults(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    for status in (500, 503):
        sim.faults.rest_status = status
        answer = await device_list(session, sim)
        assert (answer.status, b"<html>" in answer.body) == (status, True)
    sim.faults.reset()
    sim.faults.rest_garbage = True
    answer = await device_list(session, sim)
    assert answer.status == 200
    with pytest.raises(ValueError):
        json.loads(answer.body)
    sim.faults.reset()
    sim.faults.rest_delay = 2.0
    asked = sim.rest_requests
    pending = asyncio.create_task(device_list(session, sim))
    await wait_for(lambda: sim.rest_requests == asked + 1)
    await asyncio.sleep(0.05)
    assert not pending.done()
    async with asyncio.timeout(10):
        assert (await pending).status == 200


# Subscriptions


async def test_subscriptions_without_devices_push_nothing(
    sim: BoxSimulator, clients: Clients
) -> None:
    ids = [d.device_id for d in sim.devices]
    other_generation = next(g for g in GENERATIONS if g != sim.generation)
    quiet = await clients.subscribe({})
    foreign = await clients.subscribe(subscription_frame(other_generation, ids))
    full = await clients.subscribe()
    assert sim.subscriptions[:2] == [{}, subscription_frame(other_generation, ids)]
    assert sim.connected_clients == 3
    frame = await sim.push_event()
    assert (await next_json(full))["event_id"] == frame["event_id"]
    assert await sim.push_raw("sentinel") == 3
    for ws in (quiet, foreign):
        assert (await ws.receive(timeout=5)).data == "sentinel"
    await clients.close()
    await wait_for(lambda: sim.connected_clients == 0)


async def test_a_subscription_chooses_the_devices(sim: BoxSimulator, clients: Clients) -> None:
    second = sim.devices[1].device_id
    ws = await clients.subscribe({SUBSCRIPTION_KEYS[sim.generation].devices: [second]})
    await sim.push_event(sim.devices[0].device_id)
    frame = await sim.push_event(second)
    got = await next_json(ws)
    assert got["event_id"] == frame["event_id"]
    assert pictures_in(got, sim.generation) == {}


async def test_invalid_subscriptions_are_ignored(sim: BoxSimulator, clients: Clients) -> None:
    devices = SUBSCRIPTION_KEYS[sim.generation].devices
    first = sim.devices[0].device_id
    ws = await clients.connect("/any/path")
    await ws.send_str("{not json")
    await ws.send_str("[1, 2]")
    await ws.send_str(json.dumps({devices: "not a list"}))
    await sim.wait_for_subscription()
    await ws.send_str(json.dumps({devices: [first]}))
    await sim.wait_for_subscription(count=2)
    assert sim.subscriptions == [{devices: "not a list"}, {devices: [first]}]
    frame = await sim.push_event()
    assert (await next_json(ws))["event_id"] == frame["event_id"]
    with pytest.raises(TimeoutError):
        await sim.wait_for_subscription(count=3, timeout=0.05)


@pytest.mark.parametrize(("face", "register"), [(False, False), (True, False), (False, True)])
async def test_images_follow_the_picture_flags(
    sim: BoxSimulator, clients: Clients, face: bool, register: bool
) -> None:
    ids = [d.device_id for d in sim.devices]
    full = await clients.subscribe()
    ws = await clients.subscribe(
        subscription_frame(sim.generation, ids, face=face, register=register)
    )
    frame = await sim.push_event(person_type=PersonType.VIP)
    assert await next_json(full) == frame
    got = await next_json(ws)
    wanted = FACE_FLAG_PICTURES[sim.generation] if face else set()
    wanted |= {"registered"} if register else set()
    assert set(pictures_in(got, sim.generation)) == wanted
    assert without_pictures(got, sim.generation) == without_pictures(frame, sim.generation)


# Events

# Who a stranger's frame names, exactly; and what a registered person's frame fills in.
STRANGER_IDENTITY = {
    "1.0": {"identity_id": "", "identity_name": "", "identity_info": {}},
    "2.0": {"identity_id": "", "identity_name": ""},
}
REGISTERED_IDENTITY: dict[str, Callable[[dict[str, Any]], object]] = {
    "1.0": lambda f: f["identity_id"] and f["identity_name"] and f["identity_info"]["face_ids"],
    "2.0": lambda f: f["identity_id"] and f["identity_name"],
}


@pytest.mark.parametrize(
    "person_type", list(PersonType), ids=lambda person_type: person_type.name.lower()
)
async def test_every_person_type(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse, person_type: PersonType
) -> None:
    frame = await sim.push_event(person_type=person_type)
    got = await next_json(ws)
    assert got == frame
    assert person_type_of(got, sim.generation) is person_type
    assert 0 <= got["score"] <= SCORE_SCALE[sim.generation]
    assert got["timestamp"] > 10**12
    images, pictures = sim.images_of(frame["event_id"]), pictures_in(got, sim.generation)
    if person_type is PersonType.STRANGER:
        identity = STRANGER_IDENTITY[sim.generation]
        assert {key: got[key] for key in identity} == identity
        assert "registered" not in pictures
        assert set(images) == {"face", "scene"}
    else:
        assert REGISTERED_IDENTITY[sim.generation](got)
        assert pictures["registered"] == images["registered"]


class Overridden(NamedTuple):
    """Name the fields an overrides test touches in one generation's frame."""

    removed: str  # a top-level field
    merged: str  # the dict field that overrides merge into
    replaced: tuple[str, Any]  # a field of it and its new value
    dropped: str  # a field of it removed
    kept: str  # a field of it left alone


OVERRIDDEN = {
    "1.0": Overridden(
        "group_name", "ext_data", ("device_ip", "1.2.3.4"), "grab_fiqa_info", "person_type"
    ),
    "2.0": Overridden(
        "identity_name", "recognize_face_attr", ("gender", None), "box", "feature_binary"
    ),
}


async def test_overrides_replace_merge_and_remove(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    fields = OVERRIDDEN[sim.generation]
    replaced, value = fields.replaced
    merged = {replaced: value, "x": 2, fields.dropped: ...}
    await sim.push_event(overrides={fields.removed: ..., "extra": 1, fields.merged: merged})
    got = await next_json(ws)
    assert fields.removed not in got
    assert got["extra"] == 1
    assert got[fields.merged][replaced] == value
    assert got[fields.merged]["x"] == 2
    assert fields.dropped not in got[fields.merged]
    assert fields.kept in got[fields.merged]


async def test_free_running_mode(sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse) -> None:
    sim.run(rate=200.0, max_events=5)
    events = [await next_json(ws) for _ in range(5)]
    await sim.stop_running()
    assert len({e["event_id"] for e in events}) == 5
    key = device_key(sim.generation)
    assert {e[key] for e in events} <= {d.device_id for d in sim.devices}
    assert all(person_type_of(e, sim.generation) is not None for e in events)
    assert all(0 <= e["score"] <= SCORE_SCALE[sim.generation] for e in events)


# Faults on the event content


def undecodable(text: str) -> bool:
    """Tell whether neither a strict nor a lenient base64 decoder reads text."""
    for validate in (True, False):
        try:
            base64.b64decode(text, validate=validate)
        except binascii.Error:
            continue
        return False
    return True


def attrs_of(frame: dict[str, Any]) -> Any:
    """Return a 2.0 frame's face attributes, if any."""
    return frame.get("recognize_face_attr")


# What each content fault does to a frame, by generation.
FAULT_CHECKS: dict[str, dict[str, Callable[[dict[str, Any], BoxSimulator], bool]]] = {
    "1.0": {
        "numbers_as_strings": lambda f, _: (
            isinstance(f["score"], str)
            and isinstance(f["timestamp"], str)
            and f["ext_data"]["person_type"] == "2"
        ),
        "device_type_int": lambda f, _: isinstance(f["ext_data"]["device_type"], int),
        "omit_person_type": lambda f, _: "person_type" not in f["ext_data"],
        "person_type_out_of_range": lambda f, _: f["ext_data"]["person_type"] == 9,
        "timestamp_seconds": lambda f, _: 10**9 < f["timestamp"] < 10**11,
        "null_fields": lambda f, _: f["score"] is None and f["identity_info"] is None,
        "wrong_types": lambda f, _: (
            isinstance(f["identity_info"], str) and isinstance(f["score"], list)
        ),
        "extension_top_level": lambda f, _: all(
            k in f and k not in f["ext_data"] for k in ("person_type", "device_type", "spot_pic")
        ),
        "unknown_fields": lambda f, _: "x_box_serial" in f and "x_future_field" in f["ext_data"],
        "bad_base64": lambda f, _: (
            undecodable(f["reg_pic"]) and undecodable(f["ext_data"]["spot_pic"])
        ),
        "non_jpeg_image": lambda f, _: (
            not base64.b64decode(f["ext_data"]["recognize_face"]).startswith(JPEG)
        ),
        "greeter_mode": lambda f, _: (
            "spot_pic" not in f["ext_data"] and "recognize_face" in f["ext_data"]
        ),
        "drop_event_id": lambda f, _: "event_id" not in f and "video_id" not in f,
    },
    "2.0": {
        "v1_leftovers": lambda f, _: (
            next(iter(f)) == "reg_pic"
            and f["reg_pic"] == ""
            and "event_id" not in f
            and "user_type" not in f
            and 0 <= f["score"] <= 1
            and "media_device_id" in f
        ),
        "bare_base64_images": lambda f, s: (
            not f["recognize_face_image"].startswith("data:")
            and base64.b64decode(f["recognize_face_image"])
            == s.images_of(s.last_event_id or "")["face"]
            and base64.b64decode(f["register_image"]).startswith(JPEG)
        ),
        "empty_images": lambda f, s: (
            f["recognize_face_image"] == f["register_image"] == ""
            and set(s.images_of(f["event_id"])) == {"scene"}
        ),
        "png_data_uri": lambda f, s: (
            unuri(f["recognize_face_image"], "png").startswith(PNG)
            and s.images_of(f["event_id"])["registered"].startswith(PNG)
        ),
        "user_type_case": lambda f, _: (
            f["user_type"] not in USER_TYPES and f["user_type"].lower() == "visitor"
        ),
        "user_type_unknown": lambda f, _: f["user_type"] == "car",
        "score_out_of_range": lambda f, _: not 0 <= f["score"] <= 100,
        "null_attributes": lambda f, s: (
            set(attrs_of(f)) == ATTRIBUTE_KEYS
            and all(v is None for v in attrs_of(f).values())
            and s.templates_of(f["event_id"]) == []
        ),
        "no_attributes": lambda f, s: (
            "recognize_face_attr" not in f and s.templates_of(f["event_id"]) == []
        ),
        "numbers_as_strings": lambda f, _: (
            isinstance(f["score"], str)
            and float(f["score"]) <= 100
            and isinstance(f["timestamp"], str)
        ),
        "null_fields": lambda f, _: (
            f["score"] is None and f["identity_name"] is None and f["user_type"] is None
        ),
        "wrong_types": lambda f, _: (
            isinstance(f["media_device_id"], int)
            and isinstance(f["score"], list)
            and isinstance(attrs_of(f), str)
        ),
        "unknown_fields": lambda f, _: "x_box_serial" in f and "x_future_field" in attrs_of(f),
        "bad_base64": lambda f, s: (
            f["recognize_face_image"].startswith(JPEG_URI)
            and undecodable(f["recognize_face_image"].removeprefix(JPEG_URI))
            and set(s.images_of(f["event_id"])) == {"scene"}
        ),
        "non_jpeg_image": lambda f, _: (
            f["recognize_face_image"].startswith(JPEG_URI)
            and not unuri(f["recognize_face_image"]).startswith(JPEG)
        ),
        "drop_event_id": lambda f, _: "event_id" not in f and "user_type" in f,
        "omit_person_type": lambda f, _: "user_type" not in f,
        "timestamp_seconds": lambda f, _: 10**9 < f["timestamp"] < 10**11,
    },
}
# How many biometric templates a clean frame carries.
TEMPLATES = {"1.0": 0, "2.0": 2}


@pytest.mark.parametrize(
    ("generation", "fault"),
    [
        pytest.param(generation, fault, id=f"generation-{generation}-{fault}")
        for generation, checks in FAULT_CHECKS.items()
        for fault in checks
    ],
)
async def test_event_faults(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse, fault: str
) -> None:
    setattr(sim.faults, fault, True)
    frame = await sim.push_event(person_type=PersonType.VISITOR)
    got = await next_json(ws)
    assert got == frame
    assert FAULT_CHECKS[sim.generation][fault](got, sim)
    sim.faults.reset()
    assert sim.faults == Faults()
    clean = await sim.push_event(person_type=PersonType.VISITOR)
    assert await next_json(ws) == clean
    assert person_type_of(clean, sim.generation) is PersonType.VISITOR
    face = pictures_in(clean, sim.generation)["face"]
    assert face == sim.images_of(clean["event_id"])["face"]
    assert face.startswith(JPEG)
    assert len(sim.templates_of(clean["event_id"])) == TEMPLATES[sim.generation]


@pytest.mark.parametrize("generation", ["2.0"])
async def test_the_2_0_record_of_an_event_has_no_frame_faults(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    for fault in FAULT_CHECKS["2.0"]:
        sim.faults.reset()
        setattr(sim.faults, fault, True)
        await sim.push_event(person_type=PersonType.VISITOR)
        assert sim.last_event_id is not None
        record = await get_event(session, sim, sim.last_event_id)
        assert record["user_type"] == "visitor", fault
        assert 0 <= record["score"] <= 100, fault


# Faults on the connection


async def test_unknown_device_reaches_every_subscribed_connection(
    sim: BoxSimulator, clients: Clients
) -> None:
    ws = await clients.subscribe(subscription_frame(sim.generation, [sim.devices[2].device_id]))
    sim.faults.unknown_device = True
    frame = await sim.push_event(sim.devices[0].device_id)
    got = await next_json(ws)
    key = device_key(sim.generation)
    assert got[key] == frame[key]
    assert UUID4.match(got[key])
    assert got[key] not in {d.device_id for d in sim.devices}


async def test_binary_frames_and_invalid_json(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
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
            parsed = json.loads(text)
        except ValueError:
            broken.append(text)
        else:
            assert person_type_of(parsed, sim.generation) is not None
    assert broken == [texts[1], texts[3]]


async def test_huge_frame(sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse) -> None:
    sim.faults.huge_frame_bytes = 16 * 1024 * 1024
    frame = await sim.push_event()
    msg = await ws.receive(timeout=30)
    assert len(msg.data) >= 16 * 1024 * 1024
    assert json.loads(msg.data)["event_id"] == frame["event_id"]


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
