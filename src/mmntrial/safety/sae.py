"""The reporting clock of a serious adverse event (SAE): due, on time, late, overdue.

The initial SAE report is due a fixed number of hours after the site became aware of
the event (``sae.toml``: 24 hours, DOMAIN.md). :func:`sae_clock` says where an event
stands at a moment: ``open`` (not reported, still in time), ``overdue`` (not reported,
past due), ``on_time`` (reported by the due moment, inclusive) or ``late`` (reported
after it). Pure: the caller gives the moments, all timezone-aware.

>>> from datetime import UTC, datetime, timedelta
>>> aware = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
>>> sae_clock(aware, aware + timedelta(hours=23, minutes=59), aware).status
'on_time'
>>> sae_clock(aware, None, aware + timedelta(hours=24, minutes=1)).status
'overdue'
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from importlib import resources

from mmntrial.errors import SafetyError

SAE_FILE = "sae.toml"
OPEN, OVERDUE, ON_TIME, LATE = "open", "overdue", "on_time", "late"


@cache
def report_within() -> timedelta:
    """How long after awareness the initial report is due (``sae.toml``)."""
    text = resources.files("mmntrial.safety").joinpath(SAE_FILE).read_text("utf-8")
    hours = tomllib.loads(text)["initial_report"]["within_hours"]
    if isinstance(hours, bool) or not isinstance(hours, int) or hours <= 0:
        raise SafetyError(
            f"{SAE_FILE}: initial_report.within_hours: got {hours!r}, expected whole hours > 0"
        )
    return timedelta(hours=hours)


@dataclass(frozen=True)
class SaeClock:
    """Where an SAE's initial report stands: awareness, due moment, report, status."""

    aware_at: datetime
    due_at: datetime
    reported_at: datetime | None
    status: str

    @property
    def needs_action(self) -> bool:
        """Whether the initial report is still to be made (open or overdue)."""
        return self.reported_at is None


def _aware(name: str, moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise SafetyError(
            f"{name}: got {moment.isoformat()}, expected a moment with its UTC offset"
        )
    return moment


def sae_clock(aware_at: datetime, reported_at: datetime | None, now: datetime) -> SaeClock:
    """The clock of an SAE the site became aware of at ``aware_at``, initially reported
    at ``reported_at`` (None: not yet), seen at ``now``. A report at the due moment
    exactly is on time."""
    due = _aware("aware_at", aware_at) + report_within()
    if reported_at is not None:
        status = ON_TIME if _aware("reported_at", reported_at) <= due else LATE
    else:
        status = OPEN if _aware("now", now) <= due else OVERDUE
    return SaeClock(aware_at, due, reported_at, status)
