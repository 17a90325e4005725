"""Home Assistant's warnings that this integration uses something that is going away.

Home Assistant reports a deprecated use by a custom integration on one log line, naming it, e.g.
"Detected that custom integration 'sophon' calls … This will stop working in Home Assistant
2026.12". scripts/e2e reads the real hass's log with this; the test suite reads each test's log
records with it, on the oldest and the newest supported Home Assistant.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_GOING_AWAY = re.compile(
    r"deprecat|will stop working|stops? working in|will be removed|no longer (be )?supported"
    r"|is going to break|breaks? in Home Assistant",
    re.IGNORECASE,
)
_NAMES_US = re.compile(r"custom integration '?sophon'?|custom_components[./]sophon|\bsophon\b")


def deprecations(lines: Iterable[str]) -> list[str]:
    """Return the lines that warn of something going away and name this integration."""
    return [line for line in lines if _GOING_AWAY.search(line) and _NAMES_US.search(line)]
