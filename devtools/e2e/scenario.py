"""End to end: a real hass and the simulator, through onboarding, the REST API and a browser.

In the browser: the dashboard, a gate's device page (its entities, the camera disabled), the
Activity panel (one line per recognition), the automation editor's trigger picker; then the same
in zh-Hans after switching the system's and the user's language. Saves docs/screenshots/*.png.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from pathlib import Path

import aiohttp

from devtools import REPO
from devtools.deprecations import deprecations
from devtools.e2e.api_checks import check_recognition
from devtools.e2e.checks import CAUGHT, Checks
from devtools.e2e.config import prepare
from devtools.e2e.context import Pushed, Run
from devtools.e2e.ui_checks import browser_checks
from devtools.hass.client import HassClient
from devtools.hass.dashboard import Gate, save_dashboard
from devtools.hass.process import free_port, start_hass, stop_hass
from devtools.hass.provision import DEV_NAME, DEV_PASSWORD, DEV_USER, add_box
from sophon_sim import BoxSimulator, PersonType

DEVICES = 4
# The Home Assistant the e2e must run: the newest release.
NEWEST = (REPO / "requirements" / "e2e-ha.txt").read_text(encoding="utf-8").split("==")[-1].strip()
# The other gates get these, so the screenshot shows a face at every gate.
OTHER_PERSON_TYPES = (PersonType.EMPLOYEE, PersonType.STRANGER, PersonType.BLACKLIST)


async def set_up(
    checks: Checks, client: HassClient, sim: BoxSimulator, process: asyncio.subprocess.Process
) -> tuple[str, str, list[Gate], list[Pushed]]:
    """Onboard, add the box, write the dashboard, push a recognition at every gate; check one."""
    await checks.step(f"hass answers on {client.base_url}", client.wait_up(process, 180))
    created = await checks.step(
        "onboarding created the user over HTTP",
        client.onboard(DEV_NAME, DEV_USER, DEV_PASSWORD),
    )
    checks.check(created, "the user is new (fresh configuration)")
    version = (await client.request("GET", "/api/config"))["version"]
    checks.check(
        version == NEWEST,
        f"Home Assistant {version} (requirements/e2e-ha.txt: the newest release, {NEWEST})",
    )
    entry_id = await checks.step(
        "the config flow added the box and the entry loaded",
        add_box(client, "127.0.0.1", sim.rest_port, sim.ws_port),
    )
    await checks.step(
        "the integration subscribed to the box's push",
        sim.wait_for_subscription(timeout=30),
    )
    path, gates = await checks.step("the dashboard was created", save_dashboard(client, entry_id))
    checks.check(len(gates) == DEVICES, f"the dashboard shows {DEVICES} gates")
    names = {device.name: device.device_id for device in sim.devices}
    pushed = [
        Pushed(gate, person_type, await sim.push_event(names[gate.name], person_type=person_type))
        for gate, person_type in zip(gates[1:], OTHER_PERSON_TYPES, strict=False)
    ]
    pushed.append(await check_recognition(checks, client, sim, gates[0], names[gates[0].name]))
    return entry_id, path, gates, pushed


async def scenario(checks: Checks, work: Path) -> None:
    """Run every check against one Home Assistant and one simulated box."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    prepare(work / "config", port)
    output = (work / "hass.out").open("wb")
    async with (
        BoxSimulator(DEVICES, rest_port=0, ws_port=0, seed=1) as sim,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        process = await start_hass(work / "config", output)
        client = HassClient(session, base_url)
        try:
            entry_id, path, gates, pushed = await set_up(checks, client, sim, process)
            run = Run(client, sim, base_url, entry_id, path, gates, pushed)
            await browser_checks(checks, run)
        finally:
            await client.close()
            code = await stop_hass(process)
            checks.check(code == 0, "hass stopped cleanly on SIGTERM", f"exit code {code}")
            output.close()
            log = (work / "hass.out").read_text(encoding="utf-8", errors="replace")
            warned = deprecations(log.splitlines())
            checks.check(
                not warned,
                "Home Assistant logged no deprecation naming this integration",
                " | ".join(warned[:3]),
            )


async def run() -> int:
    """Run the scenario in a temporary folder; print the summary line; return the exit status."""
    checks = Checks()
    work = Path(tempfile.mkdtemp(prefix="sophon-e2e-"))
    try:
        async with asyncio.timeout(float(os.environ.get("SOPHON_E2E_TIMEOUT", "300"))):
            await scenario(checks, work)
    except Exception as err:  # noqa: BLE001 - whatever broke, the summary line must follow
        if not checks.failed or not isinstance(err, CAUGHT):
            checks.check(ok=False, what="the run finished", detail=f"{type(err).__name__}: {err}")
    finally:
        if checks.failed:
            log = work / "hass.out"
            print(f"[e2e] Home Assistant's output (last 40 lines of {log}):")
            lines = (
                log.read_text(encoding="utf-8", errors="replace").splitlines()
                if log.exists()
                else []
            )
            print("\n".join(lines[-40:]))
        else:
            shutil.rmtree(work, ignore_errors=True)
    print(f"e2e: {checks.passed} passed, {checks.failed} failed")
    return 1 if checks.failed else 0


def main() -> int:
    """Run the end-to-end test (scripts/e2e)."""
    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
