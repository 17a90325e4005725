"""Binary sensors: is the box's push connected; can it write its pictures (health.py)."""

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
from .health import async_add_health_binary_sensors

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the box's connectivity sensor and its picture store's problem sensor."""
    coordinator = entry.runtime_data
    async_add_entities([SophonConnectedSensor(coordinator)])
    async_add_health_binary_sensors(
        coordinator.health, coordinator.box_identifier, async_add_entities
    )


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
