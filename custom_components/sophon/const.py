"""Constants of the Sophon SE AI box integration."""

from __future__ import annotations

from datetime import timedelta
from typing import Final

from .api import PersonType

DOMAIN: Final = "sophon"
MANUFACTURER: Final = "Sophon"

CONF_WS_PORT: Final = "ws_port"
# Not asked in the UI: boxes answer their firmware version on 8888. Tests point it elsewhere.
CONF_VERSION_PORT: Final = "version_port"
CONF_DEVICES: Final = "devices"
CONF_NEED_FACE: Final = "need_face"
CONF_NEED_REGISTER: Final = "need_register"
# Minutes without a recognition after which the push is reopened quietly (0: never).
CONF_STALE_MINUTES: Final = "stale_minutes"
DEFAULT_STALE_MINUTES: Final = 30
# Hours of recognitions made while away that are delivered late after an outage (0: none).
CONF_CATCH_UP_HOURS: Final = "catch_up_hours"
DEFAULT_CATCH_UP_HOURS: Final = 24
MAX_CATCH_UP_HOURS: Final = 168
# The people of the box's face library followed (their identity ids): each is a device.
CONF_PEOPLE: Final = "people"

EVENT_RECOGNITION: Final = "sophon_recognition"
# Fired for each change the library actions make to a box's face library (the logbook's line).
EVENT_LIBRARY_CHANGED: Final = "sophon_library_changed"
DEVICE_LIST_REFRESH: Final = timedelta(minutes=5)
# The face library's people are counted this often (and after each library action).
LIBRARY_REFRESH: Final = timedelta(minutes=10)
# The box's health (CPU, memory, temperatures, storage, picture store) is read this often.
HEALTH_REFRESH: Final = timedelta(minutes=1)
# A repair issue is raised when the box's push has been down this long.
UNREACHABLE_REPAIR_AFTER: Final = timedelta(minutes=30)
# A push that stays up this long ends an outage (logged as restored, repair cleared).
STABLE_CONNECTION: Final = timedelta(seconds=60)
# The box closing our push itself, early, this many times in a row: something else holds it.
PUSH_HELD_AFTER: Final = 3
# The box's clock, after any time-zone correction, this far off raises a repair; back within
# CLOCK_REPAIR_CLEARED of ours, the repair goes. Its time call is read this often.
CLOCK_REPAIR_AFTER: Final = timedelta(minutes=3)
CLOCK_REPAIR_CLEARED: Final = timedelta(minutes=2)
CLOCK_CHECK_INTERVAL: Final = timedelta(hours=1)

PERSON_TYPES: Final = [person_type.value for person_type in PersonType]
# The state of the last_identity sensor when the face matched nobody; translated in the UI.
STRANGER_STATE: Final = "stranger"
