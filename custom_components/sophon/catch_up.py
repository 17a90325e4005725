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
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import BoxClient, HistoryQuery, RateLimitedLog, RecognitionEvent, SophonError
from .const import CONF_CATCH_UP_HOURS, DEFAULT_CATCH_UP_HOURS, DOMAIN
from .delivered import SAME_RECOGNITION, Delivered, made_at
from .gaps import OVERLAP, SLACK, Gap, Gaps
from .recognitions import Recognitions

_LOGGER = logging.getLogger(__name__)

STORE_VERSION: Final = 1
# The longest a catch-up waits for the push to bring what was made around a gap's end.
END_WAIT: Final = timedelta(seconds=15)
# Asked for after now too: a box whose clock runs ahead (by less than this; see the client's
# plausibility.MAX_AHEAD) stamps what it recognizes now a little later.
AHEAD: Final = timedelta(minutes=5)
# The most recognitions one catch-up delivers (the newest; the older rest are counted as
# missed and stay in the box's history).
MAX_CATCH_UP: Final = 1000
# A catch-up the box did not answer is tried again this often, at most RETRIES times.
RETRY_AFTER: Final = timedelta(minutes=1)
RETRIES: Final = 3
# Recognitions delivered between two turns of the event loop.
BATCH: Final = 25
SAVE_DELAY: Final = 10.0


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return where a box's catch-up state is kept."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.catch_up")


async def async_remove_catch_up(hass: HomeAssistant, entry_id: str) -> None:
    """Forget what was remembered of a box (its entry is removed)."""
    await _store(hass, entry_id).async_remove()


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
        self._hass = hass
        self._entry = entry
        self._client = client
        self._recognitions = recognitions
        self._followed = followed
        self._store = _store(hass, entry.entry_id)
        self._log = RateLimitedLog(_LOGGER)
        # When the push was down; when the box was first heard (nothing before is caught up
        # on; None: not loaded yet).
        self.gaps = Gaps()
        self.first: datetime | None = None
        # When the push last proved alive: a recognition received, or a connection proven; the
        # box's own time of the last recognition it pushed (the newest: it pushes in order).
        self._heard_at: datetime | None = None
        self._live_at: datetime | None = None
        self._last_made: float | None = None
        self._delivered = Delivered()
        # Recognitions delivered late: the push's own copy of one of them is dropped.
        self._replayed = Delivered()
        # Recognitions the push delivered while a catch-up was under way (None: none is).
        self._live_meanwhile: Delivered | None = None
        self._task: asyncio.Task[None] | None = None
        self._save_pending = False
        self._again = False
        self._retries = 0
        self._cancel_retry: CALLBACK_TYPE | None = None
        self._stopped = False
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
        data = await self._store.async_load() or {}
        self.first = dt_util.parse_datetime(data.get("first") or "")
        if self.first is None:
            self.first = dt_util.utcnow()
            self._save_soon()
            return
        self.gaps.load(data.get("gaps"))
        # The box's clock as measured before: its history's times are read with it at once.
        if isinstance(skew := data.get("skew"), (int, float)):
            self._client.clock_watch.resume(timedelta(seconds=skew))
        # Home Assistant was stopped since it last heard the box.
        heard = dt_util.parse_datetime(data.get("heard_until") or "")
        made = data.get("made_until")
        self._last_made = made if isinstance(made, float) else None
        self.gaps.open(heard or self.first, self._last_made)
        if isinstance(delivered := data.get("delivered"), dict):
            self._delivered.load(delivered)

    async def async_save(self) -> None:
        """Write what is remembered now (the entry unloads)."""
        await self._store.async_save(self._stored())

    @callback
    def async_stop(self) -> None:
        """Stop a catch-up in progress and any retry (until the push connects again)."""
        self._stopped = True
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        if self._task is not None:
            self._task.cancel()
            self._task = None

    @callback
    def live(self, event: RecognitionEvent) -> None:
        """Deliver a pushed recognition, unless a catch-up already delivered it."""
        if self._replayed.has(event):
            self.duplicates += 1
            return
        self._delivered.add(event)
        if self._live_meanwhile is not None:
            self._live_meanwhile.add(event)
        self._heard_at = self._live_at = dt_util.utcnow()
        self._last_made = made_at(event)
        self._save_soon()
        self._recognitions.handle(event)

    @callback
    def disconnected(self) -> None:
        """Open a gap: the push is down (since it was last heard, at the latest now)."""
        self.gaps.open(self._heard_at or dt_util.utcnow(), self._last_made)
        self._save_soon()

    @callback
    def connected(self) -> None:
        """End the gap and catch up now (a connection of the push just proved up).

        A connection with no gap open is a quiet reopen of a push that sent nothing: its gap
        began when the push was last heard.
        """
        now = dt_util.utcnow()
        self.gaps.close(now, self._heard_at or now, self._last_made)
        self._heard_at = now
        self._stopped = False
        self._retries = 0
        self._start()

    def _start(self) -> None:
        """Start a catch-up, or ask the running one to run again."""
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        if self._task is not None and not self._task.done():
            self._again = True
            return
        self._task = self._entry.async_create_background_task(
            self._hass, self._async_run(), f"{DOMAIN}-catch-up-{self._entry.entry_id}"
        )

    async def _async_run(self) -> None:
        """Catch up, then again while a connection asked for it meanwhile."""
        self._again = True
        while self._again:
            self._again = False
            await self._async_catch_up()

    async def _async_catch_up(self) -> None:
        """Ask the box for what it recognized in the gaps, and deliver what was not delivered."""
        gaps = self.gaps.ended()
        if not gaps or self.first is None:
            return
        if self.hours <= 0:
            self.gaps.forget(gaps)
            return
        if self._client.clock_watch.box is None:
            # After a restart: learn a box clock's time-zone error before asking it for times.
            await self._client.async_get_box_time()
        now, skew = dt_util.utcnow(), self._client.clock_watch.residual or timedelta(0)
        start = min(gap.start for gap in gaps) + skew - OVERLAP
        start = max(start, now - timedelta(hours=self.hours), self.first)
        # What the box recognizes from now on comes by the push, which is up (a little after
        # now for a box running ahead). Twice the bound: those already delivered (the overlap)
        # are among the oldest.
        query = HistoryQuery(
            start=start, end=now + AHEAD, device_ids=self._followed(), limit=2 * MAX_CATCH_UP
        )
        self.runs += 1
        self._live_meanwhile = Delivered()
        try:
            delivered, missed, complete = await self._async_deliver(query, gaps, skew)
        except SophonError as err:
            self._failed(err)
            return
        finally:
            self._live_meanwhile = None
        self.gaps.forget(gaps)
        self.replayed += delivered
        self.missed += missed
        self.last_run = {
            "at": now.isoformat(),
            "since": start.isoformat(),
            "delivered": delivered,
            "missed": missed,
            "complete": complete,
        }
        self._log_run(delivered, missed, complete)
        self._save_soon()

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
        ends = [self._where(gaps, event, skew) == "end" for event in new]
        at_end = [event for event, end in zip(new, ends, strict=True) if end]
        delivered = await self._async_replay(
            [event for event, end in zip(new, ends, strict=True) if not end]
        )
        if at_end:
            await self._async_push_past(max(made_at(event) for event in at_end))
            delivered += await self._async_replay(at_end)
        return delivered, missed, history.complete

    async def _async_push_past(self, when: float) -> None:
        """Wait until the push brought a recognition the box made after when, or SLACK passed.

        The push delivers in order: past that, one it has not brought it never will (a busy
        box's backlog can take longer than SLACK; then at most END_WAIT).
        """
        loop = asyncio.get_running_loop()
        slack_until = loop.time() + SLACK.total_seconds()
        give_up = loop.time() + END_WAIT.total_seconds()
        while loop.time() < give_up:
            past = self._last_made is not None and self._last_made > when
            if past or (loop.time() >= slack_until and self._last_made is None):
                return
            if loop.time() >= slack_until and not self._backlog():
                return
            await asyncio.sleep(0.05)

    def _backlog(self) -> bool:
        """Return True while the push delivered a recognition less than SLACK ago (it is busy)."""
        return self._live_at is not None and dt_util.utcnow() - self._live_at < SLACK

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
        where = self._where(gaps, event, skew)
        if where is None or self._delivered.has(event):
            return False
        return where == "gap" or self._delivered.remembers(event)

    @staticmethod
    def _where(gaps: list[Gap], event: RecognitionEvent, skew: timedelta) -> str | None:
        """Return where a recognition lies against gaps (see Gaps.where)."""
        return Gaps.where(gaps, event.timestamp, made_at(event), skew)

    def _log_run(self, delivered: int, missed: int, complete: bool) -> None:
        """Say what a catch-up delivered, and what it could not."""
        title = self._entry.title
        if delivered:
            _LOGGER.info(
                "Received %d recognitions from %s late (made while away)", delivered, title
            )
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

    def _failed(self, err: SophonError) -> None:
        """Count and log a catch-up the box did not answer; try again a few times."""
        self.failures += 1
        self._log.warning(
            "catch_up",
            "Could not ask %s for the recognitions made while away: %s",
            self._entry.title,
            err,
        )
        if self._retries < RETRIES and not self._stopped:
            self._retries += 1
            self._cancel_retry = async_call_later(
                self._hass, RETRY_AFTER, HassJob(self._retry, cancel_on_shutdown=True)
            )

    @callback
    def _retry(self, _now: datetime) -> None:
        """Try a failed catch-up again."""
        self._cancel_retry = None
        self._start()

    def _save_soon(self) -> None:
        """Write what is remembered a little later (one write for many recognitions)."""
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._stored, SAVE_DELAY)

    def _stored(self) -> dict[str, Any]:
        """Return what is written: the gaps, until when the box was heard, the delivered ones."""
        self._save_pending = False
        now = dt_util.utcnow()
        down = self.gaps.items[-1] if self.gaps.down else None
        heard = down.start if down else self._heard_at or now
        made = down.made_after if down else self._last_made
        correction = self._client.clock_watch.correction
        since = (heard + correction - OVERLAP - SAME_RECOGNITION).timestamp()
        skew = self._client.clock_watch.skew
        return {
            "first": None if self.first is None else self.first.isoformat(),
            "heard_until": heard.isoformat(),
            "made_until": made,
            "skew": None if skew is None else round(skew.total_seconds(), 3),
            "gaps": self.gaps.as_list(),
            "delivered": self._delivered.as_dict(since),
        }

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
