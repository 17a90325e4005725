"""The tolerant readers and the 1.0 parser, on values no simulator switch produces."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from custom_components.sophon.api import (
    ClientCounters,
    FrameRejectedError,
    PersonType,
    SophonResponseError,
)
from custom_components.sophon.api.coerce import (
    as_dict,
    as_float,
    as_int,
    as_str,
    as_timestamp,
    describe,
)
from custom_components.sophon.api.generation_v1 import parse_devices, parse_event
from custom_components.sophon.api.pictures import decode_jpeg

NOW = datetime(2026, 11, 26, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0fake-jpeg"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("a", "a"), (5, "5"), (0.5, "0.5"), (True, None), (None, None), ([], None)],
)
def test_as_str(value: object, expected: str | None) -> None:
    assert as_str(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(5, 5), ("5", 5), ("5.0", 5), (5.0, 5), (5.5, None), (True, None), ("x", None), ({}, None)],
)
def test_as_int(value: object, expected: int | None) -> None:
    assert as_int(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.78, 0.78), ("0.78", 0.78), (" 1 ", 1.0), ("nan", None), ("inf", None), (False, None)],
)
def test_as_float(value: object, expected: float | None) -> None:
    assert as_float(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"a": 1}, {"a": 1}), ('{"a": 1}', {"a": 1}), ("{broken", None), ("[1]", None), (3, None)],
)
def test_as_dict(value: object, expected: dict[str, int] | None) -> None:
    assert as_dict(value) == expected


@pytest.mark.parametrize(
    ("value", "quirk"),
    [
        (1_764_115_200_000, None),
        (1_764_115_200, "timestamp_seconds"),
        ("1764115200000", "timestamp_as_string"),
        (-5, "timestamp_invalid"),
        ("soon", "timestamp_invalid"),
        (1e30, "timestamp_invalid"),
    ],
)
def test_as_timestamp_reads_seconds_and_milliseconds(value: object, quirk: str | None) -> None:
    moment, seen = as_timestamp(value)
    assert seen == quirk
    if quirk != "timestamp_invalid":
        assert moment == datetime(2025, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (base64.b64encode(JPEG).decode(), (JPEG, None)),
        ("data:image/jpeg;base64," + base64.b64encode(JPEG).decode(), (JPEG, None)),
        ("", (None, None)),
        (None, (None, None)),
        (12, (None, "image_wrong_type")),
        ("abc", (None, "image_bad_base64")),
        (base64.b64encode(b"\x89PNG....").decode(), (None, "image_not_jpeg")),
    ],
)
def test_decode_jpeg(value: object, expected: tuple[bytes | None, str | None]) -> None:
    assert decode_jpeg(value) == expected


def test_describe_cuts_long_values_and_hides_credentials() -> None:
    text = describe("rtsp://admin:pw@10.0.0.1/" + "x" * 500)
    assert "pw" not in text
    assert len(text) <= 120
    assert describe(b"<html>") == "b'<html>'"
    assert describe([1, 2]) == "a list of 2 items"


def test_device_list_without_a_list_is_an_error() -> None:
    with pytest.raises(SophonResponseError, match="no device list"):
        parse_devices({"code": 0, "msg": "ok"})


def test_device_list_skips_entries_without_an_id() -> None:
    devices = parse_devices([{"name": "no id"}, {"id": "a1", "type": 4}, "junk"])
    assert [d.device_id for d in devices] == ["a1"]


def test_empty_device_list_is_an_empty_box() -> None:
    assert parse_devices({"data": {"devices_list": []}}) == []


def test_event_without_a_device_id_is_rejected_with_its_keys() -> None:
    with pytest.raises(FrameRejectedError) as err:
        parse_event({"identity_name": "x"}, NOW)
    assert err.value.reason == "no_device_id"
    assert "identity_name" in err.value.detail


def test_event_with_garbage_in_every_field_is_still_an_event() -> None:
    event = parse_event(
        {
            "device_id": "d1",
            "ext_data": "not an object",
            "person_type": "employee?",
            "timestamp": None,
            "identity_info": 5,
            "score": [1],
        },
        NOW,
    )
    assert event.timestamp == NOW
    assert event.person_type is PersonType.UNKNOWN
    assert event.score is None
    assert event.identity_info == {}
    assert set(event.problems) == {
        "ext_data_wrong_type",
        "person_type_invalid",
        "timestamp_invalid",
        "identity_info_wrong_type",
        "score_invalid",
    }


def test_counters_as_plain_data() -> None:
    counters = ClientCounters(frames_rejected={"invalid_json": 2})
    assert counters.rejected_total == 2
    assert counters.as_dict()["frames_rejected"] == {"invalid_json": 2}


def test_an_unmatched_face_without_a_type_is_a_stranger() -> None:
    event = parse_event({"device_id": "d1", "identity_id": "", "identity_name": ""}, NOW)
    assert event.person_type is PersonType.STRANGER
    matched = parse_event({"device_id": "d1", "identity_id": "7", "identity_name": "Tom"}, NOW)
    assert matched.person_type is PersonType.EMPLOYEE
