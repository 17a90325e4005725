"""What differs between the oldest (2025.4) and the newest Home Assistant we support."""

from __future__ import annotations

import importlib
import inspect
from typing import TYPE_CHECKING, Any

from homeassistant.helpers import device_registry as dr

if TYPE_CHECKING:
    # 2026.9 replaced voluptuous with probatio and aliases it as voluptuous at runtime.
    import probatio as vol
else:
    import voluptuous as vol

try:  # 2025.8 and newer: the options flow reloads the entry itself.
    from homeassistant.config_entries import OptionsFlowWithReload as OptionsFlowBase

    OPTIONS_FLOW_RELOADS = True
except ImportError:  # pragma: no cover - exercised on Home Assistant 2025.4
    from homeassistant.config_entries import (  # type: ignore[assignment]
        OptionsFlow as OptionsFlowBase,
    )

    OPTIONS_FLOW_RELOADS = False


def _has_target_triggers() -> bool:
    """Return True where our triggers with a target (the picker's "By target") can work.

    Integration triggers (trigger.py's async_get_triggers, triggers.yaml) came late in 2025 and
    kept changing; this checks for the names recognition_trigger.py uses (TargetSelection, for
    one, replaced TargetSelectorData in 2026). Tested on 2026.10.
    """
    try:
        target = importlib.import_module("homeassistant.helpers.target")
    except ImportError:  # pragma: no cover - Home Assistant 2025.4
        return False
    trigger = importlib.import_module("homeassistant.helpers.trigger")
    return all(
        hasattr(target, name) for name in ("TargetSelection", "async_extract_referenced_entity_ids")
    ) and all(
        hasattr(trigger, name) for name in ("Trigger", "TriggerActionRunner", "TriggerConfig")
    )


TARGET_TRIGGERS = _has_target_triggers()

_HAS_VIA_DEVICE_ID = (
    "via_device_id" in inspect.signature(dr.DeviceRegistry.async_get_or_create).parameters
)


def via_device_kwargs(hub: dr.DeviceEntry, hub_identifier: tuple[str, str]) -> dict[str, Any]:
    """Return the argument that links a device to its hub in this Home Assistant version."""
    if _HAS_VIA_DEVICE_ID:
        return {"via_device_id": hub.id}
    return {"via_device": hub_identifier}  # pragma: no cover - Home Assistant 2025.4


def device_by_identifier(
    registry: dr.DeviceRegistry, identifier: tuple[str, str], config_entry_id: str
) -> dr.DeviceEntry | None:
    """Return the entry's device with this identifier, in either Home Assistant version."""
    if (lookup := getattr(registry, "async_get_device_by_identifier", None)) is not None:
        device: dr.DeviceEntry | None = lookup(identifier, config_entry_id)
        return device
    return registry.async_get_device(identifiers={identifier})  # pragma: no cover - 2025.4


def device_entry_ids(device: dr.DeviceEntry) -> set[str]:
    """Return the config entries a device belongs to (one only since 2026.8)."""
    if (entry_id := getattr(device, "config_entry_id", None)) is not None:
        return {entry_id}
    return set(device.config_entries)  # pragma: no cover - Home Assistant 2025.4


__all__ = [
    "OPTIONS_FLOW_RELOADS",
    "TARGET_TRIGGERS",
    "OptionsFlowBase",
    "device_by_identifier",
    "device_entry_ids",
    "via_device_kwargs",
    "vol",
]
