"""A job run in the background one run at a time, run again when asked meanwhile, retried.

Asked to start while it runs, it runs once more after; a run that failed is tried again
RETRY_AFTER later, at most RETRIES times in a row (a fresh start counts anew). Stopping cancels
the run and any retry until the next start. The catch-up (catch_up.py) runs by it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Final

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HassJob, HomeAssistant, callback
from homeassistant.helpers.event import async_call_later

RETRY_AFTER: Final = timedelta(minutes=1)
RETRIES: Final = 3


class RetriedRuns:
    """Run job (it returns False when it failed) as the module says."""

    def __init__(
        self,
        hass: HomeAssistant,
        entry: ConfigEntry,
        name: str,
        job: Callable[[], Awaitable[bool]],
    ) -> None:
        """Run job as a background task of entry, named name."""
        self._hass = hass
        self._entry = entry
        self._name = name
        self._job = job
        self.task: asyncio.Task[None] | None = None
        self._again = False
        self._retries = 0
        self._cancel_retry: CALLBACK_TYPE | None = None
        self._stopped = False

    @callback
    def start(self, *, fresh: bool = False) -> None:
        """Run now, or once more after the run under way; fresh: retries count anew."""
        if fresh:
            self._stopped = False
            self._retries = 0
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        if self.task is not None and not self.task.done():
            self._again = True
            return
        self.task = self._entry.async_create_background_task(
            self._hass, self._async_run(), self._name
        )

    @callback
    def stop(self) -> None:
        """Cancel the run under way and any retry (until the next start)."""
        self._stopped = True
        if self._cancel_retry is not None:
            self._cancel_retry()
            self._cancel_retry = None
        if self.task is not None:
            self.task.cancel()
            self.task = None

    async def _async_run(self) -> None:
        """Run, then again while a start asked for it meanwhile; retry one that failed."""
        self._again = True
        while self._again:
            self._again = False
            if not await self._job() and self._retries < RETRIES and not self._stopped:
                self._retries += 1
                self._cancel_retry = async_call_later(
                    self._hass, RETRY_AFTER, HassJob(self._retry, cancel_on_shutdown=True)
                )

    @callback
    def _retry(self, _now: datetime) -> None:
        """Try a failed run again."""
        self._cancel_retry = None
        self.start()
