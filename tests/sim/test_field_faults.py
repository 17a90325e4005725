"""The simulator's field-input switches: dirty text, other encodings, implausible values."""

from __future__ import annotations

import base64
import codecs
import json
import re
import unicodedata
from typing import Any

import aiohttp
import pytest

from sophon_sim import ROSTER, BoxSimulator, Faults
from sophon_sim.__main__ import parse_args
from sophon_sim.oddities import LONG_NAME, NUL_PADDING, TextBytes, encode_frame
from tests.sim.conftest import device_items, device_list
from tests.sim.generations import SCORE_SCALE

TOM = next(person for person in ROSTER if person.name == "Tom")
ZHANG = next(person for person in ROSTER if person.name == "张伟")
FIXED_MS = 1_764_145_812_345
HOUR_MS = 3_600_000
NAME_KEY = {"1.0": "device_name", "2.0": "media_device_name"}
PICTURE_KEYS = {"1.0": ("reg_pic",), "2.0": ("register_image", "recognize_face_image")}
DATA_URI = re.compile(r"\s*data:[^,]*;base64,", re.IGNORECASE)


async def receive(ws: aiohttp.ClientWebSocketResponse) -> aiohttp.WSMessage:
    """Return the next message, within ten seconds."""
    return await ws.receive(timeout=10)


async def pushed_texts(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse, count: int, **kwargs: Any
) -> list[str]:
    """Push count events and return the text of each frame as sent."""
    texts = []
    for _ in range(count):
        await sim.push_event(**kwargs)
        message = await receive(ws)
        assert message.type is aiohttp.WSMsgType.TEXT
        texts.append(message.data)
    return texts


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def cleaned(text: str) -> str:
    """Clean text as a careful reader would (independently of the client's cleaner)."""
    text = re.sub(r"\x1b\[[0-?]*[ -/]*[@-~]", "", text)
    kept = "".join(
        " " if char in "\t\n\r\x85" else char
        for char in text
        if unicodedata.category(char) not in ("Cc", "Cf") or char in "\t\n\r\x85"
    )
    return re.sub(" {2,}", " ", unicodedata.normalize("NFC", kept)).strip()


def b64_bytes(text: str) -> bytes:
    """Decode base64 in any variant (independently of the client's decoder)."""
    body = "".join(DATA_URI.sub("", text, count=1).split()).translate(str.maketrans("-_", "+/"))
    return base64.b64decode(body + "=" * (-len(body) % 4), validate=True)


# Kind A: dirty and long text.


async def test_dirty_text_rotates_through_forms_that_clean_back(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.dirty_text = True
    frames = [json.loads(text) for text in await pushed_texts(sim, ws, 8, person=ZHANG)]
    names = [frame["identity_name"] for frame in frames]
    assert len(set(names)) == 8
    assert all(cleaned(name) == "张伟" for name in names)
    assert sum(name != "张伟" for name in names) == 7  # NFD leaves Chinese as it is


async def test_dirty_text_in_the_device_list(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    sim.faults.dirty_text = True
    items = device_items(json.loads((await device_list(session, sim)).body))
    names = [item[NAME_KEY[sim.generation]] for item in items]
    assert names != [device.name for device in sim.devices]
    assert [cleaned(name) for name in names] == [device.name for device in sim.devices]


async def test_long_names_in_frames_and_the_device_list(
    session: aiohttp.ClientSession, sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.long_names = True
    (text,) = await pushed_texts(sim, ws, 1, person=TOM)
    assert json.loads(text)["identity_name"] == LONG_NAME
    assert len(LONG_NAME) == 300
    items = device_items(json.loads((await device_list(session, sim)).body))
    assert {item[NAME_KEY[sim.generation]] for item in items} == {LONG_NAME}


# Kind B: framing and encodings.


async def test_bom_begins_frames_and_rest_answers(
    session: aiohttp.ClientSession, sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.bom = True
    (text,) = await pushed_texts(sim, ws, 1)
    assert text.startswith("\ufeff{")
    sim.faults.binary_frames = True
    await sim.push_event()
    assert (await receive(ws)).data.startswith(codecs.BOM_UTF8 + b"{")
    body = (await device_list(session, sim)).body
    assert body.startswith(codecs.BOM_UTF8)
    assert device_items(json.loads(body.decode("utf-8-sig")))


async def test_nul_padding_ends_frames_and_rest_answers(
    session: aiohttp.ClientSession, sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.nul_padding = True
    (text,) = await pushed_texts(sim, ws, 1)
    assert text.endswith("}" + NUL_PADDING)
    assert json.loads(text.rstrip("\x00"))["identity_id"] is not None
    body = (await device_list(session, sim)).body
    assert body.endswith(b"}" + NUL_PADDING.encode())


async def test_nan_score_rotates_bare_tokens(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.nan_score = True
    texts = await pushed_texts(sim, ws, 3)
    tokens = {match.group(1) for text in texts if (match := re.search(r'"score": ([^,}]+)', text))}
    assert tokens == {"NaN", "Infinity", "-Infinity"}


@pytest.mark.parametrize(
    ("encoding", "codec"),
    [("gbk_binary", "gbk"), ("gb18030_binary", "gb18030"), ("utf16_binary", "utf-16")],
)
async def test_binary_frames_in_legacy_encodings(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse, encoding: str, codec: str
) -> None:
    sim.faults.legacy_encoding = encoding
    frame = await sim.push_event(person=ZHANG)
    message = await receive(ws)
    assert message.type is aiohttp.WSMsgType.BINARY
    assert not is_utf8(message.data)
    assert json.loads(message.data.decode(codec)) == frame


async def test_a_gbk_text_frame_is_a_text_frame_that_is_not_utf8(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.legacy_encoding = "gbk_text"
    await sim.push_event(person=ZHANG)
    message = await receive(ws)
    # aiohttp cannot decode the TEXT frame: it closes the socket with 1007 (invalid text).
    assert message.type is aiohttp.WSMsgType.ERROR
    assert message.data.code == aiohttp.WSCloseCode.INVALID_TEXT


@pytest.mark.parametrize("name", ["张伟", "王芳", "陈静"])
def test_gbk_text_payloads_are_text_bytes_in_gbk(name: str) -> None:
    faults = Faults(legacy_encoding="gbk_text")
    payload = encode_frame(json.dumps({"identity_name": name}, ensure_ascii=False), faults)
    assert isinstance(payload, TextBytes)
    assert not is_utf8(payload)
    assert json.loads(payload.decode("gbk")) == {"identity_name": name}


@pytest.mark.parametrize(
    ("encoding", "codec"), [("gbk", "gbk"), ("gb18030", "gb18030"), ("utf16", "utf-16")]
)
async def test_device_lists_in_other_encodings(
    session: aiohttp.ClientSession, sim: BoxSimulator, encoding: str, codec: str
) -> None:
    sim.faults.rest_encoding = encoding
    body = (await device_list(session, sim)).body
    assert not is_utf8(body)
    items = device_items(json.loads(body.decode(codec)))
    assert [item[NAME_KEY[sim.generation]] for item in items] == [d.name for d in sim.devices]


VARIANT_CHECKS = {
    "mime": lambda text: "\r\n" in text.lstrip(),
    "urlsafe": lambda text: "+" not in text.split(",")[-1] and "/" not in text.split(",")[-1],
    "unpadded": lambda text: not text.endswith("="),
    "leading_space": lambda text: text[:1].isspace(),
    "jpg_uri": lambda text: text.startswith("data:image/jpg;base64,"),
    "octet_uri": lambda text: text.startswith("data:application/octet-stream;base64,"),
    "upper_uri": lambda text: text.startswith("DATA:IMAGE/JPEG;BASE64,"),
}


@pytest.mark.parametrize("variant", list(VARIANT_CHECKS))
async def test_each_base64_variant_decodes_to_the_same_pictures(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse, variant: str
) -> None:
    sim.faults.base64_variant = variant
    frame = await sim.push_event(person=TOM)
    sent = json.loads((await receive(ws)).data)
    images = sim.images_of(frame["event_id"])
    for key in PICTURE_KEYS[sim.generation]:
        assert VARIANT_CHECKS[variant](sent[key]), key
    assert b64_bytes(sent[PICTURE_KEYS[sim.generation][0]]) == images["registered"]
    ext = sent.get("ext_data", {})
    face = ext["recognize_face"] if sim.generation == "1.0" else sent["recognize_face_image"]
    assert b64_bytes(face) == images["face"]


async def test_base64_variant_rotate_goes_through_every_variant(
    sim: BoxSimulator, ws: aiohttp.ClientWebSocketResponse
) -> None:
    sim.faults.base64_variant = "rotate"
    seen = set()
    for _ in range(len(VARIANT_CHECKS)):
        frame = json.loads((await pushed_texts(sim, ws, 1, person=TOM))[0])
        picture = frame[PICTURE_KEYS[sim.generation][0]]
        seen |= {name for name, check in VARIANT_CHECKS.items() if check(picture)}
    assert seen >= {"mime", "leading_space", "jpg_uri", "octet_uri", "upper_uri"}


# Kind C: implausible values.


async def test_score_scale_wrong_rotates_out_of_scale_scores(sim: BoxSimulator) -> None:
    sim.faults.score_scale_wrong = True
    scores = [(await sim.push_event(person=TOM, score=0.865))["score"] for _ in range(4)]
    assert len(set(scores)) == 4
    assert all(not 0 <= score <= SCORE_SCALE[sim.generation] for score in scores)


@pytest.mark.parametrize("offset", [3600.0, -90_000.0, 28_800.0])
async def test_clock_offset_moves_every_timestamp(sim: BoxSimulator, offset: float) -> None:
    sim.faults.clock_offset = offset
    frame = await sim.push_event(timestamp_ms=FIXED_MS)
    assert frame["timestamp"] == FIXED_MS + int(offset * 1000)


async def test_bad_clock_rotates_bad_times(sim: BoxSimulator) -> None:
    sim.faults.bad_clock = True
    stamps = {(await sim.push_event(timestamp_ms=FIXED_MS))["timestamp"] for _ in range(5)}
    assert stamps == {
        1_000_000,
        4_102_444_800_000,
        FIXED_MS + 8 * HOUR_MS,
        FIXED_MS - 25 * HOUR_MS,
        FIXED_MS * 1000,
    }


# Setting the switches.


def test_field_input_switches_can_be_set_from_text() -> None:
    faults = Faults()
    for name in ("dirty_text", "long_names", "nan_score", "score_scale_wrong", "bad_clock"):
        faults.set(name)
        assert getattr(faults, name) is True
    for name in ("bom", "nul_padding"):
        faults.set(name, "on")
        assert getattr(faults, name) is True
    faults.set("clock_offset", "-3600")
    faults.set("legacy_encoding", "gbk_text")
    faults.set("rest_encoding", "utf16")
    faults.set("base64_variant")
    assert (faults.clock_offset, faults.base64_variant) == (-3600.0, "rotate")
    assert (faults.legacy_encoding, faults.rest_encoding) == ("gbk_text", "utf16")
    faults.set("base64_variant", "urlsafe")
    assert faults.base64_variant == "urlsafe"
    with pytest.raises(ValueError, match="legacy_encoding must be one of"):
        faults.set("legacy_encoding", "latin1")
    with pytest.raises(ValueError, match="base64_variant must be one of"):
        faults.set("base64_variant", "base32")
    faults.reset()
    assert faults == Faults()


def test_the_command_line_takes_the_field_input_switches() -> None:
    args = parse_args(
        [
            "--fault",
            "dirty_text",
            "--fault",
            "clock_offset=-28800",
            "--fault",
            "legacy_encoding=gbk_binary",
            "--fault",
            "base64_variant",
        ]
    )
    faults = args.faults
    assert faults.dirty_text is True
    assert faults.clock_offset == -28800.0
    assert (faults.legacy_encoding, faults.base64_variant) == ("gbk_binary", "rotate")
