"""The check that fails a test (and the e2e) when Home Assistant warns we use what goes away."""

from __future__ import annotations

from devtools.deprecations import deprecations

WARNED = [
    (
        "Detected that custom integration 'sophon' calls `device_registry.async_get_or_create` "
        "with `via_device`, which is deprecated and will be removed in Home Assistant 2027.4"
    ),
    (
        "Detected that custom integration 'sophon' sets option flow config_entry explicitly, which "
        "is deprecated at custom_components/sophon/config_flow.py, line 9. This will stop working "
        "in Home Assistant 2025.12"
    ),
    (
        "The deprecated argument hass was passed to async_track_time_interval by "
        "custom_components.sophon.coordinator; it breaks in Home Assistant 2026.12"
    ),
]
NOT_OURS = [
    "Detected that custom integration 'hacs' uses a deprecated constant; this will stop working",
    "Setting up sophon.sensor",
    "We found a custom integration sophon which has not been tested by Home Assistant",
    "2026-11-30 WARNING (MainThread) [homeassistant.components.http] deprecated ssl setting",
]


def test_warnings_of_something_going_away_that_name_us_are_found() -> None:
    assert deprecations(WARNED) == WARNED


def test_other_integrations_warnings_and_our_plain_lines_are_not() -> None:
    assert deprecations(NOT_OURS) == []
