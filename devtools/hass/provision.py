"""Set up a fresh or known Home Assistant: the owner through onboarding, the box, the dashboard."""

from __future__ import annotations

import asyncio

from devtools.hass.client import HassClient, SetupError, poll
from devtools.hass.dashboard import Gate, save_dashboard
from devtools.progress import say

DEV_NAME = "Developer"
DEV_USER = "dev"
DEV_PASSWORD = "dev-password"  # noqa: S105 - a local development instance's documented login
LOGIN = f"user: {DEV_USER}  password: {DEV_PASSWORD}"


async def add_box(client: HassClient, host: str, rest_port: int, ws_port: int) -> str:
    """Add the box through the config flow the UI uses (once); return its loaded entry's id."""
    entries = await client.request("GET", "/api/config/config_entries/entry?domain=sophon")
    if not entries:
        form = await client.request(
            "POST",
            "/api/config/config_entries/flow",
            {"handler": "sophon"},
        )
        if form.get("type") != "form":
            raise SetupError(f"the config flow did not show its form: {form}")
        result = await client.request(
            "POST",
            f"/api/config/config_entries/flow/{form['flow_id']}",
            {"host": host, "port": rest_port, "ws_port": ws_port},
        )
        if result.get("type") != "create_entry":
            raise SetupError(f"the config flow did not create the entry: {result}")
        say(f"added the box {host} (REST {rest_port}, push {ws_port}) through the config flow")

    async def loaded() -> str | None:
        found = await client.request("GET", "/api/config/config_entries/entry?domain=sophon")
        return next((e["entry_id"] for e in found if e["state"] == "loaded"), None)

    return await poll(loaded, "the Sophon entry to load", 60)


async def provision(
    client: HassClient, process: asyncio.subprocess.Process, rest_port: int, ws_port: int
) -> tuple[str, str, list[Gate]]:
    """Onboard the development user, add the box and write the dashboard; idempotent."""
    await client.wait_up(process)
    created = await client.onboard(DEV_NAME, DEV_USER, DEV_PASSWORD)
    say(f"{'created' if created else 'logged in as'} the user {DEV_USER!r}")
    entry_id = await add_box(client, "127.0.0.1", rest_port, ws_port)
    path, found = await save_dashboard(client, entry_id)
    say(f"dashboard {path} shows {len(found)} gate(s)")
    return entry_id, path, found
