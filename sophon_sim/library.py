"""Keep a simulated box's face library: the people its recognitions come from, and their faces.

A face is known by its marker (sophon_sim.imagery): every face the simulator draws carries one,
and a picture uploaded to the library is "recognized" by reading it back, so a face the box
drew (a stranger's crop, scaled down and re-encoded by a client) registered as a new person
makes the next recognition of that face come back as that person. The roster seeds the library;
errors are raised as LibraryError with the 2.0 code, and each generation answers them in its own
envelope (library_v1, library_v2). A person is small (no picture bytes unless one was uploaded):
10,000 of them are cheap to hold and to list.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import io
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageStat, UnidentifiedImageError

from .imagery import face_marker, picture_of, read_marker
from .roster import Person, PersonType, stable_uuid

if TYPE_CHECKING:
    from collections.abc import Iterable

    from .faults import Faults
    from .imagery import ImageBank, Picture

LIBRARY_CAPACITY = 50_000  # people a box holds by default (GROUP_LEN_ERROR beyond)
MAX_PICTURE_BYTES = 2 * 1024 * 1024  # the largest picture accepted, decoded
MAX_PICTURE_SIDE = 4096  # the largest width or height accepted, in pixels
MIN_FACE_SIDE = 64  # a smaller picture fails the face_size check
DARK, BRIGHT = 40, 235  # a face whose mean grey is outside these fails the brightness check
DEFAULT_NAME = "佚名"  # "anonymous": the 2.0 default name, never a duplicate
# What the library_reject fault answers (a picture's upload fails this way whatever it is).
FORCED = {
    "no_face": "NO_FACE_ERROR",
    "low_quality": "LOW_QUALITY_ERROR",
    "too_large": "IMAGE_SIZE_TOO_LARGE_ERROR",
    "decode": "IMAGE_DECODE_ERROR",
    "full": "GROUP_LEN_ERROR",
    "internal": "INTERNAL_ERROR",
}
FORCED_CHECKS: tuple[str, ...] = ("headpose", "clarity")
DEFAULT_GROUPS = {
    "default_group": "",
    "visitors": "",
    "blacklist": "",
    "vip": "",
    "5f0c2a9e81b34c1f9d2e7a6b3c4d5e6f": "",
}
MESSAGES = {
    "NO_FACE_ERROR": "no face found in the picture",
    "IMAGE_DECODE_ERROR": "the picture cannot be decoded",
    "IMAGE_SIZE_TOO_LARGE_ERROR": "the picture is too large",
    "GROUP_LEN_ERROR": "the face library is full",
    "INTERNAL_ERROR": "internal error",
}


class LibraryError(Exception):
    """Tell why the library refused a call: the 2.0 code, a message, the failed checks."""

    def __init__(self, code: str, message: str = "", checks: tuple[str, ...] = ()) -> None:
        """Keep the code, the message (the code's own by default) and the quality checks."""
        super().__init__(message or MESSAGES.get(code, code))
        self.code, self.message, self.checks = code, message or MESSAGES.get(code, code), checks


@dataclass(slots=True, eq=False)
class Face:
    """Hold one registered face: its ids, its marker, the picture uploaded (None: drawn)."""

    face_id: str
    image_id: str
    marker: int
    photo: bytes | None = None


@dataclass(slots=True, eq=False)
class Entry:
    """Hold one person of the library.

    info: the 1.0 info keys beyond name and type (permission_ids, user_id, ext_info, ...); ext:
    the 2.0 ext_user_info; seed: the roster person it came from, while nothing changed.
    """

    identity_id: str
    name: str
    person_type: PersonType
    groups: list[str]
    info: dict[str, Any]
    ext: dict[str, Any]
    faces: list[Face]
    seed: Person | None = None

    @property
    def permission_ids(self) -> list[str]:
        """Return the person's permission groups."""
        ids = self.info.get("permission_ids")
        return list(ids) if isinstance(ids, list) else []

    @property
    def image_id(self) -> str:
        """Return the id of the registered photo (the first face's picture), or ""."""
        return self.faces[0].image_id if self.faces else ""

    def v1_info(self) -> dict[str, Any]:
        """Return the 1.0 info: the extra keys, name, type, image_id and face_ids."""
        info = dict(self.info)
        info.update(name=self.name, type=int(self.person_type), image_id=self.image_id)
        info["face_ids"] = [face.face_id for face in self.faces]
        info.setdefault("permission_ids", [])
        return info

    @property
    def person(self) -> Person:
        """Return the person as recognitions give them (the roster's own while unchanged)."""
        if self.seed is not None:
            return self.seed
        group = self.groups[0] if self.groups else ""
        return Person(self.identity_id, self.name, self.person_type, group, self.v1_info())


def decode_base64(text: Any) -> bytes:
    """Return a picture's bytes from base64 text, with or without a data: URI prefix."""
    if not isinstance(text, str) or not text:
        raise LibraryError("IMAGE_DECODE_ERROR")
    try:
        return base64.b64decode(text.split(",", 1)[-1].strip(), validate=True)
    except (binascii.Error, ValueError) as err:
        raise LibraryError("IMAGE_DECODE_ERROR") from err


def _quality(image: Image.Image) -> tuple[str, ...]:
    """Return the quality checks a face picture fails: face_size, brightness."""
    failed = []
    if min(image.size) < MIN_FACE_SIDE:
        failed.append("face_size")
    width, height = image.size
    grey = ImageStat.Stat(image.convert("L").crop((0, 0, width, height * 3 // 4))).mean[0]
    if not DARK <= grey <= BRIGHT:
        failed.append("brightness")
    return tuple(failed)


@dataclass
class Library:
    """Hold the people of a box's face library, their faces and the face-library groups (1.0)."""

    bank: ImageBank
    capacity: int = LIBRARY_CAPACITY
    max_picture_bytes: int = MAX_PICTURE_BYTES
    max_picture_side: int = MAX_PICTURE_SIDE
    groups: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_GROUPS))
    _people: dict[str, Entry] = field(default_factory=dict)
    _by_marker: dict[int, str] = field(default_factory=dict)
    _by_image: dict[str, Face] = field(default_factory=dict)
    _uploaded: dict[str, Picture] = field(default_factory=dict)  # by image id, made once
    # The face marker of each person deleted (their face comes back as a stranger's).
    _forgotten: dict[str, int] = field(default_factory=dict)
    _listed: list[Entry] | None = None

    def __len__(self) -> int:
        """Count the people."""
        return len(self._people)

    def __contains__(self, identity_id: object) -> bool:
        """Tell whether a person with this identity id is in the library."""
        return identity_id in self._people

    def get(self, identity_id: str) -> Entry | None:
        """Return the person with this identity id, if any."""
        return self._people.get(identity_id)

    def require(self, identity_id: Any) -> Entry:
        """Return the person with this identity id, or raise MISSING_ARGUMENTS or ID_NOT_FOUND."""
        if identity_id is None or identity_id == "":
            raise LibraryError("MISSING_ARGUMENTS", "identity_id")
        entry = self._people.get(str(identity_id))
        if entry is None:
            raise LibraryError("ID_NOT_FOUND", f"identity_id {identity_id} not found")
        return entry

    def people(self) -> list[Entry]:
        """Return every person, oldest first (the same list until the library changes)."""
        if self._listed is None:
            self._listed = list(self._people.values())
        return self._listed

    def seed(self, people: Iterable[Person]) -> None:
        """Add registered people as the roster describes them (their own info and photo ids)."""
        for person in people:
            if not person.registered:
                continue
            face_ids = person.info.get("face_ids") if isinstance(person.info, dict) else None
            face_id = face_ids[0] if isinstance(face_ids, list) and face_ids else None
            face = Face(
                face_id or stable_uuid("face" + person.image_key),
                person.image_id,
                face_marker(person.image_key),
            )
            info = {k: v for k, v in person.info.items() if k not in ("name", "type")}
            entry = Entry(
                person.identity_id,
                person.name,
                person.person_type,
                [person.group],
                info,
                {},
                [face],
                seed=person,
            )
            self._put(entry)

    def add_generated(self, count: int, start: int = 0) -> None:
        """Add count made-up people ("Person 00001", ..., types in turn), one face each."""
        types = (PersonType.EMPLOYEE, PersonType.VISITOR, PersonType.VIP, PersonType.BLACKLIST)
        for number in range(start, start + count):
            key = f"generated-{number}"
            face = Face(f"face-{number:08d}", f"image-{number:08d}", face_marker(key))
            entry = Entry(
                f"9{number:07d}",
                f"Person {number:05d}",
                types[number % len(types)],
                ["default_group"],
                {"permission_ids": []},
                {},
                [face],
            )
            self._put(entry)

    def _put(self, entry: Entry) -> None:
        """Add or replace a person and index their faces."""
        self._people[entry.identity_id] = entry
        self._forgotten.pop(entry.identity_id, None)
        for face in entry.faces:
            self._index(entry, face)
        self._listed = None

    def _index(self, entry: Entry, face: Face) -> None:
        """Make a face recognizable as the person's, its picture servable."""
        self._by_marker[face.marker] = entry.identity_id
        self._by_image[face.image_id] = face

    def _unindex(self, entry: Entry, face: Face) -> None:
        """Forget a face of a person."""
        if self._by_marker.get(face.marker) == entry.identity_id:
            del self._by_marker[face.marker]
        self._by_image.pop(face.image_id, None)
        self._uploaded.pop(face.image_id, None)

    def recognize(self, marker: int) -> Entry | None:
        """Return the person a face with this marker belongs to, if anyone."""
        identity_id = self._by_marker.get(marker)
        return None if identity_id is None else self._people.get(identity_id)

    def marker_of(self, person: Person) -> int:
        """Return the marker of the face a person shows: their first registered one."""
        entry = self._people.get(person.identity_id) if person.registered else None
        if entry is not None and entry.faces:
            return entry.faces[0].marker
        forgotten = self._forgotten.get(person.identity_id) if person.registered else None
        return face_marker(person.image_key) if forgotten is None else forgotten

    def forgot(self, identity_id: str) -> bool:
        """Tell whether the person with this identity id was deleted."""
        return identity_id in self._forgotten

    def photo(self, image_id: str) -> bytes | None:
        """Return a registered photo's bytes by image id: the picture uploaded, or the one drawn."""
        picture = self.registered_picture(image_id)
        return None if picture is None else picture.data

    def registered_picture(self, image_id: str) -> Picture | None:
        """Return a registered photo by image id: the picture uploaded, or the one drawn."""
        face = self._by_image.get(image_id)
        if face is None:
            return None
        if face.photo is None:
            return self.bank.registered(face.marker)
        if image_id not in self._uploaded:
            self._uploaded[image_id] = picture_of(face.photo)
        return self._uploaded[image_id]

    def read_face(self, data: bytes, fiqa_level: Any, faults: Faults) -> Face:
        """Return a new face read from a picture, or raise LibraryError as a box would."""
        forced = FORCED.get(faults.library_reject)
        if forced is not None and forced != "GROUP_LEN_ERROR":
            checks = FORCED_CHECKS if forced == "LOW_QUALITY_ERROR" else ()
            raise LibraryError(forced, _quality_message(checks) if checks else "", checks)
        if len(data) > self.max_picture_bytes:
            message = (
                f"the picture is too large: {len(data)} bytes, at most {self.max_picture_bytes}"
            )
            raise LibraryError("IMAGE_SIZE_TOO_LARGE_ERROR", message)
        try:
            image = Image.open(io.BytesIO(data))
            if max(image.size) > self.max_picture_side:
                message = f"the picture is too large: {image.size[0]}x{image.size[1]} pixels"
                raise LibraryError("IMAGE_SIZE_TOO_LARGE_ERROR", message)
            image.load()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as err:
            raise LibraryError("IMAGE_DECODE_ERROR") from err
        marker = read_marker(image)
        if marker is None:
            raise LibraryError("NO_FACE_ERROR")
        checks = () if fiqa_level == "no" else _quality(image)
        if checks:
            raise LibraryError("LOW_QUALITY_ERROR", _quality_message(checks), checks)
        return Face(str(uuid.uuid4()), str(uuid.uuid4()), marker, data)

    def check_new(self, identity_id: str, name: str, faults: Faults) -> None:
        """Raise LibraryError when a new person cannot be added: full, id or name taken."""
        if faults.library_reject == "full" or len(self._people) >= self.capacity:
            raise LibraryError("GROUP_LEN_ERROR", f"the face library is full ({self.capacity})")
        if identity_id in self._people:
            raise LibraryError("ID_REPEAT_ERROR", f"identity_id {identity_id} already exist")
        self.check_name(name, identity_id)

    def check_name(self, name: str, identity_id: str) -> None:
        """Raise LibraryError when another person has this name (the default name aside)."""
        if name in ("", DEFAULT_NAME):
            return
        for entry in self._people.values():
            if entry.name == name and entry.identity_id != identity_id:
                raise LibraryError("NAME_REPEAT_ERROR", f"identity_name {name} already exist")

    def add(self, entry: Entry) -> Entry:
        """Add a new person (checked with check_new first)."""
        self._put(entry)
        return entry

    def changed(self, entry: Entry) -> None:
        """Note that a person's name, type or info changed: recognitions show it from now on."""
        entry.seed = None
        self._listed = None

    def add_face(self, entry: Entry, face: Face, *, only: bool = False) -> None:
        """Give a person one more face (the only one with only)."""
        if only:
            for old in entry.faces:
                self._unindex(entry, old)
            entry.faces.clear()
        entry.faces.append(face)
        self._index(entry, face)
        self.changed(entry)

    def delete_face(self, entry: Entry, image_id: str | None, face_id: str | None) -> None:
        """Delete one face of a person, by picture id (first) or face id."""
        for face in entry.faces:
            if (image_id and face.image_id == image_id) or (
                not image_id and face_id and face.face_id == face_id
            ):
                entry.faces.remove(face)
                self._unindex(entry, face)
                self.changed(entry)
                return
        raise LibraryError("ID_NOT_FOUND", f"face {image_id or face_id} not found")

    def delete(self, identity_id: str) -> Entry:
        """Delete a person and their faces; their face is a stranger's from now on."""
        entry = self._people.pop(identity_id, None)
        if entry is None:
            raise LibraryError("ID_NOT_FOUND", f"identity_id {identity_id} not found")
        for face in entry.faces:
            self._unindex(entry, face)
        self._forgotten[identity_id] = (
            entry.faces[0].marker if entry.faces else face_marker(identity_id)
        )
        self._listed = None
        return entry

    def in_group(self, group: str) -> list[Entry]:
        """Return the people of a face-library group (1.0), oldest first."""
        return [entry for entry in self.people() if group in entry.groups]


def _quality_message(checks: tuple[str, ...]) -> str:
    """Return the message of a low-quality answer: the failed checks, as the pages say."""
    return f"face quality check failed: {', '.join(checks)}"


def new_identity_id() -> str:
    """Return an identity id for a person created without one (2.0)."""
    return uuid.uuid4().hex


def stranger(marker: int) -> Person:
    """Return a stranger showing the face with this marker."""
    return dataclasses.replace(STRANGER, face_seed=marker)


STRANGER = Person("", "", PersonType.STRANGER, "default_group", {})
