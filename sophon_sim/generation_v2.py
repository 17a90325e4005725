"""Speak generation 2.0 (firmware V6): media devices, data-URI pictures, scene photos by event id.

Device list: POST /sophon/v2/face/getmediadevices (Content-Type application/json required) gives
{"devices": [...]} or {"error": {"code", "message"}}. The subscription is {with_face_image,
with_register_image, media_device_ids}; frames carry media_device_*, a lowercase user_type, a 0..100
score, data-URI pictures and recognize_face_attr (with fake biometric templates). The scene photo
is not pushed: POST getevent {"event_id"} gives the record (timestamp in float seconds, a
spot_image_id), GET (or POST) getspotimage/<spot_image_id>?timestamp=<it> gives the JPEG.
POST getevents {"filters", "page_limit", "page_index"} gives a page of the box's event history
(sophon_sim.history) as {"events": [<record>...], "pagination": {...}}.
"""

from __future__ import annotations

import base64
import hashlib
from typing import TYPE_CHECKING, Any

from . import health_v2, library_v2
from .envelope_v2 import error_answer as _error
from .envelope_v2 import json_answer as _json
from .envelope_v2 import read_json as _read_json
from .generation import (
    BuiltEvent,
    EventSpec,
    RestAnswer,
    Subscription,
    apply_overrides,
    read_subscription,
)
from .generation_v1 import BAD_BASE64
from .history import BadArgumentError, HistoryQuery, face_attributes, seconds, select
from .oddities import odd_device_names, odd_names, odd_pictures, odd_score
from .roster import PersonType

if TYPE_CHECKING:
    from .faults import Faults
    from .generation import BoxState, RestRequest, SystemInfo
    from .history import Recognition
    from .roster import SimDevice

VERSION = "2.0"
FIRMWARE = "V6R2C01_9f3c2a1"
DEVICE_LIST_PATH = "/sophon/v2/face/getmediadevices"
EVENT_PATH = "/sophon/v2/face/getevent"
EVENTS_PATH = "/sophon/v2/face/getevents"
SPOT_PATH = "/sophon/v2/face/getspotimage/"
REGISTER_PATH = "/sophon/v2/face/getregisterimage/"
VERSION_PATH = "/sophon/v2/system/getsoftwareversion"
SERIAL_PATH = "/sophon/v2/system/getdevicesn"
TIME_PATH = "/sophon/v2/system/gettime"
HOSTNAME_PATH = "/sophon/v2/system/gethostname"
PNG_URI = "data:image/png;base64,"
IMAGE_FIELDS = {"face": "recognize_face_image", "registered": "register_image"}
USER_TYPES = {
    PersonType.EMPLOYEE: "employee",
    PersonType.VISITOR: "visitor",
    PersonType.BLACKLIST: "blacklist",
    PersonType.STRANGER: "stranger",
    PersonType.VIP: "vip",
}
ODD_CASE = {
    PersonType.EMPLOYEE: "Employee",
    PersonType.VISITOR: "VISITOR",
    PersonType.BLACKLIST: "Blacklist",
    PersonType.STRANGER: "Stranger",
    PersonType.VIP: "VIP",
}
EVENT_ID_BASE = 1_764_000_000
TEMPLATE_BYTES = 700
INIT_MESSAGE = "设备初始化中\uff0c请稍候"  # "the device is initialising, please wait"
SPOT_PREFIX, FACE_PREFIX = "00", "01"  # an event's picture ids: one of these and its event id
# getevents' filters: the JSON types each takes ("number": int or float, not bool).
FILTER_TYPES = {
    "datetime_gte": "number",
    "datetime_lte": "number",
    "identity_id": "str",
    "identity_name": "str",
    "user_type": "str",
    "media_device_ids": "list",
    "score_min": "number",
    "score_max": "number",
}


def make_event_id(seq: int) -> str:
    """Return the event id of the seq-th event: "1764000001.000001" style, unique, increasing."""
    return f"{EVENT_ID_BASE + seq // 1_000_000}.{seq % 1_000_000:06d}"


def _scene_fault(faults: Faults, what: str) -> RestAnswer | None:
    """Answer a scene photo fetch with the box's error envelope when scene_fetch asks for one."""
    if faults.scene_fetch == "internal_error":
        return _error("INTERNAL_ERROR", "event image service failed", faults)
    if faults.scene_fetch == "not_found":
        return _error("ID_NOT_FOUND", what, faults, status=404)
    return None


def _media_url(device: SimDevice) -> str:
    """Return the source URL a box shows for a device (rtsp ones hold a password)."""
    if device.media_type == "rtsp":
        return device.device_key
    if device.media_type == "file":
        return f"/data/media/{device.device_id[:8]}.mp4"
    if device.media_type == "gb28181":
        return f"gb28181://34020000001320000001@{device.ip}:5060"
    return device.ip


def _device_item(device: SimDevice) -> dict[str, Any]:
    """Describe a device as firmware V6 does; gates get a net relay."""
    digest = hashlib.sha256(device.device_id.encode()).digest()
    relay: dict[str, Any] = {}
    if device.device_type == "0":
        relay = {"ip": "192.168.1.200", "port": 50000, "channel": 1 + digest[0] % 4}
        relay["delay_time"] = 3
    added = f"2025-{1 + digest[1] % 12:02d}-{1 + digest[2] % 28:02d}"
    return {
        "media_device_id": device.device_id,
        "media_device_name": device.name,
        "media_device_type": device.media_type,
        "media_device_url": _media_url(device),
        "media_device_ip": device.ip,
        "permission_id": device.permission_id,
        "net_relay": relay,
        "media_device_status": "online",
        "do_rtmp_forward": False,
        "rtmp_address": "",
        "roi_area": [],
        "media_device_attr": {},
        "addtime": f"{added} {digest[3] % 24:02d}:{digest[4] % 60:02d}:{digest[5] % 60:02d}",
    }


def _devices(request: RestRequest, box: BoxState) -> RestAnswer:
    """Answer getmediadevices: every device, or the one named by media_device_id."""
    body = _read_json(request, box.faults, device_list=True)
    if isinstance(body, RestAnswer):
        return body
    if box.faults.init_error or box.faults.error_code_int:
        return _error("DEVICE_INIT_ERROR", INIT_MESSAGE, box.faults, device_list=True)
    wanted = body.get("media_device_id")
    items = [_device_item(d) for d in box.devices if wanted in (None, "", d.device_id)]
    if box.faults.rest_no_ids:
        for item in items:
            del item["media_device_id"]
    odd_device_names(items, ("media_device_name",), box.faults)
    return _json({"devices": items}, device_list=True)


def _event(request: RestRequest, box: BoxState) -> RestAnswer:
    """Answer getevent with the record of one of the events the box keeps."""
    body = _read_json(request, box.faults)
    if isinstance(body, RestAnswer):
        return body
    event_id = body.get("event_id")
    if event_id is None or event_id == "":
        return _error("MISSING_ARGUMENTS", "event_id", box.faults)
    if (fault := _scene_fault(box.faults, str(event_id))) is not None:
        return fault
    kept = box.history.get(str(event_id))
    if kept is None:
        return _error("EVENT_NOT_FOUND", str(event_id), box.faults)
    answer = _json(event_record(kept, box.faults))
    return RestAnswer(answer.status, answer.body, scene_fetch=True)


def _kept_picture(image_id: str, box: BoxState) -> tuple[Recognition, bytes] | None:
    """Return the kept event a picture id names and the picture (scene or face), if any."""
    prefix, event_id = image_id[:2], image_id[2:]
    kept = box.history.get(event_id)
    if kept is None or prefix not in (SPOT_PREFIX, FACE_PREFIX):
        return None
    data = kept.scene if prefix == SPOT_PREFIX else kept.face
    return None if data is None else (kept, data)


def _spot_image(image_id: str, request: RestRequest, box: BoxState) -> RestAnswer:
    """Serve an event's scene (or face) picture; the event's timestamp must come along.

    The timestamp is the record's, in s (in ms too with history_answer_ms, whose records give ms).
    """
    try:
        when = float(request.query["timestamp"])
    except (KeyError, ValueError):
        return _error("MISSING_ARGUMENTS", "timestamp", box.faults, status=404)
    if (fault := _scene_fault(box.faults, image_id)) is not None:
        return fault
    if box.faults.scene_fetch == "gone_in_envelope":  # HTTP 200 with the error (api 7.4)
        return _error("ID_NOT_FOUND", image_id, box.faults)
    if box.faults.scene_fetch == "get_refused" and request.method == "GET":  # api 7.5
        return RestAnswer(405, "405: Method Not Allowed", "text/plain")
    found = _kept_picture(image_id, box)
    if found is not None and found[0].taken_at(when, ms=box.faults.history_answer_ms):
        return RestAnswer(200, found[1], "image/jpeg", scene_fetch=True)
    return _error("ID_NOT_FOUND", image_id, box.faults, status=404)


def _typed(value: Any, kind: str) -> bool:
    """Tell whether a JSON value has the type a getevents argument takes."""
    if kind == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == "list":
        return isinstance(value, list) and all(isinstance(item, str) for item in value)
    return isinstance(value, str)


def _whole(body: dict[str, Any], key: str, default: int, minimum: int) -> int:
    """Return a whole-number argument (page_limit, page_index), or raise BadArgumentError."""
    value = body.get(key)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise BadArgumentError(key)
    return value


def _history_query(body: dict[str, Any], faults: Faults) -> HistoryQuery:
    """Read getevents' filters and paging, or raise BadArgumentError naming the wrong one."""
    filters = {} if body.get("filters") is None else body["filters"]
    if not isinstance(filters, dict):
        raise BadArgumentError("filters")
    given = {key: filters.get(key) for key in FILTER_TYPES if filters.get(key) is not None}
    for key, value in given.items():
        if not _typed(value, FILTER_TYPES[key]):
            raise BadArgumentError(key)
    user_type = given.get("user_type")
    device_ids = given.get("media_device_ids")
    since, until = given.get("datetime_gte"), given.get("datetime_lte")
    return HistoryQuery(
        since=None if since is None else seconds(since, faults),
        until=None if until is None else seconds(until, faults),
        identity_id=given.get("identity_id"),
        name=given.get("identity_name"),
        score_min=given.get("score_min"),
        score_max=given.get("score_max"),
        person_types=None
        if user_type is None
        else frozenset(t for t, word in USER_TYPES.items() if word == user_type.lower()),
        device_ids=None if device_ids is None else frozenset(device_ids),
        page=_whole(body, "page_index", 0, 0),
        per_page=_whole(body, "page_limit", 10, 1),
    )


def _events(request: RestRequest, box: BoxState) -> RestAnswer:
    """Answer getevents with a page of the event history, or the error the faults ask for."""
    body = _read_json(request, box.faults)
    if isinstance(body, RestAnswer):
        return body
    try:
        query = _history_query(body, box.faults)
    except BadArgumentError as err:
        return _error("INVALID_ARGUMENTS", f"invalid argument: {err.args[0]}", box.faults)
    if box.faults.history_query == "error":
        return _error("INTERNAL_ERROR", "event history query failed", box.faults)
    page = select(box.history, query, box.faults)
    answer = _json(
        {
            "events": [event_record(kept, box.faults) for kept in page.events],
            "pagination": {
                "page_index": page.page,
                "page_limit": page.per_page,
                "total_count": page.total,
            },
        }
    )
    return RestAnswer(answer.status, answer.body, history=True)


def _register_image(image_id: str, box: BoxState) -> RestAnswer:
    """Serve a registered person's library photo."""
    data = box.registered_photo(image_id)
    if data is None:
        return _error("ID_NOT_FOUND", image_id, box.faults, status=404)
    return RestAnswer(200, data, "image/jpeg")


def _template(seq: int, tag: str) -> str:
    """Return a fake biometric template: recognisable, distinct per event, ~700 bytes."""
    unit = f"TEMPLATE-{seq}-{tag}-".encode()
    raw = (unit * (TEMPLATE_BYTES // len(unit) + 1))[:TEMPLATE_BYTES]
    return base64.b64encode(raw).decode("ascii")


def _frame_attributes(attrs: dict[str, Any], seq: int) -> dict[str, Any]:
    """Return recognize_face_attr as frames and records give it: lists, and the templates."""
    out = {key: list(value) if isinstance(value, tuple) else value for key, value in attrs.items()}
    out["feature_binary"] = _template(seq, "BIN")
    out["feature_base64_str"] = _template(seq, "STR")
    return out


def _base_frame(spec: EventSpec, event_id: str, attrs: dict[str, Any]) -> dict[str, Any]:
    """Build the event as the vendor's field table documents it."""
    person, device = spec.person, spec.device
    frame: dict[str, Any] = {
        "event_id": event_id,
        "timestamp": spec.timestamp_ms,
        "identity_id": person.identity_id,
        "identity_name": person.name,
        "user_type": USER_TYPES[person.person_type],
        "score": round(spec.score * 100, 2),
        "media_device_id": device.device_id,
        "media_device_ip": device.ip,
        "media_device_type": device.media_type,
    }
    for key, name in IMAGE_FIELDS.items():
        if key in spec.pictures:
            frame[name] = spec.pictures[key].jpeg_uri
    frame["recognize_face_attr"] = _frame_attributes(attrs, spec.seq)
    return frame


def _fault_pictures(frame: dict[str, Any], images: dict[str, bytes], spec: EventSpec) -> None:
    """Apply the picture faults: empty, undecodable, mislabelled, PNG, without the URI prefix."""
    faults, bank = spec.faults, spec.bank
    for key, name in IMAGE_FIELDS.items():
        if name not in frame:
            continue
        if faults.empty_images:
            frame[name] = ""
            images.pop(key, None)
            continue
        if faults.bad_base64:
            frame[name] = "data:image/jpeg;base64," + BAD_BASE64
            images.pop(key, None)
        elif faults.png_data_uri:
            frame[name], images[key] = PNG_URI + bank.png.b64, bank.png.data
        elif faults.non_jpeg_image:
            picture = bank.png if spec.seq % 2 == 0 else bank.random_bytes
            frame[name], images[key] = picture.jpeg_uri, picture.data
        if faults.bare_base64_images:
            frame[name] = frame[name].split(",", 1)[-1]


def _fault_user_type(frame: dict[str, Any], spec: EventSpec) -> None:
    """Apply the user_type faults: unknown type, odd letter case, absent."""
    faults = spec.faults
    if faults.user_type_unknown:
        frame["user_type"] = "car"
    elif faults.user_type_case:
        frame["user_type"] = ODD_CASE[spec.person.person_type]
    if faults.omit_person_type:
        frame.pop("user_type", None)


def _fault_values(frame: dict[str, Any], spec: EventSpec) -> None:
    """Apply the faults that change field values and types, and the 1.0 leftovers."""
    faults = spec.faults
    _fault_user_type(frame, spec)
    if faults.score_out_of_range:
        frame["score"] = 104.5 if spec.seq % 2 else -3.0
    if faults.timestamp_seconds:
        frame["timestamp"] //= 1000
    if faults.unknown_fields:
        frame.update(x_box_serial="SE5-2107-0042", x_trace={"seq": spec.seq, "stage": "match"})
        frame["ext_data"] = {"track_id": spec.seq % 997, "video_shape": [1920, 1080, 3]}
        if isinstance(frame.get("recognize_face_attr"), dict):
            frame["recognize_face_attr"].update(beard="no", x_future_field=[1, "two"])
    if faults.drop_event_id:
        frame.pop("event_id", None)
    if faults.v1_leftovers:
        rest = [(k, v) for k, v in frame.items() if k not in ("event_id", "user_type")]
        frame.clear()
        frame.update([("reg_pic", ""), *rest], score=spec.score)
    if faults.numbers_as_strings:
        frame["score"], frame["timestamp"] = str(frame["score"]), str(frame["timestamp"])


def _fault_layout(frame: dict[str, Any], faults: Faults) -> None:
    """Apply the faults that null, drop or mistype whole fields, then the padding."""
    attrs = frame.get("recognize_face_attr")
    if faults.null_attributes and isinstance(attrs, dict):
        frame["recognize_face_attr"] = dict.fromkeys(attrs)
    if faults.no_attributes:
        frame.pop("recognize_face_attr", None)
    if faults.null_fields:
        frame.update(identity_name=None, score=None, user_type=None, media_device_type=None)
        frame["media_device_ip"] = None
    if faults.wrong_types:
        frame.update(score=[frame.get("score")], media_device_id=12345, identity_name=["?"])
        frame["recognize_face_attr"] = "gender=male;age=youth"
    if faults.huge_frame_bytes > 0:
        frame["x_padding"] = "0" * faults.huge_frame_bytes


def _templates(frame: dict[str, Any]) -> tuple[str, ...]:
    """Return the template strings a frame carries."""
    attrs = frame.get("recognize_face_attr")
    if not isinstance(attrs, dict):
        return ()
    values = (attrs.get("feature_binary"), attrs.get("feature_base64_str"))
    return tuple(value for value in values if isinstance(value, str) and value)


def event_record(kept: Recognition, faults: Faults) -> dict[str, Any]:
    """Return what getevent and getevents answer about a kept event (no frame faults in it)."""
    person, device = kept.person, kept.device
    event_id, stamp = kept.event_id, kept.timestamp
    return {
        "event_id": event_id,
        "timestamp": kept.answer_time(faults),
        "identity_id": person.identity_id,
        "identity_name": person.name,
        "register_image_id": person.image_id if person.registered else "",
        "recognize_face_image_id": "" if kept.face is None else FACE_PREFIX + event_id,
        "spot_image_id": "" if kept.scene is None else SPOT_PREFIX + event_id,
        "permission_id": device.permission_id,
        "permission_name": "default",
        "user_type": USER_TYPES[person.person_type],
        "score": kept.score_100,
        "post_action": "0",
        "frame_id": kept.seq % 100_000,
        "is_send": 0,
        "media_device_id": device.device_id,
        "media_device_info": {
            "media_device_id": device.device_id,
            "media_device_ip": device.ip,
            "media_device_name": device.name,
            "media_device_type": device.media_type,
        },
        "recognize_face_attr": _frame_attributes(kept.face_attributes(), kept.seq),
        "ext_data": {"in_timestamp": round(stamp - 0.35, 6), "recognition_timestamp": stamp},
    }


def _fault_field_input(frame: dict[str, Any], spec: EventSpec) -> None:
    """Apply the field-input faults: dirty or long names, odd scores, base64 variants."""
    odd_names(frame, spec.seq, spec.faults)
    if (score := odd_score(spec.score, VERSION, spec.seq, spec.faults)) is not None:
        frame["score"] = score
    odd_pictures([frame], IMAGE_FIELDS.values(), spec.seq, spec.faults)


class GenerationV2:
    """Speak generation 2.0."""

    version = VERSION
    default_firmware = FIRMWARE

    def rest_answer(self, request: RestRequest, box: BoxState) -> RestAnswer | None:
        """Answer getmediadevices, getevent(s), getspotimage, getregisterimage, the library."""
        method, path = request.method, request.path
        if (library := library_v2.answer(request, box)) is not None:
            return library
        if (store := health_v2.picture_store(request, box.health, box.faults)) is not None:
            return store
        posted = {DEVICE_LIST_PATH: _devices, EVENT_PATH: _event, EVENTS_PATH: _events}
        if method == "POST" and path in posted:
            return posted[path](request, box)
        if method in ("GET", "POST") and path.startswith(SPOT_PATH):
            return _spot_image(path.removeprefix(SPOT_PATH), request, box)
        if method in ("GET", "POST") and path.startswith(REGISTER_PATH):
            return _register_image(path.removeprefix(REGISTER_PATH), box)
        return None

    def system_answer(  # noqa: PLR0911 - one return per path
        self, request: RestRequest, system: SystemInfo
    ) -> RestAnswer | None:
        """Answer POST getsoftwareversion, getdevicesn, gettime and gethostname, flat."""
        if (health := health_v2.system_answer(request, system.health, system.faults)) is not None:
            return health
        if request.method != "POST":
            return None
        if request.path == SERIAL_PATH and system.serial is not None:
            return _json({"device_sn": system.serial})
        if request.path == TIME_PATH and system.time_ms is not None:
            return _json({"time": system.time_ms, "timezone": system.timezone})
        if request.path == HOSTNAME_PATH and system.hostname is not None:
            return _json({"hostname": system.hostname})
        if request.path != VERSION_PATH:
            return None
        return _json(
            {
                "app_version_details": system.firmware,
                "app_gate_version": "gate_V2.1.3_20210903",
                "nnsdk_version": "nnsdk_3.0.1",
            }
        )

    def parse_subscription(self, text: str) -> Subscription | None:
        """Read {with_face_image, with_register_image, media_device_ids} (missing: off, [])."""
        return read_subscription(text, "media_device_ids", "with_face_image", "with_register_image")

    def build_event(self, spec: EventSpec) -> BuiltEvent:
        """Build a 2.0 event with its pictures, its record and the active faults applied."""
        event_id = make_event_id(spec.seq)
        attrs = face_attributes(spec.rng, spec.person.image_key)
        frame = _base_frame(spec, event_id, attrs)
        images = {key: picture.data for key, picture in spec.pictures.items()}
        _fault_pictures(frame, images, spec)
        _fault_values(frame, spec)
        _fault_layout(frame, spec.faults)
        _fault_field_input(frame, spec)
        apply_overrides(frame, spec.overrides, merged="recognize_face_attr")
        return BuiltEvent(event_id, frame, images, _templates(frame), attrs)

    def tailor(self, frame: dict[str, Any], sub: Subscription) -> dict[str, Any]:
        """Drop recognize_face_image without with_face_image, register_image without its flag."""
        drop = set() if sub.want_face else {"recognize_face_image"}
        if not sub.want_register:
            drop.add("register_image")
        if not drop:
            return frame
        return {key: value for key, value in frame.items() if key not in drop}

    def event_record(self, kept: Recognition, faults: Faults) -> dict[str, Any]:
        """Return the record getevent and getevents give for a kept event."""
        return event_record(kept, faults)


GENERATION = GenerationV2()
