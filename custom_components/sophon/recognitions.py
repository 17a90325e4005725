"""A box's recognitions: each attached device's last one, the bus event, and who is told."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback

from .api import Device, DeviceType, RateLimitedLog, RecognitionEvent
from .const import EVENT_RECOGNITION
from .event_size import fit_event
from .pictures import (
    ImageKind,
    Pictures,
    async_content,
    picture_urls,
    pictures_of,
    recent_pictures,
)

_LOGGER = logging.getLogger(__name__)

# Called with each recognition of a device, whether it is the newest one the device has seen,
# and whether it was received late (replayed from the box's memory after an outage).
type RecognitionListener = Callable[[RecognitionEvent, bool, bool], None]

# Records kept for device ids that the box's device list does not (yet) name.
MAX_UNKNOWN_DEVICES = 64


@dataclass(slots=True)
class DeviceRecord:
    """What is known of one attached device's recognitions."""

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

    def keep(self, event: RecognitionEvent, pictures: Pictures) -> None:
        """Make the event the device's last recognition, with its pictures and only those.

        A kind the event lacks is not kept from the last person: a picture never belongs to an
        earlier recognition.
        """
        self.last_event = event
        self.images = dict(pictures)


@dataclass(slots=True)
class BoxView:
    """What the recognitions need to know of their box, given by its coordinator."""

    entry_id: str
    title: Callable[[], str]
    # The device list (canonical id -> device) and Home Assistant's device ids for it.
    devices: Callable[[], dict[str, Device]]
    device_ids: dict[str, str]
    # Called for an event of a device the list lacks (the list is read again).
    on_unknown_device: Callable[[], None]
    # Called after each recognition (the box's clock is judged by them).
    on_recognition: Callable[[], None]
    # Called with each recognition (the followed people are told).
    on_person: Callable[[RecognitionEvent], None]


class Recognitions:
    """Fire each recognition on the bus, keep the newest per device and tell its entities."""

    def __init__(self, hass: HomeAssistant, box: BoxView) -> None:
        """Start with no recognition."""
        self._hass = hass
        self._box = box
        self.records: dict[str, DeviceRecord] = {}
        self.recent_pictures = recent_pictures(hass, box.entry_id)
        self._counter_listeners: list[CALLBACK_TYPE] = []
        self._log = RateLimitedLog(_LOGGER)
        self.unknown_device_events = 0
        # Recognitions whose identity_info was cut to keep the event within the recorder's limit.
        self.info_cut = 0
        # Recognitions stamped before the one a device already shows (delivered, not shown).
        self.older_recognitions = 0

    def record(self, key: str) -> DeviceRecord:
        """Return the record of a device (canonical id), creating it on first use."""
        if (record := self.records.get(key)) is None:
            record = self.records[key] = DeviceRecord()
        return record

    @callback
    def async_add_listener(self, key: str, listener: RecognitionListener) -> CALLBACK_TYPE:
        """Call listener with every recognition of a device (canonical id); return the remover."""
        listeners = self.record(key).listeners
        listeners.append(listener)
        return lambda: listeners.remove(listener)

    @callback
    def async_add_counter_listener(self, update_callback: CALLBACK_TYPE) -> CALLBACK_TYPE:
        """Call update_callback whenever the counters change; return the remover."""
        self._counter_listeners.append(update_callback)
        return lambda: self._counter_listeners.remove(update_callback)

    @callback
    def async_counters_changed(self) -> None:
        """Tell the counter listeners (a frame was rejected, a recognition delivered)."""
        for update_callback in self._counter_listeners:
            update_callback()

    @callback
    def handle(self, event: RecognitionEvent, replayed: bool = False) -> None:
        """Fire a recognition on the bus and tell the device's entities; keep it if newest.

        replayed: received late, from the box's memory (the bus event says so; the entities
        move only if it is newer than what they show).
        """
        key = event.device_key
        device = self._box.devices().get(key)
        if device is None and not self._keep_unknown_device(key):
            return
        record = self.record(key)
        # One stamped before what the device shows is still a recognition, but not its latest.
        newest = record.is_newest(event)
        pictures = pictures_of(event)
        if newest:
            record.keep(event, pictures)
        else:
            self.older_recognitions += 1
        data = self.bus_data(event, replayed)
        data["pictures"] = (
            picture_urls(
                self._box.entry_id,
                self.recent_pictures.add(pictures, event.event_id or None),
                pictures,
            )
            if pictures
            else {}
        )
        if fit_event(data):
            self.info_cut += 1
        self._hass.bus.async_fire(EVENT_RECOGNITION, data)
        self._box.on_recognition()
        self._box.on_person(event)
        for listener in record.listeners:
            listener(event, newest, replayed)
        self.async_counters_changed()

    async def async_image(self, key: str, kind: ImageKind) -> bytes | None:
        """Return a device's latest picture of a kind, fetched first if the box did not push it."""
        return await async_content(self.record(key).images.get(kind))

    def _keep_unknown_device(self, key: str) -> bool:
        """Count and log an event from a device the list lacks; return True to keep it."""
        self.unknown_device_events += 1
        self._log.warning(
            "unknown_device",
            "%s sent an event for a device it did not list; reading its device list again",
            self._box.title(),
        )
        self._box.on_unknown_device()
        devices = self._box.devices()
        unknown = sum(1 for known_key in self.records if known_key not in devices)
        return key in self.records or unknown < MAX_UNKNOWN_DEVICES

    def bus_data(self, event: RecognitionEvent, replayed: bool) -> dict[str, Any]:
        """Return the data of the sophon_recognition event, but its pictures: never an image."""
        key = event.device_key
        device = self._box.devices().get(key)
        device_type = event.device_type
        if device_type is DeviceType.UNKNOWN and device is not None:
            device_type = device.device_type
        return {
            "config_entry_id": self._box.entry_id,
            "device_id": self._box.device_ids.get(key),
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
            # Bounded by the client: no long string (a picture, a template) reaches the bus.
            "identity_info": event.identity_info,
            "face_attributes": event.face_attributes,
            "replayed": replayed,
        }
