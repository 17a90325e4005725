"""The pieces of a push connection: backoff, the liveness watch, how a connection ended, logs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Self

import aiohttp

from .exceptions import SophonConnectionClosedError, SophonStaleStreamError


class RateLimitedLog:
    """Log each kind of problem at most once per interval, counting what was held back."""

    def __init__(self, logger: logging.Logger, interval: float = 60.0) -> None:
        """Remember where to log and how often."""
        self._logger = logger
        self._interval = interval
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def warning(self, key: str, message: str, *args: Any) -> None:
        """Log a warning for key unless one was logged within the interval."""
        now = time.monotonic()
        last = self._last.get(key)
        if last is not None and now - last < self._interval:
            self._held[key] = self._held.get(key, 0) + 1
            return
        held = self._held.pop(key, 0)
        self._last[key] = now
        suffix = f" ({held} more since the last report)" if held else ""
        template = message + "%s"
        self._logger.warning(template, *args, suffix)


@dataclass(kw_only=True)
class Backoff:
    """Capped exponential backoff with full jitter."""

    initial: float = 1.0
    maximum: float = 60.0
    attempt: int = 0

    def next_delay(self) -> float:
        """Return the delay before the next attempt and count it."""
        ceiling = min(self.maximum, self.initial * 2**self.attempt)
        self.attempt = min(self.attempt + 1, 32)
        return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography

    def reset(self) -> None:
        """Start again from the initial delay."""
        self.attempt = 0


class PingBehaviour(StrEnum):
    """What a box does with the WebSocket pings it is sent (RFC 6455 section 5.5.2)."""

    UNKNOWN = "unknown"
    ANSWERS = "answers"
    # Embedded servers often ignore pings: liveness is then judged by the box's REST port.
    IGNORES = "ignores"


@dataclass(frozen=True, slots=True)
class Drop:
    """How one push connection ended.

    by_box: the box closed it with a close frame, whose code and reason (cleaned) are kept.
    proven: the connection delivered a frame (or stayed open a while) before it ended.
    """

    cause: str
    by_box: bool = False
    close_code: int | None = None
    close_reason: str = ""
    proven: bool = False
    lasted: float = 0.0


# What a probe says: True when the box answered (it is alive), False when it did not.
type Probe = Callable[[], Awaitable[bool]]


class Heartbeat:
    """Watch a push for signs of life and end its read when there are none.

    Used as `with Heartbeat(ws, interval, ...) as heartbeat:` around the read, like
    asyncio.timeout: one timer, re-armed lazily (a frame only sets `last_frame`, a recognition
    also `last_data`). After `interval` s without a frame it pings; a ping unanswered for
    `interval / 2` s ends the read when the box answered pings before; otherwise it asks
    `probe` (the box's REST port): a box that answers there but not to pings is alive and
    ignores pings, and from then on each quiet interval is judged by the
    probe alone. No answer anywhere, or `stale_after` s without a recognition, cancels the
    reading task; leaving the block turns that into SophonConnectionClosedError or
    SophonStaleStreamError (any other cancellation goes on).
    """

    def __init__(
        self,
        ws: aiohttp.ClientWebSocketResponse,
        interval: float,
        *,
        pings: PingBehaviour = PingBehaviour.UNKNOWN,
        probe: Probe | None = None,
        stale_after: float | None = None,
        on_pings: Callable[[PingBehaviour], None] | None = None,
    ) -> None:
        """Remember the socket and the limits; the watch starts on entering the block.

        on_pings is told each time the heartbeat learns what the box does with pings.
        """
        self._loop = asyncio.get_running_loop()
        self._ws = ws
        self._interval = interval
        self._probe = probe
        self._stale_after = stale_after or None
        self._on_pings = on_pings
        self._task: asyncio.Task[Any] | None = None
        self._cancelling = 0
        self._ping_sent: float | None = None
        self._side_task: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self.pings = pings
        self.last_frame = self.last_data = self._loop.time()
        self.ended: str | None = None

    def __enter__(self) -> Self:
        """Start watching, from the task that reads the socket."""
        self._task = asyncio.current_task()
        self._cancelling = self._task.cancelling() if self._task is not None else 0
        self.last_frame = self.last_data = self._loop.time()
        self._arm(self.last_frame + self._interval)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: object
    ) -> None:
        """Stop watching; report our own cancellation as a dead or stale connection."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._side_task is not None and not self._side_task.done():
            self._side_task.cancel()
        if (
            exc_type is asyncio.CancelledError
            and self.ended is not None
            and self._task is not None
            and self._task.uncancel() <= self._cancelling
        ):
            if self.ended == "stale":
                raise SophonStaleStreamError(
                    f"no recognition for {self._stale_after:.0f} s"
                ) from None
            raise SophonConnectionClosedError(self.ended) from None

    def pong(self) -> None:
        """Note a pong: the box answers pings."""
        self._learn(PingBehaviour.ANSWERS)

    def _learn(self, pings: PingBehaviour) -> None:
        """Record what the box does with pings, and report a change."""
        if pings is not self.pings:
            self.pings = pings
            if self._on_pings is not None:
                self._on_pings(pings)

    def _arm(self, when: float) -> None:
        """Check again at when (or sooner, when the stream goes stale first)."""
        if self._stale_after is not None:
            when = min(when, self.last_data + self._stale_after)
        self._timer = self._loop.call_at(when, self._check)

    def _end(self, why: str) -> None:
        """End the read once: cancel the reading task, the pending check and any probe."""
        if self.ended is not None:  # a second cancel would outlive __exit__'s uncancel()
            return
        self.ended = why
        if self._timer is not None:  # pending when a probe ends the read: it must not outlive it
            self._timer.cancel()
        self._timer = None
        side = self._side_task
        if side is not None and side is not asyncio.current_task():
            side.cancel()
        if self._task is not None:
            self._task.cancel()

    def _check(self) -> None:
        """Ping after `interval` s without a frame; judge an unanswered ping; end a stale read."""
        now = self._loop.time()
        if self._stale_after is not None and now >= self.last_data + self._stale_after:
            self._end("stale")
            return
        if self._side_task is not None and not self._side_task.done():
            self._arm(now + self._interval / 2)  # a probe is running: it decides
            return
        if self._ping_sent is not None and self.last_frame < self._ping_sent:
            if now < (deadline := self._ping_sent + self._interval / 2):
                self._arm(deadline)
                return
            self._ping_sent = None
            if self._probe is None or self.pings is PingBehaviour.ANSWERS:
                # A box that answered pings before and no longer does has a dead connection;
                # the next one finds out afresh whether it answers them at all.
                self._learn(PingBehaviour.UNKNOWN)
                self._end("the box stopped answering pings")
                return
            self._side_task = self._loop.create_task(self._ask_probe())
            self._arm(now + self._interval / 2)
            return
        self._ping_sent = None
        if now < (quiet_since := self.last_frame + self._interval):
            self._arm(quiet_since)
            return
        if self.pings is PingBehaviour.IGNORES and self._probe is not None:
            self._side_task = self._loop.create_task(self._ping_and_probe())
        else:
            self._ping_sent = now
            self._side_task = self._loop.create_task(self._ping())
        self._arm(now + self._interval / 2)

    async def _ping_and_probe(self) -> None:
        """Judge a box known to ignore pings by its probe (and still ping it).

        The ping is not for an answer: a host whose socket is gone answers it with a reset.
        """
        await self._ping()
        await self._ask_probe()

    async def _ask_probe(self) -> None:
        """End the read unless the probe finds the box alive; alive and silent: it ignores pings.

        An answered probe counts as a sign of life, like a frame.
        """
        assert self._probe is not None  # noqa: S101 - only called with a probe
        asked = self._loop.time()
        if not await self._probe():
            self._end("the box answers neither pings nor its REST port")
            return
        if self.last_frame < asked:
            self._learn(PingBehaviour.IGNORES)
            self.last_frame = self._loop.time()

    async def _ping(self) -> None:
        """Send one ping; a socket that fails here is found by the read or the next check."""
        with contextlib.suppress(
            aiohttp.ClientError, OSError, ConnectionError, RuntimeError, TimeoutError
        ):
            async with asyncio.timeout(self._interval / 2):
                await self._ws.ping()
