"""Speak generation 1.0 (firmware up to V5): device list, subscription and event frames."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from .generation import (
    BuiltEvent,
    EventSpec,
    RestAnswer,
    Subscription,
    apply_overrides,
    read_subscription,
)
from .oddities import odd_device_names, odd_names, odd_pictures, odd_score

if TYPE_CHECKING:
    import random

    from .faults import Faults
    from .generation import BoxState, RestRequest, SystemInfo
    from .roster import SimDevice

VERSION = "1.0"
FIRMWARE = "V5R3C01_686e472"
DEVICE_LIST_PATH = "/SophonDevice/api/Devices"
VERSION_PATH = "/SophonSystem/api/systemVersion"
SERIAL_PATH = "/SophonSystem/api/deviceSN"
TIME_PATH = "/SophonSystem/api/time"
HOSTNAME_PATH = "/SophonSystem/api/hostname"
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


class GenerationV1:
    """Speak generation 1.0."""

    version = VERSION
    default_firmware = FIRMWARE

    def rest_answer(self, request: RestRequest, box: BoxState) -> RestAnswer | None:
        """Answer GET /SophonDevice/api/Devices; anything else is unknown."""
        if request.method != "GET" or request.path != DEVICE_LIST_PATH:
            return None
        body = device_list_body(box.devices, box.faults)
        return RestAnswer(200, json.dumps(body, ensure_ascii=False), device_list=True)

    def system_answer(self, request: RestRequest, system: SystemInfo) -> RestAnswer | None:
        """Answer GET systemVersion, deviceSN, time and hostname with the V5 {"data": {...}}."""
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


GENERATION = GenerationV1()
