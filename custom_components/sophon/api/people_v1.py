"""Generation 1.0's face library: /SophonFogSys/api/users and /groups (api sections 3 and 7).

Tolerated: refusals as 4xx with the error envelope (read, not raised as HTTP errors); DELETE
with a JSON body; the person type as an int (or its text); group_name as a list or as text with
commas; a reg_photo in list answers (dropped, never held); skip_num read as a record offset or
as a page index (learnt from the second page asked for); pages shorter than asked (only an
empty page ends a group). There is no call that deletes one face.
"""

from __future__ import annotations

import base64
import uuid
from typing import TYPE_CHECKING, Any

from .coerce import as_dict, as_id, as_int, as_str
from .exceptions import SophonNotSupportedError, SophonPersonNotFoundError, SophonResponseError
from .generation_v1 import PERSON_TYPES
from .library_errors import checked
from .models import LibraryPerson, NewPerson, PersonType

if TYPE_CHECKING:
    from .generation import Rest

NAME = "1.0"
USERS_PATH = "/SophonFogSys/api/users"
GROUPS_PATH = "/SophonFogSys/api/groups"
PREFERRED_GROUP = "default_group"
GROUPS_LIMIT = 1000
TYPE_CODES = {person_type: code for code, person_type in PERSON_TYPES.items()}


def _ids(value: Any) -> tuple[str, ...]:
    """Return a list of ids as text (anything else: none)."""
    if not isinstance(value, list):
        return ()
    return tuple(text for item in value if (text := as_id(item)))


def _groups(value: Any) -> tuple[str, ...]:
    """Return group_name as a tuple: from a list, or from text with commas (api 7.14)."""
    if isinstance(value, list):
        return _ids(value)
    text = as_str(value) or ""
    return tuple(name.strip() for name in text.split(",") if name.strip())


def parse_person(item: Any) -> LibraryPerson | None:
    """Parse one identities_list item; None without an identity id. reg_photo is not kept."""
    raw = as_dict(item) or {}
    identity_id = as_id(raw.get("identity_id"))
    if not identity_id:
        return None
    info = as_dict(raw.get("info")) or {}
    code = as_int(info.get("type"))
    image_id = as_id(info.get("image_id"))
    return LibraryPerson(
        identity_id=identity_id,
        name=as_str(info.get("name")) or "",
        person_type=PERSON_TYPES.get(code, PersonType.UNKNOWN)
        if code is not None
        else (PersonType.EMPLOYEE),
        person_type_raw=as_str(info.get("type")),
        groups=_groups(raw.get("group_name")),
        face_ids=_ids(info.get("face_ids")),
        image_ids=(image_id,) if image_id else (),
        permission_ids=_ids(info.get("permission_ids")),
    )


async def _users(rest: Rest, params: dict[str, str]) -> list[Any]:
    """Ask GET users; return its identities_list."""
    answer = checked(await rest("GET", USERS_PATH, params=params, envelope=True), "data")
    items = answer.get("identities_list")
    return items if isinstance(items, list) else []


async def _raw(rest: Rest, identity_id: str) -> dict[str, Any]:
    """Return a person's item as the box gives it (for read-modify-write)."""
    for item in await _users(rest, {"identity_id": identity_id}):
        if isinstance(item, dict) and as_id(item.get("identity_id")) == identity_id:
            return item
    raise SophonPersonNotFoundError(f"the box has no person {identity_id}")


async def fetch_person(rest: Rest, identity_id: str) -> LibraryPerson:
    """Read one person (GET users?identity_id=)."""
    person = parse_person(await _raw(rest, identity_id))
    if person is None:
        raise SophonPersonNotFoundError(f"the box has no person {identity_id}")
    return person


async def fetch_groups(rest: Rest) -> list[str]:
    """Read the face-library groups' names."""
    params = {"skip_num": "0", "limit": str(GROUPS_LIMIT)}
    answer = checked(await rest("GET", GROUPS_PATH, params=params, envelope=True), "data")
    items = answer.get("groups_list")
    names = [
        as_str(item.get("name")) or as_str(item.get("groupname"))
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, dict)
    ]
    return [name for name in names if name]


class PeopleV1:
    """List and change a 1.0 box's face library."""

    def __init__(self) -> None:
        """Start without knowing what skip_num counts (True: pages)."""
        self.skip_pages: bool | None = None

    async def list_people(
        self, rest: Rest, page_size: int, max_people: int, max_pages: int
    ) -> tuple[list[LibraryPerson], bool]:
        """List every group's people (a person in several groups once); complete or cut."""
        found: dict[str, LibraryPerson] = {}
        pages = 0
        for group in await fetch_groups(rest):
            complete, pages = await self._group(
                rest, group, found, size=page_size, pages=pages, max_pages=max_pages
            )
            if not complete or len(found) >= max_people:
                return list(found.values())[:max_people], False
        return list(found.values()), True

    async def _group(
        self,
        rest: Rest,
        group: str,
        found: dict[str, LibraryPerson],
        *,
        size: int,
        pages: int,
        max_pages: int,
    ) -> tuple[bool, int]:
        """Read one group's pages into found; return whether it was read to its end.

        An empty page is its end; a page that brings nobody new (a box that ignores skip_num)
        is not: the listing is then incomplete, so that nobody is taken for deleted.
        """
        params = {"group_name": group, "limit": str(size)}
        first = await _users(rest, params | {"skip_num": "0"})
        pages += 1
        self._add(first, found)
        if not first:
            return True, pages
        if self.skip_pages is None and len(first) >= 2:  # noqa: PLR2004
            probe = await _users(rest, params | {"skip_num": "1"})
            pages += 1
            self.skip_pages = not (probe and _same(probe[0], first[1]))
        index, offset = 1, len(first)
        while pages < max_pages:
            skip = index if self.skip_pages else offset
            items = await _users(rest, params | {"skip_num": str(skip)})
            pages += 1
            if not items:
                return True, pages
            if not self._add(items, found):
                return False, pages
            index, offset = index + 1, offset + len(items)
        return False, pages

    @staticmethod
    def _add(items: list[Any], found: dict[str, LibraryPerson]) -> int:
        """Add a page's people to found; return how many were new."""
        before = len(found)
        for item in items:
            person = parse_person(item)
            if person is not None:
                found.setdefault(person.identity_id, person)
        return len(found) - before

    async def create(self, rest: Rest, new: NewPerson) -> LibraryPerson:
        """Register a person with one photo into a face-library group (the default one)."""
        identity_id = new.identity_id or uuid.uuid4().hex
        info = {"name": new.name, "type": TYPE_CODES[new.person_type], "permission_ids": []}
        body = {
            "identity_id": identity_id,
            "group_name": new.group or await _default_group(rest),
            "reg_photo": base64.b64encode(new.jpeg).decode("ascii"),
            "info": info,
        }
        checked(await rest("POST", USERS_PATH, body, envelope=True), "data")
        return await fetch_person(rest, identity_id)

    async def set_type(
        self, rest: Rest, identity_id: str, person_type: PersonType
    ) -> LibraryPerson:
        """Change the type, sending the person's whole info back (read-modify-write)."""
        info = dict(as_dict((await _raw(rest, identity_id)).get("info")) or {})
        info["type"] = TYPE_CODES[person_type]
        body = {"identity_id": identity_id, "info": info}
        checked(await rest("PUT", USERS_PATH, body, envelope=True), "data")
        return await fetch_person(rest, identity_id)

    async def add_face(self, rest: Rest, identity_id: str, jpeg: bytes) -> LibraryPerson:
        """Add a face: POST the person again, as they are, with ignore_exist (api section 3)."""
        raw = await _raw(rest, identity_id)
        groups = _groups(raw.get("group_name")) or (await _default_group(rest),)
        body = {
            "identity_id": identity_id,
            "group_name": ",".join(groups),
            "reg_photo": base64.b64encode(jpeg).decode("ascii"),
            "info": as_dict(raw.get("info")) or {},
            "ignore_exist": True,
        }
        checked(await rest("POST", USERS_PATH, body, envelope=True), "data")
        return await fetch_person(rest, identity_id)

    async def delete_face(self, _rest: Rest, identity_id: str, _face: str) -> LibraryPerson:
        """Refuse: 1.0 has no call that deletes one face."""
        raise SophonNotSupportedError(f"generation 1.0 cannot delete a face of {identity_id}")

    async def delete(self, rest: Rest, identity_id: str) -> None:
        """Delete a person and their faces (DELETE users with a JSON body)."""
        body = {"identity_id": identity_id}
        checked(await rest("DELETE", USERS_PATH, body, envelope=True), "data")


def _same(item: Any, other: Any) -> bool:
    """Tell whether two list items are the same person."""
    return (
        isinstance(item, dict)
        and isinstance(other, dict)
        and (as_id(item.get("identity_id")) == as_id(other.get("identity_id")))
    )


async def _default_group(rest: Rest) -> str:
    """Return the group a person goes into when none is named: default_group, else the first."""
    groups = await fetch_groups(rest)
    if not groups:
        raise SophonResponseError("the box has no face-library group to register people into")
    return PREFERRED_GROUP if PREFERRED_GROUP in groups else groups[0]
