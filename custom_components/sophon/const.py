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

EVENT_RECOGNITION: Final = "sophon_recognition"
DEVICE_LIST_REFRESH: Final = timedelta(minutes=5)
# A repair issue is raised when the box's push has been down this long.
UNREACHABLE_REPAIR_AFTER: Final = timedelta(minutes=30)
# A push that stays up this long ends an outage (logged as restored, repair cleared).
STABLE_CONNECTION: Final = timedelta(seconds=60)
# A picture the box failed to give for a passing reason is asked for again after this long.
SCENE_RETRY_AFTER: Final = timedelta(seconds=10)

PERSON_TYPES: Final = [person_type.value for person_type in PersonType]
# The state of the last_identity sensor when the face matched nobody; translated in the UI.
STRANGER_STATE: Final = "stranger"
