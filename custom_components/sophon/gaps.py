"""When a box's recognitions went unheard: the gaps a catch-up asks its history about.

A gap opens when the push goes down (or Home Assistant stops) and gets its end when a connection
proves up again (a quiet reopen of a stuck push is a gap of its own). Its times are our clock's,
as noticed, and its start is also the box's own time of the newest recognition the push had
brought (the push sends in order: what the box made after it was not delivered). A recognition
belongs to a gap when it was made after that (without one: when the box's time of it, on our
clock and moved by the box's measured skew, lies after when the push was last heard) and before
the gap's end, or in the OVERLAP before it (what was in flight when the push dropped, or stored
by the box a little after it was pushed) or within SLACK of its end. Only a catch-up that got
the box's answer forgets the gaps it asked about.

The box's own time is what tells where a gap starts, not our clock moved by the measured skew:
that skew is measured from when recognitions are received, so a busy push's backlog moves it by
seconds from one minute to the next, and a recognition delivered just before a drop would fall
inside the gap when a later catch-up reads it with a later skew.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.util import dt as dt_util

OVERLAP: Final = timedelta(minutes=2)
SLACK: Final = timedelta(seconds=2)
# Gaps kept at most (the oldest two are merged beyond).
MAX_GAPS: Final = 32


@dataclass(slots=True)
class Gap:
    """A time the push was down: from start until end (None: still down).

    made_after: the box's own time (seconds since the epoch, as it stamped it) of the newest
    recognition the push had brought when the gap opened; None when it had brought none.
    """

    start: datetime
    end: datetime | None = None
    made_after: float | None = None


class Gaps:
    """The gaps not caught up on yet, oldest first."""

    def __init__(self) -> None:
        """Start with none."""
        self.items: list[Gap] = []

    @property
    def down(self) -> bool:
        """Return True while the last gap has no end (the push is down)."""
        return bool(self.items) and self.items[-1].end is None

    def open(self, since: datetime, made_after: float | None = None) -> None:
        """Open a gap from since (made_after: see Gap), unless one is open."""
        if not self.down:
            self._add(Gap(since, made_after=made_after))

    def close(self, now: datetime, since: datetime, made_after: float | None = None) -> None:
        """End the open gap now; with none open (a quiet reopen), note one from since."""
        if self.down:
            self.items[-1].end = now
        else:
            self._add(Gap(since, now, made_after))

    def _add(self, gap: Gap) -> None:
        """Add a gap; beyond MAX_GAPS the oldest two become one."""
        self.items.append(gap)
        if len(self.items) > MAX_GAPS:
            second = self.items.pop(1)
            self.items[0].end = second.end

    def ended(self) -> list[Gap]:
        """Return the gaps that have an end (those a catch-up asks about)."""
        return [gap for gap in self.items if gap.end is not None]

    def forget(self, gaps: list[Gap]) -> None:
        """Forget gaps a catch-up covered."""
        self.items = [gap for gap in self.items if all(gap is not done for done in gaps)]

    @staticmethod
    def where(gaps: list[Gap], moment: datetime, made: float, skew: timedelta) -> str | None:
        """Return where a recognition lies.

        moment: its time as the box stamped it, less a whole time-zone correction; made: the
        box's own time of it (seconds since the epoch); skew: the box's clock against ours after
        that correction (the gaps' times are ours).

        "gap": within a gap (the push was down: nothing was delivered live); "overlap": in the
        OVERLAP before one (the push may have been sending it as it dropped); "end": within
        SLACK of its end (it may come by the new connection, which proves up at its first
        recognition, a moment later); None: in neither (the push delivered it).
        """
        found = None
        for gap in gaps:
            end = (gap.end or gap.start) + skew
            if gap.made_after is None:
                after_start = moment >= gap.start + skew
                overlap = moment >= gap.start + skew - OVERLAP
            else:
                after_start = made > gap.made_after
                overlap = made >= gap.made_after - OVERLAP.total_seconds()
            if after_start and moment < end - SLACK:
                return "gap"
            if end - SLACK <= moment <= end + SLACK:
                found = "end"
            elif overlap and not after_start:
                found = found or "overlap"
        return found

    def as_list(self) -> list[list[str | float | None]]:
        """Return the gaps as stored: start, end and made_after."""
        return [
            [
                gap.start.isoformat(),
                None if gap.end is None else gap.end.isoformat(),
                gap.made_after,
            ]
            for gap in self.items
        ]

    def load(self, data: Any) -> None:
        """Take back what as_list gave (anything unreadable is left out; no made_after: None)."""
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, list) or len(item) not in (2, 3):
                continue
            start = dt_util.parse_datetime(item[0]) if isinstance(item[0], str) else None
            end = dt_util.parse_datetime(item[1]) if isinstance(item[1], str) else None
            made_after = item[2] if len(item) == 3 else None  # noqa: PLR2004
            if not isinstance(made_after, float | int) or isinstance(made_after, bool):
                made_after = None
            if start is not None:
                self.items.append(Gap(start, end, made_after))
