"""Pushed frames into events: decoded, parsed on our clock, de-duplicated, counted and logged."""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .connection import RateLimitedLog
from .decode import UndecodableError, parse_json
from .exceptions import FrameRejectedError
from .generation import GENERATIONS
from .models import RecognitionEvent, Subscription
from .pictures import BoxPictures

if TYPE_CHECKING:
    from .client import BoxClient

_LOGGER = logging.getLogger(__name__)

# Event ids remembered to drop a frame the box sends twice.
DEDUP_WINDOW = 1024

type EventCallback = Callable[[RecognitionEvent], None]
type RejectCallback = Callable[[str], None]


class FrameReader:
    """Turn a box's frames into recognitions for the client; a bad frame is counted, not raised.

    Reads the client's generation, clocks and counters as they are at each frame.
    """

    def __init__(self, client: BoxClient) -> None:
        """Read the frames of client's box."""
        self._client = client
        self._log = RateLimitedLog(_LOGGER)
        self._on_reject: RejectCallback | None = None
        # Keys of the events delivered lately (device, id, time), oldest first.
        self.seen: OrderedDict[str, None] = OrderedDict()
        self.pictures = BoxPictures(
            client.host, client.counters, self.count_problem, client.async_get_scene_image
        )

    def follow(self, subscription: Subscription, on_reject: RejectCallback | None) -> None:
        """Read frames for a new subscription: its pictures, and rejects told to on_reject."""
        self._on_reject = on_reject
        # Where the box keeps the scene photo, it is offered when the subscription asks for faces.
        self.pictures.scenes_wanted = subscription.with_face

    def handle(self, data: str | bytes, on_event: EventCallback) -> None:
        """Parse a frame and deliver its event; a bad frame is counted and logged, not raised."""
        counters = self._client.counters
        counters.frames_received += 1
        try:
            event = self._parse(data)
        except FrameRejectedError as err:
            self.reject(err)
            return
        if event.event_id is not None and self._is_duplicate(
            f"{event.device_id}|{event.event_id}|{(event.box_time or event.timestamp).timestamp()}"
        ):
            counters.duplicates_dropped += 1
            return
        for problem in event.problems:
            self.count_problem(problem)
        counters.events_delivered += 1
        try:
            on_event(event)
        except Exception:
            _LOGGER.exception("Event handler failed for an event from %s", self._client.host)

    def reject(self, err: FrameRejectedError) -> None:
        """Count and log (rate-limited) a frame that cannot be an event, and report it."""
        rejected = self._client.counters.frames_rejected
        rejected[err.reason] = rejected.get(err.reason, 0) + 1
        self._log.warning(err.reason, "Dropped a frame from %s: %s", self._client.host, err)
        if self._on_reject is not None:
            try:
                self._on_reject(err.reason)
            except Exception:
                _LOGGER.exception("Reject handler failed for %s", self._client.host)

    def count_problem(self, problem: str) -> None:
        """Count a tolerated quirk, and log dropped images."""
        quirks = self._client.counters.quirks_accepted
        quirks[problem] = quirks.get(problem, 0) + 1
        if problem.startswith("image_"):
            self._client.counters.images_dropped += 1
            reason, _, image = problem.partition(":")
            self._log.warning(
                problem, "Dropped the %s of an event from %s: %s", image, self._client.host, reason
            )

    def log_correction(self) -> None:
        """Say once per change how the box's times are corrected."""
        correction = self._client.clock_watch.correction
        host = self._client.host
        if not correction:
            _LOGGER.info("%s stamps recognitions on time again; no longer corrected", host)
            return
        _LOGGER.warning(
            "%s stamps recognitions %+.2g h off, as if its local time were UTC; they are shown "
            "corrected by that much (set the box's time zone or clock to stop this)",
            host,
            correction.total_seconds() / 3600,
        )

    def _parse(self, data: str | bytes) -> RecognitionEvent:
        """Decode one frame into an event or raise FrameRejectedError."""
        try:
            frame, quirks = parse_json(data)
        except UndecodableError as err:
            raise FrameRejectedError(err.reason, err.detail) from err
        for quirk in quirks:
            self.count_problem(quirk)
        if not isinstance(frame, dict):
            raise FrameRejectedError("not_an_object", f"got {type(frame).__name__}")
        return self._parse_object(frame)

    def _parse_object(self, frame: dict[str, Any]) -> RecognitionEvent:
        """Parse a frame on our clock: the box's time-zone error is taken off its time."""
        now = self._client.clock()
        watch = self._client.clock_watch
        # Judged against our clock moved by the correction, so a time a zone off is plausible.
        event = watch.on_our_clock(self._parse_on(frame, now + watch.correction), now)
        if watch.observe_recognition(event.box_time, now):
            self.log_correction()
        return event

    def _parse_on(self, frame: dict[str, Any], box_now: datetime) -> RecognitionEvent:
        """Parse with the box's generation; a frame of the other one is read too, and counted."""
        ours = self._client.generation or GENERATIONS[-1]
        if ours.recognizes(frame):
            return ours.parse_event(frame, box_now, self.pictures)
        for other in GENERATIONS:
            if other is not ours and other.recognizes(frame):
                quirks = self._client.counters.quirks_accepted
                quirks["other_generation_frame"] = quirks.get("other_generation_frame", 0) + 1
                return other.parse_event(frame, box_now, self.pictures)
        return ours.parse_event(frame, box_now, self.pictures)

    def _is_duplicate(self, key: str) -> bool:
        """Remember an event's device, id and time; return True when seen recently."""
        if key in self.seen:
            return True
        self.seen[key] = None
        if len(self.seen) > DEDUP_WINDOW:
            self.seen.popitem(last=False)
        return False
