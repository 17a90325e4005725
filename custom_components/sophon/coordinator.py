"""Push coordinator: one per box, owning the WebSocket listener and the device list."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed
from homeassistant.util import dt as dt_util

from .api import (
    BoxClient,
    Device,
    DeviceType,
    Generation,
    Jpeg,
    RateLimitedLog,
    RecognitionEvent,
    SophonBoxStartingError,
    SophonError,
    SophonNotFoundError,
    Subscription,
    canonical_device_id,
    shorten,
)
from .box_clock import ClockMonitor
from .compat import device_by_identifier, via_device_kwargs
from .const import (
    CONF_DEVICES,
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    DEVICE_LIST_REFRESH,
    DOMAIN,
    EVENT_RECOGNITION,
    MANUFACTURER,
    SCENE_RETRY_AFTER,
)
from .event_size import fit_event
from .identity import async_adopt_serial, device_identifier
from .outage import PushOutages

_LOGGER = logging.getLogger(__name__)

type SophonConfigEntry = ConfigEntry[SophonCoordinator]
type DeviceCallback = Callable[[list[Device]], None]
# Called with each recognition of a device, and whether it is the newest one the device has seen.
type RecognitionListener = Callable[[RecognitionEvent, bool], None]

# What the device registry shows as the model of each kind of attached device.
DEVICE_MODELS = {
    DeviceType.GATE: "Face recognition gate",
    DeviceType.SNAPSHOT_CAMERA: "Snapshot camera",
    DeviceType.IPC: "IP camera",
    DeviceType.ACCESS_CONTROL: "Access control panel",
    DeviceType.VIDEO_STREAM: "Video stream (RTSP)",
    DeviceType.PHOTO: "Photo device",
    DeviceType.VIDEO_FILE: "Video file",
    DeviceType.GB28181: "GB/T 28181 stream",
}
# Device names are cut to this many characters (entity ids are made from them).
MAX_DEVICE_NAME = 100
# Records kept for device ids that the box's device list does not (yet) name.
MAX_UNKNOWN_DEVICES = 64
# Identity info passed on to the bus: nesting, items per level and text length kept.
MAX_INFO_DEPTH = 4
MAX_INFO_ITEMS = 64
MAX_INFO_TEXT = 256


def _due(retry_at: datetime | None) -> bool:
    """Return True when a fetch may be tried now."""
    return retry_at is None or dt_util.utcnow() >= retry_at


def bounded_info(value: Any, depth: int = 0) -> Any:
    """Return identity info without long strings (a picture or template could hide there)."""
    if isinstance(value, dict):
        if depth >= MAX_INFO_DEPTH:
            return {}
        return {str(k): bounded_info(v, depth + 1) for k, v in list(value.items())[:MAX_INFO_ITEMS]}
    if isinstance(value, list):
        if depth >= MAX_INFO_DEPTH:
            return []
        return [bounded_info(item, depth + 1) for item in value[:MAX_INFO_ITEMS]]
    if isinstance(value, str) and (len(value) > MAX_INFO_TEXT or value.startswith("data:")):
        return None
    return value


class ImageKind(StrEnum):
    """The pictures an event can carry."""

    FACE = "face_image"
    SCENE = "scene_image"
    REGISTERED = "registered_image"


@dataclass(slots=True)
class StoredImage:
    """The latest picture of one kind for one device, held in memory only."""

    updated: datetime
    # As the box sent it; the big photos stay base64 until first shown (Jpeg.content()).
    picture: Jpeg | None = None
    # A picture the box does not push (2.0's scene photo) is fetched by event id on request.
    event_id: str | None = None
    # The box said it has no such picture (or it did not decode): never asked for again.
    failed: bool = False
    # A fetch failed for a passing reason (timeout, connection, server error): not before then.
    retry_at: datetime | None = None


@dataclass(slots=True)
class DeviceRecord:
    """What the coordinator knows of one attached device's recognitions."""

    last_event: RecognitionEvent | None = None
    # The newest time the box itself stamped on a recognition of this device (not a receipt).
    box_time: datetime | None = None
    images: dict[ImageKind, StoredImage] = field(default_factory=dict)
    listeners: list[RecognitionListener] = field(default_factory=list)

    def is_newest(self, event: RecognitionEvent) -> bool:
        """Return True unless the box stamped the event before one it already sent.

        Only the box's own times are compared: a recognition whose time was missing or wrong
        (and is now its time of receipt) is always the newest and sets no mark, so a box whose
        clock runs behind is never held back by it.
        """
        if not event.time_from_box:
            return True
        if self.box_time is not None and event.timestamp < self.box_time:
            return False
        self.box_time = event.timestamp
        return True


class SophonCoordinator(DataUpdateCoordinator[dict[str, Device]]):
    """Hold a box's device list (polled) and its recognitions (pushed)."""

    config_entry: SophonConfigEntry

    def __init__(self, hass: HomeAssistant, entry: SophonConfigEntry, client: BoxClient) -> None:
        """Set up the coordinator for one box."""
        super().__init__(
            hass,
            _LOGGER,
            config_entry=entry,
            name=f"{DOMAIN} {entry.title}",
            update_interval=DEVICE_LIST_REFRESH,
        )
        self.client = client
        # The options this coordinator runs with (Home Assistant 2025.4 reloads when they change).
        self.options = dict(entry.options)
        self.outages = PushOutages(hass, entry, client, self.async_update_listeners)
        self.clock = ClockMonitor(hass, entry, client)
        self.records: dict[str, DeviceRecord] = {}
        self.subscription: Subscription | None = None
        self._device_callbacks: list[DeviceCallback] = []
        self._counter_listeners: list[CALLBACK_TYPE] = []
        self._announced: set[str] = set()
        self._device_ids: dict[str, str] = {}
        self._listen_task: asyncio.Task[None] | None = None
        self._resubscribing = False
        self._refresh_requested = False
        self.unknown_device_events = 0
        self.scene_fetch_retries = 0
        # Recognitions whose identity_info was cut to keep the event within the recorder's limit.
        self.info_cut = 0
        # Recognitions stamped before the one a device already shows (delivered, not shown).
        self.older_recognitions = 0
        self._followed: frozenset[str] = frozenset()
        self._log = RateLimitedLog(_LOGGER)
        self._fetch_lock = asyncio.Lock()
        self.firmware_version: str | None = None
        self.serial_number: str | None = None
        self._generation: Generation | None = None
        self.async_add_listener(self._handle_device_list)

    @property
    def box_identifier(self) -> tuple[str, str]:
        """Return the device registry identifier of the box itself."""
        return (DOMAIN, self.config_entry.entry_id)

    async def _async_update_data(self) -> dict[str, Device]:
        """Read the device list from the box."""
        try:
            devices = await self.client.async_get_devices()
        except SophonBoxStartingError as err:
            raise UpdateFailed(translation_domain=DOMAIN, translation_key="box_starting") from err
        except SophonError as err:
            raise UpdateFailed(
                translation_domain=DOMAIN,
                translation_key="device_list_failed",
                translation_placeholders={"error": str(err)},
            ) from err
        # Keyed by the canonical id: frames may name a device in another form than the list.
        by_key: dict[str, Device] = {}
        for device in devices:
            if by_key.setdefault(device.key, device) is not device:
                self._log.warning(
                    "duplicate_device",
                    "%s lists one device twice (its id in two forms); the first one is used",
                    self.config_entry.title,
                )
        return by_key

    @callback
    def _handle_device_list(self) -> None:
        """Register new devices, announce them to the platforms and resubscribe if needed."""
        if not self.last_update_success:
            return
        self._refresh_requested = False
        registry = dr.async_get(self.hass)
        hub = registry.async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            identifiers={self.box_identifier},
            manufacturer=MANUFACTURER,
            model="SE AI box",
            name=self.config_entry.title,
        )
        via = via_device_kwargs(hub, self.box_identifier)
        for key, device in self.data.items():
            entry = registry.async_get_or_create(
                config_entry_id=self.config_entry.entry_id,
                identifiers={device_identifier(self.config_entry.entry_id, key)},
                manufacturer=MANUFACTURER,
                model=DEVICE_MODELS.get(device.device_type, device.device_type_raw),
                name=shorten(device.name or device.device_id, MAX_DEVICE_NAME),
                **via,
            )
            self._device_ids[key] = entry.id
        new = [device for key, device in self.data.items() if key not in self._announced]
        if new:
            self._announced.update(device.key for device in new)
            for device_callback in self._device_callbacks:
                device_callback(new)
        if (generation := self.client.generation) is not None and generation != self._generation:
            # A new box, or a firmware upgrade that changed the protocol: read the version again,
            # and after an upgrade the device list as the new firmware gives it.
            if self._generation is not None:
                self.hass.async_create_task(self.async_request_refresh())
            self._generation = generation
            self.config_entry.async_create_background_task(
                self.hass, self.async_update_box_info(), f"{DOMAIN}-box-info"
            )
        if (
            self._listen_task is not None
            and not self._resubscribing
            and self._wanted_subscription() != self.subscription
        ):
            self._resubscribing = True
            self.config_entry.async_create_background_task(
                self.hass, self._async_resubscribe(), f"{DOMAIN}-resubscribe"
            )

    @callback
    def async_add_device_callback(self, device_callback: DeviceCallback) -> None:
        """Call device_callback with every known device now and every new one later."""
        self._device_callbacks.append(device_callback)
        known = [self.data[key] for key in self._announced if key in self.data]
        if known:
            device_callback(known)

    def _wanted_subscription(self) -> Subscription:
        """Return the subscription that the entry's options ask for."""
        options = self.config_entry.options
        chosen = options.get(CONF_DEVICES)
        keys = None if chosen is None else {canonical_device_id(d) for d in chosen}
        # Sent as the device list gave them; compared in canonical form.
        device_ids = [d.device_id for k, d in self.data.items() if keys is None or k in keys]
        return Subscription(
            device_ids=tuple(sorted(device_ids)),
            with_face=options.get(CONF_NEED_FACE, True),
            with_registered=options.get(CONF_NEED_REGISTER, True),
        )

    @callback
    def async_start(self) -> None:
        """Start listening to the box's push in the background."""
        self.outages.async_start()
        self.clock.async_start()
        self.subscription = self._wanted_subscription()
        self._followed = frozenset(map(canonical_device_id, self.subscription.device_ids))
        self._listen_task = self.config_entry.async_create_background_task(
            self.hass,
            self.client.listen(
                self.subscription,
                self._handle_event,
                self.outages.handle_state,
                self._handle_reject,
            ),
            f"{DOMAIN}-listen-{self.config_entry.entry_id}",
        )

    async def async_stop(self, *_: Any) -> None:
        """Close the WebSocket and wait for the listener to end (cancel it if it hangs)."""
        self.outages.async_stop()
        self.clock.async_stop()
        await self.client.disconnect()
        if (task := self._listen_task) is not None:
            self._listen_task = None
            done, _pending = await asyncio.wait({task}, timeout=10)
            if not done:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _async_resubscribe(self) -> None:
        """Reconnect with the subscription that the device list and options ask for now."""
        _LOGGER.debug("Resubscribing to %s", self.config_entry.title)
        try:
            await self.async_stop()
            self.async_start()
        finally:
            self._resubscribing = False

    @property
    def connected(self) -> bool:
        """Return True while the box's push is up."""
        return self.outages.connected

    @callback
    def async_delete_repairs(self) -> None:
        """Remove this box's repairs (the entry is going away)."""
        self.outages.async_delete_repairs()
        self.clock.async_delete_repair()

    def follows(self, key: str) -> bool:
        """Return True when the push is subscribed to the device (canonical id)."""
        return self.subscription is None or key in self._followed

    @callback
    def async_add_recognition_listener(
        self, key: str, listener: RecognitionListener
    ) -> CALLBACK_TYPE:
        """Call listener with every recognition of a device (canonical id); return the remover."""
        listeners = self._record(key).listeners
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_counter_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update_callback whenever the client's counters change; return the remover."""
        self._counter_listeners.append(update_callback)
        return lambda: self._counter_listeners.remove(update_callback)

    @callback
    def _handle_reject(self, _reason: str) -> None:
        """Update the counters after a rejected frame."""
        for update_callback in self._counter_listeners:
            update_callback()

    def _record(self, key: str) -> DeviceRecord:
        """Return the record of a device (canonical id), creating it on first use."""
        if (record := self.records.get(key)) is None:
            record = self.records[key] = DeviceRecord()
        return record

    @callback
    def _handle_event(self, event: RecognitionEvent) -> None:
        """Fire a recognition on the bus and tell the device's entities; keep it if newest."""
        key = event.device_key
        device = self.data.get(key)
        if device is None and not self._handle_unknown_device(key):
            return
        record = self._record(key)
        # One stamped before what the device shows is still a recognition, but not its latest.
        newest = record.is_newest(event)
        if newest:
            self._keep(record, event)
        else:
            self.older_recognitions += 1
        data = self._bus_data(event, key, device)
        if fit_event(data):
            self.info_cut += 1
        self.hass.bus.async_fire(EVENT_RECOGNITION, data)
        self.clock.async_evaluate()
        for listener in record.listeners:
            listener(event, newest)
        for update_callback in self._counter_listeners:
            update_callback()

    def _keep(self, record: DeviceRecord, event: RecognitionEvent) -> None:
        """Make the event a device's last recognition, with its pictures and only those."""
        record.last_event = event
        now = dt_util.utcnow()
        for kind in ImageKind:
            # Only this event's pictures are kept: one it lacks must not show the last person's.
            if (picture := getattr(event, kind.value)) is not None:
                record.images[kind] = StoredImage(now, picture)
            else:
                record.images.pop(kind, None)
        if self._scene_on_demand(event):
            record.images[ImageKind.SCENE] = StoredImage(now, event_id=event.event_id)

    def _scene_on_demand(self, event: RecognitionEvent) -> bool:
        """Return True when the event's scene photo is to be fetched from the box on request."""
        generation = self.client.generation
        return (
            event.scene_image is None
            and event.event_id is not None
            and generation is not None
            and generation.scene_on_demand
            and self.subscription is not None
            and self.subscription.with_face
        )

    async def async_image(self, key: str, kind: ImageKind) -> bytes | None:
        """Return a device's latest picture of a kind, fetched first if the box did not push it."""
        stored = self._record(key).images.get(kind)
        if stored is None or stored.failed:
            return None
        if stored.picture is None and stored.event_id is not None:
            async with self._fetch_lock:
                if stored.picture is None and not stored.failed and _due(stored.retry_at):
                    await self._fetch_scene(stored)
        if stored.picture is None:
            return None
        try:
            return stored.picture.content()
        except ValueError as err:
            # Pushed as base64 that began like a JPEG but does not decode: no picture for it.
            stored.failed, stored.picture = True, None
            self.client.note_dropped_image(kind.value, "image_bad_base64")
            _LOGGER.debug("Undecodable %s from %s: %s", kind.value, self.config_entry.title, err)
            return None

    async def _fetch_scene(self, stored: StoredImage) -> None:
        """Fetch a scene photo that the box keeps by event id (2.0); log once if it fails."""
        assert stored.event_id is not None  # noqa: S101 - only called for a fetchable picture
        try:
            content = await self.client.async_get_scene_image(stored.event_id)
        except SophonNotFoundError as err:
            stored.failed = True
            _LOGGER.warning(
                "Cannot fetch the scene photo of event %s from %s: %s",
                stored.event_id,
                self.config_entry.title,
                err,
            )
            return
        except SophonError as err:
            # Passing trouble: the box may still have the photo; ask again after a pause.
            stored.retry_at = dt_util.utcnow() + SCENE_RETRY_AFTER
            self.scene_fetch_retries += 1
            self._log.warning(
                "scene_fetch",
                "Could not fetch a scene photo from %s (will try again on the next request): %s",
                self.config_entry.title,
                err,
            )
            return
        stored.retry_at = None
        if content is not None:
            stored.picture = Jpeg.of(content)

    async def async_update_box_info(self) -> None:
        """Show the box's firmware version and serial number on its device, best effort.

        The serial number also becomes the entry's unique id where it was still the address.
        """
        self.firmware_version = await self.client.async_get_firmware_version()
        self.serial_number = await self.client.async_get_serial_number()
        await self.clock.async_check()
        async_adopt_serial(self.hass, self.config_entry, self.serial_number)
        registry = dr.async_get(self.hass)
        hub = device_by_identifier(registry, self.box_identifier, self.config_entry.entry_id)
        if hub is None:
            return
        # What could not be read now keeps what the device shows (a passing failure).
        registry.async_update_device(
            hub.id,
            sw_version=self.firmware_version or hub.sw_version,
            serial_number=self.serial_number or hub.serial_number,
        )

    def _handle_unknown_device(self, key: str) -> bool:
        """Count and log an event from a device the list lacks; return True to keep it."""
        self.unknown_device_events += 1
        self._log.warning(
            "unknown_device",
            "%s sent an event for a device it did not list; reading its device list again",
            self.config_entry.title,
        )
        if not self._refresh_requested:
            self._refresh_requested = True
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN}-refresh-devices"
            )
        unknown = sum(1 for known_key in self.records if known_key not in self.data)
        return key in self.records or unknown < MAX_UNKNOWN_DEVICES

    def _bus_data(self, event: RecognitionEvent, key: str, device: Device | None) -> dict[str, Any]:
        """Return the data of the sophon_recognition event: never an image."""
        device_type = event.device_type
        if device_type is DeviceType.UNKNOWN and device is not None:
            device_type = device.device_type
        return {
            "config_entry_id": self.config_entry.entry_id,
            "device_id": self._device_ids.get(key),
            # As the device list gives it: frames may write the same id in another form.
            "sophon_device_id": device.device_id if device else event.device_id,
            "identity_id": event.identity_id,
            "identity_name": event.identity_name,
            "person_type": event.person_type.value,
            "person_type_code": event.person_type_code,
            "score": event.score,
            "group_name": event.group_name,
            "timestamp": event.timestamp.isoformat(),
            "device_type": device_type.value,
            "device_ip": event.device_ip or (device.ip if device else None),
            "event_id": event.event_id,
            "identity_info": bounded_info(event.identity_info),
            "face_attributes": event.face_attributes,
        }
