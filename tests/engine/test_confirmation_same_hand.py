"""A repeat assessment confirms a hand's drop only if the same hand shows it again.

Hand-worked on piepers-2007 (grip criterion "either" hand, threshold 8 kPa, reference
52 kPa left and 60 kPa right): the left hand reads 40 on day 152 (12 below) and opens a
confirmation. At the repeat on day 160 the left hand is back to 52 but the right hand
reads 50 (10 below). The left drop is refuted and the right drop opens a confirmation of
its own: noise in two hands at two visits must not add up to one episode.
"""

from __future__ import annotations

import numpy as np

from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.rules import compile_rules, evaluate
from mmntrial.engine.states import Action, TaperState
from mmntrial.measures.history import PatientHistory
from tests.engine.builders import history, piepers

LEFT_THEN_RIGHT = {152: {"grip_kpa:left": 40.0}, 160: {"grip_kpa:right": 50.0}}
NAN = float("nan")


def _days(patient: PatientHistory) -> dict[int, DecisionRecord]:
    records = replay(piepers(), [patient]).decisions[0]
    assert replay(piepers(), [history("A"), patient]).decisions[1] == records
    return {r.day: r for r in records}


def test_the_other_hand_at_the_repeat_does_not_confirm_the_first_drop() -> None:
    days = _days(history(changes={**LEFT_THEN_RIGHT, 172: {"grip_kpa:right": 60.0}}))
    assert days[168].action is not Action.RESTORE
    assert days[168].state is TaperState.CONFIRMING
    assert days[168].pending_day == 160  # the right hand's drop waits for its own repeat
    assert all(r.deteriorations == 0 for r in days.values())


def test_the_same_hand_at_the_repeat_confirms() -> None:
    days = _days(history(changes={152: {"grip_kpa:left": 40.0}, 160: {"grip_kpa:left": 41.0}}))
    assert days[168].action is Action.RESTORE
    assert days[168].deteriorations == 1


def test_the_other_hands_drop_is_confirmed_by_its_own_repeat() -> None:
    days = _days(history(changes={**LEFT_THEN_RIGHT, 172: {"grip_kpa:right": 49.0}}))
    assert days[168].deteriorations == 0
    assert days[196].action is Action.RESTORE
    assert days[196].deteriorations == 1


def test_a_repeat_without_the_hand_that_dropped_does_not_refute_it() -> None:
    # Only the right hand measured at the repeat on day 160: the left drop is not judged
    # again, so the window closes on day 166 without a repeat and, as piepers-2007 says
    # (unrepeated = "counts"), the drop counts: the dose is restored on day 168.
    days = _days(history(changes={152: {"grip_kpa:left": 40.0}, 160: {"grip_kpa:left": NAN}}))
    assert days[168].action is Action.RESTORE
    assert days[168].deteriorations == 1


def test_the_sides_that_fired_and_were_judged_are_reported_per_criterion() -> None:
    rules = compile_rules(piepers())
    grip = [c.measure for c in rules.criteria].index("grip_kpa")
    reference = np.array([[86.0, 52.0, 60.0, 2.0]] * 3)
    now = np.array([[86.0, 40.0, 60.0, 2.0], [86.0, 40.0, 50.0, 2.0], [86.0, NAN, 50.0, 2.0]])
    result = evaluate(rules, now, reference, reference)
    assert result.fired_sides[:, grip].tolist() == [1, 3, 2]
    assert result.judged_sides[:, grip].tolist() == [3, 3, 2]
