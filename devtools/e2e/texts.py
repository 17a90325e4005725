"""The integration's own words, from its translations: entity names, Activity lines, triggers."""

from __future__ import annotations

import functools
import json
from typing import Any

from devtools import REPO
from devtools.e2e.context import Pushed
from sophon_sim import PersonType

TRANSLATIONS = REPO / "custom_components" / "sophon" / "translations"
ZH = "zh-Hans"
TRIGGERS = (
    "vip_recognized",
    "blacklist_recognized",
    "stranger_detected",
    "employee_recognized",
    "visitor_recognized",
    "anyone_recognized",
)


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
    if pushed.person_type is PersonType.STRANGER:
        who = common["logbook_stranger_name"]
        return who, common["logbook_stranger"].format(name=who, device=where)
    label = texts(language)["entity"]["sensor"]["person_type"]["state"][
        pushed.person_type.name.lower()
    ]
    score = f"{float(pushed.frame['score']) * 100:.0f}"
    who = pushed.frame["identity_name"]
    message = common["logbook_recognized_score"].format(
        name=who, person_type=label, device=where, score=score
    )
    return who, message
