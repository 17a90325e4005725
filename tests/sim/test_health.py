"""The simulator's health calls (sophon_sim.health*), as a box of each generation answers them."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest

from sophon_sim import BoxSimulator
from sophon_sim.faults import Faults
from sophon_sim.health import size_text, uptime_text
from tests.conftest import LOOPBACK

SYSTEM_V1 = "/SophonSystem/api/"
SYSTEM_V2 = "/sophon/v2/system/"


async def ask(
    session: aiohttp.ClientSession, port: int, method: str, path: str, **kwargs: Any
) -> tuple[int, Any]:
    """Return the status and decoded JSON of one request to the simulator."""
    async with session.request(method, f"http://{LOOPBACK}:{port}{path}", **kwargs) as resp:
        text = await resp.text()
        return resp.status, json.loads(text) if text.startswith("{") else text


@pytest.mark.parametrize("generation", ["1.0"])
async def test_1_0_answers_in_its_envelope_with_units_in_text(
    sim: BoxSimulator, session: aiohttp.ClientSession
) -> None:
    port = sim.version_port
    status, cpu = await ask(session, port, "GET", SYSTEM_V1 + "cpu")
    assert status == 200
    assert cpu["data"]["cpu_rate"] == 0.23
    _, temperature = await ask(session, port, "GET", SYSTEM_V1 + "temperature")
    assert temperature["data"]["core_temperature"] == "44.0'C"
    _, memory = await ask(session, port, "GET", SYSTEM_V1 + "memoryInfo")
    assert memory["data"]["total_used_memory"] == "963.63M"
    _, disk = await ask(session, port, "GET", SYSTEM_V1 + "diskInfo")
    assert disk["data"]["total_disk"] == "16.84G"
    _, uptime = await ask(session, port, "GET", SYSTEM_V1 + "uptime")
    assert uptime["data"]["uptime"] == "3 hours, 57 minutes"
    store_path = "/SophonFogSys/api/ImagePathStatusQuery"
    _, store = await ask(session, sim.rest_port, "POST", store_path)
    assert store["data"]["available"] is True
    sim.faults.no_external_disk = True
    _, external = await ask(session, port, "GET", SYSTEM_V1 + "externalDiskInfo")
    assert external["data"]["external_hard_state"] == "0"
    sim.faults.health_call = "error"
    status, failed = await ask(session, port, "GET", SYSTEM_V1 + "cpu")
    assert status == 500
    assert failed["error"]["status"] == "INTERNAL"


@pytest.mark.parametrize("generation", ["2.0"])
async def test_2_0_answers_flat_with_numbers_and_sizes_in_text(
    sim: BoxSimulator, session: aiohttp.ClientSession
) -> None:
    port = sim.version_port
    _, temperature = await ask(session, port, "POST", SYSTEM_V2 + "gettemperature", json={})
    assert temperature["core_temperature"] == 44.0
    _, emmc = await ask(session, port, "POST", SYSTEM_V2 + "getstorage", json={"device": "emmc"})
    assert emmc["total_disk"] == "16.84G"
    assert emmc["mount_status"] is True
    sim.faults.no_external_disk = True
    _, hdd = await ask(session, port, "POST", SYSTEM_V2 + "getstorage", json={"device": "hdd"})
    assert hdd["mount_status"] is False
    store_path = "/sophon/v2/face/checkeventimagepath"
    sim.faults.picture_store_down = True
    _, store = await ask(session, sim.rest_port, "POST", store_path, json={})
    assert store == {"event_image_path": "/data2/events", "available": False}


@pytest.mark.parametrize("generation", ["2.0"])
async def test_2_0_refuses_what_its_pages_refuse(
    sim: BoxSimulator, session: aiohttp.ClientSession
) -> None:
    port = sim.version_port
    _, answer = await ask(session, port, "POST", SYSTEM_V2 + "getstorage", json={"device": "sd"})
    assert answer["error"]["code"] == "INVALID_ARGUMENTS"
    _, answer = await ask(session, port, "POST", SYSTEM_V2 + "getcpuinfo", data="x")
    assert answer["error"]["code"] == "UNSUPPORT_CONTENT_TYPE"


async def test_only_the_calls_named_fail(
    sim: BoxSimulator, session: aiohttp.ClientSession, generation: str
) -> None:
    sim.faults.set("health_call", "status_500")
    sim.faults.health_calls = "uptime"
    if generation == "1.0":
        cpu = await ask(session, sim.version_port, "GET", SYSTEM_V1 + "cpu")
        uptime = await ask(session, sim.version_port, "GET", SYSTEM_V1 + "uptime")
    else:
        cpu = await ask(session, sim.version_port, "POST", SYSTEM_V2 + "getcpuinfo", json={})
        uptime = await ask(session, sim.version_port, "POST", SYSTEM_V2 + "getuptime", json={})
    assert cpu[0] == 200
    assert uptime[0] == 500
    assert "Server Error" in uptime[1]


def test_the_switches_take_their_words() -> None:
    faults = Faults()
    faults.set("health_call")
    assert faults.health_call == "error"
    faults.set("health_odd", "boot_1970")
    assert faults.health_odd == "boot_1970"
    with pytest.raises(ValueError, match="health_odd must be one of"):
        faults.set("health_odd", "sideways")
    faults.reset()
    assert faults.health_odd == ""


@pytest.mark.parametrize(
    ("mib", "text"), [(963.63, "963.63M"), (16.84 * 1024, "16.84G"), (0.0, "0.00M")]
)
def test_sizes_are_written_as_the_box_does(mib: float, text: str) -> None:
    assert size_text(mib) == text


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(14_220, "3 hours, 57 minutes"), (86_460, "1 day, 1 minute"), (30, "0 minutes")],
)
def test_uptimes_are_written_as_the_box_does(seconds: int, text: str) -> None:
    assert uptime_text(seconds) == text
