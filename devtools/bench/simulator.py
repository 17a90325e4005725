"""The simulated box's side of the bench: its gates, the registered photo, the send clock."""

from __future__ import annotations

import base64
import io
import uuid
from time import perf_counter
from typing import Any

from PIL import Image

from devtools.bench.timing import GcWatch
from sophon_sim import ROSTER, BoxSimulator, Person, SimDevice
from sophon_sim.imagery import Picture, draw_registered, face_marker

LOOPBACK = "127.0.0.1"
# A person in the face library, so every image workload's frame carries a registered photo.
REGISTERED_PERSON: Person = next(p for p in ROSTER if p.name == "Alice Zhang")
# Chinese 2-inch ID photo, the usual face-library enrolment size; noise as a real camera's.
REGISTERED_SIZE = (413, 579)


def realistic_registered_photo() -> Picture:
    """Return the registered person's library photo at enrolment size, with camera noise."""
    small = Image.open(io.BytesIO(draw_registered(face_marker(REGISTERED_PERSON.image_key)).data))
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
