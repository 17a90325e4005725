"""Keep a box's recognitions and select the event-history query's pages from them.

What is kept per recognition is small (references to the shared pictures, the person and the
device, a few numbers); each generation builds its records from it only when asked
(generation_v1.event_object, generation_v2.event_record). The filters, the order and the paging
are the same in both generations and live here.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .faults import Faults
    from .generation import BuiltEvent, EventSpec
    from .roster import Person, PersonType, SimDevice

HISTORY_KEEP = 10_000  # recognitions a box keeps by default
STORE_DELAY_US = 36_000  # how long after the recognition the box writes it (the 1.0 _id's time)
MS_ABOVE = 1e11  # a time above this is in ms (api section 7.1)
TIME_TOLERANCE = 1.0  # s between the time an image call gives and the event's stored one
AGES = ("child", "juvenile", "youth", "middle-aged", "aged")
EXPRESSIONS = ("neutral", "happy", "surprise", "sad")
_LANDMARKS = ((0.3, 0.4), (0.7, 0.4), (0.5, 0.58), (0.35, 0.78), (0.65, 0.78))
_SCRAMBLE = 2_654_435_761  # Knuth's multiplicative hash: the "unordered" order


class BadArgumentError(ValueError):
    """Tell that a history query's argument has the wrong type or value; args[0] is its key."""


def stable_rng(key: str) -> random.Random:
    """Return a generator seeded from key (for traits that stay the same per person or event)."""
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big")
    return random.Random(seed)  # noqa: S311 - simulated traits, not secrets


def face_attributes(rng: random.Random, person_key: str) -> dict[str, Any]:
    """Return a face's attributes: traits stable per person, position and mood drawn from rng.

    box and point are tuples (what is kept must not change); records turn them into lists.
    """
    traits = stable_rng(person_key)
    gender, age, glasses = traits.choice(("male", "female")), traits.choice(AGES), traits.random()
    x, y, size = rng.uniform(80, 1000), rng.uniform(60, 380), rng.uniform(110, 260)
    point: list[float] = []
    for fx, fy in _LANDMARKS:
        point += [round(x + fx * size + rng.uniform(-3, 3), 4)]
        point += [round(y + fy * size * 1.2 + rng.uniform(-3, 3), 4)]
    return {
        "gender": gender,
        "age": age,
        "mask": "yes" if rng.random() < 0.15 else "no",  # noqa: PLR2004
        "glasses": "yes" if glasses < 0.3 else "no",  # noqa: PLR2004
        "hat": None,
        "expression": rng.choice(EXPRESSIONS),
        "box": (round(x, 4), round(y, 4), round(x + size, 4), round(y + size * 1.2, 4)),
        "point": tuple(point),
    }


@dataclass(slots=True, eq=False)
class Recognition:
    """Hold what a box keeps of one recognition: enough to answer for it and serve its pictures.

    stored_us: when the box wrote it, in µs since the epoch (unique, increasing: the 1.0 _id).
    timestamp: the event's time as stored, float s (the push's ms / 1000 and a few µs). score:
    0..1. face, scene: the pictures the box keeps (None: built without pictures); images: the
    pictures as pushed (images_of). attrs: the face attributes the push carried (2.0; None:
    drawn from the event's number when asked).
    """

    seq: int
    event_id: str
    stored_us: int
    timestamp: float
    device: SimDevice
    person: Person
    score: float
    face: bytes | None
    scene: bytes | None
    images: dict[str, bytes]
    attrs: dict[str, Any] | None

    @property
    def record_id(self) -> str:
        """Return the 1.0 _id: the time the box wrote the record, "<seconds>.<6 digits>"."""
        return f"{self.stored_us // 1_000_000}.{self.stored_us % 1_000_000:06d}"

    @property
    def score_100(self) -> float:
        """Return the score on the 0..100 scale the records give."""
        return round(self.score * 100, 2)

    def face_attributes(self) -> dict[str, Any]:
        """Return the face attributes as a record gives them (fresh lists)."""
        attrs = self.attrs
        if attrs is None:
            attrs = face_attributes(stable_rng(f"attributes-{self.seq}"), self.person.image_key)
        return {key: list(v) if isinstance(v, tuple) else v for key, v in attrs.items()}

    def answer_time(self, faults: Faults) -> float | int:
        """Return the timestamp an answer gives: float s, or int ms with history_answer_ms."""
        return round(self.timestamp * 1000) if faults.history_answer_ms else self.timestamp

    def taken_at(self, when: float, ms: bool) -> bool:
        """Tell whether an image call's time is this event's (within 1 s); ms: accept ms too."""
        if ms and when > MS_ABOVE:
            when /= 1000
        return abs(self.timestamp - when) <= TIME_TOLERANCE


class History:
    """Keep the last `keep` recognitions, findable by the push's event id and by the 1.0 _id."""

    def __init__(self, keep: int = HISTORY_KEEP) -> None:
        """Start empty."""
        self.keep = max(keep, 0)
        self._kept: deque[Recognition] = deque()
        self._by_event: dict[str, Recognition] = {}
        self._by_record: dict[str, Recognition] = {}
        self._last_us = 0

    def __len__(self) -> int:
        """Count the recognitions kept."""
        return len(self._kept)

    def __iter__(self) -> Iterator[Recognition]:
        """Go through the recognitions kept, oldest first."""
        return iter(self._kept)

    def add(self, spec: EventSpec, built: BuiltEvent) -> Recognition:
        """Keep a recognition just built, forgetting the oldest beyond `keep`."""
        timestamp = round(spec.timestamp_ms / 1000 + (spec.seq % 1000) / 1e6, 6)
        self._last_us = max(self._last_us + 1, round(timestamp * 1e6) + STORE_DELAY_US)
        face, scene = spec.pictures.get("face"), spec.pictures.get("scene")
        kept = Recognition(
            seq=spec.seq,
            event_id=built.event_id,
            stored_us=self._last_us,
            timestamp=timestamp,
            device=spec.device,
            person=spec.person,
            score=spec.score,
            face=None if face is None else face.data,
            scene=None if scene is None else scene.data,
            images=built.images,
            attrs=built.attrs,
        )
        self._kept.append(kept)
        self._by_event[kept.event_id] = kept
        self._by_record[kept.record_id] = kept
        self.trim()
        return kept

    def trim(self) -> None:
        """Forget the oldest recognitions beyond `keep`."""
        while len(self._kept) > self.keep:
            gone = self._kept.popleft()
            del self._by_event[gone.event_id], self._by_record[gone.record_id]

    def get(self, event_id: str) -> Recognition | None:
        """Return the recognition a push's event id names, if still kept."""
        return self._by_event.get(event_id)

    def by_record_id(self, record_id: str) -> Recognition | None:
        """Return the recognition with this 1.0 _id, if still kept."""
        return self._by_record.get(record_id)


@dataclass(frozen=True, kw_only=True)
class HistoryQuery:
    """Hold a history query in generation-neutral terms: times in s, scores on 0..100.

    None: no such filter. person_types, device_ids: the event's must be one of them (an empty
    set matches nothing). name: a part of the identity name, in any letter case. top_k: only the
    first that many (in the answer's order) count.
    """

    since: float | None = None
    until: float | None = None
    identity_id: str | None = None
    name: str | None = None
    score_min: float | None = None
    score_max: float | None = None
    person_types: frozenset[PersonType] | None = None
    device_ids: frozenset[str] | None = None
    top_k: int | None = None
    page: int = 0
    per_page: int = 10

    def matches(self, kept: Recognition) -> bool:
        """Tell whether a kept recognition passes every filter."""
        person, score = kept.person, kept.score_100
        return (
            (self.since is None or kept.timestamp >= self.since)
            and (self.until is None or kept.timestamp <= self.until)
            and (self.identity_id is None or person.identity_id == self.identity_id)
            and (self.name is None or self.name.casefold() in person.name.casefold())
            and (self.score_min is None or score >= self.score_min)
            and (self.score_max is None or score <= self.score_max)
            and (self.person_types is None or person.person_type in self.person_types)
            and (self.device_ids is None or kept.device.device_id in self.device_ids)
        )


@dataclass(frozen=True)
class HistoryPage:
    """Hold one page of the answer: its events, its index, its size (after any cap), the total."""

    events: list[Recognition]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Count the pages of this size the total fills."""
        return math.ceil(self.total / self.per_page)


def _ordered(events: list[Recognition], order: str) -> list[Recognition]:
    """Sort matching events in the order history_order asks for."""
    if order == "unordered":
        return sorted(events, key=lambda kept: (kept.seq * _SCRAMBLE) % (1 << 32))
    newest_first = order != "oldest_first"
    return sorted(events, key=lambda kept: (kept.timestamp, kept.seq), reverse=newest_first)


def select(history: History, query: HistoryQuery, faults: Faults) -> HistoryPage:
    """Return the page a query asks for, with the faults' order, page cap and no_events."""
    cap = faults.history_page_cap
    size = min(query.per_page, cap) if cap > 0 else query.per_page
    if faults.history_query == "no_events":
        return HistoryPage([], query.page, size, 0)
    matching = _ordered([kept for kept in history if query.matches(kept)], faults.history_order)
    if query.top_k is not None:
        matching = matching[: query.top_k]
    start = query.page * size
    return HistoryPage(matching[start : start + size], query.page, size, len(matching))


def seconds(value: float, faults: Faults) -> float:
    """Return a datetime filter's value in s (history_filter_ms: the box reads it as ms)."""
    return value / 1000 if faults.history_filter_ms else value
