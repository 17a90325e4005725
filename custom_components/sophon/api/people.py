"""A box's face library: its people listed, read, registered, changed and deleted (api 3, 7).

One interface for both generations (people_v1.py, people_v2.py). Pictures go in as JPEG bytes
and out as plain base64; nothing here holds a photo. Changing a person's type reads the person
first and sends every other field back as it was (api 7.17). A refusal of the box is raised as
a SophonLibraryError subclass (library_errors.py). Never a recursive group delete or a wipe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from . import history_v1, history_v2, people_v1, people_v2
from .exceptions import SophonResponseError
from .models import LibraryPerson, NewPerson, People, PersonType

if TYPE_CHECKING:
    from .client import BoxClient
    from .generation import Rest
    from .rest import BoxRest

PAGE_SIZE = 100  # people asked for per page (a box may give fewer)
MAX_PEOPLE = 20_000  # people listed at most
# Pages read at most per listing: MAX_PEOPLE at 10 a page (1.0's documented default limit; a
# box may give fewer than asked), and a few more.
MAX_PAGES = MAX_PEOPLE // 10 + 10
# The types a person can be given (a stranger is not registered).
SETTABLE_TYPES = frozenset(
    {PersonType.EMPLOYEE, PersonType.VISITOR, PersonType.BLACKLIST, PersonType.VIP}
)


class PeopleCalls(Protocol):
    """One generation's people calls."""

    async def list_people(
        self, rest: Rest, page_size: int, max_people: int, max_pages: int
    ) -> tuple[list[LibraryPerson], bool]:
        """List people, page by page; return them and whether the list is complete."""

    async def create(self, rest: Rest, new: NewPerson) -> LibraryPerson:
        """Register a person with one photo."""

    async def set_type(
        self, rest: Rest, identity_id: str, person_type: PersonType
    ) -> LibraryPerson:
        """Change a person's type, keeping every other field."""

    async def add_face(self, rest: Rest, identity_id: str, jpeg: bytes) -> LibraryPerson:
        """Add a face to a person."""

    async def delete_face(self, rest: Rest, identity_id: str, face: str) -> LibraryPerson:
        """Delete one face of a person."""

    async def delete(self, rest: Rest, identity_id: str) -> None:
        """Delete a person."""


class PeopleLibrary:
    """Ask and change a box's face library, in the generation it speaks."""

    def __init__(self, client: BoxClient, rest: BoxRest) -> None:
        """Call client's box through rest; each generation learns the box's quirks once."""
        self._client = client
        self._rest = rest
        self._calls: dict[str, PeopleCalls] = {
            people_v1.NAME: people_v1.PeopleV1(),
            people_v2.NAME: people_v2.PeopleV2(),
        }

    async def _generation(self) -> PeopleCalls:
        """Return the people calls of the generation the box speaks (found out if need be)."""
        if self._client.generation is None:
            await self._rest.devices()
        generation = self._client.generation
        if generation is None:
            raise SophonResponseError(f"{self._client.host} answers no known generation")
        return self._calls[generation.name]

    async def list_people(self, max_people: int = MAX_PEOPLE) -> People:
        """List the library's people, at most max_people (complete says whether all came)."""
        calls = await self._generation()
        people, complete = await calls.list_people(self._rest, PAGE_SIZE, max_people, MAX_PAGES)
        return People(people=people, complete=complete)

    async def _speaks_v2(self) -> bool:
        """Return True when the box speaks 2.0 (found out if need be)."""
        return await self._generation() is self._calls[people_v2.NAME]

    async def get_person(self, identity_id: str) -> LibraryPerson:
        """Read one person; SophonPersonNotFoundError when the box has none with this id."""
        fetch = people_v2.fetch_person if await self._speaks_v2() else people_v1.fetch_person
        return await fetch(self._rest, identity_id)

    async def registered_photo(self, image_id: str) -> bytes:
        """Fetch a person's registered photo by its id (LibraryPerson.image_ids; api 2)."""
        if await self._speaks_v2():
            return await history_v2.fetch_registered_photo(self._rest, image_id)
        return await history_v1.fetch_registered_photo(self._rest, image_id)

    async def create(self, new: NewPerson) -> LibraryPerson:
        """Register a person with a photo (JPEG bytes)."""
        _settable(new.person_type)
        calls = await self._generation()
        return await calls.create(self._rest, new)

    async def set_type(self, identity_id: str, person_type: PersonType) -> LibraryPerson:
        """Change a person's type, keeping every other field (read-modify-write)."""
        _settable(person_type)
        calls = await self._generation()
        return await calls.set_type(self._rest, identity_id, person_type)

    async def add_face(self, identity_id: str, jpeg: bytes) -> LibraryPerson:
        """Add a face (JPEG bytes) to a person."""
        calls = await self._generation()
        return await calls.add_face(self._rest, identity_id, jpeg)

    async def delete_face(self, identity_id: str, face: str) -> LibraryPerson:
        """Delete one face, by its registered picture's id or its face id (2.0 only)."""
        calls = await self._generation()
        return await calls.delete_face(self._rest, identity_id, face)

    async def delete(self, identity_id: str) -> None:
        """Delete a person and their faces."""
        calls = await self._generation()
        await calls.delete(self._rest, identity_id)


def _settable(person_type: PersonType) -> None:
    """Refuse a type a person cannot be registered as (stranger, unknown)."""
    if person_type not in SETTABLE_TYPES:
        raise ValueError(f"a person cannot be registered as {person_type}")
