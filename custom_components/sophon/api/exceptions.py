"""Exceptions raised by the Sophon box client."""

from __future__ import annotations


class SophonError(Exception):
    """Base of every error the client raises."""


class SophonConnectionError(SophonError):
    """The box could not be reached."""


class SophonTimeoutError(SophonConnectionError):
    """The box did not answer in time."""


class SophonConnectionClosedError(SophonConnectionError):
    """The event WebSocket was closed by the box or the network."""


class SophonStaleStreamError(SophonConnectionClosedError):
    """The push stayed open but delivered no recognition for longer than allowed."""


class SophonResponseError(SophonError):
    """The box answered with something the client cannot use."""


class SophonNotSupportedError(SophonResponseError):
    """The box does not offer this call: it speaks another generation.

    status: the HTTP status that said so (404, 405 or 501), where one did.
    """

    def __init__(self, message: str, status: int | None = None) -> None:
        """Keep the message and the HTTP status."""
        super().__init__(message)
        self.status = status


class SophonNotFoundError(SophonResponseError):
    """The box says the record or picture asked for does not exist (any longer)."""


class SophonBoxStartingError(SophonResponseError):
    """The box is still starting and asks to be called again later."""


class FrameRejectedError(SophonError):
    """A WebSocket frame that cannot be a recognition event."""

    def __init__(self, reason: str, detail: str = "") -> None:
        """Keep a short machine-readable reason and a human detail."""
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
