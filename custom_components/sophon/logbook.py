"""Logbook: each recognition as one readable line."""

from __future__ import annotations

from collections.abc import Callable

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .api import clean_text
from .const import DOMAIN, EVENT_RECOGNITION

# The keys of a logbook entry (homeassistant.components.logbook.LOGBOOK_ENTRY_*).
LOGBOOK_ENTRY_NAME = "name"
LOGBOOK_ENTRY_MESSAGE = "message"

PERSON_TYPE_LABELS = {
    "employee": "employee",
    "visitor": "visitor",
    "blacklist": "blacklisted",
    "stranger": "stranger",
    "vip": "VIP",
    "unknown": "unknown type",
}


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe sophon_recognition events for the logbook."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        """Return e.g. '小明 (VIP) recognized at Gate 1, score 62%'."""
        data = event.data
        device = dr.async_get(hass).async_get(data.get("device_id") or "")
        where = (
            (device.name_by_user or device.name)
            if device
            else clean_text(str(data.get("sophon_device_id") or "?"))
        )
        person_type = data.get("person_type", "unknown")
        score = data.get("score")
        suffix = "" if score is None else f", score {score * 100:.0f}%"
        if person_type == "stranger":
            return {
                LOGBOOK_ENTRY_NAME: "Stranger",
                LOGBOOK_ENTRY_MESSAGE: f"detected at {where}{suffix}",
            }
        label = PERSON_TYPE_LABELS.get(person_type, person_type)
        return {
            LOGBOOK_ENTRY_NAME: str(data.get("identity_name") or data.get("identity_id") or "?"),
            LOGBOOK_ENTRY_MESSAGE: f"({label}) recognized at {where}{suffix}",
        }

    async_describe_event(DOMAIN, EVENT_RECOGNITION, describe)
