"""The study drug's lab schedule: the days samples are due, and which were taken.

The protocol's ``[safety.lab_schedule]`` states phases (a sample every ``every_days``
from ``from_day``) counted from the study-drug start; :func:`due_days` lists the days and
:func:`due_dates` the calendar dates for one participant. :func:`schedule_status` tells,
for each due date, whether every lab of the schedule was sampled within the window, is
still to come, or was missed (naming the labs missing), judged on the study's today.

>>> from mmntrial.protocol.model import LabPhase, LabSchedule
>>> schedule = LabSchedule(("neutrophils",), 40, 2, (LabPhase(0, 7), LabPhase(28, 14)))
>>> due_days(schedule)
(0, 7, 14, 21, 28)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from mmntrial.protocol.model import LabSchedule


def due_days(schedule: LabSchedule) -> tuple[int, ...]:
    """The days (day 0 = the study-drug start) a sample is due, in order.

    A phase runs from its ``from_day`` up to (not including) the next phase's; the last
    one up to ``until_day`` included.
    """
    days: list[int] = []
    ends = [phase.from_day for phase in schedule.phases[1:]] + [schedule.until_day + 1]
    for phase, end in zip(schedule.phases, ends, strict=True):
        days.extend(range(phase.from_day, end, phase.every_days))
    return tuple(days)


def due_dates(schedule: LabSchedule, start: date) -> tuple[date, ...]:
    """The calendar dates samples are due for a participant whose study drug started on
    ``start``."""
    return tuple(start + timedelta(days=day) for day in due_days(schedule))


class SampleStatus(StrEnum):
    """Where one due sample stands."""

    DONE = "done"  # every lab of the schedule sampled within the window
    OPEN = "open"  # the window is open today, not every lab sampled yet
    UPCOMING = "upcoming"  # the window opens after today
    MISSED = "missed"  # the window closed before today with a lab not sampled


@dataclass(frozen=True)
class DueSample:
    """One due sample: its day and date, the last date of its window, its status, and
    the labs it still lacks."""

    day: int
    due_on: date
    latest: date
    status: SampleStatus
    missing: tuple[str, ...]


def schedule_status(
    schedule: LabSchedule,
    start: date,
    sampled: Sequence[tuple[str, date]],
    today: date,
) -> list[DueSample]:
    """Each due sample's status from the samples taken (``(lab, sampled_on)`` pairs).

    A lab sampled within ``window_days`` either side of a due date counts for it; a
    sample may count for two due dates whose windows overlap. Labs not in the schedule
    are ignored.
    """
    window = timedelta(days=schedule.window_days)
    result = []
    for day, due_on in zip(due_days(schedule), due_dates(schedule, start), strict=True):
        taken = {lab for lab, on in sampled if abs(on - due_on) <= window}
        missing = tuple(lab for lab in schedule.labs if lab not in taken)
        if not missing:
            status = SampleStatus.DONE
        elif due_on + window < today:
            status = SampleStatus.MISSED
        elif due_on - window > today:
            status = SampleStatus.UPCOMING
        else:
            status = SampleStatus.OPEN
        result.append(DueSample(day, due_on, due_on + window, status, missing))
    return result


__all__ = ["DueSample", "SampleStatus", "due_dates", "due_days", "schedule_status"]
