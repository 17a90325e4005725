"""Tests for the client's health calls (api section 4), in both generations, over the simulator."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest

from custom_components.sophon.api import BoxClient, HealthCall, SophonError, health_v1, health_v2
from custom_components.sophon.api import health_values as values
from custom_components.sophon.api.health import Fields
from custom_components.sophon.api.health_values import OddValueError
from sophon_sim import BoxSimulator
from tests.api.conftest import client_of

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
UPTIME = timedelta(hours=3, minutes=57)
GIB = 1024**3
MIB = 1024**2


@pytest.fixture
def simulator(each_generation: BoxSimulator) -> BoxSimulator:
    """Run these tests against a box of each generation."""
    return each_generation


@pytest.fixture
def client(simulator: BoxSimulator, session: aiohttp.ClientSession) -> BoxClient:
    """Return a client of the simulator whose clock stands still at NOW."""
    box = client_of(simulator, session)
    box.clock = lambda: NOW
    return box


async def test_every_health_value_is_read(client: BoxClient) -> None:
    health = await client.async_get_health()
    assert health.failed == frozenset()
    assert health.unreadable == ()
    assert health.cpu_usage == 0.23
    assert health.core_temperature == 44.0
    assert health.board_temperature == 38.5
    assert health.memory is not None
    assert health.memory.usage == pytest.approx(0.2451)
    assert health.memory.total == round(3.84 * GIB)
    assert health.memory.used == round(963.63 * MIB)
    assert health.storage is not None
    assert health.storage.usage == pytest.approx(0.5463)
    assert health.storage.total == round(16.84 * GIB)
    assert health.storage.free == round(7.64 * GIB)
    assert health.external_disk is not None
    assert health.external_disk.mounted
    assert health.external_disk.usage == pytest.approx(0.1291)
    assert health.external_disk.used == round(120.25 * GIB)
    assert health.up_since == NOW - UPTIME
    assert health.picture_store_ok is True
    assert health.picture_store_path == "/data2/events"


async def test_no_external_disk_is_mounted(client: BoxClient, simulator: BoxSimulator) -> None:
    simulator.faults.no_external_disk = True
    health = await client.async_get_health()
    assert health.external_disk is not None
    assert not health.external_disk.mounted
    assert health.external_disk.usage is None
    assert health.unreadable == ()


async def test_a_picture_store_that_cannot_be_written(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    simulator.faults.picture_store_down = True
    assert (await client.async_get_health()).picture_store_ok is False


# The forms read as the usual values.
READABLE_FORMS = ["unit_letter", "lower_case", "spaces", "comma"]


@pytest.mark.parametrize("form", READABLE_FORMS)
async def test_odd_forms_of_the_same_values_are_read(
    client: BoxClient, simulator: BoxSimulator, form: str
) -> None:
    expected = await client.async_get_health()
    simulator.faults.health_odd = form
    health = await client.async_get_health()
    assert health.unreadable == ()
    assert health.cpu_usage == pytest.approx(expected.cpu_usage)
    assert health.core_temperature == pytest.approx(expected.core_temperature)
    for space in ("memory", "storage", "external_disk"):
        got, want = getattr(health, space), getattr(expected, space)
        assert got.usage == pytest.approx(want.usage)
        assert got.total == pytest.approx(want.total, rel=1e-3)
    assert health.up_since == expected.up_since
    assert health.picture_store_ok is True


@pytest.mark.parametrize("form", ["nan", "empty", "missing"])
async def test_values_that_cannot_be_read_are_unknown_one_by_one(
    client: BoxClient, simulator: BoxSimulator, form: str
) -> None:
    simulator.faults.health_odd = form
    health = await client.async_get_health()
    assert health.failed == frozenset()  # the poll stands
    assert health.cpu_usage is None
    assert health.core_temperature is None
    assert health.memory is not None
    assert health.memory.usage is None
    assert health.up_since is None
    assert health.picture_store_ok is None
    assert "cpu.cpu_rate" in health.unreadable or "cpu.cur_cpu_usage" in health.unreadable
    assert client.health_counts["unreadable"]["uptime.uptime"] == 1


async def test_numbers_where_text_was_documented(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    simulator.faults.health_odd = "number"
    health = await client.async_get_health()
    assert health.core_temperature == 44.0
    assert health.up_since == NOW - UPTIME
    assert health.picture_store_ok is True
    # A size without its unit cannot be read; the usage fraction still is.
    assert health.storage is not None
    assert health.storage.total is None
    assert health.storage.usage == pytest.approx(0.5463)
    assert any(field.endswith("total_disk") for field in health.unreadable)


@pytest.mark.parametrize("form", ["boot_1970", "boot_future"])
async def test_a_start_in_1970_or_in_the_future_is_unknown(
    simulator: BoxSimulator, session: aiohttp.ClientSession, form: str
) -> None:
    client = client_of(simulator, session)  # its clock is now: the simulator's 1970 is too
    simulator.faults.health_odd = form
    health = await client.async_get_health()
    assert health.up_since is None
    assert health.unreadable == ("uptime.uptime",)


async def test_odd_values_are_logged_once_a_minute_and_counted(
    client: BoxClient, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.faults.health_odd = "nan"
    with caplog.at_level(logging.WARNING):
        await client.async_get_health()
        await client.async_get_health()
    lines = [r.getMessage() for r in caplog.records if "uptime.uptime" in r.getMessage()]
    assert len(lines) == 1
    assert client.health_counts["unreadable"]["uptime.uptime"] == 2


async def test_up_since_stays_while_the_uptime_agrees_and_moves_on_a_restart(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    first = (await client.async_get_health()).up_since
    # A minute later the uptime says a minute more, rounded: the same start.
    client.clock = lambda: NOW + timedelta(seconds=90)
    simulator.health.uptime_seconds += 60
    assert (await client.async_get_health()).up_since == first
    simulator.health.uptime_seconds = 120  # restarted
    assert (await client.async_get_health()).up_since == NOW + timedelta(seconds=90 - 120)


async def test_an_uptime_past_the_calendar_is_unknown(
    client: BoxClient, simulator: BoxSimulator
) -> None:
    simulator.health.uptime_seconds = 10**13  # some 300,000 years: before the year 1
    health = await client.async_get_health()
    assert health.up_since is None
    assert health.unreadable == ("uptime.uptime",)


@pytest.mark.parametrize("kind", ["error", "status_500", "empty_body", "timeout"])
async def test_a_failing_call_leaves_the_others_standing(
    simulator: BoxSimulator, session: aiohttp.ClientSession, kind: str
) -> None:
    client = client_of(simulator, session, request_timeout=0.3)
    simulator.faults.health_call = kind
    simulator.faults.health_calls = "cpu,external_disk,picture_store"
    health = await client.async_get_health()
    assert health.failed == {HealthCall.CPU, HealthCall.EXTERNAL_DISK, HealthCall.PICTURE_STORE}
    assert health.cpu_usage is None
    assert health.external_disk is None
    assert health.picture_store_ok is None
    assert health.core_temperature == 44.0
    assert client.health_counts["failed"] == {"cpu": 1, "external_disk": 1, "picture_store": 1}


async def test_a_failing_call_is_logged_once_and_again_when_it_answers(
    client: BoxClient, simulator: BoxSimulator, caplog: pytest.LogCaptureFixture
) -> None:
    simulator.faults.health_call = "error"
    simulator.faults.health_calls = "cpu"
    with caplog.at_level(logging.INFO, logger="custom_components.sophon.api.health"):
        await client.async_get_health()
        await client.async_get_health()
        simulator.faults.health_call = ""
        await client.async_get_health()
    lines = [
        r.getMessage()
        for r in caplog.records
        if r.name.endswith("api.health") and r.levelno == logging.INFO
    ]
    assert len(lines) == 2
    assert lines[0].startswith("No cpu health from")
    assert lines[1].endswith("answers its cpu health call again")
    assert client.health_counts["failed"] == {"cpu": 2}


@pytest.mark.parametrize("call", ["temperature", "memory", "storage", "uptime"])
async def test_each_call_fails_on_its_own(
    client: BoxClient, simulator: BoxSimulator, call: str
) -> None:
    simulator.faults.health_call = "error"
    simulator.faults.health_calls = call
    health = await client.async_get_health()
    assert health.failed == {HealthCall(call)}
    assert health.cpu_usage == 0.23


async def test_no_health_call_answering_raises(client: BoxClient, simulator: BoxSimulator) -> None:
    simulator.faults.health_call = "status_500"
    with pytest.raises(SophonError, match="none of its health calls"):
        await client.async_get_health()


async def test_the_generation_is_found_out_first(
    simulator: BoxSimulator, session: aiohttp.ClientSession
) -> None:
    client = client_of(simulator, session)
    assert client.generation is None
    await client.async_get_health()
    assert client.generation is not None
    assert client.generation.name == simulator.generation


async def test_a_box_of_no_known_generation(session: aiohttp.ClientSession) -> None:
    async with BoxSimulator(generation="2.0", host="127.0.0.1") as box:
        client = client_of(box, session)
        box.faults.init_error = True  # the device list answers neither generation
        with pytest.raises(SophonError):
            await client.async_get_health()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("16.84G", round(16.84 * GIB)),
        ("963.63M", round(963.63 * MIB)),
        ("17244.16M", round(17244.16 * MIB)),
        ("16.84g", round(16.84 * GIB)),
        ("  16.84 G ", round(16.84 * GIB)),
        ("16,84G", round(16.84 * GIB)),
        ("16.84GiB", round(16.84 * GIB)),
        ("512K", 512 * 1024),
        ("1T", 1024**4),
        ("2048", 2048),
    ],
)
def test_sizes(text: str, expected: int) -> None:
    assert values.size(text) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("44.0'C", 44.0),
        ("44.0'c", 44.0),
        ("44,5 'C", 44.5),
        ("44°C", 44.0),
        ("111.2'F", 44.0),
        ("44", 44.0),
        (44.0, 44.0),
        (44, 44.0),
    ],
)
def test_temperatures(value: Any, expected: float) -> None:
    assert values.temperature(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.23, 0.23), ("0.23", 0.23), ("0,23", 0.23), ("23%", 0.23), (23.0, 0.23), (1, 1.0), (0, 0)],
)
def test_fractions(value: Any, expected: float) -> None:
    assert values.fraction(value) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (1, True),
        (0, False),
        ("1", True),
        ("0", False),
        ("TRUE", True),
    ],
)
def test_flags(value: Any, expected: bool) -> None:
    assert values.flag(value) is expected


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3 hours, 57 minutes", 14_220),
        ("1 day, 2 hours", 93_600),
        ("2 days, 3:57", 2 * 86_400 + 14_220),
        ("0 days, 3:57:30", 14_250),
        ("up 5 min", 300),
        ("1 week", 604_800),
        ("45 secs", 45),
        ("3小时57分钟", 14_220),
        ("3 HOURS, 57 MINUTES", 14_220),
        (14_220, 14_220),
    ],
)
def test_uptimes(value: Any, seconds: int) -> None:
    assert values.duration(value) == timedelta(seconds=seconds)


def test_a_usage_is_worked_out_from_the_sizes_when_the_box_gives_none() -> None:
    odd: list[str] = []
    # The other 1.0 memory page: total_memory and used_memory only (api 4, [S37]).
    answer = {"total_memory": "4.00G", "used_memory": "1024.00M"}
    fields = Fields(HealthCall.MEMORY, answer, lambda field, _reason: odd.append(field))
    memory = health_v1.HealthV1().memory(fields)
    assert memory.usage == 0.25
    assert memory.free is None
    assert odd == []
    # Total and free only: the used space is what is not free.
    answer = {"svt_memory": "4.00G", "svt_free_memory": "3.00G"}
    fields = Fields(HealthCall.MEMORY, answer, lambda field, _reason: odd.append(field))
    assert health_v2.HealthV2().memory(fields).usage == 0.25
    assert odd == []


async def test_a_1_0_answer_whose_data_is_a_list_of_one() -> None:
    async def rest(*_args: Any, **_kwargs: Any) -> Any:
        return {"data": [{"cpu_rate": 0.5}]}

    answer = await health_v1.HealthV1().fetch(rest, 8888, HealthCall.CPU)
    assert answer == {"cpu_rate": 0.5}
    fields = Fields(HealthCall.CPU, answer, lambda _field, _reason: None)
    assert fields.text("cpu_rate") is None  # not text


# Values no reader can read: each is unknown, never a wrong number.
UNREADABLE: list[tuple[Callable[[Any], object], Any]] = [
    *(
        (values.size, value)
        for value in ["NaN", "", "  ", None, 16.84, math.nan, "-1G", "big", True, "9" * 400 + "G"]
    ),
    *((values.temperature, value) for value in ["NaN", "", math.inf, "200'C", -60, "hot", "44K"]),
    *(
        (values.fraction, value)
        for value in ["NaN", math.nan, "", -0.1, 150, "150%", "most", [0.2]]
    ),
    *((values.flag, value) for value in ["maybe", 2, "", None, math.nan]),
    *(
        (values.duration, value)
        for value in [
            "-5 minutes",
            -5,
            "NaN",
            "",
            None,
            "5 fortnights",
            "soon",
            1e300,
            [3],
            "3 hours ago",
        ]
    ),
]


@pytest.mark.parametrize(("reader", "value"), UNREADABLE)
def test_values_that_cannot_be_read(reader: Callable[[Any], object], value: Any) -> None:
    with pytest.raises(OddValueError):
        reader(value)


async def test_a_2_0_box_refusing_the_hard_disk_is_asked_its_extra_page(
    session: aiohttp.ClientSession,
) -> None:
    async with BoxSimulator(generation="2.0", host="127.0.0.1") as box:
        client = client_of(box, session)
        box.faults.hdd_storage_refused = True
        for _poll in range(2):  # the page that answers is remembered
            health = await client.async_get_health()
            assert health.external_disk is not None
            assert health.external_disk.usage == pytest.approx(0.1291)
            assert health.failed == frozenset()
        box.faults.no_external_disk = True
        health = await client.async_get_health()
        assert health.external_disk is not None
        assert not health.external_disk.mounted


def test_the_extra_page_s_rate_under_its_table_s_name() -> None:
    answer = {"external_hard_state": 1, "external_hard_disk_usage": "12.5%"}
    fields = Fields(HealthCall.EXTERNAL_DISK, answer, lambda _field, _reason: None)
    assert health_v2.HealthV2().external_disk(fields).usage == 0.125
