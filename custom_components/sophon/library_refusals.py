"""A face library refusal of the box, as the translated error an action raises.

Each of the client's SophonLibraryError kinds (api/library_errors.py) becomes a
ServiceValidationError (the caller's picture or id) or a HomeAssistantError (the box), with a
translation key of the exceptions category; a box that cannot be asked becomes
library_unavailable.
"""

from __future__ import annotations

from typing import Final

from homeassistant.exceptions import HomeAssistantError, ServiceValidationError

from .api import (
    SophonDuplicateError,
    SophonError,
    SophonLibraryError,
    SophonLibraryFullError,
    SophonLowQualityError,
    SophonNoFaceError,
    SophonPersonNotFoundError,
    SophonPictureTooLargeError,
    SophonPictureUnreadableError,
)
from .box_memory import translated
from .coordinator import SophonConfigEntry

# Each refusal of the box (most specific first): the error raised, its translation key.
_REFUSALS: Final[tuple[tuple[type[SophonError], type[HomeAssistantError], str], ...]] = (
    (SophonNoFaceError, ServiceValidationError, "library_no_face"),
    (SophonLowQualityError, ServiceValidationError, "library_low_quality"),
    (SophonPictureTooLargeError, ServiceValidationError, "library_picture_too_large"),
    (SophonPictureUnreadableError, ServiceValidationError, "library_picture_unreadable"),
    (SophonDuplicateError, ServiceValidationError, "library_duplicate_id"),
    (SophonLibraryFullError, HomeAssistantError, "library_full"),
    (SophonPersonNotFoundError, ServiceValidationError, "library_person_not_found"),
    (SophonLibraryError, HomeAssistantError, "library_refused"),
)


def library_error(
    entry: SophonConfigEntry, err: SophonError, identity_id: str | None = None
) -> HomeAssistantError:
    """Return the translated error of a box's refusal (or of a box that cannot be asked)."""
    placeholders = {"box": entry.title, "identity_id": identity_id or "?", "reason": str(err)}
    if isinstance(err, SophonLowQualityError):
        placeholders["checks"] = ", ".join(err.checks) or "?"
    for refusal, error, key in _REFUSALS:
        if isinstance(err, refusal):
            name_taken = isinstance(err, SophonDuplicateError) and err.field == "name"
            return translated(
                error, "library_duplicate_name" if name_taken else key, **placeholders
            )
    return translated(HomeAssistantError, "library_unavailable", **placeholders)
