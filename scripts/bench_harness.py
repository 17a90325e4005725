"""Pieces of scripts/bench: Home Assistant, the timed simulator, the two consumers, measurements."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import gc
import io
import logging
import tempfile
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter, process_time
from typing import Any
from unittest.mock import patch

import aiohttp
from aiohttp.resolver import AsyncResolver
from homeassistant import loader
from homeassistant.core import Event, HomeAssistant, callback
from homeassistant.helpers import frame, translation
from homeassistant.util.json import json_loads
from PIL import Image
from pytest_homeassistant_custom_component.common import (
    MockConfigEntry,
    async_test_home_assistant,
)

from custom_components.sophon.api import canonical_device_id
from custom_components.sophon.const import (
    CONF_DEVICES,
    CONF_NEED_FACE,
    CONF_NEED_REGISTER,
    CONF_VERSION_PORT,
    CONF_WS_PORT,
    DOMAIN,
    EVENT_RECOGNITION,
)
from custom_components.sophon.coordinator import SophonCoordinator
from sophon_sim import ROSTER, BoxSimulator, Person, SimDevice
from sophon_sim.imagery import Picture, draw_registered

LOOPBACK = "127.0.0.1"
WAIT = 120.0  # seconds: the longest any single wait of the bench may take
# A person in the face library, so every image workload's frame carries a registered photo.
REGISTERED_PERSON: Person = next(p for p in ROSTER if p.name == "Alice Zhang")
# Chinese 2-inch ID photo, the usual face-library enrolment size; noise as a real camera's.
REGISTERED_SIZE = (413, 579)
MAX_FRAME_BYTES = 32 * 1024 * 1024
_LOGGER = logging.getLogger("bench")


@contextlib.asynccontextmanager
async def home_assistant() -> AsyncIterator[HomeAssistant]:
    """Run the test harness's Home Assistant in a temporary folder, no HTTP port, no zeroconf."""
    resolver = AsyncResolver()
    resolver.real_close = resolver.close  # type: ignore[attr-defined]
    with (
        tempfile.TemporaryDirectory(prefix="sophon-bench-") as config_dir,
        patch("homeassistant.helpers.aiohttp_client._async_make_resolver", return_value=resolver),
        patch("homeassistant.components.http.HomeAssistantHTTP.async_bind"),
        patch("homeassistant.components.http.HomeAssistantHTTP.start"),
    ):
        async with async_test_home_assistant(config_dir=config_dir) as hass:
            hass.data.pop(loader.DATA_CUSTOM_COMPONENTS, None)
            frame.async_setup(hass)
            await translation.async_load_integrations(hass, {"homeassistant"})
            try:
                yield hass
            finally:
                for entry in hass.config_entries.async_entries(DOMAIN):
                    await hass.config_entries.async_remove(entry.entry_id)
                await hass.async_stop(force=True)


def realistic_registered_photo() -> Picture:
    """Return the registered person's library photo at enrolment size, with camera noise."""
    small = Image.open(io.BytesIO(draw_registered(REGISTERED_PERSON.image_key).data))
    image = small.convert("RGB").resize(REGISTERED_SIZE, Image.Resampling.BICUBIC)
    noise = Image.effect_noise(REGISTERED_SIZE, 40).convert("RGB")
    out = io.BytesIO()
    Image.blend(image, noise, 0.08).save(out, "JPEG", quality=90)
    data = out.getvalue()
    return Picture(data, base64.b64encode(data).decode("ascii"))


def bench_devices(count: int) -> list[SimDevice]:
    """Return identical gates (same type and fields) that differ only in id, name and IP."""
    return [
        SimDevice(
            str(uuid.UUID(int=0xBE0C4 << 64 | index, version=4)),
            f"Bench gate {index + 1}",
            f"192.168.1.{101 + index}",
            "0",
        )
        for index in range(count)
    ]


class SendClock:
    """Record when the simulator hands each event's frame to the socket (no change to the sim)."""

    def __init__(self, sim: BoxSimulator) -> None:
        """Wrap the simulator's _deliver (to learn the event id) and _send (to time the write)."""
        self.stamps: dict[str, float] | None = None
        self.last_frame_bytes = 0
        self.gc = GcWatch()
        self.pauses: list[tuple[int, float]] = []
        self.handling: list[float] = []  # of the last paced run: frame in hand -> arrival
        self._current: str | None = None
        deliver, send = sim._deliver, sim._send  # noqa: SLF001

        async def timed_deliver(frame: dict[str, Any], device_id: str, broadcast: bool) -> int:
            self._current = frame.get("event_id")
            return await deliver(frame, device_id, broadcast)

        async def timed_send(conn: Any, payload: str | bytes) -> bool:
            if self.stamps is not None and self._current is not None:
                self.stamps.setdefault(self._current, perf_counter())
            self.last_frame_bytes = len(payload)
            return await send(conn, payload)

        sim._deliver = timed_deliver  # type: ignore[method-assign] # noqa: SLF001
        sim._send = timed_send  # type: ignore[method-assign] # noqa: SLF001


@dataclass
class Tally:
    """Count the events a consumer finished, and when; optionally each event's arrival time."""

    target: int = 0
    count: int = 0
    finished_at: float = 0.0
    finished_cpu: float = 0.0
    received_at: float = 0.0
    arrivals: dict[str, float] | None = None
    handling: list[float] = field(default_factory=list)
    done: asyncio.Event = field(default_factory=asyncio.Event)

    def arm(self, target: int, *, arrivals: bool = False) -> None:
        """Start counting towards target events."""
        self.target, self.count, self.finished_at = target, 0, 0.0
        self.arrivals = {} if arrivals else None
        self.handling = []
        self.done.clear()

    def received(self) -> None:
        """Note that the consumer has a whole frame in hand (and starts handling it)."""
        self.received_at = perf_counter()

    def arrived(self, event_id: Any) -> None:
        """Note the time an event reached the point where latency is measured."""
        if self.arrivals is not None and event_id is not None:
            now = perf_counter()
            self.arrivals[str(event_id)] = now
            self.handling.append(now - self.received_at)

    def finished(self, *, settle: bool = False) -> None:
        """Count one event handled completely.

        settle: take the last event's time one loop turn later, after whatever its handling
        scheduled with call_soon (state writes deferred by the integration would be in it).
        """
        self.count += 1
        if self.count == self.target:
            if settle:
                asyncio.get_running_loop().call_soon(self._finish)
            else:
                self._finish()

    def _finish(self) -> None:
        """Take the time of the last event and wake the waiter."""
        self.finished_at, self.finished_cpu = perf_counter(), process_time()
        self.done.set()


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
    protocol: str, device_id: str, face: bool, registered: bool
) -> dict[str, Any]:
    """Return the push configuration frame of a generation, as the vendor documents it."""
    if protocol == "1.0":
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
        self._decode = _decode_v1 if sim.protocol == "1.0" else _decode_v2
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, device_id: str, face: bool, registered: bool) -> None:
        """Connect, subscribe to one device and start receiving."""
        self._session = aiohttp.ClientSession()
        url = f"ws://{LOOPBACK}:{self.sim.ws_port}/"
        self._ws = await self._session.ws_connect(url, autoping=False, max_msg_size=MAX_FRAME_BYTES)
        count = len(self.sim.subscriptions)
        message = subscription_message(self.sim.protocol, device_id, face, registered)
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
        handle_frame = client.handle_frame

        def timed_handle_frame(data: str | bytes, on_event: Callable[[Any], None]) -> None:
            tally.received()
            handle_frame(data, on_event)
            tally.finished(settle=True)

        client.handle_frame = timed_handle_frame  # type: ignore[method-assign]

        @callback
        def on_bus_event(event: Event) -> None:
            tally.arrived(event.data["event_id"])

        self._unlisten = self.hass.bus.async_listen(EVENT_RECOGNITION, on_bus_event)

    def image_bytes(self, device_id: str) -> dict[str, int]:
        """Return the size of each picture the coordinator holds for a device."""
        record = self.coordinator.records.get(canonical_device_id(device_id))
        if record is None:
            return {}
        return {
            kind.value: stored.picture.size
            for kind, stored in record.images.items()
            if stored.picture is not None
        }

    async def stop(self) -> None:
        """Remove the config entry (unloading it)."""
        if self._unlisten is not None:
            self._unlisten()
        if self.entry is not None:
            await self.hass.config_entries.async_remove(self.entry.entry_id)


def box_entry(sim: BoxSimulator, **options: Any) -> MockConfigEntry:
    """Return a config entry for a simulated box, as the config flow would create it."""
    return MockConfigEntry(
        domain=DOMAIN,
        title=f"{LOOPBACK}:{sim.rest_port}",
        unique_id=f"{LOOPBACK}:{sim.rest_port}",
        data={
            "host": LOOPBACK,
            "port": sim.rest_port,
            CONF_WS_PORT: sim.ws_port,
            CONF_VERSION_PORT: sim.version_port,
        },
        options=options,
    )


async def wait_until(predicate: Callable[[], object], timeout: float = WAIT) -> None:  # noqa: ASYNC109
    """Wait until predicate() is true, polling every millisecond."""
    async with asyncio.timeout(timeout):
        while not predicate():  # noqa: ASYNC110 - nothing to wait on: Home Assistant's state
            await asyncio.sleep(0.001)


@dataclass
class Round:
    """How long a round took, and the share of that time this process was on a CPU."""

    seconds: float
    cpu_share: float


async def run_until_counted(tally: Tally, count: int, push: Awaitable[Any]) -> Round:
    """Push count events and wait until the consumer handled them all.

    One process does everything here, so it should be on a CPU all round long: a CPU share well
    below 1 means something else on the machine took the CPU.
    """
    gc.collect()
    tally.arm(count)
    started, started_cpu = perf_counter(), process_time()
    pusher = asyncio.ensure_future(push)
    try:
        async with asyncio.timeout(WAIT):
            await tally.done.wait()
            await pusher
    finally:
        pusher.cancel()
    seconds = tally.finished_at - started
    return Round(seconds, (tally.finished_cpu - started_cpu) / seconds)


async def paced(
    tally: Tally, clock: SendClock, count: int, rate: float, push_one: Callable[[], Awaitable[Any]]
) -> list[float]:
    """Push count events at rate per second; return each one's latency send → arrival (s)."""
    gc.collect()
    tally.arm(count, arrivals=True)
    clock.stamps = {}
    started = perf_counter()
    clock.gc.start()
    try:
        async with asyncio.timeout(WAIT):
            for index in range(count):
                # Always yield: a late push must not run back to back with the next ones while
                # the consumer, on the same loop, waits (a real box is another machine).
                await asyncio.sleep(max(0.0, started + index / rate - perf_counter()))
                await push_one()
            await tally.done.wait()
        sent, arrived = clock.stamps, tally.arrivals or {}
        clock.handling = tally.handling
        return [arrived[key] - sent[key] for key in arrived if key in sent]
    finally:
        clock.stamps = None
        tally.arrivals = None
        clock.pauses = clock.gc.stop()


class GcWatch:
    """Record the garbage collector's pauses while active (gc.callbacks)."""

    def __init__(self) -> None:
        """Install the callback; nothing is recorded until start()."""
        self.pauses: list[tuple[int, float]] | None = None
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        """Time one collection."""
        if self.pauses is None:
            return
        if phase == "start":
            self._began = perf_counter()
        else:
            self.pauses.append((info["generation"], perf_counter() - self._began))

    def start(self) -> None:
        """Start recording."""
        self.pauses = []

    def stop(self) -> list[tuple[int, float]]:
        """Stop recording; return (generation, seconds) of each collection."""
        pauses, self.pauses = self.pauses or [], None
        return pauses

    def close(self) -> None:
        """Remove the callback."""
        gc.callbacks.remove(self._callback)


def rss_bytes() -> int:
    """Return this process's resident memory (VmRSS) in bytes."""
    for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile (share in 0..1) of values."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]
