"""Simulate a whole Sophon SE box: its devices, its people and the events it pushes.

Recognitions come from the face library (sophon_sim.library, seeded from the roster): the face
seen decides who is recognized, so a person deleted comes back as a stranger, a change of type
shows in the next recognition, and a face registered (even a stranger's crop the box pushed)
is recognized as its new person from then on.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import random
import time
from typing import TYPE_CHECKING, Any, Self

from . import generation_v1, generation_v2
from .generation import BoxState, EventSpec
from .history import HISTORY_KEEP, History
from .imagery import ImageBank, read_marker_of
from .library import LIBRARY_CAPACITY, Library, stranger
from .oddities import box_clock, encode_frame
from .roster import ROSTER, Person, PersonType, SimDevice, make_devices, unknown_device_id
from .server import BoxServer

if TYPE_CHECKING:
    from .faults import Faults
    from .generation import BuiltEvent, Generation
    from .imagery import Picture

_LOGGER = logging.getLogger("sophon_sim")
KEEP = 1000
STRANGER_POOL = 4
GENERATIONS: dict[str, Generation] = {
    generation_v1.VERSION: generation_v1.GENERATION,
    generation_v2.VERSION: generation_v2.GENERATION,
}


def _id_in_form(device_id: str, faults: Faults) -> str:
    """Return a device id in the form the id_form fault gives frames (hex, upper, padded)."""
    if faults.id_form == "hex":
        return device_id.replace("-", "")
    if faults.id_form == "upper":
        return device_id.upper()
    if faults.id_form == "nul_padded":
        return device_id + "\x00\x00"
    return f"  {device_id} "


def get_generation(version: str) -> Generation:
    """Return the simulator's implementation of a generation ("1.0", "2.0")."""
    if version not in GENERATIONS:
        raise ValueError(f"unsupported generation {version!r}; known: {', '.join(GENERATIONS)}")
    return GENERATIONS[version]


class BoxSimulator(BoxServer):
    """Stand in for a Sophon SE box on loopback ports, for tests and for people."""

    def __init__(
        self,
        devices: int | list[SimDevice] = 3,
        *,
        generation: str = "1.0",
        host: str = "127.0.0.1",
        rest_port: int = 0,
        ws_port: int = 0,
        version_port: int = 0,
        seed: int | None = None,
        hex_ids: bool = False,
        history_keep: int = HISTORY_KEEP,
        library_capacity: int = LIBRARY_CAPACITY,
    ) -> None:
        """Prepare a box with generated (or the given) devices; nothing is bound yet.

        hex_ids: generated device ids are 32 hex digits without dashes (as some 2.0 boxes give).
        history_keep: how many recognitions the box keeps for its event history (and pictures).
        library_capacity: how many people the face library holds (library.capacity).
        """
        super().__init__(get_generation(generation), host, rest_port, ws_port, version_port)
        self.generation = generation
        self.hex_ids = hex_ids
        self.devices = (
            make_devices(devices, seed, hex_ids) if isinstance(devices, int) else list(devices)
        )
        self._bank = ImageBank()
        self.library = Library(self._bank, capacity=library_capacity)
        self.library.seed(ROSTER)
        self._strangers = [person for person in ROSTER if not person.registered]
        self.sent: list[tuple[int, dict[str, Any]]] = []
        self.last_event_id: str | None = None
        # How many connections the last pushed event reached (0: the box made it, nobody got it).
        self.last_reached = 0
        self._history = History(history_keep)
        # The template strings of the last KEEP frames pushed that carried any (templates_of).
        self._templates: dict[str, tuple[str, ...]] = {}
        # The registered photos of people pushed who are not in the library (by image id).
        self._photos: dict[str, int] = {}
        self._rng = random.Random(seed)  # noqa: S311 - simulated events, not secrets
        # Its own generator: the events stay the same for a seed whatever else is drawn.
        serial_rng = random.Random(None if seed is None else f"serial-{seed}")  # noqa: S311
        self.serial_number = f"SE{serial_rng.getrandbits(48):012X}"
        self._seq = 1_000_000
        self._json_count = 0
        self._runner: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Bind the REST and WebSocket ports."""
        await self._start_servers()

    async def stop(self) -> None:
        """Stop everything: free-running events, ports, connections and tasks."""
        await self.stop_running()
        await self._stop_servers()

    def set_generation(self, generation: str) -> None:
        """Switch the firmware generation ("1.0", "2.0"), as an upgrade or downgrade would.

        Every WebSocket connection is aborted and the received subscriptions are forgotten
        (subscriptions is emptied; clients must connect and subscribe again); REST, WebSocket and
        the version port speak the new generation from now on, and firmware_version becomes that
        generation's default. The devices stay the same.
        """
        self._switch_generation(get_generation(generation))
        self.generation = generation

    async def __aenter__(self) -> Self:
        """Start the box for an async with block."""
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Stop the box at the end of an async with block."""
        await self.stop()

    def add_device(self, device: SimDevice) -> SimDevice:
        """Attach a device; the device list reports it from now on."""
        self.devices.append(device)
        return device

    def remove_device(self, device_id: str) -> SimDevice:
        """Detach a device; the device list no longer reports it."""
        for device in self.devices:
            if device.device_id == device_id:
                self.devices.remove(device)
                return device
        raise KeyError(device_id)

    @property
    def history_keep(self) -> int:
        """Return how many recognitions the box keeps."""
        return self._history.keep

    @history_keep.setter
    def history_keep(self, keep: int) -> None:
        """Keep this many recognitions from now on, forgetting the oldest beyond them at once."""
        self._history.keep = max(keep, 0)
        self._history.trim()

    @property
    def history_count(self) -> int:
        """Count the recognitions the box keeps (at most history_keep)."""
        return len(self._history)

    def history_record(self, event_id: str | int) -> dict[str, Any] | None:
        """Return what the history query gives for an event (by the push's event id), if kept."""
        kept = self._history.get(str(event_id))
        return None if kept is None else self.spoken.event_record(kept, self.faults)

    def images_of(self, event_id: str | int) -> dict[str, bytes]:
        """Return a kept event's pictures: keys face, registered (as pushed) and scene.

        In 1.0 the scene photo is pushed; in 2.0 it is the one getspotimage serves for the event.
        """
        kept = self._history.get(str(event_id))
        return dict(kept.images) if kept is not None else {}

    def templates_of(self, event_id: str | int) -> list[str]:
        """Return the biometric template strings one of the last KEEP frames carried (2.0)."""
        return list(self._templates.get(str(event_id), ()))

    @property
    def roster(self) -> list[Person]:
        """Return the people recognitions are drawn from: the library's, then the strangers."""
        return [entry.person for entry in self.library.people()] + self._strangers

    def _box_state(self) -> BoxState:
        """Show the generation the devices, the kept events, the photos and the library."""
        return BoxState(
            self.devices,
            self.faults,
            self._history,
            self._registered_photo,
            self.library,
            self.health,
        )

    def _registered_photo(self, image_id: str) -> bytes | None:
        """Return the registered photo with this image id, if a known person has it."""
        photo = self.library.photo(image_id)
        if photo is not None:
            return photo
        marker = self._photos.get(image_id)
        return self._bank.registered(marker).data if marker is not None else None

    def _device(self, device_id: str | None) -> SimDevice:
        """Find a device by id (first device by default); an unknown id gets a stand-in."""
        if device_id is None:
            if not self.devices:
                raise ValueError("the box has no devices")
            return self.devices[0]
        for device in self.devices:
            if device.device_id == device_id:
                return device
        return SimDevice(device_id, "", "192.168.1.250")

    def _person(self, person: Person | None, person_type: PersonType | None) -> Person:
        """Return the given person, or a random one (of the given type) of the library."""
        if person is not None:
            return person
        pool: list[Person] = [
            entry.person
            for entry in self.library.people()
            if person_type is None or entry.person_type == person_type
        ]
        if person_type in (None, PersonType.STRANGER):
            pool += self._strangers
        if not pool:
            raise ValueError(f"no person of type {person_type!r} in the library")
        chosen = self._rng.choice(pool)
        if chosen.person_type is PersonType.STRANGER:
            chosen = dataclasses.replace(chosen, face_seed=self._rng.randint(1, STRANGER_POOL))
        return chosen

    def _sighting(
        self, person: Person | None, person_type: PersonType | None, marker: int | None
    ) -> tuple[Person, int]:
        """Return who a recognition names and the marker of the face seen.

        The face decides: the library's person it belongs to (as the library has them now), or
        a stranger. A registered person the library never had (made up by a test) is as given.
        """
        library, chosen = self.library, None
        if marker is None:
            chosen = self._person(person, person_type)
            marker = library.marker_of(chosen)
            made_up = chosen.identity_id not in library and not library.forgot(chosen.identity_id)
            if chosen.registered and made_up:
                return chosen, marker
        entry = library.recognize(marker)
        if entry is not None:
            return entry.person, marker
        if chosen is not None and not chosen.registered:
            return chosen, marker
        return stranger(marker), marker

    def _face_marker(self, face: bytes | int | None, face_of: str | int | None) -> int | None:
        """Return the marker of the face asked for: a picture's, a number, a kept event's."""
        if face_of is not None:
            face = self.images_of(face_of).get("face")
            if face is None:
                raise ValueError(f"no face picture kept for event {face_of}")
        if isinstance(face, bytes):
            marker = read_marker_of(face)
            if marker is None:
                raise ValueError("the picture shows no face the simulator drew")
            return marker
        return face

    def _pictures(self, device: SimDevice, person: Person, marker: int) -> dict[str, Picture]:
        """Return the cached pictures for a sighting of a face on a device."""
        pictures = {
            "face": self._bank.face(marker),
            "scene": self._bank.scene(device.device_id, f"{device.ip}  {device.device_type}"),
        }
        if person.registered:
            photo = self.library.registered_picture(person.image_id)
            pictures["registered"] = photo or self._bank.registered(marker)
        return pictures

    def _score(self, person: Person) -> float:
        """Return a plausible match score for a person."""
        return self._rng.uniform(0.72, 0.99) if person.registered else self._rng.uniform(0.2, 0.6)

    def _record(self, spec: EventSpec, built: BuiltEvent) -> None:
        """Keep the event in the history, and the last KEEP frames sent and their templates.

        The frame goes once pushed (but for sent); the history keeps what it needs to answer.
        """
        self.sent.append((spec.seq, built.frame))
        if len(self.sent) > KEEP:
            del self.sent[0]
        self._history.add(spec, built)
        if built.templates:
            self._templates[built.event_id] = built.templates
            if len(self._templates) > KEEP:
                del self._templates[next(iter(self._templates))]
        self.last_event_id = built.event_id

    async def push_event(
        self,
        device_id: str | None = None,
        *,
        person: Person | None = None,
        person_type: PersonType | None = None,
        score: float | None = None,
        timestamp_ms: int | None = None,
        overrides: dict[str, Any] | None = None,
        face: bytes | int | None = None,
        face_of: str | int | None = None,
    ) -> dict[str, Any]:
        """Build one event, send it to the connections that asked for its device, and return it.

        score is on the 0..1 scale in both generations (2.0 frames carry it times 100). The face
        seen: person's (or a random person's), or the one in a picture the simulator drew
        (face: its bytes, even scaled or re-encoded, or its marker), or the face crop of a
        kept event (face_of: its event id); whoever the library has with that face is named.
        """
        built, _ = await self._push(
            device_id,
            person=person,
            person_type=person_type,
            score=score,
            timestamp_ms=timestamp_ms,
            overrides=overrides,
            marker=self._face_marker(face, face_of),
        )
        return built.frame

    async def push_many(
        self, n: int, device_id: str | None = None, images: bool = False
    ) -> list[str]:
        """Push n events back to back (without pictures unless asked); return their event ids."""
        ids = []
        for _ in range(n):
            built, _ = await self._push(device_id, images=images)
            ids.append(built.event_id)
        return ids

    async def _push(
        self,
        device_id: str | None,
        *,
        person: Person | None = None,
        person_type: PersonType | None = None,
        score: float | None = None,
        timestamp_ms: int | None = None,
        overrides: dict[str, Any] | None = None,
        images: bool = True,
        marker: int | None = None,
    ) -> tuple[BuiltEvent, int]:
        """Build, record and deliver one event; return it and how many connections got it."""
        device = self._device(device_id)
        who, marker = self._sighting(person, person_type, marker)
        device, listed_id, broadcast = self._as_framed(device)
        if who.registered and who.identity_id not in self.library:
            self._photos[who.image_id] = marker
        self._seq += 1
        spec = EventSpec(
            seq=self._seq,
            device=device,
            person=who,
            score=self._score(who) if score is None else score,
            timestamp_ms=box_clock(
                int(time.time() * 1000) if timestamp_ms is None else timestamp_ms,
                self._seq,
                self.faults,
                self.timezone,
            ),
            pictures=self._pictures(device, who, marker) if images else {},
            faults=self.faults,
            rng=self._rng,
            bank=self._bank,
            overrides=overrides or {},
        )
        built = self.spoken.build_event(spec)
        self._record(spec, built)
        delivered = self.last_reached = await self._deliver(built.frame, listed_id, broadcast)
        return built, delivered

    def _as_framed(self, device: SimDevice) -> tuple[SimDevice, str, bool]:
        """Return the device as frames name it, the id subscriptions know, and whether to broadcast.

        unknown_device: a stranger's id, sent to every connection; id_form: the id in another form.
        """
        broadcast = self.faults.unknown_device
        if broadcast:
            stranger_id = unknown_device_id(self._rng, self.hex_ids)
            device = dataclasses.replace(device, device_id=stranger_id)
        listed_id = device.device_id
        if self.faults.id_form:
            device = dataclasses.replace(device, device_id=_id_in_form(listed_id, self.faults))
        return device, listed_id, broadcast

    def _broken_now(self) -> bool:
        """Tell whether this push is one that invalid_json_every turns into broken JSON."""
        every = self.faults.invalid_json_every
        if every <= 0:
            return False
        self._json_count += 1
        return self._json_count % every == 0

    async def _deliver(self, frame: dict[str, Any], device_id: str, broadcast: bool) -> int:
        """Send the frame, tailored per connection, to each connection that asked for the device."""
        broken = self._broken_now()
        if self.faults.silent:
            return 0
        targets = [
            (conn, conn.sub)
            for conn in self._subscribed()
            if conn.sub is not None and (broadcast or device_id in conn.sub.device_ids)
        ]
        payloads: dict[tuple[bool, bool], str | bytes] = {}
        for _, sub in targets:
            if (sub.want_face, sub.want_register) not in payloads:
                tailored = self.spoken.tailor(frame, sub)
                payloads[sub.want_face, sub.want_register] = self._encode(tailored, broken)
        sends = [self._send(c, payloads[s.want_face, s.want_register]) for c, s in targets]
        if len(sends) == 1:
            return int(await sends[0])
        return sum(await asyncio.gather(*sends))

    def _encode(self, frame: dict[str, Any], broken: bool) -> str | bytes:
        """Serialise a frame as the faults ask: broken JSON, binary or text frame, encoding."""
        text = json.dumps(frame, ensure_ascii=False)
        if broken:
            text = text[: len(text) // 2]
        return encode_frame(text, self.faults)

    def run(self, rate: float = 1.0, max_events: int | None = None, poisson: bool = True) -> None:
        """Push random events on random devices at about rate per second, in the background."""
        if self._runner is not None and not self._runner.done():
            raise RuntimeError("already running")
        rate = min(max(rate, 0.001), 1000.0)
        self._runner = asyncio.create_task(self._run(rate, max_events, poisson))

    async def stop_running(self) -> None:
        """Stop the free-running events."""
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._runner
            self._runner = None

    async def _run(self, rate: float, max_events: int | None, poisson: bool) -> None:
        """Push events until cancelled or max_events were pushed, logging one line for each."""
        count = 0
        while max_events is None or count < max_events:
            await asyncio.sleep(self._rng.expovariate(rate) if poisson else 1 / rate)
            if not self.devices:
                continue
            device, who = self._rng.choice(self.devices), self._person(None, None)
            try:
                built, delivered = await self._push(device.device_id, person=who)
            except Exception:
                _LOGGER.exception("could not push an event")
                continue
            count += 1
            _LOGGER.info(
                "event %s  device %s  person %s  type %s  sent to %d connection(s)",
                built.event_id,
                device.name or device.device_id,
                who.name or "(stranger)",
                who.person_type.name,
                delivered,
            )
