"""The consumers of a simulator's stream: the integration, and the bare WebSocket baseline."""

from __future__ import annotations

import asyncio
import binascii
import contextlib
from collections.abc import Callable
from time import perf_counter
from typing import Any

import aiohttp
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.util.json import json_loads
from pytest_homeassistant_custom_component.common import MockConfigEntry

from custom_components.sophon.api import canonical_device_id
from custom_components.sophon.const import (
    CONF_DEVICES,
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    EVENT_RECOGNITION,
)
from custom_components.sophon.coordinator import SophonCoordinator
from devtools.bench.hass import box_entry
from devtools.bench.simulator import LOOPBACK
from devtools.bench.timing import WAIT, Tally, wait_until
from sophon_sim import BoxSimulator

MAX_FRAME_BYTES = 32 * 1024 * 1024


def _decode_v1(frame: dict[str, Any]) -> int:
    """Decode a 1.0 frame's base64 pictures; return how many bytes they hold."""
    ext = frame.get("ext_data") or {}
    values = (ext.get("recognize_face"), ext.get("spot_pic"), frame.get("reg_pic"))
    return sum(len(binascii.a2b_base64(value)) for value in values if value)


def _decode_v2(frame: dict[str, Any]) -> int:
    """Decode a 2.0 frame's data-URI pictures; return how many bytes they hold."""
    total = 0
    for value in (frame.get("recognize_face_image"), frame.get("register_image")):
        if value:
            text = value.partition(",")[2] if value.startswith("data:") else value
            total += len(binascii.a2b_base64(text))
    return total


def subscription_message(
    generation: str, device_id: str, face: bool, registered: bool
) -> dict[str, Any]:
    """Return the push configuration frame of a generation, as the vendor documents it."""
    if generation == "1.0":
        return {"need_face": face, "need_register": registered, "event_list": [device_id]}
    return {
        "with_face_image": face,
        "with_register_image": registered,
        "media_device_ids": [device_id],
    }


class BareClient:
    """The baseline: aiohttp WebSocket, Home Assistant's json_loads, base64 decoding; no more.

    With parse=False it only receives the frames (the cost of the simulator and the socket).
    """

    def __init__(self, sim: BoxSimulator, tally: Tally, parse: bool = True) -> None:
        """Remember the simulator and where to count."""
        self.sim, self.tally, self.parse = sim, tally, parse
        self.image_bytes = 0
        self._decode = _decode_v1 if sim.generation == "1.0" else _decode_v2
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, device_id: str, face: bool, registered: bool) -> None:
        """Connect, subscribe to one device and start receiving."""
        self._session = aiohttp.ClientSession()
        url = f"ws://{LOOPBACK}:{self.sim.ws_port}/"
        self._ws = await self._session.ws_connect(url, autoping=False, max_msg_size=MAX_FRAME_BYTES)
        count = len(self.sim.subscriptions)
        message = subscription_message(self.sim.generation, device_id, face, registered)
        await self._ws.send_json(message)
        await self.sim.wait_for_subscription(count=count + 1, timeout=WAIT)
        receive = self._receive if self.parse else self._receive_only
        self._task = asyncio.create_task(receive(self._ws))

    async def _receive_only(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Count every frame without looking into it, until the socket closes."""
        tally = self.tally
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                tally.finished()
            elif message.type not in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                return

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        """Parse every frame and decode its pictures until the socket closes."""
        tally, decode = self.tally, self._decode
        while True:
            message = await ws.receive()
            if message.type in (aiohttp.WSMsgType.TEXT, aiohttp.WSMsgType.BINARY):
                tally.received()
                frame = json_loads(message.data)
                self.image_bytes = decode(frame)  # type: ignore[arg-type]
                tally.arrived(frame.get("event_id"))  # type: ignore[union-attr]
                tally.finished()
            elif message.type not in (aiohttp.WSMsgType.PING, aiohttp.WSMsgType.PONG):
                return

    async def stop(self) -> None:
        """Close the socket, the session and the receiving task."""
        if self._ws is not None:
            await self._ws.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                async with asyncio.timeout(5):
                    await self._task
        if self._session is not None:
            await self._session.close()


class IntegrationConsumer:
    """The integration set up for real: times the bus event and the end of each frame's handling."""

    def __init__(self, hass: HomeAssistant, sim: BoxSimulator, tally: Tally) -> None:
        """Remember Home Assistant, the simulator and where to count."""
        self.hass, self.sim, self.tally = hass, sim, tally
        self.entry: MockConfigEntry | None = None
        self.setup_seconds = 0.0
        self._unlisten: Callable[[], None] | None = None

    @property
    def coordinator(self) -> SophonCoordinator:
        """Return the entry's coordinator."""
        assert self.entry is not None  # noqa: S101 - only after start()
        coordinator: SophonCoordinator = self.entry.runtime_data
        return coordinator

    async def start(self, device_id: str, face: bool, registered: bool) -> None:
        """Set up a config entry that subscribes to one device, and time how long it takes."""
        count = len(self.sim.subscriptions)
        self.entry = box_entry(
            self.sim,
            **{CONF_DEVICES: [device_id], CONF_NEED_FACE: face, CONF_NEED_REGISTER: registered},
        )
        self.entry.add_to_hass(self.hass)
        started = perf_counter()
        if not await self.hass.config_entries.async_setup(self.entry.entry_id):
            raise RuntimeError("the config entry did not set up")
        await self.sim.wait_for_subscription(count=count + 1, timeout=WAIT)
        await wait_until(lambda: self.coordinator.connected)
        self.setup_seconds = perf_counter() - started
        tally, client = self.tally, self.coordinator.client
        handle_frame = client.feed_frame

        def timed_handle_frame(data: str | bytes, on_event: Callable[[Any], None]) -> None:
            tally.received()
            handle_frame(data, on_event)
            tally.finished(settle=True)

        client.feed_frame = timed_handle_frame  # type: ignore[method-assign]

        @callback
        def on_bus_event(event: Event) -> None:
            tally.arrived(event.data["event_id"])

        self._unlisten = self.hass.bus.async_listen(EVENT_RECOGNITION, on_bus_event)

    def image_bytes(self, device_id: str) -> dict[str, int]:
        """Return the size of each picture the coordinator holds for a device."""
        record = self.coordinator.recognitions.records.get(canonical_device_id(device_id))
        if record is None:
            return {}
        return {
            kind.value: stored.size
            for kind, stored in record.images.items()
            if stored.size  # a 2.0 scene not fetched yet is no picture held
        }

    async def stop(self) -> None:
        """Remove the config entry (unloading it)."""
        if self._unlisten is not None:
            self._unlisten()
        if self.entry is not None:
            await self.hass.config_entries.async_remove(self.entry.entry_id)
