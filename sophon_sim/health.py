"""Keep a simulated box's health: CPU, memory, temperatures, storage, uptime, picture store.

Each generation answers it in its own form (health_v1, health_v2); the values are the
documented examples' (api section 4). Faults: health_call fails the calls named in
health_calls (all when empty) with "error" (the generation's error envelope), "status_500",
"timeout" or "empty_body"; health_odd gives every value in one odd form (ODD_FORMS);
no_external_disk says no disk is mounted; picture_store_down says the pictures cannot be written.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .faults import Faults

# The calls, as health_calls names them.
CALLS: Final = (
    "cpu",
    "temperature",
    "memory",
    "storage",
    "external_disk",
    "uptime",
    "picture_store",
)
# health_odd: another unit letter ("17244.16M" for "16.84G", °F, a percentage, "0 days, 3:57"),
# lower case, spaces inside and around, comma decimals, NaN, empty strings, missing keys, a
# number where text was documented (sizes without a unit), an uptime going back to 1970 or a
# negative one (a start in the future).
ODD_FORMS: Final = (
    "",
    "unit_letter",
    "lower_case",
    "spaces",
    "comma",
    "nan",
    "empty",
    "missing",
    "number",
    "boot_1970",
    "boot_future",
)
MIB: Final = 1024.0


@dataclass
class Health:
    """What the box's health calls tell (sizes in MiB); tests may change any of it."""

    cpu_usage: float = 0.23
    core_temperature: float = 44.0
    board_temperature: float = 38.5
    memory_hardware_mib: float = 12 * MIB
    memory_total_mib: float = 3.84 * MIB
    memory_used_mib: float = 963.63
    storage_total_mib: float = 16.84 * MIB
    storage_used_mib: float = 9.2 * MIB
    external_total_mib: float = 931.51 * MIB
    external_used_mib: float = 120.25 * MIB
    uptime_seconds: int = 3 * 3600 + 57 * 60
    image_path: str = "/data2/events"


def size_text(mib: float) -> str:
    """Write a size as the box does: in M under 1 G, otherwise in G ("963.63M", "16.84G")."""
    return f"{mib / MIB:.2f}G" if mib >= MIB else f"{mib:.2f}M"


def uptime_text(seconds: int) -> str:
    """Write an uptime as the box does ("3 hours, 57 minutes"; days first when there are any)."""
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    parts = [(days, "day"), (hours, "hour"), (rest // 60, "minute")]
    named = [f"{count} {word}{'s' if count != 1 else ''}" for count, word in parts if count]
    return ", ".join(named) or "0 minutes"


def failing(call: str, faults: Faults) -> str:
    """Return how the call fails now ("" when it answers)."""
    named = {name.strip() for name in faults.health_calls.split(",") if name.strip()}
    return faults.health_call if not named or call in named else ""


def odd(values: dict[str, Any], kinds: dict[str, str], faults: Faults) -> dict[str, Any]:
    """Return a call's values in the odd form health_odd asks for (kinds: key -> kind)."""
    form = faults.health_odd
    if not form:
        return values
    if form == "missing":
        return {key: value for key, value in values.items() if key not in kinds}
    return {
        key: _odd_value(value, kinds[key], form) if key in kinds else value
        for key, value in values.items()
    }


def _odd_value(value: Any, kind: str, form: str) -> Any:  # noqa: PLR0911 - one return per form
    """Return one value in an odd form (kinds: size, temperature, fraction, uptime, flag)."""
    if form.startswith("boot_"):
        return _odd_uptime(form) if kind == "uptime" else value
    if form in ("nan", "empty"):
        return ("NaN" if isinstance(value, str) else math.nan) if form == "nan" else ""
    if form == "number":
        return _number(value, kind)
    if form == "unit_letter":
        return _other_unit(value, kind)
    if not isinstance(value, (str, float)) or kind == "flag":
        return value
    text = value if isinstance(value, str) else repr(value)
    if form == "lower_case":
        return text.swapcase() if kind == "uptime" else text.lower()
    if form == "spaces":
        return f"  {text.replace("'", " '").replace('G', ' G').replace('M', ' M')} "
    return text.replace(".", ",") if form == "comma" else text


def _odd_uptime(form: str) -> str:
    """Return an uptime that starts the box in 1970, or a negative one."""
    if form == "boot_future":
        return "-5 minutes"
    return uptime_text(int(time.time()))


def _number(value: Any, kind: str) -> Any:
    """Return a value documented as text as a number (sizes then lack their unit)."""
    if kind == "uptime":
        return 3 * 3600 + 57 * 60
    if kind == "flag" and isinstance(value, str):
        return int(value)
    if isinstance(value, str):
        return float(value.rstrip("GM'C"))
    return value


def _other_unit(value: Any, kind: str) -> Any:
    """Return a value in another unit: G as M, M as K, °C as °F, a fraction as a percentage."""
    if kind == "size" and isinstance(value, str):
        number, letter = float(value[:-1]), value[-1]
        return f"{number * MIB:.2f}{'M' if letter == 'G' else 'K'}"
    if kind == "temperature":
        celsius = float(str(value).removesuffix("'C"))
        return f"{celsius * 9 / 5 + 32:.1f}'F"
    if kind == "fraction":
        return round(float(value) * 100, 2)
    if kind == "uptime":
        return "0 days, 3:57"
    return value
