"""Fixtures for the client's tests: a client pointed at the simulator, and a running listener."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest

from custom_components.sophon.api import (
    Backoff,
    BoxClient,
    ConnectionState,
    RecognitionEvent,
    Subscription,
)
from sophon_sim import BoxSimulator
from tests.conftest import GENERATIONS, LOOPBACK, wait_for


@pytest.fixture
async def simulator() -> AsyncIterator[BoxSimulator]:
    """Run a 1.0 box: these tests use its fault switches by name."""
    async with BoxSimulator(devices=3, host=LOOPBACK, rest_port=0, ws_port=0, seed=7) as sim:
        yield sim


@pytest.fixture(params=GENERATIONS, ids=lambda generation: f"generation-{generation}")
async def each_generation(request: pytest.FixtureRequest) -> AsyncIterator[BoxSimulator]:
    """Run a box of each generation; a module whose tests apply to both uses it as `simulator`."""
    async with BoxSimulator(
        devices=3, generation=request.param, host=LOOPBACK, rest_port=0, ws_port=0, seed=7
    ) as sim:
        yield sim


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    """Return an aiohttp session closed after the test."""
    async with aiohttp.ClientSession() as client_session:
        yield client_session


@pytest.fixture
def heartbeat() -> float:
    """Return the client's heartbeat: long enough that a loaded machine never misses a pong.

    The heartbeat test parametrizes a short one.
    """
    return 5.0


def client_of(
    simulator: BoxSimulator, session: aiohttp.ClientSession, **settings: Any
) -> BoxClient:
    """Return a client of every port of the simulator, answering in 2 s (settings override)."""
    return BoxClient(
        host=LOOPBACK,
        port=simulator.rest_port,
        ws_port=simulator.ws_port,
        version_port=simulator.version_port,
        session=session,
        **({"request_timeout": 2.0} | settings),
    )


@pytest.fixture
def client(simulator: BoxSimulator, session: aiohttp.ClientSession, heartbeat: float) -> BoxClient:
    """Return a client for the simulator with short timings."""
    return client_of(
        simulator,
        session,
        heartbeat=heartbeat,
        backoff=Backoff(initial=0.05, maximum=0.4),
        stable_after=5.0,
    )


@dataclass
class Listening:
    """A running listen() and everything it reported."""

    client: BoxClient
    events: list[RecognitionEvent] = field(default_factory=list)
    states: list[ConnectionState] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)
    task: asyncio.Task[None] | None = None

    async def connected(self, count: int = 1) -> None:
        """Wait until the client has connected `count` times."""
        await wait_for(lambda: self.states.count(ConnectionState.CONNECTED) >= count)

    async def received(self, count: int, timeout: float = 10.0) -> None:
        """Wait until `count` events arrived."""
        await wait_for(lambda: len(self.events) >= count, timeout)


@pytest.fixture
async def listening(client: BoxClient, simulator: BoxSimulator) -> AsyncIterator[Listening]:
    """Listen to every simulated device with all images, until the test ends."""
    result = Listening(client)
    subscription = Subscription(device_ids=tuple(d.device_id for d in simulator.devices))
    result.task = asyncio.create_task(
        client.listen(
            subscription, result.events.append, result.states.append, result.rejected.append
        )
    )
    await result.connected()
    await simulator.wait_for_subscription()
    yield result
    await client.disconnect()
    async with asyncio.timeout(5):
        await result.task
