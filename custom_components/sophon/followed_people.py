"""Followed people: where and when each was last recognized, as devices of their own.

The options choose people of the box's face library by identity id (`people`). Each becomes a
device linked to the box, named as the library names them, once a listing of the library has
named them (or the device registry already has them): so its entities get ids made from the
name. A recognition of a followed person moves their record when it is newer than what it shows
(a recognition received late and older does not). A person the library no longer lists (in
LISTINGS_BEFORE_GONE complete listings in a row, or at once when deleted through the library
actions) is followed no longer: the device and its entities are removed and the options forget
the id. Strangers are never followed (they are not in the library).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import BoxClient, Device, LibraryPerson, RateLimitedLog, RecognitionEvent, SophonError
from .compat import device_by_identifier
from .const import CONF_PEOPLE, DOMAIN
from .devices import DeviceRegistrar
from .identity import followed_identity, person_identifier
from .library import LibraryCoordinator, LibraryCounts

_LOGGER = logging.getLogger(__name__)

# Complete listings in a row that must lack a followed person before they are forgotten (one
# box answer that lists nobody by mistake does not remove anyone).
LISTINGS_BEFORE_GONE: Final = 2

type PeopleCallback = Callable[[list[str]], None]


@dataclass(slots=True)
class PersonRecord:
    """Where and when one followed person was last recognized; the library's view of them."""

    last_seen: datetime | None = None
    # The attached device: its name, Home Assistant's device id, the box's score (0..1).
    device_name: str | None = None
    device_id: str | None = None
    score: float | None = None
    person: LibraryPerson | None = None
    listeners: list[CALLBACK_TYPE] = field(default_factory=list)

    def is_newer(self, when: datetime) -> bool:
        """Return True when a recognition at when is newer than the one shown."""
        return self.last_seen is None or when > self.last_seen

    def restore(
        self,
        last_seen: datetime | None = None,
        device_name: str | None = None,
        device_id: str | None = None,
        score: float | None = None,
    ) -> None:
        """Take back what the sensors showed before a restart, where nothing newer came."""
        if last_seen is not None and self.last_seen is None:
            self.last_seen = last_seen
        if device_name is not None and self.device_name is None:
            self.device_name, self.device_id, self.score = device_name, device_id, score

    @callback
    def changed(self) -> None:
        """Tell the person's entities."""
        for listener in self.listeners:
            listener()


@callback
def async_unfollow(hass: HomeAssistant, entry: ConfigEntry, identity_id: str) -> None:
    """Drop a person from an entry's options, loaded or not (their device is being removed).

    A loaded entry's coordinator runs with the new options at once: on Home Assistant 2025.4
    (whose update listener reloads when the options differ from those) unfollowing reloads
    nothing.
    """
    people = entry.options.get(CONF_PEOPLE, [])
    if identity_id not in people:
        return
    options = {**entry.options, CONF_PEOPLE: [p for p in people if p != identity_id]}
    if (coordinator := getattr(entry, "runtime_data", None)) is not None:
        coordinator.options = dict(options)
        coordinator.people.records.pop(identity_id, None)
    hass.config_entries.async_update_entry(entry, options=options)


class FollowedPeople:
    """The people followed on one box: their records, devices and photos."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: BoxClient,
        registrar: DeviceRegistrar,
        devices: Callable[[], dict[str, Device]],
    ) -> None:
        """Follow the people the entry's options choose; devices gives the box's device list."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._log = RateLimitedLog(_LOGGER)
        self._registrar = registrar
        self._devices = devices
        self.records: dict[str, PersonRecord] = {
            identity_id: PersonRecord() for identity_id in entry.options.get(CONF_PEOPLE, [])
        }
        self._announced: set[str] = set()
        self._callbacks: list[PeopleCallback] = []
        self._unlisted: Counter[str] = Counter()
        # The listing last read (the library's listeners are also told of a failed reading,
        # with the last good listing again: it must not count twice).
        self._listed: LibraryCounts | None = None
        self.forgotten = 0

    @callback
    def remove_unfollowed(self) -> None:
        """Remove the devices of people the options no longer choose (with their entities)."""
        registry = dr.async_get(self._hass)
        entry_id = self._entry.entry_id
        for device in dr.async_entries_for_config_entry(registry, entry_id):
            for domain, identifier in device.identifiers:
                identity_id = followed_identity(entry_id, identifier) if domain == DOMAIN else None
                if identity_id is not None and identity_id not in self.records:
                    registry.async_remove_device(device.id)

    @callback
    def async_add_people_callback(self, people_callback: PeopleCallback) -> None:
        """Call people_callback with the followed people known by name, now and later."""
        self._callbacks.append(people_callback)
        registry = dr.async_get(self._hass)
        for identity_id in self.records:
            identifier = person_identifier(self._entry.entry_id, identity_id)
            if device_by_identifier(registry, identifier, self._entry.entry_id) is not None:
                self._announced.add(identity_id)
        if self._announced:
            people_callback(sorted(self._announced))

    @callback
    def handle(self, event: RecognitionEvent) -> None:
        """Move a followed person's record to a recognition newer than what it shows."""
        record = self.records.get(event.identity_id)
        if record is None or event.is_stranger or not record.is_newer(event.timestamp):
            return
        device = self._devices().get(event.device_key)
        record.last_seen = event.timestamp
        record.device_name = (device.name if device else None) or event.device_id
        record.device_id = self._registrar.device_ids.get(event.device_key)
        record.score = event.score
        record.changed()

    @callback
    def follow_listings(self, library: LibraryCoordinator) -> None:
        """Take each listing of library as it is read, until the entry unloads."""
        self._entry.async_on_unload(
            library.async_add_listener(lambda: self.library_listed(library.data))
        )

    @callback
    def library_listed(self, counts: LibraryCounts | None) -> None:
        """Name the followed people as listed; forget those the library no longer lists."""
        if counts is None or counts is self._listed:
            return
        self._listed = counts
        new: list[str] = []
        for identity_id, record in list(self.records.items()):
            person = counts.followed.get(identity_id)
            if person is None:
                if counts.complete:
                    self._unlisted[identity_id] += 1
                    if self._unlisted[identity_id] >= LISTINGS_BEFORE_GONE:
                        self.forget(identity_id)
                continue
            self._unlisted.pop(identity_id, None)
            self._registrar.register_person(identity_id, person.name or identity_id)
            if person != record.person:
                record.person = person
                record.changed()
            if identity_id not in self._announced:
                self._announced.add(identity_id)
                new.append(identity_id)
        if new:
            for people_callback in self._callbacks:
                people_callback(new)

    @callback
    def forget(self, identity_id: str) -> None:
        """Follow a person no longer: remove their device and entities, drop them from options."""
        if self.records.pop(identity_id, None) is None:
            return
        self.forgotten += 1
        self._announced.discard(identity_id)
        self._unlisted.pop(identity_id, None)
        _LOGGER.info(
            "A person followed on %s is no longer in its face library; their device is removed",
            self._entry.title,
        )
        self._registrar.remove_person(identity_id)
        async_unfollow(self._hass, self._entry, identity_id)

    async def async_photo(self, identity_id: str) -> bytes | None:
        """Return a followed person's registered photo from the box (None: none, or failed)."""
        if (image_id := self.photo_id(identity_id)) is None:
            return None
        try:
            return await self._client.async_get_registered_photo(image_id)
        except SophonError as err:
            self._log.warning(
                "person_photo",
                "Could not fetch a followed person's registered photo from %s: %s",
                self._entry.title,
                err,
            )
            return None

    def photo_id(self, identity_id: str) -> str | None:
        """Return the id of a followed person's registered photo, as the library lists it."""
        record = self.records.get(identity_id)
        return (
            None if record is None or record.person is None else record.person.registered_image_id
        )

    def as_dict(self) -> dict[str, int]:
        """Return counts for diagnostics (no id, no name)."""
        return {
            "followed": len(self.records),
            "named": len(self._announced),
            "seen": sum(1 for record in self.records.values() if record.last_seen is not None),
            "forgotten": self.forgotten,
        }
