"""What the browser must show: dashboard, device page, Activity, trigger picker; en and zh."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from devtools import REPO
from devtools.e2e.api_checks import check_trigger_texts, device_ids, switch_language
from devtools.e2e.browser import (
    VIEWPORT,
    Line,
    browser_page,
    device_page_loaded,
    disabled_rows,
    faces_rendered,
    field_texts_shown,
    frontend_ready,
    log_in,
    offered_triggers,
    open_activity,
    open_device,
    screenshot,
    text_count,
)
from devtools.e2e.checks import Checks
from devtools.e2e.config import EXCLUDED_SENSORS
from devtools.e2e.context import Pushed, Run, Target
from devtools.e2e.texts import TRIGGERS, ZH, activity_line, entity_name, texts
from sophon_sim import PersonType

SCREENSHOT = REPO / "docs" / "screenshots" / "dashboard.png"
DEVICE_SCREENSHOT = REPO / "docs" / "screenshots" / "device.png"
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
# The device model's translation key of each simulated device type (generation_v1.DEVICE_TYPES).
MODEL_KEYS = {"0": "gate", "1": "snapshot_camera", "3": "ipc", "4": "access_control"}


async def save_screenshot(checks: Checks, page: Page, path: Path) -> None:
    """Save the page as a PNG of the viewport's size and check it."""
    png = await screenshot(page, path)
    size = (int.from_bytes(png[16:20]), int.from_bytes(png[20:24]))
    checks.check(
        png.startswith(b"\x89PNG") and size == (VIEWPORT["width"], VIEWPORT["height"]),
        f"screenshot saved: {path.relative_to(REPO)}",
        f"{len(png)} bytes, {size[0]}x{size[1]}",
    )


async def check_dashboard(checks: Checks, page: Page, faces: list[str]) -> None:
    """Check the open dashboard draws every gate's face; save a screenshot."""
    rendered = await faces_rendered(page, faces)
    checks.check(
        all(rendered),
        f"the dashboard shows the face of every gate ({len(faces)} <img> loaded)",
        f"loaded: {dict(zip(faces, rendered, strict=True))}",
    )
    await save_screenshot(checks, page, SCREENSHOT)


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
    shown = await text_count(page, model)
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
    await device_page_loaded(page, len(("last_face", "last_scene", "registered_photo")))
    await save_screenshot(checks, page, DEVICE_SCREENSHOT)


async def check_device_page(checks: Checks, page: Page, base_url: str, target: Target) -> None:
    """Item 4: the gate's page names its entities, one Last face, the camera disabled."""
    rows = await open_device(page, base_url, target.device_id, "en", len(SHOWN_ENTITIES))
    await check_entity_names(checks, rows, "en")
    await check_model(checks, page, texts("en")["device"][target.model_key]["name"], "en")
    await save_device_screenshot(checks, page)
    await check_camera_disabled(checks, page, rows)


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
    field = texts("en")["triggers"]["vip_recognized"]["fields"]["min_score"]
    name, shown = await field_texts_shown(
        page, "sophon.vip_recognized", field["name"], field["description"]
    )
    checks.check(
        name > 0 and shown > 0,
        f"the VIP recognized trigger's editor shows {field['name']!r} with its description",
        f"name shown {name}x, description shown {shown}x",
    )


async def check_chinese(
    checks: Checks, page: Page, base_url: str, target: Target, pushed: Pushed
) -> None:
    """Item 8: in zh-Hans the device page, its model and the Activity line are Chinese."""
    rows = await open_device(page, base_url, target.device_id, ZH, len(SHOWN_ENTITIES))
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
    frame = await run.sim.push_event(target.sim_id, person_type=PersonType.VIP)
    pushed = Pushed(target.gate, PersonType.VIP, frame)
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
            frontend_ready(page),
        )
        await english_checks(checks, page, run, target)
        await chinese_checks(checks, page, run, target)


async def picker_and_field(checks: Checks, page: Page, run: Run, device: str) -> None:
    """Check the English trigger picker, then the Minimum score field of one of its triggers."""
    await check_picker(checks, page, run.base_url, device, "en")
    await check_min_score_field(checks, page)
