"""The box's serial number and host name: cleaned like all text from a box before use."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from custom_components.sophon.api.coerce import as_serial
from sophon_sim import BoxSimulator
from tests.api.conftest import client_of
from tests.conftest import GENERATIONS, LOOPBACK

SERIAL = "SE5A1B2C3D4E"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param(SERIAL, id="clean"),
        pytest.param("\ufeff" + SERIAL, id="bom-prefixed"),
        pytest.param("SE5A1B\x1b[0m2C3D4E", id="escape-sequence-inside"),
        pytest.param("\x1b[1m" + SERIAL + "\x1b[0m", id="escape-sequences-around"),
        pytest.param(SERIAL + "\x00\x00\x00\x00", id="nul-padded"),
        pytest.param(" " + SERIAL + "\r\n", id="white-space"),
        pytest.param("SE5A1B\u200b2C3D4E\x07", id="zero-width-and-bell"),
        pytest.param("\u3000SE5A1B2C3D4E\u00a0", id="wide-spaces-around"),
    ],
)
def test_a_serial_number_is_cleaned(raw: str) -> None:
    assert as_serial(raw) == SERIAL


@pytest.mark.parametrize(
    "raw",
    [
        "unknown",
        "UNKNOWN\x00\x00",
        "\ufeffn/a",
        "0000",
        "000000000000",
        "",
        "\x00\x00\x00",
        "\ufeff",
        "\x1b[0m",
        " \t\r\n",
        None,
        True,
        [],
    ],
)
def test_a_placeholder_or_blank_serial_number_is_none(raw: object) -> None:
    assert as_serial(raw) is None


def test_a_numeric_serial_number_is_read() -> None:
    assert as_serial(20240117) == "20240117"


@pytest.fixture(params=GENERATIONS, ids=lambda generation: f"generation-{generation}")
async def simulator(request: pytest.FixtureRequest) -> AsyncIterator[BoxSimulator]:
    """Run a box of each generation."""
    async with BoxSimulator(devices=1, generation=request.param, host=LOOPBACK, seed=3) as sim:
        yield sim


async def test_a_dirty_serial_number_from_the_box_is_read_clean(
    simulator: BoxSimulator, session: aiohttp.ClientSession
) -> None:
    simulator.serial_number = "\ufeff\x1b[1mSE5A1B2C3D4E\x1b[0m\x00\x00"
    assert await client_of(simulator, session).async_get_serial_number() == SERIAL


@pytest.mark.parametrize(
    ("hostname", "read"),
    [("Lobby-SE5", "Lobby-SE5"), ("\ufeff大堂盒子\x00\x00", "大堂盒子"), (None, None)],
    ids=["plain", "bom-and-nul-padded", "no-host-name-call"],
)
async def test_the_box_host_name_is_read_clean(
    simulator: BoxSimulator, session: aiohttp.ClientSession, hostname: str | None, read: str | None
) -> None:
    simulator.hostname = hostname
    assert await client_of(simulator, session).async_get_hostname() == read
