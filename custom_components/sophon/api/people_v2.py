"""Generation 2.0's face library: POST /sophon/v2/face/<verb> (api sections 3 and 7).

Tolerated: updateidentity answered under the indexes' spelling updateidenity (the one that
works is remembered); an update that overwrites every field (the whole record is sent back);
user_type in any letter case; ext_info for ext_user_info; pages smaller than asked (the page
size the box gives is used from then on); refusals as symbols or as numbers with words.
"""

from __future__ import annotations

import base64
from typing import TYPE_CHECKING, Any

from .coerce import as_dict, as_id, as_str
from .exceptions import SophonNotSupportedError, SophonPersonNotFoundError, SophonResponseError
from .library_errors import checked
from .models import LibraryPerson, NewPerson, PersonType

if TYPE_CHECKING:
    from .generation import Rest

NAME = "2.0"
PREFIX = "/sophon/v2/face/"
UPDATE_VERBS = ("updateidentity", "updateidenity")


def _ids(value: Any) -> tuple[str, ...]:
    """Return a list of ids as text (anything else: none)."""
    if not isinstance(value, list):
        return ()
    return tuple(text for item in value if (text := as_id(item)))


def _person_type(value: Any) -> PersonType:
    """Map user_type in any letter case; anything else is unknown."""
    text = (as_str(value) or "").strip().lower()
    try:
        return PersonType(text)
    except ValueError:
        return PersonType.UNKNOWN


def parse_person(item: Any) -> LibraryPerson | None:
    """Parse one identity; None without an identity id."""
    raw = as_dict(item) or {}
    identity_id = as_id(raw.get("identity_id"))
    if not identity_id:
        return None
    return LibraryPerson(
        identity_id=identity_id,
        name=as_str(raw.get("identity_name")) or "",
        person_type=_person_type(raw.get("user_type")),
        person_type_raw=as_str(raw.get("user_type")),
        face_ids=_ids(raw.get("face_ids")),
        image_ids=_ids(raw.get("register_image_ids")),
        permission_ids=_ids(raw.get("permission_ids")),
    )


async def _call(rest: Rest, verb: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST one verb; return its answer, or raise for its error envelope."""
    return checked(await rest("POST", PREFIX + verb, body, envelope=True))


async def _raw(rest: Rest, identity_id: str) -> dict[str, Any]:
    """Return a person's record as the box gives it (for read-modify-write)."""
    return await _call(rest, "getidentity", {"identity_id": identity_id})


async def fetch_person(rest: Rest, identity_id: str) -> LibraryPerson:
    """Read one person (getidentity)."""
    person = parse_person(await _raw(rest, identity_id))
    if person is None:
        raise SophonPersonNotFoundError(f"the box has no person {identity_id}")
    return person


def _picture(jpeg: bytes) -> str:
    """Return a picture as plain base64 (no data: prefix; api 7.15)."""
    return base64.b64encode(jpeg).decode("ascii")


class PeopleV2:
    """List and change a 2.0 box's face library."""

    def __init__(self) -> None:
        """Start without knowing which spelling of updateidentity the box answers."""
        self.update_verb: str | None = None

    async def list_people(
        self, rest: Rest, page_size: int, max_people: int, max_pages: int
    ) -> tuple[list[LibraryPerson], bool]:
        """List the people page by page (getidentities); complete or cut at a bound.

        Complete only when the box's total_count is reached (without one: an empty or short
        page); a page that brings nobody new (a box that ignores page_index) ends the listing
        as incomplete, so that nobody is taken for deleted.
        """
        found: dict[str, LibraryPerson] = {}
        index, seen = 0, 0
        for _page in range(max_pages):
            body = {"filters": {}, "page_limit": page_size, "page_index": index}
            answer = await _call(rest, "getidentities", body)
            items = answer.get("identities")
            items = items if isinstance(items, list) else []
            total = as_dict(answer.get("pagination")) or {}
            before = len(found)
            for item in items:
                if (person := parse_person(item)) is not None:
                    found.setdefault(person.identity_id, person)
            seen += len(items)
            if len(found) >= max_people:
                return list(found.values())[:max_people], False
            count = total.get("total_count")
            known = isinstance(count, int) and not isinstance(count, bool)
            if (isinstance(count, int) and known and len(found) >= count) or not items:
                return list(found.values()), True
            if len(found) == before:
                return list(found.values()), False
            if len(items) < page_size:
                if not known:
                    return list(found.values()), True
                page_size = len(items)  # the box gives pages this size: go on in its size
                index = seen // page_size
            else:
                index += 1
        return list(found.values()), False

    async def create(self, rest: Rest, new: NewPerson) -> LibraryPerson:
        """Register a person with one photo (createidentity)."""
        body = {
            "identity_name": new.name,
            "user_type": str(new.person_type),
            "register_image": _picture(new.jpeg),
        }
        if new.identity_id:
            body["identity_id"] = new.identity_id
        answer = await _call(rest, "createidentity", body)
        created = as_id(answer.get("identity_id")) or new.identity_id
        if not created:
            raise SophonResponseError("the box created a person but gave no identity id")
        return await fetch_person(rest, created)

    async def set_type(
        self, rest: Rest, identity_id: str, person_type: PersonType
    ) -> LibraryPerson:
        """Change the type, sending every other field as it is (the update overwrites all)."""
        raw = await _raw(rest, identity_id)
        ext = raw.get("ext_user_info", raw.get("ext_info"))
        body = {
            "identity_id": identity_id,
            "identity_name": as_str(raw.get("identity_name")) or "",
            "user_type": str(person_type),
            "permission_ids": list(_ids(raw.get("permission_ids"))),
            "ext_user_info": as_dict(ext) or {},
        }
        return parse_person(await self._update(rest, body)) or await fetch_person(rest, identity_id)

    async def _update(self, rest: Rest, body: dict[str, Any]) -> dict[str, Any]:
        """Call updateidentity, or its other spelling where the box answers only that."""
        verbs = [self.update_verb] if self.update_verb else list(UPDATE_VERBS)
        for verb in verbs:
            try:
                answer = await _call(rest, verb, body)
            except SophonNotSupportedError:
                continue
            self.update_verb = verb
            return answer
        self.update_verb = None
        raise SophonNotSupportedError("the box answers neither spelling of updateidentity")

    async def add_face(self, rest: Rest, identity_id: str, jpeg: bytes) -> LibraryPerson:
        """Add a face (addface); it is the person's last."""
        body = {"identity_id": identity_id, "register_image": _picture(jpeg)}
        await _call(rest, "addface", body)
        return await fetch_person(rest, identity_id)

    async def delete_face(self, rest: Rest, identity_id: str, face: str) -> LibraryPerson:
        """Delete a face by its registered picture's id, or by its face id."""
        person = await fetch_person(rest, identity_id)
        key = "face_id" if face in person.face_ids else "register_image_id"
        await _call(rest, "deleteface", {"identity_id": identity_id, key: face})
        return await fetch_person(rest, identity_id)

    async def delete(self, rest: Rest, identity_id: str) -> None:
        """Delete a person and their faces (deleteidentities)."""
        answer = await _call(rest, "deleteidentities", {"identity_ids": [identity_id]})
        if identity_id not in _ids(answer.get("success_identity_ids")):
            raise SophonPersonNotFoundError(f"the box deleted no person {identity_id}")
