"""Binary sensor: is the box's push connected."""

from __future__ import annotations

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,  # re-exported without __all__ since 2026.x; defined here in 2025.4
    BinarySensorEntity,
)
from homeassistant.const import EntityCategory
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .coordinator import SophonConfigEntry, SophonCoordinator
from .entity import SophonBoxEntity

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the box's connectivity sensor."""
    async_add_entities([SophonConnectedSensor(entry.runtime_data)])


class SophonConnectedSensor(SophonBoxEntity, BinarySensorEntity):
    """On while the box's event WebSocket is open."""

    _attr_device_class = BinarySensorDeviceClass.CONNECTIVITY
    _attr_entity_category = EntityCategory.DIAGNOSTIC
    _attr_translation_key = "connected"

    def __init__(self, coordinator: SophonCoordinator) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, "connected")

    @property
    def is_on(self) -> bool:
        """Return True while connected."""
        return self.coordinator.connected
