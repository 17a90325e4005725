"""What the benchmark runs: the workloads (streams of events) and the command line's choices."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Workload:
    """One stream of events: its generation, what each frame carries, how many per round."""

    key: str
    title: str
    generation: str
    images: bool
    face: bool = False
    registered: bool = False
    greeter: bool = False
    events: int
    memory: float = 1.0  # share of the memory run's events (--memory-events) for this workload

    def scaled(self, factor: float) -> int:
        """Return the events per round, scaled (--scale, --quick)."""
        return max(200, int(self.events * factor))


# Rounds of about 3 s through the integration on a 2-core machine.
WORKLOADS: tuple[Workload, ...] = (
    Workload(key="v1-none", title="1.0 no images", generation="1.0", images=False, events=8_000),
    Workload(
        key="v1-face",
        title="1.0 face only",
        generation="1.0",
        images=True,
        face=True,
        greeter=True,  # the simulator's greeter mode: no scene photo in 1.0 frames
        events=6_000,
    ),
    Workload(
        key="v1-full",
        title="1.0 face+scene+registered",
        generation="1.0",
        images=True,
        face=True,
        registered=True,
        events=1_000,
        memory=0.1,
    ),
    Workload(
        key="v2-face-reg",
        title="2.0 face+registered",
        generation="2.0",
        images=True,
        face=True,
        registered=True,
        events=2_500,
    ),
)


@dataclass
class Options:
    """What to run, from the command line."""

    rounds: int
    scale: float
    latency_events: int
    memory_events: int
    workloads: tuple[Workload, ...]
    setup: bool
    write: bool
    command: str
    profile: Workload | None = None
    # Recognitions missed in the catch-up measurement (0: not measured).
    catch_up: int = 0
