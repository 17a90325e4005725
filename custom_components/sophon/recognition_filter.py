"""Which recognitions a trigger fires for, and how a trace names one: shared by both triggers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from homeassistant.core import HomeAssistant, callback
from homeassistant.helpers import device_registry as dr

from .compat import vol
from .const import PERSON_TYPES
from .texts import text

CONF_MIN_SCORE = "min_score"
MIN_SCORE = vol.All(vol.Coerce(float), vol.Range(min=0, max=100))
# Also fire for recognitions received late (a catch-up after an outage; replayed: true).
CONF_INCLUDE_LATE = "include_late"

# Trigger type -> the person_type it fires for; None fires for everyone.
TRIGGER_TYPES: dict[str, str | None] = {
    "vip_recognized": "vip",
    "blacklist_recognized": "blacklist",
    "stranger_detected": "stranger",
    "employee_recognized": "employee",
    "visitor_recognized": "visitor",
    "anyone_recognized": None,
}


@dataclass(frozen=True, slots=True)
class RecognitionFilter:
    """One trigger's wish: a person type (None: anyone), a minimum score in %, late ones too."""

    person_type: str | None
    min_score: float | None = None
    include_late: bool = False

    @classmethod
    def for_trigger(
        cls, trigger_type: str, min_score: float | None, include_late: bool = False
    ) -> RecognitionFilter:
        """Return the filter of a trigger type ("vip_recognized", …)."""
        return cls(TRIGGER_TYPES[trigger_type], min_score, include_late)

    def matches(self, data: Mapping[str, Any]) -> bool:
        """Return True for a sophon_recognition event's data of the wanted type and score.

        A recognition received late (replayed) matches only a filter that includes late ones.
        """
        if data.get("replayed") and not self.include_late:
            return False
        if self.person_type is not None and data.get("person_type") != self.person_type:
            return False
        if self.min_score is None:
            return True
        score = data.get("score")
        # Rounded: 0.29 * 100 is 28.999…, and a 29 % score must pass a 29 % minimum.
        return score is not None and round(score * 100, 6) >= self.min_score


@callback
def describe_recognition(hass: HomeAssistant, data: Mapping[str, Any]) -> str:
    """Name a recognition for a trace in Home Assistant's language.

    E.g. 'recognition of a VIP at Gate 1', shown as "Triggered by the recognition of a VIP at
    Gate 1".
    """
    device = dr.async_get(hass).async_get(data.get("device_id") or "")
    where = (device.name_by_user or device.name) if device else None
    person_type = data.get("person_type")
    if person_type not in PERSON_TYPES:
        person_type = "unknown"
    template = "trace_detection" if person_type == "stranger" else "trace_recognition"
    return text(hass, f"common.{template}").format(
        who=text(hass, f"common.trace_who_{person_type}"),
        device=where or text(hass, "common.trace_unknown_device"),
    )
