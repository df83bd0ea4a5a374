"""The pre-taper reference: the mean (or median) of the last N assessments up to the taper.

Hand-worked on piepers-2007 (taper from day 91; visits on days 0, 30, 61, 91, 122...):
MRC sum 84, 86, 86 and a lucky-high 90 on day 91. The default reference is the mean of
the last three, (86 + 86 + 90) / 3 = 87.33; the median of them is 86; the old rule (the
last value alone, N = 1) gave 90.
"""

from __future__ import annotations

import pytest

from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import TaperState
from mmntrial.protocol.model import Protocol, Statistic
from tests.engine.builders import history, piepers, with_deterioration

PRE_TAPER = {
    0: {"mrc_sum": 84.0},
    30: {"mrc_sum": 86.0},
    61: {"mrc_sum": 86.0},
    91: {"mrc_sum": 90.0},
}


def _day_140(protocol: Protocol, mrc_on_day_122: float) -> DecisionRecord:
    patient = history(changes={**PRE_TAPER, 122: {"mrc_sum": mrc_on_day_122}})
    records = replay(protocol, [patient]).decisions[0]
    assert replay(protocol, [history("A"), patient]).decisions[1] == records
    return next(r for r in records if r.day == 140)


def _mrc(record: DecisionRecord) -> tuple[float | None, bool]:
    criterion = next(c for c in record.criteria if c.measure == "mrc_sum")
    return criterion.reference, criterion.fired


def test_the_default_reference_is_the_mean_of_the_last_three() -> None:
    p = piepers()
    assert p.deterioration.reference_assessments == 3
    record = _day_140(p, 86.0)  # 1.3 below the mean: no drop (90 alone would give 4)
    reference, fired = _mrc(record)
    assert reference == pytest.approx(87.3333, abs=1e-3)
    assert not fired
    assert record.state is TaperState.TAPERING
    reference, fired = _mrc(_day_140(p, 85.0))  # 2.3 below: a drop to confirm
    assert fired


def test_the_median_ignores_one_outlier() -> None:
    p = with_deterioration(piepers(), reference_statistic=Statistic.MEDIAN)
    reference, fired = _mrc(_day_140(p, 85.0))
    assert reference == 86.0
    assert not fired


def test_one_assessment_is_the_old_rule() -> None:
    p = with_deterioration(piepers(), reference_assessments=1)
    reference, fired = _mrc(_day_140(p, 86.0))
    assert reference == 90.0
    assert fired


def test_fewer_assessments_than_n_make_the_reference_of_those_made() -> None:
    p = with_deterioration(piepers(), reference_assessments=6)
    reference, _ = _mrc(_day_140(p, 86.0))
    assert reference == pytest.approx((84 + 86 + 86 + 90) / 4)
