"""Device triggers: "VIP recognized" and friends, offered by the automation editor."""

from __future__ import annotations

from typing import Any

from homeassistant.components.device_automation import DEVICE_TRIGGER_BASE_SCHEMA
from homeassistant.const import CONF_DEVICE_ID, CONF_DOMAIN, CONF_PLATFORM, CONF_TYPE
from homeassistant.core import CALLBACK_TYPE, Event, HassJob, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import selector
from homeassistant.helpers.trigger import TriggerActionType, TriggerInfo
from homeassistant.helpers.typing import ConfigType

from .compat import vol
from .const import DOMAIN, EVENT_RECOGNITION
from .recognition_filter import (
    CONF_INCLUDE_LATE,
    CONF_MIN_SCORE,
    MIN_SCORE,
    TRIGGER_TYPES,
    RecognitionFilter,
    describe_recognition,
)

MIN_SCORE_SELECTOR = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=0, max=100, step=1, unit_of_measurement="%", mode=selector.NumberSelectorMode.SLIDER
    )
)

TRIGGER_SCHEMA = DEVICE_TRIGGER_BASE_SCHEMA.extend(
    {
        vol.Required(CONF_TYPE): vol.In(TRIGGER_TYPES),
        vol.Optional(CONF_MIN_SCORE): MIN_SCORE,
        vol.Optional(CONF_INCLUDE_LATE, default=False): bool,
    }
)


async def async_get_triggers(hass: HomeAssistant, device_id: str) -> list[dict[str, Any]]:
    """Offer the recognition triggers on every attached device (not on the box itself)."""
    device = dr.async_get(hass).async_get(device_id)
    if device is None or getattr(device, "via_device_id", None) is None:
        return []
    if not any(domain == DOMAIN for domain, _ in device.identifiers):
        return []
    base = {CONF_PLATFORM: "device", CONF_DOMAIN: DOMAIN, CONF_DEVICE_ID: device_id}
    return [{**base, CONF_TYPE: trigger_type} for trigger_type in TRIGGER_TYPES]


async def async_get_trigger_capabilities(
    hass: HomeAssistant,
    config: ConfigType,
) -> dict[str, vol.Schema]:
    """Offer a minimum score (strangers carry none: not for them), and late ones too."""
    fields: dict[vol.Marker, Any] = {}
    if config.get(CONF_TYPE) != "stranger_detected":
        fields[vol.Optional(CONF_MIN_SCORE)] = MIN_SCORE_SELECTOR
    fields[vol.Optional(CONF_INCLUDE_LATE, default=False)] = selector.BooleanSelector()
    return {"extra_fields": vol.Schema(fields)}


async def async_attach_trigger(
    hass: HomeAssistant,
    config: ConfigType,
    action: TriggerActionType,
    trigger_info: TriggerInfo,
) -> CALLBACK_TYPE:
    """Run the action on each matching sophon_recognition event."""
    device_id = config[CONF_DEVICE_ID]
    wanted = RecognitionFilter.for_trigger(
        config[CONF_TYPE], config.get(CONF_MIN_SCORE), config.get(CONF_INCLUDE_LATE, False)
    )
    job = HassJob(action, f"sophon device trigger {trigger_info}")
    trigger_data = trigger_info["trigger_data"]

    @callback
    def matches(event_data: dict[str, Any]) -> bool:
        """Return True for this device's events of the wanted type and score."""
        return event_data.get("device_id") == device_id and wanted.matches(event_data)

    @callback
    def handle(event: Event[dict[str, Any]]) -> None:
        """Run the automation's action."""
        hass.async_run_hass_job(
            job,
            {
                "trigger": {
                    **trigger_data,
                    **config,
                    "event": event,
                    "description": describe_recognition(hass, event.data),
                }
            },
            event.context,
        )

    return hass.bus.async_listen(EVENT_RECOGNITION, handle, event_filter=matches)
