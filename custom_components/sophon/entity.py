"""Base entities: one for the box itself, one for each attached device, one for each person."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable

from homeassistant.core import callback
from homeassistant.helpers.device_registry import DeviceInfo
from homeassistant.helpers.entity import Entity
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.helpers.update_coordinator import CoordinatorEntity

from .api import Device, RecognitionEvent
from .coordinator import SophonConfigEntry, SophonCoordinator
from .followed_people import PersonRecord
from .identity import device_identifier, device_unique_id, person_identifier, person_unique_id
from .recognitions import DeviceRecord


class SophonEntity(CoordinatorEntity[SophonCoordinator]):
    """An entity of a Sophon box."""

    _attr_has_entity_name = True
    _write_handle: asyncio.Handle | None = None

    @callback
    def async_write_soon(self) -> None:
        """Write the state once the frames already received are handled: a burst costs one write.

        Only the latest state matters for these entities; every recognition still reaches the
        bus, the event entity and the device triggers one by one.
        """
        if self._write_handle is None:
            self._write_handle = self.hass.loop.call_soon(self._write_now)

    @callback
    def _write_now(self) -> None:
        """Write the state scheduled by async_write_soon."""
        self._write_handle = None
        self.async_write_ha_state()

    async def async_will_remove_from_hass(self) -> None:
        """Drop a write that is still scheduled."""
        if self._write_handle is not None:
            self._write_handle.cancel()
            self._write_handle = None
        await super().async_will_remove_from_hass()


class SophonBoxEntity(SophonEntity):
    """An entity of the box itself."""

    def __init__(self, coordinator: SophonCoordinator, key: str) -> None:
        """Attach the entity to the box's device."""
        super().__init__(coordinator)
        box_id = coordinator.box_identifier[1]
        self._attr_unique_id = f"{box_id}_{key}"
        self._attr_device_info = DeviceInfo(identifiers={coordinator.box_identifier})

    @property
    def available(self) -> bool:
        """Stay available: the box's own state is known even while it is unreachable."""
        return True

    async def async_added_to_hass(self) -> None:
        """Follow the box's counters."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.recognitions.async_add_counter_listener(self.async_write_soon)
        )


class SophonDeviceEntity(SophonEntity):
    """An entity of a camera, gate or panel attached to the box."""

    def __init__(self, coordinator: SophonCoordinator, device: Device, key: str) -> None:
        """Attach the entity to the attached device."""
        super().__init__(coordinator)
        entry_id = coordinator.config_entry.entry_id
        self.device_key = device.key
        self._attr_unique_id = device_unique_id(entry_id, device.device_id, key)
        self._attr_device_info = DeviceInfo(
            identifiers={device_identifier(entry_id, device.device_id)}
        )

    @property
    def record(self) -> DeviceRecord:
        """Return what the coordinator holds of this device's recognitions."""
        return self.coordinator.recognitions.records.get(self.device_key) or DeviceRecord()

    @property
    def available(self) -> bool:
        """Return True while the box lists this device and the options follow it.

        Not tied to the push: these entities state facts about past recognitions, which stay
        true while the push is down (the box's Connected sensor and the repair report that).
        Turning them unavailable and back would look like a new recognition to a state trigger.
        """
        return self.device_key in self.coordinator.data and self.coordinator.follows(
            self.device_key
        )

    async def async_added_to_hass(self) -> None:
        """Follow this device's recognitions."""
        await super().async_added_to_hass()
        self.async_on_remove(
            self.coordinator.recognitions.async_add_listener(
                self.device_key, self._handle_recognition
            )
        )

    def _handle_recognition(
        self,
        event: RecognitionEvent,  # noqa: ARG002
        newest: bool,
        replayed: bool,  # noqa: ARG002
    ) -> None:
        """Write the new state after a recognition that is now the device's latest."""
        if newest:
            self.async_write_soon()


class SophonPersonEntity(SophonEntity):
    """An entity of a followed person of the box's face library."""

    def __init__(self, coordinator: SophonCoordinator, identity_id: str, key: str) -> None:
        """Attach the entity to the person's device."""
        super().__init__(coordinator)
        entry_id = coordinator.config_entry.entry_id
        self.identity_id = identity_id
        self._attr_unique_id = person_unique_id(entry_id, identity_id, key)
        self._attr_device_info = DeviceInfo(identifiers={person_identifier(entry_id, identity_id)})

    @property
    def record(self) -> PersonRecord:
        """Return what is known of where and when the person was last recognized."""
        return self.coordinator.people.records.get(self.identity_id) or PersonRecord()

    @property
    def available(self) -> bool:
        """Stay available: where a person was last seen stays true while the box is away."""
        return True

    async def async_added_to_hass(self) -> None:
        """Follow the person's record."""
        await super().async_added_to_hass()
        listeners = self.record.listeners
        listeners.append(self._handle_person)
        self.async_on_remove(lambda: listeners.remove(self._handle_person))

    @callback
    def _handle_person(self) -> None:
        """Write the new state (the person was recognized again, or the library changed)."""
        self.async_write_soon()


def async_add_person_entities(
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
    factory: Callable[[SophonCoordinator, str], Iterable[Entity]],
) -> None:
    """Add entities for every followed person known by name now, and each one named later."""
    coordinator = entry.runtime_data

    def add(identity_ids: list[str]) -> None:
        """Add the entities of people newly named."""
        async_add_entities(
            entity for identity_id in identity_ids for entity in factory(coordinator, identity_id)
        )

    coordinator.people.async_add_people_callback(add)


def async_add_device_entities(
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
    factory: Callable[[SophonCoordinator, Device], Iterable[Entity]],
) -> None:
    """Add entities for every attached device now, and for each one that appears later."""
    coordinator = entry.runtime_data

    def add(devices: list[Device]) -> None:
        """Add the entities of new devices."""
        async_add_entities(entity for device in devices for entity in factory(coordinator, device))

    coordinator.async_add_device_callback(add)
