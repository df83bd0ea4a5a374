"""Hand-worked scenarios through the reference protocol (piepers-2007) and variants.

The regimen in every scenario: 40 g every 28 days at 70 kg (0.143 g/kg/week), infusions
on days -84, -56, -28 (baseline), 0, 28, ..., 364. The taper starts on day 91, so the
first step is at the day-112 infusion; 25% of baseline per infusion gives 75% (112),
50% (140), 25% (168), 0% (196). Monthly visits on days 0, 30, 61, 91, 122, 152, 182,
213, 243, 274, 304, 335, 365; the pre-taper reference is the day-91 visit.
"""

from __future__ import annotations

import pytest

from mmntrial.engine.endpoints import endpoint_values
from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action, TaperState
from mmntrial.measures.catalogue import Worse
from mmntrial.measures.ivig import Infusion
from mmntrial.protocol.model import (
    AfterDeterioration,
    Cadence,
    Criterion,
    Reference,
    Rescue,
    SideRule,
    TaperMode,
    Unrepeated,
)
from tests.engine.builders import (
    history,
    infusions,
    one_level,
    piepers,
    with_deterioration,
    with_taper,
)


def timeline(records: tuple[DecisionRecord, ...]) -> list[tuple[int, str, str, int]]:
    return [(r.day, r.action.label, r.state.label, pct(r)) for r in records if r.dose_g is not None]


def pct(record: DecisionRecord) -> int:
    """The percent of baseline intensity, rounded (a dose must have been given)."""
    assert record.percent_of_baseline is not None
    return round(record.percent_of_baseline)


def by_day(records: tuple[DecisionRecord, ...]) -> dict[int, DecisionRecord]:
    return {r.day: r for r in records}


def test_stable_patient_tapers_to_the_floor_and_stabilises() -> None:
    p = piepers()
    records = replay(p, [history()]).decisions[0]
    days = by_day(records)
    assert [days[d].action for d in (0, 28, 56, 84)] == [Action.BASELINE] * 4
    assert [pct(days[d]) for d in (112, 140, 168, 196)] == [75, 50, 25, 0]
    assert [days[d].action for d in (112, 140, 168, 196)] == [Action.REDUCE] * 4
    # The next step is due on day 224 but there is no lower level: the taper is complete.
    assert days[224].action is Action.HOLD
    assert days[224].state is TaperState.STABILISED
    assert days[364].dose_g == 0.0
    (values,) = endpoint_values(p, replay(p, [history()]))
    assert values.reached_primary
    assert values.reduction_percent == pytest.approx(100.0)


def test_deterioration_at_the_third_step_is_confirmed_and_restored() -> None:
    # Step 3 (25%) on day 168; grip left falls 10 kPa at the day-182 visit; a repeat on
    # day 189 shows it again: confirmed on day 189, restored to 50% at the day-196 infusion.
    p = one_level(piepers())  # restore_to = one_level; last_stable: test_restore.py
    patient = history(changes={182: {"grip_kpa:left": 42.0}, 189: {"grip_kpa:left": 41.0}})
    result = replay(p, [patient])
    days = by_day(result.decisions[0])
    assert days[168].action is Action.REDUCE
    assert pct(days[168]) == 25
    assert days[196].action is Action.RESTORE
    assert pct(days[196]) == 50
    assert days[196].restored_day == 189
    assert [days[d].action for d in (224, 252, 364)] == [Action.HOLD] * 3
    assert days[364].state is TaperState.RESTORED
    (values,) = endpoint_values(p, result)
    assert values.first_deterioration_day == 189
    assert values.deteriorations == 1
    assert values.reduction_percent == pytest.approx(50.0)
    assert values.reached_primary  # exactly 50% reaches a 50% endpoint


def test_a_single_noisy_drop_is_not_confirmed_and_the_taper_goes_on() -> None:
    # MRC sum falls 3 points at the day-152 visit (state: confirming) but is back to the
    # reference at the repeat on day 160: refuted, and the day-168 step goes ahead.
    p = piepers()
    patient = history(changes={152: {"mrc_sum": 83.0}, 160: {"mrc_sum": 86.0}})
    records = replay(p, [patient]).decisions[0]
    days = by_day(records)
    assert days[168].action is Action.REDUCE
    assert days[168].state is TaperState.TAPERING
    assert all(r.action is not Action.RESTORE for r in records)


def test_no_reduction_while_a_drop_awaits_confirmation() -> None:
    # The drop on day 161 is still within its 14-day window at the day-168 infusion.
    p = piepers()
    patient = history(changes={161: {"mrc_sum": 83.0}, 172: {"mrc_sum": 86.0}})
    days = by_day(replay(p, [patient]).decisions[0])
    assert days[168].action is Action.HOLD
    assert days[168].state is TaperState.CONFIRMING
    assert days[168].pending_day == 161
    assert days[196].action is Action.REDUCE  # refuted on day 172: tapering again


def test_missed_visits_hold_the_taper_and_a_missed_repeat_counts() -> None:
    # Visits 122 and 152 missed: no assessment since the step of day 112, so the engine
    # holds at 140 and 168 (missing data never lowers a dose) and steps again once day 182
    # is assessed. A drop on day 213 is never repeated within 14 days; with unrepeated =
    # "counts" it is confirmed at the next event after day 227.
    p = one_level(piepers())
    visits = tuple(d for d in (0, 30, 61, 91, 182, 213, 243, 274, 304, 335, 365))
    patient = history(visit_days=visits, changes={213: {"mrc_sum": 83.0}, 243: {"mrc_sum": 83.0}})
    days = by_day(replay(p, [patient]).decisions[0])
    assert [days[d].action for d in (112, 140, 168, 196)] == [
        Action.REDUCE,
        Action.HOLD,
        Action.HOLD,
        Action.REDUCE,
    ]
    assert [c.measure for c in days[140].criteria if c.unassessed] == [
        "mrc_sum",
        "grip_kpa",
        "gnds_upper",
    ]
    assert pct(days[196]) == 50
    assert days[224].action is Action.HOLD
    assert days[224].state is TaperState.CONFIRMING
    assert days[252].action is Action.RESTORE
    assert days[252].restored_day == 243
    # The drop still seen on day 243 is the same episode, not a second deterioration:
    # nothing more is restored, and the patient holds at 75% to the end.
    assert days[280].action is Action.HOLD
    assert days[364].deteriorations == 1
    assert pct(days[364]) == 75


def test_a_missed_repeat_is_dismissed_when_the_protocol_says_so() -> None:
    p = with_deterioration(piepers(), unrepeated=Unrepeated.DISMISSED)
    patient = history(changes={213: {"mrc_sum": 83.0}}, visit_days=(0, 30, 61, 91, 213, 300))
    days = by_day(replay(p, [patient]).decisions[0])
    assert days[224].state is TaperState.CONFIRMING
    assert days[252].state in (TaperState.TAPERING, TaperState.STABILISED)
    assert days[252].deteriorations == 0


def test_withdrawal_stops_recommendations_and_fails_the_primary_endpoint() -> None:
    p = piepers()
    result = replay(p, [history(withdrawal_day=200)])
    days = by_day(result.decisions[0])
    assert days[196].action is Action.REDUCE
    assert all(days[d].action is Action.NONE and days[d].dose_g is None for d in (224, 364))
    assert days[224].state is TaperState.WITHDRAWN
    (values,) = endpoint_values(p, result)
    assert values.withdrawn_day == 200
    assert not values.reached_primary  # withdrawal = "failure"


def test_interval_lengthening_keeps_the_dose_and_stretches_the_interval() -> None:
    # Dose kept at 42 g, interval 21 -> 28 -> 35 -> 42 days (floor 50% = 42 days).
    p = with_taper(
        piepers(),
        mode=TaperMode.INTERVAL,
        step_percent=None,
        interval_step_days=7,
        max_interval_days=56,
        floor_percent=50.0,
    )
    regimen = tuple(Infusion(d, 42.0, 70.0, 21, "Privigen", "IV") for d in (-63, -42, -21))
    # The given infusions follow the engine's intervals: 0, 21, ..., 84, 105, 133, 168, 210, 252.
    given_days = (0, 21, 42, 63, 84, 105, 133, 168, 210, 252, 294, 336)
    regimen += tuple(Infusion(d, 42.0, 70.0, 21, "Privigen", "IV") for d in given_days)
    days = by_day(replay(p, [history(regimen=regimen)]).decisions[0])
    assert [days[d].interval_days for d in (84, 105, 133, 168)] == [21, 28, 35, 42]
    assert [days[d].dose_g for d in (84, 105, 133, 168)] == [42.0] * 4
    assert pct(days[168]) == 50
    assert days[210].action is Action.HOLD
    assert days[210].state is TaperState.STABILISED


def test_levels_every_12_weeks_then_resume_after_stable_weeks() -> None:
    # CIDP-style levels 90/75/50/25/0 every 12 weeks; after a confirmed deterioration the
    # taper resumes after 8 stable weeks.
    p = with_taper(
        piepers(),
        mode=TaperMode.LEVELS,
        step_percent=None,
        levels_percent=(90.0, 75.0, 50.0, 25.0, 0.0),
        cadence=Cadence.EVERY_N_WEEKS,
        cadence_weeks=12,
        after_deterioration=AfterDeterioration.RESTORE_AND_RESUME,
        resume_after_weeks=8,
    )
    patient = history(changes={213: {"mrc_sum": 83.0}, 220: {"mrc_sum": 83.0}})
    records = replay(p, [patient]).decisions[0]
    days = by_day(records)
    assert days[112].action is Action.REDUCE
    assert pct(days[112]) == 90
    assert days[140].action is Action.HOLD  # 4 weeks after the last step: not due
    assert days[196].action is Action.REDUCE
    assert pct(days[196]) == 75
    assert days[224].action is Action.RESTORE
    assert pct(days[224]) == 90
    # Restored on day 220: 8 stable weeks later (day 276) tapering may resume, and the
    # cadence restarts at the restore (day 224), so the next step waits until day 308.
    assert days[280].action is Action.HOLD
    assert days[280].state is TaperState.TAPERING
    assert days[308].action is Action.REDUCE
    assert pct(days[308]) == 75


def test_severe_deterioration_triggers_rescue_without_confirmation() -> None:
    severe = Criterion("mrc_sum", 6.0, Worse.DECREASE, Reference.PRE_TAPER)
    p = with_taper(one_level(piepers()), rescue=Rescue(dose_g_per_kg=2.0, criteria=(severe,)))
    patient = history(changes={182: {"mrc_sum": 78.0}})
    days = by_day(replay(p, [patient]).decisions[0])
    assert days[196].action is Action.RESCUE
    assert days[196].dose_g == pytest.approx(140.0)  # 2 g/kg at 70 kg
    assert days[224].action is Action.HOLD
    assert pct(days[224]) == 50  # one level back from 25%


def test_best_on_study_reference_follows_improvement() -> None:
    # Grip improves from 52 to 60 kPa on day 122 and holds at 59 on day 152; a fall to
    # 51 kPa on day 161 is a drop of 9 from the best value, but only 1 from pre-taper.
    base = piepers()
    grip_best = Criterion("grip_kpa", 8.0, Worse.DECREASE, Reference.BEST_ON_STUDY, SideRule.EITHER)
    p = with_deterioration(base, criteria=(grip_best,))
    patient = history(
        changes={
            122: {"grip_kpa:left": 60.0},
            152: {"grip_kpa:left": 59.0},
            161: {"grip_kpa:left": 51.0},
        }
    )
    days = by_day(replay(p, [patient]).decisions[0])
    assert days[168].state is TaperState.CONFIRMING
    (grip,) = days[168].criteria
    assert grip.reference == 60.0
    assert grip.value == 51.0
    assert grip.fired
    assert days[168].action is Action.HOLD
    pre = by_day(replay(base, [patient]).decisions[0])
    assert pre[168].action is Action.REDUCE


def test_identical_input_gives_identical_output() -> None:
    p = piepers()
    patient = history(changes={182: {"grip_kpa:left": 42.0}, 189: {"grip_kpa:left": 41.0}})
    assert replay(p, [patient]).decisions == replay(p, [patient]).decisions


def test_timeline_of_the_reference_patient() -> None:
    records = replay(piepers(), [history()]).decisions[0]
    assert timeline(records)[3:9] == [
        (84, "baseline", "run_in", 100),
        (112, "reduce", "tapering", 75),
        (140, "reduce", "tapering", 50),
        (168, "reduce", "tapering", 25),
        (196, "reduce", "tapering", 0),
        (224, "hold", "stabilised", 0),
    ]


def test_infusions_are_the_decision_points() -> None:
    records = replay(piepers(), [history(regimen=infusions(every_days=21))]).decisions[0]
    assert [r.day for r in records] == list(range(0, 365, 21))
