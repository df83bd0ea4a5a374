"""A repeat assessment confirms a drop only if the same criterion shows it again.

Hand-worked on piepers-2007 (combine = "any"; reference MRC sum 86, grip 52 kPa left,
thresholds 2 points and 8 kPa): MRC 83 on day 152 opens a confirmation; at the repeat on
day 160 MRC is back to 86 but the left grip reads 40. The MRC drop is refuted, and the
grip drop is a new drop with a confirmation of its own, never the confirmation of the
MRC drop: noise in two measures at two visits must not add up to one episode.
"""

from __future__ import annotations

from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action, TaperState
from mmntrial.measures.history import PatientHistory
from tests.engine.builders import history, piepers

FIRST = {152: {"mrc_sum": 83.0}, 160: {"grip_kpa:left": 40.0}}


def _days(patient: PatientHistory) -> dict[int, DecisionRecord]:
    records = replay(piepers(), [patient]).decisions[0]
    assert replay(piepers(), [history("A"), patient]).decisions[1] == records
    return {r.day: r for r in records}


def test_another_criterion_at_the_repeat_does_not_confirm_the_first_drop() -> None:
    days = _days(history(changes={**FIRST, 172: {"grip_kpa:left": 52.0}}))
    assert days[168].action is not Action.RESTORE
    assert days[168].state is TaperState.CONFIRMING
    assert days[168].pending_day == 160  # the grip drop waits for its own repeat
    assert days[168].deteriorations == 0
    # The grip's repeat on day 172 is back to the reference: nothing was confirmed.
    assert all(r.deteriorations == 0 for r in days.values())


def test_the_new_drop_is_confirmed_by_its_own_repeat() -> None:
    days = _days(history(changes={**FIRST, 172: {"grip_kpa:left": 41.0}}))
    assert days[168].deteriorations == 0
    assert days[196].action is Action.RESTORE
    assert days[196].deteriorations == 1
