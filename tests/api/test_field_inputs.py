"""Three kinds of input real boxes send, in both generations: text, encodings, plausibility.

Kind A: text from the box is cleaned before it is used. Kind B: decoding never loses a
recognition that can be read. Kind C: values are checked for plausibility.
"""

from __future__ import annotations

import base64
import codecs
import json
import logging
import time
import unicodedata
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from custom_components.sophon.api import (
    ConnectionState,
    RecognitionEvent,
    clean_text,
    shorten,
)
from custom_components.sophon.api.decode import (
    UndecodableError,
    decode_base64,
    looks_like_jpeg_base64,
    parse_json,
)
from custom_components.sophon.api.generation_v1 import GenerationV1, parse_devices
from custom_components.sophon.api.generation_v2 import GenerationV2
from custom_components.sophon.api.generation_v2 import parse_device as parse_media_device
from custom_components.sophon.api.plausibility import MAX_AHEAD, MAX_BEHIND
from custom_components.sophon.api.text import MAX_TEXT
from sophon_sim import ROSTER, BoxSimulator, PersonType
from sophon_sim.oddities import LONG_NAME
from tests.api.conftest import Listening
from tests.conftest import GENERATIONS, wait_for

RECEIPT = datetime(2025, 11, 26, 9, tzinfo=UTC)
FRAME_MS = 1_764_145_812_345  # 2025-11-26 08:30:12.345 UTC, half an hour before RECEIPT
DEVICE = "23c7232b-0b35-4813-be6b-6ec4ee21ac4f"
JPEG = b"\xff\xd8\xff\xe0field-input?jpeg"  # 20 bytes: its base64 ends with one "="
PARSERS = {"1.0": GenerationV1(), "2.0": GenerationV2()}
SCALE = {"1.0": 1.0, "2.0": 100.0}
TOM = next(person for person in ROSTER if person.name == "Tom")
ZHANG = next(person for person in ROSTER if person.name == "张伟")


def frame_of(generation: str, **changes: Any) -> dict[str, Any]:
    """Return a clean frame of a generation, with top-level changes."""
    if generation == "1.0":
        frame: dict[str, Any] = {
            "device_id": DEVICE,
            "identity_id": "20000011",
            "identity_name": "Tom",
            "identity_info": {"name": "tom.visitor", "ext_info": {"room": "101"}},
            "group_name": "visitors",
            "timestamp": FRAME_MS,
            "score": 0.9,
            "event_id": "1000001",
            "ext_data": {"person_type": 2, "device_ip": "192.168.1.20", "device_type": "1"},
        }
    else:
        frame = {
            "media_device_id": DEVICE,
            "identity_id": "20000011",
            "identity_name": "Tom",
            "group_name": "visitors",
            "user_type": "visitor",
            "timestamp": FRAME_MS,
            "score": 90.0,
            "event_id": "1764000001.000001",
            "media_device_ip": "192.168.1.20",
            "media_device_type": "rtsp",
            "recognize_face_attr": {"gender": "male", "age": "youth", "mask": "no"},
        }
    frame.update(changes)
    return frame


def parse(generation: str, frame: dict[str, Any]) -> RecognitionEvent:
    """Parse a frame with its generation's parser, received at RECEIPT."""
    return PARSERS[generation].parse_event(frame, RECEIPT)


@pytest.fixture
def simulator(each_generation: BoxSimulator) -> BoxSimulator:
    """Run a box of each generation (the client fixtures of conftest.py talk to it)."""
    return each_generation


def quirks(listening: Listening) -> dict[str, int]:
    """Return the quirks the client counted."""
    return listening.client.counters.quirks_accepted


# Kind A: text from the box is cleaned before it is used.

DIRTY = [
    pytest.param("Tom\x00\x00\x00", "Tom", id="nul-padding"),
    pytest.param("\x1b[31mTom\x1b[0m", "Tom", id="c0-escape-sequence"),
    pytest.param("\x01To\x7fm\x07", "Tom", id="c0-controls-inside"),
    pytest.param("To\x85m\x9f", "To m", id="c1-controls"),
    pytest.param("\ufeffTo\u200bm", "Tom", id="bom-zero-width"),
    pytest.param("\u202eTom\u202c\u2066\u2069", "Tom", id="bidi-overrides"),
    pytest.param("Tom\n\tSmith\r\n", "Tom Smith", id="newline-tab"),
    pytest.param("Tom\u2028 \u2029Smith", "Tom Smith", id="line-separators"),
    pytest.param(unicodedata.normalize("NFD", "José"), "José", id="nfd"),
    pytest.param("\u3000小明\u3000", "小明", id="ideographic-space"),
    pytest.param("Tom\ud800", "Tom", id="lone-surrogate"),
    pytest.param("Tom \t\n Smith  ", "Tom Smith", id="space-runs"),
    pytest.param(" 张\u3000三\r\n", "张\u3000三", id="ideographic-space-kept-inside"),
    pytest.param("\u00a0A\u00a0\u00a0B\u3000", "A\u00a0\u00a0B", id="nbsp-kept-inside"),
]
CLEAN = [
    pytest.param("Tom", id="ascii"),
    pytest.param("Maria García", id="latin"),
    pytest.param("小明", id="chinese"),
    pytest.param("\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466", id="zwj-family"),
    pytest.param("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", id="zwnj-persian"),
    pytest.param(
        "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f", id="tags"
    ),
    pytest.param("\u0915\u094d\u200d\u0937", id="zwj-devanagari"),
    pytest.param("张\u3000三", id="ideographic-space-inside"),
    pytest.param("A\u00a0B", id="nbsp-inside"),
    pytest.param("a\u2009b\u202fc", id="thin-spaces-inside"),
    pytest.param("", id="empty"),
]


@pytest.mark.parametrize(("dirty", "clean"), DIRTY)
def test_kind_a_dirty_text_is_cleaned(dirty: str, clean: str) -> None:
    assert clean_text(dirty) == clean


@pytest.mark.parametrize("text", CLEAN)
def test_kind_a_clean_text_is_returned_as_the_same_object(text: str) -> None:
    copy = "".join(list(text))  # a distinct object with the same value
    assert clean_text(copy) is copy


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize(("dirty", "clean"), DIRTY)
def test_kind_a_names_are_cleaned_and_noted_in_both_generations(
    generation: str, dirty: str, clean: str
) -> None:
    event = parse(generation, frame_of(generation, identity_name=dirty))
    assert event.identity_name == clean
    assert event.problems == ("text_cleaned:identity_name",)


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("name", CLEAN)
def test_kind_a_clean_frames_count_nothing(generation: str, name: str) -> None:
    frame = frame_of(generation, identity_name=name)
    event = parse(generation, frame)
    assert event.identity_name is frame["identity_name"]
    assert event.problems == ()


@pytest.mark.parametrize("generation", GENERATIONS)
def test_kind_a_every_shown_field_is_cleaned(generation: str) -> None:
    frame = frame_of(generation, identity_id="\x0020000011\x00", group_name="visitors\x00\x00\x00")
    if generation == "1.0":
        frame["ext_data"].update(device_ip="192.168.1.20\x00\x00", device_type="1\x00")
    else:
        frame.update(media_device_ip=" 192.168.1.20\r\n", user_type="VIP\x00")
        frame["media_device_type"] = "\ufeffrtsp"
        frame["recognize_face_attr"] = {"gender": "\ufeffmale", "age": "youth\x00", "mask": "no"}
    event = parse(generation, frame)
    assert (event.identity_id, event.group_name, event.device_ip) == (
        "20000011",
        "visitors",
        "192.168.1.20",
    )
    assert event.device_type_raw == ("1" if generation == "1.0" else "rtsp")
    assert event.device_type.value == ("snapshot_camera" if generation == "1.0" else "video_stream")
    expected = {"identity_id", "group_name", "device_ip", "device_type_raw"}
    if generation == "2.0":
        assert event.person_type_raw == "VIP"
        assert event.person_type.value == "vip"
        assert event.face_attributes == {"gender": "male", "age": "youth", "mask": "no"}
        expected |= {"person_type_raw", "face_attributes"}
    assert sorted(event.problems) == sorted(f"text_cleaned:{name}" for name in expected)


@pytest.mark.parametrize(
    ("info", "cleaned"),
    [
        ({"name": "tom\x00\x00"}, {"name": "tom"}),
        ({"\ufeffname": "tom"}, {"name": "tom"}),
        ({"ext_info": {"room": ["1\t01", "\u202e102"]}}, {"ext_info": {"room": ["1 01", "102"]}}),
        ('{"name": "tom\\u0000"}', {"name": "tom"}),
    ],
    ids=["value", "key", "nested", "json-text"],
)
def test_kind_a_identity_info_keys_and_strings_are_cleaned(
    info: object, cleaned: dict[str, Any]
) -> None:
    event = parse("1.0", frame_of("1.0", identity_info=info))
    assert event.identity_info == cleaned
    assert event.problems == ("text_cleaned:identity_info",)


def test_kind_a_clean_identity_info_is_passed_on_as_it_came() -> None:
    frame = frame_of("1.0")
    event = parse("1.0", frame)
    assert event.identity_info is frame["identity_info"]


@pytest.mark.parametrize("generation", GENERATIONS)
def test_kind_a_device_lists_are_cleaned_and_ids_trimmed(generation: str) -> None:
    names = ["Gate 1\x00\x00", "\ufeff大厅抓拍机", "Parking\tIPC\r\n"]
    ids = ["  dev-1", "dev-2\x00\x00", "\ufeffdev-3\n"]
    if generation == "1.0":
        items = [
            {"device_id": i, "device_name": n, "device_ip": "10.0.0.1\x00", "device_type": "3\x00"}
            for i, n in zip(ids, names, strict=True)
        ]
        devices = parse_devices({"data": {"devices_list": items}})
    else:
        items = [
            {
                "media_device_id": i,
                "media_device_name": n,
                "media_device_ip": " 10.0.0.1",
                "media_device_type": "RTSP\x00",
            }
            for i, n in zip(ids, names, strict=True)
        ]
        devices = [device for item in items if (device := parse_media_device(item))]
    assert [d.device_id for d in devices] == ["dev-1", "dev-2", "dev-3"]
    assert [d.name for d in devices] == ["Gate 1", "大厅抓拍机", "Parking IPC"]
    assert {d.ip for d in devices} == {"10.0.0.1"}
    assert {d.device_type.value for d in devices} == {
        "ipc" if generation == "1.0" else "video_stream"
    }


FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
SCOTLAND = "\U0001f3f4\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f"


@pytest.mark.parametrize(
    ("unit", "limit"),
    [
        pytest.param(FAMILY, 255, id="family-emoji-zwj"),
        pytest.param(FAMILY, 256, id="family-emoji-zwj-odd-cut"),
        pytest.param("e\u0301", 256, id="combining-mark"),
        pytest.param("a\u0301\u0323", 255, id="two-combining-marks"),
        pytest.param("\U0001f1e8\U0001f1f3", 256, id="flag-pair"),
        pytest.param("\U0001f1e8\U0001f1f3", 255, id="flag-pair-even-cut"),
        pytest.param(SCOTLAND, 255, id="subdivision-flag-tags"),
        pytest.param("\U0001f44d\U0001f3fd", 255, id="skin-tone"),
        pytest.param("\u2764\ufe0f", 256, id="variation-selector"),
        pytest.param("1\ufe0f\u20e3", 255, id="keycap"),
    ],
)
def test_kind_a_shorten_never_splits_a_grapheme_cluster(unit: str, limit: int) -> None:
    text = unit * 200
    short = shorten(text, limit)
    assert len(short) <= limit
    assert short.endswith("…")
    kept = short.removesuffix("…")
    assert kept == unit * (len(kept) // len(unit))
    assert len(kept) > limit - 1 - len(unit)  # backed up no further than one cluster


@pytest.mark.parametrize("text", ["Tom", "x" * 255, FAMILY * 36, ""])
def test_kind_a_shorten_returns_text_that_fits_unchanged(text: str) -> None:
    assert shorten(text, 255) is text


def test_kind_a_sixty_family_emoji_fit_a_state_when_shortened() -> None:
    name = FAMILY * 60
    assert len(name) == 420
    assert shorten(name, 255) == FAMILY * 36 + "…"


@pytest.mark.parametrize("generation", GENERATIONS)
def test_kind_a_a_name_longer_than_max_text_is_cut_and_noted(generation: str) -> None:
    event = parse(generation, frame_of(generation, identity_name="张伟" * 3000))
    assert event.identity_name == "张伟" * 2047 + "张…"
    assert len(event.identity_name) == MAX_TEXT
    assert event.problems == ("text_cut:identity_name",)


@pytest.mark.parametrize("generation", GENERATIONS)
def test_kind_a_a_long_dirty_name_is_cut_then_cleaned(generation: str) -> None:
    event = parse(generation, frame_of(generation, identity_name="\x00Tom\t" * 100_000))
    assert event.identity_name == "Tom " * 819 + "…"  # 819 five-character units, cut, cleaned
    assert event.problems == ("text_cut:identity_name", "text_cleaned:identity_name")


def test_kind_a_a_long_name_is_cut_between_grapheme_clusters() -> None:
    event = parse("1.0", frame_of("1.0", identity_name=FAMILY * 1000))
    kept = event.identity_name.removesuffix("…")
    assert kept == FAMILY * (MAX_TEXT // len(FAMILY))
    assert event.problems == ("text_cut:identity_name",)


def test_kind_a_clean_text_never_cleans_more_than_max_text() -> None:
    assert len(clean_text("To\x00m " * 1_000_000)) <= MAX_TEXT
    assert len(clean_text("x" * (MAX_TEXT + 1))) == MAX_TEXT


async def test_kind_a_dirty_text_switch_is_cleaned_and_counted(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.dirty_text = True
    people = [TOM, ZHANG, ROSTER[3]] * 3  # every dirty form at least once, on three names
    for person in people:
        await simulator.push_event(person=person)
    await listening.received(len(people))
    assert [e.identity_name for e in listening.events] == [p.name for p in people]
    if simulator.generation == "1.0":  # 2.0 frames name no group
        assert [e.group_name for e in listening.events] == [p.group for p in people]
    assert quirks(listening)["text_cleaned:identity_name"] == len(people)
    devices = await listening.client.async_get_devices()
    assert [d.name for d in devices] == [d.name for d in simulator.devices]


async def test_kind_a_long_names_arrive_whole(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.long_names = True
    await simulator.push_event(person=TOM)
    await listening.received(1)
    assert listening.events[0].identity_name == LONG_NAME
    assert len(LONG_NAME) == 300
    assert listening.events[0].problems == ()


# Kind B: decoding never loses a recognition that can be read.

DOCUMENT = '{"name": "张伟", "score": 0.5}'
VALUE = {"name": "张伟", "score": 0.5}


@pytest.mark.parametrize(
    ("data", "quirk"),
    [
        pytest.param(codecs.BOM_UTF8 + DOCUMENT.encode(), "bom", id="bom-bytes"),
        pytest.param("\ufeff" + DOCUMENT, "bom", id="bom-text"),
        pytest.param(DOCUMENT.encode("utf-16"), "utf16", id="utf16-bom"),
        pytest.param(codecs.BOM_UTF16_BE + DOCUMENT.encode("utf-16-be"), "utf16", id="utf16-be"),
        pytest.param(DOCUMENT.encode("utf-16-le"), "utf16", id="utf16-le-no-bom"),
        pytest.param(DOCUMENT.encode("gbk"), "legacy_encoding", id="gbk"),
        pytest.param(DOCUMENT.encode("gb18030"), "legacy_encoding", id="gb18030"),
        pytest.param(DOCUMENT + "\x00" * 9, "nul_padding", id="nul-padding-text"),
        pytest.param(DOCUMENT.encode() + b"\x00\x00\n", "nul_padding", id="nul-padding-bytes"),
    ],
)
def test_kind_b_each_encoding_fallback_is_read_and_noted(data: str | bytes, quirk: str) -> None:
    value, seen = parse_json(data)
    assert value == VALUE
    assert quirk in seen


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_kind_b_bare_non_finite_numbers_are_read(token: str) -> None:
    value, seen = parse_json(f'{{"score": {token}, "name": "x"}}')
    assert value["name"] == "x"
    assert seen == ("non_finite_number",)


def test_kind_b_what_orjson_refuses_is_read_leniently() -> None:
    value, seen = parse_json('{"name": "Tom\\ud800", "id": 123456789012345678901234567890}')
    assert value["id"] == 123456789012345678901234567890
    assert seen == ("lenient_json",)


@pytest.mark.parametrize("data", [DOCUMENT, DOCUMENT.encode(), "  " + DOCUMENT + "\n"])
def test_kind_b_well_formed_json_takes_the_fast_path(data: str | bytes) -> None:
    assert parse_json(data) == (VALUE, ())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xff\xfe\xfa", "binary_not_utf8"),
        (b'{"a": "\xff\xff"', "binary_not_utf8"),
        (b"\xff\xff", "binary_not_utf8"),
        ("", "empty_frame"),
        ("\x00\x00\x00", "empty_frame"),
        ("\ufeff  ", "empty_frame"),
        ("{not json", "invalid_json"),
    ],
)
def test_kind_b_what_cannot_be_read_is_rejected_with_a_reason(
    data: str | bytes, reason: str
) -> None:
    with pytest.raises(UndecodableError) as err:
        parse_json(data)
    assert err.value.reason == reason


# UTF-8 with broken sequences, and what it is read as: one U+FFFD per broken sequence.
BROKEN_UTF8 = [
    pytest.param(b"\xe5\xb0\x8f\xe6\x98", "小\ufffd", id="cut-multibyte"),
    pytest.param(b"\xe5\xb0\x8f\xe6\x98\xe7\x8e\x8b", "小\ufffd王", id="cut-inside"),
    pytest.param(b"To\x80m", "To\ufffdm", id="stray-continuation"),
    pytest.param("张".encode() + b"\xbf" + "伟".encode(), "张\ufffd伟", id="stray-in-chinese"),
    pytest.param(
        "张伟".encode() + b"\xc0\xaf" + "小明".encode(), "张伟\ufffd\ufffd小明", id="overlong"
    ),
    pytest.param(b"Tom\xe0\x80\xaf", "Tom\ufffd\ufffd\ufffd", id="overlong-three-bytes"),
    pytest.param(b"Tom\xed\xa0\x80", "Tom\ufffd\ufffd\ufffd", id="encoded-surrogate"),
    pytest.param(b"\xff\xff", "\ufffd\ufffd", id="ff-bytes"),
]


@pytest.mark.parametrize(("name", "read"), BROKEN_UTF8)
def test_kind_b_broken_utf8_is_read_with_replacement_characters(name: bytes, read: str) -> None:
    value, seen = parse_json(b'{"name": "' + name + b'", "score": 0.5}')
    assert value == {"name": read, "score": 0.5}
    assert seen == ("invalid_utf8",)


def test_kind_b_broken_utf8_after_a_bom_is_read() -> None:
    value, seen = parse_json(codecs.BOM_UTF8 + b'{"name": "To\x80m"}')
    assert value == {"name": "To\ufffdm"}
    assert seen == ("bom", "invalid_utf8")


def test_kind_b_bytes_that_are_gbk_and_show_no_utf8_are_read_as_gbk() -> None:
    # b"\xc0\xaf" is an overlong "/" in UTF-8 and "蜡" in GBK: with no well-formed UTF-8 around
    # it, GBK (which boxes write) wins.
    value, seen = parse_json(b'{"name": "a\xc0\xafb"}')
    assert value == {"name": "a蜡b"}
    assert seen == ("legacy_encoding",)


@pytest.mark.parametrize(
    ("name", "read"),
    [
        p
        for p in BROKEN_UTF8
        if p.id in ("cut-multibyte", "cut-inside", "stray-continuation", "overlong")
    ],
)
async def test_kind_b_a_frame_with_broken_utf8_is_delivered_and_noted(
    listening: Listening, simulator: BoxSimulator, name: bytes, read: str
) -> None:
    id_key = "device_id" if simulator.generation == "1.0" else "media_device_id"
    frame = frame_of(
        simulator.generation,
        identity_name="@name@",
        timestamp=int(time.time() * 1000),
        **{id_key: simulator.devices[0].device_id},
    )
    await simulator.push_raw(json.dumps(frame).encode().replace(b"@name@", name))
    await listening.received(1)
    assert listening.events[0].identity_name == read
    assert listening.events[0].problems == ()
    assert quirks(listening)["invalid_utf8"] == 1
    assert listening.client.counters.rejected_total == 0


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("raw", [float("nan"), float("inf"), float("-inf"), "NaN", [0.5], "high"])
def test_kind_b_an_unreadable_score_is_null_and_noted(generation: str, raw: object) -> None:
    event = parse(generation, frame_of(generation, score=raw))
    assert event.score is None
    assert event.score_raw is None
    assert event.problems == ("score_invalid",)
    assert event.identity_name == "Tom"


@pytest.mark.parametrize("generation", GENERATIONS)
def test_kind_b_an_absent_score_is_not_noted(generation: str) -> None:
    assert parse(generation, frame_of(generation, score=None)).problems == ()


async def test_kind_b_nan_scores_are_delivered_without_a_score(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.nan_score = True
    for _ in range(3):  # NaN, Infinity, -Infinity in turn
        await simulator.push_event(person=TOM)
    await listening.received(3)
    assert [e.score for e in listening.events] == [None] * 3
    assert [e.identity_name for e in listening.events] == ["Tom"] * 3
    assert quirks(listening)["non_finite_number"] == 3
    assert quirks(listening)["score_invalid"] == 3
    assert listening.client.counters.rejected_total == 0


@pytest.mark.parametrize(
    "faults",
    [
        {"bom": True},
        {"nul_padding": True},
        {"bom": True, "binary_frames": True},
        {"bom": True, "nul_padding": True, "binary_frames": True},
        {"legacy_encoding": "gbk_binary"},
        {"legacy_encoding": "gb18030_binary"},
        {"legacy_encoding": "utf16_binary"},
    ],
    ids=lambda faults: "+".join(f"{k}={v}" for k, v in faults.items()),
)
async def test_kind_b_frames_in_other_framings_are_delivered(
    listening: Listening, simulator: BoxSimulator, faults: dict[str, Any]
) -> None:
    for name, value in faults.items():
        setattr(simulator.faults, name, value)
    for person in (ZHANG, TOM, ROSTER[9]):
        await simulator.push_event(person=person)
    await listening.received(3)
    assert [e.identity_name for e in listening.events] == ["张伟", "Tom", ROSTER[9].name]
    assert listening.client.counters.rejected_total == 0
    counted = quirks(listening)
    assert any(counted.get(quirk) for quirk in ("bom", "nul_padding", "legacy_encoding", "utf16"))


async def test_kind_b_a_text_frame_in_gbk_is_rejected_and_the_next_one_arrives(
    listening: Listening, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    simulator.faults.legacy_encoding = "gbk_text"
    await simulator.push_event(person=ZHANG)
    await wait_for(lambda: listening.rejected)
    assert listening.client.counters.frames_rejected == {"text_not_utf8": 1}
    assert "Dropped a frame" in caplog.text
    assert "text_not_utf8" in caplog.text
    simulator.faults.reset()
    await simulator.wait_for_subscription(count=2)
    await listening.connected(2)
    assert listening.client.backoff.attempt == 0  # reconnected at once, with no backoff
    await simulator.push_event(person=ZHANG)
    await listening.received(1)
    assert listening.events[0].identity_name == "张伟"
    assert listening.client.state is ConnectionState.CONNECTED


async def test_kind_b_text_frames_in_gbk_are_each_counted(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.legacy_encoding = "gbk_text"
    for count, person in enumerate((ZHANG, ROSTER[0], ROSTER[9]), start=1):
        await simulator.push_event(person=person)
        await wait_for(lambda count=count: len(listening.rejected) == count)
        await simulator.wait_for_subscription(count=count + 1)
    assert listening.client.counters.frames_rejected == {"text_not_utf8": 3}
    assert listening.client.counters.frames_received == 3


@pytest.mark.parametrize(
    ("faults", "quirk"),
    [
        ({"bom": True}, "bom"),
        ({"nul_padding": True}, "nul_padding"),
        ({"rest_encoding": "gbk"}, "legacy_encoding"),
        ({"rest_encoding": "gb18030"}, "legacy_encoding"),
        ({"rest_encoding": "utf16"}, "utf16"),
        ({"rest_encoding": "utf16", "bom": True}, "utf16"),
    ],
    ids=lambda value: (
        "+".join(f"{k}={v}" for k, v in value.items()) if isinstance(value, dict) else value
    ),
)
async def test_kind_b_device_lists_in_other_framings_are_read(
    client: Any, simulator: BoxSimulator, faults: dict[str, Any], quirk: str
) -> None:
    for name, value in faults.items():
        setattr(simulator.faults, name, value)
    devices = await client.async_get_devices()
    assert [(d.device_id, d.name) for d in devices] == [
        (d.device_id, d.name) for d in simulator.devices
    ]
    assert client.counters.quirks_accepted[quirk] >= 1


B64 = base64.b64encode(JPEG).decode()
URL_SAFE = base64.urlsafe_b64encode(JPEG).decode()
BASE64_VARIANTS = [
    pytest.param(B64, id="plain"),
    pytest.param("\r\n".join(B64[i : i + 8] for i in range(0, len(B64), 8)), id="mime-breaks"),
    pytest.param(URL_SAFE, id="url-safe"),
    pytest.param(B64.rstrip("="), id="no-padding"),
    pytest.param(URL_SAFE.rstrip("="), id="url-safe-no-padding"),
    pytest.param(" \r\n\t" + B64, id="leading-space"),
    pytest.param("data:image/jpg;base64," + B64, id="data-uri-jpg"),
    pytest.param("data:application/octet-stream;base64," + B64, id="data-uri-octet-stream"),
    pytest.param("DATA:IMAGE/JPEG;BASE64," + B64, id="data-uri-upper-case"),
    pytest.param("data:image/jpeg;name=face.jpg;base64," + B64, id="data-uri-parameter"),
    pytest.param("  data:image/jpeg;base64," + URL_SAFE.rstrip("="), id="all-at-once"),
]


def test_kind_b_the_sample_jpeg_needs_padding() -> None:
    assert B64.endswith("=")
    assert "-" in URL_SAFE or "_" in URL_SAFE


@pytest.mark.parametrize("text", BASE64_VARIANTS)
def test_kind_b_base64_in_every_variant_is_decoded(text: str) -> None:
    assert looks_like_jpeg_base64(text)
    assert decode_base64(text) == JPEG


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("text", BASE64_VARIANTS)
def test_kind_b_pictures_in_every_variant_are_kept(generation: str, text: str) -> None:
    if generation == "1.0":
        frame = frame_of(generation, reg_pic=text)
        frame["ext_data"]["recognize_face"] = text
    else:
        frame = frame_of(generation, register_image=text, recognize_face_image=text)
    event = parse(generation, frame)
    assert event.problems == ()
    assert event.face_image is not None
    assert event.face_image.decoded  # the face crop on receipt
    assert event.registered_image is not None
    assert not event.registered_image.decoded  # the registered photo when first asked for
    assert event.face_image.content() == event.registered_image.content() == JPEG


@pytest.mark.parametrize(
    "text",
    ["abc", "/9j/4AAQSkZJRgABAQ%%not base64!!", "data:image/jpeg;base64,/9j/4A*"],
)
def test_kind_b_garbage_base64_is_still_refused(text: str) -> None:
    with pytest.raises(ValueError):  # binascii.Error is one
        decode_base64(text)


async def test_kind_b_the_base64_variant_switch_is_decoded(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.base64_variant = "rotate"
    sent = [await simulator.push_event(person_type=PersonType.VIP) for _ in range(7)]
    await listening.received(7)
    for frame, event in zip(sent, listening.events, strict=True):
        images = simulator.images_of(frame["event_id"])
        assert event.face_image is not None
        assert event.face_image.content() == images["face"]
        assert event.registered_image is not None
        assert event.registered_image.content() == images["registered"]
    assert listening.client.counters.images_dropped == 0


# Kind C: values are checked for plausibility.


@pytest.mark.parametrize(
    ("generation", "raw"),
    [
        ("1.0", 86.5),
        ("1.0", -0.2),
        ("1.0", 1.5),
        ("1.0", 100),
        ("1.0", "86.5"),
        ("2.0", -5),
        ("2.0", 100.01),
        ("2.0", 1e6),
    ],
)
def test_kind_c_scores_out_of_scale_are_kept_raw_and_noted(generation: str, raw: object) -> None:
    event = parse(generation, frame_of(generation, score=raw))
    assert event.score is None
    assert event.score_raw == float(raw)  # type: ignore[arg-type]
    assert event.problems == ("score_out_of_range",)


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_kind_c_scores_on_scale_are_kept(generation: str, share: float) -> None:
    event = parse(generation, frame_of(generation, score=share * SCALE[generation]))
    assert event.score == pytest.approx(share)
    assert event.problems == ()


HOUR_MS = 3_600_000
RECEIPT_MS = int(RECEIPT.timestamp() * 1000)


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(1000, id="1970-seconds"),
        pytest.param(1_000_000, id="1970-milliseconds"),
        pytest.param(4_102_444_800_000, id="year-2100"),
        pytest.param(RECEIPT_MS + 8 * HOUR_MS, id="8-hours-ahead"),
        pytest.param(RECEIPT_MS - 25 * HOUR_MS, id="25-hours-behind"),
        pytest.param(FRAME_MS * 1000, id="microseconds"),
        pytest.param(str(FRAME_MS * 1000), id="microseconds-as-string"),
    ],
)
def test_kind_c_implausible_timestamps_fall_back_to_receipt(generation: str, raw: object) -> None:
    event = parse(generation, frame_of(generation, timestamp=raw))
    assert event.timestamp == RECEIPT
    assert "timestamp_implausible" in event.problems


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize(
    "offset",
    [MAX_AHEAD - timedelta(seconds=1), timedelta(0), -MAX_BEHIND + timedelta(seconds=1)],
    ids=["just-ahead", "now", "just-behind"],
)
def test_kind_c_timestamps_within_the_window_are_kept(generation: str, offset: timedelta) -> None:
    moment = RECEIPT + offset
    event = parse(generation, frame_of(generation, timestamp=int(moment.timestamp() * 1000)))
    assert event.timestamp == moment
    assert event.problems == ()


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize("raw", [None, "soon", -5])
def test_kind_c_unreadable_timestamps_stay_invalid(generation: str, raw: object) -> None:
    event = parse(generation, frame_of(generation, timestamp=raw))
    assert event.timestamp == RECEIPT
    assert "timestamp_invalid" in event.problems
    assert "timestamp_implausible" not in event.problems


def test_kind_c_the_window_is_five_minutes_ahead_and_a_day_behind() -> None:
    assert MAX_AHEAD.total_seconds() == 5 * 60
    assert MAX_BEHIND.total_seconds() == 24 * 3600


async def test_kind_c_the_score_scale_switch_is_flagged(
    listening: Listening, simulator: BoxSimulator
) -> None:
    simulator.faults.score_scale_wrong = True
    sent = [await simulator.push_event(person=TOM, score=0.865) for _ in range(4)]
    await listening.received(4)
    assert [e.score for e in listening.events] == [None] * 4
    assert [e.score_raw for e in listening.events] == [frame["score"] for frame in sent]
    assert len({frame["score"] for frame in sent}) == 4
    assert quirks(listening)["score_out_of_range"] == 4


async def test_kind_c_the_bad_clock_switch_falls_back_to_receipt(
    listening: Listening, simulator: BoxSimulator
) -> None:
    listening.client.clock = lambda: RECEIPT
    simulator.faults.bad_clock = True
    sent = [await simulator.push_event(person=TOM, timestamp_ms=FRAME_MS) for _ in range(5)]
    await listening.received(5)
    assert len({frame["timestamp"] for frame in sent}) == 5
    assert [e.timestamp for e in listening.events] == [RECEIPT] * 5
    assert quirks(listening)["timestamp_implausible"] == 5


@pytest.mark.parametrize(
    ("offset", "plausible"), [(-3600.0, True), (3600.0, False), (-90_000.0, False)]
)
async def test_kind_c_the_clock_offset_switch_is_checked(
    listening: Listening, simulator: BoxSimulator, offset: float, plausible: bool
) -> None:
    listening.client.clock = lambda: RECEIPT
    simulator.faults.clock_offset = offset
    await simulator.push_event(person=TOM, timestamp_ms=RECEIPT_MS)
    await listening.received(1)
    shifted = RECEIPT + timedelta(seconds=offset)
    assert listening.events[0].timestamp == (shifted if plausible else RECEIPT)
    assert ("timestamp_implausible" in listening.events[0].problems) is not plausible


@pytest.mark.parametrize("generation", GENERATIONS)
@pytest.mark.parametrize(
    "identity_id",
    ["emp  007", "Jose\u0301", "a\tb", "工号 007", "x" * 300, "#1/2?3"],
    ids=["two-spaces", "decomposed", "tab", "chinese-space", "long", "punctuation"],
)
def test_an_identity_id_is_kept_as_the_library_lists_it(generation: str, identity_id: str) -> None:
    """Only padding comes off an id: inside it, spaces, tabs and composition stay as they are,
    so the id a recognition gives finds its person in the face library."""
    event = parse(generation, frame_of(generation, identity_id=f"\ufeff{identity_id}\x00"))
    assert event.identity_id == identity_id
    assert "text_cleaned:identity_id" in event.problems
