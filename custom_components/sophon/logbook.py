"""Logbook: each recognition as one line, in Home Assistant's language, linked to its device."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er

from .api import clean_text
from .const import DOMAIN, EVENT_LIBRARY_CHANGED, EVENT_RECOGNITION
from .texts import text

# The keys of a logbook entry (homeassistant.components.logbook.LOGBOOK_ENTRY_*).
LOGBOOK_ENTRY_NAME = "name"
LOGBOOK_ENTRY_MESSAGE = "message"
LOGBOOK_ENTRY_ENTITY_ID = "entity_id"


@callback
def async_describe_events(
    hass: HomeAssistant,
    async_describe_event: Callable[[str, str, Callable[[Event], dict[str, str]]], None],
) -> None:
    """Describe sophon_recognition events for the logbook."""

    @callback
    def describe(event: Event) -> dict[str, str]:
        """Return the line of one recognition."""
        return describe_recognition(hass, event.data)

    async_describe_event(DOMAIN, EVENT_RECOGNITION, describe)

    @callback
    def describe_change(event: Event) -> dict[str, str]:
        """Return the line of one change to a box's face library."""
        return describe_library_change(hass, event.data)

    async_describe_event(DOMAIN, EVENT_LIBRARY_CHANGED, describe_change)


def describe_recognition(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """Return e.g. '小明 (VIP) recognized at Gate 1, score 62%', linked to the device.

    One received late (replayed after an outage) says so: '… score 62% (received late)'.

    The message says it all: where the line links to an entity, the Activity panel shows the
    entity's name in the place of the line's name.
    """
    line: dict[str, str] = {}
    device = dr.async_get(hass).async_get(data.get("device_id") or "")
    if device is None:
        where = clean_text(str(data.get("sophon_device_id") or "?"))
    else:
        where = device.name_by_user or device.name or "?"
        if (entity_id := _recognition_entity(hass, device.id)) is not None:
            line[LOGBOOK_ENTRY_ENTITY_ID] = entity_id
    late = text(hass, "common.logbook_late") if data.get("replayed") else ""
    person_type = str(data.get("person_type", "unknown"))
    if person_type == "stranger":
        line[LOGBOOK_ENTRY_NAME] = text(hass, "common.logbook_stranger_name")
        message = text(hass, "common.logbook_stranger").format(device=where)
        line[LOGBOOK_ENTRY_MESSAGE] = message + late
        return line
    score = data.get("score")
    template = "common.logbook_recognized" + ("" if score is None else "_score")
    name = str(data.get("identity_name") or data.get("identity_id") or "?")
    line[LOGBOOK_ENTRY_NAME] = name
    line[LOGBOOK_ENTRY_MESSAGE] = (
        text(hass, template).format(
            name=name,
            person_type=text(hass, f"entity.sensor.person_type.state.{person_type}") or person_type,
            device=where,
            score="" if score is None else f"{score * 100:.0f}",
        )
        + late
    )
    return line


def describe_library_change(hass: HomeAssistant, data: Mapping[str, Any]) -> dict[str, str]:
    """Return e.g. 'Tom: registered as Visitor in the face library of Box by Alice'.

    Names the user who made the change (an automation's call has none); never a picture.
    """
    entry = hass.config_entries.async_get_entry(str(data.get("config_entry_id") or ""))
    box = entry.title if entry is not None else "?"
    user = data.get("user_name") or text(hass, "common.logbook_library_no_user")
    person_type = str(data.get("person_type", "unknown"))
    name = str(data.get("identity_name") or data.get("identity_id") or "?")
    message = text(hass, f"common.logbook_library_{data.get('change')}").format(
        box=box,
        user=user,
        person_type=text(hass, f"entity.sensor.person_type.state.{person_type}") or person_type,
    )
    return {LOGBOOK_ENTRY_NAME: name, LOGBOOK_ENTRY_MESSAGE: message}


def _recognition_entity(hass: HomeAssistant, device_id: str) -> str | None:
    """Return the entity id of a device's recognition event entity (the line links to it)."""
    return next(
        (
            entry.entity_id
            for entry in er.async_entries_for_device(er.async_get(hass), device_id)
            if entry.platform == DOMAIN and entry.domain == "event"
        ),
        None,
    )
