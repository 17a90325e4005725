"""Config entry migration: bring entries and their registry entries up to the current version.

Version 1 named an attached device by the box's id alone (`(sophon, <device id>)`, entities
`<device id>_<key>`), so two boxes listing one device id collided. Version 2 scopes both by the
config entry and compares device ids in canonical form (identity.py). The registry entries are
renamed in place, so entity ids, names, areas and history stay as they were.
"""

from __future__ import annotations

import logging

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .compat import device_by_identifier, device_entry_ids
from .const import DOMAIN
from .identity import attached_device_key, device_identifier, device_unique_id

_LOGGER = logging.getLogger(__name__)

CURRENT_VERSION = 2
# The keys that version 1 appended to a device id to make an entity's unique id.
V1_DEVICE_KEYS = (
    "last_face_camera",
    "registered_photo",
    "last_identity",
    "person_type",
    "recognition",
    "last_score",
    "last_scene",
    "last_face",
    "last_seen",
)


async def async_migrate_entry(hass: HomeAssistant, entry: ConfigEntry) -> bool:
    """Migrate an entry from an older version; refuse one from a newer release."""
    if entry.version > CURRENT_VERSION:
        return False
    if entry.version == 1:
        _migrate_entities(hass, entry)
        _migrate_devices(hass, entry)
        hass.config_entries.async_update_entry(entry, version=2)
        _LOGGER.debug("Migrated %s to version 2", entry.title)
    return True


@callback
def _migrate_entities(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Scope the unique ids of the entry's device entities by the entry."""
    registry = er.async_get(hass)
    for entity in er.async_entries_for_config_entry(registry, entry.entry_id):
        if attached_device_key(entry.entry_id, entity.unique_id) is not None:
            continue  # the box's own entities were scoped by the entry already
        for key in V1_DEVICE_KEYS:
            if entity.unique_id.endswith(f"_{key}"):
                device_id = entity.unique_id.removesuffix(f"_{key}")
                new_unique_id = device_unique_id(entry.entry_id, device_id, key)
                # Two ids of one device in two forms: the first keeps the entity's history.
                if not registry.async_get_entity_id(entity.domain, DOMAIN, new_unique_id):
                    registry.async_update_entity(entity.entity_id, new_unique_id=new_unique_id)
                break


@callback
def _migrate_devices(hass: HomeAssistant, entry: ConfigEntry) -> None:
    """Scope the entry's attached devices by the entry; let go of devices another box owns.

    A device that two version-1 entries shared belongs to the entry whose entities are on it;
    the other entry only leaves it (and makes its own device at set-up).
    """
    devices = dr.async_get(hass)
    entities = er.async_get(hass)
    for device in dr.async_entries_for_config_entry(devices, entry.entry_id):
        old = {
            identifier
            for domain, identifier in device.identifiers
            if domain == DOMAIN
            and identifier != entry.entry_id
            and attached_device_key(entry.entry_id, identifier) is None
        }
        if not old:
            continue
        owned = any(
            entity.config_entry_id == entry.entry_id
            for entity in er.async_entries_for_device(
                entities, device.id, include_disabled_entities=True
            )
        )
        if owned or device_entry_ids(device) == {entry.entry_id}:
            kept = {(domain, ident) for domain, ident in device.identifiers if ident not in old}
            renamed = {
                new
                for new in (device_identifier(entry.entry_id, identifier) for identifier in old)
                # One device under two forms of its id: the first one keeps the new identifier.
                if device_by_identifier(devices, new, entry.entry_id) is None
            }
            if renamed:  # else left as it is: stale, and removable from its page
                devices.async_update_device(device.id, new_identifiers=kept | renamed)
        else:  # pragma: no cover - Home Assistant 2025.4: since 2026.8 a device has one entry
            devices.async_update_device(device.id, remove_config_entry_id=entry.entry_id)
