"""The bench's Home Assistant (the test harness's, in a plain script) and its config entries."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator
from typing import Any
from unittest.mock import patch

from aiohttp.resolver import AsyncResolver
from homeassistant import loader
from homeassistant.core import HomeAssistant
from homeassistant.helpers import frame, translation
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.sophon.const import CONF_VERSION_PORT, CONF_WS_PORT, DOMAIN
from devtools.bench.simulator import LOOPBACK
from sophon_sim import BoxSimulator


@contextlib.asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """Run the test harness's Home Assistant in a temporary folder, no HTTP port, no zeroconf."""
    resolver = AsyncResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    with (
        tempfile.TemporaryDirectory(prefix="sophon-bench-") as config_dir,
        patch("homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=resolver),
        patch("homeassistant.components.http.HomeAssistantHTTP.async_bind"),
        patch("homeassistant.components.http.HomeAssistantHTTP.start"),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            frame.async_setup(hass)
            await translation.async_load_integrations(hass, {"homeassistant"})
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries(DOMAIN):
                    await hass.config_entries.async_remove(entry.entry_id)
                await hass.async_stop(force=True)


def box_entry(sim: BoxSimulator, **options: Any) -> MockConfigEntry:
    """Return a config entry for a simulated box, as the config flow would create it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{LOOPBACK}:{sim.rest_port}",
        unique_id=f"{LOOPBACK}:{sim.rest_port}",
        data={
            "host": LOOPBACK,
            "port": sim.rest_port,
            CONF_WS_PORT: sim.ws_port,
            CONF_VERSION_PORT: sim.version_port,
        },
        options=options,
    )
