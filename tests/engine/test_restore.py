"""Where a confirmed deterioration returns the dose: taper.restore_to.

One hand-worked history on piepers-2007 with a step every 8 weeks (days 112, 168, 224;
25% of baseline per step) and monthly visits: quiet at days 122 and 152 (two
assessments at 75%: stable there), quiet at 182 (one at 50%), day 213 missed, then a
grip drop at day 243 (at 25%) confirmed by the repeat on day 250. The restore is given
at the day-252 infusion.
"""

from __future__ import annotations

import pytest

from mmntrial.engine.explain import explain
from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action
from mmntrial.protocol.model import Cadence, Protocol, RestoreTo
from tests.engine.builders import (
    VISIT_DAYS,
    history,
    piepers,
    stable_twice,
    with_deterioration,
    with_taper,
)

SLOW = stable_twice(with_taper(piepers(), cadence=Cadence.EVERY_N_WEEKS, cadence_weeks=8))
PATIENT = history(
    visit_days=tuple(d for d in VISIT_DAYS if d != 213),
    changes={243: {"grip_kpa:left": 40.0}, 250: {"grip_kpa:left": 41.0}},
)


def _days(protocol: Protocol) -> dict[int, DecisionRecord]:
    records = replay(protocol, [PATIENT]).decisions[0]
    batch = replay(protocol, [history("A"), PATIENT]).decisions[1]
    assert batch == records  # the vectorized path decides as the one-patient path
    return {r.day: r for r in records}


def test_the_taper_reaches_25_percent_before_the_drop() -> None:
    days = _days(SLOW)
    assert [days[d].action for d in (112, 168, 224)] == [Action.REDUCE] * 3
    assert days[224].percent_of_baseline == 25.0
    assert days[252].action is Action.RESTORE


@pytest.mark.parametrize(
    ("restore_to", "percent"),
    [
        (RestoreTo.ONE_LEVEL, 50.0),  # one level up from 25%
        (RestoreTo.LAST_STABLE, 75.0),  # 50% had one quiet assessment only; 75% had two
        (RestoreTo.BASELINE, 100.0),
    ],
)
def test_each_restore_policy(restore_to: RestoreTo, percent: float) -> None:
    p = with_taper(SLOW, restore_to=restore_to)
    days = _days(p)
    assert days[252].action is Action.RESTORE
    assert days[252].percent_of_baseline == percent
    assert days[364].percent_of_baseline == percent  # restore_and_stop: held there


def test_the_built_in_default_is_the_last_stable_dose() -> None:
    assert piepers().taper.restore_to is RestoreTo.LAST_STABLE
    text = explain(SLOW, _days(SLOW)[252])
    assert "restore the last level the patient was stable at (level 1)" in text


def test_one_quiet_assessment_is_stable_when_the_protocol_says_so() -> None:
    # piepers-2007 itself takes one quiet, fully judged assessment as stable: the one at
    # 50% (day 182) makes 50% the last stable level.
    assert piepers().deterioration.stable_assessments == 1
    days = _days(with_taper(piepers(), cadence=Cadence.EVERY_N_WEEKS, cadence_weeks=8))
    assert days[252].action is Action.RESTORE
    assert days[252].percent_of_baseline == 50.0


def test_one_quiet_assessment_shows_stability_when_the_protocol_says_so() -> None:
    p = with_deterioration(SLOW, stable_assessments=1)
    assert _days(p)[252].percent_of_baseline == 50.0  # day 182 alone shows 50% stable


def test_a_restore_is_always_at_least_one_level_up() -> None:
    # Stable at 75% counts only up to the level that failed: a drop at 75% itself (no
    # lower level shown stable) goes back to baseline under every policy.
    drop_early = history(changes={122: {"mrc_sum": 80.0}, 129: {"mrc_sum": 80.0}})
    for restore_to in RestoreTo:
        p = with_taper(SLOW, restore_to=restore_to)
        days = {r.day: r for r in replay(p, [drop_early]).decisions[0]}
        assert days[140].action is Action.RESTORE
        assert days[140].percent_of_baseline == 100.0
