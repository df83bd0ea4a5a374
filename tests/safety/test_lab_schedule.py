"""The study drug's lab schedule as due days, and each due sample's status."""

from __future__ import annotations

from datetime import date, timedelta

from mmntrial.protocol.loader import load_protocol
from mmntrial.safety.lab_schedule import SampleStatus, due_dates, due_days, schedule_status

SCHEDULE = load_protocol("piepers-2007").safety.lab_schedule
START = date(2026, 3, 2)


def test_mmf_weekly_then_twice_monthly_then_monthly() -> None:
    assert SCHEDULE is not None
    days = due_days(SCHEDULE)
    assert days[:4] == (0, 7, 14, 21)  # weekly in month 1
    assert days[4:9] == (28, 42, 56, 70, 84)  # twice monthly in months 2-3
    assert days[9:] == (91, 121, 151, 181, 211, 241, 271, 301, 331, 361)  # monthly
    assert due_dates(SCHEDULE, START)[1] == date(2026, 3, 9)


def test_a_sample_at_the_window_edge_counts_and_one_past_it_does_not() -> None:
    assert SCHEDULE is not None
    due = START + timedelta(days=7)
    labs = SCHEDULE.labs
    today = START + timedelta(days=40)
    edge = [(lab, due + timedelta(days=3)) for lab in labs]
    past = [(lab, due + timedelta(days=4)) for lab in labs]
    assert schedule_status(SCHEDULE, START, edge, today)[1].status is SampleStatus.DONE
    missed = schedule_status(SCHEDULE, START, past, today)[1]
    assert missed.status is SampleStatus.MISSED
    assert missed.missing == labs


def test_a_sample_lacking_one_lab_names_it_and_later_ones_are_open_or_upcoming() -> None:
    assert SCHEDULE is not None
    today = START + timedelta(days=8)
    taken = [(lab, START) for lab in SCHEDULE.labs if lab != "creatinine"]
    status = schedule_status(SCHEDULE, START, taken, today)
    assert status[0].status is SampleStatus.MISSED
    assert status[0].missing == ("creatinine",)
    assert status[1].status is SampleStatus.OPEN  # day 7, window until day 10
    assert status[2].status is SampleStatus.UPCOMING  # day 14, window from day 11
    assert status[1].latest == START + timedelta(days=10)
