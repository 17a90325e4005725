"""The box's memory as Home Assistant asks for it: which box, which device, which recognition.

Shared by the media source, the picture view and the get_recognitions action: a loaded box by
its config entry id, an attached device by its Home Assistant device id, and one past
recognition by a reference (`RecognitionRef`) that finds it again in the box's history.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from homeassistant.config_entries import ConfigEntryState
from homeassistant.core import HomeAssistant
from homeassistant.exceptions import HomeAssistantError
from homeassistant.helpers import device_registry as dr

from .api import HistoryQuery, RecognitionEvent
from .compat import device_entry_ids
from .const import DOMAIN
from .coordinator import SophonConfigEntry, SophonCoordinator
from .identity import attached_device_key

# A recognition is asked for again within this much of its time (the box's clock correction
# may have moved by a rounding since), and matched by its event id.
FIND_AGAIN_WITHIN = timedelta(seconds=2)
# Written in a reference for a recognition the box gave no event id.
NO_EVENT_ID = "-"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)


def translated[E: HomeAssistantError](error: type[E], key: str, **placeholders: str) -> E:
    """Return an error of ours, translated (strings.json, exceptions)."""
    return error(
        translation_domain=DOMAIN, translation_key=key, translation_placeholders=placeholders
    )


def loaded_entry(hass: HomeAssistant, entry_id: str) -> SophonConfigEntry | None:
    """Return a Sophon config entry that is loaded (it has a coordinator), else None."""
    entry = hass.config_entries.async_get_entry(entry_id)
    if entry is None or entry.domain != DOMAIN or entry.state is not ConfigEntryState.LOADED:
        return None
    return entry


def loaded_entry_or_raise[E: HomeAssistantError](
    hass: HomeAssistant, entry_id: str, error: type[E]
) -> SophonConfigEntry:
    """Return a loaded Sophon config entry; raise error saying why entry_id is none."""
    if (entry := loaded_entry(hass, entry_id)) is not None:
        return entry
    found = hass.config_entries.async_get_entry(entry_id)
    if found is None or found.domain != DOMAIN:
        raise translated(error, "entry_not_found", entry_id=entry_id)
    raise translated(error, "entry_not_loaded", box=found.title)


@dataclass(frozen=True, slots=True)
class AttachedDevice:
    """A camera, gate or panel of a box, as Home Assistant and as the box know it."""

    device_id: str
    key: str
    # The box's id for it, as its device list writes it (the key where the list lacks it).
    box_device_id: str
    name: str


def attached_device(
    hass: HomeAssistant, coordinator: SophonCoordinator, device_id: str
) -> AttachedDevice | None:
    """Return the attached device of the coordinator's box with this Home Assistant device id."""
    entry_id = coordinator.config_entry.entry_id
    device = dr.async_get(hass).async_get(device_id)
    # Not a child device (Home Assistant 2026.10's); ours are never one.
    if not isinstance(device, dr.DeviceEntry) or entry_id not in device_entry_ids(device):
        return None
    for domain, identifier in device.identifiers:
        if domain == DOMAIN and (key := attached_device_key(entry_id, identifier)) is not None:
            listed = coordinator.data.get(key)
            return AttachedDevice(
                device_id=device.id,
                key=key,
                box_device_id=listed.device_id if listed is not None else key,
                name=device.name_by_user or device.name or key,
            )
    return None


def attached_devices(hass: HomeAssistant, coordinator: SophonCoordinator) -> list[AttachedDevice]:
    """Return the box's listed devices that are enabled in Home Assistant, by name."""
    registry = dr.async_get(hass)
    found = []
    for key, ha_device_id in coordinator.devices.device_ids.items():
        device = registry.async_get(ha_device_id)
        if key in coordinator.data and device is not None and device.disabled_by is None:
            found.append(attached_device(hass, coordinator, ha_device_id))
    return sorted((d for d in found if d is not None), key=lambda d: d.name.casefold())


@dataclass(frozen=True, slots=True)
class RecognitionRef:
    """What finds one past recognition again: its box, device, time (µs) and event id."""

    entry_id: str
    device_id: str
    moment_us: int
    event_id: str | None

    @classmethod
    def of(cls, entry_id: str, device_id: str, event: RecognitionEvent) -> RecognitionRef:
        """Return the reference of a recognition of a device (Home Assistant's device id)."""
        return cls(entry_id, device_id, _microseconds(event.timestamp), event.event_id or None)

    @classmethod
    def parse(cls, entry_id: str, device_id: str, moment: str, token: str) -> RecognitionRef:
        """Read a reference's parts as `path` writes them; ValueError when they are not one."""
        if not moment.isdigit():
            raise ValueError(f"not a time: {moment!r}")
        return cls(entry_id, device_id, int(moment), _decode_event_id(token))

    @property
    def token(self) -> str:
        """Return the event id as URL-safe base64 without padding (NO_EVENT_ID for none)."""
        return _encode_event_id(self.event_id)

    @property
    def path(self) -> str:
        """Return '<device id>/<µs>/<token>', safe in URLs and media source ids."""
        return f"{self.device_id}/{self.moment_us}/{self.token}"

    @property
    def moment(self) -> datetime:
        """Return the recognition's time."""
        return EPOCH + self.moment_us * MICROSECOND

    @property
    def sort_key(self) -> tuple[int, str]:
        """Return where the recognition stands among its device's: time, then event id."""
        return self.moment_us, self.event_id or ""

    def matches(self, event: RecognitionEvent) -> bool:
        """Return True when a recognition the box gave is the one referred to."""
        if self.event_id is not None:
            return event.event_id == self.event_id
        return _microseconds(event.timestamp) == self.moment_us


def recognition_ref(
    hass: HomeAssistant, entry_id: str, device_id: str, moment: str, token: str
) -> tuple[SophonCoordinator, AttachedDevice, RecognitionRef] | None:
    """Return a loaded box, its device and the reference that path parts name; None if none."""
    if (entry := loaded_entry(hass, entry_id)) is None:
        return None
    coordinator = entry.runtime_data
    if (device := attached_device(hass, coordinator, device_id)) is None:
        return None
    try:
        ref = RecognitionRef.parse(entry_id, device_id, moment, token)
    except ValueError:
        return None
    return coordinator, device, ref


async def async_find_recognition(
    coordinator: SophonCoordinator, device: AttachedDevice, ref: RecognitionRef
) -> RecognitionEvent | None:
    """Ask the box again for a recognition; None when it keeps it no longer.

    Raises SophonError when the box cannot be asked.
    """
    history = await coordinator.client.async_get_recognitions(
        HistoryQuery(
            start=ref.moment - FIND_AGAIN_WITHIN,
            end=ref.moment + FIND_AGAIN_WITHIN,
            device_ids=(device.box_device_id,),
        )
    )
    return next((event for event in history.recognitions if ref.matches(event)), None)


def _microseconds(moment: datetime) -> int:
    """Return a time as whole microseconds since the epoch (exactly: no float on the way)."""
    return (moment - EPOCH) // MICROSECOND


def _encode_event_id(event_id: str | None) -> str:
    """Return an event id as URL-safe base64 without padding (NO_EVENT_ID for none)."""
    if not event_id:
        return NO_EVENT_ID
    return base64.urlsafe_b64encode(event_id.encode()).decode().rstrip("=")


def _decode_event_id(token: str) -> str | None:
    """Return the event id _encode_event_id wrote; ValueError when it wrote no such thing."""
    if token == NO_EVENT_ID:
        return None
    try:
        event_id = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError) as err:
        raise ValueError(f"not an event id: {token!r}") from err
    if _encode_event_id(event_id) != token:  # the decoder skips what is not base64
        raise ValueError(f"not an event id: {token!r}")
    return event_id
