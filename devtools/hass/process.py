"""The hass process: free ports, starting it tied to this process, stopping it in order."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import signal
import socket
import sys
from pathlib import Path
from typing import IO

from devtools.progress import say

_PR_SET_PDEATHSIG = 1


def free_port() -> int:
    """Return a TCP port that is free on 127.0.0.1 right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def port_in_use(port: int) -> bool:
    """Tell whether something already listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _die_with_parent() -> None:
    """Ask Linux to send SIGTERM to this child when its parent dies (runs in the child)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


async def start_hass(
    config_dir: Path, output: IO[bytes] | None = None
) -> asyncio.subprocess.Process:
    """Start the hass of this interpreter's environment on a configuration folder."""
    hass = Path(sys.executable).parent / "hass"
    return await asyncio.create_subprocess_exec(
        hass,
        "--config",
        str(config_dir),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=output,
        stderr=asyncio.subprocess.STDOUT if output is not None else None,
        start_new_session=True,  # a Ctrl-C reaches us only; we stop Home Assistant in order
        preexec_fn=_die_with_parent,  # only prctl: no locks, no threads
    )


async def stop_hass(process: asyncio.subprocess.Process, grace: float = 30.0) -> int:
    """Stop Home Assistant with SIGTERM, or SIGKILL when it takes longer than grace seconds."""
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            async with asyncio.timeout(grace):
                await process.wait()
        except TimeoutError:
            say(f"Home Assistant did not stop within {grace:.0f} s: killing it")
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    return process.returncode if process.returncode is not None else -1
