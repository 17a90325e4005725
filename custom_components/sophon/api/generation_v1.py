"""Generation 1.0 (firmware up to V5): device list, subscription and event parsing."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from .coerce import (
    as_clean_str,
    as_id,
    as_identity,
    as_info,
    as_int,
    as_serial,
    as_str,
    as_text,
    bounded_info,
    describe,
)
from .exceptions import FrameRejectedError, SophonResponseError
from .models import Device, DeviceType, PersonType, RecognitionEvent, Subscription
from .pictures import picture
from .plausibility import checked_score, checked_time

if TYPE_CHECKING:
    from collections.abc import Callable

    from .generation import Rest
    from .pictures import BoxPictures, Jpeg

NAME = "1.0"
DEVICE_LIST_PATH = "/SophonDevice/api/Devices"
VERSION_PATH = "/SophonSystem/api/systemVersion"
SERIAL_PATH = "/SophonSystem/api/deviceSN"
TIME_PATH = "/SophonSystem/api/time"
HOSTNAME_PATH = "/SophonSystem/api/hostname"

PERSON_TYPES = {
    1: PersonType.EMPLOYEE,
    2: PersonType.VISITOR,
    3: PersonType.BLACKLIST,
    4: PersonType.STRANGER,
    5: PersonType.VIP,
}
DEVICE_TYPES = {
    "0": DeviceType.GATE,
    "1": DeviceType.SNAPSHOT_CAMERA,
    "3": DeviceType.IPC,
    "4": DeviceType.ACCESS_CONTROL,
}
_MAX_LIST_DEPTH = 3
_LIST_KEYS = ("devices_list", "devices", "list", "data", "result", "items")
_ID_KEYS = ("device_id", "id", "uuid", "deviceId")
_NAME_KEYS = ("device_name", "name", "deviceName")
_IP_KEYS = ("device_ip", "ip", "deviceIp")
_TYPE_KEYS = ("device_type", "type", "deviceType")
_SECRET_KEYS = ("device_key",)
SCORE_SCALE = 1.0


class GenerationV1:
    """Speak the box's first generation (1.0)."""

    name = NAME

    def recognizes(self, frame: dict[str, Any]) -> bool:
        """Return True for frames that name a device_id."""
        return "device_id" in frame

    async def fetch_devices(self, rest: Rest) -> list[Device]:
        """Read the attached devices with GET /SophonDevice/api/Devices."""
        return parse_devices(await rest("GET", DEVICE_LIST_PATH))

    async def fetch_firmware_version(self, rest: Rest, port: int) -> str | None:
        """Read {"data": {"version": ...}} from GET /SophonSystem/api/systemVersion."""
        answer = await rest("GET", VERSION_PATH, port=port)
        data = answer.get("data") if isinstance(answer, dict) else None
        return as_str(data.get("version")) if isinstance(data, dict) else None

    async def fetch_serial_number(self, rest: Rest, port: int) -> str | None:
        """Read {"data": {"device_sn": ...}} from GET /SophonSystem/api/deviceSN (api section 4)."""
        answer = await rest("GET", SERIAL_PATH, port=port)
        data = answer.get("data") if isinstance(answer, dict) else None
        return as_serial(data.get("device_sn")) if isinstance(data, dict) else None

    async def fetch_hostname(self, rest: Rest, port: int) -> str | None:
        """Read {"data": {"hostname": ...}} from GET /SophonSystem/api/hostname (api section 4)."""
        answer = await rest("GET", HOSTNAME_PATH, port=port)
        data = answer.get("data") if isinstance(answer, dict) else None
        return as_clean_str(data.get("hostname")) if isinstance(data, dict) else None

    async def fetch_box_time(self, rest: Rest, port: int) -> tuple[Any, Any]:
        """Read {"data": {"time": ms, "timezone": -8}} from GET /SophonSystem/api/time (api 4)."""
        answer = await rest("GET", TIME_PATH, port=port)
        data = answer.get("data") if isinstance(answer, dict) else None
        if not isinstance(data, dict):
            return None, None
        return data.get("time"), data.get("timezone")

    async def fetch_scene_image(self, rest: Rest, event_id: str) -> bytes | None:  # noqa: ARG002
        """Return None: 1.0 boxes push the scene photo with the event."""
        return None

    def subscription_message(self, subscription: Subscription) -> dict[str, Any]:
        """Return the subscription frame sent after the WebSocket opens."""
        return {
            "need_face": subscription.with_face,
            "need_register": subscription.with_registered,
            "event_list": list(subscription.device_ids),
        }

    def parse_event(
        self, frame: dict[str, Any], received_at: datetime, pictures: BoxPictures | None = None
    ) -> RecognitionEvent:
        """Turn one pushed JSON object into a recognition event."""
        return parse_event(frame, received_at, pictures)


def _first(source: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """Return the first non-null value among keys."""
    for key in keys:
        if source.get(key) is not None:
            return source[key]
    return None


def _find_list(body: Any, depth: int = 0) -> list[Any] | None:
    """Find the device list in the body itself or under known keys, up to three levels deep."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and depth < _MAX_LIST_DEPTH:
        for key in _LIST_KEYS:
            found = _find_list(body.get(key), depth + 1)
            if found is not None:
                return found
    return None


def parse_devices(body: Any) -> list[Device]:
    """Parse a 1.0 device list in any of the shapes that boxes send."""
    items = _find_list(body)
    if items is None:
        raise SophonResponseError(f"no device list in the answer: {describe(body)}")
    devices = [device for item in items if (device := parse_device(item)) is not None]
    if items and not devices:
        raise SophonResponseError(f"no device id in the device list: {describe(items[0])}")
    return devices


def parse_device(item: Any) -> Device | None:
    """Parse one device entry; None when it carries no id."""
    if not isinstance(item, dict) or not (device_id := as_id(_first(item, _ID_KEYS))):
        return None
    type_raw = as_clean_str(_first(item, _TYPE_KEYS))
    known = {*_ID_KEYS, *_NAME_KEYS, *_IP_KEYS, *_TYPE_KEYS, *_SECRET_KEYS}
    return Device(
        device_id=device_id,
        name=as_clean_str(_first(item, _NAME_KEYS)),
        ip=as_clean_str(_first(item, _IP_KEYS)),
        device_type=DEVICE_TYPES.get(type_raw or "", DeviceType.UNKNOWN),
        device_type_raw=type_raw,
        extra={key: value for key, value in item.items() if key not in known},
        stream_url=as_str(item.get("device_key")),
    )


def parse_event(
    frame: dict[str, Any], received_at: datetime, pictures: BoxPictures | None = None
) -> RecognitionEvent:
    """Parse a 1.0 event, accepting every quirk of protocol.md section 4 (see Generation)."""
    device_id = _device_id(frame)
    problems: list[str] = []
    ext_value = _extension_reader(frame, problems)
    timestamp, box_time = checked_time(frame.get("timestamp"), received_at, problems)
    identity_id = as_identity(frame.get("identity_id"), problems)
    person_type, code = person_type_of(ext_value("person_type"), identity_id, problems)
    type_raw = as_text(ext_value("device_type"), "device_type_raw", problems)
    score, score_raw = checked_score(frame.get("score"), SCORE_SCALE, problems)
    name = as_text(frame.get("identity_name"), "identity_name", problems) or ""
    group_name = as_text(frame.get("group_name"), "group_name", problems)
    device_ip = as_text(ext_value("device_ip"), "device_ip", problems)
    info = identity_info_of(frame.get("identity_info"), problems)
    face, scene, registered = _pictures(frame, ext_value, problems, pictures)
    return RecognitionEvent(
        device_id=device_id,
        timestamp=timestamp,
        box_time=box_time,
        identity_id=identity_id,
        identity_name=name,
        identity_info=info,
        person_type=person_type,
        person_type_code=code,
        score=score,
        score_raw=score_raw,
        group_name=group_name,
        device_type=DEVICE_TYPES.get(type_raw or "", DeviceType.UNKNOWN),
        device_type_raw=type_raw,
        device_ip=device_ip,
        event_id=as_str(frame.get("event_id")),
        video_id=as_str(frame.get("video_id")),
        face_image=face,
        scene_image=scene,
        registered_image=registered,
        problems=tuple(problems),
    )


def _device_id(frame: dict[str, Any]) -> str:
    """Return the frame's device id, trimmed; a frame without one is rejected."""
    device_id = as_id(frame.get("device_id"))
    if not device_id:
        raise FrameRejectedError("no_device_id", f"frame has {describe(frame)}")
    return device_id


def _extension_reader(frame: dict[str, Any], problems: list[str]) -> Callable[[str], Any]:
    """Return a reader of extension fields: from ext_data first, then from the top level."""
    ext = frame.get("ext_data")
    if not isinstance(ext, dict):
        if ext is not None:
            problems.append("ext_data_wrong_type")
        ext = {}

    def ext_value(key: str) -> Any:
        """Read an extension field from ext_data first, then the top level."""
        value = ext.get(key)
        return frame.get(key) if value is None else value

    return ext_value


def identity_info_of(raw: Any, problems: list[str]) -> dict[str, Any]:
    """Return the identity info object, cleaned and bounded; empty when absent or of the wrong type.

    Bounded (bounded_info): a picture or template hidden in it never goes further.
    """
    info = as_info(raw, "identity_info", problems)
    if info is None and raw is not None:
        problems.append("identity_info_wrong_type")
    return bounded_info(info) if info else {}


def _pictures(
    frame: dict[str, Any],
    ext_value: Callable[[str], Any],
    problems: list[str],
    box: BoxPictures | None,
) -> tuple[Jpeg | None, Jpeg | None, Jpeg | None]:
    """Return the face crop, the scene photo and the registered photo of a frame."""
    # The face crop (a few KB) is decoded and checked now; the scene and registered photos when
    # first shown (they are most of a frame's bytes, and most are never shown).
    face = picture("face_image", ext_value("recognize_face"), problems)
    scene = picture("scene_image", ext_value("spot_pic"), problems, lazy=True, box=box)
    registered = picture("registered_image", frame.get("reg_pic"), problems, lazy=True, box=box)
    return face, scene, registered


def person_type_of(
    raw: Any, identity_id: str, problems: list[str]
) -> tuple[PersonType, int | None]:
    """Map the 1.0 person type code; absent means employee (per the vendor) if someone matched."""
    if raw is None:
        return (PersonType.EMPLOYEE if identity_id else PersonType.STRANGER), None
    code = as_int(raw)
    if code is None:
        problems.append("person_type_invalid")
        return PersonType.UNKNOWN, None
    if code not in PERSON_TYPES:
        problems.append("person_type_out_of_range")
    return PERSON_TYPES.get(code, PersonType.UNKNOWN), code
