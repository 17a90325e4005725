"""Texts the integration writes itself (logbook lines, trace descriptions), in HA's language.

Home Assistant translates what its frontend shows; a line the integration writes is read from
the translation cache of Home Assistant's own language (Settings → System → General), which
DeviceRegistrar.async_load_texts fills at each device-list read. Until then: English.
"""

from __future__ import annotations

from homeassistant.core import HomeAssistant
from homeassistant.helpers.translation import async_get_cached_translations

from .const import DOMAIN

# The categories of strings.json these texts come from (loaded into the cache).
TEXT_CATEGORIES = ("common", "entity")
# The English texts, for the moments before the cache is filled.
ENGLISH = {
    "common.logbook_recognized": "{name} ({person_type}) recognized at {device}",
    "common.logbook_recognized_score": (
        "{name} ({person_type}) recognized at {device}, score {score}%"
    ),
    "common.logbook_stranger": "Stranger detected at {device}",
    "common.logbook_stranger_name": "Stranger",
    "common.trace_recognition": "recognition of {who} at {device}",
    "common.trace_detection": "detection of {who} at {device}",
    "common.trace_unknown_device": "a Sophon device",
    "common.trace_who_vip": "a VIP",
    "common.trace_who_blacklist": "a blacklisted person",
    "common.trace_who_employee": "an employee",
    "common.trace_who_visitor": "a visitor",
    "common.trace_who_stranger": "a stranger",
    "common.trace_who_unknown": "a person",
    "entity.sensor.person_type.state.employee": "Employee",
    "entity.sensor.person_type.state.visitor": "Visitor",
    "entity.sensor.person_type.state.blacklist": "Blacklisted",
    "entity.sensor.person_type.state.stranger": "Stranger",
    "entity.sensor.person_type.state.vip": "VIP",
    "entity.sensor.person_type.state.unknown": "Unknown",
}


def text(hass: HomeAssistant, category_key: str) -> str:
    """Return one of our texts ("common.logbook_stranger", …) in Home Assistant's language."""
    category = category_key.partition(".")[0]
    cached = async_get_cached_translations(hass, hass.config.language, category, DOMAIN)
    return cached.get(f"component.{DOMAIN}.{category_key}") or ENGLISH.get(category_key, "")
