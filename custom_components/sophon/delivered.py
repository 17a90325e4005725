"""Which recognitions were delivered lately: to tell a late one from one already delivered.

A recognition is one delivered when its event id is. Where a box names a recognition otherwise
in its history than in its push (a 1.0 box: `_id` against `event_id`), it is one delivered when
its device and identity are, its score is within SAME_SCORE (a missing score matches any) and
the box's own time within SAME_RECOGNITION. Once a history answer names a recognition by the
id the push gave, that box's ids are compared alone.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from datetime import timedelta
from typing import Any, Final, NamedTuple

from .api import RecognitionEvent

# The box's own times of one recognition as pushed and as kept (the same record: milliseconds
# apart at most in every example; the same person at the same gate twice within this is one).
SAME_RECOGNITION: Final = timedelta(seconds=0.25)
# Scores on 0..1 that are the same one read from two scales (0..1 pushed, 0..100 kept; 0..100
# rounded to one decimal differs by 0.0005 at most).
SAME_SCORE: Final = 0.001
# Delivered recognitions remembered (each is written to disk by id).
REMEMBERED: Final = 4096
# Who a mark written to disk names: nobody (the identity's hash stays in memory).
ANYONE: Final = "*"
NO_SCORE: Final = -1.0


def made_at(event: RecognitionEvent) -> float:
    """Return the box's own time of a recognition (seconds since the epoch, as it stamped it)."""
    return (event.box_time or event.timestamp).timestamp()


class Mark(NamedTuple):
    """What tells a recognition from another where event ids differ in form."""

    device: str
    # A short hash of who was recognized (ANYONE once read back from disk).
    who: str
    # The box's own time of it (seconds since the epoch), not corrected or clamped.
    when: float
    # On 0..1; NO_SCORE without one.
    score: float

    @classmethod
    def of(cls, event: RecognitionEvent) -> Mark:
        """Return the mark of a recognition."""
        who = hashlib.blake2s(event.identity_id.encode(), digest_size=8).hexdigest()
        score = NO_SCORE if event.score is None else event.score
        return cls(event.device_key, who, made_at(event), score)

    def same(self, other: Mark) -> bool:
        """Return True when two marks are of one recognition (the device is compared already)."""
        if ANYONE not in (self.who, other.who) and self.who != other.who:
            return False
        if NO_SCORE not in (self.score, other.score) and abs(self.score - other.score) > SAME_SCORE:
            return False
        return abs(self.when - other.when) <= SAME_RECOGNITION.total_seconds()


class Delivered:
    """The recognitions delivered lately (the last REMEMBERED): event ids and marks."""

    def __init__(self) -> None:
        """Remember nothing yet."""
        # The box's history and push name a recognition by the same id (learnt).
        self.ids_match = False
        # Event ids: whether the push gave each (not the history), and the box's time of it.
        self._ids: OrderedDict[str, tuple[bool, float]] = OrderedDict()
        self._marks: OrderedDict[Mark, None] = OrderedDict()
        # The marks by device and whole second.
        self._by_second: dict[tuple[str, int], list[Mark]] = {}
        # The box's newest time of a recognition forgotten (None: none was): one made then
        # or before may have been delivered and forgotten (a burst stamps many in one ms).
        self._forgot_until: float | None = None

    def add(self, event: RecognitionEvent, pushed: bool = True) -> None:
        """Remember a delivered recognition (the oldest are forgotten past REMEMBERED).

        pushed: it came by the push (not from the history): its id is the push's.
        """
        if event.event_id:
            self._ids[event.event_id] = (pushed, made_at(event))
            if len(self._ids) > REMEMBERED:
                _, (_, when) = self._ids.popitem(last=False)
                self._forget_until(when)
        self._add_mark(Mark.of(event))

    def _add_mark(self, mark: Mark) -> None:
        """Remember one mark."""
        if mark in self._marks:
            return
        self._marks[mark] = None
        self._by_second.setdefault((mark.device, int(mark.when)), []).append(mark)
        if len(self._marks) > REMEMBERED:
            old, _ = self._marks.popitem(last=False)
            self._forget_until(old.when)
            bucket = self._by_second[old.device, int(old.when)]
            bucket.remove(old)
            if not bucket:
                del self._by_second[old.device, int(old.when)]

    def has(self, event: RecognitionEvent) -> bool:
        """Return True when the recognition was delivered (as far as the memory reaches)."""
        if event.event_id and event.event_id in self._ids:
            return True
        if not self._marks:
            return False
        mark = Mark.of(event)
        if self.ids_match and event.event_id:
            return False
        second = int(mark.when)
        return any(
            mark.same(other)
            for near in range(second - 1, second + 2)
            for other in self._by_second.get((mark.device, near), ())
        )

    def _forget_until(self, when: float) -> None:
        """Note that a recognition made at when was forgotten."""
        if self._forgot_until is None or when > self._forgot_until:
            self._forgot_until = when

    def remembers(self, event: RecognitionEvent) -> bool:
        """Return True when the memory reaches back to the time of a recognition.

        One made when or before a forgotten one was (not: before the oldest remembered; those
        are forgotten in the order they were delivered, and many share a millisecond) can have
        been delivered and forgotten; so can one within SAME_RECOGNITION after it (a history
        can give a time more finely than the push did: 16.504997 s kept, 16.504 s pushed).
        """
        if self._forgot_until is None:
            return True
        return made_at(event) > self._forgot_until + SAME_RECOGNITION.total_seconds()

    def learn_ids(self, events: list[RecognitionEvent]) -> None:
        """Learn from a history answer whether its ids are those the push gave."""
        if not self.ids_match:
            # Only an id the push gave tells: a replayed one is the history's own.
            self.ids_match = any(
                e.event_id and self._ids.get(e.event_id, (False, 0.0))[0] for e in events
            )

    def as_dict(self, since: float) -> dict[str, Any]:
        """Return what is kept on disk: the ids, and the marks since a time without who.

        The marks before since count as forgotten once read back.
        """
        forgot_until = max(
            [m.when for m in self._marks if m.when < since]
            + ([] if self._forgot_until is None else [self._forgot_until]),
            default=None,
        )
        return {
            "ids": [[event_id, pushed, when] for event_id, (pushed, when) in self._ids.items()],
            "marks": [[m.device, m.when, m.score] for m in self._marks if m.when >= since],
            "forgot_until": forgot_until,
            "ids_match": self.ids_match,
        }

    def load(self, data: dict[str, Any]) -> None:
        """Take back what as_dict gave (anything unreadable is left out)."""
        self.ids_match = data.get("ids_match") is True
        if isinstance(forgot_until := data.get("forgot_until"), float):
            self._forget_until(forgot_until)
        for item in data.get("ids", []):
            # [id, pushed, when]; written before 2026-11-30 without when (read as long ago).
            if isinstance(item, list) and len(item) in (2, 3) and isinstance(item[0], str):
                when = item[2] if len(item) == 3 and isinstance(item[2], float) else 0.0  # noqa: PLR2004
                self._ids[item[0]] = (item[1] is True, when)
        for item in data.get("marks", []):
            if isinstance(item, list) and len(item) == 3:  # noqa: PLR2004
                device, when, score = item
                if (
                    isinstance(device, str)
                    and isinstance(when, float)
                    and isinstance(score, (int, float))
                ):
                    self._add_mark(Mark(device, ANYONE, when, float(score)))
