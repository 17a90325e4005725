"""Image entities: each device's last face, scene and registered photo; each person's photo."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from homeassistant.components.image import ImageEntity, ImageEntityDescription
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.entity_platform import AddEntitiesCallback
from homeassistant.util import dt as dt_util

from .api import Device, RecognitionEvent
from .coordinator import SophonConfigEntry, SophonCoordinator
from .entity import (
    SophonDeviceEntity,
    SophonPersonEntity,
    async_add_device_entities,
    async_add_person_entities,
)
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
    async_add_person_entities(
        entry,
        async_add_entities,
        lambda coordinator, identity_id: (SophonPersonPhoto(hass, coordinator, identity_id),),
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


class SophonPersonPhoto(SophonPersonEntity, ImageEntity):
    """A followed person's registered photo, fetched from the box when shown (kept in memory)."""

    _attr_translation_key = "registered_photo"
    _attr_content_type = "image/jpeg"

    def __init__(
        self, hass: HomeAssistant, coordinator: SophonCoordinator, identity_id: str
    ) -> None:
        """Describe the photo."""
        SophonPersonEntity.__init__(self, coordinator, identity_id, "person_photo")
        ImageEntity.__init__(self, hass)
        self._photo_id: str | None = None
        self._photo: bytes | None = None
        self._follow_photo()

    def _follow_photo(self) -> bool:
        """Note the photo the library lists for the person now; return True when it changed."""
        photo_id = self.coordinator.people.photo_id(self.identity_id)
        if photo_id == self._photo_id:
            return False
        self._photo_id, self._photo = photo_id, None
        self._attr_image_last_updated = dt_util.utcnow() if photo_id else None
        return True

    @callback
    def _handle_person(self) -> None:
        """Write the state when the library lists another photo for the person."""
        if self._follow_photo():
            super()._handle_person()

    async def async_image(self) -> bytes | None:
        """Return the JPEG bytes of the person's registered photo (fetched once per photo)."""
        photo_id = self._photo_id
        if self._photo is None and photo_id is not None:
            photo = await self.coordinator.people.async_photo(self.identity_id)
            if photo_id == self._photo_id:
                self._photo = photo
            return photo
        return self._photo
