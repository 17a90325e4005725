"""Read what a simulated box sent, in either generation, as the integration should see it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

V1_DEVICE_TYPES = {"0": "gate", "1": "snapshot_camera", "3": "ipc", "4": "access_control"}
V2_DEVICE_TYPES = {
    "rtsp": "video_stream",
    "photo": "photo",
    "file": "video_file",
    "gb28181": "gb28181",
}
FACE_ATTRIBUTES = ("gender", "age", "mask", "glasses", "expression")


def device_key(generation: str) -> str:
    """Return the frame key that names the device in a generation."""
    return "device_id" if generation == "1.0" else "media_device_id"


def expected(frame: dict[str, Any], generation: str) -> dict[str, Any]:
    """Return the generation-neutral meaning of a frame the simulator sent."""
    if generation == "1.0":
        ext = frame["ext_data"]
        return {
            "identity_id": frame["identity_id"],
            "identity_name": frame["identity_name"],
            "identity_info": frame["identity_info"],
            "person_type_code": ext["person_type"],
            "score": frame["score"],
            "group_name": frame["group_name"],
            "timestamp": datetime.fromtimestamp(frame["timestamp"] / 1000, UTC),
            "device_type": V1_DEVICE_TYPES.get(ext["device_type"], "unknown"),
            "device_ip": ext["device_ip"],
            "event_id": frame["event_id"],
            "face_attributes": {},
        }
    attributes = frame.get("recognize_face_attr") or {}
    return {
        "identity_id": frame["identity_id"],
        "identity_name": frame["identity_name"],
        "identity_info": {},
        "person_type_code": None,
        "score": frame["score"] / 100,
        "group_name": frame.get("group_name"),
        "timestamp": datetime.fromtimestamp(frame["timestamp"] / 1000, UTC),
        "device_type": V2_DEVICE_TYPES.get(frame["media_device_type"], "unknown"),
        "device_ip": frame["media_device_ip"],
        "event_id": frame["event_id"],
        "face_attributes": {
            key: attributes[key] for key in FACE_ATTRIBUTES if attributes.get(key) is not None
        },
    }


def subscription(frame: dict[str, Any]) -> dict[str, Any]:
    """Return a subscription frame of either generation in 1.0's terms."""
    if "media_device_ids" in frame:
        return {
            "need_face": frame["with_face_image"],
            "need_register": frame["with_register_image"],
            "event_list": frame["media_device_ids"],
        }
    return frame


# The simulator's event-content faults that each generation's client must accept.
CONTENT_FAULTS: dict[str, list[str]] = {
    "1.0": [
        "numbers_as_strings",
        "device_type_int",
        "omit_person_type",
        "person_type_out_of_range",
        "timestamp_seconds",
        "null_fields",
        "wrong_types",
        "extension_top_level",
        "unknown_fields",
        "unknown_device",
        "bad_base64",
        "non_jpeg_image",
        "greeter_mode",
        "drop_event_id",
        "binary_frames",
    ],
    "2.0": [
        "v1_leftovers",
        "bare_base64_images",
        "empty_images",
        "png_data_uri",
        "user_type_case",
        "user_type_unknown",
        "score_out_of_range",
        "null_attributes",
        "no_attributes",
        "numbers_as_strings",
        "null_fields",
        "wrong_types",
        "unknown_fields",
        "unknown_device",
        "bad_base64",
        "non_jpeg_image",
        "binary_frames",
        "timestamp_seconds",
        "drop_event_id",
    ],
}
