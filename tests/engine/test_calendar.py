"""The visit calendar, hand-worked on piepers-2007 randomized on Thursday 15 January 2026.

Study days of the schedule (M0 day 0 window 0, M1 day 30, M2 day 61, M3 day 91, ... all
+/-7 days) counted on a paper calendar from 15 January (day 0): January has 16 more
days (day 16 = 31 Jan), February 28 (day 44 = 28 Feb), March 31 (day 75 = 31 Mar), so
day 30 = 14 Feb, day 61 = 17 Mar, day 91 = 16 Apr; day 365 = 15 Jan 2027.
"""

from __future__ import annotations

from datetime import date

import pytest

from mmntrial.engine.calendar import (
    PendingConfirmation,
    VisitStatus,
    date_of_day,
    pending_confirmation,
    study_day,
    visit_calendar,
    visit_windows,
)
from mmntrial.engine.replay import replay
from mmntrial.errors import EngineError
from mmntrial.protocol.loader import load_protocol
from tests.engine.builders import history, infusions, piepers

RANDOMIZED = date(2026, 1, 15)


def test_targets_and_windows_match_the_hand_worked_calendar() -> None:
    windows = {w.name: w for w in visit_windows(load_protocol("piepers-2007"), RANDOMIZED)}
    assert (windows["M0"].target, windows["M0"].earliest, windows["M0"].latest) == (
        RANDOMIZED,
        RANDOMIZED,
        RANDOMIZED,
    )
    assert (windows["M1"].target, windows["M1"].earliest, windows["M1"].latest) == (
        date(2026, 2, 14),
        date(2026, 2, 7),
        date(2026, 2, 21),
    )
    assert windows["M2"].target == date(2026, 3, 17)
    assert (windows["M3"].target, windows["M3"].earliest, windows["M3"].latest) == (
        date(2026, 4, 16),
        date(2026, 4, 9),
        date(2026, 4, 23),
    )
    assert windows["M12"].target == date(2027, 1, 15)


def test_done_visits_say_in_or_out_of_window_and_by_how_many_days() -> None:
    recorded = {
        "M0": RANDOMIZED,
        "M1": date(2026, 2, 21),  # the last day of the window: in
        "M2": date(2026, 3, 9),  # window opens 10 Mar: one day early
        "M3": date(2026, 4, 26),  # window closed 23 Apr: three days late
    }
    cal = visit_calendar(load_protocol("piepers-2007"), RANDOMIZED, recorded, date(2026, 4, 30))
    done = {v.window.name: v for v in cal.with_status(VisitStatus.DONE)}
    assert [(n, v.days_outside_window, v.days_from_target) for n, v in done.items()] == [
        ("M0", 0, 0),
        ("M1", 0, 7),
        ("M2", -1, -8),
        ("M3", 3, 10),
    ]
    assert [v.in_window for v in done.values()] == [True, True, False, False]


def test_open_visits_are_upcoming_due_or_overdue_on_today() -> None:
    p = load_protocol("piepers-2007")
    # M4 is day 122 = 17 May 2026, window 10-24 May.
    recorded = {name: date_of_day(RANDOMIZED, d) for name, d in (("M0", 0), ("M1", 30))}
    cal = visit_calendar(p, RANDOMIZED, recorded, today=date(2026, 5, 10))
    statuses = {v.window.name: v.status for v in cal.visits}
    assert statuses["M2"] is VisitStatus.OVERDUE
    assert statuses["M3"] is VisitStatus.OVERDUE
    assert statuses["M4"] is VisitStatus.DUE  # the first day of its window
    assert statuses["M5"] is VisitStatus.UPCOMING
    day_before = visit_calendar(p, RANDOMIZED, recorded, today=date(2026, 5, 9))
    assert {v.window.name: v.status for v in day_before.visits}["M4"] is VisitStatus.UPCOMING
    last_day = visit_calendar(p, RANDOMIZED, recorded, today=date(2026, 5, 24))
    after = visit_calendar(p, RANDOMIZED, recorded, today=date(2026, 5, 25))
    assert {v.window.name: v.status for v in last_day.visits}["M4"] is VisitStatus.DUE
    assert {v.window.name: v.status for v in after.visits}["M4"] is VisitStatus.OVERDUE
    assert cal.confirmation is None


def test_a_drop_the_engine_waits_on_gives_a_confirmation_visit() -> None:
    # MRC 83 on day 152 against the reference of 86 (threshold 2): a drop to confirm
    # within piepers-2007's 14 days, so by day 166 = 30 June 2026 (day 152 = 16 June).
    protocol = piepers()
    # The history ends on day 152 (infusions every 28 days up to day 140): the data so far.
    patient = history(
        changes={152: {"mrc_sum": 83.0}},
        visit_days=(0, 30, 61, 91, 122, 152),
        regimen=infusions(until=153),
    )
    final = replay(protocol, [history("A", regimen=infusions(until=153)), patient]).final
    assert pending_confirmation(protocol, final, 0) is None  # the stable patient
    pending = pending_confirmation(protocol, final, 1)
    assert pending == PendingConfirmation(drop_day=152, latest_day=166)
    cal = visit_calendar(protocol, RANDOMIZED, {}, date(2026, 6, 20), pending)
    assert cal.confirmation is not None
    assert cal.confirmation.drop_on == date(2026, 6, 16)
    assert (cal.confirmation.earliest, cal.confirmation.latest) == (
        date(2026, 6, 17),
        date(2026, 6, 30),
    )
    assert cal.confirmation.status is VisitStatus.DUE
    late = visit_calendar(protocol, RANDOMIZED, {}, date(2026, 7, 1), pending)
    assert late.confirmation is not None
    assert late.confirmation.status is VisitStatus.OVERDUE


def test_a_confirmed_or_refuted_drop_needs_no_confirmation_visit() -> None:
    protocol = piepers()
    refuted = history(changes={152: {"mrc_sum": 83.0}, 160: {"mrc_sum": 86.0}})
    final = replay(protocol, [refuted]).final
    assert pending_confirmation(protocol, final, 0) is None


def test_bad_calendar_input_names_the_field() -> None:
    p = load_protocol("piepers-2007")
    with pytest.raises(EngineError, match="recorded visit: got 'M13', expected a visit"):
        visit_calendar(p, RANDOMIZED, {"M13": RANDOMIZED}, date(2026, 3, 1))
    with pytest.raises(EngineError, match="recorded visit M1: got date 2026-03-02, expected"):
        visit_calendar(p, RANDOMIZED, {"M1": date(2026, 3, 2)}, date(2026, 3, 1))
    with pytest.raises(EngineError, match="got study day 36524"):
        study_day(RANDOMIZED, date(2126, 1, 15))
    final = replay(piepers(), [history()]).final
    with pytest.raises(EngineError, match="patient: got 1, expected an index from 0 to 0"):
        pending_confirmation(p, final, 1)
