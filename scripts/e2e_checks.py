"""End to end: a real hass and the simulator, through onboarding, the REST API and a browser.

In the browser: the dashboard, a gate's device page (its entities, the camera disabled), the
Activity panel (one line per recognition), the automation editor's trigger picker; then the same
in zh-Hans after switching the system's and the user's language. Saves docs/screenshots/*.png.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
from playwright.async_api import Page, ViewportSize, async_playwright

from sophon_sim import BoxSimulator, PersonKind

SCREENSHOT = REPO / "docs" / "screenshots" / "dashboard.png"
DEVICE_SCREENSHOT = REPO / "docs" / "screenshots" / "device.png"
TRANSLATIONS = REPO / "custom_components" / "sophon" / "translations"
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
DEVICES = 4
ZH = "zh-Hans"
# What a failed step raises: recorded as that step's failure.
CAUGHT = (SetupError, TimeoutError, aiohttp.ClientError, OSError, PlaywrightError)
# The other gates get these, so the screenshot shows a face at every gate.
OTHER_KINDS = (PersonKind.EMPLOYEE, PersonKind.STRANGER, PersonKind.BLACKLIST)
# The README's advice against Home Assistant's own state-change lines in the Activity panel,
# written into the e2e's configuration.yaml only: scripts/develop keeps every line to look at.
LOGBOOK_EXCLUDE = """logbook:
  exclude:
    entity_globs:
      - sensor.*_last_identity
      - sensor.*_person_type
      - sensor.*_last_seen
      - event.*_recognition"""
# The sensors whose state-change lines that exclude hides.
EXCLUDED_SENSORS = ("last_identity", "person_type", "last_seen")
# The entities a gate's device page lists (platform, translation key); the camera is disabled.
SHOWN_ENTITIES = (
    ("image", "last_face"),
    ("image", "last_scene"),
    ("image", "registered_photo"),
    ("sensor", "last_identity"),
    ("sensor", "last_score"),
    ("sensor", "person_type"),
    ("sensor", "last_seen"),
    ("event", "recognition"),
)
CAMERA = ("camera", "last_face_camera")
# The device model's translation key of each simulated device type (protocol_v1.DEVICE_TYPES).
MODEL_KEYS = {"0": "gate", "1": "snapshot_camera", "3": "ipc", "4": "access_control"}
TRIGGERS = (
    "vip_recognized",
    "blacklist_recognized",
    "stranger_detected",
    "employee_recognized",
    "visitor_recognized",
    "anyone_recognized",
)
# The label of the trigger picker's "Unassigned → Devices" branch: Home Assistant's frontend text.
DEVICES_LABEL = {"en": "Devices", ZH: "设备"}
# What the profile page saves as the user's language (frontend/set_user_data, key "language").
USER_LOCALE = {
    "number_format": "language",
    "time_format": "language",
    "date_format": "language",
    "time_zone": "local",
    "first_weekday": "language",
}
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

    async def guard(self, what: str, action: Awaitable[None]) -> None:
        """Run a group of checks; if it breaks off, record that as a failure and go on."""
        try:
            await action
        except CAUGHT as err:
            self.check(ok=False, what=what, detail=f"{type(err).__name__}: {err}")


@dataclass(frozen=True)
class Pushed:
    """One recognition pushed by the simulated box."""

    gate: Gate
    kind: PersonKind
    frame: dict[str, Any]


@dataclass(frozen=True)
class Target:
    """The gate whose device page the browser checks."""

    gate: Gate
    device_id: str  # Home Assistant's
    sim_id: str  # the box's
    model_key: str  # the translation key of its model


@dataclass(frozen=True)
class Line:
    """One line of Home Assistant's Activity (logbook) as the browser shows it."""

    subject: str
    message: str
    device: str


@functools.cache
def texts(language: str) -> dict[str, Any]:
    """Return the integration's translations (translations/<language>.json)."""
    document: dict[str, Any] = json.loads(
        (TRANSLATIONS / f"{language}.json").read_text(encoding="utf-8")
    )
    return document


def entity_name(language: str, key: tuple[str, str]) -> str:
    """Return an entity's translated name, e.g. ("image", "last_face") → "Last face"."""
    platform, translation_key = key
    name: str = texts(language)["entity"][platform][translation_key]["name"]
    return name


def activity_line(language: str, pushed: Pushed) -> tuple[str, str]:
    """Return who and what the integration's Activity line for a recognition should say."""
    common = texts(language)["common"]
    where = pushed.gate.name
    if pushed.kind is PersonKind.STRANGER:
        who = common["logbook_stranger_name"]
        return who, common["logbook_stranger"].format(name=who, device=where)
    label = texts(language)["entity"]["sensor"]["person_type"]["state"][pushed.kind.name.lower()]
    score = f"{float(pushed.frame['score']) * 100:.0f}"
    who = pushed.frame["identity_name"]
    message = common["logbook_recognized_score"].format(
        name=who, person_type=label, device=where, score=score
    )
    return who, message


def exclude_state_lines(config_dir: Path) -> None:
    """Put the README's logbook exclude into configuration.yaml in place of a bare logbook:."""
    path = config_dir / "configuration.yaml"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines = [LOGBOOK_EXCLUDE if line == "logbook:" else line for line in lines]
    if LOGBOOK_EXCLUDE not in lines:
        lines.append(LOGBOOK_EXCLUDE)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def settle[T](read: Callable[[], Awaitable[T]], done: Callable[[T], bool], limit: float) -> T:
    """Read until done(reading) or limit seconds have passed; return the last reading."""
    deadline = time.monotonic() + limit
    while True:
        reading = await read()
        if done(reading) or time.monotonic() > deadline:
            return reading
        await asyncio.sleep(0.25)


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
) -> Pushed:
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
    return Pushed(gate, PersonKind.VIP, frame)


async def device_ids(client: HassClient) -> dict[str, str]:
    """Return Home Assistant's device id of each device, by name."""
    devices = await client.ws("config/device_registry/list")
    return {device["name_by_user"] or device["name"]: device["id"] for device in devices}


async def switch_language(
    client: HassClient, sim: BoxSimulator, entry_id: str, language: str
) -> None:
    """Set the system's and the user's language, then reload the entry so it reads its texts."""
    await client.ws("config/core/update", language=language)
    await client.ws(
        "frontend/set_user_data", key="language", value={"language": language, **USER_LOCALE}
    )
    subscribed = len(sim.subscriptions)
    await client.request("POST", f"/api/config/config_entries/entry/{entry_id}/reload")
    await add_box(client, "127.0.0.1", sim.rest_port, sim.ws_port)  # waits for it to load
    await sim.wait_for_subscription(subscribed + 1, timeout=30)


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


async def save_screenshot(checks: Checks, page: Page, path: Path) -> None:
    """Save the page as a PNG of the viewport's size and check it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    png = await page.screenshot(path=str(path))
    size = (int.from_bytes(png[16:20]), int.from_bytes(png[20:24]))
    checks.check(
        png.startswith(b"\x89PNG") and size == (VIEWPORT["width"], VIEWPORT["height"]),
        f"screenshot saved: {path.relative_to(REPO)}",
        f"{len(png)} bytes, {size[0]}x{size[1]}",
    )


async def check_dashboard(checks: Checks, page: Page, faces: list[str]) -> None:
    """Check the open dashboard draws every gate's face; save a screenshot."""
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
    await save_screenshot(checks, page, SCREENSHOT)


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


async def open_device(page: Page, base_url: str, device_id: str, language: str) -> list[str]:
    """Open a device's page; return its entity rows once all are listed."""
    await open_path(page, base_url, f"/config/devices/device/{device_id}", language)
    return await settle(
        lambda: entity_rows(page), lambda rows: len(rows) >= len(SHOWN_ENTITIES), 15
    )


async def check_entity_names(checks: Checks, rows: list[str], language: str) -> None:
    """Check the device page lists each shown entity once by its translated name."""
    wanted = sorted(entity_name(language, key) for key in SHOWN_ENTITIES)
    face = entity_name(language, ("image", "last_face"))
    checks.check(
        sorted(rows) == wanted,
        f"device page ({language}): the {len(wanted)} entities by name, {face!r} once",
        f"listed {rows}",
    )


async def check_model(checks: Checks, page: Page, model: str, language: str) -> None:
    """Check the device page's Device info shows the translated model."""
    shown = await page.get_by_text(model, exact=True).count()
    checks.check(shown > 0, f"device page ({language}): model {model!r}", "not shown")


async def check_camera_disabled(checks: Checks, page: Page, rows: list[str]) -> None:
    """Check the camera is listed only among the device page's disabled entities."""
    camera = entity_name("en", CAMERA)
    disabled = await disabled_rows(page)
    checks.check(
        camera not in rows and camera in disabled,
        f"device page (en): {camera!r} only among the disabled entities",
        f"listed {rows}, disabled {disabled}",
    )


async def save_device_screenshot(checks: Checks, page: Page) -> None:
    """Let the device page's pictures and Activity load, then save its screenshot."""
    badges = page.locator("ha-device-entities-card state-badge.has-image")
    pictures = len(("last_face", "last_scene", "registered_photo"))
    await settle(lambda: badges.evaluate_all(BADGES_LOADED_JS), lambda n: n >= pictures, 10)
    entries = page.locator("ha-logbook-entry")
    await settle(entries.count, lambda n: n > 0, 10)
    await save_screenshot(checks, page, DEVICE_SCREENSHOT)


async def check_device_page(checks: Checks, page: Page, base_url: str, target: Target) -> None:
    """Item 4: the gate's page names its entities, one Last face, the camera disabled."""
    rows = await open_device(page, base_url, target.device_id, "en")
    await check_entity_names(checks, rows, "en")
    await check_model(checks, page, texts("en")["device"][target.model_key]["name"], "en")
    await save_device_screenshot(checks, page)
    await check_camera_disabled(checks, page, rows)


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


def check_lines_of(checks: Checks, lines: list[Line], pushed: Pushed, language: str) -> None:
    """Check a device has exactly one Activity line, in the integration's words."""
    _, message = activity_line(language, pushed)
    at_device = [line.message for line in lines if line.device == pushed.gate.name]
    checks.check(
        at_device == [message],
        f"Activity ({language}): one line at {pushed.gate.name}: {message!r}",
        f"lines there: {at_device}",
    )


def check_names_in_lines(checks: Checks, lines: list[Line], pushed: list[Pushed]) -> None:
    """Check each recognition's Activity line names who was recognized (its subject or text)."""
    wanted = {p.gate.name: activity_line("en", p)[0] for p in pushed}
    shown = {line.device: f"{line.subject} {line.message}" for line in lines}
    unnamed = {
        device: shown.get(device, "(no line)")
        for device, who in wanted.items()
        if who not in shown.get(device, "")
    }
    checks.check(
        not unnamed,
        f"Activity (en): each line names who was recognized ({', '.join(wanted.values())})",
        f"lines without the name: {unnamed}",
    )


def check_no_state_lines(checks: Checks, lines: list[Line], pushed: list[Pushed]) -> None:
    """Check the logbook exclude hides the sensors' state-change lines of the devices."""
    names = {entity_name("en", ("sensor", key)) for key in EXCLUDED_SENSORS}
    devices = {p.gate.name for p in pushed}
    found = [line for line in lines if line.device in devices and line.subject in names]
    checks.check(
        not found,
        f"Activity (en): no {'/'.join(sorted(names))} state-change lines (logbook exclude)",
        f"found {[f'{line.subject} {line.message} at {line.device}' for line in found]}",
    )


async def check_activity(checks: Checks, page: Page, base_url: str, pushed: list[Pushed]) -> None:
    """Item 6: each recognition is one Activity line, in the integration's words."""
    lines = await open_activity(page, base_url, "en", {activity_line("en", p)[1] for p in pushed})
    for recognition in pushed:
        check_lines_of(checks, lines, recognition, "en")
    check_names_in_lines(checks, lines, pushed)
    check_no_state_lines(checks, lines, pushed)


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


async def check_picker(checks: Checks, page: Page, base_url: str, device: str, lang: str) -> None:
    """Item 7: the trigger picker offers the six triggers for the device, translated."""
    offered = await offered_triggers(page, base_url, device, lang)
    wanted = {f"sophon.{key}": texts(lang)["triggers"][key]["name"] for key in TRIGGERS}
    shown = {trigger: offered.get(trigger) for trigger in wanted}
    checks.check(
        shown == wanted,
        f"trigger picker ({lang}), By target → {device}: {', '.join(wanted.values())}",
        f"offered {offered}",
    )


async def check_min_score_field(checks: Checks, page: Page) -> None:
    """Pick "VIP recognized" in the open picker; check its editor shows the Minimum score field."""
    trigger = page.locator("[id='description-tooltip-__DYNAMIC__sophon.vip_recognized']")
    await page.locator("ha-automation-add-items ha-list-item-button", has=trigger).click()
    field = texts("en")["triggers"]["vip_recognized"]["fields"]["min_score"]
    description = page.get_by_text(field["description"], exact=True)
    with contextlib.suppress(PlaywrightError):  # a timeout: the check below tells
        await description.first.wait_for(timeout=10_000)
    name = await page.get_by_text(field["name"], exact=True).count()
    shown = await description.count()
    checks.check(
        name > 0 and shown > 0,
        f"the VIP recognized trigger's editor shows {field['name']!r} with its description",
        f"name shown {name}x, description shown {shown}x",
    )


async def check_trigger_texts(checks: Checks, client: HassClient, language: str) -> None:
    """Item 7: Home Assistant serves the triggers' names and Minimum score texts, translated."""
    served = await client.ws(
        "frontend/get_translations", language=language, category="triggers", integration=["sophon"]
    )
    resources: dict[str, str] = served["resources"]
    wanted = {}
    for key, trigger in texts(language)["triggers"].items():
        prefix = f"component.sophon.triggers.{key}"
        wanted[f"{prefix}.name"] = trigger["name"]
        for part in ("name", "description"):
            wanted[f"{prefix}.fields.min_score.{part}"] = trigger["fields"]["min_score"][part]
    missing = sorted(key for key, text in wanted.items() if resources.get(key) != text)
    checks.check(
        not missing and set(TRIGGERS) <= set(texts(language)["triggers"]),
        f"frontend/get_translations ({language}): the 6 triggers' names, Minimum score texts",
        f"missing or different: {missing}",
    )


async def check_chinese(
    checks: Checks, page: Page, base_url: str, target: Target, pushed: Pushed
) -> None:
    """Item 8: in zh-Hans the device page, its model and the Activity line are Chinese."""
    rows = await open_device(page, base_url, target.device_id, ZH)
    await check_entity_names(checks, rows, ZH)
    await check_model(checks, page, texts(ZH)["device"][target.model_key]["name"], ZH)
    _, message = activity_line(ZH, pushed)
    lines = await open_activity(page, base_url, ZH, {message})
    shown = [line.message for line in lines if line.device == pushed.gate.name]
    checks.check(
        shown.count(message) == 1,
        f"Activity ({ZH}): one line {message!r}",
        f"lines at {pushed.gate.name}: {shown}",
    )


@dataclass
class Run:
    """What the browser checks need to know about the set-up Home Assistant and box."""

    client: HassClient
    sim: BoxSimulator
    base_url: str
    entry_id: str
    dashboard: str
    gates: list[Gate]
    pushed: list[Pushed]


async def target_of(run: Run) -> Target:
    """Return the first gate (the one with the VIP) with its ids and model."""
    gate = run.gates[0]
    device = next(device for device in run.sim.devices if device.name == gate.name)
    device_id = (await device_ids(run.client))[gate.name]
    return Target(gate, device_id, device.device_id, MODEL_KEYS.get(device.device_type, "unknown"))


async def english_checks(checks: Checks, page: Page, run: Run, target: Target) -> None:
    """Check the dashboard, a device page, Activity, the trigger picker and its texts."""
    await check_dashboard(checks, page, [gate.entities["face"] for gate in run.gates])
    await checks.guard("device page (en)", check_device_page(checks, page, run.base_url, target))
    await checks.guard("Activity (en)", check_activity(checks, page, run.base_url, run.pushed))
    await checks.guard("trigger picker (en)", picker_and_field(checks, page, run, target.gate.name))
    for language in ("en", ZH):
        await checks.guard(
            f"trigger translations ({language})",
            check_trigger_texts(checks, run.client, language),
        )


async def chinese_checks(checks: Checks, page: Page, run: Run, target: Target) -> None:
    """Switch to zh-Hans, push a recognition, check the device page, Activity and the picker."""
    await checks.step(
        f"switched Home Assistant and the user to {ZH}, reloaded the entry",
        switch_language(run.client, run.sim, run.entry_id, ZH),
    )
    frame = await run.sim.push_event(target.sim_id, kind=PersonKind.VIP)
    pushed = Pushed(target.gate, PersonKind.VIP, frame)
    await checks.guard(f"{ZH} pages", check_chinese(checks, page, run.base_url, target, pushed))
    await checks.guard(
        f"trigger picker ({ZH})", check_picker(checks, page, run.base_url, target.gate.name, ZH)
    )


async def browser_checks(checks: Checks, run: Run) -> None:
    """Log in with headless Chromium; check the UI in English, then in zh-Hans."""
    target = await target_of(run)
    async with browser_page() as page:
        await checks.step(
            "logged in through the login form", log_in(page, run.base_url, run.dashboard)
        )
        await checks.step(
            "the frontend rendered (launch screen gone)",
            page.wait_for_function(FRONTEND_READY_JS, timeout=30_000),
        )
        await english_checks(checks, page, run, target)
        await chinese_checks(checks, page, run, target)


async def picker_and_field(checks: Checks, page: Page, run: Run, device: str) -> None:
    """Check the English trigger picker, then the Minimum score field of one of its triggers."""
    await check_picker(checks, page, run.base_url, device, "en")
    await check_min_score_field(checks, page)


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
        Pushed(gate, kind, await sim.push_event(names[gate.name], kind=kind))
        for gate, kind in zip(gates[1:], OTHER_KINDS, strict=False)
    ]
    pushed.append(await check_recognition(checks, client, sim, gates[0], names[gates[0].name]))
    return entry_id, path, gates, pushed


async def scenario(checks: Checks, work: Path) -> None:
    """Run every check against one Home Assistant and one simulated box."""
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    prepare_config(work / "config", port)
    exclude_state_lines(work / "config")
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
