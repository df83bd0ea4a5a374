"""The visit calendar: the protocol's schedule in calendar dates, and where a patient is in it.

Day 0 is the randomization date, so a visit on study day ``d`` has its target on
``randomized_on + d`` days and its window from ``d - window_days`` to ``d + window_days``
(both ends included, as ``schedule.visits[].window_days`` says: "+/- days").

Given the visits recorded so far (name to date) and the date a site looks at the
calendar (``today``: passed in, never read from a clock), each scheduled visit is:

- ``done``: recorded, with its distance from the window (0 inside it, negative days
  early, positive days late) and from the target;
- ``upcoming``: not recorded and its window not open yet;
- ``due``: not recorded and today inside its window;
- ``overdue``: not recorded and its window closed before today.

A drop that awaits its repeat assessment (the engine's ``CONFIRMING`` state) adds a
confirmation visit: from the day after the drop (a second assessment on the day of the
drop is not a repeat) to ``deterioration.confirmation_days`` after it, the last day on
which the engine still takes the repeat (:func:`mmntrial.engine.core.observe` settles
the drop as unrepeated on any later assessment). :func:`pending_confirmation` reads it
from an :class:`~mmntrial.engine.core.EngineState`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from mmntrial.engine.core import EngineState
from mmntrial.engine.states import TaperState
from mmntrial.errors import EngineError
from mmntrial.measures.limits import study_day_problem
from mmntrial.protocol.model import Protocol, Visit


class VisitStatus(StrEnum):
    """Where one scheduled visit stands on a given date."""

    DONE = "done"
    UPCOMING = "upcoming"
    DUE = "due"
    OVERDUE = "overdue"


def study_day(randomized_on: date, on: date) -> int:
    """The study day of a calendar date (day 0 = the randomization date).

    >>> study_day(date(2026, 1, 15), date(2026, 4, 16))
    91
    """
    day = (on - randomized_on).days
    problem = study_day_problem(day)
    if problem is not None:
        raise EngineError(f"date {on.isoformat()}: got study day {day}, {problem}")
    return day


def date_of_day(randomized_on: date, day: int) -> date:
    """The calendar date of a study day.

    >>> date_of_day(date(2026, 1, 15), 30)
    datetime.date(2026, 2, 14)
    """
    return randomized_on + timedelta(days=day)


@dataclass(frozen=True)
class VisitWindow:
    """One scheduled visit in calendar dates: its target and its window (both ends in)."""

    name: str
    day: int
    target: date
    earliest: date
    latest: date
    measures: tuple[str, ...]

    def days_outside(self, on: date) -> int:
        """How far ``on`` lies outside the window: 0 inside, negative early, positive late.

        >>> from mmntrial.protocol.loader import load_protocol
        >>> w = visit_windows(load_protocol("piepers-2007"), date(2026, 1, 15))[1]
        >>> w.days_outside(date(2026, 2, 5)), w.days_outside(date(2026, 2, 21))
        (-2, 0)
        """
        if on < self.earliest:
            return (on - self.earliest).days
        if on > self.latest:
            return (on - self.latest).days
        return 0


def _window(visit: Visit, randomized_on: date) -> VisitWindow:
    return VisitWindow(
        name=visit.name,
        day=visit.day,
        target=date_of_day(randomized_on, visit.day),
        earliest=date_of_day(randomized_on, visit.day - visit.window_days),
        latest=date_of_day(randomized_on, visit.day + visit.window_days),
        measures=visit.measures,
    )


def visit_windows(protocol: Protocol, randomized_on: date) -> tuple[VisitWindow, ...]:
    """Every scheduled visit of ``protocol`` in calendar dates, in schedule order.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> m1 = visit_windows(load_protocol("piepers-2007"), date(2026, 1, 15))[1]
    >>> m1.name, m1.target.isoformat(), m1.earliest.isoformat(), m1.latest.isoformat()
    ('M1', '2026-02-14', '2026-02-07', '2026-02-21')
    """
    return tuple(_window(visit, randomized_on) for visit in protocol.schedule.visits)


@dataclass(frozen=True)
class VisitState:
    """One scheduled visit on the calendar's date.

    ``recorded_on`` is the date it was done (None unless done); ``days_outside_window``
    is 0 when it was done in its window, negative when done that many days early,
    positive when late (None unless done); ``days_from_target`` is the signed distance
    of the recorded date from the target (None unless done).
    """

    window: VisitWindow
    status: VisitStatus
    recorded_on: date | None
    days_outside_window: int | None
    days_from_target: int | None

    @property
    def in_window(self) -> bool:
        """Done inside its window."""
        return self.status is VisitStatus.DONE and self.days_outside_window == 0


@dataclass(frozen=True)
class PendingConfirmation:
    """A drop awaiting its repeat assessment, in study days (see :func:`pending_confirmation`)."""

    drop_day: int
    latest_day: int


@dataclass(frozen=True)
class ConfirmationVisit:
    """The repeat assessment a drop awaits, in calendar dates (both ends in)."""

    drop_on: date
    earliest: date
    latest: date
    status: VisitStatus  # DUE or OVERDUE (UPCOMING on the day of the drop itself)


@dataclass(frozen=True)
class VisitCalendar:
    """A patient's visits on one date: every scheduled visit and any confirmation visit."""

    randomized_on: date
    today: date
    visits: tuple[VisitState, ...]
    confirmation: ConfirmationVisit | None

    def with_status(self, status: VisitStatus) -> tuple[VisitState, ...]:
        """The scheduled visits in ``status``, in schedule order."""
        return tuple(v for v in self.visits if v.status is status)


def pending_confirmation(
    protocol: Protocol, state: EngineState, patient: int
) -> PendingConfirmation | None:
    """The drop patient ``patient`` of ``state`` awaits a repeat for, or None.

    The engine waits while the patient is ``CONFIRMING``; the repeat is taken up to
    ``deterioration.confirmation_days`` after the drop.
    """
    if not 0 <= patient < state.n_patients:
        raise EngineError(
            f"patient: got {patient}, expected an index from 0 to {state.n_patients - 1}"
        )
    if state.state[patient] != TaperState.CONFIRMING:
        return None
    drop = float(state.pending_day[patient])
    if math.isnan(drop):  # CONFIRMING always has its drop day; guard the array anyway
        raise EngineError(f"patient {patient} is confirming a drop but has no drop day")
    day = int(drop)
    return PendingConfirmation(day, day + protocol.deterioration.confirmation_days)


def _status(window_start: date, window_end: date, today: date) -> VisitStatus:
    if today < window_start:
        return VisitStatus.UPCOMING
    if today > window_end:
        return VisitStatus.OVERDUE
    return VisitStatus.DUE


def _checked_recorded(
    protocol: Protocol, recorded: Mapping[str, date], randomized_on: date, today: date
) -> None:
    names = [v.name for v in protocol.schedule.visits]
    for name, on in recorded.items():
        if name not in names:
            raise EngineError(
                f"recorded visit: got {name!r}, expected a visit of the schedule: "
                f"{', '.join(names)}"
            )
        if on > today:
            raise EngineError(
                f"recorded visit {name}: got date {on.isoformat()}, expected a date on or "
                f"before today ({today.isoformat()}): a visit cannot be recorded ahead"
            )
        study_day(randomized_on, on)  # refuses a date implausibly far from day 0


def visit_calendar(
    protocol: Protocol,
    randomized_on: date,
    recorded: Mapping[str, date],
    today: date,
    pending: PendingConfirmation | None = None,
) -> VisitCalendar:
    """Each scheduled visit as done, upcoming, due or overdue on ``today``.

    ``recorded`` maps visit names to the date each was done; ``pending`` is the engine's
    drop awaiting a repeat, if any (:func:`pending_confirmation`).

    >>> from mmntrial.protocol.loader import load_protocol
    >>> p = load_protocol("piepers-2007")
    >>> cal = visit_calendar(p, date(2026, 1, 15), {"M0": date(2026, 1, 15),
    ...                      "M1": date(2026, 2, 23)}, today=date(2026, 3, 16))
    >>> [(v.window.name, v.status.value, v.days_outside_window) for v in cal.visits[:3]]
    [('M0', 'done', 0), ('M1', 'done', 2), ('M2', 'due', None)]
    """
    study_day(randomized_on, today)
    _checked_recorded(protocol, recorded, randomized_on, today)
    states = []
    for window in visit_windows(protocol, randomized_on):
        on = recorded.get(window.name)
        if on is None:
            status = _status(window.earliest, window.latest, today)
            states.append(VisitState(window, status, None, None, None))
        else:
            states.append(
                VisitState(
                    window,
                    VisitStatus.DONE,
                    on,
                    window.days_outside(on),
                    (on - window.target).days,
                )
            )
    confirmation = None
    if pending is not None:
        earliest = date_of_day(randomized_on, pending.drop_day + 1)
        latest = date_of_day(randomized_on, pending.latest_day)
        confirmation = ConfirmationVisit(
            drop_on=date_of_day(randomized_on, pending.drop_day),
            earliest=earliest,
            latest=latest,
            status=_status(earliest, latest, today),
        )
    return VisitCalendar(randomized_on, today, tuple(states), confirmation)


__all__ = [
    "ConfirmationVisit",
    "PendingConfirmation",
    "VisitCalendar",
    "VisitState",
    "VisitStatus",
    "VisitWindow",
    "date_of_day",
    "pending_confirmation",
    "study_day",
    "visit_calendar",
    "visit_windows",
]
