"""The machine and the settings the benchmark's numbers were taken with."""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import subprocess
import sys
from pathlib import Path

import aiohttp
import ulid_transform
from homeassistant.const import __version__ as ha_version

from devtools import REPO


def cpu_model() -> str:
    """Return the CPU model named in /proc/cpuinfo."""
    for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_average() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg())


def commit() -> str:
    """Return the checked-out commit, marked when the integration or simulator differ from it."""

    def git(*args: str) -> str:
        run = subprocess.run(  # noqa: S603 - fixed arguments, read-only git commands
            ["git", "-C", str(REPO), *args],  # noqa: S607 - git from PATH, as a developer runs it
            capture_output=True,
            text=True,
            check=False,
        )
        return run.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "unknown"
    changed = git("status", "--porcelain", "--", "custom_components", "sophon_sim")
    return f"{head} (with uncommitted changes)" if changed else head


def environment(loop_debug: bool) -> dict[str, str]:
    """Describe the machine and the settings the numbers were taken with."""
    ulid = ulid_transform.ulid_now.__module__.rsplit(".", 1)[-1]
    return {
        "Date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "Commit": commit(),
        "CPU": cpu_model(),
        "Cores": str(os.cpu_count()),
        "Python": platform.python_version(),
        "Home Assistant": ha_version,
        "aiohttp": aiohttp.__version__,
        "ulid_transform": "C extension" if ulid == "_ulid_impl" else f"pure Python ({ulid})",
        "asyncio debug": "on" if loop_debug else "off",
        "Python dev mode": "on" if sys.flags.dev_mode else "off",
        "Log level": logging.getLevelName(logging.getLogger().getEffectiveLevel()),
        "Load average at start": load_average(),
    }
