"""Describe the people a simulated box knows and the devices attached to it."""

from __future__ import annotations

import enum
import hashlib
import random
import uuid
from dataclasses import dataclass, field
from typing import Any


class PersonType(enum.IntEnum):
    """Name the person types of generation 1.0 by their wire codes."""

    EMPLOYEE = 1
    VISITOR = 2
    BLACKLIST = 3
    STRANGER = 4
    VIP = 5


@dataclass(frozen=True)
class Person:
    """Hold one face-library entry (or a stranger) as a box reports it."""

    identity_id: str
    name: str
    person_type: PersonType
    group: str
    info: dict[str, Any] = field(default_factory=dict)
    face_seed: int = 0

    @property
    def image_key(self) -> str:
        """Return the key under which this person's pictures are cached."""
        return f"{self.identity_id}|{self.name}|{self.person_type.value}|{self.face_seed}"

    @property
    def registered(self) -> bool:
        """Tell whether this person is in the face library (has a registered photo)."""
        return self.person_type is not PersonType.STRANGER

    @property
    def image_id(self) -> str:
        """Return the id of the registered photo: info's image_id, else one derived from the key."""
        value = self.info.get("image_id") if isinstance(self.info, dict) else None
        return value if isinstance(value, str) and value else stable_uuid("image" + self.image_key)


# How a 2.0 box would describe a 1.0 device type (the vendor gives no mapping): gates and snapshot
# cameras push pictures ("photo"), IPCs and access-control panels are video streams ("rtsp").
MEDIA_TYPES = {"0": "photo", "1": "photo", "3": "rtsp", "4": "rtsp"}
# Generated devices at these positions (modulo 8) are "gb28181" and "file" sources instead.
_MEDIA_OVERRIDES = {3: "gb28181", 6: "file"}


@dataclass
class SimDevice:
    """Hold one device (gate, camera, panel) attached to the simulated box."""

    device_id: str
    name: str
    ip: str = "192.168.1.101"
    device_type: str = "0"
    group_id: str = "default_group"
    permission_id: str = "9ded10eff6804f3da4d99c25fcaf7383"
    device_key: str = ""
    media_type: str = ""

    def __post_init__(self) -> None:
        """Fill the stream URL (with its password, as real boxes do) and the 2.0 media type."""
        if not self.device_key:
            self.device_key = f"rtsp://admin:secret123@{self.ip}/stream1"
        if not self.media_type:
            self.media_type = MEDIA_TYPES.get(self.device_type, "rtsp")


def stable_uuid(text: str) -> str:
    """Return a uuid4-format string derived from text."""
    return str(uuid.UUID(bytes=hashlib.sha256(text.encode()).digest()[:16], version=4))


def _info(login: str, user_id: str, person_type: PersonType, room: str) -> dict[str, Any]:
    """Build an identity_info object like the vendor's example."""
    return {
        "image_id": stable_uuid("image" + login),
        "permission_ids": [hashlib.sha256(login.encode()).hexdigest()[:32]],
        "type": int(person_type),
        "user_id": user_id,
        "face_ids": [stable_uuid("face" + login)],
        "name": login,
        "ext_info": {"building_no": room[0], "room": room, "address": "address", "floor": room[0]},
    }


def _person(identity_id: str, name: str, person_type: PersonType, group: str, login: str) -> Person:
    """Build a registered person with a realistic identity_info."""
    room = f"{1 + int(identity_id) % 5}0{int(identity_id) % 9 + 1}"
    return Person(
        identity_id,
        name,
        person_type,
        group,
        _info(login, f"0122{identity_id[-4:]}", person_type, room),
    )


T = PersonType
ROSTER: tuple[Person, ...] = (
    _person("666666", "小明", T.EMPLOYEE, "default_group", "ran93717829"),
    _person("12345565", "王芳", T.EMPLOYEE, "default_group", "wangfang"),
    _person("10000217", "李雷", T.EMPLOYEE, "default_group", "lilei"),
    _person("10000388", "Maria García", T.EMPLOYEE, "default_group", "mgarcia"),
    _person("20000011", "Tom", T.VISITOR, "visitors", "tom.visitor"),
    _person("20000042", "韩梅梅", T.VISITOR, "visitors", "hanmeimei"),
    _person("30000001", "张伟", T.BLACKLIST, "blacklist", "zhangwei"),
    _person("30000002", "John Doe", T.BLACKLIST, "5f0c2a9e81b34c1f9d2e7a6b3c4d5e6f", "jdoe"),
    _person("50000008", "Alice Zhang", T.VIP, "vip", "alice.zhang"),
    _person("50000009", "陈静", T.VIP, "vip", "chenjing"),
    Person("", "", T.STRANGER, "default_group", {}, face_seed=1),
    Person("", "", T.STRANGER, "default_group", {}, face_seed=2),
)

_DEVICE_NAMES = (
    ("Gate 1", "0"),
    ("大厅抓拍机", "1"),
    ("Parking IPC", "3"),
    ("东门门禁", "4"),
    ("前门闸机", "0"),
    ("Lobby Camera", "1"),
    ("仓库 IPC", "3"),
    ("Door Panel 2", "4"),
)


def _device_id(value: int, hex_ids: bool) -> str:
    """Format a uuid4 as the box does: dashed, or as 32 hex digits with hex_ids."""
    device_uuid = uuid.UUID(int=value, version=4)
    return device_uuid.hex if hex_ids else str(device_uuid)


def make_devices(count: int, seed: int | None, hex_ids: bool = False) -> list[SimDevice]:
    """Generate count realistic devices whose ids derive from seed (32 hex digits with hex_ids)."""
    rng = random.Random(seed)  # noqa: S311 - simulated ids, not secrets
    devices = []
    for index in range(count):
        name, kind = _DEVICE_NAMES[index % len(_DEVICE_NAMES)]
        if index >= len(_DEVICE_NAMES):
            name = f"{name} ({index // len(_DEVICE_NAMES) + 1})"
        device_id = _device_id(rng.getrandbits(128), hex_ids)
        ip = f"192.168.1.{101 + index % 150}"
        group = "default_group" if index % 3 else "a7c3e1f0b2d94e6f8a1b2c3d4e5f6a7b"
        device = SimDevice(device_id, name, ip, kind, group, f"{rng.getrandbits(128):032x}")
        device.media_type = _MEDIA_OVERRIDES.get(index % len(_DEVICE_NAMES), device.media_type)
        devices.append(device)
    return devices


def unknown_device_id(rng: random.Random, hex_ids: bool = False) -> str:
    """Return a fresh device id that belongs to no configured device."""
    return _device_id(rng.getrandbits(128), hex_ids)
