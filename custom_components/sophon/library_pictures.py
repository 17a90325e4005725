"""The picture a library action sends: a recognition's face, or an entity's current picture.

A recognition's face is held in memory for a while (pictures.py), else found in the box's
history (its newest HISTORY_LOOKUP_LIMIT of the last HISTORY_LOOKUP); an image or camera
entity gives its current picture within PICTURE_TIMEOUT. Either is scaled down and re-encoded
(prepare_picture, in an executor) into a JPEG the box's library accepts; nothing is kept.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final

from homeassistant.components import camera
from homeassistant.components.image.const import DATA_COMPONENT as IMAGE_COMPONENT
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.util import dt as dt_util

from .api import HistoryQuery, SophonError, prepare_picture
from .box_memory import translated
from .coordinator import SophonConfigEntry
from .library_refusals import library_error
from .pictures import ImageKind, recent_pictures

ATTR_EVENT_ID: Final = "event_id"
ATTR_PICTURE_ENTITY_ID: Final = "picture_entity_id"
# A recognition no longer held in memory is looked for in the box's history this far back,
# among the newest HISTORY_LOOKUP_LIMIT.
HISTORY_LOOKUP: Final = timedelta(days=1)
HISTORY_LOOKUP_LIMIT: Final = 1000
PICTURE_TIMEOUT: Final = 10  # seconds an image or camera entity has to give its picture


async def async_library_picture(
    hass: HomeAssistant, entry: SophonConfigEntry, data: Mapping[str, Any]
) -> bytes:
    """Return the picture the call names, as a JPEG the box's library accepts."""
    if (event_id := data.get(ATTR_EVENT_ID)) is not None:
        raw = await _recognition_face(entry, event_id)
    else:
        raw = await _entity_picture(hass, data[ATTR_PICTURE_ENTITY_ID])
    try:
        return await hass.async_add_executor_job(prepare_picture, raw)
    except SophonError as err:
        raise library_error(entry, err) from err


async def _recognition_face(entry: SophonConfigEntry, event_id: str) -> bytes:
    """Return the face crop of a recognition: held in memory, else from the box's history."""
    held = recent_pictures(entry.runtime_data.hass, entry.entry_id).of_event(
        event_id, ImageKind.FACE
    )
    if held is not None and (content := await held.picture.async_content()) is not None:
        return content
    client = entry.runtime_data.client
    now = dt_util.utcnow()
    try:
        history = await client.async_get_recognitions(
            HistoryQuery(start=now - HISTORY_LOOKUP, end=now, limit=HISTORY_LOOKUP_LIMIT)
        )
        event = next((e for e in history.recognitions if e.event_id == event_id), None)
        picture = None if event is None else event.picture(ImageKind.FACE.value)
        content = None if picture is None else await picture.async_content()
    except SophonError as err:
        raise library_error(entry, err) from err
    if content is None:
        raise translated(ServiceValidationError, "library_recognition_not_found", event_id=event_id)
    return content


async def _entity_picture(hass: HomeAssistant, entity_id: str) -> bytes:
    """Return an image or camera entity's current picture."""
    try:
        if entity_id.startswith("camera."):
            return (await camera.async_get_image(hass, entity_id, timeout=PICTURE_TIMEOUT)).content
        component = hass.data.get(IMAGE_COMPONENT)
        entity = None if component is None else component.get_entity(entity_id)
        if entity is not None:
            async with asyncio.timeout(PICTURE_TIMEOUT):
                if content := await entity.async_image():
                    return content
    except (HomeAssistantError, TimeoutError):
        pass
    raise translated(ServiceValidationError, "library_no_picture", entity_id=entity_id)
