"""Camera: each device's last face as a still camera, for cards and apps that take only cameras.

Disabled by default: the image entities show the pictures on dashboards, and each recognition's
own pictures are served by reference (pictures.py) for notifications.
"""

from __future__ import annotations

from homeassistant.components.camera import Camera
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity_platform import AddEntitiesCallback

from .api import Device, RecognitionEvent
from .coordinator import SophonConfigEntry, SophonCoordinator
from .entity import SophonDeviceEntity, async_add_device_entities
from .pictures import ImageKind

PARALLEL_UPDATES = 0


async def async_setup_entry(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    async_add_entities: AddEntitiesCallback,
) -> None:
    """Add a last-face camera for each device."""
    async_add_device_entities(
        entry,
        async_add_entities,
        lambda coordinator, device: [SophonFaceCamera(coordinator, device)],
    )


class SophonFaceCamera(SophonDeviceEntity, Camera):
    """The last face a device saw, as a still camera."""

    _attr_translation_key = "last_face_camera"
    _attr_entity_registry_enabled_default = False
    _attr_is_streaming = False

    def __init__(self, coordinator: SophonCoordinator, device: Device) -> None:
        """Describe the camera."""
        SophonDeviceEntity.__init__(self, coordinator, device, "last_face_camera")
        Camera.__init__(self)
        self.content_type = "image/jpeg"

    def _handle_recognition(
        self,
        event: RecognitionEvent,
        newest: bool,
        replayed: bool,
    ) -> None:
        """Write nothing: a new face changes no state; cards and snapshots fetch the image."""

    async def async_camera_image(
        self, width: int | None = None, height: int | None = None
    ) -> bytes | None:
        """Return the last face's JPEG bytes."""
        del width, height  # the face is served as the box sent it
        return await self.coordinator.recognitions.async_image(self.device_key, ImageKind.FACE)
