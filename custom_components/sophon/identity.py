"""What identifies a box, its attached devices and their entities, in Home Assistant's registries.

A box is known by its serial number (host and port where it gives none), so the same box at a new
address is the same entry. An attached device is known by its id on the box in canonical form,
scoped by the config entry, so two boxes that list the same device id (one restored from the
other's backup, or one box added twice) never share a device or an entity.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import HomeAssistant, callback

from .api import canonical_device_id
from .const import DOMAIN

_LOGGER = logging.getLogger(__name__)


def address_unique_id(host: str, port: int) -> str:
    """Return the unique id of a box that gives no serial number: where it answers."""
    return f"{host}:{port}"


def box_unique_id(serial: str | None, host: str, port: int) -> str:
    """Return a box's config entry unique id: its serial number, else its address."""
    return serial or address_unique_id(host, port)


def device_identifier(entry_id: str, device_id: str) -> tuple[str, str]:
    """Return the device registry identifier of an attached device of the entry's box."""
    return (DOMAIN, f"{entry_id}_{canonical_device_id(device_id)}")


def device_unique_id(entry_id: str, device_id: str, key: str) -> str:
    """Return the unique id of one entity (key) of an attached device of the entry's box."""
    return f"{entry_id}_{canonical_device_id(device_id)}_{key}"


def person_identifier(entry_id: str, identity_id: str) -> tuple[str, str]:
    """Return the device registry identifier of a followed person of the entry's box.

    Never of the form of an attached device's (entry id, "_", device id): "#" follows the
    entry id.
    """
    return (DOMAIN, f"{entry_id}#person#{identity_id}")


def person_unique_id(entry_id: str, identity_id: str, key: str) -> str:
    """Return the unique id of one entity (key) of a followed person of the entry's box."""
    return f"{entry_id}#person#{identity_id}#{key}"


def followed_identity(entry_id: str, identifier: str) -> str | None:
    """Return the identity id behind a followed person's device identifier of this entry."""
    prefix = f"{entry_id}#person#"
    return identifier.removeprefix(prefix) if identifier.startswith(prefix) else None


def attached_device_key(entry_id: str, identifier: str) -> str | None:
    """Return the canonical device id behind a device registry identifier of this entry.

    None for the box itself and for identifiers of other entries.
    """
    prefix = f"{entry_id}_"
    return identifier.removeprefix(prefix) if identifier.startswith(prefix) else None


def known_by_serial(entry: ConfigEntry) -> bool:
    """Return True when the entry's unique id is its box's serial number (not its address)."""
    address = address_unique_id(entry.data[CONF_HOST], entry.data[CONF_PORT])
    return entry.unique_id not in (None, address)


def reconfigured_unique_id(
    entry: ConfigEntry, serial: str | None, data: Mapping[str, Any]
) -> str | None:
    """Return the unique id of an entry moved to the address in data; None for another box.

    A box whose serial could not be read there keeps the serial the entry is known by (it
    cannot be told apart; a box that gives none is known by its new address).
    """
    if serial is None:
        if known_by_serial(entry):
            return entry.unique_id
        return address_unique_id(data[CONF_HOST], data[CONF_PORT])
    if known_by_serial(entry) and serial != entry.unique_id:
        return None
    return serial


@callback
def async_adopt_serial(hass: HomeAssistant, entry: ConfigEntry, serial: str | None) -> None:
    """Make the serial number the unique id of an entry still known by its address.

    An entry whose box gives no serial keeps its address; a serial that another entry already
    holds is left alone (one box added twice before serial numbers were used), and so is an
    entry that already has a serial number (a box swapped at the same address is logged).
    """
    if not serial or entry.unique_id == serial:
        return
    if known_by_serial(entry):
        _LOGGER.warning(
            "%s answers with another serial number than the one it was added with; if the box "
            "was replaced, add the new one and delete this entry",
            entry.title,
        )
        return
    if hass.config_entries.async_entry_for_domain_unique_id(DOMAIN, serial) is None:
        hass.config_entries.async_update_entry(entry, unique_id=serial)
