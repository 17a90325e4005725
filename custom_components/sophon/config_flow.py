"""Config, reconfigure and options flows for a Sophon box."""

from __future__ import annotations

from typing import Any

from homeassistant.config_entries import ConfigEntryState, ConfigFlow, ConfigFlowResult
from homeassistant.const import CONF_HOST, CONF_PORT
from homeassistant.core import callback
from homeassistant.helpers import selector
from homeassistant.helpers.aiohttp_client import async_get_clientsession
from yarl import URL

from .api import (
    DEFAULT_PORT,
    DEFAULT_WS_PORT,
    BoxClient,
    SophonBoxStartingError,
    SophonConnectionError,
    SophonResponseError,
)
from .compat import OptionsFlowBase, vol
from .const import CONF_DEVICES, CONF_NEED_FACE, CONF_NEED_REGISTER, CONF_WS_PORT, DOMAIN
from .coordinator import SophonConfigEntry

PORT_SELECTOR = selector.NumberSelector(
    selector.NumberSelectorConfig(min=1, max=65535, mode=selector.NumberSelectorMode.BOX)
)


def _box_schema(defaults: dict[str, Any]) -> vol.Schema:
    """Return the form asking where the box is."""
    return vol.Schema(
        {
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


class SophonConfigFlow(ConfigFlow, domain=DOMAIN):
    """Add a Sophon box from the UI."""

    VERSION = 1

    async def _async_check_box(self, data: dict[str, Any]) -> dict[str, str]:
        """Read the box's device list; return the form errors."""
        client = BoxClient(
            host=data[CONF_HOST],
            port=data[CONF_PORT],
            ws_port=data[CONF_WS_PORT],
            session=async_get_clientsession(self.hass),
        )
        try:
            URL.build(scheme="http", host=data[CONF_HOST])
        except ValueError:  # not a host name or address, e.g. "http://…" or "host:port"
            return {CONF_HOST: "invalid_host"}
        try:
            devices = await client.async_get_devices()
        except SophonConnectionError:
            return {"base": "cannot_connect"}
        except SophonBoxStartingError:
            return {"base": "box_starting"}
        except SophonResponseError:
            return {"base": "invalid_response"}
        return {} if devices else {"base": "no_devices"}

    async def async_step_user(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Ask for the box's address and check that it answers with its devices."""
        errors: dict[str, str] = {}
        if user_input is not None:
            data = _normalize(user_input)
            await self.async_set_unique_id(f"{data[CONF_HOST]}:{data[CONF_PORT]}")
            self._abort_if_unique_id_configured()
            errors = await self._async_check_box(data)
            if not errors:
                return self.async_create_entry(title=data[CONF_HOST], data=data)
        return self.async_show_form(
            step_id="user",
            data_schema=self.add_suggested_values_to_schema(_box_schema({}), user_input),
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
            await self.async_set_unique_id(f"{data[CONF_HOST]}:{data[CONF_PORT]}")
            if self.unique_id != entry.unique_id:
                self._abort_if_unique_id_configured()
            errors = await self._async_check_box(data)
            if not errors:
                # A title the user chose is kept; the default one follows the host.
                title = data[CONF_HOST] if entry.title == entry.data[CONF_HOST] else entry.title
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
    """Choose which devices to follow and which pictures to receive."""

    async def async_step_init(self, user_input: dict[str, Any] | None = None) -> ConfigFlowResult:
        """Show the devices of the box and the picture switches."""
        entry: SophonConfigEntry = self.config_entry
        if entry.state is not ConfigEntryState.LOADED:
            return self.async_abort(reason="not_loaded")
        coordinator = entry.runtime_data
        if user_input is not None:
            if set(user_input[CONF_DEVICES]) >= set(coordinator.data):
                # Everything chosen means every device, including those added to the box later.
                user_input = {k: v for k, v in user_input.items() if k != CONF_DEVICES}
            return self.async_create_entry(data=user_input)
        choices = [
            selector.SelectOptionDict(value=device_id, label=device.name or device_id)
            for device_id, device in coordinator.data.items()
        ]
        options = entry.options
        choices_ids = set(coordinator.data)
        schema = vol.Schema(
            {
                vol.Required(
                    CONF_DEVICES,
                    default=[
                        d for d in options.get(CONF_DEVICES, coordinator.data) if d in choices_ids
                    ],
                ): selector.SelectSelector(
                    selector.SelectSelectorConfig(options=choices, multiple=True)
                ),
                vol.Required(CONF_NEED_FACE, default=options.get(CONF_NEED_FACE, True)): bool,
                vol.Required(
                    CONF_NEED_REGISTER, default=options.get(CONF_NEED_REGISTER, True)
                ): bool,
            }
        )
        return self.async_show_form(step_id="init", data_schema=schema)
