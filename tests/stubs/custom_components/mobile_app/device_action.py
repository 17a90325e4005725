"""The notify device action of the Mobile App, as its schema reads; it fires an event instead."""

import voluptuous as vol
from homeassistant.core import Context, HomeAssistant
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import template
from homeassistant.helpers.typing import ConfigType, TemplateVarsType

EVENT_NOTIFIED = "mobile_app_stub_notified"

ACTION_SCHEMA = cv.DEVICE_ACTION_BASE_SCHEMA.extend(
    {
        vol.Required("type"): "notify",
        vol.Required("message"): cv.template,
        vol.Optional("title"): cv.template,
        vol.Optional("data"): cv.template_complex,
    }
)


async def async_get_actions(hass: HomeAssistant, device_id: str) -> list[dict[str, str]]:
    """Offer the notify action."""
    return [{"device_id": device_id, "domain": "mobile_app", "type": "notify"}]


async def async_call_action_from_config(
    hass: HomeAssistant, config: ConfigType, variables: TemplateVarsType, context: Context | None
) -> None:
    """Render the notification as the real action does and fire it as an event."""
    rendered = {}
    for key in ("message", "title", "data"):
        if key in config:
            if hasattr(template, "attach"):
                template.attach(hass, config[key])
            rendered[key] = template.render_complex(config[key], variables)
    hass.bus.async_fire(EVENT_NOTIFIED, {"device_id": config["device_id"], **rendered})
