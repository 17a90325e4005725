"""What a box's catch-up remembers across restarts (Home Assistant's Store).

Times and ids only: when the box was first heard, the gaps not caught up on, until when the push
was heard (our clock, and the box's own time of its last recognition), the box clock's skew, and
the delivered recognitions' ids and marks (delivered.py: no name, no identity id, no picture).
Anything unreadable in what was written is left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from homeassistant.core import HomeAssistant
from homeassistant.helpers.storage import Store
from homeassistant.util import dt as dt_util

from .const import DOMAIN

STORE_VERSION: Final = 1
# Seconds a change waits before it is written (one write for many recognitions).
SAVE_DELAY: Final = 10.0


@dataclass(slots=True, kw_only=True)
class Remembered:
    """What is kept of a box's catch-up (see the module)."""

    first: datetime | None = None
    heard_until: datetime | None = None
    made_until: float | None = None
    skew: timedelta | None = None
    gaps: list[Any] | None = None
    delivered: dict[str, Any] | None = None

    @classmethod
    def read(cls, data: dict[str, Any]) -> Remembered:
        """Take back what as_dict gave."""
        skew, made = data.get("skew"), data.get("made_until")
        delivered, gaps = data.get("delivered"), data.get("gaps")
        return cls(
            first=dt_util.parse_datetime(data.get("first") or ""),
            heard_until=dt_util.parse_datetime(data.get("heard_until") or ""),
            made_until=made if isinstance(made, float) else None,
            skew=timedelta(seconds=skew) if isinstance(skew, int | float) else None,
            gaps=gaps if isinstance(gaps, list) else None,
            delivered=delivered if isinstance(delivered, dict) else None,
        )

    def as_dict(self) -> dict[str, Any]:
        """Return what is written."""
        return {
            "first": None if self.first is None else self.first.isoformat(),
            "heard_until": None if self.heard_until is None else self.heard_until.isoformat(),
            "made_until": self.made_until,
            "skew": None if self.skew is None else round(self.skew.total_seconds(), 3),
            "gaps": self.gaps,
            "delivered": self.delivered,
        }


def _store(hass: HomeAssistant, entry_id: str) -> Store[dict[str, Any]]:
    """Return where a box's catch-up state is kept."""
    return Store(hass, STORE_VERSION, f"{DOMAIN}.{entry_id}.catch_up")


async def async_remove_catch_up(hass: HomeAssistant, entry_id: str) -> None:
    """Forget what was remembered of a box (its entry is removed)."""
    await _store(hass, entry_id).async_remove()


class CatchUpStore:
    """Read and write one box's Remembered."""

    def __init__(self, hass: HomeAssistant, entry_id: str) -> None:
        """Keep the box of this entry."""
        self._store = _store(hass, entry_id)
        self._pending = False

    async def async_load(self) -> Remembered:
        """Return what was written (nothing: a Remembered with nothing in it)."""
        return Remembered.read(await self._store.async_load() or {})

    def save_soon(self, remembered: Callable[[], Remembered]) -> None:
        """Write what remembered() gives SAVE_DELAY seconds from now (once for many calls)."""
        if not self._pending:
            self._pending = True
            self._store.async_delay_save(lambda: self._written(remembered), SAVE_DELAY)

    def _written(self, remembered: Callable[[], Remembered]) -> dict[str, Any]:
        """Return what is written now."""
        self._pending = False
        return remembered().as_dict()

    async def async_save(self, remembered: Remembered) -> None:
        """Write now (the entry unloads)."""
        await self._store.async_save(remembered.as_dict())
