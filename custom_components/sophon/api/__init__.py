"""Client for Sophon SE AI boxes; no Home Assistant imports, publishable on its own."""

from .client import DEFAULT_PORT, DEFAULT_VERSION_PORT, DEFAULT_WS_PORT, BoxClient
from .clock import BoxTime, ClockWatch
from .connection import Backoff, Drop, PingBehaviour, RateLimitedLog
from .exceptions import (
    FrameRejectedError,
    SophonBoxStartingError,
    SophonConnectionClosedError,
    SophonConnectionError,
    SophonError,
    SophonNotFoundError,
    SophonNotSupportedError,
    SophonResponseError,
    SophonStaleStreamError,
    SophonTimeoutError,
)
from .generation import Generation
from .models import (
    ClientCounters,
    ConnectionState,
    Device,
    DeviceType,
    History,
    HistoryQuery,
    PersonType,
    RecognitionEvent,
    Subscription,
    canonical_device_id,
)
from .pictures import Jpeg, Picture, PictureOnRequest
from .push import MAX_FRAME_BYTES
from .text import clean_text, shorten

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_VERSION_PORT",
    "DEFAULT_WS_PORT",
    "MAX_FRAME_BYTES",
    "Backoff",
    "BoxClient",
    "BoxTime",
    "ClientCounters",
    "ClockWatch",
    "ConnectionState",
    "Device",
    "DeviceType",
    "Drop",
    "FrameRejectedError",
    "Generation",
    "History",
    "HistoryQuery",
    "Jpeg",
    "PersonType",
    "Picture",
    "PictureOnRequest",
    "PingBehaviour",
    "RateLimitedLog",
    "RecognitionEvent",
    "SophonBoxStartingError",
    "SophonConnectionClosedError",
    "SophonConnectionError",
    "SophonError",
    "SophonNotFoundError",
    "SophonNotSupportedError",
    "SophonResponseError",
    "SophonStaleStreamError",
    "SophonTimeoutError",
    "Subscription",
    "canonical_device_id",
    "clean_text",
    "shorten",
]
