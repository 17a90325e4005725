"""Event entity: each recognition of a device, typed by who was recognized."""

from __future__ import annotations

from homeassistant.components.event import EventEntity
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import Device, RecognitionEvent
from .const import PERSON_TYPES
from .coordinator import SophonConfigEntry, SophonCoordinator
from .entity import SophonDeviceEntity, async_add_device_entities

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add a recognition event entity for each device."""
    async_add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, device: [SophonRecognitionEvent(coordinator, device)],
    )


class SophonRecognitionEvent(SophonDeviceEntity, EventEntity):
    """Fires once per recognition, with the person type as event type."""

    _attr_translation_key = "recognition"
    _attr_event_types = PERSON_TYPES

    def __init__(self, coordinator: SophonCoordinator, device: Device) -> None:
        """Describe the event entity."""
        super().__init__(coordinator, device, "recognition")

    def _handle_recognition(
        self,
        event: RecognitionEvent,
        newest: bool,  # noqa: ARG002
        replayed: bool,
    ) -> None:
        """Trigger the event for every live recognition at once, in or out of time order.

        Not for one received late (a catch-up after an outage): the event entity means "now".
        """
        if replayed:
            return
        self._trigger_event(
            event.person_type.value,
            {
                "identity_name": event.identity_name,
                "identity_id": event.identity_id,
                "score": event.score,
            },
        )
        self.async_write_ha_state()
