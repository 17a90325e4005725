"""End to end: a real hass and the simulator, through onboarding, the REST API and a browser."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable
from pathlib import Path

import aiohttp
from dev_instance import (
    DEV_NAME,
    DEV_PASSWORD,
    DEV_USER,
    REPO,
    Gate,
    HassClient,
    SetupError,
    add_box,
    free_port,
    poll,
    prepare_config,
    save_dashboard,
    start_hass,
    stop_hass,
)
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, async_playwright

from sophon_sim import BoxSimulator, PersonKind

SCREENSHOT = REPO / "docs" / "screenshots" / "dashboard.png"
CHROMIUM = os.environ.get("SOPHON_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DEVICES = 4
# What a failed step raises: recorded as that step's failure.
CAUGHT = (SetupError, TimeoutError, aiohttp.ClientError, OSError, PlaywrightError)
# The other gates get these, so the screenshot shows a face at every gate.
OTHER_KINDS = (PersonKind.EMPLOYEE, PersonKind.STRANGER, PersonKind.BLACKLIST)
# Find every <img> through the shadow roots; tell for each image entity whether one showing it
# (its src is the entity's /api/image_proxy URL) has loaded a picture.
FACES_RENDERED_JS = """
(entityIds) => {
  const images = [];
  const walk = (root) => {
    for (const element of root.querySelectorAll("*")) {
      if (element.tagName === "IMG") images.push(element);
      if (element.shadowRoot) walk(element.shadowRoot);
    }
  };
  walk(document);
  return entityIds.map((id) => images.some((img) =>
    img.src.includes("/api/image_proxy/" + id) && img.complete && img.naturalWidth > 0));
}
"""


class Checks:
    """Count named checks and print each one's outcome as it is made."""

    def __init__(self) -> None:
        """Start with no checks."""
        self.passed = 0
        self.failed = 0
        self.started = time.monotonic()

    def check(self, ok: bool, what: str, detail: str = "") -> bool:
        """Record one check; return its outcome."""
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        elapsed = time.monotonic() - self.started
        suffix = f": {detail}" if detail and not ok else ""
        print(f"[e2e {elapsed:5.1f}s] {'PASS' if ok else 'FAIL'} {what}{suffix}", flush=True)
        return ok

    async def step[T](self, what: str, action: Awaitable[T]) -> T:
        """Run one step that later steps need; record it, and let a failure end the run."""
        try:
            result = await action
        except CAUGHT as err:
            self.check(ok=False, what=what, detail=f"{type(err).__name__}: {err}")
            raise
        self.check(ok=True, what=what)
        return result


async def wait_state(client: HassClient, entity_id: str, wanted: str, limit: float) -> str:
    """Wait until an entity has the wanted state; return the last state seen."""
    last = {"state": "(none)"}

    async def probe() -> str | None:
        state = await client.state(entity_id)
        last["state"] = state["state"] if state else "(none)"
        return last["state"] if last["state"] == wanted else None

    try:
        return await poll(probe, f"{entity_id} to become {wanted!r}", limit)
    except SetupError:
        return last["state"]


async def check_recognition(
    checks: Checks, client: HassClient, sim: BoxSimulator, gate: Gate, device_id: str
) -> None:
    """Push one VIP recognition and read it back through Home Assistant's REST API."""
    frame = await sim.push_event(device_id, kind=PersonKind.VIP)
    name, score = frame["identity_name"], float(frame["score"])
    identity = await wait_state(client, gate.entities["identity"], name, 20)
    checks.check(identity == name, f"last identity is the pushed {name!r}", f"got {identity!r}")
    state = await client.state(gate.entities["identity"]) or {}
    attributes = state.get("attributes", {})
    checks.check(
        attributes.get("identity_id") == frame["identity_id"] and attributes.get("score") == score,
        "identity attributes carry the pushed identity_id and score",
        f"got {attributes.get('identity_id')!r}, {attributes.get('score')!r}",
    )
    person_type = await wait_state(client, gate.entities["person_type"], "vip", 5)
    checks.check(person_type == "vip", "person type is vip", f"got {person_type!r}")
    shown = await wait_state(client, gate.entities["score"], str(round(score * 100, 2)), 5)
    checks.check(
        shown == str(round(score * 100, 2)),
        f"last score is {score * 100:.2f} %",
        f"got {shown!r}",
    )
    sent = sim.images_of(frame["event_id"])["face"]
    status, body, content_type = await client.get_bytes(f"/api/image_proxy/{gate.entities['face']}")
    checks.check(
        status == 200 and content_type == "image/jpeg",  # noqa: PLR2004
        "image_proxy serves the face as image/jpeg",
        f"HTTP {status}, {content_type}",
    )
    checks.check(
        body == sent,
        f"image_proxy's face is byte for byte the one sent ({len(sent)} bytes)",
        f"got {len(body)} bytes",
    )


async def log_in(page: Page, base_url: str, path: str) -> None:
    """Open a page of Home Assistant and log in through its login form."""
    await page.goto(base_url + path)
    await page.wait_for_url("**/auth/authorize**", timeout=20_000)
    await page.locator("input[name=username]").fill(DEV_USER, timeout=20_000)
    await page.locator("input[name=password]").fill(DEV_PASSWORD)
    await page.locator("input[name=password]").press("Enter")
    await page.wait_for_url(f"**{path}**", timeout=20_000)


async def check_dashboard(checks: Checks, base_url: str, path: str, faces: list[str]) -> None:
    """Open the dashboard in headless Chromium, check the faces are drawn, save a screenshot."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=60_000
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 900})
            await checks.step("logged in through the login form", log_in(page, base_url, path))
            await checks.step(
                "the frontend rendered (launch screen gone)",
                page.wait_for_function(
                    "() => !document.getElementById('ha-launch-screen')", timeout=30_000
                ),
            )
            with contextlib.suppress(PlaywrightError):  # a timeout: the check below tells which
                await page.wait_for_function(
                    f"(ids) => ({FACES_RENDERED_JS})(ids).every(Boolean)", arg=faces, timeout=30_000
                )
            rendered: list[bool] = await page.evaluate(FACES_RENDERED_JS, faces)
            checks.check(
                all(rendered),
                f"the dashboard shows the face of every gate ({len(faces)} <img> loaded)",
                f"loaded: {dict(zip(faces, rendered, strict=True))}",
            )
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            png = await page.screenshot(path=str(SCREENSHOT))
            size = (int.from_bytes(png[16:20]), int.from_bytes(png[20:24]))
            checks.check(
                png.startswith(b"\x89PNG") and size == (1280, 900),
                f"screenshot saved: {SCREENSHOT.relative_to(REPO)}",
                f"{len(png)} bytes, {size[0]}x{size[1]}",
            )
        finally:
            await browser.close()


async def scenario(checks: Checks, work: Path) -> None:
    """Run every check against one Home Assistant and one simulated box."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    prepare_config(work / "config", port)
    output = (work / "hass.out").open("wb")
    async with (
        BoxSimulator(DEVICES, rest_port=0, ws_port=0, seed=1) as sim,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session,
    ):
        process = await start_hass(work / "config", output)
        client = HassClient(session, base_url)
        try:
            await checks.step(f"hass answers on {base_url}", client.wait_up(process, 180))
            created = await checks.step(
                "onboarding created the user over HTTP",
                client.onboard(DEV_NAME, DEV_USER, DEV_PASSWORD),
            )
            checks.check(created, "the user is new (fresh configuration)")
            entry_id = await checks.step(
                "the config flow added the box and the entry loaded",
                add_box(client, "127.0.0.1", sim.rest_port, sim.ws_port),
            )
            await checks.step(
                "the integration subscribed to the box's push",
                sim.wait_for_subscription(timeout=30),
            )
            path, gates = await checks.step(
                "the dashboard was created", save_dashboard(client, entry_id)
            )
            checks.check(len(gates) == DEVICES, f"the dashboard shows {DEVICES} gates")
            names = {device.name: device.device_id for device in sim.devices}
            for gate, kind in zip(gates[1:], OTHER_KINDS, strict=False):
                await sim.push_event(names[gate.name], kind=kind)
            await check_recognition(checks, client, sim, gates[0], names[gates[0].name])
            await client.close()
            await check_dashboard(checks, base_url, path, [gate.entities["face"] for gate in gates])
        finally:
            await client.close()
            code = await stop_hass(process)
            checks.check(code == 0, "hass stopped cleanly on SIGTERM", f"exit code {code}")
            output.close()


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
