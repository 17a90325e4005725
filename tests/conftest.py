"""Fixtures shared by every test: sockets on loopback, the box simulator, a config entry."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterator

import pytest

from devtools.deprecations import deprecations
from sophon_sim import BoxSimulator

LOOPBACK = "127.0.0.1"


@pytest.fixture(autouse=True)
def _loopback_sockets(socket_enabled: None) -> None:
    """Let tests talk to the simulator over real loopback sockets."""


class _Warnings(logging.Handler):
    """Keep the messages of the warnings logged while a test runs."""

    def __init__(self) -> None:
        """Keep warnings and worse."""
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Keep one message."""
        self.messages.append(record.getMessage())


@pytest.fixture(autouse=True)
def _no_deprecation_warning_names_us() -> Iterator[None]:
    """Fail a test during which Home Assistant warned that this integration uses something that
    is going away (on every supported version: the suite runs on the oldest and the newest).

    A handler of its own on Home Assistant's logger: caplog is left to the tests (asked for here,
    it changed what they capture).
    """
    warnings = _Warnings()
    logger = logging.getLogger("homeassistant")
    logger.addHandler(warnings)
    try:
        yield
    finally:
        logger.removeHandler(warnings)
    warned = deprecations(warnings.messages)
    assert not warned, warned


@pytest.fixture(autouse=True)
def _short_settle(monkeypatch: pytest.MonkeyPatch) -> None:
    """Count a quiet push as up after 0.05 s, not 1 s (tests of the settle give their own)."""
    monkeypatch.setattr("custom_components.sophon.api.push.SETTLE", 0.05)


GENERATIONS = ["1.0", "2.0"]


@pytest.fixture(params=GENERATIONS, ids=lambda generation: f"generation-{generation}")
async def simulator(request: pytest.FixtureRequest) -> AsyncIterator[BoxSimulator]:
    """Run a simulated box with three devices on ephemeral loopback ports, in each generation."""
    async with BoxSimulator(
        devices=3, generation=request.param, host=LOOPBACK, rest_port=0, ws_port=0, seed=7
    ) as sim:
        yield sim


async def wait_for(predicate: Callable[[], object], timeout: float = 10.0) -> None:
    """Wait until predicate() is true, or fail after timeout seconds."""
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)
