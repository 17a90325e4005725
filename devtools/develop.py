"""The development instance (scripts/develop): Home Assistant on :8123 beside a simulated box."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from collections.abc import Awaitable
from typing import Any

import aiohttp

from devtools import REPO
from devtools.hass.client import HassClient, SetupError
from devtools.hass.config import prepare_config
from devtools.hass.process import port_in_use, start_hass, stop_hass
from devtools.hass.provision import LOGIN, provision
from devtools.progress import say
from sophon_sim import BoxSimulator

DEVELOP_PORT = 8123
DEVELOP_REST_PORT = 5555
DEVELOP_WS_PORT = 5679
RESTART_EXIT_CODE = 100


async def first_of[T](main: Awaitable[T], *others: Awaitable[Any]) -> T | None:
    """Await main unless one of others finishes first (then None); cancel whatever is left."""
    main_task = asyncio.ensure_future(main)
    other_tasks = [asyncio.ensure_future(other) for other in others]
    try:
        await asyncio.wait([main_task, *other_tasks], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in [main_task, *other_tasks]:
            if not task.done():
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
    return main_task.result() if main_task.done() and not main_task.cancelled() else None


async def _hass_session(
    session: aiohttp.ClientSession, sim: BoxSimulator, stop: asyncio.Event, provisioned: bool
) -> tuple[int, bool]:
    """Run hass once (set it up unless provisioned) until it exits or stop; return code, set up."""
    base_url = f"http://127.0.0.1:{DEVELOP_PORT}"
    started = time.monotonic()
    process = await start_hass(REPO / "config")
    try:
        if not provisioned:
            client = HassClient(session, base_url)
            done = await first_of(
                provision(client, process, sim.rest_port, sim.ws_port), process.wait(), stop.wait()
            )
            await client.close()
            if done is not None:
                provisioned = True
                say(f"ready in {time.monotonic() - started:.0f} s: {base_url}{done[1]}  {LOGIN}")
        await first_of(process.wait(), stop.wait())
    except SetupError as err:
        say(f"setting up failed: {err}")
        stop.set()
    finally:
        if process.returncode is None:
            await stop_hass(process)
    return process.returncode if process.returncode is not None else -1, provisioned


async def develop(rate: float) -> int:
    """Run Home Assistant on 127.0.0.1:8123 with a free-running simulated box until Ctrl-C."""
    for port in (DEVELOP_PORT, DEVELOP_REST_PORT, DEVELOP_WS_PORT):
        if port_in_use(port):
            say(f"port {port} is in use on 127.0.0.1: is another scripts/develop running?")
            return 1
    prepare_config(REPO / "config", DEVELOP_PORT)
    say(f"Home Assistant: http://127.0.0.1:{DEVELOP_PORT}  {LOGIN}")
    say(f"configuration: {REPO / 'config'} (delete it to start over); Ctrl-C stops everything")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    logging.basicConfig(level=logging.INFO, format="[sim] %(message)s", stream=sys.stdout)
    sim = BoxSimulator(4, rest_port=DEVELOP_REST_PORT, ws_port=DEVELOP_WS_PORT, seed=1)
    # SOPHON_SIM_FAULTS="dirty_text,id_form=hex": show how the integration meets odd boxes.
    for fault in filter(None, os.environ.get("SOPHON_SIM_FAULTS", "").split(",")):
        name, _, value = fault.strip().partition("=")
        sim.faults.set(name, value or None)
        say(f"simulator fault on: {fault.strip()}")
    code, provisioned = RESTART_EXIT_CODE, False
    async with sim, aiohttp.ClientSession() as session:
        say(f"simulated box on 127.0.0.1 (REST {sim.rest_port}, push {sim.ws_port}), {rate}/s")
        sim.run(rate)
        while code == RESTART_EXIT_CODE and not stop.is_set():
            code, provisioned = await _hass_session(session, sim, stop, provisioned)
            if code == RESTART_EXIT_CODE:
                say("Home Assistant asked for a restart: starting it again")
    say(f"stopped (Home Assistant exit code {code})")
    # Stopped by Ctrl-C after a good start: success; a failed start or a crash: failure.
    return 0 if provisioned and stop.is_set() else 1


def main() -> int:
    """Run the development instance (scripts/develop)."""
    rate = float(os.environ.get("SOPHON_SIM_RATE", "0.2"))
    return asyncio.run(develop(rate))


if __name__ == "__main__":
    sys.exit(main())
