"""The Sophon SE AI box integration: face recognitions pushed into Home Assistant."""

from __future__ import annotations

from homeassistant.const import CONF_HOST, CONF_PORT, EVENT_HOMEASSISTANT_STOP, Platform
from homeassistant.core import HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.typing import ConfigType

from .api import DEFAULT_VERSION_PORT, BoxClient
from .catch_up_store import async_remove_catch_up
from .compat import OPTIONS_FLOW_RELOADS
from .const import (
    CONF_STALE_MINUTES,
    CONF_VERSION_PORT,
    CONF_WS_PORT,
    DEFAULT_STALE_MINUTES,
    DOMAIN,
)
from .coordinator import SophonConfigEntry, SophonCoordinator
from .followed_people import async_unfollow
from .identity import attached_device_key, followed_identity
from .migration import async_migrate_entry
from .past_pictures import PastPictureView, forget_past_pictures
from .pictures import RecognitionPictureView, forget_recent_pictures
from .services import async_setup_services
from .texts import FALLBACK_LANGUAGE, async_load_texts

__all__ = [
    "async_migrate_entry",
    "async_remove_entry",
    "async_setup",
    "async_setup_entry",
    "async_unload_entry",
]

CONFIG_SCHEMA = cv.config_entry_only_config_schema(DOMAIN)

PLATFORMS = [
    Platform.BINARY_SENSOR,
    Platform.CAMERA,
    Platform.EVENT,
    Platform.IMAGE,
    Platform.SENSOR,
]


async def async_setup(hass: HomeAssistant, config: ConfigType) -> bool:
    """Serve recognitions' pictures, register the actions, load the texts the logbook writes."""
    hass.http.register_view(RecognitionPictureView(hass))
    hass.http.register_view(PastPictureView(hass))
    async_setup_services(hass)
    await async_load_texts(hass, FALLBACK_LANGUAGE)
    return True


async def async_setup_entry(hass: HomeAssistant, entry: SophonConfigEntry) -> bool:
    """Connect to a box: read its devices, set up the entities, start listening."""
    client = BoxClient(
        host=entry.data[CONF_HOST],
        port=entry.data[CONF_PORT],
        ws_port=entry.data[CONF_WS_PORT],
        version_port=entry.data.get(CONF_VERSION_PORT, DEFAULT_VERSION_PORT),
        session=async_get_clientsession(hass),
        stale_after=entry.options.get(CONF_STALE_MINUTES, DEFAULT_STALE_MINUTES) * 60 or None,
    )
    coordinator = SophonCoordinator(hass, entry, client)
    await coordinator.async_config_entry_first_refresh()
    entry.runtime_data = coordinator
    coordinator.people.remove_unfollowed()
    await hass.config_entries.async_forward_entry_setups(entry, PLATFORMS)
    await coordinator.catch_up.async_load()
    coordinator.async_start()
    entry.async_on_unload(
        hass.bus.async_listen_once(EVENT_HOMEASSISTANT_STOP, coordinator.async_stop)
    )
    if not OPTIONS_FLOW_RELOADS:  # pragma: no cover - Home Assistant 2025.4
        entry.async_on_unload(entry.add_update_listener(_async_reload))
    return True


async def _async_reload(
    hass: HomeAssistant, entry: SophonConfigEntry
) -> None:  # pragma: no cover - Home Assistant 2025.4
    """Reload after an options change (before 2025.8); reconfigure reloads by itself."""
    if entry.options != entry.runtime_data.options:
        await hass.config_entries.async_reload(entry.entry_id)


async def async_unload_entry(hass: HomeAssistant, entry: SophonConfigEntry) -> bool:
    """Stop listening and unload the entities (a disabled entry forgets its pictures)."""
    await entry.runtime_data.async_stop()
    await entry.runtime_data.catch_up.async_save()
    entry.runtime_data.async_delete_repairs()
    if entry.disabled_by is not None:
        forget_recent_pictures(hass, entry.entry_id)
        forget_past_pictures(hass, entry.entry_id)
    return await hass.config_entries.async_unload_platforms(entry, PLATFORMS)


async def async_remove_entry(hass: HomeAssistant, entry: SophonConfigEntry) -> None:
    """Forget the pictures of a removed box and when it was last heard."""
    forget_recent_pictures(hass, entry.entry_id)
    forget_past_pictures(hass, entry.entry_id)
    await async_remove_catch_up(hass, entry.entry_id)


async def async_remove_config_entry_device(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    device_entry: dr.DeviceEntry,
) -> bool:
    """Allow removing a device that the box no longer lists, or a followed person (unfollowed).

    A followed person can be removed while the box is not loaded too; an attached device then
    cannot be told listed or not, and is kept.
    """
    for domain, identifier in device_entry.identifiers:
        if domain == DOMAIN and (identity_id := followed_identity(entry.entry_id, identifier)):
            async_unfollow(hass, entry, identity_id)
            return True
    if (coordinator := getattr(entry, "runtime_data", None)) is None:
        return False
    return not any(
        domain == DOMAIN
        and (
            identifier == entry.entry_id
            or attached_device_key(entry.entry_id, identifier) in coordinator.data
        )
        for domain, identifier in device_entry.identifiers
    )
