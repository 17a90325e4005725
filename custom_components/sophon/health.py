"""The box's health: CPU, memory, temperatures, storage, up since, the picture store.

A coordinator of its own per box, polled every HEALTH_REFRESH; a call that fails makes only
its own entities unavailable, and nothing here touches the recognitions or the push. The
external disk's sensors are added once the box has a disk mounted.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from homeassistant.components.binary_sensor import (  # type: ignore[attr-defined]
    BinarySensorDeviceClass,  # re-exported without __all__ since 2026.x; defined here in 2025.4
    BinarySensorEntity,
)
from homeassistant.components.sensor import (
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.config_entries import ConfigEntry
from homeassistant.const import PERCENTAGE, EntityCategory, UnitOfInformation, UnitOfTemperature
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import (
    CoordinatorEntity,
    DataUpdateCoordinator,
    UpdateFailed,
)

from .api import BoxClient, BoxHealth, HealthCall, SophonError, SpaceUsage
from .const import DOMAIN, HEALTH_REFRESH

_LOGGER = logging.getLogger(__name__)


class HealthCoordinator(DataUpdateCoordinator[BoxHealth]):
    """Read a box's health every HEALTH_REFRESH."""

    config_entry: ConfigEntry[Any]

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: BoxClient) -> None:
        """Read the health of the entry's box through client."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title} health",
            update_interval=HEALTH_REFRESH,
        )
        self.client = client

    async def _async_update_data(self) -> BoxHealth:
        """Ask the box's health calls (UpdateFailed only when none answered)."""
        try:
            return await self.client.async_get_health()
        except SophonError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="health_unavailable",
                translation_placeholders={"box": self.config_entry.title, "reason": str(err)},
            ) from err

    def as_dict(self) -> dict[str, Any]:
        """Return the health as last read, and the counts of failures, for diagnostics."""
        return {
            "last_update_success": self.last_update_success,
            "values": None if self.data is None else self.data.as_dict(),
            "counts": self.client.health_counts,
        }


def _percent(fraction: float | None) -> float | None:
    """Return a fraction 0..1 as a percentage."""
    return None if fraction is None else round(fraction * 100, 2)


def _space(read: Callable[[BoxHealth], SpaceUsage | None]) -> Callable[[BoxHealth], SpaceUsage]:
    """Return a reader of memory or a disk that gives an empty usage where there is none."""
    return lambda health: read(health) or SpaceUsage(mounted=False)


_memory = _space(lambda health: health.memory)
_storage = _space(lambda health: health.storage)
_external = _space(lambda health: health.external_disk)


@dataclass(frozen=True, kw_only=True)
class HealthSensorDescription(SensorEntityDescription):
    """A sensor of the box's health; call: the health call it reads."""

    call: HealthCall
    value_fn: Callable[[BoxHealth], StateType | datetime]


def _usage(
    key: str, call: HealthCall, read: Callable[[BoxHealth], float | None]
) -> HealthSensorDescription:
    """Describe a usage (read as a fraction) in percent."""
    return HealthSensorDescription(
        key=key,
        translation_key=key,
        call=call,
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=lambda health: _percent(read(health)),
    )


def _free(
    key: str, call: HealthCall, read: Callable[[BoxHealth], SpaceUsage]
) -> HealthSensorDescription:
    """Describe free space (bytes, shown in GiB), disabled by default."""
    return HealthSensorDescription(
        key=key,
        translation_key=key,
        call=call,
        device_class=SensorDeviceClass.DATA_SIZE,
        native_unit_of_measurement=UnitOfInformation.BYTES,
        suggested_unit_of_measurement=UnitOfInformation.GIBIBYTES,
        suggested_display_precision=2,
        state_class=SensorStateClass.MEASUREMENT,
        entity_registry_enabled_default=False,
        value_fn=lambda health: read(health).free,
    )


def _temperature(
    key: str, read: Callable[[BoxHealth], float | None], enabled: bool
) -> HealthSensorDescription:
    """Describe a temperature in °C."""
    return HealthSensorDescription(
        key=key,
        translation_key=key,
        call=HealthCall.TEMPERATURE,
        device_class=SensorDeviceClass.TEMPERATURE,
        native_unit_of_measurement=UnitOfTemperature.CELSIUS,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        entity_registry_enabled_default=enabled,
        value_fn=read,
    )


HEALTH_SENSORS: tuple[HealthSensorDescription, ...] = (
    _usage("cpu_usage", HealthCall.CPU, lambda health: health.cpu_usage),
    _usage("memory_usage", HealthCall.MEMORY, lambda health: _memory(health).usage),
    _free("memory_free", HealthCall.MEMORY, _memory),
    _temperature("core_temperature", lambda health: health.core_temperature, enabled=True),
    _temperature("board_temperature", lambda health: health.board_temperature, enabled=False),
    _usage("storage_usage", HealthCall.STORAGE, lambda health: _storage(health).usage),
    _free("storage_free", HealthCall.STORAGE, _storage),
    HealthSensorDescription(
        key="up_since",
        translation_key="up_since",
        call=HealthCall.UPTIME,
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda health: health.up_since,
    ),
)
# Added once a disk is mounted; unknown while none is.
EXTERNAL_DISK_SENSORS: tuple[HealthSensorDescription, ...] = (
    _usage("external_disk_usage", HealthCall.EXTERNAL_DISK, lambda health: _external(health).usage),
    _free("external_disk_free", HealthCall.EXTERNAL_DISK, _external),
)


class HealthEntity(CoordinatorEntity[HealthCoordinator], Entity):
    """An entity of the box's health, on the box's device; call: the health call it reads."""

    _attr_has_entity_name = True
    _attr_entity_category = EntityCategory.DIAGNOSTIC

    def __init__(
        self, coordinator: HealthCoordinator, box_identifier: tuple[str, str], key: str
    ) -> None:
        """Attach the entity to the box's device."""
        super().__init__(coordinator)
        self._attr_unique_id = f"{box_identifier[1]}_{key}"
        self._attr_device_info = DeviceInfo(identifiers={box_identifier})
        self._call: HealthCall | None = None

    @property
    def available(self) -> bool:
        """Return False when the health cannot be read, or this entity's call failed."""
        data = self.coordinator.data
        failed = data is not None and self._call in data.failed
        return super().available and not failed


class HealthSensor(HealthEntity, SensorEntity):
    """A sensor of the box's health."""

    entity_description: HealthSensorDescription

    def __init__(
        self,
        coordinator: HealthCoordinator,
        box_identifier: tuple[str, str],
        description: HealthSensorDescription,
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, box_identifier, description.key)
        self.entity_description = description
        self._call = description.call

    @property
    def native_value(self) -> StateType | datetime:
        """Return the value as last read (None: unknown)."""
        data = self.coordinator.data
        return None if data is None else self.entity_description.value_fn(data)


class PictureStoreProblemSensor(HealthEntity, BinarySensorEntity):
    """On when the box says it cannot write its pictures (its picture store)."""

    _attr_device_class = BinarySensorDeviceClass.PROBLEM
    _attr_translation_key = "picture_store"

    def __init__(self, coordinator: HealthCoordinator, box_identifier: tuple[str, str]) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, box_identifier, "picture_store")
        self._call = HealthCall.PICTURE_STORE

    @property
    def is_on(self) -> bool | None:
        """Return True when the picture store is not writable (None: unknown)."""
        data = self.coordinator.data
        if data is None or data.picture_store_ok is None:
            return None
        return not data.picture_store_ok


def _mounted(health: BoxHealth | None) -> bool:
    """Return True when the box has an external disk mounted."""
    disk = None if health is None else health.external_disk
    return disk is not None and disk.mounted


def async_add_health_sensors(
    entry: ConfigEntry[Any],
    coordinator: HealthCoordinator,
    box_identifier: tuple[str, str],
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the health sensors, and the external disk's once one is mounted (or ever was)."""
    async_add_entities(
        HealthSensor(coordinator, box_identifier, description) for description in HEALTH_SENSORS
    )
    registry = er.async_get(coordinator.hass)
    known = f"{box_identifier[1]}_{EXTERNAL_DISK_SENSORS[0].key}"
    # Once added, they stay (unknown while no disk is mounted), across restarts too.
    added = False
    ever = registry.async_get_entity_id("sensor", DOMAIN, known) is not None

    @callback
    def add_external_disk() -> None:
        """Add the external disk's sensors, once."""
        nonlocal added
        if not added and (ever or _mounted(coordinator.data)):
            added = True
            async_add_entities(
                HealthSensor(coordinator, box_identifier, description)
                for description in EXTERNAL_DISK_SENSORS
            )

    entry.async_on_unload(coordinator.async_add_listener(add_external_disk))
    add_external_disk()


def async_add_health_binary_sensors(
    coordinator: HealthCoordinator,
    box_identifier: tuple[str, str],
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the picture store's problem sensor."""
    async_add_entities([PictureStoreProblemSensor(coordinator, box_identifier)])
