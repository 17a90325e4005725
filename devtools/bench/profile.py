"""Profile one workload of the benchmark with pyinstrument: where the event loop's time goes."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from devtools.bench.timing import Round, Tally

SAMPLE_INTERVAL = 0.0002  # seconds
# The loop and the bench itself (run_until_counted holds the gc.collect() before a round).
SKIP = (
    "asyncio/",
    "runpy",
    "<frozen",
    "bench/cli.py",
    "bench/rounds.py",
    "bench/profile.py",
    "run_until_counted",
    "[await]",
)


@dataclass
class Line:
    """One function's share of the samples."""

    name: str
    where: str
    seconds: float


def _key(frame: Any) -> tuple[str, str]:
    """Return a function's name and short location."""
    return frame.function, f"{frame.file_path_short}:{frame.line_no}"


def aggregate(root: Any) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]]:
    """Return self time and inclusive time (recursion counted once) per function."""
    own: dict[tuple[str, str], float] = defaultdict(float)
    total: dict[tuple[str, str], float] = defaultdict(float)
    stack: list[tuple[Any, frozenset[tuple[str, str]]]] = [(root, frozenset())]
    while stack:
        frame, above = stack.pop()
        key = _key(frame)
        # pyinstrument's synthetic children ([self], [await]) are the frame's own time.
        children = [child for child in frame.children if not child.is_synthetic]
        own[key] += frame.time - sum(child.time for child in children)
        if key not in above:
            total[key] += frame.time
        stack.extend((child, above | {key}) for child in children)
    return own, total


def top(table: dict[tuple[str, str], float], count: int) -> list[Line]:
    """Return the count largest entries, loop frames left out."""
    lines = [
        Line(name, where, seconds)
        for (name, where), seconds in table.items()
        if not any(part in where or part in name for part in SKIP)
    ]
    return sorted(lines, key=lambda line: line.seconds, reverse=True)[:count]


def render(title: str, lines: list[Line], whole: float) -> list[str]:
    """Format lines with their share of the whole."""
    out = [title]
    out += [
        f"  {100 * line.seconds / whole:5.1f}%  {line.seconds:7.3f} s  {line.name}  ({line.where})"
        for line in lines
    ]
    return out


async def profile(
    title: str,
    tally: Tally,
    push: Callable[[int], Awaitable[Any]],
    events: int,
    run_until_counted: Callable[[Tally, int, Awaitable[Any]], Awaitable[Round]],
) -> list[str]:
    """Profile events pushed through one consumer; return the flat profiles as lines."""
    from pyinstrument import Profiler  # noqa: PLC0415 - only present in the bench's tool folder

    profiler = Profiler(interval=SAMPLE_INTERVAL, async_mode="disabled")
    profiler.start()
    seconds = (await run_until_counted(tally, events, push(events))).seconds
    session = profiler.stop()
    root = session.root_frame()
    if root is None:
        return [f"{title}: no samples"]
    own, total = aggregate(root)
    whole = root.time
    heading = (
        f"== {title}: {events:,} events in {seconds:.2f} s ({events / seconds:,.0f} ev/s), "
        f"{whole:.2f} s sampled every {SAMPLE_INTERVAL * 1000:.1f} ms =="
    )
    out = [heading]
    out += render("-- self time (top 30)", top(own, 30), whole)
    out += render("-- inclusive time (top 45)", top(total, 45), whole)
    return out
