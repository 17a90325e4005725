"""The 2.0 parser on the shapes protocol-v2.md section 4 says real boxes send."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from custom_components.sophon.api import (
    DeviceType,
    FrameRejectedError,
    PersonType,
    SophonBoxStartingError,
    SophonResponseError,
)
from custom_components.sophon.api.generation_v2 import GenerationV2, parse_device, parse_event

# Received half an hour after the frame's time (a day behind it would be implausible).
NOW = datetime(2025, 11, 26, 9, tzinfo=UTC)
JPEG = b"\xff\xd8\xff\xe0v2-face"
TEMPLATE = base64.b64encode(b"TEMPLATE-1-" * 40).decode()


def frame(**changes: object) -> dict[str, object]:
    """Return a 2.0 event as the vendor documents it, with changes."""
    base: dict[str, object] = {
        "event_id": "1607062639.737444",
        "timestamp": 1_764_145_812_345,
        "identity_id": "100000",
        "identity_name": "小王",
        "user_type": "vip",
        "score": 82.05,
        "media_device_id": "0f5c6a2e9b8d4c1fa3e7b6d5c4a3b2e1",
        "media_device_ip": "192.168.1.20",
        "media_device_type": "rtsp",
        "recognize_face_image": "data:image/jpeg;base64," + base64.b64encode(JPEG).decode(),
        "register_image": base64.b64encode(JPEG).decode(),
        "recognize_face_attr": {
            "gender": "male",
            "age": "youth",
            "mask": "no",
            "glasses": None,
            "hat": None,
            "expression": "smile",
            "box": [1, 2, 3, 4],
            "point": [0.1] * 10,
            "feature_binary": TEMPLATE,
            "feature_base64_str": TEMPLATE,
        },
    }
    base.update(changes)
    return base


def test_event_is_read_into_the_shared_model() -> None:
    event = parse_event(frame(), NOW)
    assert event.device_id == "0f5c6a2e9b8d4c1fa3e7b6d5c4a3b2e1"
    assert event.person_type is PersonType.VIP
    assert event.person_type_code is None
    assert event.score == pytest.approx(0.8205)
    assert event.score_raw == 82.05
    assert event.device_type is DeviceType.VIDEO_STREAM
    assert event.timestamp == datetime.fromtimestamp(1_764_145_812.345, UTC)
    assert event.face_image is not None
    assert event.face_image.decoded  # the face crop is decoded on receipt
    assert event.face_image.content() == JPEG
    assert event.registered_image is not None
    assert not event.registered_image.decoded  # the registered photo when first asked for
    assert event.registered_image.content() == JPEG
    assert event.scene_image is None
    assert event.face_attributes == {
        "gender": "male",
        "age": "youth",
        "mask": "no",
        "expression": "smile",
    }
    assert event.problems == ()


def test_the_template_is_dropped_while_parsing() -> None:
    event = parse_event(frame(), NOW)
    assert TEMPLATE not in repr(event)
    assert TEMPLATE not in str(vars(event) if hasattr(event, "__dict__") else event)


@pytest.mark.parametrize(
    ("user_type", "person_type"),
    [
        ("VIP", PersonType.VIP),
        ("Blacklist", PersonType.BLACKLIST),
        ("stranger", PersonType.STRANGER),
        ("car", PersonType.UNKNOWN),
        (None, PersonType.UNKNOWN),
    ],
)
def test_user_type_in_any_case(user_type: str | None, person_type: PersonType) -> None:
    event = parse_event(frame(user_type=user_type), NOW)
    assert event.person_type is person_type
    assert event.person_type_raw == user_type


@pytest.mark.parametrize(("score", "expected"), [(104.5, None), (-3, None), ("82.05", 0.8205)])
def test_scores_out_of_range_are_kept_raw_and_flagged(
    score: object, expected: float | None
) -> None:
    event = parse_event(frame(score=score), NOW)
    assert event.score == (pytest.approx(expected) if expected is not None else None)
    assert ("score_out_of_range" in event.problems) is (expected is None)


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n").decode(), "image_not_jpeg"),
        (base64.b64encode(b"GIF89a").decode(), "image_not_jpeg"),
        ("data:image/jpeg;base64,abc", "image_bad_base64"),
        (42, "image_wrong_type"),
    ],
)
def test_a_registered_photo_that_does_not_begin_like_a_jpeg_is_checked_at_once(
    image: object, problem: str
) -> None:
    event = parse_event(frame(register_image=image), NOW)
    assert event.registered_image is None
    assert f"{problem}:registered_image" in event.problems


def test_a_registered_photo_that_begins_like_a_jpeg_is_decoded_when_asked_for() -> None:
    bad = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ%%not base64!!"
    event = parse_event(frame(register_image=bad), NOW)
    assert event.registered_image is not None
    assert not event.registered_image.decoded
    assert event.problems == ()
    assert "not base64" not in repr(event.registered_image)
    with pytest.raises(ValueError, match="padding"):
        event.registered_image.content()


def test_vendor_example_with_one_point_zero_leftovers_is_accepted() -> None:
    leftovers = frame(reg_pic="", score=0.6231614351272583)
    del leftovers["event_id"], leftovers["user_type"]
    event = parse_event(leftovers, NOW)
    assert event.event_id is None
    assert event.person_type is PersonType.UNKNOWN
    assert event.score == pytest.approx(0.006231614351272583)


@pytest.mark.parametrize(
    ("image", "problem"),
    [
        ("", None),
        (None, None),
        ("data:image/png;base64," + base64.b64encode(b"\x89PNG\r\n").decode(), "image_not_jpeg"),
        ("data:image/jpeg;base64,abc", "image_bad_base64"),
    ],
)
def test_image_encodings(image: str | None, problem: str | None) -> None:
    event = parse_event(frame(recognize_face_image=image), NOW)
    assert event.face_image is None
    assert [p for p in event.problems if p.endswith(":face_image")] == (
        [f"{problem}:face_image"] if problem else []
    )


def test_timestamp_in_float_seconds() -> None:
    event = parse_event(frame(timestamp=1_764_145_812.345), NOW)
    assert event.timestamp == datetime.fromtimestamp(1_764_145_812.345, UTC)


def test_null_or_missing_attributes_give_none() -> None:
    assert parse_event(frame(recognize_face_attr=None), NOW).face_attributes == {}
    nulls = dict.fromkeys(("gender", "age", "mask", "glasses", "expression"))
    assert parse_event(frame(recognize_face_attr=nulls), NOW).face_attributes == {}


def test_frame_without_a_media_device_is_rejected() -> None:
    with pytest.raises(FrameRejectedError) as err:
        parse_event(frame(media_device_id=None), NOW)
    assert err.value.reason == "no_device_id"


def test_media_device_keeps_extras_and_hides_its_url() -> None:
    device = parse_device(
        {
            "media_device_id": "d-1",
            "media_device_name": "前门设备",
            "media_device_type": "GB28181",
            "media_device_url": "rtsp://admin:pw@10.0.0.2/1",
            "media_device_ip": "10.0.0.2",
            "net_relay": {},
        }
    )
    assert device is not None
    assert device.device_type is DeviceType.GB28181
    assert device.extra == {"net_relay": {}}
    assert "pw" not in repr(device)


async def test_error_envelopes() -> None:
    async def starting(*_args: object, **_kwargs: object) -> object:
        return {"error": {"code": "DEVICE_INIT_ERROR", "message": "init"}}

    async def other(*_args: object, **_kwargs: object) -> object:
        return {"error": {"code": 1001, "message": "bad"}}

    with pytest.raises(SophonBoxStartingError):
        await GenerationV2().fetch_devices(starting)
    with pytest.raises(SophonResponseError, match="1001"):
        await GenerationV2().fetch_devices(other)


def test_an_unmatched_face_without_a_user_type_is_a_stranger() -> None:
    event = parse_event(frame(user_type=None, identity_id="", identity_name=""), NOW)
    assert event.person_type is PersonType.STRANGER
