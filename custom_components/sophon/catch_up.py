"""Catch-up: the recognitions a box made while Home Assistant did not hear them, delivered late.

The times the push was down are kept per box (gaps.py; Home Assistant's Store, so a restart
keeps them, and the time Home Assistant was stopped is a gap too). Each time a connection of the
push proves up (at start-up, after an outage, a quiet reopen of a stuck push) the box's history
is asked for the recognitions of the gaps; those of a gap that were not delivered yet
(delivered.py tells) are delivered in time order as received late (`replayed`). Only a catch-up
that got the box's answer forgets the gaps it asked about; one that failed or was stopped leaves
them, so the next one asks again. Nothing from before the box was added is delivered.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import HomeAssistant, callback
from homeassistant.util import dt as dt_util

from .api import BoxClient, HistoryQuery, RateLimitedLog, RecognitionEvent, SophonError
from .catch_up_store import CatchUpStore, Remembered
from .const import CONF_CATCH_UP_HOURS, DEFAULT_CATCH_UP_HOURS, DOMAIN
from .delivered import SAME_RECOGNITION, Delivered, made_at
from .gaps import OVERLAP, Gap, Gaps
from .push_progress import PushProgress
from .recognitions import Recognitions
from .retried_runs import RetriedRuns

_LOGGER = logging.getLogger(__name__)

# Asked for after now too: a box whose clock runs ahead (by less than this; see the client's
# plausibility.MAX_AHEAD) stamps what it recognizes now a little later.
AHEAD: Final = timedelta(minutes=5)
# The most recognitions one catch-up delivers (the newest; the older rest are counted as
# missed and stay in the box's history).
MAX_CATCH_UP: Final = 1000
# Recognitions delivered between two turns of the event loop.
BATCH: Final = 25


def _log_run(title: str, delivered: int, missed: int, complete: bool) -> None:
    """Say what a catch-up delivered, and what it could not."""
    if delivered:
        _LOGGER.info("Received %d recognitions from %s late (made while away)", delivered, title)
    if missed:
        _LOGGER.warning(
            "%s made more recognitions while away than one catch-up delivers (%d): the "
            "newest were delivered, %d older ones were not (they stay in the box's history)",
            title,
            MAX_CATCH_UP,
            missed,
        )
    if not complete:
        _LOGGER.warning(
            "%s answered the question for recognitions made while away too slowly or at too "
            "great a length to read whole; those read were delivered, the others were not "
            "(they stay in the box's history)",
            title,
        )


def _history_query(
    gaps: list[Gap], now: datetime, skew: timedelta, earliest: datetime, devices: tuple[str, ...]
) -> HistoryQuery:
    """Return the question for the recognitions of gaps (with the OVERLAP before them).

    Not before earliest; what the box recognizes from now on comes by the push, which is up (a
    little after now for a box running ahead). Twice the bound: those already delivered (the
    overlap) are among the oldest.
    """
    start = max(min(gap.start for gap in gaps) + skew - OVERLAP, earliest)
    return HistoryQuery(start=start, end=now + AHEAD, device_ids=devices, limit=2 * MAX_CATCH_UP)


def _where(gaps: list[Gap], event: RecognitionEvent, skew: timedelta) -> str | None:
    """Return where a recognition lies against gaps (see Gaps.where)."""
    return Gaps.where(gaps, event.timestamp, made_at(event), skew)


class CatchUp:
    """Deliver, after each connection of the push, what the box recognized meanwhile."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        client: BoxClient,
        recognitions: Recognitions,
        followed: Callable[[], tuple[str, ...]],
    ) -> None:
        """Catch up on entry's box for recognitions; followed gives the devices subscribed."""
        self._entry = entry
        self._client = client
        self._recognitions = recognitions
        self._followed = followed
        self._store = CatchUpStore(hass, entry.entry_id)
        self._log = RateLimitedLog(_LOGGER)
        # When the push was down; when the box was first heard (nothing before is caught up
        # on; None: not loaded yet).
        self.gaps = Gaps()
        self.first: datetime | None = None
        self._push = PushProgress()
        self._delivered = Delivered()
        # Recognitions delivered late: the push's own copy of one of them is dropped.
        self._replayed = Delivered()
        # Recognitions the push delivered while a catch-up was under way (None: none is).
        self._live_meanwhile: Delivered | None = None
        # A catch-up the box did not answer is tried again a few times, a minute apart.
        self._runs = RetriedRuns(
            hass, entry, f"{DOMAIN}-catch-up-{entry.entry_id}", self._async_catch_up
        )
        self.runs = 0
        self.replayed = 0
        self.duplicates = 0
        self.missed = 0
        self.failures = 0
        self.last_run: dict[str, Any] | None = None

    @property
    def hours(self) -> int:
        """Return how far back a catch-up reaches, in hours (0: no catch-up)."""
        return int(self._entry.options.get(CONF_CATCH_UP_HOURS, DEFAULT_CATCH_UP_HOURS))

    async def async_load(self) -> None:
        """Read what was remembered; on a first set-up start from now (nothing was missed)."""
        remembered = await self._store.async_load()
        self.first = remembered.first
        if self.first is None:
            self.first = dt_util.utcnow()
            self._save_soon()
            return
        self.gaps.load(remembered.gaps)
        # The box's clock as measured before: its history's times are read with it at once.
        if remembered.skew is not None:
            self._client.clock_watch.resume(remembered.skew)
        # Home Assistant was stopped since it last heard the box.
        self._push.last_made = remembered.made_until
        self.gaps.open(remembered.heard_until or self.first, self._push.last_made)
        if remembered.delivered is not None:
            self._delivered.load(remembered.delivered)

    async def async_save(self) -> None:
        """Write what is remembered now (the entry unloads)."""
        await self._store.async_save(self._remembered())

    @callback
    def async_stop(self) -> None:
        """Stop a catch-up in progress and any retry (until the push connects again)."""
        self._runs.stop()

    @property
    def task(self) -> asyncio.Task[None] | None:
        """Return the catch-up under way or last run (None: none was started)."""
        return self._runs.task

    @callback
    def live(self, event: RecognitionEvent) -> None:
        """Deliver a pushed recognition, unless a catch-up already delivered it."""
        if self._replayed.has(event):
            self.duplicates += 1
            return
        self._delivered.add(event)
        if self._live_meanwhile is not None:
            self._live_meanwhile.add(event)
        self._push.delivered(event)
        self._save_soon()
        self._recognitions.handle(event)

    @callback
    def disconnected(self) -> None:
        """Open a gap: the push is down (since it was last heard, at the latest now)."""
        self.gaps.open(self._push.heard_at or dt_util.utcnow(), self._push.last_made)
        self._save_soon()

    @callback
    def connected(self) -> None:
        """End the gap and catch up now (a connection of the push just proved up).

        A connection with no gap open is a quiet reopen of a push that sent nothing: its gap
        began when the push was last heard.
        """
        now = dt_util.utcnow()
        self.gaps.close(now, self._push.heard_at or now, self._push.last_made)
        self._push.heard_at = now
        self._runs.start(fresh=True)

    async def _async_catch_up(self) -> bool:
        """Ask the box for what it recognized in the gaps, and deliver what was not delivered.

        Return False when the box could not be asked (counted and logged).
        """
        gaps = self.gaps.ended()
        if not gaps or self.first is None:
            return True
        if self.hours <= 0:
            self.gaps.forget(gaps)
            return True
        if self._client.clock_watch.box is None:
            # After a restart: learn a box clock's time-zone error before asking it for times.
            await self._client.async_get_box_time()
        now, skew = dt_util.utcnow(), self._client.clock_watch.residual or timedelta(0)
        earliest = max(now - timedelta(hours=self.hours), self.first)
        query = _history_query(gaps, now, skew, earliest, self._followed())
        self.runs += 1
        self._live_meanwhile = Delivered()
        try:
            delivered, missed, complete = await self._async_deliver(query, gaps, skew)
        except SophonError as err:
            self._failed(err)
            return False
        finally:
            self._live_meanwhile = None
        self.gaps.forget(gaps)
        self.replayed += delivered
        self.missed += missed
        self.last_run = {
            "at": now.isoformat(),
            "since": query.start.isoformat(),
            "delivered": delivered,
            "missed": missed,
            "complete": complete,
        }
        _log_run(self._entry.title, delivered, missed, complete)
        self._save_soon()
        return True

    async def _async_deliver(
        self, query: HistoryQuery, gaps: list[Gap], skew: timedelta
    ) -> tuple[int, int, bool]:
        """Deliver what the box gives for query in gaps and was not delivered yet, oldest first.

        Return how many were delivered, how many were left out over MAX_CATCH_UP, and whether
        the box's answer was read whole. Raises SophonError when the box cannot be asked.
        """
        history = await self._client.async_get_recognitions(query)
        self._delivered.learn_ids(history.recognitions)
        self._replayed.ids_match = self._delivered.ids_match
        new = [event for event in history.recognitions if self._missed(event, gaps, skew)]
        missed = max(len(new) - MAX_CATCH_UP, 0) + history.matched - len(history.recognitions)
        new = new[-MAX_CATCH_UP:]
        # Those around a gap's end may still come by the new connection: after the others,
        # and a moment later, those it did not bring.
        ends = [_where(gaps, event, skew) == "end" for event in new]
        at_end = [event for event, end in zip(new, ends, strict=True) if end]
        delivered = await self._async_replay(
            [event for event, end in zip(new, ends, strict=True) if not end]
        )
        if at_end:
            await self._push.async_past(max(made_at(event) for event in at_end))
            delivered += await self._async_replay(at_end)
        return delivered, missed, history.complete

    async def _async_replay(self, events: list[RecognitionEvent]) -> int:
        """Deliver recognitions late, oldest first, unless the push brought them meanwhile.

        A time after now (a box whose clock runs ahead) is shown as now, as a live one's is.
        """
        delivered = 0
        for kept in events:
            if self._live_meanwhile is not None and self._live_meanwhile.has(kept):
                continue  # the push brought it meanwhile
            now = dt_util.utcnow()
            event = dataclasses.replace(kept, timestamp=now) if kept.timestamp > now else kept
            self._delivered.add(event, pushed=False)
            self._replayed.add(event, pushed=False)
            self._recognitions.handle(event, replayed=True)
            delivered += 1
            if delivered % BATCH == 0:
                await asyncio.sleep(0)
        return delivered

    def _missed(self, event: RecognitionEvent, gaps: list[Gap], skew: timedelta) -> bool:
        """Return True for a recognition of a gap that was not delivered.

        One just before a gap that the memory does not reach back to was delivered live (more
        than REMEMBERED were delivered after it).
        """
        where = _where(gaps, event, skew)
        if where is None or self._delivered.has(event):
            return False
        return where == "gap" or self._delivered.remembers(event)

    def _failed(self, err: SophonError) -> None:
        """Count and log a catch-up the box did not answer."""
        self.failures += 1
        self._log.warning(
            "catch_up",
            "Could not ask %s for the recognitions made while away: %s",
            self._entry.title,
            err,
        )

    def _save_soon(self) -> None:
        """Write what is remembered a little later (one write for many recognitions)."""
        self._store.save_soon(self._remembered)

    def _remembered(self) -> Remembered:
        """Return what is kept: the gaps, until when the box was heard, the delivered ones."""
        down = self.gaps.items[-1] if self.gaps.down else None
        heard = down.start if down else self._push.heard_at or dt_util.utcnow()
        made = down.made_after if down else self._push.last_made
        correction = self._client.clock_watch.correction
        since = (heard + correction - OVERLAP - SAME_RECOGNITION).timestamp()
        return Remembered(
            first=self.first,
            heard_until=heard,
            made_until=made,
            skew=self._client.clock_watch.skew,
            gaps=self.gaps.as_list(),
            delivered=self._delivered.as_dict(since),
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what diagnostics show (times and counts only)."""
        return {
            "hours": self.hours,
            "gaps": len(self.gaps.items),
            "down": self.gaps.down,
            "runs": self.runs,
            "replayed": self.replayed,
            "duplicates_dropped": self.duplicates,
            "missed": self.missed,
            "failures": self.failures,
            "last_run": self.last_run,
        }
