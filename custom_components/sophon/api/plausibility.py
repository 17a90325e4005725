"""Check that a recognition's numbers can be true, the same way for both generations."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from .coerce import as_float, as_timestamp, describe
from .exceptions import FrameRejectedError

MAX_AHEAD = timedelta(minutes=5)
"""How far ahead of its receipt a recognition's time may be: clocks drift, boxes do not see ahead.

Beyond it the box's clock is wrong (set to local time but sent as UTC, or to a future year).
"""

MAX_BEHIND = timedelta(hours=24)
"""How far behind its receipt a recognition's time may be: a push is live, not history.

Beyond it the box's clock is wrong (reset to 1970 after a power loss, or a day off).
"""


def checked_score(raw: Any, scale: float, problems: list[str]) -> tuple[float | None, float | None]:
    """Return the score on 0..1 and the raw value; unreadable or outside 0..scale gives None.

    Noted in problems: score_invalid (present but no number, NaN and infinities included) and
    score_out_of_range (a number outside 0..scale, kept raw only).
    """
    value = as_float(raw)
    if value is None:
        if raw is not None:
            problems.append("score_invalid")
        return None, None
    if not 0 <= value <= scale:
        problems.append("score_out_of_range")
        return None, value
    return value / scale, value


def checked_time(
    raw: Any, received_at: datetime, problems: list[str]
) -> tuple[datetime, datetime | None]:
    """Return when a recognition happened (or received_at), and the box's time as read.

    The first is received_at when the box's time is not usable; the second is None when it is
    no time at all (what the box's clock said, for measuring its skew: see clock.py).

    Noted in problems: the quirks of as_timestamp, and timestamp_implausible for a time more
    than MAX_AHEAD after or MAX_BEHIND before the receipt (or a number beyond any calendar,
    such as microseconds sent for milliseconds).
    """
    moment, quirk = as_timestamp(raw)
    if moment is None and quirk == "timestamp_invalid" and (as_float(raw) or 0) > 0:
        quirk = "timestamp_implausible"
    if quirk:
        problems.append(quirk)
    if moment is None:
        return received_at, None
    if not plausible(moment, received_at):
        problems.append("timestamp_implausible")
        return received_at, moment
    return moment, moment


def plausible(moment: datetime, received_at: datetime) -> bool:
    """Return True when a time is within MAX_AHEAD after and MAX_BEHIND before its receipt."""
    return -MAX_BEHIND <= moment - received_at <= MAX_AHEAD


def checked_score_either_scale(raw: Any, problems: list[str]) -> tuple[float | None, float | None]:
    """Return a past event's score on 0..1 and the raw value, read on 0..1 or on 0..100.

    The box's examples give both scales (api section 7.2), and a 1.0 box's query gives 0..100
    where its push gives 0..1: a number above 1 is read on 0..100.
    """
    value = as_float(raw)
    return checked_score(raw, 100.0 if value is not None and value > 1 else 1.0, problems)


def past_event_time(raw: Any) -> datetime:
    """Return a past event's time, as the box stamped it (seconds or ms; api section 7.1).

    Not judged against its receipt; FrameRejectedError(timestamp_invalid) when it is no time.
    """
    moment, _quirk = as_timestamp(raw)
    if moment is None:
        raise FrameRejectedError("timestamp_invalid", describe(raw))
    return moment
