"""Texts the integration writes itself (logbook lines, trace descriptions), in HA's language.

Home Assistant translates what its frontend shows; a line the integration writes is read from
the translation cache of Home Assistant's own language (Settings → System → General). The
integration's set-up loads that language and English (async_load_texts); each device-list read
loads the language again, which may have changed since. A text missing in it is English.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import (
    async_get_cached_translations,
    async_get_translations,
)

from .const import DOMAIN

# The categories of strings.json these texts come from (loaded into the cache).
TEXT_CATEGORIES = ("common", "entity")
FALLBACK_LANGUAGE = "en"


async def async_load_texts(hass: HomeAssistant, *languages: str) -> None:
    """Load our texts into the translation cache: HA's language, and any languages given."""
    for language in {hass.config.language, *languages}:
        for category in TEXT_CATEGORIES:
            await async_get_translations(hass, language, category, {DOMAIN})


def text(hass: HomeAssistant, category_key: str) -> str:
    """Return one of our texts ("common.logbook_stranger", …) in Home Assistant's language."""
    category = category_key.partition(".")[0]
    key = f"component.{DOMAIN}.{category_key}"
    for language in (hass.config.language, FALLBACK_LANGUAGE):
        cached = async_get_cached_translations(hass, language, category, DOMAIN)
        if found := cached.get(key):
            return found
    return ""
