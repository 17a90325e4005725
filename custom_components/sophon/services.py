"""Actions: sophon.get_recognitions, a box's past recognitions as data (response only).

The actions that change a box's face library are in library_actions.py, registered here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from homeassistant.core import HomeAssistant, ServiceCall, ServiceResponse, SupportsResponse
from homeassistant.exceptions import HomeAssistantError, ServiceValidationError
from homeassistant.helpers import config_validation as cv
from homeassistant.util import dt as dt_util

from .api import HistoryQuery, PersonType, SophonError
from .box_memory import attached_device, loaded_entry_or_raise, translated
from .compat import vol
from .const import DOMAIN
from .library_actions import async_setup_library_services

SERVICE_GET_RECOGNITIONS: Final = "get_recognitions"
ATTR_CONFIG_ENTRY_ID: Final = "config_entry_id"
ATTR_START: Final = "start"
ATTR_END: Final = "end"
ATTR_DEVICE_ID: Final = "device_id"
ATTR_IDENTITY_ID: Final = "identity_id"
ATTR_PERSON_TYPE: Final = "person_type"
ATTR_LIMIT: Final = "limit"
DEFAULT_LIMIT: Final = 100
MAX_LIMIT: Final = 1000
# The person types a recognition can be asked for by (unknown is no type the box filters on).
PERSON_TYPE_FILTERS: Final = [t.value for t in PersonType if t is not PersonType.UNKNOWN]

GET_RECOGNITIONS_SCHEMA: Final = vol.Schema(
    {
        vol.Required(ATTR_CONFIG_ENTRY_ID): cv.string,
        vol.Required(ATTR_START): cv.datetime,
        vol.Optional(ATTR_END): cv.datetime,
        vol.Optional(ATTR_DEVICE_ID): cv.string,
        vol.Optional(ATTR_IDENTITY_ID): cv.string,
        vol.Optional(ATTR_PERSON_TYPE): vol.In(PERSON_TYPE_FILTERS),
        vol.Optional(ATTR_LIMIT, default=DEFAULT_LIMIT): vol.All(
            vol.Coerce(int), vol.Range(min=1, max=MAX_LIMIT)
        ),
    }
)


def async_setup_services(hass: HomeAssistant) -> None:
    """Register the integration's actions (once, whatever boxes are set up)."""

    async def get_recognitions(call: ServiceCall) -> ServiceResponse:
        """Answer sophon.get_recognitions."""
        return await async_get_recognitions(hass, call.data)

    hass.services.async_register(
        DOMAIN,
        SERVICE_GET_RECOGNITIONS,
        get_recognitions,
        schema=GET_RECOGNITIONS_SCHEMA,
        supports_response=SupportsResponse.ONLY,
    )
    async_setup_library_services(hass)


async def async_get_recognitions(hass: HomeAssistant, data: Mapping[str, Any]) -> ServiceResponse:
    """Return a box's past recognitions that match the call, oldest first, as bus event data.

    {"recognitions": [...], "matched": how many matched (the newest `limit` are given),
    "complete": False when the box's answer was not read to its end (history.MAX_PAGES)}.
    """
    entry = loaded_entry_or_raise(hass, data[ATTR_CONFIG_ENTRY_ID], ServiceValidationError)
    coordinator = entry.runtime_data
    start = dt_util.as_utc(data[ATTR_START])  # one without a time zone is in HA's
    end = None if (given_end := data.get(ATTR_END)) is None else dt_util.as_utc(given_end)
    if end is not None and start > end:
        raise translated(
            ServiceValidationError, "start_after_end", start=start.isoformat(), end=end.isoformat()
        )
    device_ids: tuple[str, ...] = ()
    if (device_id := data.get(ATTR_DEVICE_ID)) is not None:
        if (device := attached_device(hass, coordinator, device_id)) is None:
            raise translated(
                ServiceValidationError, "device_not_of_box", device_id=device_id, box=entry.title
            )
        device_ids = (device.box_device_id,)
    person_type = data.get(ATTR_PERSON_TYPE)
    query = HistoryQuery(
        start=start,
        end=end,
        device_ids=device_ids,
        identity_id=data.get(ATTR_IDENTITY_ID),
        person_type=None if person_type is None else PersonType(person_type),
        limit=data[ATTR_LIMIT],
    )
    try:
        history = await coordinator.client.async_get_recognitions(query)
    except SophonError as err:
        raise translated(
            HomeAssistantError, "history_unavailable", box=entry.title, reason=str(err)
        ) from err
    bus_data = coordinator.recognitions.bus_data
    return {
        "recognitions": [bus_data(event, replayed=True) for event in history.recognitions],
        "matched": history.matched,
        "complete": history.complete,
    }
