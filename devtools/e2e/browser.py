"""Headless Chromium on Home Assistant's frontend: logging in, opening pages, reading them.

Nothing here decides whether what is shown is right: that is ui_checks.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, ViewportSize, async_playwright

from devtools.e2e.texts import TRIGGERS, ZH
from devtools.hass.provision import DEV_PASSWORD, DEV_USER

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
VIEWPORT: ViewportSize = {"width": 1280, "height": 900}
# The label of the trigger picker's "Unassigned → Devices" branch: Home Assistant's frontend text.
DEVICES_LABEL = {"en": "Devices", ZH: "设备"}
FRONTEND_READY_JS = "() => !document.getElementById('ha-launch-screen')"
FRONTEND_LANGUAGE_JS = "(lang) => document.querySelector('home-assistant')?.hass?.language === lang"
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
# The device page draws pictures as state badges' CSS backgrounds: load each one; count those
# that decode (then the badge paints from the cache).
BADGES_LOADED_JS = """
async (badges) => {
  const urls = badges
    .map((badge) => /url\\("?([^")]*)"?\\)/.exec(badge.style.backgroundImage)?.[1])
    .filter(Boolean);
  const loads = urls.map((url) => {
    const image = new Image();
    image.src = url;
    return image.decode().then(() => true, () => false);
  });
  return (await Promise.all(loads)).filter(Boolean).length;
}
"""
# One Activity line: its subject (the name in bold), the whole first line and the device below.
LOGBOOK_LINES_JS = """
(entries) => entries.map((entry) => {
  const text = (selector) =>
    (entry.querySelector(selector)?.textContent ?? "").replace(/\\s+/g, " ").trim();
  return [text(".subject"), text(".primary-text"), text(".secondary-text")];
})
"""
# The trigger picker's rows: the trigger (from its description tooltip's id) and its shown name.
PICKER_ROWS_JS = """
(rows) => rows.map((row) => [
  (row.querySelector("[id^='description-tooltip-']")?.id ?? "")
    .replace("description-tooltip-__DYNAMIC__", ""),
  Array.from(row.querySelector(".item-headline")?.childNodes ?? [])
    .filter((node) => node.nodeType === Node.TEXT_NODE)
    .map((node) => node.textContent)
    .join("")
    .trim(),
])
"""


@dataclass(frozen=True)
class Line:
    """One line of Home Assistant's Activity (logbook) as the browser shows it."""

    subject: str
    message: str
    device: str


async def settle[T](read: Callable[[], Awaitable[T]], done: Callable[[T], bool], limit: float) -> T:
    """Read until done(reading) or limit seconds have passed; return the last reading."""
    deadline = time.monotonic() + limit
    while True:
        reading = await read()
        if done(reading) or time.monotonic() > deadline:
            return reading
        await asyncio.sleep(0.25)


@contextlib.asynccontextmanager
async def browser_page() -> AsyncIterator[Page]:
    """Yield a 1280x900 page of headless Chromium; every wait on it times out after 15 s."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_FLAGS, timeout=60_000
        )
        try:
            page = await browser.new_page(viewport=VIEWPORT, locale="en-US")
            page.set_default_timeout(15_000)
            yield page
        finally:
            await browser.close()


async def log_in(page: Page, base_url: str, path: str) -> None:
    """Open a page of Home Assistant and log in through its login form."""
    await page.goto(base_url + path)
    await page.wait_for_url("**/auth/authorize**", timeout=20_000)
    await page.locator("input[name=username]").fill(DEV_USER, timeout=20_000)
    await page.locator("input[name=password]").fill(DEV_PASSWORD)
    await page.locator("input[name=password]").press("Enter")
    await page.wait_for_url(f"**{path}**", timeout=20_000)


async def open_path(page: Page, base_url: str, path: str, language: str = "en") -> None:
    """Load a page of the frontend (logged in) and wait until it runs in the given language."""
    await page.goto(base_url + path)
    await page.wait_for_function(FRONTEND_READY_JS, timeout=30_000)
    await page.wait_for_function(FRONTEND_LANGUAGE_JS, arg=language)


async def frontend_ready(page: Page) -> None:
    """Wait until the frontend has rendered (its launch screen is gone)."""
    await page.wait_for_function(FRONTEND_READY_JS, timeout=30_000)


async def screenshot(page: Page, path: Path) -> bytes:
    """Save the page as a PNG (making its folder); return the PNG."""
    path.parent.mkdir(parents=True, exist_ok=True)
    png: bytes = await page.screenshot(path=str(path))
    return png


async def text_count(page: Page, text: str) -> int:
    """Return how many elements of the page show exactly this text."""
    count: int = await page.get_by_text(text, exact=True).count()
    return count


async def faces_rendered(page: Page, faces: list[str]) -> list[bool]:
    """Wait up to 30 s for every image entity's picture; return for each whether one is drawn."""
    with contextlib.suppress(PlaywrightError):  # a timeout: the reading below tells which
        await page.wait_for_function(
            f"(ids) => ({FACES_RENDERED_JS})(ids).every(Boolean)", arg=faces, timeout=30_000
        )
    rendered: list[bool] = await page.evaluate(FACES_RENDERED_JS, faces)
    return rendered


async def device_page_loaded(page: Page, pictures: int) -> None:
    """Let the open device page's pictures (as many as given) and its Activity load."""
    badges = page.locator("ha-device-entities-card state-badge.has-image")
    await settle(lambda: badges.evaluate_all(BADGES_LOADED_JS), lambda n: n >= pictures, 10)
    entries = page.locator("ha-logbook-entry")
    await settle(entries.count, lambda n: n > 0, 10)


async def entity_rows(page: Page) -> list[str]:
    """Return the names of the entities the open device page lists."""
    rows = page.locator("ha-device-entities-card hui-generic-entity-row .info")
    names: list[str] = await rows.evaluate_all("(rows) => rows.map((row) => row.title)")
    return names


async def disabled_rows(page: Page) -> list[str]:
    """Unfold the device page's "+N disabled entities"; return the names it then lists."""
    for button in await page.locator("ha-device-entities-card button.show-more").all():
        await button.click()
    entries = page.locator("ha-device-entities-card .disabled-entry .name")
    names: list[str] = await entries.all_text_contents()
    return [name.strip() for name in names]


async def open_device(
    page: Page, base_url: str, device_id: str, language: str, rows: int
) -> list[str]:
    """Open a device's page; return its entity rows once (at least) rows are listed."""
    await open_path(page, base_url, f"/config/devices/device/{device_id}", language)
    return await settle(lambda: entity_rows(page), lambda listed: len(listed) >= rows, 15)


async def activity_lines(page: Page) -> list[Line]:
    """Return the lines the open Activity page shows."""
    entries = page.locator("ha-logbook-entry .content")
    found: list[list[str]] = await entries.evaluate_all(LOGBOOK_LINES_JS)
    return [
        Line(subject, primary.removeprefix(subject).strip(), device)
        for subject, primary, device in found
    ]


async def open_activity(page: Page, base_url: str, language: str, wanted: set[str]) -> list[Line]:
    """Open the Activity page; return its lines once every wanted message is among them."""
    await open_path(page, base_url, "/logbook", language)

    def done(lines: list[Line]) -> bool:
        return wanted <= {line.message for line in lines}

    return await settle(lambda: activity_lines(page), done, 15)


async def offered_triggers(page: Page, base_url: str, device: str, language: str) -> dict[str, str]:
    """Open New automation → Add trigger → By target → Unassigned → Devices → the device.

    Return the triggers the picker then offers: trigger (e.g. sophon.vip_recognized) → name.
    """
    await open_path(page, base_url, "/config/automation/edit/new", language)
    await page.locator("ha-automation-trigger .buttons ha-button").first.click()
    dialog = page.locator("add-automation-element-dialog")
    await dialog.locator(f'wa-tree-item[title="{DEVICES_LABEL[language]}"]').click()
    await dialog.locator(f"wa-tree-item[title={json.dumps(device)}]").click()
    rows = dialog.locator("ha-automation-add-items ha-list-item-button")
    wanted = {f"sophon.{trigger}" for trigger in TRIGGERS}

    async def read() -> dict[str, str]:
        found: list[tuple[str, str]] = await rows.evaluate_all(PICKER_ROWS_JS)
        return dict(found)

    return await settle(read, lambda offered: wanted <= offered.keys(), 10)


async def field_texts_shown(page: Page, trigger: str, name: str, description: str) -> list[int]:
    """Pick a trigger in the open picker; return how often its field's name and help are shown."""
    tooltip = page.locator(f"[id='description-tooltip-__DYNAMIC__{trigger}']")
    await page.locator("ha-automation-add-items ha-list-item-button", has=tooltip).click()
    help_text = page.get_by_text(description, exact=True)
    with contextlib.suppress(PlaywrightError):  # a timeout: the counts tell
        await help_text.first.wait_for(timeout=10_000)
    return [await text_count(page, name), await help_text.count()]
