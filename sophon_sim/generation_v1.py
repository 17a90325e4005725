"""Speak generation 1.0 (firmware up to V5): device list, subscription, event frames, history.

The event history: GET /SophonFace/api/events (query parameters, 0-based pages) gives
{"data": [<event>...], "pagination": {...}} from the events the box keeps (sophon_sim.history);
GET /SophonFace/api/event_images/<id>?datetime=<event timestamp> serves an event's face crop or
scene, GET /SophonFace/api/images/<id> a registered photo; failures are the
{"error": {"code", "message", "status"}} envelope.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING, Any

from . import health_v1, library_v1
from .generation import (
    BuiltEvent,
    EventSpec,
    RestAnswer,
    Subscription,
    apply_overrides,
    read_subscription,
)
from .history import BadArgumentError, HistoryQuery, seconds, select, stable_rng
from .oddities import odd_device_names, odd_names, odd_pictures, odd_score
from .roster import PersonType, stable_uuid

if TYPE_CHECKING:
    import random
    from collections.abc import Callable

    from .faults import Faults
    from .generation import BoxState, RestRequest, SystemInfo
    from .history import Recognition
    from .roster import SimDevice

VERSION = "1.0"
FIRMWARE = "V5R3C01_686e472"
DEVICE_LIST_PATH = "/SophonDevice/api/Devices"
VERSION_PATH = "/SophonSystem/api/systemVersion"
SERIAL_PATH = "/SophonSystem/api/deviceSN"
TIME_PATH = "/SophonSystem/api/time"
HOSTNAME_PATH = "/SophonSystem/api/hostname"
EVENTS_PATH = "/SophonFace/api/events"
EVENT_IMAGES_PATH = "/SophonFace/api/event_images/"
IMAGES_PATH = "/SophonFace/api/images/"
FACE_SUFFIX, SCENE_SUFFIX = "1", "2"  # an event's picture ids: its _id and one of these
# The query's ep_type of each push device_type (the vendor gives no mapping).
EP_TYPES = {"0": "photo", "1": "photo", "3": "rtsp", "4": "card"}
FEATURE_SIZE = 128  # floats in an event's fake face feature
# The error envelope's status for each HTTP status the box answers errors with (undocumented).
ERROR_STATUSES = {400: "INVALID_ARGUMENT", 404: "NOT_FOUND", 500: "INTERNAL"}
PICTURE_FIELDS = {"registered": "reg_pic", "scene": "spot_pic", "face": "recognize_face"}
FACE_FIELDS = frozenset({"spot_pic", "recognize_face"})
MOVABLE = ("person_type", "device_type", "device_ip", "spot_pic", "recognize_face")
# 27 base64 characters, no padding: even a lenient decoder (one that skips "%! ") fails.
BAD_BASE64 = "/9j/4AAQSkZJRgABAQ%%not base64!!"
_ID_KEYS = ("device_id", "id", "uuid", "deviceId")
_NAME_KEYS = ("device_name", "name", "deviceName")
_ALT_KEYS = (
    ("id", "name", "ip", "type"),
    ("deviceId", "deviceName", "deviceIp", "device_type"),
    ("uuid", "name", "ip", "type"),
)


def _v5_item(device: SimDevice) -> dict[str, Any]:
    """Describe a device as firmware V5 does."""
    return {
        "device_id": device.device_id,
        "device_name": device.name,
        "device_ip": device.ip,
        "device_type": device.device_type,
        "device_key": device.device_key,
        "group_id": device.group_id,
        "permission_id": device.permission_id,
    }


def _alt_item(device: SimDevice, index: int) -> dict[str, Any]:
    """Describe a device with other firmware's key names and an unknown extra field."""
    id_key, name_key, ip_key, type_key = _ALT_KEYS[index % len(_ALT_KEYS)]
    return {
        id_key: device.device_id,
        name_key: device.name,
        ip_key: device.ip,
        type_key: device.device_type,
        "device_key": device.device_key,
        "online_status": "online",
        "channel": index + 1,
    }


def _shape(items: list[dict[str, Any]], shape: str) -> Any:
    """Wrap the device items in one of the tolerated body shapes."""
    if shape == "bare_list":
        return items
    if shape == "data_list":
        return {"code": 0, "msg": "success", "data": {"list": items}}
    if shape in ("devices", "result"):
        return {shape: items}
    return {"data": {"devices_list": items}}


def device_list_body(devices: list[SimDevice], faults: Faults) -> Any:
    """Return the JSON body of the device list, in the shape the faults ask for."""
    if faults.rest_shape == "alt_keys":
        items = [_alt_item(device, index) for index, device in enumerate(devices)]
    else:
        items = [_v5_item(device) for device in devices]
    if faults.rest_no_ids:
        items = [{k: v for k, v in item.items() if k not in _ID_KEYS} for item in items]
    odd_device_names(items, _NAME_KEYS, faults)
    return _shape(items, faults.rest_shape)


def _fiqa(rng: random.Random) -> dict[str, Any]:
    """Return a plausible face-quality assessment."""
    return {
        "quality": round(rng.uniform(0.55, 0.99), 4),
        "clarity": round(rng.uniform(0.4, 1.0), 4),
        "brightness": round(rng.uniform(0.3, 0.8), 4),
        "pose": {k: round(rng.uniform(-25, 25), 2) for k in ("yaw", "pitch", "roll")},
    }


def _base_frame(spec: EventSpec) -> dict[str, Any]:
    """Build the event exactly as the vendor documents it (key order of its example)."""
    person, device = spec.person, spec.device
    ext: dict[str, Any] = {
        "person_type": int(person.person_type),
        "grab_fiqa_info": _fiqa(spec.rng),
    }
    ext["device_ip"] = device.ip
    ext["box_fiqa_info"] = _fiqa(spec.rng) if device.device_type == "1" else {}
    ext["device_type"] = device.device_type
    frame: dict[str, Any] = {"ext_data": ext}
    for key, name in PICTURE_FIELDS.items():
        if key in spec.pictures:
            (frame if key == "registered" else ext)[name] = spec.pictures[key].b64
    frame.update(
        identity_id=person.identity_id,
        device_id=device.device_id,
        identity_info=json.loads(json.dumps(person.info)),
        score=spec.score,
        timestamp=spec.timestamp_ms,
        group_name=person.group,
        identity_name=person.name,
        video_id=f"{device.device_id[:8]}-{spec.seq}",
        event_id=str(spec.seq),
    )
    return frame


def _fault_pictures(frame: dict[str, Any], images: dict[str, bytes], spec: EventSpec) -> None:
    """Apply the picture faults: greeter mode, undecodable base64, non-JPEG content."""
    faults, ext = spec.faults, frame["ext_data"]
    if faults.greeter_mode:
        ext.pop("spot_pic", None)
        images.pop("scene", None)
    for key, name in PICTURE_FIELDS.items():
        holder = frame if key == "registered" else ext
        if name not in holder:
            continue
        if faults.bad_base64:
            holder[name] = BAD_BASE64
            images.pop(key, None)
        elif faults.non_jpeg_image:
            picture = spec.bank.png if spec.seq % 2 == 0 else spec.bank.random_bytes
            holder[name], images[key] = picture.b64, picture.data


def _fault_values(frame: dict[str, Any], faults: Faults, seq: int) -> None:
    """Apply the faults that change field values and types."""
    ext = frame["ext_data"]
    if faults.omit_person_type:
        ext.pop("person_type", None)
    elif faults.person_type_out_of_range:
        ext["person_type"] = 9
    if faults.device_type_int:
        ext["device_type"] = int(ext["device_type"])
    if faults.timestamp_seconds:
        frame["timestamp"] //= 1000
    if faults.numbers_as_strings:
        frame["score"], frame["timestamp"] = str(frame["score"]), str(frame["timestamp"])
        if "person_type" in ext:
            ext["person_type"] = str(ext["person_type"])
    if faults.unknown_fields:
        frame.update(x_box_serial="SE5-2107-0042", x_trace={"seq": seq, "stage": "match"})
        ext.update(mask=0, temperature=36.6, x_future_field=[1, "two"])
    if faults.drop_event_id:
        frame.pop("event_id", None)
        frame.pop("video_id", None)


def _fault_layout(frame: dict[str, Any], faults: Faults) -> None:
    """Apply the faults that move, null or mistype whole fields, then the padding."""
    ext = frame["ext_data"]
    if faults.extension_top_level:
        for name in MOVABLE:
            if name in ext:
                frame[name] = ext.pop(name)
    if faults.null_fields:
        frame.update(identity_name=None, group_name=None, score=None, identity_info=None)
        ext["device_type"] = None
    if faults.wrong_types:
        frame.update(identity_info="not-a-dict", score=[frame["score"]], device_id=12345)
        ext["grab_fiqa_info"] = "quality=0.9"
    if faults.huge_frame_bytes > 0:
        frame["x_padding"] = "0" * faults.huge_frame_bytes


def _fault_field_input(frame: dict[str, Any], spec: EventSpec) -> None:
    """Apply the field-input faults: dirty or long names, odd scores, base64 variants."""
    odd_names(frame, spec.seq, spec.faults)
    if (score := odd_score(spec.score, VERSION, spec.seq, spec.faults)) is not None:
        frame["score"] = score
    holders = [frame, frame["ext_data"]] if isinstance(frame.get("ext_data"), dict) else [frame]
    odd_pictures(holders, PICTURE_FIELDS.values(), spec.seq, spec.faults)


def _error(code: int, message: str) -> RestAnswer:
    """Answer with the 1.0 error envelope, its code also the HTTP status."""
    body = {"error": {"code": code, "message": message, "status": ERROR_STATUSES[code]}}
    return RestAnswer(code, json.dumps(body, ensure_ascii=False))


def _parameter[N: (int, float)](
    request: RestRequest, key: str, read: Callable[[str], N], valid: Callable[[N], bool]
) -> N | None:
    """Return a query parameter read and checked, or raise BadArgumentError naming it."""
    text = request.query.get(key)
    if text is None:
        return None
    try:
        value = read(text)
    except ValueError as err:
        raise BadArgumentError(key) from err
    if not valid(value):
        raise BadArgumentError(key)
    return value


def _whole(request: RestRequest, key: str, minimum: int) -> int | None:
    """Return a whole-number query parameter of at least minimum."""
    return _parameter(request, key, int, lambda value: value >= minimum)


def _number(request: RestRequest, key: str) -> float | None:
    """Return a finite number query parameter (float or int text)."""
    return _parameter(request, key, float, math.isfinite)


def _stream_ids(text: str) -> list[str]:
    """Read one streams value: a JSON list text, or device ids separated by commas."""
    if not text.strip().startswith("["):
        return [part.strip() for part in text.split(",") if part.strip()]
    try:
        items = json.loads(text)
    except ValueError as err:
        raise BadArgumentError("streams") from err
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise BadArgumentError("streams")
    return items


def _streams(request: RestRequest) -> frozenset[str] | None:
    """Return the device ids of every streams value (repeated keys, commas or a JSON list)."""
    if "streams" not in request.query:
        return None
    values = request.repeated.get("streams", (request.query["streams"],))
    return frozenset(device_id for value in values for device_id in _stream_ids(value))


def _history_query(request: RestRequest, faults: Faults) -> HistoryQuery:
    """Read the events query's parameters, or raise BadArgumentError naming the wrong one."""
    user_type = _whole(request, "userType", 1)
    if user_type is not None and user_type > max(PersonType):
        raise BadArgumentError("userType")
    since, until = _number(request, "datetime_gte"), _number(request, "datetime_lte")
    page, per_page = _whole(request, "page", 0), _whole(request, "per_page", 1)
    return HistoryQuery(
        since=None if since is None else seconds(since, faults),
        until=None if until is None else seconds(until, faults),
        identity_id=request.query.get("identity_id"),
        name=request.query.get("name"),
        score_min=_number(request, "score_min"),
        score_max=_number(request, "score_max"),
        person_types=None if user_type is None else frozenset({PersonType(user_type)}),
        device_ids=_streams(request),
        top_k=_whole(request, "top_k", 0),
        page=0 if page is None else page,
        per_page=10 if per_page is None else per_page,
    )


def _events(request: RestRequest, box: BoxState) -> RestAnswer:
    """Answer GET events with a page of the event history, or the error the faults ask for."""
    try:
        query = _history_query(request, box.faults)
    except BadArgumentError as err:
        return _error(400, f"invalid argument: {err.args[0]}")
    if box.faults.history_query == "error":
        return _error(500, "event history query failed")
    page = select(box.history, query, box.faults)
    pagination = {
        "num_pages": page.pages,
        "page": page.page,
        "per_page": page.per_page,
        "total_count": page.total,
    }
    body = {
        "data": [event_object(kept, box.faults) for kept in page.events],
        "pagination": pagination,
    }
    return RestAnswer(200, json.dumps(body, ensure_ascii=False), history=True)


def _event_image(image_id: str, request: RestRequest, box: BoxState) -> RestAnswer:
    """Serve a kept event's face crop or scene; datetime (s or ms) must be the event's time."""
    try:
        when = float(request.query["datetime"])
    except (KeyError, ValueError):
        return _error(400, "invalid argument: datetime")
    kept = box.history.by_record_id(image_id[:-1])
    if kept is not None and kept.taken_at(when, ms=True):
        data = {FACE_SUFFIX: kept.face, SCENE_SUFFIX: kept.scene}.get(image_id[-1:])
        if data is not None:
            return RestAnswer(200, data, "image/jpeg")
    return _error(404, f"event image {image_id} not found")


def _registered_image(image_id: str, box: BoxState) -> RestAnswer:
    """Serve a registered person's library photo."""
    data = box.registered_photo(image_id)
    if data is None:
        return _error(404, f"image {image_id} not found")
    return RestAnswer(200, data, "image/jpeg")


def _feature(seq: int) -> list[float]:
    """Return an event's fake face feature: FEATURE_SIZE floats, the same for every answer."""
    rng = stable_rng(f"feature-{seq}")
    return [round(rng.gauss(0, 0.044), 6) for _ in range(FEATURE_SIZE)]


def _common(kept: Recognition, attrs: dict[str, Any]) -> dict[str, Any]:
    """Return an event's common part: who, where, the picture ids, the score on 0..100."""
    person, device, record_id = kept.person, kept.device, kept.record_id
    info = person.info if isinstance(person.info, dict) else {}
    identity_info = {"face_ids": list(info.get("face_ids", [])), "image_id": person.image_id}
    return {
        "identity_id": person.identity_id,
        "identity_name": person.name,
        "identity_info": identity_info if person.registered else {},
        "recognize_face_pic_id": "" if kept.face is None else record_id + FACE_SUFFIX,
        "spot_pic_id": "" if kept.scene is None else record_id + SCENE_SUFFIX,
        "group_id": person.group,
        "group_name": person.group,
        "permission_id": device.permission_id,
        "permission_name": "default",
        "person_type": int(person.person_type),
        "score": kept.score_100,
        "ep_info": {
            "ep_id": stable_uuid("ep" + device.device_id),
            "ep_type": EP_TYPES.get(device.device_type, "rtsp"),
            "ep_ip": device.ip,
            "ep_name": device.name,
            "device_id": device.device_id,
        },
        "want_action": "0",
        "frame_id": kept.seq % 100_000,
        "recognize_face_attr": attrs,
        "is_send": 0,
        "card_id": "",
    }


def event_object(kept: Recognition, faults: Faults) -> dict[str, Any]:
    """Return the event object the events query gives for a kept event (no frame faults in it)."""
    attrs = kept.face_attributes()
    attrs["feature"] = _feature(kept.seq)
    stamp = kept.timestamp
    age = stable_rng("age" + kept.person.image_key).randint(18, 70)
    return {
        "_id": kept.record_id,
        "timestamp": kept.answer_time(faults),
        "common": _common(kept, attrs),
        "gate_data": {"ir_image_id": "", "depth_image_id": ""},
        "grab_data": {"grap_fiqa_info": {"age": age, "sex": int(attrs["gender"] == "male")}},
        "video_data": {
            "track_id": kept.seq % 997,
            "video_shape": [1080, 1920, 3],
            "in_timestamp": round(stamp - 0.35, 6),
            "in_bg_pic_id": "",
            "in_face_pic_id": "",
            "in_box": attrs["box"],
            "recognition_timestamp": stamp,
            "pose_score": round(stable_rng(f"pose-{kept.seq}").uniform(0.6, 1.0), 4),
            "out_timestamp": round(stamp + 0.8, 6),
            "unknown_id": "",
        },
    }


class GenerationV1:
    """Speak generation 1.0."""

    version = VERSION
    default_firmware = FIRMWARE

    def rest_answer(  # noqa: PLR0911 - one return per path
        self, request: RestRequest, box: BoxState
    ) -> RestAnswer | None:
        """Answer GET Devices, events, event_images/<id>, images/<id>, and the face library."""
        path = request.path
        if (library := library_v1.answer(request, box)) is not None:
            return library
        if (store := health_v1.picture_store(request, box.health, box.faults)) is not None:
            return store
        if request.method != "GET":
            return None
        if path == DEVICE_LIST_PATH:
            body = device_list_body(box.devices, box.faults)
            return RestAnswer(200, json.dumps(body, ensure_ascii=False), device_list=True)
        if path == EVENTS_PATH:
            return _events(request, box)
        if path.startswith(EVENT_IMAGES_PATH):
            return _event_image(path.removeprefix(EVENT_IMAGES_PATH), request, box)
        if path.startswith(IMAGES_PATH):
            return _registered_image(path.removeprefix(IMAGES_PATH), box)
        return None

    def system_answer(  # noqa: PLR0911 - one return per path
        self, request: RestRequest, system: SystemInfo
    ) -> RestAnswer | None:
        """Answer GET systemVersion, deviceSN, time and hostname with the V5 {"data": {...}}."""
        if (health := health_v1.system_answer(request, system.health, system.faults)) is not None:
            return health
        if request.method != "GET":
            return None
        if request.path == SERIAL_PATH and system.serial is not None:
            return RestAnswer(200, json.dumps({"data": {"device_sn": system.serial}}))
        if request.path == TIME_PATH and system.time_ms is not None:
            data = {"time": system.time_ms, "timezone": system.timezone}
            return RestAnswer(200, json.dumps({"data": data}))
        if request.path == HOSTNAME_PATH and system.hostname is not None:
            return RestAnswer(200, json.dumps({"data": {"hostname": system.hostname}}))
        if request.path != VERSION_PATH:
            return None
        firmware = system.firmware
        details = {
            "app": firmware,
            "algorithm": "FR_V3.2.1",
            "kernel": "4.9.38-bm1684",
            "sdk": "2.3.2",
        }
        body = {"data": {"version": firmware, "mcu_version": "MCU_V1.0.6", "details": details}}
        return RestAnswer(200, json.dumps(body))

    def parse_subscription(self, text: str) -> Subscription | None:
        """Read {need_face, need_register, event_list}; missing keys take the vendor defaults."""
        return read_subscription(text, "event_list", "need_face", "need_register")

    def build_event(self, spec: EventSpec) -> BuiltEvent:
        """Build a 1.0 event with every picture in it and the active faults applied."""
        frame = _base_frame(spec)
        images = {key: picture.data for key, picture in spec.pictures.items()}
        _fault_pictures(frame, images, spec)
        _fault_values(frame, spec.faults, spec.seq)
        _fault_layout(frame, spec.faults)
        _fault_field_input(frame, spec)
        apply_overrides(frame, spec.overrides, merged="ext_data")
        return BuiltEvent(str(spec.seq), frame, images)

    def tailor(self, frame: dict[str, Any], sub: Subscription) -> dict[str, Any]:
        """Drop spot_pic/recognize_face without need_face and reg_pic without need_register."""
        drop = set() if sub.want_face else set(FACE_FIELDS)
        if not sub.want_register:
            drop.add("reg_pic")
        if not drop:
            return frame
        out = {key: value for key, value in frame.items() if key not in drop}
        if isinstance(out.get("ext_data"), dict):
            out["ext_data"] = {
                key: value for key, value in out["ext_data"].items() if key not in drop
            }
        return out

    def event_record(self, kept: Recognition, faults: Faults) -> dict[str, Any]:
        """Return the event object the events query gives for a kept event."""
        return event_object(kept, faults)


GENERATION = GenerationV1()
