"""Trigger platform: the recognition triggers with a target, where Home Assistant has them.

Home Assistant loads this module with the integration, and for any `trigger: sophon.…` in an
automation. Where integration triggers exist (compat.TARGET_TRIGGERS) it offers "VIP recognized"
and friends with a device or entity target; elsewhere only the device triggers do, and a
`trigger: sophon.…` is refused with a message that says so.
"""

from __future__ import annotations

from .compat import TARGET_TRIGGERS

if TARGET_TRIGGERS:
    # The platform's entry point: Home Assistant asks it for the triggers.
    from .recognition_trigger import async_get_triggers  # noqa: F401
else:  # pragma: no cover - Home Assistant 2025.4
    from homeassistant.core import HomeAssistant
    from homeassistant.helpers.typing import ConfigType

    from .compat import vol

    async def async_validate_trigger_config(hass: HomeAssistant, config: ConfigType) -> ConfigType:
        """Refuse the trigger: this Home Assistant has only the device triggers."""
        raise vol.Invalid(
            "Sophon triggers with a target need a newer Home Assistant; "
            "use the Sophon device triggers instead"
        )
