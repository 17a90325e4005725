"""The "Sophon gates" dashboard: each gate's latest face and facts, and the box's state."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devtools.hass.client import HassClient, poll

DASHBOARD = "sophon-gates"
DASHBOARD_TITLE = "Sophon gates"
DEVICE_ENTITIES = {
    ("image", "last_face"): "face",
    ("sensor", "last_identity"): "identity",
    ("sensor", "person_type"): "person_type",
    ("sensor", "last_score"): "score",
    ("sensor", "last_seen"): "seen",
}
BOX_ENTITIES = {
    ("binary_sensor", "connected"): "Connected",
    ("sensor", "events_received"): "Events",
}


@dataclass
class Gate:
    """The dashboard's entities of one device attached to the box."""

    name: str
    entities: dict[str, str]


async def gates(client: HassClient, entry_id: str) -> tuple[list[Gate], list[dict[str, str]]]:
    """Return each attached device's entities and the box's own, from the registries."""
    registry = await client.ws("config/entity_registry/list")
    devices = {d["id"]: d for d in await client.ws("config/device_registry/list")}
    by_device: dict[str, dict[str, str]] = {}
    box: list[dict[str, str]] = []
    for entity in registry:
        if entity["config_entry_id"] != entry_id:
            continue
        key = (entity["entity_id"].split(".")[0], entity["translation_key"])
        if key in BOX_ENTITIES:
            box.append({"entity": entity["entity_id"], "name": BOX_ENTITIES[key]})
        elif key in DEVICE_ENTITIES and entity["device_id"]:
            by_device.setdefault(entity["device_id"], {})[DEVICE_ENTITIES[key]] = entity[
                "entity_id"
            ]
    found = [
        Gate(devices[d]["name_by_user"] or devices[d]["name"] or d, roles)
        for d, roles in by_device.items()
        if len(roles) == len(DEVICE_ENTITIES)
    ]
    return sorted(found, key=lambda gate: gate.name), sorted(box, key=lambda row: row["name"])


def dashboard_config(found: list[Gate], box: list[dict[str, str]]) -> dict[str, Any]:
    """Return a dashboard: per gate the latest face with identity, person type, score and time."""
    stacks: list[dict[str, Any]] = [
        {
            "type": "vertical-stack",
            "cards": [
                {
                    "type": "picture-entity",
                    "entity": gate.entities["face"],
                    "name": gate.name,
                    "show_state": False,
                },
                {
                    "type": "entities",
                    "entities": [
                        {"entity": gate.entities["identity"], "name": "Identity"},
                        {"entity": gate.entities["person_type"], "name": "Person type"},
                        {"entity": gate.entities["score"], "name": "Score"},
                        {"entity": gate.entities["seen"], "name": "Seen"},
                    ],
                },
            ],
        }
        for gate in found
    ]
    columns = max(1, min(4, len(stacks)))
    cards: list[dict[str, Any]] = [
        {"type": "grid", "columns": columns, "square": False, "cards": stacks}
    ]
    if box:
        cards.append({"type": "glance", "title": "Box", "entities": box})
    # A panel view gives the one card (a stack of the gates' grid and the box) the whole width.
    view = {"title": "Gates", "path": "gates", "type": "panel"}
    return {
        "title": DASHBOARD_TITLE,
        "views": [{**view, "cards": [{"type": "vertical-stack", "cards": cards}]}],
    }


async def save_dashboard(client: HassClient, entry_id: str) -> tuple[str, list[Gate]]:
    """Create the gates dashboard (once) and write its cards; return its path and the gates."""
    found, box = await poll(
        lambda: _gates_when_ready(client, entry_id), "the Sophon devices' entities", 60
    )
    dashboards = await client.ws("lovelace/dashboards/list")
    if not any(d["url_path"] == DASHBOARD for d in dashboards):
        await client.ws(
            "lovelace/dashboards/create",
            url_path=DASHBOARD,
            title=DASHBOARD_TITLE,
            icon="mdi:face-recognition",
            show_in_sidebar=True,
            require_admin=False,
            mode="storage",
        )
    await client.ws("lovelace/config/save", url_path=DASHBOARD, config=dashboard_config(found, box))
    return f"/{DASHBOARD}/gates", found


async def _gates_when_ready(
    client: HassClient, entry_id: str
) -> tuple[list[Gate], list[dict[str, str]]] | None:
    """Return the gates once the entry's devices have their entities, else None."""
    found, box = await gates(client, entry_id)
    return (found, box) if found else None
