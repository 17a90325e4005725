"""Home Assistant's floor: what the integration makes Home Assistant do, with nothing of ours.

The floor learns from the integration itself: while a stream of recognitions goes through the
integration it records each `sophon_recognition` bus event and every state write of the entry's
entities (changed or only reported) in order. A floor round replays that record: the same bus
events with the same data and the same states written to the same entity ids, through Home
Assistant's public calls, with no socket, no parsing, no coordinator and no entity code.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from homeassistant.const import EVENT_STATE_CHANGED, EVENT_STATE_REPORTED
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import entity_registry as er

from custom_components.sophon.const import EVENT_RECOGNITION
from devtools.bench.timing import Tally

# Recognitions replayed per loop turn: the integration, too, handles a burst of frames in one
# turn and lets the loop run between bursts.
BATCH = 16


@dataclass(frozen=True)
class Recognition:
    """What Home Assistant did for one recognition: its bus event, then the states written."""

    data: dict[str, Any]
    writes: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)


class HaFloor:
    """Replay the integration's bus events and state writes, counting each recognition."""

    def __init__(self, hass: HomeAssistant, tally: Tally) -> None:
        """Remember Home Assistant and where to count; nothing is recorded yet."""
        self.hass, self.tally = hass, tally
        self.recorded: list[Recognition] = []
        self._next = 0

    @contextlib.contextmanager
    def recording(self, entry_id: str) -> Iterator[None]:
        """Record the bus events and the states written by a config entry's entities."""
        registry = er.async_get(self.hass)
        owned = {e.entity_id for e in er.async_entries_for_config_entry(registry, entry_id)}

        @callback
        def ours(data: Mapping[str, Any]) -> bool:
            return data["entity_id"] in owned

        @callback
        def on_recognition(event: Event[Any]) -> None:
            self.recorded.append(Recognition(dict(event.data)))

        @callback
        def on_write(event: Event[Any]) -> None:
            if self.recorded:  # writes before the first recognition belong to the setup
                state = event.data["new_state"]
                write = (state.entity_id, state.state, dict(state.attributes))
                self.recorded[-1].writes.append(write)

        bus = self.hass.bus
        unlisten = [
            bus.async_listen(EVENT_RECOGNITION, on_recognition),
            bus.async_listen(EVENT_STATE_CHANGED, on_write, event_filter=ours),
            bus.async_listen(EVENT_STATE_REPORTED, on_write, event_filter=ours),
        ]
        try:
            yield
        finally:
            for remove in unlisten:
                remove()

    async def push(self, count: int) -> None:
        """Replay count recognitions, going round the record; let the loop turn every BATCH."""
        if not self.recorded:
            raise RuntimeError("the floor has recorded no recognition to replay")
        fire, write = self.hass.bus.async_fire, self.hass.states.async_set
        recorded, tally = self.recorded, self.tally
        for index in range(count):
            recognition = recorded[self._next]
            self._next = (self._next + 1) % len(recorded)
            fire(EVENT_RECOGNITION, recognition.data)
            for entity_id, state, attributes in recognition.writes:
                write(entity_id, state, attributes)
            tally.finished(settle=True)
            if index % BATCH == BATCH - 1:
                await asyncio.sleep(0)
