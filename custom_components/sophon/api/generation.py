"""The interface that each protocol generation of the box implements."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from .models import Device, RecognitionEvent, Subscription

# (method, path, JSON body or None) -> the decoded JSON answer.
type RestCaller = Callable[[str, str, dict[str, Any] | None], Awaitable[Any]]


class Generation(Protocol):
    """Turn one generation's JSON into the shared models; parsing only, no I/O of its own."""

    name: str

    async def fetch_devices(self, rest: RestCaller) -> list[Device]:
        """Read the devices attached to the box."""

    def subscription_message(self, subscription: Subscription) -> dict[str, Any]:
        """Return the frame that configures the push."""

    def parse_event(self, frame: dict[str, Any], received_at: datetime) -> RecognitionEvent:
        """Parse one pushed JSON object or raise FrameRejectedError."""
