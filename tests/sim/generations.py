"""What a box of each generation ("1.0", "2.0") is told and sends, for tests that run in both."""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any, NamedTuple

from sophon_sim import PersonType

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

JPEG = b"\xff\xd8\xff"
JPEG_URI = "data:image/jpeg;base64,"
SCORE_SCALE = {"1.0": 1.0, "2.0": 100.0}
PERSON_TYPES = {int(person_type): person_type for person_type in PersonType}  # 1.0
USER_TYPES = {person_type.name.lower(): person_type for person_type in PersonType}  # 2.0
ATTRIBUTE_KEYS = {
    "gender",
    "age",
    "mask",
    "glasses",
    "hat",
    "expression",
    "box",
    "point",
    "feature_binary",
    "feature_base64_str",
}


class SubscriptionKeys(NamedTuple):
    """Name the keys of a subscription: the devices, the face and the registered photo."""

    devices: str
    face: str
    register: str


SUBSCRIPTION_KEYS = {
    "1.0": SubscriptionKeys("event_list", "need_face", "need_register"),
    "2.0": SubscriptionKeys("media_device_ids", "with_face_image", "with_register_image"),
}
# Where a frame carries each picture, and how the picture is written there.
PICTURE_PLACES: dict[str, dict[str, tuple[str, ...]]] = {
    "1.0": {
        "face": ("ext_data", "recognize_face"),
        "scene": ("ext_data", "spot_pic"),
        "registered": ("reg_pic",),
    },
    "2.0": {"face": ("recognize_face_image",), "registered": ("register_image",)},
}
# The pictures a subscription's face flag asks for (1.0 pushes the scene with the face).
FACE_FLAG_PICTURES = {"1.0": {"face", "scene"}, "2.0": {"face"}}


def unuri(value: str, kind: str = "jpeg") -> bytes:
    """Decode a data URI of an image of this kind."""
    prefix = f"data:image/{kind};base64,"
    assert value.startswith(prefix), value[:40]
    return base64.b64decode(value.removeprefix(prefix), validate=True)


def _bare_base64(value: str) -> bytes:
    """Decode plain base64."""
    return base64.b64decode(value, validate=True)


PICTURE_DECODERS: dict[str, Callable[[str], bytes]] = {"1.0": _bare_base64, "2.0": unuri}


def subscription_frame(
    generation: str, device_ids: Iterable[str], *, face: bool = True, register: bool = True
) -> dict[str, Any]:
    """Return a subscription of these devices in a generation's keys."""
    keys = SUBSCRIPTION_KEYS[generation]
    return {keys.face: face, keys.register: register, keys.devices: list(device_ids)}


def pictures_in(frame: dict[str, Any], generation: str) -> dict[str, bytes]:
    """Return the pictures a frame carries, decoded, by kind (face, scene, registered)."""
    pictures = {}
    for kind, (*parents, key) in PICTURE_PLACES[generation].items():
        holder = frame
        for parent in parents:
            holder = holder.get(parent, {})
        if key in holder:
            pictures[kind] = PICTURE_DECODERS[generation](holder[key])
    return pictures


def without_pictures(frame: dict[str, Any], generation: str) -> dict[str, Any]:
    """Return a copy of a frame without any of its pictures."""
    copy = {**frame}
    for *parents, key in PICTURE_PLACES[generation].values():
        holder = copy
        for parent in parents:
            holder[parent] = {**holder[parent]}
            holder = holder[parent]
        holder.pop(key, None)
    return copy


def person_type_of(frame: dict[str, Any], generation: str) -> PersonType | None:
    """Return the person type a frame names, or None if the generation has no such type."""
    if generation == "1.0":
        code = frame["ext_data"]["person_type"]
        return PERSON_TYPES.get(code) if type(code) is int else None
    return USER_TYPES.get(frame["user_type"])
