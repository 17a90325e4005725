"""How far a box's clock is off: measured, a whole time-zone offset corrected, the rest reported.

Boxes stamp recognitions with their own clock (protocol.md section 3, protocol-v2.md section 4),
and real ones get it wrong in two ways: their local time sent as if it were UTC (a whole
time-zone offset, often +8 h), and plain drift (minutes). The first is corrected; the second is
measured and left to the user to fix, since guessing it would move true times too.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from .coerce import as_timestamp
from .models import RecognitionEvent
from .plausibility import plausible

# Recognition skews kept for the estimate; the median of at least MIN_SAMPLES is used.
SAMPLES = 15
MIN_SAMPLES = 3
# This many recognitions in a row that agree with each other and not with the estimate: the
# box's clock was set, and the older samples are forgotten.
CHANGE_SAMPLES = 5
# Skews beyond this are no time-zone offset (1970, 2100, a day off): not taken as samples.
MAX_ZONE = timedelta(hours=14)
# How near a whole time-zone offset a skew must be to be read as one (the rest is drift).
ZONE_TOLERANCE = timedelta(minutes=10)
QUARTER_HOUR = 900
# A recognition stamped more than this ahead of its receipt is counted (it is shown at receipt).
AHEAD_NOTED = timedelta(seconds=2)


@dataclass(frozen=True, slots=True)
class BoxTime:
    """The box's answer to its time call (api section 4: `time` ms, `timezone` inverted sign).

    now: the box's clock, read as UTC; utc_offset: its time zone (UTC+8 is +8 h); skew: how
    far its clock was ahead of ours when it answered (negative: behind).
    """

    now: datetime
    utc_offset: timedelta | None
    skew: timedelta


def box_time(time_ms: Any, timezone: Any, asked: datetime, answered: datetime) -> BoxTime | None:
    """Read a time answer; None when `time` is no usable time.

    `time` is milliseconds on the pages; seconds and numbers in strings are read too (api
    section 7.1: any value above 1e11 is milliseconds). `timezone` counts hours west of UTC
    (-8 is UTC+8, as the vendor's pages say); anything else than a number within 14 hours gives
    no offset. The skew is taken against the middle of the request, so half the round trip is
    allowed for.
    """
    if isinstance(time_ms, bool):
        return None
    now, _quirk = as_timestamp(time_ms)
    if now is None:
        return None
    offset = None
    if isinstance(timezone, int | float) and not isinstance(timezone, bool):
        hours = -float(timezone)
        if abs(hours) <= MAX_ZONE.total_seconds() / 3600:
            offset = timedelta(hours=hours)
    middle = asked + (answered - asked) / 2
    return BoxTime(now=now, utc_offset=offset, skew=now - middle)


class ClockWatch:
    """Estimate a box's clock skew and the whole time-zone offset to take off its times.

    Two sources: the skew of each live recognition (the box's time minus the time of receipt;
    the median of the last SAMPLES wins once there are MIN_SAMPLES) and, before that, the
    box's time call. A skew within ZONE_TOLERANCE of a whole time-zone offset (whole hours, or
    the box's own zone, such as +5:45) has that offset corrected; what is left is the residual.
    """

    def __init__(self) -> None:
        """Start with no measurement and no correction."""
        self._samples: deque[float] = deque(maxlen=SAMPLES)
        self.box: BoxTime | None = None
        self.correction = timedelta(0)
        self.skew: timedelta | None = None
        self.ignored_samples = 0

    @property
    def residual(self) -> timedelta | None:
        """Return the skew left after the correction (None before any measurement)."""
        return None if self.skew is None else self.skew - self.correction

    def observe_box_time(self, answer: BoxTime) -> bool:
        """Take the box's time answer; return True when the correction changed.

        An answer further off than any time zone (a clock at 1970) is kept for diagnostics only.
        """
        self.box = answer
        return self._decide()

    def resume(self, skew: timedelta) -> bool:
        """Start from a skew measured before (a restart): it counts as MIN_SAMPLES recognitions.

        Live recognitions outweigh it as they come. Return True when the correction changed.
        """
        if self._samples or abs(skew) > MAX_ZONE + ZONE_TOLERANCE:
            return False
        self._samples.extend([skew.total_seconds()] * MIN_SAMPLES)
        return self._decide()

    def fits(self, stamped: datetime, received: datetime) -> bool:
        """Return True when a recognition's own skew agrees with the correction."""
        return abs(stamped - received - self.correction) <= ZONE_TOLERANCE

    def on_our_clock(self, event: RecognitionEvent, now: datetime) -> RecognitionEvent:
        """Return an event parsed against `now` plus the correction, dated on our clock.

        The correction is taken off its time (problem timestamp_corrected) unless its own skew
        does not fit it (the box's clock was just set right: judged against `now` alone); a time
        still after `now` becomes `now` (timestamp_ahead when over AHEAD_NOTED).
        """
        correction = self.correction
        if correction and event.box_time and not self.fits(event.box_time, now):
            event, correction = _judged_against(event, now), timedelta(0)
        timestamp, problems = event.timestamp - correction, event.problems
        if correction and event.time_from_box:
            problems += ("timestamp_corrected",)
        if timestamp > now:  # within MAX_AHEAD of us, but still no time in the future
            if timestamp - now > AHEAD_NOTED:
                problems += ("timestamp_ahead",)
            timestamp = now
        if timestamp == event.timestamp and problems == event.problems:
            return event
        return dataclasses.replace(event, timestamp=timestamp, problems=problems)

    def observe_recognition(self, stamped: datetime | None, received: datetime) -> bool:
        """Take a live recognition's own time; return True when the correction changed."""
        if stamped is None:
            return False
        skew = stamped - received
        if abs(skew) > MAX_ZONE + ZONE_TOLERANCE:
            self.ignored_samples += 1
            return False
        self._samples.append(skew.total_seconds())
        self._follow_a_change()
        return self._decide()

    def _follow_a_change(self) -> None:
        """Forget older samples once the last CHANGE_SAMPLES agree with each other, not with them.

        The box's clock was set (right, or wrong): its new skew counts at once, and a median
        halfway between the old and the new one (+4 h between +8 h and 0) is never taken.
        """
        recent = list(self._samples)[-CHANGE_SAMPLES:]
        if self.skew is None or len(self._samples) <= CHANGE_SAMPLES:
            return
        limit = ZONE_TOLERANCE.total_seconds()
        known = self.skew.total_seconds()
        if max(recent) - min(recent) <= limit and all(abs(s - known) > limit for s in recent):
            self._samples = deque(recent, maxlen=SAMPLES)

    def _decide(self) -> bool:
        """Measure the skew again and choose the correction; True when the correction moved."""
        if len(self._samples) >= MIN_SAMPLES:
            self.skew = timedelta(seconds=statistics.median(self._samples))
        elif self.box is not None and abs(self.box.skew) <= MAX_ZONE + ZONE_TOLERANCE:
            self.skew = self.box.skew
        if self.skew is None:
            return False
        correction = self._zone_near(self.skew)
        changed, self.correction = correction != self.correction, correction
        return changed

    def _zone_near(self, skew: timedelta) -> timedelta:
        """Return the time-zone offset a skew sits on, or zero when it sits on none."""
        seconds = skew.total_seconds()
        candidates = [timedelta(hours=round(seconds / 3600))]
        if self.box is not None and self.box.utc_offset is not None:
            candidates.append(self.box.utc_offset)
        nearest = min(candidates, key=lambda zone: abs(skew - zone))
        within = abs(skew - nearest) <= ZONE_TOLERANCE and abs(nearest) <= MAX_ZONE
        if not within or nearest.total_seconds() % QUARTER_HOUR:
            return timedelta(0)
        return nearest

    def as_dict(self) -> dict[str, Any]:
        """Return what was measured, for diagnostics (seconds; offsets as +HH:MM)."""
        box = self.box
        return {
            "skew_seconds": _seconds(self.skew),
            "correction": _hours(self.correction),
            "residual_seconds": _seconds(self.residual),
            "recognitions_measured": len(self._samples),
            "samples_ignored": self.ignored_samples,
            "box_time_skew_seconds": None if box is None else _seconds(box.skew),
            "box_time_zone": None
            if box is None or box.utc_offset is None
            else _hours(box.utc_offset),
        }


def _judged_against(event: RecognitionEvent, now: datetime) -> RecognitionEvent:
    """Return an event parsed against a corrected receipt, judged against the real one."""
    assert event.box_time is not None  # noqa: S101 - only called for an event with a time
    problems = tuple(p for p in event.problems if p != "timestamp_implausible")
    if plausible(event.box_time, now):
        return dataclasses.replace(event, timestamp=event.box_time, problems=problems)
    problems += ("timestamp_implausible",)
    return dataclasses.replace(event, timestamp=now, problems=problems)


def _seconds(value: timedelta | None) -> float | None:
    """Return a duration in seconds, rounded to a tenth."""
    return None if value is None else round(value.total_seconds(), 1)


def _hours(value: timedelta) -> str:
    """Return an offset as +HH:MM."""
    minutes = round(value.total_seconds() / 60)
    sign = "-" if minutes < 0 else "+"
    hours, rest = divmod(abs(minutes), 60)
    return f"{sign}{hours:02d}:{rest:02d}"
