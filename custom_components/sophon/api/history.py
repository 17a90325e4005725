"""A box's past recognitions: its event-history query read page by page (api sections 1 and 7).

The query's documented gaps are tolerated here, the same way for both generations: the unit of
the time filters (seconds on 1.0 and in the 2.0 example, milliseconds in the 2.0 table) is
learnt from the answers, the sort order is not relied on, a page may hold fewer events than
asked, and the answer's filtering is checked again on this side. Reading stops after MAX_PAGES
pages or MAX_SECONDS seconds.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from . import history_v1, history_v2
from .connection import RateLimitedLog
from .exceptions import FrameRejectedError, SophonError, SophonResponseError
from .models import (
    History,
    HistoryPage,
    HistoryPageRequest,
    HistoryQuery,
    RecognitionEvent,
    canonical_device_id,
)

if TYPE_CHECKING:
    from .client import BoxClient
    from .generation import Rest
    from .pictures import BoxPictures
    from .rest import BoxRest

_LOGGER = logging.getLogger(__name__)

# Events asked for per page (a box may give fewer), pages read at most, and seconds at most.
PAGE_SIZE = 100
MAX_PAGES = 200
MAX_SECONDS = 60.0
# How far outside the asked times an answer's event may be before the box is judged to read
# the time filters in the other unit (a second's rounding, plus the box's own noise).
UNIT_SLACK = timedelta(seconds=2)


class HistoryCalls(Protocol):
    """One generation's history query: a page asked for, an event read."""

    async def fetch_history_page(self, rest: Rest, request: HistoryPageRequest) -> HistoryPage:
        """Ask the box for one page of the query."""

    def parse_history_item(self, item: Any, rest: Rest, box: BoxPictures) -> RecognitionEvent:
        """Read one event of a page, or raise FrameRejectedError."""


# By Generation.name.
HISTORY_CALLS: dict[str, HistoryCalls] = {history_v1.NAME: history_v1, history_v2.NAME: history_v2}


class HistoryReader:
    """Ask a box for its past recognitions, in the generation it speaks."""

    def __init__(self, client: BoxClient, rest: BoxRest) -> None:
        """Read client's box through rest."""
        self._client = client
        self._rest = rest
        # The unit the box reads the time filters in, once learnt (True: milliseconds).
        self.filter_ms: bool | None = None
        self._log = RateLimitedLog(_LOGGER)

    async def query(self, query: HistoryQuery) -> History:
        """Return the recognitions of a query, oldest first (see History).

        Raises SophonError when the box cannot be asked (not reachable, an error answer, no
        known generation).
        """
        counters = self._client.counters
        try:
            history = await self._query(query)
        except SophonError:
            counters.history_failures += 1
            raise
        counters.history_queries += 1
        return history

    async def _query(self, query: HistoryQuery) -> History:
        """Read pages until the answer is complete or a bound is reached; filter and limit."""
        if self._client.generation is None:
            await self._rest.devices()  # finds out the generation
        deadline = time.monotonic() + MAX_SECONDS
        correction = self._client.clock_watch.correction  # one for the whole query
        for _attempt in range(2):  # once more after learning the filters' unit
            unit = self.filter_ms
            found, complete = await self._read_pages(query, deadline, correction)
            if self.filter_ms == unit:
                break
        if not found and self.filter_ms is not None:
            # Nothing in the unit learnt: ask once in the form either reading lets through,
            # in case it was learnt wrongly (it is learnt again from what comes back).
            self.filter_ms = None
            found, complete = await self._read_pages(query, deadline, correction)
        matched = sorted(found.values(), key=lambda event: event.timestamp)
        return History(
            recognitions=matched[-query.limit :] if query.limit > 0 else [],
            matched=len(matched),
            complete=complete,
        )

    async def _read_pages(
        self, query: HistoryQuery, deadline: float, correction: timedelta
    ) -> tuple[dict[str, RecognitionEvent], bool]:
        """Read the query's pages; return the matching events by key and whether all were read."""
        calls = self._calls()
        found: dict[str, RecognitionEvent] = {}
        page, seen, unit = 0, 0, self.filter_ms
        newest_first: bool | None = None
        previous: datetime | None = None
        while page < MAX_PAGES:
            request = HistoryPageRequest(
                query=query,
                start=query.start + correction,
                end=None if query.end is None else query.end + correction,
                page=page,
                per_page=PAGE_SIZE,
                filter_ms=unit,
            )
            try:
                async with asyncio.timeout(max(deadline - time.monotonic(), 0)):
                    answer = await calls.fetch_history_page(self._rest, request)
            except TimeoutError:
                return found, False
            events = self._events(answer.items, correction)
            if self._learn_unit(request, events) is not unit:
                return found, True
            newest_first = _newest_first(newest_first, events, previous)
            previous = events[-1].timestamp if events else previous
            seen += len(answer.items)
            for event in events:
                if _matches(event, query):
                    found.setdefault(_key(event), event)
            if _last_page(answer, seen) or (
                newest_first and events and _before_start(events, query)
            ):
                return found, True
            page += 1
        return found, False

    def _calls(self) -> HistoryCalls:
        """Return the history calls of the generation the box speaks."""
        generation = self._client.generation
        if generation is None:
            raise SophonResponseError(f"{self._client.host} answers no known generation")
        return HISTORY_CALLS[generation.name]

    def _events(self, items: list[Any], correction: timedelta) -> list[RecognitionEvent]:
        """Parse a page's events onto our clock; an unreadable one is counted and skipped."""
        calls = self._calls()
        pictures = self._client.pictures
        events = []
        for item in items:
            try:
                event = calls.parse_history_item(item, self._rest, pictures)
            except FrameRejectedError as err:
                self._client.counters.history_rejected += 1
                self._log.warning(
                    err.reason,
                    "Skipped a past recognition from %s that cannot be read: %s",
                    self._client.host,
                    err,
                )
                continue
            if correction:
                event = dataclasses.replace(event, timestamp=event.timestamp - correction)
            events.append(event)
        return events

    def _learn_unit(
        self, request: HistoryPageRequest, events: list[RecognitionEvent]
    ) -> bool | None:
        """Learn the filters' unit from events the box should not have given; return it.

        An event well before the start: the box read the start (sent in seconds) as
        milliseconds. One well after the end, while the unit was not known: it read the end
        (sent in milliseconds) as seconds.
        """
        if self.filter_ms is not None or not events:
            return self.filter_ms
        query = request.query
        if min(event.timestamp for event in events) < query.start - UNIT_SLACK:
            self.filter_ms = True
        elif query.end is not None and max(e.timestamp for e in events) > query.end + UNIT_SLACK:
            self.filter_ms = False
        if self.filter_ms is not None:
            _LOGGER.debug(
                "%s reads history time filters in %s",
                self._client.host,
                "milliseconds" if self.filter_ms else "seconds",
            )
        return self.filter_ms


def _key(event: RecognitionEvent) -> str:
    """Return what tells two past events apart: the event id, else device and time."""
    if event.event_id:
        return event.event_id
    return f"{event.device_key}|{event.timestamp.timestamp()}"


def _matches(event: RecognitionEvent, query: HistoryQuery) -> bool:
    """Return True when an event answers the query (the box's filtering is checked again)."""
    if event.timestamp < query.start or (query.end is not None and event.timestamp > query.end):
        return False
    if query.device_ids and event.device_key not in {
        canonical_device_id(device_id) for device_id in query.device_ids
    }:
        return False
    if query.identity_id is not None and event.identity_id != query.identity_id:
        return False
    return query.person_type is None or event.person_type is query.person_type


def _newest_first(
    known: bool | None, events: list[RecognitionEvent], previous: datetime | None
) -> bool | None:
    """Return whether the pages read are newest first, after this one (previous: the last time).

    False once a time is newer than the one before it; True once one is older and none newer;
    None (not known) while no two differ: a page of one event is in any order.
    """
    times = [event.timestamp for event in events]
    if previous is not None:
        times.insert(0, previous)
    pairs = list(itertools.pairwise(times))
    if known is False or any(a < b for a, b in pairs):
        return False
    return True if any(a > b for a, b in pairs) else known


def _before_start(events: list[RecognitionEvent], query: HistoryQuery) -> bool:
    """Return True when, newest first, this page reached before the start: no more can match.

    Finding the limit's newest does not end the reading: matched counts every match.
    """
    return events[-1].timestamp < query.start


def _last_page(answer: HistoryPage, seen: int) -> bool:
    """Return True when no page follows: an empty one, all counted, or (uncounted) a short one.

    Where the box counts the whole, a short page is not the last: a box may give fewer events
    than the page size it says.
    """
    if not answer.items:
        return True
    if answer.total is not None:
        return seen >= answer.total
    return answer.per_page is not None and len(answer.items) < answer.per_page
