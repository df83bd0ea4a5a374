"""Confirmation: the repeat assessment must show the drop against the reference too, or
(deterioration.confirm_by = "mean_of_two") the mean of the first and repeat values must.

Hand-worked on piepers-2007 (reference MRC sum 86, threshold 2): MRC 83 on day 152 (a
drop of 3), then 84.5 at the repeat on day 160: 1.5 below the reference, so the repeat
alone refutes the drop; the mean of the two, 83.75, is 2.25 below, so it confirms.
"""

from __future__ import annotations

from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action, TaperState
from mmntrial.protocol.model import ConfirmBy, Protocol
from tests.engine.builders import history, piepers, with_deterioration

PATIENT = history(changes={152: {"mrc_sum": 83.0}, 160: {"mrc_sum": 84.5}})


def _days(protocol: Protocol) -> dict[int, DecisionRecord]:
    records = replay(protocol, [PATIENT]).decisions[0]
    assert replay(protocol, [history("A"), PATIENT]).decisions[1] == records
    return {r.day: r for r in records}


def _mrc(record: DecisionRecord) -> tuple[float | None, bool]:
    criterion = next(c for c in record.criteria if c.measure == "mrc_sum")
    return criterion.value, criterion.fired


def test_by_default_the_repeat_itself_must_show_the_drop() -> None:
    p = piepers()
    assert p.deterioration.confirm_by is ConfirmBy.REPEAT
    days = _days(p)
    assert _mrc(days[168]) == (84.5, False)
    assert days[168].action is Action.REDUCE  # refuted: the taper goes on
    assert days[364].deteriorations == 0


def test_the_mean_of_the_two_values_can_confirm() -> None:
    days = _days(with_deterioration(piepers(), confirm_by=ConfirmBy.MEAN_OF_TWO))
    assert _mrc(days[168]) == (83.75, True)  # what was judged: the mean
    assert days[168].action is Action.RESTORE
    assert days[168].restored_day == 160
    assert days[168].state is TaperState.RESTORED
