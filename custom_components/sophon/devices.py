"""The box and its attached devices in Home Assistant's device registry."""

from __future__ import annotations

from homeassistant.const import ATTR_RESTORED
from homeassistant.core import HomeAssistant
from homeassistant.helpers import device_registry as dr
from homeassistant.helpers import entity_registry as er
from homeassistant.helpers.translation import async_get_translations

from .api import Device, DeviceType, shorten
from .compat import device_by_identifier, via_device_kwargs
from .const import DOMAIN, MANUFACTURER
from .identity import device_identifier, person_identifier
from .texts import async_load_texts

# The box's model when its translation is missing; attached devices' models are translated
# by device type (strings.json "device" category), else shown as the box wrote the type.
BOX_MODEL = "SE AI box"
# Device names are cut to this many characters (entity ids are made from them).
MAX_DEVICE_NAME = 100


class DeviceRegistrar:
    """Register a box (the hub) and its attached devices, named and with translated models."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Register the devices of one config entry."""
        self._hass = hass
        self._entry_id = entry_id
        self.box_identifier = (DOMAIN, entry_id)
        # Home Assistant's device id of each attached device (canonical id -> device id).
        self.device_ids: dict[str, str] = {}
        self._texts: dict[str, str] = {}

    async def async_load_texts(self) -> None:
        """Read the models and our own texts in Home Assistant's language (it may change)."""
        language = self._hass.config.language
        self._texts = await async_get_translations(self._hass, language, "device", {DOMAIN})
        await async_load_texts(self._hass)

    def register(self, title: str, devices: dict[str, Device], chosen: set[str] | None) -> None:
        """Put the box and each listed device in the device registry.

        A device the options leave out (chosen: the canonical ids chosen, None for all) is
        disabled by the integration: its device page says so, its entities are removed and
        their history kept. It is enabled again once it is chosen.
        """
        registry = dr.async_get(self._hass)
        hub = registry.async_get_or_create(
            config_entry_id=self._entry_id,
            identifiers={self.box_identifier},
            manufacturer=MANUFACTURER,
            model=self._model("box", BOX_MODEL),
            name=title,
        )
        via = via_device_kwargs(hub, self.box_identifier)
        for key, device in devices.items():
            entry = registry.async_get_or_create(
                config_entry_id=self._entry_id,
                identifiers={device_identifier(self._entry_id, key)},
                manufacturer=MANUFACTURER,
                model=self._device_model(device),
                name=shorten(device.name or device.device_id, MAX_DEVICE_NAME),
                **via,
            )
            self.device_ids[key] = entry.id
            self._follow_choice(registry, entry, chosen is not None and key not in chosen)

    def register_person(self, identity_id: str, name: str) -> dr.DeviceEntry:
        """Put a followed person in the device registry, linked to the box, named as listed.

        A name the user gave the device is kept (Home Assistant keeps it apart).
        """
        registry = dr.async_get(self._hass)
        hub = device_by_identifier(registry, self.box_identifier, self._entry_id)
        via = via_device_kwargs(hub, self.box_identifier) if hub is not None else {}
        return registry.async_get_or_create(
            config_entry_id=self._entry_id,
            identifiers={person_identifier(self._entry_id, identity_id)},
            manufacturer=MANUFACTURER,
            model=self._model("person", "Person"),
            name=shorten(name, MAX_DEVICE_NAME),
            **via,
        )

    def remove_person(self, identity_id: str) -> None:
        """Take a person who is followed no longer out of the registry, with their entities."""
        registry = dr.async_get(self._hass)
        identifier = person_identifier(self._entry_id, identity_id)
        if (device := device_by_identifier(registry, identifier, self._entry_id)) is not None:
            registry.async_remove_device(device.id)

    def update_box(self, firmware_version: str | None, serial_number: str | None) -> None:
        """Show the box's firmware and serial; what could not be read keeps what is shown."""
        registry = dr.async_get(self._hass)
        hub = device_by_identifier(registry, self.box_identifier, self._entry_id)
        if hub is None:
            return
        registry.async_update_device(
            hub.id,
            sw_version=firmware_version or hub.sw_version,
            serial_number=serial_number or hub.serial_number,
        )

    def _follow_choice(
        self, registry: dr.DeviceRegistry, entry: dr.DeviceEntry, left_out: bool
    ) -> None:
        """Disable a device left out in the options, enable one chosen again (not the user's)."""
        if left_out and entry.disabled_by is None:
            registry.async_update_device(entry.id, disabled_by=dr.DeviceEntryDisabler.INTEGRATION)
            self._forget_restored_states(entry.id)
        elif not left_out and entry.disabled_by is dr.DeviceEntryDisabler.INTEGRATION:
            registry.async_update_device(entry.id, disabled_by=None)

    def _forget_restored_states(self, device_id: str) -> None:
        """Remove the placeholder states the last unload left for a device's entities.

        Home Assistant leaves an entity that is not set up again as "unavailable (restored)";
        a disabled entity has no state at all, as when it is disabled while loaded.
        """
        entities = er.async_entries_for_device(
            er.async_get(self._hass), device_id, include_disabled_entities=True
        )
        for entity in entities:
            state = self._hass.states.get(entity.entity_id)
            if state is not None and state.attributes.get(ATTR_RESTORED):
                self._hass.states.async_remove(entity.entity_id)

    def _model(self, key: str, fallback: str) -> str:
        """Return a model in Home Assistant's language (the "device" category of the strings)."""
        return self._texts.get(f"component.{DOMAIN}.device.{key}.name") or fallback

    def _device_model(self, device: Device) -> str:
        """Return an attached device's model: its translated type, or the type as written."""
        raw = device.device_type_raw
        if device.device_type is DeviceType.UNKNOWN and raw:
            return raw
        return self._model(device.device_type.value, raw or device.device_type.value)
