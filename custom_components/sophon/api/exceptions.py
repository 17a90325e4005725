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


class SophonLibraryError(SophonResponseError):
    """The box refused a face-library call (api section 3).

    code: the box's own code for it (2.0 symbol, 1.0 status, or a number), where it gave one.
    """

    def __init__(self, message: str, code: str | None = None) -> None:
        """Keep the message and the box's code."""
        super().__init__(message)
        self.code = code


class SophonNoFaceError(SophonLibraryError):
    """The box found no face in the picture."""


class SophonLowQualityError(SophonLibraryError):
    """The face is of too low a quality; checks: the box's checks that failed (e.g. clarity)."""

    def __init__(self, message: str, code: str | None = None, checks: tuple[str, ...] = ()) -> None:
        """Keep the message, the code and the failed checks."""
        super().__init__(message, code)
        self.checks = checks


class SophonPictureTooLargeError(SophonLibraryError):
    """The picture is larger than the box accepts."""


class SophonPictureUnreadableError(SophonLibraryError):
    """The picture cannot be decoded (by the box, or before it is sent)."""


class SophonDuplicateError(SophonLibraryError):
    """Another person has this identity id or name; field: "identity_id" or "name"."""

    def __init__(self, message: str, code: str | None = None, field: str = "identity_id") -> None:
        """Keep the message, the code and which field is taken."""
        super().__init__(message, code)
        self.field = field


class SophonLibraryFullError(SophonLibraryError):
    """The face library holds as many people as it can."""


class SophonPersonNotFoundError(SophonLibraryError, SophonNotFoundError):
    """The box has no person (or face) with this id."""


class FrameRejectedError(SophonError):
    """A WebSocket frame that cannot be a recognition event."""

    def __init__(self, reason: str, detail: str = "") -> None:
        """Keep a short machine-readable reason and a human detail."""
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
