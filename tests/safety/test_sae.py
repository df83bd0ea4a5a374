"""The SAE reporting clock at its edges: 23 h 59 is on time, 24 h 01 is late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from mmntrial.errors import SafetyError
from mmntrial.safety.sae import LATE, ON_TIME, OPEN, OVERDUE, report_within, sae_clock

AWARE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_the_report_is_due_24_hours_after_awareness() -> None:
    assert report_within() == timedelta(hours=24)
    assert sae_clock(AWARE, None, AWARE).due_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("after", "status"),
    [
        (timedelta(hours=23, minutes=59), ON_TIME),
        (timedelta(hours=24), ON_TIME),
        (timedelta(hours=24, minutes=1), LATE),
    ],
)
def test_a_report_is_late_only_after_24_hours(after: timedelta, status: str) -> None:
    clock = sae_clock(AWARE, AWARE + after, AWARE + timedelta(days=3))
    assert (clock.status, clock.needs_action) == (status, False)


@pytest.mark.parametrize(
    ("after", "status"),
    [(timedelta(hours=23, minutes=59), OPEN), (timedelta(hours=24, minutes=1), OVERDUE)],
)
def test_an_unreported_sae_is_open_then_overdue(after: timedelta, status: str) -> None:
    clock = sae_clock(AWARE, None, AWARE + after)
    assert (clock.status, clock.needs_action) == (status, True)


def test_offsets_are_compared_as_moments() -> None:
    paris = timezone(timedelta(hours=1))
    # 08:00 UTC is 09:00 in Paris: a report at 08:59 Paris next day is 23 h 59 later.
    reported = datetime(2026, 12, 1, 8, 59, tzinfo=paris)
    assert sae_clock(AWARE, reported, reported).status == ON_TIME


def test_a_moment_without_offset_is_refused() -> None:
    with pytest.raises(SafetyError, match="aware_at: got 2026-11-30T08:00:00, expected"):
        sae_clock(AWARE.replace(tzinfo=None), None, AWARE)
