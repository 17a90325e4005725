"""Sensors: each attached device's last recognition, each followed person's, the box's counts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from homeassistant.components.sensor import (
    RestoreSensor,
    SensorDeviceClass,
    SensorEntity,
    SensorEntityDescription,
    SensorStateClass,
)
from homeassistant.const import (
    MAX_LENGTH_STATE_STATE,
    PERCENTAGE,
    STATE_UNAVAILABLE,
    STATE_UNKNOWN,
    EntityCategory,
)
from homeassistant.core import HomeAssistant, State
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.typing import StateType
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Device, RecognitionEvent, shorten
from .const import DOMAIN, PERSON_TYPES, STRANGER_STATE
from .coordinator import SophonConfigEntry, SophonCoordinator
from .entity import (
    SophonBoxEntity,
    SophonDeviceEntity,
    SophonPersonEntity,
    async_add_device_entities,
    async_add_person_entities,
)
from .followed_people import PersonRecord
from .health import async_add_health_sensors
from .library import LibraryCoordinator

PARALLEL_UPDATES = 0
UNKNOWN_STATES = (STATE_UNKNOWN, STATE_UNAVAILABLE)


@dataclass(frozen=True, kw_only=True)
class SophonDeviceSensorDescription(SensorEntityDescription):
    """A sensor that reads the last recognition of a device."""

    value_fn: Callable[[RecognitionEvent], StateType | datetime]
    attributes_fn: Callable[[RecognitionEvent], dict[str, Any]] | None = None
    restore: bool = False


@dataclass(frozen=True, kw_only=True)
class SophonBoxSensorDescription(SensorEntityDescription):
    """A sensor that reads the box's counters."""

    value_fn: Callable[[SophonCoordinator], StateType]


@dataclass(frozen=True, kw_only=True)
class SophonPersonSensorDescription(SensorEntityDescription):
    """A sensor that reads where and when a followed person was last recognized."""

    value_fn: Callable[[PersonRecord], StateType | datetime]
    attributes_fn: Callable[[PersonRecord], dict[str, Any]] | None = None
    # Takes back into the record what the sensor showed before a restart (its state, and its
    # value as stored: a time to the microsecond).
    restore_fn: Callable[[PersonRecord, State, Any], None]


def _restore_last_seen(record: PersonRecord, state: State, value: Any) -> None:
    """Take back when the person was last seen."""
    record.restore(last_seen=value if isinstance(value, datetime) else None)


def _restore_last_seen_at(record: PersonRecord, state: State, value: Any) -> None:
    """Take back where the person was last seen, the device and the score."""
    device_id, score = state.attributes.get("device_id"), state.attributes.get("score")
    record.restore(
        device_name=state.state,
        device_id=device_id if isinstance(device_id, str) else None,
        score=score if isinstance(score, float | int) else None,
    )


PERSON_SENSORS: tuple[SophonPersonSensorDescription, ...] = (
    SophonPersonSensorDescription(
        key="person_last_seen",
        translation_key="person_last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda record: record.last_seen,
        restore_fn=_restore_last_seen,
    ),
    SophonPersonSensorDescription(
        key="person_last_seen_at",
        translation_key="person_last_seen_at",
        value_fn=lambda record: shorten(record.device_name or "", MAX_LENGTH_STATE_STATE) or None,
        attributes_fn=lambda record: {"score": record.score, "device_id": record.device_id},
        restore_fn=_restore_last_seen_at,
    ),
)


def _identity(event: RecognitionEvent) -> str | None:
    """Return the name to show (cut to a state's 255 characters), or the stranger state.

    The bus event and the event entity keep the whole name.
    """
    if event.is_stranger:
        return STRANGER_STATE
    return shorten(event.identity_name or event.identity_id, MAX_LENGTH_STATE_STATE) or None


def _identity_attributes(event: RecognitionEvent) -> dict[str, Any]:
    """Return the last identity's details: never an image."""
    return {
        "identity_id": event.identity_id or None,
        "person_type": event.person_type.value,
        "group_name": event.group_name,
        "score": event.score,
        "device_type": event.device_type.value,
        "face_attributes": event.face_attributes,
    }


def _percent(event: RecognitionEvent) -> float | None:
    """Return the score as a percentage."""
    return None if event.score is None else round(event.score * 100, 2)


DEVICE_SENSORS: tuple[SophonDeviceSensorDescription, ...] = (
    SophonDeviceSensorDescription(
        key="last_identity",
        translation_key="last_identity",
        value_fn=_identity,
        attributes_fn=_identity_attributes,
        restore=True,
    ),
    SophonDeviceSensorDescription(
        key="last_score",
        translation_key="last_score",
        native_unit_of_measurement=PERCENTAGE,
        state_class=SensorStateClass.MEASUREMENT,
        suggested_display_precision=1,
        value_fn=_percent,
        restore=True,
    ),
    SophonDeviceSensorDescription(
        key="person_type",
        translation_key="person_type",
        device_class=SensorDeviceClass.ENUM,
        options=PERSON_TYPES,
        value_fn=lambda event: event.person_type.value,
        restore=True,
    ),
    SophonDeviceSensorDescription(
        key="last_seen",
        translation_key="last_seen",
        device_class=SensorDeviceClass.TIMESTAMP,
        value_fn=lambda event: event.timestamp,
        restore=True,
    ),
)

BOX_SENSORS: tuple[SophonBoxSensorDescription, ...] = (
    SophonBoxSensorDescription(
        key="events_received",
        translation_key="events_received",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        value_fn=lambda coordinator: coordinator.client.counters.events_delivered,
    ),
    SophonBoxSensorDescription(
        key="frames_rejected",
        translation_key="frames_rejected",
        state_class=SensorStateClass.TOTAL_INCREASING,
        entity_category=EntityCategory.DIAGNOSTIC,
        entity_registry_enabled_default=False,
        value_fn=lambda coordinator: coordinator.client.counters.rejected_total,
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the box's sensors and each device's sensors."""
    coordinator = entry.runtime_data
    async_add_entities(SophonBoxSensor(coordinator, description) for description in BOX_SENSORS)
    async_add_entities([SophonLibrarySensor(coordinator)])
    # Counted in the background: a large library does not hold up the set-up.
    entry.async_create_background_task(
        hass, coordinator.library.async_refresh(), f"{DOMAIN}-library-{entry.entry_id}"
    )
    async_add_health_sensors(
        entry, coordinator.health, coordinator.box_identifier, async_add_entities
    )
    entry.async_create_background_task(
        hass, coordinator.health.async_refresh(), f"{DOMAIN}-health-{entry.entry_id}"
    )
    async_add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, device: (
            SophonDeviceSensor(coordinator, device, description) for description in DEVICE_SENSORS
        ),
    )
    async_add_person_entities(
        entry,
        async_add_entities,
        lambda coordinator, identity_id: (
            SophonPersonSensor(coordinator, identity_id, description)
            for description in PERSON_SENSORS
        ),
    )


class SophonDeviceSensor(SophonDeviceEntity, RestoreSensor):
    """A sensor of an attached device, fed by its recognitions."""

    entity_description: SophonDeviceSensorDescription

    def __init__(
        self,
        coordinator: SophonCoordinator,
        device: Device,
        description: SophonDeviceSensorDescription,
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, device, description.key)
        self.entity_description = description
        self._restored: StateType | date | datetime | Decimal = None

    async def async_added_to_hass(self) -> None:
        """Restore the last value where it is worth keeping across restarts."""
        await super().async_added_to_hass()
        if self.entity_description.restore and (data := await self.async_get_last_sensor_data()):
            self._restored = data.native_value

    @property
    def native_value(self) -> StateType | date | datetime | Decimal:
        """Return the value from the last recognition, or the restored one."""
        if (event := self.record.last_event) is None:
            return self._restored
        return self.entity_description.value_fn(event)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return details of the last recognition: never an image."""
        event = self.record.last_event
        if event is None or self.entity_description.attributes_fn is None:
            return None
        return self.entity_description.attributes_fn(event)


class SophonPersonSensor(SophonPersonEntity, RestoreSensor):
    """A sensor of a followed person, fed by their recognitions at any device of the box."""

    entity_description: SophonPersonSensorDescription

    def __init__(
        self,
        coordinator: SophonCoordinator,
        identity_id: str,
        description: SophonPersonSensorDescription,
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, identity_id, description.key)
        self.entity_description = description

    async def async_added_to_hass(self) -> None:
        """Take back what was shown before a restart, unless something newer came meanwhile."""
        await super().async_added_to_hass()
        state = await self.async_get_last_state()
        data = await self.async_get_last_sensor_data()
        if state is not None and data is not None and state.state not in UNKNOWN_STATES:
            self.entity_description.restore_fn(self.record, state, data.native_value)

    @property
    def native_value(self) -> StateType | date | datetime | Decimal:
        """Return where or when the person was last recognized."""
        return self.entity_description.value_fn(self.record)

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return the device and score of the last recognition: never a picture or a name."""
        if self.entity_description.attributes_fn is None or self.record.device_name is None:
            return None
        return self.entity_description.attributes_fn(self.record)


class SophonBoxSensor(SophonBoxEntity, SensorEntity):
    """A counter of the box's push connection."""

    entity_description: SophonBoxSensorDescription

    def __init__(
        self, coordinator: SophonCoordinator, description: SophonBoxSensorDescription
    ) -> None:
        """Describe the sensor."""
        super().__init__(coordinator, description.key)
        self.entity_description = description

    @property
    def native_value(self) -> StateType:
        """Return the counter's value."""
        return self.entity_description.value_fn(self.coordinator)


class SophonLibrarySensor(CoordinatorEntity[LibraryCoordinator], SensorEntity):
    """How many people the box's face library holds; counts by person type (no names)."""

    _attr_has_entity_name = True
    _attr_translation_key = "library_people"
    _attr_state_class = SensorStateClass.MEASUREMENT

    def __init__(self, coordinator: SophonCoordinator) -> None:
        """Attach the sensor to the box's device; it follows the library's own coordinator."""
        super().__init__(coordinator.library)
        self._attr_unique_id = f"{coordinator.box_identifier[1]}_library_people"
        self._attr_device_info = DeviceInfo(identifiers={coordinator.box_identifier})

    @property
    def native_value(self) -> int | None:
        """Return the number of people listed."""
        return None if self.coordinator.data is None else self.coordinator.data.people

    @property
    def extra_state_attributes(self) -> dict[str, Any] | None:
        """Return how many people of each type: counts only."""
        return None if self.coordinator.data is None else dict(self.coordinator.data.by_type)
