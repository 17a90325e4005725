"""Where a recognition lies against the gaps of a push: by the box's own time where known."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custom_components.sophon.gaps import OVERLAP, SLACK, Gap, Gaps

DROP = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
BACK = DROP + timedelta(minutes=10)


def _where(gaps: list[Gap], made: datetime, skew: timedelta) -> str | None:
    """Place a recognition the box stamped `made` (no time zone to correct), skew as measured."""
    return Gaps.where(gaps, made, made.timestamp(), skew)


@pytest.mark.parametrize("skew_seconds", [-3.0, -0.4, 0.0, 0.7, 2.5])
@pytest.mark.parametrize("before_drop", [0.0, 0.05, 0.6, 1.9])
def test_one_pushed_before_a_drop_is_never_in_the_gap_whatever_skew_is_measured_later(
    skew_seconds: float, before_drop: float
) -> None:
    """The push was last heard at DROP, its last recognition made up to 2 s earlier.

    A busy push's backlog moves the measured skew by seconds: read with a later skew, our
    clock put those just before the drop inside the gap, and a forgotten one came twice.
    """
    last_made = DROP - timedelta(seconds=before_drop)
    gaps = [Gap(DROP, BACK, made_after=last_made.timestamp())]
    skew = timedelta(seconds=skew_seconds)
    assert _where(gaps, last_made, skew) == "overlap"
    assert _where(gaps, last_made - timedelta(seconds=1), skew) == "overlap"
    assert _where(gaps, last_made + timedelta(milliseconds=1), skew) == "gap"
    assert _where(gaps, last_made - OVERLAP - timedelta(seconds=1), skew) is None


@pytest.mark.parametrize("skew_seconds", [-3.0, 0.0, 2.5])
def test_the_end_of_a_gap_is_on_our_clock_moved_by_the_skew(skew_seconds: float) -> None:
    skew = timedelta(seconds=skew_seconds)
    gaps = [Gap(DROP, BACK, made_after=(DROP - timedelta(seconds=1)).timestamp())]
    made_at_back = BACK + skew
    assert _where(gaps, made_at_back - SLACK - timedelta(seconds=1), skew) == "gap"
    assert _where(gaps, made_at_back, skew) == "end"
    assert _where(gaps, made_at_back + SLACK + timedelta(seconds=1), skew) is None


def test_without_a_recognition_before_it_a_gap_starts_when_the_push_was_last_heard() -> None:
    gaps = [Gap(DROP, BACK)]
    skew = timedelta(seconds=1)
    assert _where(gaps, DROP + skew, skew) == "gap"
    assert _where(gaps, DROP + skew - timedelta(seconds=1), skew) == "overlap"
    assert _where(gaps, DROP + skew - OVERLAP - timedelta(seconds=1), skew) is None


def test_gaps_keep_when_the_box_made_the_last_one_and_older_stores_read_back() -> None:
    gaps = Gaps()
    gaps.open(DROP, 1_796_000_000.25)
    gaps.close(BACK, DROP)
    gaps.close(BACK + timedelta(minutes=1), BACK, None)  # a quiet reopen: nothing pushed yet
    again = Gaps()
    again.load(gaps.as_list())
    assert again.items == gaps.items
    assert again.items[0].made_after == 1_796_000_000.25
    older = Gaps()
    older.load(
        [
            [DROP.isoformat(), BACK.isoformat()],  # written before made_after was kept
            [DROP.isoformat(), None, True],
            [DROP.isoformat(), None, "1796000000"],
            [DROP.isoformat(), None, 1_796_000_000],
            ["not a time", None, 1.0],
            [DROP.isoformat()],
            "junk",
        ]
    )
    assert [gap.made_after for gap in older.items] == [None, None, None, 1_796_000_000]
    assert older.items[0] == Gap(DROP, BACK)
