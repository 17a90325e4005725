"""Catch-up: the recognitions a box made while Home Assistant did not hear them, delivered late.

Each box's newest delivered recognition time is remembered (Home Assistant's Store, so a
restart keeps it). Whenever the push connects (at start-up and after every outage) the box's
history is asked for what happened since then, with an overlap, and what was not delivered
yet is delivered in time order as received late (`replayed`). A recognition is the same as
one delivered when its event id is, or, where ids differ in form (a 1.0 push and its history),
when its device and identity are, its score is within SAME_SCORE and its time within
SAME_RECOGNITION. Once the box's history names a recognition by the id its push gave, its ids
are compared alone. Nothing from before the box was added is delivered.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .api import BoxClient, HistoryQuery, RateLimitedLog, RecognitionEvent, SophonError
from .const import CONF_CATCH_UP_HOURS, DEFAULT_CATCH_UP_HOURS, DOMAIN
from .recognitions import Recognitions

_LOGGER = logging.getLogger(__name__)

STORE_VERSION: Final = 1
# Asked for again before the newest delivered recognition: the box may store one a little
# after pushing it, and the clocks of a recognition and of its record differ by milliseconds.
OVERLAP: Final = timedelta(minutes=2)
# The most recognitions one catch-up delivers (the newest; the older rest are counted as
# missed and stay in the box's history).
MAX_CATCH_UP: Final = 1000
SAME_RECOGNITION: Final = timedelta(seconds=1)
# Scores on 0..1 that are the same one read from two scales (0..1 pushed, 0..100 kept).
# (0..100 rounded to one decimal differs by 0.0005 at most.)
SAME_SCORE: Final = 0.001
# Delivered recognitions remembered to tell a late one already delivered (and written to disk:
# event ids and device keys with a hash of the identity, never a name or a picture).
REMEMBERED: Final = 4096
# A catch-up the box did not answer is tried again this often, at most RETRIES times.
RETRY_AFTER: Final = timedelta(minutes=1)
RETRIES: Final = 3
# Recognitions delivered between two turns of the event loop.
BATCH: Final = 25
SAVE_DELAY: Final = 10.0


class Mark(NamedTuple):
    """What tells a recognition from another where event ids differ in form."""

    device: str
    # A short hash of who was recognized (what is written to disk instead of the identity id).
    who: str
    when: float
    # On 0..1; -1 without a score.
    score: float


def _mark(event: RecognitionEvent) -> Mark:
    """Return the mark of a recognition."""
    digest = hashlib.blake2s(event.identity_id.encode(), digest_size=8).hexdigest()
    score = -1.0 if event.score is None else event.score
    return Mark(event.device_key, digest, event.timestamp.timestamp(), score)


def _bucket(mark: Mark) -> tuple[str, str, int]:
    """Return where a mark is indexed: its device, identity and whole second."""
    return mark.device, mark.who, int(mark.when)


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return where a box's catch-up state is kept."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.catch_up")


async def async_remove_catch_up(hass: HomeAssistant, entry_id: str) -> None:
    """Forget what was remembered of a box (its entry is removed)."""
    await _store(hass, entry_id).async_remove()


class Delivered:
    """The recognitions delivered lately: their event ids, and device, identity and time.

    With horizon, one no later than the newest forgotten one counts as delivered: it is older
    than REMEMBERED recognitions delivered after it (a box pushing many a second), and asking
    the box for it again must not deliver it twice.
    """

    def __init__(self, horizon: bool = False) -> None:
        """Remember nothing yet."""
        self._horizon = horizon
        self.forgotten_until: float | None = None
        # The box's history and push name a recognition by the same id (learnt).
        self.ids_match = False
        # Event ids, and whether the push gave each (not the history).
        self._ids: OrderedDict[str, bool] = OrderedDict()
        # (device key, identity mark, time in s, score or -1), oldest first; indexed by the
        # device, identity and whole second.
        self._marks: OrderedDict[Mark, None] = OrderedDict()
        self._by_second: dict[tuple[str, str, int], list[Mark]] = {}

    def add(self, event: RecognitionEvent, pushed: bool = True) -> None:
        """Remember a delivered recognition (the oldest are forgotten past REMEMBERED).

        pushed: it came by the push (not from the history): its id is the push's.
        """
        if event.event_id:
            self._ids[event.event_id] = pushed
            if len(self._ids) > REMEMBERED:
                self._ids.popitem(last=False)
        self._add_mark(_mark(event))

    def _add_mark(self, mark: Mark) -> None:
        """Remember one device, identity, time and score."""
        if mark in self._marks:
            return
        self._marks[mark] = None
        self._by_second.setdefault(_bucket(mark), []).append(mark)
        if len(self._marks) > REMEMBERED:
            old, _ = self._marks.popitem(last=False)
            if self.forgotten_until is None or old.when > self.forgotten_until:
                self.forgotten_until = old.when
            bucket = self._by_second[_bucket(old)]
            bucket.remove(old)
            if not bucket:
                del self._by_second[_bucket(old)]

    def has(self, event: RecognitionEvent) -> bool:
        """Return True when the recognition was delivered (by event id, or device, who and when)."""
        if event.event_id and event.event_id in self._ids:
            return True
        if not self._marks:
            return False
        mark = _mark(event)
        if self._horizon and self.forgotten_until is not None and mark.when <= self.forgotten_until:
            return True
        if self.ids_match and event.event_id:
            return False
        slack, second = SAME_RECOGNITION.total_seconds(), int(mark.when)
        return any(
            abs(other.when - mark.when) <= slack and abs(other.score - mark.score) <= SAME_SCORE
            for near in range(second - 1, second + 2)
            for other in self._by_second.get((mark.device, mark.who, near), ())
        )

    def learn_ids(self, events: list[RecognitionEvent]) -> None:
        """Learn from a history answer whether its ids are those the push gave."""
        if not self.ids_match:
            # Only an id the push gave tells: a replayed one is the history's own.
            self.ids_match = any(e.event_id and self._ids.get(e.event_id) for e in events)

    def as_dict(self, since: float) -> dict[str, Any]:
        """Return what is kept on disk: the ids and marks (of those since a time, the marks)."""
        return {
            "ids": [[event_id, pushed] for event_id, pushed in self._ids.items()],
            "marks": [list(mark) for mark in self._marks if mark.when >= since],
            "forgotten_until": self.forgotten_until,
            "ids_match": self.ids_match,
        }

    def load(self, data: dict[str, Any]) -> None:
        """Take back what as_dict gave (anything unreadable is left out)."""
        if isinstance(until := data.get("forgotten_until"), float):
            self.forgotten_until = until
        self.ids_match = data.get("ids_match") is True
        for item in data.get("ids", []):
            if isinstance(item, list) and len(item) == 2 and isinstance(item[0], str):  # noqa: PLR2004
                self._ids[item[0]] = item[1] is True
        for mark in data.get("marks", []):
            if isinstance(mark, list) and len(mark) == len(Mark.__annotations__):
                device, who, when, score = mark
                if (
                    isinstance(device, str)
                    and isinstance(who, str)
                    and isinstance(when, float)
                    and isinstance(score, (int, float))
                ):
                    self._add_mark(Mark(device, who, when, float(score)))


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
        # The time of the newest recognition delivered (None: not loaded yet), and when the
        # box was first heard (nothing before is caught up on).
        self.last: datetime | None = None
        self.first: datetime | None = None
        self._delivered = Delivered(horizon=True)
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
        last = dt_util.parse_datetime(data.get("last") or "")
        self.first = dt_util.parse_datetime(data.get("first") or "")
        if last is None:
            self.last = self.first = dt_util.utcnow()
            self._save_soon()
            return
        self.last = last
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
        self._note(event)
        if self._live_meanwhile is not None:
            self._live_meanwhile.add(event)
        self._recognitions.handle(event)

    @callback
    def connected(self) -> None:
        """Catch up now (the push just connected); once more after one in progress."""
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
        """Ask the box for what it recognized since the last delivered, and deliver the rest."""
        if self.hours <= 0 or self.last is None:
            return
        now = dt_util.utcnow()
        start = max(self.last - OVERLAP, now - timedelta(hours=self.hours))
        if self.first is not None:
            start = max(start, self.first)
        # Up to now: what the box recognizes from now on comes by the push, which is up. Twice
        # the bound: those already delivered (the overlap) are among the oldest.
        query = HistoryQuery(
            start=start, end=now, device_ids=self._followed(), limit=2 * MAX_CATCH_UP
        )
        self.runs += 1
        self._live_meanwhile = Delivered()
        try:
            delivered, missed, complete = await self._async_deliver(query)
        except SophonError as err:
            self._failed(err)
            return
        finally:
            self._live_meanwhile = None
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

    async def _async_deliver(self, query: HistoryQuery) -> tuple[int, int, bool]:
        """Deliver what the box gives for query and was not delivered yet, oldest first.

        Return how many were delivered, how many were left out over MAX_CATCH_UP, and whether
        the box's answer was read whole. Raises SophonError when the box cannot be asked.
        """
        history = await self._client.async_get_recognitions(query)
        self._delivered.learn_ids(history.recognitions)
        self._replayed.ids_match = self._delivered.ids_match
        new = [event for event in history.recognitions if not self._delivered.has(event)]
        missed = max(len(new) - MAX_CATCH_UP, 0) + history.matched - len(history.recognitions)
        delivered = 0
        for event in new[-MAX_CATCH_UP:]:
            if self._live_meanwhile is not None and self._live_meanwhile.has(event):
                continue  # the push brought it meanwhile
            self._note(event, pushed=False)
            self._replayed.add(event, pushed=False)
            self._recognitions.handle(event, replayed=True)
            delivered += 1
            if delivered % BATCH == 0:
                await asyncio.sleep(0)
        return delivered, missed, history.complete

    def _log_run(self, delivered: int, missed: int, complete: bool) -> None:
        """Say what a catch-up delivered, and what it could not."""
        title = self._entry.title
        if delivered:
            _LOGGER.info(
                "Received %d recognitions from %s late (made while away)", delivered, title
            )
        if missed or not complete:
            _LOGGER.warning(
                "%s made more recognitions while away than one catch-up delivers (%d): the "
                "newest were delivered, %d older ones were not (they stay in the box's history)",
                title,
                MAX_CATCH_UP,
                missed,
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

    def _note(self, event: RecognitionEvent, pushed: bool = True) -> None:
        """Remember a delivered recognition, and its time when it is the newest."""
        self._delivered.add(event, pushed)
        if self.last is None or event.timestamp > self.last:
            self.last = event.timestamp
        self._save_soon()

    def _save_soon(self) -> None:
        """Write what is remembered a little later (one write for many recognitions)."""
        if not self._save_pending:
            self._save_pending = True
            self._store.async_delay_save(self._stored, SAVE_DELAY)

    def _stored(self) -> dict[str, Any]:
        """Return what is written: the newest time and the recognitions delivered around it."""
        self._save_pending = False
        last = self.last or dt_util.utcnow()
        since = (last - OVERLAP - SAME_RECOGNITION).timestamp()
        return {
            "first": None if self.first is None else self.first.isoformat(),
            "last": last.isoformat(),
            "delivered": self._delivered.as_dict(since),
        }

    def as_dict(self) -> dict[str, Any]:
        """Return what diagnostics show (times and counts only)."""
        return {
            "hours": self.hours,
            "last": None if self.last is None else self.last.isoformat(),
            "runs": self.runs,
            "replayed": self.replayed,
            "duplicates_dropped": self.duplicates,
            "missed": self.missed,
            "failures": self.failures,
            "last_run": self.last_run,
        }
