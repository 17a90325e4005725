"""What the checks know of the run: Home Assistant and the box set up, the recognitions pushed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from devtools.hass.client import HassClient
from devtools.hass.dashboard import Gate
from sophon_sim import BoxSimulator, PersonType


@dataclass(frozen=True)
class Pushed:
    """One recognition pushed by the simulated box."""

    gate: Gate
    person_type: PersonType
    frame: dict[str, Any]


@dataclass(frozen=True)
class Target:
    """The gate whose device page the browser checks."""

    gate: Gate
    device_id: str  # Home Assistant's
    sim_id: str  # the box's
    model_key: str  # the translation key of its model


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
