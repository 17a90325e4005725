"""Config, reconfigure and options flows for a Sophon box."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_NAME, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from homeassistant.helpers.service_info.dhcp import DhcpServiceInfo
from yarl import URL

from .api import (
    DEFAULT_PORT,
    DEFAULT_VERSION_PORT,
    DEFAULT_WS_PORT,
    BoxClient,
    Device,
    SophonBoxStartingError,
    SophonConnectionError,
    SophonError,
    SophonResponseError,
    canonical_device_id,
)
from .compat import OptionsFlowBase, vol
from .const import (
    CONF_CATCH_UP_HOURS,
    CONF_DEVICES,
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    CONF_PEOPLE,
    CONF_STALE_MINUTES,
    CONF_WS_PORT,
    DEFAULT_CATCH_UP_HOURS,
    DEFAULT_STALE_MINUTES,
    DOMAIN,
    MAX_CATCH_UP_HOURS,
)
from .coordinator import SophonConfigEntry
from .identity import box_unique_id, reconfigured_unique_id
from .migration import CURRENT_VERSION
from .people_options import async_people_form

# Where the flow asks a box for its serial number: the system port every box uses (not asked).
SYSTEM_PORT = DEFAULT_VERSION_PORT
# Where a box found on the network is asked for its devices and pushes: every box's stock ports.
DISCOVERY_PORT = DEFAULT_PORT
DISCOVERY_WS_PORT = DEFAULT_WS_PORT
# A box asks for its address while it boots, before its API is up: it is asked for two minutes.
DISCOVERY_ATTEMPTS = 13
DISCOVERY_RETRY_SECONDS = 10.0
PORT_SELECTOR = selector.NumberSelector(
    selector.NumberSelectorConfig(min=1, max=65535, mode=selector.NumberSelectorMode.BOX)
)
# Up to a day of silence before the push is reopened; 0 never reopens it.
CATCH_UP_SELECTOR = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=0,
        max=MAX_CATCH_UP_HOURS,
        step=1,
        unit_of_measurement="h",
        mode=selector.NumberSelectorMode.BOX,
    )
)
STALE_SELECTOR = selector.NumberSelector(
    selector.NumberSelectorConfig(
        min=0,
        max=1440,
        step=1,
        unit_of_measurement="min",
        mode=selector.NumberSelectorMode.BOX,
    )
)


# The title of a box that has no name of its own (none typed, none or a stock one on the box).
DEFAULT_NAME = "Sophon box"
# Host names the stock system gives every box: they tell one box from another no better.
STOCK_HOSTNAMES = frozenset({"bm1684", "sophon", "localhost", "linaro-alip", "se5", "se6"})


def box_title(name: str | None, hostname: str | None) -> str:
    """Return what a person reads as the box's name: the one typed, the box's own, or a default.

    hostname: what the box calls itself (api section 4), unless it is a stock name.
    """
    if name and (name := name.strip()):
        return name
    if hostname and hostname.lower() not in STOCK_HOSTNAMES:
        return hostname
    return DEFAULT_NAME


def _box_schema(defaults: dict[str, Any], *, with_name: bool = False) -> vol.Schema:
    """Return the form asking where the box is (and, when adding it, its name)."""
    name = {vol.Optional(CONF_NAME): str} if with_name else {}
    return vol.Schema(
        {
            **name,
            vol.Required(CONF_HOST, default=defaults.get(CONF_HOST, vol.UNDEFINED)): str,
            vol.Required(CONF_PORT, default=defaults.get(CONF_PORT, DEFAULT_PORT)): PORT_SELECTOR,
            vol.Required(
                CONF_WS_PORT, default=defaults.get(CONF_WS_PORT, DEFAULT_WS_PORT)
            ): PORT_SELECTOR,
        }
    )


def _normalize(user_input: dict[str, Any]) -> dict[str, Any]:
    """Return the entry data: a trimmed host and whole-number ports."""
    return {
        CONF_HOST: user_input[CONF_HOST].strip(),
        CONF_PORT: int(user_input[CONF_PORT]),
        CONF_WS_PORT: int(user_input[CONF_WS_PORT]),
    }


async def _async_box_errors(client: BoxClient) -> dict[str, str] | None:
    """Read the box's devices and open its push port; return the form errors, or None."""
    try:
        devices = await client.async_get_devices()
    except SophonConnectionError:
        return {"base": "cannot_connect"}
    except SophonBoxStartingError:
        return {"base": "box_starting"}
    except SophonResponseError:
        return {"base": "invalid_response"}
    if not devices:
        return {"base": "no_devices"}
    try:
        await client.async_check_push()
    except SophonConnectionError:
        return {CONF_WS_PORT: "cannot_connect_push"}
    return None


async def _async_answers_a_device_list(client: BoxClient) -> bool:
    """Return True when the address answers a device list (either generation; none is one too).

    Nothing listening, or a box still starting, is asked again a while; another answer is final.
    """
    for attempt in range(DISCOVERY_ATTEMPTS):
        if attempt:
            await asyncio.sleep(DISCOVERY_RETRY_SECONDS)
        try:
            await client.async_get_devices()
        except (SophonConnectionError, SophonBoxStartingError):
            continue
        except SophonError:
            return False
        return True
    return False


def _settings_schema(devices: dict[str, Device], options: Mapping[str, Any]) -> vol.Schema:
    """Return the form of the recognitions to receive, with what the options choose now."""
    choices = [
        selector.SelectOptionDict(value=device.device_id, label=device.name or device.device_id)
        for device in devices.values()
    ]
    # Offered as the device list gives the ids now; chosen ones compared in canonical form.
    chosen = map(canonical_device_id, options.get(CONF_DEVICES, devices))
    default = [devices[key].device_id for key in chosen if key in devices]
    return vol.Schema(
        {
            vol.Required(CONF_DEVICES, default=default): selector.SelectSelector(
                selector.SelectSelectorConfig(options=choices, multiple=True)
            ),
            vol.Required(CONF_NEED_FACE, default=options.get(CONF_NEED_FACE, True)): bool,
            vol.Required(CONF_NEED_REGISTER, default=options.get(CONF_NEED_REGISTER, True)): bool,
            vol.Required(
                CONF_STALE_MINUTES,
                default=options.get(CONF_STALE_MINUTES, DEFAULT_STALE_MINUTES),
            ): STALE_SELECTOR,
            vol.Required(
                CONF_CATCH_UP_HOURS,
                default=options.get(CONF_CATCH_UP_HOURS, DEFAULT_CATCH_UP_HOURS),
            ): CATCH_UP_SELECTOR,
        }
    )


class SophonConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Sophon box from the UI."""

    VERSION = CURRENT_VERSION
    _hostname: str | None = None
    _discovered: dict[str, Any]

    def _client(self, data: dict[str, Any]) -> BoxClient:
        """Return a client for the box at the address in data, on Home Assistant's session."""
        return BoxClient(
            host=data[CONF_HOST],
            port=data[CONF_PORT],
            ws_port=data[CONF_WS_PORT],
            version_port=SYSTEM_PORT,
            session=async_get_clientsession(self.hass),
        )

    async def _async_check_box(self, data: dict[str, Any]) -> tuple[dict[str, str], str | None]:
        """Check the address and the box there; return the form errors and its serial number."""
        try:
            URL.build(scheme="http", host=data[CONF_HOST])
        except ValueError:  # not a host name or address, e.g. "http://…" or "host:port"
            return {CONF_HOST: "invalid_host"}, None
        client = self._client(data)
        if (errors := await _async_box_errors(client)) is not None:
            return errors, None
        self._hostname = await client.async_get_hostname()
        return {}, await client.async_get_serial_number()

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the box's address and check that it answers with its devices."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalize(user_input)
            self._async_abort_entries_match(
                {CONF_HOST: data[CONF_HOST], CONF_PORT: data[CONF_PORT]}
            )
            errors, serial = await self._async_check_box(data)
            if not errors:
                # The same box (by serial number) at a new address: follow it there. A discovery
                # of this box in progress gives way (it is aborted once this entry is created).
                await self.async_set_unique_id(
                    box_unique_id(serial, data[CONF_HOST], data[CONF_PORT]),
                    raise_on_progress=False,
                )
                self._abort_if_unique_id_configured(updates=data)
                title = box_title(user_input.get(CONF_NAME), self._hostname)
                return self.async_create_entry(title=title, data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(
                _box_schema({}, with_name=True), user_input
            ),
            errors=errors,
        )

    async def async_step_dhcp(self, discovery_info: DhcpServiceInfo) -> ConfigFlowResult:
        """Check that a Bitmain address (MAC or stock host name) is a Sophon box; offer it.

        A box already added follows its new address without a question (its entry reloads);
        anything that does not answer with a device list, a miner say, is never offered.
        """
        data: dict[str, Any] = {
            CONF_HOST: discovery_info.ip,
            CONF_PORT: DISCOVERY_PORT,
            CONF_WS_PORT: DISCOVERY_WS_PORT,
        }
        self._async_abort_entries_match({CONF_HOST: data[CONF_HOST]})
        client = self._client(data)
        if not await _async_answers_a_device_list(client):
            return self.async_abort(reason="not_sophon_box")
        serial = await client.async_get_serial_number()
        self._hostname = await client.async_get_hostname()
        await self.async_set_unique_id(box_unique_id(serial, data[CONF_HOST], data[CONF_PORT]))
        # Reloads the entry when its address changed: on 2025.4 the entry's update listener
        # reloads after an options change only, and 2026 versions add none (ha-compat.md 1).
        self._abort_if_unique_id_configured(updates={CONF_HOST: data[CONF_HOST]})
        self._discovered = data
        self.context["title_placeholders"] = {"name": box_title(None, self._hostname)}
        return await self.async_step_discovery_confirm()

    async def async_step_discovery_confirm(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Ask the user to add the box found; check it again (devices, push) when they do."""
        errors: dict[str, str] = {}
        if user_input is not None:
            errors, _serial = await self._async_check_box(self._discovered)
            if not errors:
                title = box_title(None, self._hostname)
                return self.async_create_entry(title=title, data=self._discovered)
            errors = {"base": next(iter(errors.values()))}  # the form has no fields
        self._set_confirm_only()
        return self.async_show_form(
            step_id="discovery_confirm",
            description_placeholders={
                "name": box_title(None, self._hostname),
                CONF_HOST: self._discovered[CONF_HOST],
            },
            errors=errors,
        )

    async def async_step_reconfigure(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Change the address or ports of a box already added."""
        entry = self._get_reconfigure_entry()
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalize(user_input)
            errors, serial = await self._async_check_box(data)
            if not errors:
                if (unique_id := reconfigured_unique_id(entry, serial, data)) is None:
                    return self.async_abort(reason="another_box")
                await self.async_set_unique_id(unique_id)
                if unique_id != entry.unique_id:
                    self._abort_if_unique_id_configured()
                # A name the user chose is kept; one that was the address becomes a real one.
                title = entry.title
                if title == entry.data[CONF_HOST]:
                    title = box_title(None, self._hostname)
                return self.async_update_reload_and_abort(
                    entry, unique_id=self.unique_id, title=title, data_updates=data
                )
        return self.async_show_form(
            step_id="reconfigure",
            data_schema=_box_schema(user_input or dict(entry.data)),
            errors=errors,
        )

    @staticmethod
    @callback
    def async_get_options_flow(config_entry: SophonConfigEntry) -> SophonOptionsFlow:  # noqa: ARG004
        """Return the options flow."""
        return SophonOptionsFlow()


class SophonOptionsFlow(OptionsFlowBase):
    """Choose which devices and people to follow and which pictures to receive."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:  # noqa: ARG002
        """Offer the two parts of the options: recognitions to receive, people to follow."""
        if self.config_entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        return self.async_show_menu(step_id="init", menu_options=["settings", "people"])

    async def async_step_people(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Choose people of the box's face library to follow (see followed_people.py)."""
        entry: SophonConfigEntry = self.config_entry
        if user_input is not None:
            return self.async_create_entry(data={**entry.options, **user_input})
        return await async_people_form(self, entry)

    async def async_step_settings(
        self, user_input: dict[str, Any] | None = None
    ) -> ConfigFlowResult:
        """Show the devices of the box and the picture switches."""
        entry: SophonConfigEntry = self.config_entry
        coordinator = entry.runtime_data
        if user_input is not None:
            if CONF_PEOPLE in entry.options:
                user_input = {CONF_PEOPLE: entry.options[CONF_PEOPLE], **user_input}
            if {canonical_device_id(d) for d in user_input[CONF_DEVICES]} >= set(coordinator.data):
                # Everything chosen means every device, including those added to the box later.
                user_input = {k: v for k, v in user_input.items() if k != CONF_DEVICES}
            for key in (CONF_STALE_MINUTES, CONF_CATCH_UP_HOURS):
                if key in user_input:  # the number selector gives a float
                    user_input[key] = int(user_input[key])
            return self.async_create_entry(data=user_input)
        schema = _settings_schema(coordinator.data, entry.options)
        return self.async_show_form(step_id="settings", data_schema=schema)
