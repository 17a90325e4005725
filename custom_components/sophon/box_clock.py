"""The box's clock: read now and then, and a repair while it is minutes off ours."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from homeassistant.config_entries import ConfigEntry
from homeassistant.core import CALLBACK_TYPE, HomeAssistant, callback
from homeassistant.helpers import issue_registry as ir
from homeassistant.helpers.event import async_track_time_interval

from .api import BoxClient
from .const import CLOCK_CHECK_INTERVAL, CLOCK_REPAIR_AFTER, CLOCK_REPAIR_CLEARED, DOMAIN

_LOGGER = logging.getLogger(__name__)


class ClockMonitor:
    """Keep the client's clock watch fed with the box's time call, and report what is left.

    The client corrects a whole time-zone offset by itself (api/clock.py). What remains, the
    residual, is the box's clock being wrong: past CLOCK_REPAIR_AFTER a repair asks the user to
    set it; back within CLOCK_REPAIR_CLEARED, the repair goes.
    """

    def __init__(self, hass: HomeAssistant, entry: ConfigEntry[Any], client: BoxClient) -> None:
        """Watch the clock of the client's box."""
        self._hass = hass
        self._entry = entry
        self._client = client
        self._unsub: CALLBACK_TYPE | None = None
        self.raised = False

    @property
    def _issue_id(self) -> str:
        """Return the id of this box's clock repair."""
        return f"box_clock_{self._entry.entry_id}"

    @callback
    def async_start(self) -> None:
        """Read the box's time every CLOCK_CHECK_INTERVAL (the first read is async_check's)."""
        if self._unsub is None:
            self._unsub = async_track_time_interval(
                self._hass, self._async_tick, CLOCK_CHECK_INTERVAL
            )

    @callback
    def async_stop(self) -> None:
        """Stop reading the box's time."""
        if self._unsub is not None:
            self._unsub()
            self._unsub = None

    async def _async_tick(self, _now: datetime) -> None:
        """Read the box's time on schedule."""
        await self.async_check()

    async def async_check(self) -> None:
        """Read the box's time (best effort) and judge what is left of its skew."""
        await self._client.async_get_box_time()
        self.async_evaluate()

    @callback
    def async_evaluate(self) -> None:
        """Raise or clear the clock repair from the latest measurement."""
        residual = self._client.clock_watch.residual
        if residual is None:
            return
        off = abs(residual)
        if off > CLOCK_REPAIR_AFTER and not self.raised:
            self.raised = True
            minutes = round(off.total_seconds() / 60)
            _LOGGER.warning(
                "The clock of %s is %d minutes %s; its recognitions show that far off",
                self._entry.title,
                minutes,
                "ahead" if residual.total_seconds() > 0 else "behind",
            )
            ir.async_create_issue(
                self._hass,
                DOMAIN,
                self._issue_id,
                is_fixable=False,
                severity=ir.IssueSeverity.WARNING,
                translation_key="box_clock_ahead"
                if residual.total_seconds() > 0
                else "box_clock_behind",
                translation_placeholders={"title": self._entry.title, "minutes": str(minutes)},
            )
        elif off < CLOCK_REPAIR_CLEARED and self.raised:
            self.async_delete_repair()

    @callback
    def async_delete_repair(self) -> None:
        """Remove the clock repair (the clock is right again, or the entry goes away)."""
        self.raised = False
        ir.async_delete_issue(self._hass, DOMAIN, self._issue_id)
