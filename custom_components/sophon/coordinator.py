"""Push coordinator: one per box, owning the WebSocket listener and the device list."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers.update_coordinator import DataUpdateCoordinator, UpdateFailed

from .api import (
    BoxClient,
    ConnectionState,
    Device,
    Generation,
    RateLimitedLog,
    SophonBoxStartingError,
    SophonError,
    Subscription,
    canonical_device_id,
)
from .box_clock import ClockMonitor
from .catch_up import CatchUp
from .const import (
    CONF_DEVICES,
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    DEVICE_LIST_REFRESH,
    DOMAIN,
)
from .devices import DeviceRegistrar
from .followed_people import FollowedPeople
from .health import HealthCoordinator
from .identity import async_adopt_serial
from .library import LibraryCoordinator
from .outage import PushOutages
from .recognitions import BoxView, Recognitions

_LOGGER = logging.getLogger(__name__)

type SophonConfigEntry = ConfigEntry[SophonCoordinator]
type DeviceCallback = Callable[[list[Device]], None]


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
        self.devices = DeviceRegistrar(hass, entry.entry_id)
        self.people = FollowedPeople(hass, entry, client, self.devices, lambda: self.data)
        # The face library and the box's health: each polled on its own, failing alone.
        self.library = LibraryCoordinator(hass, entry, client, lambda: self.people.records)
        self.people.follow_listings(self.library)
        self.health = HealthCoordinator(hass, entry, client)
        self.recognitions = Recognitions(hass, self._box_view())
        self.catch_up = CatchUp(
            hass,
            entry,
            client,
            self.recognitions,
            lambda: () if self.subscription is None else self.subscription.device_ids,
        )
        self.subscription: Subscription | None = None
        self._device_callbacks: list[DeviceCallback] = []
        self._announced: set[str] = set()
        self._listen_task: asyncio.Task[None] | None = None
        self._resubscribing = False
        self._refresh_requested = False
        self._followed: frozenset[str] = frozenset()
        self._log = RateLimitedLog(_LOGGER)
        self.firmware_version: str | None = None
        self.serial_number: str | None = None
        self._generation: Generation | None = None
        self.async_add_listener(self._handle_device_list)

    def _box_view(self) -> BoxView:
        """Return what the recognitions need to know of this box."""
        return BoxView(
            entry_id=self.config_entry.entry_id,
            title=lambda: self.config_entry.title,
            devices=lambda: self.data,
            device_ids=self.devices.device_ids,
            on_unknown_device=self._refresh_for_unknown_device,
            on_recognition=self.clock.async_evaluate,
            on_person=self.people.handle,
        )

    @property
    def box_identifier(self) -> tuple[str, str]:
        """Return the device registry identifier of the box itself."""
        return self.devices.box_identifier

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
        await self.devices.async_load_texts()
        self.recognitions.recent_pictures.recount()  # and expire, every DEVICE_LIST_REFRESH
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
        """Put the box and its devices in the registry; left-out devices disabled."""
        self.devices.register(self.config_entry.title, self.data, self._chosen_keys())

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
                self.catch_up.live,
                self._handle_state,
                self._handle_reject,
                self.catch_up.connected,
            ),
            f"{DOMAIN}-listen-{self.config_entry.entry_id}",
        )

    @callback
    def _handle_state(self, state: ConnectionState) -> None:
        """Follow the push's state (each connection that proves up catches up on the gap)."""
        self.outages.handle_state(state)
        if state is ConnectionState.DISCONNECTED:
            self.catch_up.disconnected()

    async def async_stop(self, *_: Any) -> None:
        """Close the WebSocket and wait for the listener to end (cancel it if it hangs)."""
        self.catch_up.async_stop()
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
    def _handle_reject(self, _reason: str) -> None:
        """Update the counters after a rejected frame."""
        self.recognitions.async_counters_changed()

    async def async_update_box_info(self) -> None:
        """Show the box's firmware version and serial number on its device, best effort.

        The serial number also becomes the entry's unique id where it was still the address.
        """
        self.firmware_version = await self.client.async_get_firmware_version()
        self.serial_number = await self.client.async_get_serial_number()
        await self.clock.async_check()
        async_adopt_serial(self.hass, self.config_entry, self.serial_number)
        self.devices.update_box(self.firmware_version, self.serial_number)

    def _refresh_for_unknown_device(self) -> None:
        """Read the device list again (once at a time): the box named a device it lacks."""
        if not self._refresh_requested:
            self._refresh_requested = True
            self.config_entry.async_create_background_task(
                self.hass, self.async_request_refresh(), f"{DOMAIN}-refresh-devices"
            )
