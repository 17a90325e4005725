"""Push coordinator: one per box, owning the WebSocket listener and the device list."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.const import ATTR_RESTORED
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    BoxClient,
    Device,
    DeviceType,
    Generation,
    RateLimitedLog,
    RecognitionEvent,
    SophonBoxStartingError,
    SophonError,
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
)
from .event_size import fit_event
from .identity import async_adopt_serial, device_identifier
from .logbook import TRANSLATION_CATEGORIES as LOGBOOK_TRANSLATIONS
from .outage import PushOutages
from .pictures import (
    ImageKind,
    Pictures,
    PictureSource,
    RecentPictures,
    picture_urls,
    pictures_of,
)

_LOGGER = logging.getLogger(__name__)

type SophonConfigEntry = ConfigEntry[SophonCoordinator]
type DeviceCallback = Callable[[list[Device]], None]
# Called with each recognition of a device, and whether it is the newest one the device has seen.
type RecognitionListener = Callable[[RecognitionEvent, bool], None]

# The box's model when its translation is missing; attached devices' models are translated
# by device type (strings.json "device" category), else shown as the box wrote the type.
BOX_MODEL = "SE AI box"
# Device names are cut to this many characters (entity ids are made from them).
MAX_DEVICE_NAME = 100
# Records kept for device ids that the box's device list does not (yet) name.
MAX_UNKNOWN_DEVICES = 64
# Identity info passed on to the bus: nesting, items per level and text length kept.
MAX_INFO_DEPTH = 4
MAX_INFO_ITEMS = 64
MAX_INFO_TEXT = 256


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


@dataclass(slots=True)
class DeviceRecord:
    """What the coordinator knows of one attached device's recognitions."""

    last_event: RecognitionEvent | None = None
    # The newest time the box itself stamped on a recognition of this device (not a receipt).
    box_time: datetime | None = None
    images: Pictures = field(default_factory=dict)
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
        self._texts: dict[str, str] = {}
        self._listen_task: asyncio.Task[None] | None = None
        self._resubscribing = False
        self._refresh_requested = False
        self.unknown_device_events = 0
        self.picture_source = PictureSource(client, lambda: self.config_entry.title)
        self.recent_pictures = RecentPictures()
        # Recognitions whose identity_info was cut to keep the event within the recorder's limit.
        self.info_cut = 0
        # Recognitions stamped before the one a device already shows (delivered, not shown).
        self.older_recognitions = 0
        self._followed: frozenset[str] = frozenset()
        self._log = RateLimitedLog(_LOGGER)
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
        # Device models in Home Assistant's language (it may have changed since the last read),
        # and the logbook's texts, which it reads from the cache.
        language = self.hass.config.language
        self._texts = await async_get_translations(self.hass, language, "device", {DOMAIN})
        for category in LOGBOOK_TRANSLATIONS:
            await async_get_translations(self.hass, language, category, {DOMAIN})
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
        self._register_devices()
        self._announce_new_devices()
        self._follow_generation()
        self._resubscribe_if_needed()

    def _register_devices(self) -> None:
        """Put the box and each listed device in the device registry, with translated models.

        A device the options leave out is disabled by the integration (its device page says so;
        its entities are removed, their history kept), and enabled again once it is chosen.
        """
        registry = dr.async_get(self.hass)
        hub = registry.async_get_or_create(
            config_entry_id=self.config_entry.entry_id,
            identifiers={self.box_identifier},
            manufacturer=MANUFACTURER,
            model=self._model("box", BOX_MODEL),
            name=self.config_entry.title,
        )
        via = via_device_kwargs(hub, self.box_identifier)
        chosen = self._chosen_keys()
        for key, device in self.data.items():
            entry = registry.async_get_or_create(
                config_entry_id=self.config_entry.entry_id,
                identifiers={device_identifier(self.config_entry.entry_id, key)},
                manufacturer=MANUFACTURER,
                model=self._device_model(device),
                name=shorten(device.name or device.device_id, MAX_DEVICE_NAME),
                **via,
            )
            self._device_ids[key] = entry.id
            left_out = chosen is not None and key not in chosen
            if left_out and entry.disabled_by is None:
                registry.async_update_device(
                    entry.id, disabled_by=dr.DeviceEntryDisabler.INTEGRATION
                )
                self._forget_restored_states(entry.id)
            elif not left_out and entry.disabled_by is dr.DeviceEntryDisabler.INTEGRATION:
                registry.async_update_device(entry.id, disabled_by=None)

    def _forget_restored_states(self, device_id: str) -> None:
        """Remove the placeholder states the last unload left for a device's entities.

        Home Assistant leaves an entity that is not set up again as "unavailable (restored)";
        a disabled entity has no state at all, as when it is disabled while loaded.
        """
        for entity in er.async_entries_for_device(
            er.async_get(self.hass), device_id, include_disabled_entities=True
        ):
            if (state := self.hass.states.get(entity.entity_id)) and state.attributes.get(
                ATTR_RESTORED
            ):
                self.hass.states.async_remove(entity.entity_id)

    def _model(self, key: str, fallback: str) -> str:
        """Return a device model in Home Assistant's language (the device category of strings)."""
        return self._texts.get(f"component.{DOMAIN}.device.{key}.name") or fallback

    def _device_model(self, device: Device) -> str:
        """Return an attached device's model: its translated type, or the type as written."""
        raw = device.device_type_raw
        if device.device_type is DeviceType.UNKNOWN and raw:
            return raw
        return self._model(device.device_type.value, raw or device.device_type.value)

    def _announce_new_devices(self) -> None:
        """Tell the platforms about devices they have not seen yet."""
        new = [device for key, device in self.data.items() if key not in self._announced]
        if new:
            self._announced.update(device.key for device in new)
            for device_callback in self._device_callbacks:
                device_callback(new)

    def _follow_generation(self) -> None:
        """Read the box's version and serial when its generation is new (a box, an upgrade)."""
        if (generation := self.client.generation) is None or generation == self._generation:
            return
        # After a firmware upgrade that changed the generation: the device list as it gives it.
        if self._generation is not None:
            self.hass.async_create_task(self.async_request_refresh())
        self._generation = generation
        self.config_entry.async_create_background_task(
            self.hass, self.async_update_box_info(), f"{DOMAIN}-box-info"
        )

    def _resubscribe_if_needed(self) -> None:
        """Reconnect in the background when the device list changed what is to be followed."""
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

    def _chosen_keys(self) -> set[str] | None:
        """Return the devices (canonical ids) the options choose; None for all of them."""
        chosen = self.config_entry.options.get(CONF_DEVICES)
        return None if chosen is None else {canonical_device_id(d) for d in chosen}

    def _wanted_subscription(self) -> Subscription:
        """Return the subscription that the entry's options ask for."""
        options = self.config_entry.options
        keys = self._chosen_keys()
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
        pictures = pictures_of(event, scene_by_event_id=self._scene_on_demand())
        if newest:
            self._keep(record, event, pictures)
        else:
            self.older_recognitions += 1
        data = self._bus_data(event, key, device)
        data["pictures"] = (
            picture_urls(self.config_entry.entry_id, self.recent_pictures.add(pictures), pictures)
            if pictures
            else {}
        )
        if fit_event(data):
            self.info_cut += 1
        self.hass.bus.async_fire(EVENT_RECOGNITION, data)
        self.clock.async_evaluate()
        for listener in record.listeners:
            listener(event, newest)
        for update_callback in self._counter_listeners:
            update_callback()

    @staticmethod
    def _keep(record: DeviceRecord, event: RecognitionEvent, pictures: Pictures) -> None:
        """Make the event a device's last recognition, with its pictures and only those.

        A kind the event lacks is not kept from the last person: a picture never belongs to an
        earlier recognition.
        """
        record.last_event = event
        record.images = dict(pictures)

    def _scene_on_demand(self) -> bool:
        """Return True when scene photos are to be fetched from the box by event id."""
        generation = self.client.generation
        return (
            generation is not None
            and generation.scene_on_demand
            and self.subscription is not None
            and self.subscription.with_face
        )

    async def async_image(self, key: str, kind: ImageKind) -> bytes | None:
        """Return a device's latest picture of a kind, fetched first if the box did not push it."""
        return await self.picture_source.async_content(self._record(key).images.get(kind), kind)

    @property
    def scene_fetch_retries(self) -> int:
        """Return how many scene photo fetches failed for a passing reason."""
        return self.picture_source.fetch_retries

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
