"""What the benchmark measured: the consumers, the targets and the results of each run."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from devtools.bench.timing import percentile
from devtools.bench.workloads import Workload

MIB = 1024 * 1024
RATIO_TARGET = 0.5
MEMORY_TARGET_MIB = 10.0
MEMORY_EVENTS = 100_000
P99_TARGET_MS = 20.0
LAG_TARGET_MS = 50.0  # the event loop's lag p99 during a catch-up of 1,000 recognitions
PACE = 200.0  # events per second for the latency measurement
RECEIVE, BASELINE, INTEGRATION, FLOOR = "receive-only", "baseline", "integration", "HA floor"
CONSUMERS = (RECEIVE, BASELINE, INTEGRATION)  # fed by the simulator, one gate each
ORDER = (*CONSUMERS, FLOOR)
PICTURES = ("face_image", "scene_image", "registered_image")
BUSY_SHARE = 0.9  # a round whose process had the CPU less than this share of the time


@dataclass
class Memory:
    """Resident memory around a long run of events through the integration."""

    events: int
    before: int
    after: int
    blocks_before: int
    blocks_after: int
    seconds: float

    @property
    def growth_mib(self) -> float:
        """Return the growth in MiB."""
        return (self.after - self.before) / MIB


@dataclass
class WorkloadResult:
    """Everything measured for one workload."""

    workload: Workload
    events_per_round: int
    frame_bytes: int = 0
    images: dict[str, int] = field(default_factory=dict)
    rates: dict[str, list[float]] = field(default_factory=dict)
    cpu_shares: list[float] = field(default_factory=list)
    latency: dict[str, list[float]] = field(default_factory=dict)
    gc_pauses: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    handling: dict[str, list[float]] = field(default_factory=dict)
    memory: Memory | None = None
    setup_seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    def rate(self, who: str) -> float:
        """Return the median events per second of a consumer."""
        return statistics.median(self.rates[who])

    def ratio_to(self, who: str) -> float:
        """Return the median of the rounds' integration / who ratios (neighbours in time)."""
        pairs = zip(self.rates[INTEGRATION], self.rates[who], strict=True)
        return statistics.median(integration / other for integration, other in pairs)

    @property
    def ratio(self) -> float:
        """Return the median of the rounds' integration / baseline ratios."""
        return self.ratio_to(BASELINE)

    @property
    def floor_ratio(self) -> float:
        """Return the median of the rounds' integration / HA floor ratios."""
        return self.ratio_to(FLOOR)

    def micros(self, who: str) -> float:
        """Return a consumer's loop time per event, in µs."""
        return 1e6 / self.rate(who)

    def micros_over_receive(self, who: str) -> float:
        """Return a consumer's loop time per event beyond the receive-only one, in µs."""
        return self.micros(who) - self.micros(RECEIVE)

    def p(self, who: str, share: float) -> float:
        """Return a latency percentile in milliseconds."""
        return percentile(self.latency[who], share) * 1000

    def handling_p(self, who: str, share: float) -> float:
        """Return a percentile of the consumer's own part (frame in hand -> arrival), in ms."""
        return percentile(self.handling[who], share) * 1000

    def longest_gc(self, who: str) -> float:
        """Return the longest garbage collection during a consumer's paced run, in ms."""
        return max((seconds for _, seconds in self.gc_pauses.get(who, [])), default=0.0) * 1000


@dataclass
class SetupResult:
    """Setup times of a number of boxes with a number of devices each."""

    generation: str
    boxes: int
    devices: int
    states: int
    seconds: list[float]


@dataclass
class CatchUpResult:
    """A catch-up of recognitions missed during an outage, beside the same number live.

    Seconds: from the push's port opening again (or the first push, live) until the last bus
    event. Lags: how late the event loop woke a sleeper meanwhile, in seconds.
    """

    generation: str
    events: int
    catch_up_seconds: list[float] = field(default_factory=list)
    live_seconds: list[float] = field(default_factory=list)
    catch_up_lags: list[float] = field(default_factory=list)
    live_lags: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @classmethod
    def merged(cls, runs: list[CatchUpResult]) -> CatchUpResult:
        """Return the runs of one generation as one result."""
        merged = cls(generation=runs[0].generation, events=runs[0].events)
        for run in runs:
            merged.catch_up_seconds += run.catch_up_seconds
            merged.live_seconds += run.live_seconds
            merged.catch_up_lags += run.catch_up_lags
            merged.live_lags += run.live_lags
            merged.problems += run.problems
        return merged

    @property
    def catch_up(self) -> float:
        """Return the median seconds of a catch-up."""
        return statistics.median(self.catch_up_seconds)

    @property
    def live(self) -> float:
        """Return the median seconds of the same number live."""
        return statistics.median(self.live_seconds)

    @property
    def lag_p99_ms(self) -> float:
        """Return the loop lag's 99th percentile during catch-ups, ms."""
        return percentile(self.catch_up_lags, 0.99) * 1000

    @property
    def live_lag_p99_ms(self) -> float:
        """Return the loop lag's 99th percentile while the same number arrived live, ms."""
        return percentile(self.live_lags, 0.99) * 1000
