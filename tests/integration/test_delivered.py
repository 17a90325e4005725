"""What the catch-up remembers of delivered recognitions, and how far back that memory reaches."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from custom_components.sophon.api import RecognitionEvent
from custom_components.sophon.delivered import REMEMBERED, Delivered

BURST = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def _event(number: int, millisecond: int, event_id: str | None = None) -> RecognitionEvent:
    """Return recognition `number`, stamped at `millisecond` after BURST."""
    moment = BURST + timedelta(milliseconds=millisecond)
    return RecognitionEvent(
        device_id=f"gate{number % 3}",
        timestamp=moment,
        box_time=moment,
        identity_id=f"person{number % 7}",
        score=0.9,
        event_id=event_id if event_id is not None else f"id{number}",
    )


@pytest.mark.parametrize("per_millisecond", [1, 3, 50])
@pytest.mark.parametrize("ids_match", [False, True])
def test_a_recognition_forgotten_in_a_burst_is_never_taken_for_one_not_delivered(
    per_millisecond: int, ids_match: bool
) -> None:
    """Many stamped in one millisecond: forgotten or remembered, none reads as new."""
    delivered = Delivered()
    delivered.ids_match = ids_match
    events = [_event(n, n // per_millisecond) for n in range(REMEMBERED + 500)]
    for event in events:
        delivered.add(event)
    for event in events:
        assert delivered.has(event) or not delivered.remembers(event), event.event_id
        # Read back from a history that gives the time to the microsecond (and, unless the
        # box's ids match, under another id).
        finer = dataclasses.replace(
            event,
            event_id=event.event_id if ids_match else f"kept-{event.event_id}",
            box_time=(event.box_time or BURST) + timedelta(microseconds=999),
        )
        assert delivered.has(finer) or not delivered.remembers(finer), event.event_id
    later = _event(10**6, len(events) // per_millisecond + 5_000, event_id="new")
    assert not delivered.has(later)
    assert delivered.remembers(later)


def test_the_memory_read_back_reaches_as_far_as_what_was_written() -> None:
    """Marks before `since` are not written: read back, what they covered counts as forgotten."""
    delivered = Delivered()
    events = [_event(n, n * 1000) for n in range(10)]
    for event in events:
        delivered.add(event, pushed=n_pushed(event))
    since = events[5].timestamp.timestamp()
    again = Delivered()
    again.load(delivered.as_dict(since))
    assert not again.remembers(events[4])
    assert again.remembers(events[6])
    assert all(again.has(event) for event in events)  # by id, all written
    older = Delivered()
    older.load({"ids": [["id1", True]], "marks": [], "ids_match": True})  # before times
    assert older.has(events[1])
    assert older.remembers(events[0])


def n_pushed(event: RecognitionEvent) -> bool:
    """Return whether the test says this recognition came by the push (the even ones)."""
    return int((event.event_id or "id0")[2:]) % 2 == 0
