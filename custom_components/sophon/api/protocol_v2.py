"""Protocol generation 2.0 (firmware V6): media devices, string user types, 0..100 scores."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .coerce import as_dict, as_float, as_str, as_timestamp, describe, picture
from .exceptions import FrameRejectedError, SophonBoxStartingError, SophonResponseError
from .models import Device, DeviceType, PersonType, RecognitionEvent, Subscription

if TYPE_CHECKING:
    from .generation import Rest

NAME = "2.0"
DEVICE_LIST_PATH = "/sophon/v2/face/getmediadevices"
EVENT_PATH = "/sophon/v2/face/getevent"
SPOT_IMAGE_PATH = "/sophon/v2/face/getspotimage/{}"
VERSION_PATH = "/sophon/v2/system/getsoftwareversion"
STARTING_CODE = "DEVICE_INIT_ERROR"

DEVICE_TYPES = {
    "rtsp": DeviceType.VIDEO_STREAM,
    "photo": DeviceType.PHOTO,
    "file": DeviceType.VIDEO_FILE,
    "gb28181": DeviceType.GB28181,
}
# Face attributes worth showing. Landmarks ("point") and the biometric template
# ("feature_binary", "feature_base64_str") are dropped here and never stored.
FACE_ATTRIBUTES = ("gender", "age", "mask", "glasses", "expression")
_KNOWN_DEVICE_KEYS = {
    "media_device_id",
    "media_device_name",
    "media_device_ip",
    "media_device_type",
    "media_device_url",
    "media_device_key",
    "rtmp_address",  # a forwarding URL, which can hold credentials like the stream URL
}
SCORE_SCALE = 100.0


class ProtocolV2:
    """Speak the second generation of the box's push protocol."""

    name = NAME
    scene_on_demand = True

    def recognizes(self, frame: dict[str, Any]) -> bool:
        """Return True for frames that name a media_device_id."""
        return "media_device_id" in frame

    async def fetch_devices(self, rest: Rest) -> list[Device]:
        """Read the media devices with POST /sophon/v2/face/getmediadevices."""
        answer = _checked(await rest("POST", DEVICE_LIST_PATH, {}))
        items = answer.get("devices")
        if not isinstance(items, list):
            raise SophonResponseError(f"no device list in the answer: {describe(answer)}")
        devices = [device for item in items if (device := parse_device(item)) is not None]
        if items and not devices:
            raise SophonResponseError(f"no device id in the device list: {describe(items[0])}")
        return devices

    async def fetch_firmware_version(self, rest: Rest, port: int) -> str | None:
        """Read the flat answer of POST /sophon/v2/system/getsoftwareversion."""
        answer = _checked(await rest("POST", VERSION_PATH, {}, port=port))
        return as_str(answer.get("app_version_details"))

    async def fetch_scene_image(self, rest: Rest, event_id: str) -> bytes | None:
        """Fetch the scene photo: getevent gives its id and time, getspotimage its bytes."""
        record = _checked(await rest("POST", EVENT_PATH, {"event_id": event_id}))
        spot_id = as_str(record.get("spot_image_id"))
        timestamp = as_str(record.get("timestamp"))
        if not spot_id or timestamp is None:
            raise SophonResponseError(f"event {event_id} has no scene photo: {describe(record)}")
        content: bytes = await rest(
            "GET", SPOT_IMAGE_PATH.format(spot_id), params={"timestamp": timestamp}, raw=True
        )
        return content

    def subscription_message(self, subscription: Subscription) -> dict[str, Any]:
        """Return the configuration frame sent after the WebSocket opens."""
        return {
            "with_face_image": subscription.with_face,
            "with_register_image": subscription.with_registered,
            "media_device_ids": list(subscription.device_ids),
        }

    def parse_event(self, frame: dict[str, Any], received_at: datetime) -> RecognitionEvent:
        """Turn one pushed JSON object into a recognition event."""
        return parse_event(frame, received_at)


def _checked(answer: Any) -> dict[str, Any]:
    """Return an answer object, or raise for the box's error envelope."""
    if not isinstance(answer, dict):
        raise SophonResponseError(f"expected an object, got {describe(answer)}")
    error = answer.get("error")
    if isinstance(error, dict):
        code = as_str(error.get("code")) or "?"
        message = as_str(error.get("message")) or ""
        if code == STARTING_CODE:
            raise SophonBoxStartingError(f"the box is starting: {message}")
        raise SophonResponseError(f"the box answered error {code}: {describe(message)}")
    return answer


def parse_device(item: Any) -> Device | None:
    """Parse one media device; None when it carries no id."""
    if not isinstance(item, dict) or not (device_id := as_str(item.get("media_device_id"))):
        return None
    type_raw = as_str(item.get("media_device_type"))
    return Device(
        device_id=device_id,
        name=as_str(item.get("media_device_name")),
        ip=as_str(item.get("media_device_ip")),
        device_type=DEVICE_TYPES.get((type_raw or "").lower(), DeviceType.UNKNOWN),
        device_type_raw=type_raw,
        extra={key: value for key, value in item.items() if key not in _KNOWN_DEVICE_KEYS},
        stream_url=as_str(item.get("media_device_url")),
    )


def parse_event(frame: dict[str, Any], received_at: datetime) -> RecognitionEvent:
    """Parse a 2.0 event, accepting every quirk of protocol-v2.md section 4."""
    device_id = as_str(frame.get("media_device_id"))
    if not device_id:
        raise FrameRejectedError("no_device_id", f"frame has {describe(frame)}")
    problems: list[str] = []
    timestamp, quirk = as_timestamp(frame.get("timestamp"))
    if quirk:
        problems.append(quirk)
    identity_id = as_str(frame.get("identity_id")) or ""
    person_type, type_raw = _person_type(frame.get("user_type"), identity_id, problems)
    score, score_raw = _score(frame.get("score"), problems)
    device_type_raw = as_str(frame.get("media_device_type"))
    # As on 1.0: the face crop is decoded now, the registered photo when first shown.
    face = picture("face_image", frame.get("recognize_face_image"), problems)
    registered = picture("registered_image", frame.get("register_image"), problems, lazy=True)
    return RecognitionEvent(
        device_id=device_id,
        timestamp=timestamp or received_at,
        identity_id=identity_id,
        identity_name=as_str(frame.get("identity_name")) or "",
        person_type=person_type,
        person_type_raw=type_raw,
        score=score,
        score_raw=score_raw,
        group_name=as_str(frame.get("group_name")),
        device_type=DEVICE_TYPES.get((device_type_raw or "").lower(), DeviceType.UNKNOWN),
        device_type_raw=device_type_raw,
        device_ip=as_str(frame.get("media_device_ip")),
        event_id=as_str(frame.get("event_id")),
        face_attributes=_face_attributes(frame.get("recognize_face_attr")),
        face_image=face,
        registered_image=registered,
        problems=tuple(problems),
    )


def _person_type(raw: Any, identity_id: str, problems: list[str]) -> tuple[PersonType, str | None]:
    """Map user_type in any letter case; anything else is unknown, kept raw."""
    text = as_str(raw)
    if text is None:
        problems.append("user_type_missing")
        return (PersonType.UNKNOWN if identity_id else PersonType.STRANGER), None
    try:
        person_type = PersonType(text.strip().lower())
    except ValueError:
        problems.append("user_type_unknown")
        return PersonType.UNKNOWN, text
    return person_type, text


def _score(raw: Any, problems: list[str]) -> tuple[float | None, float | None]:
    """Return the 0..1 score from the 2.0 scale of 0..100; out of range is kept raw only."""
    value = as_float(raw)
    if value is None:
        return None, None
    if not 0 <= value <= SCORE_SCALE:
        problems.append("score_out_of_range")
        return None, value
    return value / SCORE_SCALE, value


def _face_attributes(raw: Any) -> dict[str, str]:
    """Keep the readable attributes that the box sent with a value; drop the template."""
    attributes = as_dict(raw) or {}
    return {
        key: text for key in FACE_ATTRIBUTES if (text := as_str(attributes.get(key))) is not None
    }
