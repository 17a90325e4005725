"""When a box's recognitions went unheard: the gaps a catch-up asks its history about.

A gap opens when the push goes down (or Home Assistant stops) and gets its end when a connection
proves up again (a quiet reopen of a stuck push is a gap of its own). Its times are our clock's,
as noticed; a recognition belongs to a gap when the box's time of it, on our clock and moved by
the box's measured skew, lies within the gap (from when the push was last heard until a
connection proved up again), or in the OVERLAP before it (what was in flight when the push
dropped, or stored by the box a little after it was pushed) or within SLACK of its end. Only
a catch-up that got the box's answer forgets the gaps it asked about.
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
    """A time the push was down: from start until end (None: still down)."""

    start: datetime
    end: datetime | None = None


class Gaps:
    """The gaps not caught up on yet, oldest first."""

    def __init__(self) -> None:
        """Start with none."""
        self.items: list[Gap] = []

    @property
    def down(self) -> bool:
        """Return True while the last gap has no end (the push is down)."""
        return bool(self.items) and self.items[-1].end is None

    def open(self, since: datetime) -> None:
        """Open a gap from since, unless one is open."""
        if not self.down:
            self._add(Gap(since))

    def close(self, now: datetime, since: datetime) -> None:
        """End the open gap now; with none open (a quiet reopen), note one from since."""
        if self.down:
            self.items[-1].end = now
        else:
            self._add(Gap(since, now))

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
    def where(gaps: list[Gap], moment: datetime, skew: timedelta) -> str | None:
        """Return where a recognition at moment (our clock; skew: the box's) lies.

        "gap": within a gap (the push was down: nothing was delivered live); "overlap": in the
        OVERLAP before one (the push may have been sending it as it dropped); "end": within
        SLACK of its end (it may come by the new connection, which proves up at its first
        recognition, a moment later); None: in neither (the push delivered it).
        """
        found = None
        for gap in gaps:
            start, end = gap.start + skew, (gap.end or gap.start) + skew
            if start <= moment < end - SLACK:
                return "gap"
            if end - SLACK <= moment <= end + SLACK:
                found = "end"
            elif start - OVERLAP <= moment < start:
                found = found or "overlap"
        return found

    def as_list(self) -> list[list[str | None]]:
        """Return the gaps as stored."""
        return [
            [gap.start.isoformat(), None if gap.end is None else gap.end.isoformat()]
            for gap in self.items
        ]

    def load(self, data: Any) -> None:
        """Take back what as_list gave (anything unreadable is left out)."""
        for item in data if isinstance(data, list) else []:
            if not isinstance(item, list) or len(item) != 2:  # noqa: PLR2004
                continue
            start = dt_util.parse_datetime(item[0]) if isinstance(item[0], str) else None
            end = dt_util.parse_datetime(item[1]) if isinstance(item[1], str) else None
            if start is not None:
                self.items.append(Gap(start, end))
