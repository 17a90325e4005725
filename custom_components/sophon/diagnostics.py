"""Diagnostics: the connection, its counters and the last recognitions, with people redacted."""

from __future__ import annotations

from typing import Any

from homeassistant.components.diagnostics import async_redact_data
from homeassistant.const import CONF_HOST
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr

from .api import Device, Jpeg, RecognitionEvent
from .const import DOMAIN
from .coordinator import DeviceRecord, SophonConfigEntry, SophonCoordinator
from .identity import attached_device_key

TO_REDACT = {CONF_HOST, "identity_id", "identity_name", "identity_info", "device_ip", "ip"}


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


def _size(picture: Jpeg | None) -> int:
    """Return a picture's size in bytes: 0 when absent or not decodable."""
    if picture is None:
        return 0
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


def _box(coordinator: SophonCoordinator) -> dict[str, Any]:
    """Describe the box's connection."""
    client = coordinator.client
    subscription = coordinator.subscription
    return {
        "protocol": client.generation.name if client.generation else None,
        "firmware_version": coordinator.firmware_version,
        "connection_state": client.state.value,
        "connected": coordinator.connected,
        # What the box does with pings, its outages and how the push last ended (issue 13).
        "pings": client.pings.value,
        "push": coordinator.outages.as_dict(),
        "stale_after_seconds": client.stale_after,
        "clock": {**client.clock_watch.as_dict(), "repair": coordinator.clock.raised},
        "counters": client.counters.as_dict(),
        "subscription": None
        if subscription is None
        else {
            "device_ids": list(subscription.device_ids),
            "with_face": subscription.with_face,
            "with_registered": subscription.with_registered,
        },
        "last_device_list_ok": coordinator.last_update_success,
        "unknown_device_events": coordinator.unknown_device_events,
        "older_recognitions": coordinator.older_recognitions,
        "scene_fetch_retries": coordinator.scene_fetch_retries,
        "identity_info_cut": coordinator.info_cut,
        "has_serial_number": coordinator.serial_number is not None,
    }


async def async_get_config_entry_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
    entry: SophonConfigEntry,
) -> dict[str, Any]:
    """Return diagnostics for a box."""
    coordinator = entry.runtime_data
    keys = sorted({*coordinator.data, *coordinator.records})
    return async_redact_data(
        {
            "entry": {"data": dict(entry.data), "options": dict(entry.options)},
            "box": _box(coordinator),
            "devices": {
                # Named as the box's device list names them (frames may use another form).
                (device.device_id if (device := coordinator.data.get(key)) else key): _device(
                    device, coordinator.records.get(key)
                )
                for key in keys
            },
        },
        TO_REDACT,
    )


async def async_get_device_diagnostics(
    hass: HomeAssistant,  # noqa: ARG001
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
    return async_redact_data(
        {
            "box": _box(coordinator),
            **_device(coordinator.data.get(key), coordinator.records.get(key)),
        },
        TO_REDACT,
    )
