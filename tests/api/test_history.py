"""The client's event-history query (issue 16) against the simulated box, in both generations.

Orders, page sizes, limits, filters (the box's and the client's own), the unit of the time
filters, the query's faults, the bounds, past pictures, scores, a time-zone correction, and
unreadable events (a crafted box).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from custom_components.sophon.api import (
    BoxClient,
    History,
    HistoryQuery,
    PersonType,
    SophonConnectionError,
    SophonError,
    SophonNotFoundError,
    SophonResponseError,
    SophonTimeoutError,
)
from custom_components.sophon.api import history as history_module
from custom_components.sophon.api.generation import GENERATIONS as CLIENT_GENERATIONS
from custom_components.sophon.api.rest import BoxRest
from sophon_sim import ROSTER, BoxSimulator
from sophon_sim.faults import HISTORY_ORDERS
from tests.api.conftest import Listening
from tests.conftest import GENERATIONS, LOOPBACK

T0_MS = 1_764_000_000_000
T0 = datetime.fromtimestamp(T0_MS / 1000, UTC)
V1_EVENTS = "/SophonFace/api/events"
V2_EVENTS = "/sophon/v2/face/getevents"
MS_ABOVE = 1e11  # a time filter above this is in ms
JPEG = b"\xff\xd8\xff\xe0crafted"
DEVICE = "23c7232b-0b35-4813-be6b-6ec4ee21ac4f"
EVER = -1e9  # s after T0: before any event pushed at the time of the test


@dataclass
class Wire:
    """The history queries a session sent: each one's parameters (1.0) or body (2.0)."""

    sent: list[dict[str, Any]] = field(default_factory=list)

    def units(self) -> list[tuple[str, str]]:
        """Return each query's time filters' units ("s", "ms"; "-": none), and forget them."""
        units = [
            (_unit(sent.get("datetime_gte")), _unit(sent.get("datetime_lte"))) for sent in self.sent
        ]
        self.sent.clear()
        return units


def _unit(value: Any) -> str:
    """Return the unit a time filter was sent in."""
    return "-" if value is None else "ms" if float(value) > MS_ABOVE else "s"


@pytest.fixture
def wire() -> Wire:
    """Return the log of the history queries the test's session sends."""
    return Wire()


@pytest.fixture
async def session(wire: Wire) -> AsyncIterator[aiohttp.ClientSession]:
    """Return a session that logs its history queries in wire, closed after the test."""

    async def started(_: Any, __: Any, params: aiohttp.TraceRequestStartParams) -> None:
        if params.url.path == V1_EVENTS:
            wire.sent.append(dict(params.url.query))

    async def chunk(_: Any, __: Any, params: aiohttp.TraceRequestChunkSentParams) -> None:
        if params.url.path == V2_EVENTS:
            wire.sent.append(json.loads(params.chunk)["filters"])

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(started)
    trace.on_request_chunk_sent.append(chunk)
    async with aiohttp.ClientSession(trace_configs=[trace]) as client_session:
        yield client_session


@pytest.fixture
def simulator(each_generation: BoxSimulator) -> BoxSimulator:
    """Run a box of each generation (the client fixtures of conftest.py talk to it)."""
    return each_generation


def at(offset: float) -> datetime:
    """Return the time offset seconds after T0."""
    return T0 + timedelta(seconds=offset)


async def push_at(sim: BoxSimulator, *offsets: float, **kwargs: Any) -> list[str]:
    """Push one event at each of these times (s after T0); return their event ids."""
    return [
        (await sim.push_event(timestamp_ms=T0_MS + round(offset * 1000), **kwargs))["event_id"]
        for offset in offsets
    ]


def keys(sim: BoxSimulator, event_ids: list[str]) -> list[str]:
    """Return the ids the history gives pushed events (1.0: the record's _id; 2.0: the push's)."""
    records = [sim.history_record(event_id) for event_id in event_ids]
    assert all(records)
    return [str(r["_id"] if "_id" in r else r["event_id"]) for r in records if r]


async def ask(
    client: BoxClient, start: float = -1, end: float | None = None, **query: Any
) -> History:
    """Ask the client for the recognitions from start to end (s after T0)."""
    return await client.async_get_recognitions(
        HistoryQuery(start=at(start), end=None if end is None else at(end), **query)
    )


def ids(history: History) -> list[str | None]:
    """Return the event ids of a history's recognitions, in their order."""
    return [event.event_id for event in history.recognitions]


@pytest.fixture
async def shuffled(simulator: BoxSimulator) -> list[str]:
    """Push 45 events out of time order, 1 s apart; return their history ids oldest first."""
    offsets = [n * 17 % 45 for n in range(45)]  # each of 0..44 once, out of order
    pushed = dict(zip(offsets, await push_at(simulator, *offsets), strict=True))
    return keys(simulator, [pushed[offset] for offset in sorted(pushed)])


# Orders, pages and limits


@pytest.mark.parametrize("cap", [0, 7])
@pytest.mark.parametrize("order", HISTORY_ORDERS)
async def test_every_order_and_page_size_gives_each_event_once_oldest_first(
    client: BoxClient, simulator: BoxSimulator, shuffled: list[str], order: str, cap: int
) -> None:
    simulator.faults.history_order, simulator.faults.history_page_cap = order, cap
    result = await ask(client)
    assert ids(result) == shuffled
    assert (result.matched, result.complete) == (45, True)
    times = [event.timestamp for event in result.recognitions]
    assert all(abs(t - at(n)) < timedelta(milliseconds=1) for n, t in enumerate(times))
    counters = client.counters
    counted = (counters.history_queries, counters.history_failures, counters.history_rejected)
    assert counted == (1, 0, 0)


@pytest.mark.parametrize("cap", [0, 7, 1])
@pytest.mark.parametrize("order", HISTORY_ORDERS)
async def test_a_limit_keeps_the_newest_and_matched_counts_all(
    client: BoxClient, simulator: BoxSimulator, shuffled: list[str], order: str, cap: int
) -> None:
    simulator.faults.history_order, simulator.faults.history_page_cap = order, cap
    result = await ask(client, limit=5)
    assert ids(result) == shuffled[-5:]
    assert (result.matched, result.complete) == (45, True)
    newest = await ask(client, limit=1)
    assert (ids(newest), newest.matched) == (shuffled[-1:], 45)
    none = await ask(client, limit=0)
    assert (none.recognitions, none.matched) == ([], 45)


# Filters


@pytest.fixture
async def cast(simulator: BoxSimulator) -> dict[str, str]:
    """Push five known events 10 s apart (people, devices); return their event ids by name."""
    people = {"A": ROSTER[0], "B": ROSTER[4], "C": ROSTER[10], "D": ROSTER[8], "E": ROSTER[3]}
    devices = {"A": 0, "B": 1, "C": 2, "D": 0, "E": 2}
    pushed = {}
    for offset, (name, person) in enumerate(people.items()):
        device_id = simulator.devices[devices[name]].device_id
        (pushed[name],) = await push_at(simulator, offset * 10, person=person, device_id=device_id)
    return pushed


def named(sim: BoxSimulator, cast: dict[str, str], names: str) -> list[str]:
    """Return the history ids of the cast's events with these names, in this order."""
    return keys(sim, [cast[name] for name in names])


def device_ids(sim: BoxSimulator, *indexes: int, form: str = "") -> tuple[str, ...]:
    """Return the ids of devices, as listed or in another form ("upper", "hex", "upper_hex")."""
    listed = [sim.devices[index].device_id for index in indexes]
    if "hex" in form:
        listed = [device_id.replace("-", "") for device_id in listed]
    return tuple(device_id.upper() if "upper" in form else device_id for device_id in listed)


FILTER_CASES = [
    pytest.param({"start": 10}, "BCDE", id="start"),
    pytest.param({"start": 10, "end": 30.5}, "BCD", id="start-end"),
    pytest.param({"end": 10.5}, "AB", id="end"),
    pytest.param({"devices": (0,)}, "AD", id="device"),
    pytest.param({"devices": (0,), "form": "upper"}, "AD", id="device-upper"),
    pytest.param({"devices": (1, 2), "form": "hex"}, "BCE", id="devices-hex"),
    pytest.param({"devices": (2,), "form": "upper_hex", "start": 25}, "E", id="device-start"),
    pytest.param({"identity_id": "666666"}, "A", id="identity"),
    pytest.param({"identity_id": "666666", "start": 1}, "", id="identity-start"),
    pytest.param({"person_type": PersonType.STRANGER}, "C", id="stranger"),
    pytest.param({"person_type": PersonType.VIP}, "D", id="vip"),
    pytest.param({"person_type": PersonType.EMPLOYEE}, "AE", id="employee"),
    pytest.param({"person_type": PersonType.BLACKLIST}, "", id="blacklist"),
    pytest.param({"person_type": PersonType.UNKNOWN}, "", id="unknown-type"),
]


async def ask_filtered(client: BoxClient, sim: BoxSimulator, case: dict[str, Any]) -> History:
    """Ask with a filter case: start, end (s after T0), devices by index in a form, the rest."""
    query = dict(case)
    start, end = query.pop("start", -1), query.pop("end", None)
    if "devices" in query:
        query["device_ids"] = device_ids(sim, *query.pop("devices"), form=query.pop("form", ""))
    return await ask(client, start, end, **query)


@pytest.mark.parametrize(("case", "expected"), FILTER_CASES)
async def test_each_filter(
    client: BoxClient,
    simulator: BoxSimulator,
    cast: dict[str, str],
    wire: Wire,
    case: dict[str, Any],
    expected: str,
) -> None:
    for _ in range(2):  # the second time with the unit of the time filters known (or not)
        result = await ask_filtered(client, simulator, case)
        assert ids(result) == named(simulator, cast, expected)
        assert (result.matched, result.complete) == (len(expected), True)
    # 1.0: how a GET carries a list is not documented: the client filters devices alone.
    sent_devices = {"media_device_ids" in sent or "streams" in sent for sent in wire.sent}
    assert sent_devices == {simulator.generation == "2.0" and "devices" in case}


@pytest.mark.parametrize("form", ["upper", "hex"])
async def test_devices_named_otherwise_in_the_history_are_found(
    client: BoxClient, simulator: BoxSimulator, form: str
) -> None:
    simulator.faults.id_form = form  # its events name the device otherwise than its list
    pushed = await push_at(simulator, 0, 1, device_id=simulator.devices[1].device_id)
    await push_at(simulator, 2, device_id=simulator.devices[0].device_id)
    result = await ask(client, device_ids=device_ids(simulator, 1))
    assert ids(result) == keys(simulator, pushed)


# The unit of the time filters


UNIT_CASES = [
    # filter_ms, end: the units of the first query's requests, then of the second's.
    pytest.param(False, None, [("s", "-")], [("s", "-")], id="s-no-end"),
    pytest.param(False, 25, [("s", "ms"), ("s", "s")], [("s", "s")], id="s-end"),
    pytest.param(True, None, [("s", "-"), ("ms", "-")], [("ms", "-")], id="ms-no-end"),
    pytest.param(True, 25, [("s", "ms"), ("ms", "ms")], [("ms", "ms")], id="ms-end"),
]


@pytest.mark.parametrize(("filter_ms", "end", "first", "then"), UNIT_CASES)
async def test_the_unit_of_the_time_filters_is_learnt_after_one_query(
    client: BoxClient,
    simulator: BoxSimulator,
    cast: dict[str, str],
    wire: Wire,
    filter_ms: bool,
    end: float | None,
    first: list[tuple[str, str]],
    then: list[tuple[str, str]],
) -> None:
    simulator.faults.history_filter_ms = filter_ms
    expected = named(simulator, cast, "C" if end else "CDE")
    assert ids(await ask(client, 15, end)) == expected
    assert wire.units() == first
    assert ids(await ask(client, 15, end)) == expected
    assert wire.units() == then


@pytest.mark.parametrize("filter_ms", [False, True])
async def test_nothing_outside_the_times_asked_teaches_nothing(
    client: BoxClient, simulator: BoxSimulator, wire: Wire, filter_ms: bool
) -> None:
    simulator.faults.history_filter_ms = filter_ms
    pushed = keys(simulator, await push_at(simulator, 5, 6))
    for _ in range(2):
        assert ids(await ask(client, 0, 10)) == pushed
        assert wire.units() == [("s", "ms")]


async def test_times_answered_in_ms_and_their_pictures(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    simulator.faults.history_answer_ms = True
    (event_id,) = await push_at(simulator, 3.25, person=ROSTER[4])
    (event,) = (await ask(client)).recognitions
    assert abs(event.timestamp - at(3.25)) < timedelta(milliseconds=1)
    images = simulator.images_of(event_id)
    for name, kind in (("face_image", "face"), ("scene_image", "scene")):
        picture = event.picture(name)
        assert picture is not None
        assert await picture.async_content() == images[kind]


# Faults and bounds


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        ("error", SophonResponseError),
        ("status_500", SophonResponseError),
        ("timeout", SophonTimeoutError),
        ("reset", SophonConnectionError),
        ("empty_body", SophonResponseError),
    ],
)
async def test_a_failed_query_raises_and_is_counted(
    client: BoxClient,
    simulator: BoxSimulator,
    monkeypatch: pytest.MonkeyPatch,
    fault: str,
    error: type[SophonError],
) -> None:
    monkeypatch.setattr("sophon_sim.server.STALL", 0.2)
    pushed = keys(simulator, await push_at(simulator, 0))
    assert ids(await ask(client)) == pushed
    simulator.faults.history_query = fault
    client.request_timeout = 0.1
    with pytest.raises(error):
        await ask(client)
    counters = client.counters
    assert (counters.history_queries, counters.history_failures) == (1, 1)


async def test_no_events_is_an_empty_history(client: BoxClient, simulator: BoxSimulator) -> None:
    await push_at(simulator, 0, 1)
    simulator.faults.history_query = "no_events"
    result = await ask(client)
    assert (result.recognitions, result.matched, result.complete) == ([], 0, True)
    assert (client.counters.history_queries, client.counters.history_failures) == (1, 0)


@pytest.mark.parametrize(
    ("order", "read"), [("newest_first", slice(-14, None)), ("oldest_first", slice(14))]
)
async def test_at_most_max_pages_are_read(
    client: BoxClient,
    simulator: BoxSimulator,
    shuffled: list[str],
    monkeypatch: pytest.MonkeyPatch,
    order: str,
    read: slice,
) -> None:
    monkeypatch.setattr(history_module, "MAX_PAGES", 2)
    simulator.faults.history_order, simulator.faults.history_page_cap = order, 7
    result = await ask(client)
    assert ids(result) == shuffled[read]
    assert (result.matched, result.complete) == (14, False)
    limited = await ask(client, limit=5)
    assert ids(limited) == shuffled[read][-5:]
    assert (limited.matched, limited.complete) == (14, False)


async def test_at_most_max_seconds_are_spent(
    client: BoxClient, simulator: BoxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sophon_sim.server.STALL", 0.2)
    monkeypatch.setattr(history_module, "MAX_SECONDS", 0.05)
    await push_at(simulator, 0)
    simulator.faults.history_query = "timeout"
    result = await ask(client)
    assert (result.recognitions, result.matched, result.complete) == ([], 0, False)
    assert (client.counters.history_queries, client.counters.history_failures) == (1, 0)


async def test_a_box_of_no_known_generation_is_a_failed_query(
    client: BoxClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def no_devices(_rest: BoxRest) -> list[Any]:
        return []

    monkeypatch.setattr(BoxRest, "devices", no_devices)
    with pytest.raises(SophonResponseError, match="no known generation"):
        await ask(client)
    assert client.counters.history_failures == 1


# Pictures, scores and times


async def test_the_pictures_of_past_events_are_the_boxs(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    known = (
        await simulator.push_event(person=ROSTER[0], device_id=simulator.devices[1].device_id)
    )["event_id"]
    stranger = (await simulator.push_event(person=ROSTER[10]))["event_id"]
    result = await ask(client, EVER)
    events = {event.event_id: event for event in result.recognitions}
    for event_id, kinds in (
        (known, ("face", "scene", "registered")),
        (stranger, ("face", "scene")),
    ):
        event = events[keys(simulator, [event_id])[0]]
        images = simulator.images_of(event_id)
        assert set(images) == set(kinds)
        for kind in ("face", "scene", "registered"):
            picture = event.picture(f"{kind}_image")
            if kind not in kinds:
                assert picture is None
                continue
            assert picture is not None
            assert picture.size == 0
            assert await picture.async_content() == images[kind]
            asked = simulator.rest_requests
            assert await picture.async_content() == images[kind]
            assert (simulator.rest_requests, picture.size) == (asked, len(images[kind]))


async def test_a_picture_the_box_forgot_is_none(client: BoxClient, simulator: BoxSimulator) -> None:
    simulator.history_keep = 2
    await push_at(simulator, 0, person=ROSTER[0])
    (event,) = (await ask(client)).recognitions
    await push_at(simulator, 1, 2)
    for name in ("face_image", "scene_image"):
        picture = event.picture(name)
        assert picture is not None
        assert await picture.async_content() is None
        assert picture.failed
    registered = event.picture("registered_image")  # the library keeps the person's photo
    assert registered is not None
    assert await registered.async_content()
    assert client.counters.scene_fetch_retries == 0


async def test_events_without_pictures_name_none(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    await simulator.push_many(2)
    result = await ask(client, EVER)
    assert len(result.recognitions) == 2
    for event in result.recognitions:
        assert event.picture("face_image") is None
        assert event.picture("scene_image") is None


async def test_a_past_event_reads_as_its_push(
    listening: Listening, simulator: BoxSimulator
) -> None:
    frame = await simulator.push_event(person=ROSTER[8], score=0.8205)
    await listening.received(1)
    pushed = listening.events[0]
    history = await listening.client.async_get_recognitions(
        HistoryQuery(start=pushed.timestamp - timedelta(minutes=1))
    )
    (past,) = history.recognitions
    assert past.score == pytest.approx(pushed.score) == pytest.approx(0.8205)
    assert past.score_raw == 82.05  # the answer's scale: 0..100 (the 1.0 push's is 0..1)
    assert abs(past.timestamp - pushed.timestamp) < timedelta(milliseconds=1)
    same = ("device_key", "identity_id", "identity_name", "person_type", "group_name")
    assert [getattr(past, name) for name in same] == [getattr(pushed, name) for name in same]
    if simulator.generation == "2.0":
        assert past.event_id == pushed.event_id == frame["event_id"]


async def test_a_time_zone_correction_puts_past_times_on_our_clock(
    client: BoxClient, simulator: BoxSimulator, wire: Wire
) -> None:
    simulator.faults.events_local_time = True  # the box's wall time (UTC+8) sent as UTC
    client.clock_watch.correction = timedelta(hours=8)
    pushed = keys(simulator, await push_at(simulator, 0, 10, 20))
    result = await ask(client, 5, 15)
    assert ids(result) == pushed[1:2]
    assert abs(result.recognitions[0].timestamp - at(10)) < timedelta(milliseconds=1)
    sent = wire.sent[-1]
    assert float(sent["datetime_gte"]) == at(5 + 8 * 3600).timestamp()
    assert ids(await ask(client)) == pushed


# A crafted box


@dataclass
class CraftedBox:
    """A box that answers each page of the history with a crafted answer, any picture alike."""

    generation: str
    pages: list[Any] = field(default_factory=list)  # past the last: an empty page
    picture: tuple[int, Any] = (200, JPEG)  # the status and the body (bytes, or JSON)
    asked: list[int] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """Answer a page of the history query, or a picture."""
        if request.path not in (V1_EVENTS, V2_EVENTS):
            status, body = self.picture
            if isinstance(body, bytes):
                return web.Response(status=status, body=body, content_type="image/jpeg")
            return web.json_response(body, status=status)
        if request.method == "GET":
            index = int(request.query["page"])
        else:
            index = (await request.json())["page_index"]
        self.asked.append(index)
        return web.json_response(self.pages[index] if index < len(self.pages) else page(self, []))


def page(
    box: CraftedBox, items: list[Any], total: int | None = None, size: int | None = None
) -> dict[str, Any]:
    """Return a page of the history as the box's generation writes it."""
    items_key, size_key = (
        ("data", "per_page") if box.generation == "1.0" else ("events", "page_limit")
    )
    pagination = {"total_count": total, size_key: size}
    return {items_key: items, "pagination": {k: v for k, v in pagination.items() if v is not None}}


def item(box: CraftedBox, event_id: str | None, offset: float, **fields: Any) -> dict[str, Any]:
    """Return an employee's event on DEVICE offset s after T0, with pictures, in the box's words."""
    stamp = T0_MS / 1000 + offset
    if box.generation == "1.0":
        common = {
            "ep_info": {"device_id": DEVICE},
            "identity_id": "1",
            "person_type": 1,
            "score": 90.0,
            "identity_info": {"image_id": "r1"},
            "recognize_face_pic_id": "f1",
            "spot_pic_id": "s1",
        }
        event: dict[str, Any] = {"timestamp": stamp, "common": common | fields}
        if event_id is not None:
            event["_id"] = event_id
        return event
    event = {
        "timestamp": stamp,
        "media_device_id": DEVICE,
        "identity_id": "1",
        "user_type": "employee",
        "score": 90.0,
        "register_image_id": "r1",
        "recognize_face_image_id": "f1",
        "spot_image_id": "s1",
    }
    if event_id is not None:
        event["event_id"] = event_id
    return event | fields


@contextlib.asynccontextmanager
async def serving(box: CraftedBox, session: aiohttp.ClientSession) -> AsyncIterator[BoxClient]:
    """Serve a crafted box on loopback; yield a client of it that knows its generation."""
    app = web.Application()
    app.router.add_route("*", "/{path:.*}", box.handle)
    async with TestServer(app, host=LOOPBACK) as server:
        generation = next(g for g in CLIENT_GENERATIONS if g.name == box.generation)
        yield BoxClient(
            host=LOOPBACK,
            port=server.port,
            session=session,
            request_timeout=2.0,
            generation=generation,
        )


@pytest.fixture(params=GENERATIONS, ids=lambda generation: f"generation-{generation}")
def crafted(request: pytest.FixtureRequest) -> CraftedBox:
    """Return a crafted box of each generation, with no pages yet."""
    return CraftedBox(request.param)


async def test_unreadable_past_events_are_skipped_and_counted(
    crafted: CraftedBox, session: aiohttp.ClientSession
) -> None:
    no_device = item(crafted, "x1", 3)
    no_device.pop("media_device_id", None)
    no_device.get("common", {}).pop("ep_info", None)
    no_time, bad_time = item(crafted, "x2", 4), item(crafted, "x3", 5)
    del no_time["timestamp"]
    bad_time["timestamp"] = "yesterday"
    bad = ["text", 42, None, [1], no_device, no_time, bad_time]
    good = [item(crafted, "a", 1), item(crafted, "b", 2)]
    crafted.pages = [page(crafted, [good[1], *bad, good[0]], total=9, size=100)]
    async with serving(crafted, session) as client:
        result = await ask(client)
    assert ids(result) == ["a", "b"]
    assert (result.matched, result.complete) == (2, True)
    assert (client.counters.history_rejected, client.counters.history_queries) == (7, 1)


async def test_pages_without_counts_end_with_an_empty_one_and_repeats_count_once(
    crafted: CraftedBox, session: aiohttp.ClientSession
) -> None:
    crafted.pages = [
        page(crafted, [item(crafted, None, 1), item(crafted, "b", 2)]),
        page(crafted, [item(crafted, "b", 2), item(crafted, None, 1), item(crafted, None, 3)]),
    ]
    async with serving(crafted, session) as client:
        result = await ask(client)
    assert [event.timestamp for event in result.recognitions] == [at(1), at(2), at(3)]
    assert ids(result) == [None, "b", None]
    assert crafted.asked == [0, 1, 2]


@pytest.mark.parametrize("size", [1, 100], ids=["says-so", "says-what-was-asked"])
async def test_a_page_may_be_shorter_than_asked(
    crafted: CraftedBox, session: aiohttp.ClientSession, size: int
) -> None:
    crafted.pages = [
        page(crafted, [item(crafted, str(n), n)], total=3, size=size) for n in (3, 2, 1)
    ]
    async with serving(crafted, session) as client:
        assert ids(await ask(client)) == ["1", "2", "3"]
    assert crafted.asked == [0, 1, 2]


ERROR_ANSWERS = {
    "not-an-object": ([], [], SophonResponseError),
    "no-event-list": ({"pagination": {}}, {"pagination": {}}, SophonResponseError),
    "error": (
        {"error": {"code": 500, "status": "INTERNAL", "message": "x"}},
        {"error": {"code": "INTERNAL_ERROR", "message": "x"}},
        SophonResponseError,
    ),
    "not-found": (
        {"error": {"code": 404, "status": "NOT_FOUND", "message": "x"}},
        {"error": {"code": "ID_NOT_FOUND", "message": "x"}},
        SophonNotFoundError,
    ),
}


@pytest.mark.parametrize("answer", ERROR_ANSWERS)
async def test_an_answer_without_events_is_a_failed_query(
    crafted: CraftedBox, session: aiohttp.ClientSession, answer: str
) -> None:
    v1, v2, error = ERROR_ANSWERS[answer]
    crafted.pages = [v1 if crafted.generation == "1.0" else v2]
    async with serving(crafted, session) as client:
        with pytest.raises(error):
            await ask(client)
    assert (client.counters.history_failures, client.counters.history_queries) == (1, 0)


PICTURE_ANSWERS = {
    "jpeg": ((200, JPEG), (200, JPEG), "jpeg"),
    "gone": ((404, {"error": {"code": 404}}), (404, {"error": {"code": "ID_NOT_FOUND"}}), "gone"),
    "gone-in-envelope": (
        (200, {"error": {"code": 404, "status": "NOT_FOUND"}}),
        (200, {"error": {"code": "ID_NOT_FOUND"}}),
        "gone",
    ),
    "refused": ((405, {}), (405, {}), "later"),
    "no-jpeg": ((200, {"ok": True}), (200, {"ok": True}), "later"),
    "error": ((500, {}), (200, {"error": {"code": "INTERNAL_ERROR"}}), "later"),
}


@pytest.mark.parametrize("answer", PICTURE_ANSWERS)
async def test_what_a_box_answers_for_a_past_picture(
    crafted: CraftedBox, session: aiohttp.ClientSession, answer: str
) -> None:
    v1, v2, outcome = PICTURE_ANSWERS[answer]
    crafted.picture = v1 if crafted.generation == "1.0" else v2
    crafted.pages = [page(crafted, [item(crafted, "a", 1)])]
    async with serving(crafted, session) as client:
        (event,) = (await ask(client)).recognitions
        for name in ("face_image", "scene_image", "registered_image"):
            picture = event.picture(name)
            assert picture is not None
            content = await picture.async_content()
            assert content == (JPEG if outcome == "jpeg" else None), name
            assert (picture.failed, picture.retry_at is not None) == (
                outcome == "gone",
                outcome == "later",
            ), name
            client.pictures.down_until = None  # the next picture is asked for at once


@pytest.mark.parametrize(("order", "size"), [("EDCBA", 2), ("ABCDE", 1), ("CEADB", 3)])
async def test_the_client_filters_what_a_box_ignores(
    simulator: BoxSimulator,
    session: aiohttp.ClientSession,
    cast: dict[str, str],
    order: str,
    size: int,
) -> None:
    records = [simulator.history_record(cast[name]) for name in order]
    deaf = CraftedBox(simulator.generation)  # every filter ignored
    deaf.pages = [page(deaf, records[n : n + size], total=5, size=size) for n in range(0, 5, size)]
    async with serving(deaf, session) as client:
        for case in FILTER_CASES:
            query, expected = case.values
            result = await ask_filtered(client, simulator, dict(query))
            assert ids(result) == named(simulator, cast, str(expected)), case.id
