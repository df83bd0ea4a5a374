"""A patient's history refuses what the engine cannot judge: conflicts and nonsense days."""

from __future__ import annotations

import pytest

from mmntrial.errors import HistoryError
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.ivig import Infusion


def _infusion(day: int, dose_g: float = 40) -> Infusion:
    return Infusion(day, dose_g, 70, 28, "Privigen", "IV")


def test_two_infusions_on_one_day_are_refused() -> None:
    with pytest.raises(HistoryError, match=r"subject P1: infusions: got two or more on day"):
        PatientHistory("P1", (_infusion(-56), _infusion(-28), _infusion(-28, 120)))


def test_two_assessments_on_one_day_are_refused() -> None:
    twice = (Assessment(0, {"mrc_sum": 80}), Assessment(0, {"mrc_sum": 81}))
    with pytest.raises(HistoryError, match=r"assessments: got two or more on day\(s\) 0"):
        PatientHistory("P1", (_infusion(-28),), twice)


def test_a_day_ten_years_away_and_a_subject_with_an_escape_are_refused() -> None:
    with pytest.raises(HistoryError, match=r"day: got 100000000000, expected a whole study day"):
        PatientHistory("P1", (_infusion(100_000_000_000),))
    with pytest.raises(HistoryError, match=r"subject: got 'P1\\x1b\[2J'"):
        PatientHistory("P1\x1b[2J", (_infusion(-28),))
