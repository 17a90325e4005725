"""Diagnostics: the connection, its counters and the last recognitions.

Nothing in them names a place or a person's passage: people, device names, event, video and
group ids are redacted, and each of the box's device ids is a stand-in (device_1, …).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from homeassistant.components.diagnostics import REDACTED, async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .api import Device, Jpeg, Picture, RecognitionEvent, canonical_device_id
from .const import CONF_DEVICES, CONF_PEOPLE, DOMAIN
from .coordinator import SophonConfigEntry, SophonCoordinator
from .identity import attached_device_key
from .recognitions import DeviceRecord

TO_REDACT = {
    CONF_HOST,
    "identity_id",
    "identity_name",
    "identity_info",
    "device_ip",
    "ip",
    # A device's name says where it stands; an event, its video and its group trace a passage.
    "name",
    "event_id",
    "video_id",
    "group_name",
}
# Ids this long are also replaced inside text (a close reason, an error); shorter ones, which
# could be part of any word or number, only where an id is expected.
SCRUBBED_ID_LENGTH = 8


class DeviceStandIns:
    """Give each device id of a box one stand-in, whatever form the id comes in.

    The device list's devices are device_1, device_2, … in the order of their canonical ids;
    any other (chosen in the options but gone, seen only in frames) is unlisted_device_1, ….
    """

    def __init__(self, coordinator: SophonCoordinator) -> None:
        """Give a stand-in to each id the coordinator knows of."""
        listed = sorted(coordinator.data)
        self._stand_ins = {key: f"device_{number}" for number, key in enumerate(listed, 1)}
        self._unlisted = 0
        mentioned = [*_chosen(coordinator.config_entry.options)]
        if coordinator.subscription is not None:
            mentioned += coordinator.subscription.device_ids
        for key in sorted(
            {*coordinator.recognitions.records, *map(canonical_device_id, mentioned)}
        ):
            self(key)

    def __call__(self, device_id: str) -> str:
        """Return the stand-in of a device id in any of its forms (a new one if unknown)."""
        key = canonical_device_id(device_id)
        if (stand_in := self._stand_ins.get(key)) is None:
            self._unlisted += 1
            stand_in = self._stand_ins[key] = f"unlisted_device_{self._unlisted}"
        return stand_in

    def order(self) -> list[str]:
        """Return the canonical ids in the order of their stand-ins."""
        return list(self._stand_ins)

    def scrub(self, data: Any) -> Any:
        """Return data with every long enough device id in its text (and keys) replaced."""
        keys = sorted((k for k in self._stand_ins if len(k) >= SCRUBBED_ID_LENGTH), key=len)
        if not keys:
            return data
        # Any letter case, with or without dashes (the forms boxes write one id in).
        pattern = re.compile(
            "|".join("-?".join(map(re.escape, key)) for key in reversed(keys)), re.IGNORECASE
        )
        return _scrubbed(
            data,
            lambda text: pattern.sub(
                lambda found: self._stand_ins.get(canonical_device_id(found[0]), REDACTED), text
            ),
        )


def _redacted(data: dict[str, Any], stand_ins: DeviceStandIns) -> dict[str, Any]:
    """Return diagnostics with what names a person, a place or a passage redacted."""
    redacted: dict[str, Any] = stand_ins.scrub(async_redact_data(data, TO_REDACT))
    return redacted


def _chosen(options: Mapping[str, Any]) -> list[str]:
    """Return the device ids the options choose (as the device list wrote them)."""
    return [d for d in options.get(CONF_DEVICES) or () if isinstance(d, str)]


def _scrubbed(data: Any, text: Callable[[str], str]) -> Any:
    """Return data with text() applied to each string in it, dict keys included."""
    if isinstance(data, str):
        return text(data)
    if isinstance(data, Mapping):
        return {_scrubbed(key, text): _scrubbed(value, text) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_scrubbed(value, text) for value in data]
    return data


def _event(event: RecognitionEvent | None) -> dict[str, Any] | None:
    """Describe a recognition: who is redacted, pictures only by their size."""
    if event is None:
        return None
    return {
        "identity_id": event.identity_id,
        "identity_name": event.identity_name,
        "identity_info": event.identity_info,
        "person_type": event.person_type.value,
        "person_type_code": event.person_type_code,
        "person_type_raw": event.person_type_raw,
        "score": event.score,
        "score_raw": event.score_raw,
        "video_id": event.video_id,
        "group_name": event.group_name,
        "timestamp": event.timestamp.isoformat(),
        "device_type": event.device_type.value,
        "device_ip": event.device_ip,
        "event_id": event.event_id,
        "face_attributes": event.face_attributes,
        "image_bytes": {
            "face": _size(event.face_image),
            "scene": _size(event.scene_image),
            "registered": _size(event.registered_image),
        },
        "problems": list(event.problems),
    }


def _size(picture: Picture | None) -> int:
    """Return a picture's size in bytes: 0 when absent, not decodable or not fetched yet."""
    if not isinstance(picture, Jpeg):
        return 0 if picture is None else picture.size
    try:
        return len(picture.content())
    except ValueError:
        return 0


def _device(device: Device | None, record: DeviceRecord | None) -> dict[str, Any]:
    """Describe an attached device: never its stream URL."""
    return {
        "device": None
        if device is None
        else {
            "name": device.name,
            "ip": device.ip,
            "device_type": device.device_type.value,
            "device_type_raw": device.device_type_raw,
            "extra_keys": sorted(device.extra),
        },
        "last_event": _event(record.last_event if record else None),
    }


def _options(options: Mapping[str, Any], stand_ins: DeviceStandIns) -> dict[str, Any]:
    """Return the entry's options: the chosen devices as their stand-ins, people counted."""
    shown = dict(options)
    if CONF_DEVICES in options:
        shown[CONF_DEVICES] = [stand_ins(d) for d in _chosen(options)]
    if isinstance(people := options.get(CONF_PEOPLE), list):
        shown[CONF_PEOPLE] = f"{len(people)} followed"
    return shown


def _box(coordinator: SophonCoordinator, stand_ins: DeviceStandIns) -> dict[str, Any]:
    """Describe the box's connection."""
    client = coordinator.client
    subscription = coordinator.subscription
    return {
        "generation": client.generation.name if client.generation else None,
        "firmware_version": coordinator.firmware_version,
        "connection_state": client.state.value,
        "connected": coordinator.connected,
        # What the box does with pings, its outages and how the push last ended (issue 13).
        "pings": client.pings.value,
        "push": coordinator.outages.as_dict(),
        "stale_after_seconds": client.stale_after,
        "clock": {**client.clock_watch.as_dict(), "repair": coordinator.clock.raised},
        "counters": client.counters.as_dict(),
        # Recognitions made while away, delivered late (times and counts only; issue 16).
        "catch_up": coordinator.catch_up.as_dict(),
        "subscription": None
        if subscription is None
        else {
            "device_ids": [stand_ins(d) for d in subscription.device_ids],
            "with_face": subscription.with_face,
            "with_registered": subscription.with_registered,
        },
        "last_device_list_ok": coordinator.last_update_success,
        "unknown_device_events": coordinator.recognitions.unknown_device_events,
        "older_recognitions": coordinator.recognitions.older_recognitions,
        "scene_fetch_retries": client.counters.scene_fetch_retries,
        "identity_info_cut": coordinator.recognitions.info_cut,
        "has_serial_number": coordinator.serial_number is not None,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics for a box."""
    coordinator = entry.runtime_data
    stand_ins = DeviceStandIns(coordinator)
    keys = [
        k
        for k in stand_ins.order()
        if k in coordinator.data or k in coordinator.recognitions.records
    ]
    return _redacted(
        {
            "entry": {"data": dict(entry.data), "options": _options(entry.options, stand_ins)},
            "box": _box(coordinator, stand_ins),
            # Counts only: never a name or an id of the library's people.
            "library": _library(coordinator),
            # The box's health as last read (no names, nothing personal), failures counted.
            "health": coordinator.health.as_dict(),
            "devices": {
                stand_ins(key): _device(
                    coordinator.data.get(key), coordinator.recognitions.records.get(key)
                )
                for key in keys
            },
        },
        stand_ins,
    )


def _library(coordinator: SophonCoordinator) -> dict[str, Any]:
    """Return the face library's counts as last read, and whether that read worked."""
    library = coordinator.library
    counts = None if library.data is None else library.data.as_dict()
    return {
        "last_update_success": library.last_update_success,
        "counts": counts,
        "followed_people": coordinator.people.as_dict(),
    }


async def async_get_device_diagnostics(
    hass: HomeAssistant,
    entry: SophonConfigEntry,
    device: dr.DeviceEntry,
) -> dict[str, Any]:
    """Return diagnostics for one attached device (or the box)."""
    coordinator = entry.runtime_data
    key = next(
        (
            found
            for domain, identifier in device.identifiers
            if domain == DOMAIN and (found := attached_device_key(entry.entry_id, identifier))
        ),
        "",
    )
    stand_ins = DeviceStandIns(coordinator)
    return _redacted(
        {
            "box": _box(coordinator, stand_ins),
            # The same stand-in as in the box's diagnostics (None: the box itself).
            "device_id": stand_ins(key) if key else None,
            **_device(coordinator.data.get(key), coordinator.recognitions.records.get(key)),
        },
        stand_ins,
    )
