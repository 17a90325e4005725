"""Image entities: the last face, scene photo and registered photo of each device."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import Device, RecognitionEvent
from .coordinator import SophonConfigEntry, SophonCoordinator
from .entity import SophonDeviceEntity, async_add_device_entities
from .pictures import ImageKind, StoredImage

PARALLEL_UPDATES = 0


@dataclass(frozen=True, kw_only=True)
class SophonImageDescription(ImageEntityDescription):
    """An image entity showing one kind of picture."""

    kind: ImageKind


IMAGES: tuple[SophonImageDescription, ...] = (
    SophonImageDescription(key="last_face", translation_key="last_face", kind=ImageKind.FACE),
    SophonImageDescription(key="last_scene", translation_key="last_scene", kind=ImageKind.SCENE),
    SophonImageDescription(
        key="registered_photo", translation_key="registered_photo", kind=ImageKind.REGISTERED
    ),
)


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add the image entities of each device."""
    async_add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, device: (
            SophonImage(hass, coordinator, device, description) for description in IMAGES
        ),
    )


class SophonImage(SophonDeviceEntity, ImageEntity):
    """The latest picture of one kind from a device, held in memory."""

    entity_description: SophonImageDescription
    _attr_content_type = "image/jpeg"

    def __init__(
        self,
        hass: HomeAssistant,
        coordinator: SophonCoordinator,
        device: Device,
        description: SophonImageDescription,
    ) -> None:
        """Describe the image."""
        SophonDeviceEntity.__init__(self, coordinator, device, description.key)
        ImageEntity.__init__(self, hass)
        self.entity_description = description
        self._attr_image_last_updated = self._picture_time

    @property
    def _stored(self) -> StoredImage | None:
        """Return the picture currently held for this device."""
        return self.record.images.get(self.entity_description.kind)

    @property
    def _picture_time(self) -> datetime | None:
        """Return when the picture held arrived (the entity's state), None without one."""
        stored = self._stored
        return stored.updated if stored else None

    def _handle_recognition(
        self,
        event: RecognitionEvent,
        newest: bool,
        replayed: bool,
    ) -> None:
        """Write the state only when the recognition brought a new picture of this kind."""
        updated = self._picture_time
        if updated != self._attr_image_last_updated:
            self._attr_image_last_updated = updated
            super()._handle_recognition(event, newest, replayed)

    async def async_image(self) -> bytes | None:
        """Return the JPEG bytes of the picture held, fetched first if the box did not push it."""
        return await self.coordinator.recognitions.async_image(
            self.device_key, self.entity_description.kind
        )
