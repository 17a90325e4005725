"""The box's face library as counts (no names), and the followed people as it lists them.

A small coordinator of its own per box, polled every LIBRARY_REFRESH and after each change
the library actions make; a failure makes only the library sensor unavailable.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import BoxClient, LibraryPerson, PersonType, SophonError
from .const import DOMAIN, LIBRARY_REFRESH

_LOGGER = logging.getLogger(__name__)

# The person types counted (a stranger is never in the library; anything else is "unknown").
COUNTED_TYPES: Final = (
    PersonType.EMPLOYEE,
    PersonType.VISITOR,
    PersonType.BLACKLIST,
    PersonType.VIP,
    PersonType.UNKNOWN,
)


@dataclass(frozen=True, slots=True)
class LibraryCounts:
    """How many people a box's face library holds, in all and by type; complete: all listed.

    followed: the followed people the listing names (identity id -> person).
    """

    people: int
    by_type: dict[str, int] = field(default_factory=dict)
    complete: bool = True
    followed: dict[str, LibraryPerson] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts for diagnostics."""
        return {"people": self.people, "by_type": dict(self.by_type), "complete": self.complete}


class LibraryCoordinator(DataUpdateCoordinator[LibraryCounts]):
    """Count the people of a box's face library, every LIBRARY_REFRESH."""

    config_entry: ConfigEntry[Any]

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry[Any],
        client: BoxClient,
        followed: Callable[[], Collection[str]],
    ) -> None:
        """Count the library of the entry's box through client; followed: identity ids."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} library",
            update_interval=LIBRARY_REFRESH,
        )
        self.client = client
        self._followed = followed

    async def _async_update_data(self) -> LibraryCounts:
        """List the library and count it."""
        try:
            listed = await self.client.async_list_people()
        except SophonError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="library_unavailable",
                translation_placeholders={"box": self.config_entry.title, "reason": str(err)},
            ) from err
        counted = Counter(
            person.person_type if person.person_type in COUNTED_TYPES else PersonType.UNKNOWN
            for person in listed.people
        )
        followed = self._followed()
        return LibraryCounts(
            people=len(listed.people),
            by_type={person_type.value: counted[person_type] for person_type in COUNTED_TYPES},
            complete=listed.complete,
            followed={p.identity_id: p for p in listed.people if p.identity_id in followed},
        )
