"""The box's event history over loopback HTTP: 1.0 GET events, 2.0 POST getevents, pictures."""

from __future__ import annotations

import asyncio
import json
import math
import re
from typing import TYPE_CHECKING, Any, NamedTuple

import aiohttp
import pytest

from sophon_sim import ROSTER, BoxSimulator, Faults, PersonType
from tests.conftest import LOOPBACK
from tests.sim.conftest import V2, Clients, get_event

if TYPE_CHECKING:
    from collections.abc import Iterator

T0_MS = 1_764_000_000_000
RECORD_ID = re.compile(r"^\d{10}\.\d{6}$")
V1_EVENTS = "/SophonFace/api/events"
V1_EVENT_IMAGES = "/SophonFace/api/event_images/"
# What a filter is called in each generation's query (1.0 parameters, 2.0 body filters).
FILTER_NAMES = {
    "1.0": {"since": "datetime_gte", "until": "datetime_lte", "name": "name", "devices": "streams"},
    "2.0": {
        "since": "datetime_gte",
        "until": "datetime_lte",
        "name": "identity_name",
        "devices": "media_device_ids",
    },
}
TYPE_FILTERS = {"1.0": ("userType", int), "2.0": ("user_type", lambda t: t.name.lower())}


class Page(NamedTuple):
    """Hold one answer of the history query, in generation-neutral terms."""

    events: list[dict[str, Any]]
    page: int
    per_page: int
    total: int


def record_key(record: dict[str, Any]) -> str:
    """Return what tells records apart: the 1.0 _id, the 2.0 event_id."""
    return str(record["_id"] if "_id" in record else record["event_id"])


def keys_of(sim: BoxSimulator, event_ids: list[str]) -> list[str]:
    """Return the record keys of events pushed (by the push's event ids)."""
    records = [sim.history_record(event_id) for event_id in event_ids]
    return [record_key(record) for record in records if record is not None]


def query_of(generation: str, filters: dict[str, Any]) -> dict[str, Any]:
    """Name generation-neutral filters as the generation does (person_type: a PersonType)."""
    named = {FILTER_NAMES[generation].get(key, key): value for key, value in filters.items()}
    if "person_type" in named:
        key, word = TYPE_FILTERS[generation]
        named[key] = word(named.pop("person_type"))
    return named


async def ask(
    session: aiohttp.ClientSession,
    sim: BoxSimulator,
    page: int = 0,
    per_page: int | None = None,
    **filters: Any,
) -> aiohttp.ClientResponse:
    """Ask the box for a page of its history the way its generation does; return the response."""
    query = query_of(sim.generation, filters)
    if sim.generation == "1.0":
        params: list[tuple[str, str]] = [("page", str(page))]
        if per_page is not None:
            params.append(("per_page", str(per_page)))
        for key, value in query.items():
            values = (value or ["[]"]) if isinstance(value, list) else [value]
            params += [(key, str(item)) for item in values]
        url = f"http://{LOOPBACK}:{sim.rest_port}{V1_EVENTS}"
        return await session.get(url, params=params)
    body: dict[str, Any] = {"filters": query, "page_index": page}
    if per_page is not None:
        body["page_limit"] = per_page
    return await session.post(f"http://{LOOPBACK}:{sim.rest_port}{V2}/getevents", json=body)


def page_of(generation: str, body: dict[str, Any]) -> Page:
    """Read a history answer; check the generation's shape of it."""
    pagination = body["pagination"]
    if generation == "1.0":
        page = Page(
            body["data"], pagination["page"], pagination["per_page"], pagination["total_count"]
        )
        assert pagination["num_pages"] == math.ceil(page.total / page.per_page)
        return page
    assert set(pagination) == {"page_index", "page_limit", "total_count"}
    return Page(
        body["events"],
        pagination["page_index"],
        pagination["page_limit"],
        pagination["total_count"],
    )


async def history(
    session: aiohttp.ClientSession, sim: BoxSimulator, page: int = 0, **kwargs: Any
) -> Page:
    """Return a page of the box's history, which must be answered well."""
    async with await ask(session, sim, page, **kwargs) as resp:
        assert resp.status == 200, await resp.text()
        return page_of(sim.generation, await resp.json())


async def keys(session: aiohttp.ClientSession, sim: BoxSimulator, **filters: Any) -> list[str]:
    """Return the record keys of the first page of 100 the filters give."""
    return [record_key(r) for r in (await history(session, sim, per_page=100, **filters)).events]


async def every_page(
    session: aiohttp.ClientSession, sim: BoxSimulator, per_page: int
) -> list[dict[str, Any]]:
    """Return the events of every page, in the order given."""
    events: list[dict[str, Any]] = []
    for index in range(100):
        page = await history(session, sim, index, per_page=per_page)
        events += page.events
        if not page.events:
            return events
    raise AssertionError("no end of pages")


def picture_ids(record: dict[str, Any]) -> dict[str, str]:
    """Return the ids of an event's face crop and scene, from its record."""
    where = record.get("common", record)
    if "_id" in record:
        return {"face": where["recognize_face_pic_id"], "scene": where["spot_pic_id"]}
    return {"face": record["recognize_face_image_id"], "scene": record["spot_image_id"]}


async def picture(
    session: aiohttp.ClientSession, sim: BoxSimulator, image_id: str, when: Any
) -> tuple[int, bytes]:
    """Fetch a past event's picture by id with the event's time, as the generation does."""
    if sim.generation == "1.0":
        url, params = f"{V1_EVENT_IMAGES}{image_id}", {"datetime": str(when)}
    else:
        url, params = f"{V2}/getspotimage/{image_id}", {"timestamp": str(when)}
    async with session.get(f"http://{LOOPBACK}:{sim.rest_port}{url}", params=params) as resp:
        return resp.status, await resp.read()


async def registered_photo(
    session: aiohttp.ClientSession, sim: BoxSimulator, record: dict[str, Any]
) -> tuple[int, bytes]:
    """Fetch the registered photo a record names, as the generation does."""
    if sim.generation == "1.0":
        url = f"/SophonFace/api/images/{record['common']['identity_info']['image_id']}"
    else:
        url = f"{V2}/getregisterimage/{record['register_image_id']}"
    async with session.get(f"http://{LOOPBACK}:{sim.rest_port}{url}") as resp:
        return resp.status, await resp.read()


async def push_at(sim: BoxSimulator, *seconds: float) -> list[str]:
    """Push one event at each of these times (s after T0_MS); return their event ids."""
    return [
        (await sim.push_event(timestamp_ms=T0_MS + round(offset * 1000)))["event_id"]
        for offset in seconds
    ]


async def pushed_record(sim: BoxSimulator, offset: float = 0) -> tuple[str, dict[str, Any]]:
    """Push one event at offset s after T0_MS; return its event id and its history record."""
    (event_id,) = await push_at(sim, offset)
    record = sim.history_record(event_id)
    assert record is not None
    return event_id, record


# Paging and order


@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
async def test_pages_give_every_kept_event_once_in_time_order(
    session: aiohttp.ClientSession, sim: BoxSimulator, order: str
) -> None:
    offsets = [5, 1, 9, 3, 7, 0, 8, 2, 6, 4, 12, 10, 11]  # pushed out of time order
    ids = await push_at(sim, *offsets)
    sim.faults.set("history_order", order)
    by_time = [event_id for _, event_id in sorted(zip(offsets, ids, strict=True))]
    expected = keys_of(sim, by_time[::-1] if order == "newest_first" else by_time)
    pages = [await history(session, sim, index, per_page=5) for index in range(4)]
    assert [(p.page, p.per_page, p.total, len(p.events)) for p in pages] == [
        (0, 5, 13, 5),
        (1, 5, 13, 5),
        (2, 5, 13, 3),
        (3, 5, 13, 0),
    ]
    assert [record_key(event) for p in pages for event in p.events] == expected


async def test_the_default_page_is_the_first_ten(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    ids = await push_at(sim, *range(12))
    page = await history(session, sim)
    assert (page.page, page.per_page, page.total) == (0, 10, 12)
    assert [record_key(e) for e in page.events] == keys_of(sim, ids[::-1][:10])


async def test_unordered_pages_give_every_event_once_in_a_stable_order(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    ids = await push_at(sim, *range(20))
    sim.faults.history_order = "unordered"
    first = [record_key(event) for event in await every_page(session, sim, per_page=3)]
    again = [record_key(event) for event in await every_page(session, sim, per_page=7)]
    assert first == again
    assert sorted(first) == sorted(keys_of(sim, ids))
    assert len(set(first)) == 20
    assert first not in (keys_of(sim, ids), keys_of(sim, ids[::-1]))


async def test_a_page_cap_limits_what_a_page_gives(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    ids = await push_at(sim, *range(10))
    sim.faults.history_page_cap = 4
    page = await history(session, sim, 1, per_page=50)
    assert (page.page, page.per_page, page.total) == (1, 4, 10)
    assert [record_key(e) for e in page.events] == keys_of(sim, ids[::-1][4:8])
    small = await history(session, sim, 0, per_page=2)
    assert (small.per_page, len(small.events)) == (2, 2)


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_top_k_counts_only_the_first_results(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    ids = await push_at(sim, *range(6))
    page = await history(session, sim, per_page=10, top_k=4)
    assert page.total == 4
    assert [record_key(e) for e in page.events] == keys_of(sim, ids[::-1][:4])


# Filters


@pytest.fixture
async def cast(sim: BoxSimulator) -> dict[str, str]:
    """Push five known events (people, devices, scores, s after T0_MS); return their event ids."""
    people = {"A": ROSTER[0], "B": ROSTER[4], "C": ROSTER[10], "D": ROSTER[8], "E": ROSTER[3]}
    scores = {"A": 0.9, "B": 0.5, "C": 0.3, "D": 0.8, "E": 0.95}
    devices = {"A": 0, "B": 1, "C": 2, "D": 0, "E": 3}
    ids = {}
    for offset, (name, person) in enumerate(people.items()):
        frame = await sim.push_event(
            sim.devices[devices[name]].device_id,
            person=person,
            score=scores[name],
            timestamp_ms=T0_MS + offset * 10_000,
        )
        ids[name] = frame["event_id"]
    return ids


T0 = T0_MS / 1000
FILTER_CASES = [
    ({"since": T0 + 20}, "CDE"),
    ({"until": T0 + 10.5}, "AB"),  # stored times are a few µs after the push's ms
    ({"since": T0 + 10, "until": T0 + 30.5}, "BCD"),
    ({"since": int(T0) + 20}, "CDE"),
    ({"identity_id": "666666"}, "A"),
    ({"name": "ZHANG"}, "D"),
    ({"name": "García"}, "E"),
    ({"score_min": 80}, "ADE"),
    ({"score_max": 50}, "BC"),
    ({"score_min": 40, "score_max": 85.5}, "BD"),
    ({"person_type": PersonType.VIP}, "D"),
    ({"person_type": PersonType.STRANGER}, "C"),
    ({"person_type": PersonType.EMPLOYEE}, "AE"),
    ({"person_type": PersonType.BLACKLIST}, ""),
    ({"identity_id": "666666", "since": T0 + 1}, ""),
]


async def test_each_filter(
    session: aiohttp.ClientSession, sim: BoxSimulator, cast: dict[str, str]
) -> None:
    for filters, expected in FILTER_CASES:  # one box for all: drawing its pictures takes time
        wanted = keys_of(sim, [cast[name] for name in reversed(expected)])
        assert await keys(session, sim, **filters) == wanted, filters


async def test_device_filter(
    session: aiohttp.ClientSession, sim: BoxSimulator, cast: dict[str, str]
) -> None:
    devices = [sim.devices[0].device_id, sim.devices[3].device_id]
    assert await keys(session, sim, devices=devices) == keys_of(sim, [cast[n] for n in "EDA"])
    assert await keys(session, sim, devices=[]) == []


@pytest.mark.parametrize("generation", ["1.0"])
@pytest.mark.parametrize(
    "streams",
    [
        [("streams", "{0}"), ("streams", "{1}")],
        [("streams", "{0},{1}")],
        [("streams", "{0}, {1},")],
        [("streams", '["{0}", "{1}"]')],
    ],
    ids=["repeated", "commas", "commas-spaces", "json"],
)
async def test_v1_streams_encodings(
    session: aiohttp.ClientSession,
    sim: BoxSimulator,
    cast: dict[str, str],
    streams: list[tuple[str, str]],
) -> None:
    ids = (sim.devices[0].device_id, sim.devices[3].device_id)
    params = [(key, value.format(*ids)) for key, value in streams]
    url = f"http://{LOOPBACK}:{sim.rest_port}{V1_EVENTS}"
    async with session.get(url, params=params) as resp:
        body = await resp.json()
    assert [e["_id"] for e in body["data"]] == keys_of(sim, [cast[n] for n in "EDA"])


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_user_type_in_any_letter_case(
    session: aiohttp.ClientSession, sim: BoxSimulator, cast: dict[str, str]
) -> None:
    for word in ("VIP", "Vip", "vip"):
        assert await keys(session, sim, user_type=word) == keys_of(sim, [cast["D"]])
    assert await keys(session, sim, user_type="car") == []


@pytest.mark.parametrize("generation", ["2.0"])
@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"filters": {"datetime_gte": "1764000000"}}, "datetime_gte"),
        ({"filters": {"score_min": True}}, "score_min"),
        ({"filters": {"identity_id": 666666}}, "identity_id"),
        ({"filters": {"media_device_ids": "abc"}}, "media_device_ids"),
        ({"filters": {"user_type": ["vip"]}}, "user_type"),
        ({"filters": [1]}, "filters"),
        ({"page_limit": "10"}, "page_limit"),
        ({"page_limit": 0}, "page_limit"),
        ({"page_index": -1}, "page_index"),
        ({"page_index": 1.5}, "page_index"),
    ],
)
async def test_v2_wrong_typed_arguments(
    session: aiohttp.ClientSession, sim: BoxSimulator, body: dict[str, Any], key: str
) -> None:
    url = f"http://{LOOPBACK}:{sim.rest_port}{V2}/getevents"
    async with session.post(url, json=body) as resp:
        error = (await resp.json())["error"]
    assert error["code"] == "INVALID_ARGUMENTS"
    assert key in error["message"]


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_missing_filters_give_everything(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    ids = await push_at(sim, 0, 1, 2)
    url = f"http://{LOOPBACK}:{sim.rest_port}{V2}/getevents"
    for body in ({}, {"filters": None}, {"filters": {"identity_id": None}}):
        async with session.post(url, json=body) as resp:
            page = page_of("2.0", await resp.json())
        assert [record_key(e) for e in page.events] == keys_of(sim, ids[::-1])


@pytest.mark.parametrize("generation", ["1.0"])
@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"per_page": "ten"}, "per_page"),
        ({"per_page": "0"}, "per_page"),
        ({"page": "-1"}, "page"),
        ({"datetime_gte": "yesterday"}, "datetime_gte"),
        ({"score_min": "nan"}, "score_min"),
        ({"userType": "6"}, "userType"),
        ({"streams": "[1, 2]"}, "streams"),
    ],
)
async def test_v1_bad_parameters(
    session: aiohttp.ClientSession, sim: BoxSimulator, params: dict[str, str], key: str
) -> None:
    async with session.get(f"http://{LOOPBACK}:{sim.rest_port}{V1_EVENTS}", params=params) as resp:
        assert resp.status == 400
        error = (await resp.json())["error"]
    assert (error["code"], error["status"]) == (400, "INVALID_ARGUMENT")
    assert key in error["message"]


# Seconds and milliseconds


async def test_filters_in_ms_with_history_filter_ms(
    session: aiohttp.ClientSession, sim: BoxSimulator, cast: dict[str, str]
) -> None:
    sim.faults.history_filter_ms = True
    assert await keys(session, sim, since=T0_MS + 20_000) == keys_of(sim, [cast[n] for n in "EDC"])
    assert len(await keys(session, sim, since=T0 + 20)) == 5  # read as ms: 1970
    sim.faults.history_filter_ms = False
    assert await keys(session, sim, since=T0_MS + 20_000) == []  # read as s: the far future


async def test_answers_in_ms_with_history_answer_ms(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    (event_id,) = await push_at(sim, 3.25)
    seconds = (await history(session, sim)).events[0]["timestamp"]
    assert isinstance(seconds, float)
    assert abs(seconds - (T0 + 3.25)) < 0.001
    sim.faults.history_answer_ms = True
    record = (await history(session, sim)).events[0]
    assert record == sim.history_record(event_id)
    assert record["timestamp"] == round(seconds * 1000)
    images = sim.images_of(event_id)
    for kind, image_id in picture_ids(record).items():
        assert await picture(session, sim, image_id, record["timestamp"]) == (200, images[kind])
        assert await picture(session, sim, image_id, seconds) == (200, images[kind])


async def test_pictures_need_the_event_time(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    _, record = await pushed_record(sim)
    scene_id, when = picture_ids(record)["scene"], record["timestamp"]
    assert (await picture(session, sim, scene_id, when + 0.9))[0] == 200
    assert (await picture(session, sim, scene_id, when + 2))[0] == 404
    # 1.0 takes the time in ms as well; 2.0 only with history_answer_ms (it gives ms then).
    in_ms = 200 if sim.generation == "1.0" else 404
    assert (await picture(session, sim, scene_id, round(when * 1000)))[0] == in_ms


# The history_query faults


async def test_history_query_error(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    sim.faults.set("history_query")
    async with await ask(session, sim) as resp:
        status, error = resp.status, (await resp.json())["error"]
    if sim.generation == "1.0":
        assert (status, error["code"], error["status"]) == (500, 500, "INTERNAL")
    else:
        assert (status, error["code"]) == (200, "INTERNAL_ERROR")
    assert error["message"]


async def test_history_query_status_500(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    sim.faults.history_query = "status_500"
    async with await ask(session, sim) as resp:
        assert (resp.status, resp.content_type) == (500, "text/html")


async def test_history_query_reset(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    sim.faults.history_query = "reset"
    with pytest.raises(aiohttp.ClientConnectionError):
        await ask(session, sim)


async def test_history_query_empty_body(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    await push_at(sim, 0)
    sim.faults.history_query = "empty_body"
    async with await ask(session, sim) as resp:
        assert (resp.status, await resp.read()) == (200, b"")


async def test_history_query_no_events(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    await push_at(sim, 0, 1)
    sim.faults.history_query = "no_events"
    page = await history(session, sim, per_page=5)
    assert (page.events, page.page, page.per_page, page.total) == ([], 0, 5, 0)


async def test_history_query_timeout(
    session: aiohttp.ClientSession, sim: BoxSimulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sophon_sim.server.STALL", 0.2)
    sim.faults.history_query = "timeout"
    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.05):
            await ask(session, sim)


async def test_history_query_faults_spare_single_events_and_pictures(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    event_id, record = await pushed_record(sim)
    for fault in ("error", "status_500", "reset", "empty_body", "no_events"):
        sim.faults.history_query = fault
        scene = picture_ids(record)["scene"]
        assert (await picture(session, sim, scene, record["timestamp"]))[0] == 200, fault
        if sim.generation == "2.0":
            assert await get_event(session, sim, event_id) == record, fault


# What the box keeps


async def test_only_the_last_history_keep_events_are_kept(
    session: aiohttp.ClientSession, generation: str
) -> None:
    async with BoxSimulator(devices=2, generation=generation, host=LOOPBACK, history_keep=5) as box:
        first, gone = await pushed_record(box)
        ids = [first, *await push_at(box, 1, 2, 3, 4, 5, 6)]
        assert box.history_count == 5
        assert box.history_record(ids[0]) is None
        assert box.images_of(ids[0]) == {}
        for image_id in picture_ids(gone).values():
            assert (await picture(session, box, image_id, gone["timestamp"]))[0] == 404
        page = await history(session, box, per_page=10)
        assert page.total == 5
        assert [record_key(e) for e in page.events] == keys_of(box, ids[::-1][:5])
        if generation == "2.0":
            assert (await get_event(session, box, ids[1]))["error"]["code"] == "EVENT_NOT_FOUND"
        box.history_keep = 2
        assert (box.history_keep, box.history_count) == (2, 2)
        assert box.history_record(ids[-3]) is None
        assert box.history_record(ids[-2]) is not None


async def test_events_made_while_nobody_listens_are_kept(
    session: aiohttp.ClientSession, sim: BoxSimulator, clients: Clients
) -> None:
    (alone,) = await push_at(sim, 0)
    assert (sim.connected_clients, sim.last_reached) == (0, 0)
    await clients.subscribe()
    (heard,) = await push_at(sim, 1)
    assert sim.last_reached == 1
    assert await keys(session, sim) == keys_of(sim, [heard, alone])


async def test_events_without_pictures_have_no_picture_ids(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    ids = await sim.push_many(3)
    assert sim.history_count == 3
    for event in (await history(session, sim)).events:
        assert picture_ids(event) == {"face": "", "scene": ""}
    assert all(sim.images_of(event_id) == {} for event_id in ids)


async def test_pictures_by_id_are_the_events_own(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    frames = [await sim.push_event(sim.devices[n].device_id, person=ROSTER[n]) for n in range(3)]
    events = {record_key(e): e for e in (await history(session, sim)).events}
    for frame in frames:
        images = sim.images_of(frame["event_id"])
        record = sim.history_record(frame["event_id"])
        assert record is not None
        assert events[record_key(record)] == record
        for kind, image_id in picture_ids(record).items():
            assert await picture(session, sim, image_id, record["timestamp"]) == (200, images[kind])
        assert await registered_photo(session, sim, record) == (200, images["registered"])
    status, body = await picture(session, sim, "1764000000.0000001", T0)
    assert status == 404
    assert "error" in json.loads(body)


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_errors_for_unknown_pictures(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    for path in (
        f"{V1_EVENT_IMAGES}1764000000.1234561?datetime=1764000000",
        "/SophonFace/api/images/nobody",
    ):
        async with session.get(f"http://{LOOPBACK}:{sim.rest_port}{path}") as resp:
            assert resp.status == 404
            error = (await resp.json())["error"]
        assert (error["code"], error["status"]) == (404, "NOT_FOUND")
    async with session.get(f"http://{LOOPBACK}:{sim.rest_port}{V1_EVENT_IMAGES}x") as resp:
        assert resp.status == 400


# The records


def walk(value: Any) -> Iterator[Any]:
    """Yield a JSON value and everything inside it."""
    yield value
    children = (
        value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
    )
    for child in children:
        yield from walk(child)


@pytest.mark.parametrize("generation", ["1.0"])
async def test_v1_event_object(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    vip = await sim.push_event(person=ROSTER[8], score=0.8205, timestamp_ms=T0_MS + 345)
    stranger = await sim.push_event(person_type=PersonType.STRANGER, timestamp_ms=T0_MS + 345)
    events = (await history(session, sim)).events
    assert [e["_id"] for e in events] == keys_of(sim, [stranger["event_id"], vip["event_id"]])
    event, other = events[1], events[0]
    assert RECORD_ID.match(event["_id"])
    assert RECORD_ID.match(other["_id"])
    assert event["_id"] != other["_id"]
    assert event["_id"] != vip["event_id"]
    assert isinstance(event["timestamp"], float)
    assert 0 < event["timestamp"] - vip["timestamp"] / 1000 < 0.001
    common = event["common"]
    assert (common["identity_id"], common["identity_name"]) == ("50000008", "Alice Zhang")
    assert (common["person_type"], common["score"], vip["score"]) == (5, 82.05, 0.8205)
    assert set(common["identity_info"]) == {"face_ids", "image_id"}
    assert common["identity_info"]["image_id"] == ROSTER[8].image_id
    device = sim.devices[0]
    assert common["ep_info"]["device_id"] == device.device_id
    assert common["ep_info"]["ep_ip"] == device.ip
    assert common["ep_info"]["ep_type"] in {"photo", "rtsp", "card"}
    assert common["want_action"] == "0"
    feature = common["recognize_face_attr"]["feature"]
    assert len(feature) > 16
    assert all(isinstance(value, float) for value in feature)
    assert set(event) == {"_id", "timestamp", "common", "gate_data", "grab_data", "video_data"}
    assert set(event["grab_data"]["grap_fiqa_info"]) == {"age", "sex"}
    assert "in_face_pic_id" in event["video_data"]
    assert (other["common"]["identity_name"], other["common"]["identity_info"]) == ("", {})
    assert other["common"]["person_type"] == 4
    assert not any(isinstance(value, str) and len(value) > 200 for value in walk(events))


@pytest.mark.parametrize("generation", ["2.0"])
async def test_v2_records_are_getevents(session: aiohttp.ClientSession, sim: BoxSimulator) -> None:
    ids = await push_at(sim, 0, 1)
    events = (await history(session, sim)).events
    assert events == [await get_event(session, sim, event_id) for event_id in ids[::-1]]
    assert events[0]["recognize_face_attr"]["feature_binary"]


async def test_history_records_survive_a_generation_switch(
    session: aiohttp.ClientSession, sim: BoxSimulator
) -> None:
    (event_id,) = await push_at(sim, 0)
    sim.set_generation("2.0" if sim.generation == "1.0" else "1.0")
    record = sim.history_record(event_id)
    assert record is not None
    assert [record_key(e) for e in (await history(session, sim)).events] == [record_key(record)]


def test_history_switches_can_be_set_from_text() -> None:
    faults = Faults()
    faults.set("history_order", "unordered")
    faults.set("history_page_cap", "3")
    faults.set("history_filter_ms")
    faults.set("history_answer_ms", "yes")
    faults.set("history_query")
    assert (faults.history_order, faults.history_page_cap) == ("unordered", 3)
    assert (faults.history_filter_ms, faults.history_answer_ms) == (True, True)
    assert faults.history_query == "error"
    faults.set("history_query", "reset")
    assert faults.history_query == "reset"
    with pytest.raises(ValueError, match="history_order"):
        faults.set("history_order", "random")
    faults.reset()
    assert (faults.history_order, faults.history_query) == ("newest_first", "")
