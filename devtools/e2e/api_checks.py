"""Checks over Home Assistant's REST and websocket APIs: states, the face's bytes, translations."""

from __future__ import annotations

from devtools.e2e.checks import Checks
from devtools.e2e.context import Pushed
from devtools.e2e.texts import TRIGGERS, texts
from devtools.hass.client import HassClient, SetupError, poll
from devtools.hass.dashboard import Gate
from devtools.hass.provision import add_box
from sophon_sim import BoxSimulator, PersonType

# What the profile page saves as the user's language (frontend/set_user_data, key "language").
USER_LOCALE = {
    "number_format": "language",
    "time_format": "language",
    "date_format": "language",
    "time_zone": "local",
    "first_weekday": "language",
}


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
    frame = await sim.push_event(device_id, person_type=PersonType.VIP)
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
    return Pushed(gate, PersonType.VIP, frame)


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
        if "min_score" not in trigger.get("fields", {}):
            continue  # the stranger trigger offers no minimum score (strangers carry none)
        for part in ("name", "description"):
            wanted[f"{prefix}.fields.min_score.{part}"] = trigger["fields"]["min_score"][part]
    missing = sorted(key for key, text in wanted.items() if resources.get(key) != text)
    checks.check(
        not missing and set(TRIGGERS) <= set(texts(language)["triggers"]),
        f"frontend/get_translations ({language}): the 6 triggers' names, Minimum score texts",
        f"missing or different: {missing}",
    )
