"""Recognition triggers with a target: "VIP recognized" at the devices the automation names.

Imported by trigger.py only where Home Assistant has integration triggers (compat.TARGET_TRIGGERS).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, cast

from homeassistant.const import CONF_OPTIONS, CONF_TARGET, Platform
from homeassistant.core import CALLBACK_TYPE, Event, HomeAssistant, callback
from homeassistant.helpers import config_validation as cv
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.target import TargetSelection, async_extract_referenced_entity_ids
from homeassistant.helpers.trigger import Trigger, TriggerActionRunner, TriggerConfig
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

if TYPE_CHECKING:
    from homeassistant.helpers.trigger import TriggerNotTriggeredReporter

RECOGNITION_TRIGGER_SCHEMA = vol.Schema(
    {
        vol.Required(CONF_TARGET): cv.TARGET_FIELDS,
        vol.Optional(CONF_OPTIONS, default=dict): {
            vol.Optional(CONF_MIN_SCORE): MIN_SCORE,
            vol.Optional(CONF_INCLUDE_LATE, default=False): bool,
        },
    }
)


class RecognitionTrigger(Trigger):
    """Fire once per recognition of one person type at any targeted device."""

    trigger_type: ClassVar[str]

    @classmethod
    async def async_validate_config(
        cls,
        hass: HomeAssistant,
        config: ConfigType,
    ) -> ConfigType:
        """Check the target and the optional minimum score."""
        return cast("ConfigType", RECOGNITION_TRIGGER_SCHEMA(config))

    def __init__(self, hass: HomeAssistant, config: TriggerConfig) -> None:
        """Keep the target and what to fire for."""
        super().__init__(hass, config)
        self._target: ConfigType = config.target or {}
        options = config.options or {}
        self._wanted = RecognitionFilter.for_trigger(
            self.trigger_type, options.get(CONF_MIN_SCORE), options.get(CONF_INCLUDE_LATE, False)
        )

    @callback
    def _targeted_devices(self) -> set[str]:
        """Return the devices the target names: directly, by area, label or floor, or by entity.

        Resolved at each recognition, so a device moved into a targeted area counts at once. An
        entity names its device when it is the device's recognition event entity.
        """
        selected = async_extract_referenced_entity_ids(
            self._hass, TargetSelection(self._target), expand_group=False
        )
        registry = er.async_get(self._hass)
        devices = set(selected.referenced_devices)
        for entity_id in selected.referenced | selected.indirectly_referenced:
            entry = registry.async_get(entity_id)
            if (
                entry is not None
                and entry.platform == DOMAIN
                and entry.domain == Platform.EVENT
                and entry.device_id is not None
            ):
                devices.add(entry.device_id)
        return devices

    async def async_attach_runner(
        self,
        run_action: TriggerActionRunner,
        did_not_trigger: TriggerNotTriggeredReporter | None = None,  # noqa: ARG002
    ) -> CALLBACK_TYPE:
        """Run the action for each wanted recognition at a targeted device."""

        @callback
        def matches(data: dict[str, Any]) -> bool:
            """Return True for a wanted recognition at a targeted device."""
            return self._wanted.matches(data) and data.get("device_id") in self._targeted_devices()

        @callback
        def handle(event: Event[dict[str, Any]]) -> None:
            """Run the action with the event, as the device triggers give it."""
            run_action(
                {"event": event, "device_id": event.data["device_id"]},
                describe_recognition(self._hass, event.data),
                event.context,
            )

        return self._hass.bus.async_listen(EVENT_RECOGNITION, handle, event_filter=matches)


def _recognition_trigger(trigger_type: str) -> type[Trigger]:
    """Return the trigger class of one trigger type."""
    return type(
        f"RecognitionTrigger_{trigger_type}", (RecognitionTrigger,), {"trigger_type": trigger_type}
    )


TRIGGERS: dict[str, type[Trigger]] = {
    trigger_type: _recognition_trigger(trigger_type) for trigger_type in TRIGGER_TYPES
}


async def async_get_triggers(hass: HomeAssistant) -> dict[str, type[Trigger]]:
    """Return the recognition triggers, one per trigger type of the device triggers."""
    return TRIGGERS
