"""The benchmark's results as tables (text or Markdown) and its targets."""

from __future__ import annotations

import statistics

from devtools.bench.results import (
    BASELINE,
    BUSY_SHARE,
    FLOOR,
    INTEGRATION,
    LAG_TARGET_MS,
    MEMORY_EVENTS,
    MEMORY_TARGET_MIB,
    MIB,
    P99_TARGET_MS,
    PACE,
    PICTURES,
    RATIO_TARGET,
    RECEIVE,
    CatchUpResult,
    SetupResult,
    WorkloadResult,
)


def verdict(ok: bool) -> str:
    """Return PASS or FAIL."""
    return "PASS" if ok else "FAIL"


def spread(values: list[float]) -> str:
    """Return the median (min to max) of rates."""
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def kib(count: int) -> str:
    """Return a byte count in KiB."""
    return f"{count / 1024:.1f}"


def table(headers: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    """Format rows as an aligned text table or a Markdown table."""
    if markdown:
        lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(len(headers))]

    def line(cells: list[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True))

    return [line(headers), line(["-" * width for width in widths])] + [line(r) for r in rows]


def throughput_table(results: list[WorkloadResult]) -> tuple[list[str], list[list[str]]]:
    """Return the throughput table: events/s, ratios and the cost per event of each consumer."""
    headers = ["workload", "frame KiB", "face/scene/reg KiB", "events/round", "receive-only"]
    headers += ["baseline", "integration", "ratio", f">= {RATIO_TARGET}", FLOOR, "to floor"]
    headers += ["baseline µs/ev", "integration µs/ev", f"{FLOOR} µs/ev", "own µs/ev", "CPU share"]
    rows = [
        [
            r.workload.title,
            kib(r.frame_bytes),
            "/".join(kib(r.images.get(kind, 0)) for kind in PICTURES),
            f"{r.events_per_round:,}",
            spread(r.rates[RECEIVE]),
            spread(r.rates[BASELINE]),
            spread(r.rates[INTEGRATION]),
            f"{r.ratio:.2f}",
            verdict(r.ratio >= RATIO_TARGET),
            spread(r.rates[FLOOR]),
            f"{r.floor_ratio:.2f}",
            f"{r.micros_over_receive(BASELINE):.0f}",
            f"{r.micros_over_receive(INTEGRATION):.0f}",
            f"{r.micros(FLOOR):.0f}",
            f"{r.micros_over_receive(INTEGRATION) - r.micros(FLOOR):.0f}",
            f"{min(r.cpu_shares):.2f}",
        ]
        for r in results
    ]
    return headers, rows


def latency_table(results: list[WorkloadResult]) -> tuple[list[str], list[list[str]]]:
    """Return the latency table: percentiles of both consumers and the longest GC pause."""
    headers = ["workload", "events", "baseline p50", "baseline p99", "integration p50"]
    headers += ["integration p99", "integration max", f"p99 < {P99_TARGET_MS:.0f}"]
    headers += ["in hand p99: baseline", "integration", "GC max: baseline", "integration"]
    rows = [
        [
            r.workload.title,
            f"{len(r.latency[INTEGRATION]):,}",
            f"{r.p(BASELINE, 0.5):.2f}",
            f"{r.p(BASELINE, 0.99):.2f}",
            f"{r.p(INTEGRATION, 0.5):.2f}",
            f"{r.p(INTEGRATION, 0.99):.2f}",
            f"{r.p(INTEGRATION, 1.0):.2f}",
            verdict(r.p(INTEGRATION, 0.99) < P99_TARGET_MS),
            f"{r.handling_p(BASELINE, 0.99):.2f}",
            f"{r.handling_p(INTEGRATION, 0.99):.2f}",
            f"{r.longest_gc(BASELINE):.1f}",
            f"{r.longest_gc(INTEGRATION):.1f}",
        ]
        for r in results
    ]
    return headers, rows


def memory_table(results: list[WorkloadResult]) -> tuple[list[str], list[list[str]]]:
    """Return the memory table of the workloads that had a memory run."""
    headers = ["workload", "events", "RSS before MiB", "RSS after MiB", "growth MiB"]
    headers += ["Python blocks", "sustained ev/s", f"< {MEMORY_TARGET_MIB:.0f} MiB"]
    rows = []
    for r in results:
        if (m := r.memory) is None:
            continue
        ok = verdict(m.growth_mib < MEMORY_TARGET_MIB)
        rows.append(
            [
                r.workload.title,
                f"{m.events:,}",
                f"{m.before / MIB:.1f}",
                f"{m.after / MIB:.1f}",
                f"{m.growth_mib:+.2f}",
                f"{m.blocks_after - m.blocks_before:+,}",
                f"{m.events / m.seconds:,.0f}",
                ok if m.events >= MEMORY_EVENTS else f"({ok}, fewer events)",
            ]
        )
    return headers, rows


def setup_table(setups: list[SetupResult]) -> tuple[list[str], list[list[str]]]:
    """Return the setup table."""
    headers = ["generation", "boxes x devices", "entity states", "median s", "runs s"]
    rows = [
        [
            s.generation,
            f"{s.boxes} x {s.devices}",
            f"{s.states:,}",
            f"{statistics.median(s.seconds):.2f}",
            ", ".join(f"{t:.2f}" for t in s.seconds),
        ]
        for s in setups
    ]
    return headers, rows


def catch_up_table(catch_ups: list[CatchUpResult]) -> tuple[list[str], list[list[str]]]:
    """Return the catch-up table: late beside live, and the loop's lag in each."""
    headers = [
        "generation",
        "recognitions",
        "catch-up s",
        "live s",
        "catch-up / live",
        "lag p99 ms (catch-up)",
        "lag p99 ms (live)",
    ]
    rows = [
        [
            c.generation,
            f"{c.events:,}",
            f"{c.catch_up:.2f}",
            f"{c.live:.2f}",
            f"{c.catch_up / c.live:.2f}",
            f"{c.lag_p99_ms:.1f}",
            f"{c.live_lag_p99_ms:.1f}",
        ]
        for c in catch_ups
    ]
    return headers, rows


def throughput_legend(rounds: int) -> list[str]:
    """Return the lines that explain the throughput table."""
    return [
        f"Throughput, events/s: median of {rounds} alternating rounds (min-max); ratio:",
        "median of the rounds' integration/baseline ratios (each pair run back to back);",
        f"{FLOOR}: the integration's bus events and state writes replayed alone; to floor:",
        f"median of the rounds' integration/{FLOOR} ratios; µs/ev: loop time per event",
        f"beyond the receive-only client's ({FLOOR}: all of its time; own: integration minus",
        f"{FLOOR}, what the integration itself adds); CPU share: the lowest of the rounds",
        "(process CPU time / wall time; below 0.9 the machine was busy)",
    ]


def report(
    results: list[WorkloadResult],
    setups: list[SetupResult],
    markdown: bool,
    catch_ups: list[CatchUpResult] | None = None,
) -> list[str]:
    """Return every result table, as text or Markdown."""
    out: list[str] = []
    if results:
        out += throughput_legend(len(results[0].rates[BASELINE]))
        out += ["", *table(*throughput_table(results), markdown)]
        busy = [r.workload.title for r in results if min(r.cpu_shares) < BUSY_SHARE]
        if busy:
            out += ["", f"Busy machine during rounds of: {', '.join(busy)}; ratios may be off."]
        out += ["", f"Latency at {PACE:.0f} events/s, simulator send -> bus event, ms;"]
        out += ["in hand: from the whole frame received to the bus event (baseline: decoded)", ""]
        out += table(*latency_table(results), markdown)
    if any(r.memory for r in results):
        out += ["", "Memory through the integration: VmRSS after gc.collect()", ""]
        out += table(*memory_table(results), markdown)
    if setups:
        out += ["", "Setup, s: from config entry setup until every entity has a state and every"]
        out += ["box is subscribed (components already loaded)", ""]
        out += table(*setup_table(setups), markdown)
    if catch_ups:
        out += ["", "Catch-up: recognitions made while the push was down, delivered late once it"]
        out += ["is back, beside as many pushed live; s until the last bus event (median of runs)"]
        out += ["", *table(*catch_up_table(catch_ups), markdown)]
    if results:
        out += ["", f"First config entry of the run (cold): {results[0].setup_seconds:.2f} s."]
    return out


def targets(
    results: list[WorkloadResult], catch_ups: list[CatchUpResult] | None = None
) -> list[tuple[str, bool]]:
    """Return each target with whether every workload measured met it."""
    memory = [r.memory for r in results if r.memory is not None]
    late = []
    if catch_ups:
        name = f"event loop lag p99 < {LAG_TARGET_MS:.0f} ms while {catch_ups[0].events:,} late"
        late.append((name, all(c.lag_p99_ms < LAG_TARGET_MS and not c.problems for c in catch_ups)))
    return [
        *late,
        (
            f"integration >= {RATIO_TARGET} x baseline events/s on every workload",
            bool(results) and all(r.ratio >= RATIO_TARGET for r in results),
        ),
        (
            f"memory growth < {MEMORY_TARGET_MIB:.0f} MiB over {MEMORY_EVENTS:,} events",
            any(m.events >= MEMORY_EVENTS for m in memory)
            and all(m.growth_mib < MEMORY_TARGET_MIB for m in memory),
        ),
        (
            f"p99 latency < {P99_TARGET_MS:.0f} ms at {PACE:.0f} events/s",
            bool(results) and all(r.p(INTEGRATION, 0.99) < P99_TARGET_MS for r in results),
        ),
    ]
