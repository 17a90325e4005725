"""A box's health: CPU, memory, temperatures, storage, uptime and its picture store (api 4).

One interface for both generations (health_v1.py, health_v2.py). Every call is asked on its
own: one that fails leaves its values out (BoxHealth.failed) and the others stand. A value
that cannot be read (api 7: units, NaN, empty, missing, a wrong type) is None, logged
rate-limited and counted by its field; the rest of its answer stands. The uptime becomes
the time the box started, on our clock, kept as it was while the uptime agrees with it.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, Protocol

from . import health_v1, health_v2, health_values
from .connection import RateLimitedLog
from .exceptions import SophonError, SophonResponseError
from .health_values import OddValueError
from .models import BoxHealth, HealthCall, SpaceUsage

if TYPE_CHECKING:
    from .client import BoxClient
    from .generation import Rest
    from .rest import BoxRest

_LOGGER = logging.getLogger(__name__)

# An uptime moving the start time by no more than this is the same start (uptimes are rounded).
UP_SINCE_SLACK: Final = timedelta(minutes=2)
# A start before this, or after now, is a misreading (a box's clock is never set this early).
EARLIEST_START: Final = datetime(2000, 1, 1, tzinfo=UTC)


class Fields:
    """Read one call's answer field by field; a field that cannot be read is None and noted."""

    def __init__(
        self, call: HealthCall, answer: dict[str, Any], odd: Callable[[str, str], None]
    ) -> None:
        """Read answer, the answer of call; odd(field, reason) is told each unreadable field."""
        self._call = call
        self._answer = answer
        self._odd = odd

    def read[T](self, reader: Callable[[Any], T], *keys: str, required: bool = True) -> T | None:
        """Return the first of keys that is present, read by reader; None when it cannot be."""
        key = next((key for key in keys if self._answer.get(key) is not None), None)
        if key is None:
            if required:
                self._odd(f"{self._call}.{keys[0]}", "missing")
            return None
        try:
            return reader(self._answer[key])
        except OddValueError as err:
            self._odd(f"{self._call}.{key}", str(err))
            return None

    def text(self, key: str) -> str | None:
        """Return a text field (None when it is none)."""
        value = self._answer.get(key)
        return value.strip() or None if isinstance(value, str) else None

    def has(self, key: str) -> bool:
        """Return True when the answer carries key."""
        return key in self._answer

    def space(
        self, usage: str | tuple[str, ...], total: str, used: tuple[str, ...], free: str
    ) -> SpaceUsage:
        """Read a usage fraction and sizes; a usage that is missing is worked out from sizes.

        usage, used: the key, or the keys by which pages name it (the first present is read).
        """
        usages = (usage,) if isinstance(usage, str) else usage
        read_total = self.read(health_values.size, total, required=False)
        read_used = self.read(health_values.size, *used, required=False)
        read_free = self.read(health_values.size, free, required=False)
        if read_used is None and read_total is not None and read_free is not None:
            read_used = max(read_total - read_free, 0)
        fraction = self.read(
            health_values.fraction, *usages, required=not (read_total and read_used is not None)
        )
        if fraction is None and read_total and read_used is not None:
            fraction = min(read_used / read_total, 1.0)
        return SpaceUsage(usage=fraction, total=read_total, used=read_used, free=read_free)


def _temperatures(fields: Fields) -> tuple[float | None, float | None]:
    """Read core_temperature and board_temperature ("44.0'C" on 1.0, 44.0 on 2.0)."""
    core = fields.read(health_values.temperature, "core_temperature")
    board = fields.read(health_values.temperature, "board_temperature", required=False)
    return core, board


class HealthCalls(Protocol):
    """One generation's health calls; parsing only, the I/O goes through rest."""

    async def fetch(self, rest: Rest, port: int, call: HealthCall) -> dict[str, Any]:
        """Return a call's answer, its envelope taken off; raise SophonError when it fails."""

    def cpu(self, fields: Fields) -> float | None:
        """Read the CPU usage."""

    def memory(self, fields: Fields) -> SpaceUsage:
        """Read the memory usage."""

    def storage(self, fields: Fields) -> SpaceUsage:
        """Read the internal storage usage."""

    def external_disk(self, fields: Fields) -> SpaceUsage:
        """Read the external disk's usage, or that none is mounted."""

    def uptime(self, fields: Fields) -> timedelta | None:
        """Read how long the box has been up."""

    def picture_store(self, fields: Fields) -> tuple[bool | None, str | None]:
        """Read whether the picture store is writable, and its path."""


class HealthReader:
    """Ask a box's health calls, in the generation it speaks; count what cannot be read."""

    def __init__(self, client: BoxClient, rest: BoxRest) -> None:
        """Call client's box through rest."""
        self._client = client
        self._rest = rest
        self._calls: dict[str, HealthCalls] = {
            health_v1.NAME: health_v1.HealthV1(),
            health_v2.NAME: health_v2.HealthV2(),
        }
        self._log = RateLimitedLog(_LOGGER)
        self._up_since: datetime | None = None
        self._failing: set[HealthCall] = set()  # the calls that failed last time
        # Unreadable values by field ("call.field"), and failed calls by call, since made.
        self.unreadable: Counter[str] = Counter()
        self.failures: Counter[str] = Counter()

    async def read(self) -> BoxHealth:
        """Ask every health call; raise SophonError only when none of them answered."""
        if self._client.generation is None:
            await self._rest.devices()
        generation = self._client.generation
        if generation is None:
            raise SophonResponseError(f"{self._client.host} answers no known generation")
        calls = self._calls[generation.name]
        odd: list[str] = []
        answers = await asyncio.gather(*(self._fetch(calls, call) for call in HealthCall))
        fields = {
            call: Fields(call, answer, lambda field, reason: self._odd(odd, field, reason))
            for call, answer in zip(HealthCall, answers, strict=True)
            if answer is not None
        }
        failed = frozenset(HealthCall).difference(fields)
        if not fields:
            raise SophonResponseError(f"{self._client.host} answered none of its health calls")
        return self._health(calls, fields, failed, odd)

    def _health(
        self,
        calls: HealthCalls,
        fields: dict[HealthCall, Fields],
        failed: frozenset[HealthCall],
        odd: list[str],
    ) -> BoxHealth:
        """Read the answers into one BoxHealth."""
        core, board = (
            _temperatures(fields[HealthCall.TEMPERATURE])
            if HealthCall.TEMPERATURE in fields
            else (None, None)
        )
        store_ok, store_path = (
            calls.picture_store(fields[HealthCall.PICTURE_STORE])
            if HealthCall.PICTURE_STORE in fields
            else (None, None)
        )
        uptime = calls.uptime(fields[HealthCall.UPTIME]) if HealthCall.UPTIME in fields else None

        def space(call: HealthCall, read: Callable[[Fields], SpaceUsage]) -> SpaceUsage | None:
            return read(fields[call]) if call in fields else None

        return BoxHealth(
            cpu_usage=calls.cpu(fields[HealthCall.CPU]) if HealthCall.CPU in fields else None,
            core_temperature=core,
            board_temperature=board,
            memory=space(HealthCall.MEMORY, calls.memory),
            storage=space(HealthCall.STORAGE, calls.storage),
            external_disk=space(HealthCall.EXTERNAL_DISK, calls.external_disk),
            up_since=self._started(uptime, odd),
            picture_store_ok=store_ok,
            picture_store_path=store_path,
            failed=failed,
            unreadable=tuple(odd),
        )

    async def _fetch(self, calls: HealthCalls, call: HealthCall) -> dict[str, Any] | None:
        """Return a call's answer, or None when it fails (counted, logged once until it answers)."""
        host = self._client.host
        try:
            answer = await calls.fetch(self._rest, self._client.version_port, call)
        except SophonError as err:
            self.failures[call.value] += 1
            first = call not in self._failing
            self._failing.add(call)
            _LOGGER.log(
                logging.INFO if first else logging.DEBUG,
                "No %s health from %s: %s",
                call,
                host,
                err,
            )
            return None
        if call in self._failing:
            self._failing.discard(call)
            _LOGGER.info("%s answers its %s health call again", host, call)
        return answer

    def _odd(self, odd: list[str], field: str, reason: str) -> None:
        """Note a value that cannot be read: counted, and logged at most once a minute."""
        odd.append(field)
        self.unreadable[field] += 1
        self._log.warning(
            f"health:{field}",
            "%s gave a health value that cannot be read, shown as unknown: %s (%s)",
            self._client.host,
            field,
            reason,
        )

    def _started(self, uptime: timedelta | None, odd: list[str]) -> datetime | None:
        """Return when the box started: now less its uptime, the one known kept if it agrees."""
        if uptime is None:
            return None
        now = self._client.clock()
        try:
            started = now - uptime
        except OverflowError:
            started = None
        if started is None or not EARLIEST_START <= started <= now:
            self._odd(odd, f"{HealthCall.UPTIME}.uptime", f"a start at {started or 'year 0'}")
            return None
        if self._up_since is None or abs(started - self._up_since) > UP_SINCE_SLACK:
            self._up_since = started
        return self._up_since
