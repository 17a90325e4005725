"""Generation 2.0 (firmware V6): media devices, string user types, 0..100 scores."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from .coerce import as_clean_str, as_dict, as_id, as_identity, as_serial, as_str, as_text, describe
from .exceptions import (
    FrameRejectedError,
    SophonBoxStartingError,
    SophonNotFoundError,
    SophonNotSupportedError,
    SophonResponseError,
)
from .models import Device, DeviceType, PersonType, RecognitionEvent, Subscription
from .pictures import picture
from .plausibility import checked_score, checked_time

if TYPE_CHECKING:
    from .generation import Rest
    from .pictures import BoxPictures, Jpeg, PictureOnRequest

NAME = "2.0"
DEVICE_LIST_PATH = "/sophon/v2/face/getmediadevices"
EVENT_PATH = "/sophon/v2/face/getevent"
SPOT_IMAGE_PATH = "/sophon/v2/face/getspotimage/{}"
VERSION_PATH = "/sophon/v2/system/getsoftwareversion"
SERIAL_PATH = "/sophon/v2/system/getdevicesn"
TIME_PATH = "/sophon/v2/system/gettime"
HOSTNAME_PATH = "/sophon/v2/system/gethostname"
STARTING_CODE = "DEVICE_INIT_ERROR"
# Error codes that say the record or picture asked for does not exist (api section 0).
NOT_FOUND_CODES = frozenset({"ID_NOT_FOUND", "EVENT_NOT_FOUND"})

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


class GenerationV2:
    """Speak the box's second generation (2.0)."""

    name = NAME

    def recognizes(self, frame: dict[str, Any]) -> bool:
        """Return True for frames that name a media_device_id."""
        return "media_device_id" in frame

    async def fetch_devices(self, rest: Rest) -> list[Device]:
        """Read the media devices with POST /sophon/v2/face/getmediadevices."""
        answer = checked(await rest("POST", DEVICE_LIST_PATH, {}))
        items = answer.get("devices")
        if not isinstance(items, list):
            raise SophonResponseError(f"no device list in the answer: {describe(answer)}")
        devices = [device for item in items if (device := parse_device(item)) is not None]
        if items and not devices:
            raise SophonResponseError(f"no device id in the device list: {describe(items[0])}")
        return devices

    async def fetch_firmware_version(self, rest: Rest, port: int) -> str | None:
        """Read the flat answer of POST /sophon/v2/system/getsoftwareversion."""
        answer = checked(await rest("POST", VERSION_PATH, {}, port=port))
        return as_str(answer.get("app_version_details"))

    async def fetch_serial_number(self, rest: Rest, port: int) -> str | None:
        """Read the flat answer of POST /sophon/v2/system/getdevicesn (api section 4)."""
        answer = checked(await rest("POST", SERIAL_PATH, {}, port=port))
        return as_serial(answer.get("device_sn"))

    async def fetch_hostname(self, rest: Rest, port: int) -> str | None:
        """Read the flat {"hostname": ...} of POST /sophon/v2/system/gethostname (api section 4)."""
        answer = checked(await rest("POST", HOSTNAME_PATH, {}, port=port))
        return as_clean_str(answer.get("hostname"))

    async def fetch_box_time(self, rest: Rest, port: int) -> tuple[Any, Any]:
        """Read the flat {"time": ms, "timezone": -8} of POST /sophon/v2/system/gettime (api 4)."""
        answer = checked(await rest("POST", TIME_PATH, {}, port=port))
        return answer.get("time"), answer.get("timezone")

    async def fetch_scene_image(self, rest: Rest, event_id: str) -> bytes | None:
        """Fetch the scene photo: getevent gives its id and time, getspotimage its bytes.

        Raises SophonNotFoundError when the box no longer has the event or its picture (an
        ID_NOT_FOUND or EVENT_NOT_FOUND answer, a record without a picture, or a 404).
        """
        try:
            record = checked(await rest("POST", EVENT_PATH, {"event_id": event_id}))
        except SophonNotSupportedError as err:
            raise gone_or_failed(err, f"the record of event {event_id}") from err
        spot_id = as_str(record.get("spot_image_id"))
        timestamp = as_str(record.get("timestamp"))
        if not spot_id or timestamp is None:
            raise SophonNotFoundError(f"event {event_id} has no scene photo: {describe(record)}")
        return await fetch_spot_image(rest, spot_id, timestamp)

    def subscription_message(self, subscription: Subscription) -> dict[str, Any]:
        """Return the subscription frame sent after the WebSocket opens."""
        return {
            "with_face_image": subscription.with_face,
            "with_register_image": subscription.with_registered,
            "media_device_ids": list(subscription.device_ids),
        }

    def parse_event(
        self, frame: dict[str, Any], received_at: datetime, pictures: BoxPictures | None = None
    ) -> RecognitionEvent:
        """Turn one pushed JSON object into a recognition event."""
        return parse_event(frame, received_at, pictures)


def gone_or_failed(err: SophonNotSupportedError, what: str) -> SophonResponseError:
    """Return what a "no such call" answer means on a call this box has: 404 is "gone"."""
    if err.status == HTTPStatus.NOT_FOUND:
        return SophonNotFoundError(f"{what} is gone")
    return SophonResponseError(f"{what} could not be read: {err}")


async def fetch_spot_image(rest: Rest, spot_id: str, timestamp: str) -> bytes:
    """Fetch a scene photo: GET, then POST where GET is refused (api sections 2 and 7.5)."""
    path, params = SPOT_IMAGE_PATH.format(spot_id), {"timestamp": timestamp}
    for method in ("GET", "POST"):
        try:
            answer = await rest(method, path, params=params, raw=True)
        except SophonNotSupportedError as err:
            if err.status == HTTPStatus.NOT_FOUND:
                raise gone_or_failed(err, f"scene photo {spot_id}") from err
            continue
        if isinstance(answer, bytes):
            return answer
        checked(answer)  # the error envelope: not found, or another error
        raise SophonResponseError(f"scene photo {spot_id} is no JPEG: {describe(answer)}")
    raise SophonResponseError(f"scene photo {spot_id}: neither GET nor POST is answered")


def checked(answer: Any) -> dict[str, Any]:
    """Return an answer object, or raise for the box's error envelope."""
    if not isinstance(answer, dict):
        raise SophonResponseError(f"expected an object, got {describe(answer)}")
    error = answer.get("error")
    if isinstance(error, dict):
        code = as_str(error.get("code")) or "?"
        message = as_str(error.get("message")) or ""
        if code == STARTING_CODE:
            raise SophonBoxStartingError(f"the box is starting: {message}")
        if code in NOT_FOUND_CODES:
            raise SophonNotFoundError(f"the box answered {code}: {describe(message)}")
        raise SophonResponseError(f"the box answered error {code}: {describe(message)}")
    return answer


def parse_device(item: Any) -> Device | None:
    """Parse one media device; None when it carries no id."""
    if not isinstance(item, dict) or not (device_id := as_id(item.get("media_device_id"))):
        return None
    type_raw = as_clean_str(item.get("media_device_type"))
    return Device(
        device_id=device_id,
        name=as_clean_str(item.get("media_device_name")),
        ip=as_clean_str(item.get("media_device_ip")),
        device_type=DEVICE_TYPES.get((type_raw or "").lower(), DeviceType.UNKNOWN),
        device_type_raw=type_raw,
        extra={key: value for key, value in item.items() if key not in _KNOWN_DEVICE_KEYS},
        stream_url=as_str(item.get("media_device_url")),
    )


def parse_event(
    frame: dict[str, Any], received_at: datetime, pictures: BoxPictures | None = None
) -> RecognitionEvent:
    """Parse a 2.0 event, accepting every quirk of protocol-v2.md section 4 (see Generation)."""
    device_id = as_id(frame.get("media_device_id"))
    if not device_id:
        raise FrameRejectedError("no_device_id", f"frame has {describe(frame)}")
    problems: list[str] = []
    timestamp, box_time = checked_time(frame.get("timestamp"), received_at, problems)
    identity_id = as_identity(frame.get("identity_id"), problems)
    person_type, type_raw = person_type_of(frame.get("user_type"), identity_id, problems)
    score, score_raw = checked_score(frame.get("score"), SCORE_SCALE, problems)
    device_type_raw = as_text(frame.get("media_device_type"), "device_type_raw", problems)
    name = as_text(frame.get("identity_name"), "identity_name", problems) or ""
    group_name = as_text(frame.get("group_name"), "group_name", problems)
    device_ip = as_text(frame.get("media_device_ip"), "device_ip", problems)
    attributes = face_attributes(frame.get("recognize_face_attr"), problems)
    face, registered, scene = _pictures(frame, problems, pictures)
    return RecognitionEvent(
        device_id=device_id,
        timestamp=timestamp,
        box_time=box_time,
        identity_id=identity_id,
        identity_name=name,
        person_type=person_type,
        person_type_raw=type_raw,
        score=score,
        score_raw=score_raw,
        group_name=group_name,
        device_type=DEVICE_TYPES.get((device_type_raw or "").lower(), DeviceType.UNKNOWN),
        device_type_raw=device_type_raw,
        device_ip=device_ip,
        event_id=as_str(frame.get("event_id")),
        face_attributes=attributes,
        face_image=face,
        registered_image=registered,
        scene_on_request=scene,
        problems=tuple(problems),
    )


def _pictures(
    frame: dict[str, Any], problems: list[str], box: BoxPictures | None
) -> tuple[Jpeg | None, Jpeg | None, PictureOnRequest | None]:
    """Return the face crop and registered photo pushed with a frame, and the scene the box keeps.

    Without a box to fetch it from, an event has no scene photo.
    """
    # As on 1.0: the face crop is decoded now, the registered photo when first shown.
    face = picture("face_image", frame.get("recognize_face_image"), problems)
    registered = picture(
        "registered_image", frame.get("register_image"), problems, lazy=True, box=box
    )
    scene = box.scene_on_request(as_str(frame.get("event_id"))) if box else None
    return face, registered, scene


def person_type_of(
    raw: Any, identity_id: str, problems: list[str]
) -> tuple[PersonType, str | None]:
    """Map user_type in any letter case; anything else is unknown, kept raw."""
    text = as_text(raw, "person_type_raw", problems)
    if text is None:
        problems.append("user_type_missing")
        return (PersonType.UNKNOWN if identity_id else PersonType.STRANGER), None
    try:
        person_type = PersonType(text.strip().lower())
    except ValueError:
        problems.append("user_type_unknown")
        return PersonType.UNKNOWN, text
    return person_type, text


def face_attributes(raw: Any, problems: list[str]) -> dict[str, str]:
    """Keep the readable attributes that the box sent with a value, cleaned; drop the template."""
    attributes = as_dict(raw) or {}
    cleaned: list[str] = []
    kept = {
        key: text
        for key in FACE_ATTRIBUTES
        if (text := as_text(attributes.get(key), "face_attributes", cleaned)) is not None
    }
    problems.extend(cleaned[:1])  # one note for all the attributes
    return kept
