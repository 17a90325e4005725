"""Client for Sophon SE AI boxes; no Home Assistant imports, publishable on its own."""

from .client import (
    DEFAULT_PORT,
    DEFAULT_VERSION_PORT,
    DEFAULT_WS_PORT,
    MAX_FRAME_BYTES,
    Backoff,
    BoxClient,
    RateLimitedLog,
)
from .exceptions import (
    FrameRejectedError,
    SophonBoxStartingError,
    SophonConnectionClosedError,
    SophonConnectionError,
    SophonError,
    SophonNotFoundError,
    SophonNotSupportedError,
    SophonResponseError,
    SophonTimeoutError,
)
from .generation import Generation
from .models import (
    ClientCounters,
    ConnectionState,
    Device,
    DeviceType,
    Jpeg,
    PersonType,
    RecognitionEvent,
    Subscription,
    canonical_device_id,
)
from .text import clean_text, shorten

__all__ = [
    "DEFAULT_PORT",
    "DEFAULT_VERSION_PORT",
    "DEFAULT_WS_PORT",
    "MAX_FRAME_BYTES",
    "Backoff",
    "BoxClient",
    "ClientCounters",
    "ConnectionState",
    "Device",
    "DeviceType",
    "FrameRejectedError",
    "Generation",
    "Jpeg",
    "PersonType",
    "RateLimitedLog",
    "RecognitionEvent",
    "SophonBoxStartingError",
    "SophonConnectionClosedError",
    "SophonConnectionError",
    "SophonError",
    "SophonNotFoundError",
    "SophonNotSupportedError",
    "SophonResponseError",
    "SophonTimeoutError",
    "Subscription",
    "canonical_device_id",
    "clean_text",
    "shorten",
]
