"""The engine panel: one participant's next dose, its words, what is missing, its vials."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest

from mmntrial.dataset.histories import dataset_histories
from mmntrial.engine.explain import explain
from mmntrial.engine.panel import MissingKind, Panel, Repeat, engine_panel
from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action, TaperState
from mmntrial.errors import EngineError, MeasureError
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.vials import Rounding, SiteVials
from mmntrial.protocol.loader import builtin_names, load_protocol
from mmntrial.protocol.model import Protocol, SideRule
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_trial
from tests.engine.builders import STABLE, history, infusions, piepers, with_deterioration

RANDOMIZED = date(2026, 1, 15)
PROTOCOL = piepers()
# Two MRC drops of 6 points, confirmed on day 160: restore at the infusion of day 168.
DROPPED = {152: {"mrc_sum": 80.0}, 160: {"mrc_sum": 80.0}}


def on(day: int) -> date:
    return RANDOMIZED + timedelta(days=day)


def panel(h: PatientHistory, day: int, protocol: Protocol = PROTOCOL, **options: object) -> Panel:
    options.setdefault("weight_kg", 70.0)
    return engine_panel(protocol, h, RANDOMIZED, on(day), **options)  # type: ignore[arg-type]


def as_given(h: PatientHistory, protocol: Protocol = PROTOCOL) -> PatientHistory:
    """``h`` with every study infusion at the dose the engine recommended (the engine
    reads given doses only at baseline, so one replay gives them all)."""
    doses = {r.day: r.dose_g for r in replay(protocol, [h]).decisions[0]}
    given = tuple(
        i if i.day < 0 else dataclasses.replace(i, dose_g=doses[i.day])
        for i in h.infusions
        if i.day < 0 or doses[i.day] is not None
    )
    return dataclasses.replace(h, infusions=given)


def replayed(protocol: Protocol, h: PatientHistory, day: int) -> DecisionRecord:
    return next(r for r in replay(protocol, [h]).decisions[0] if r.day == day)


def test_the_current_regimen_is_the_latest_infusion_before_the_date() -> None:
    current = panel(as_given(history()), 120).current
    assert (current.day, current.dose_g, current.interval_days) == (112, 30.0, 28)
    assert current.given_on == on(112)
    assert current.next_due_on == on(140)
    assert current.intensity_g_per_kg_week == pytest.approx(30 / 70 / 4)
    assert current.percent_of_baseline == pytest.approx(75.0)


def test_the_decision_and_its_words_are_the_replayed_engines() -> None:
    h = history()
    for day, action in ((84, Action.BASELINE), (112, Action.REDUCE), (140, Action.REDUCE)):
        result = panel(h, day)
        assert result.decision == replayed(PROTOCOL, h, day)
        assert result.decision.action is action
        assert result.explanation == explain(PROTOCOL, result.decision)
        assert result.explanation in result.lines()


def test_a_date_between_infusions_asks_for_an_infusion_on_that_date() -> None:
    # The history runs to day 365; day 130 lies between the infusions of days 112 and 140,
    # and its panel reads the assessment of day 122 but not the drops of days 152 and 160.
    result = panel(history(changes=DROPPED), 130)
    assert (result.decision.day, result.decision.action) == (130, Action.REDUCE)
    assert result.current.day == 112
    assert result.decision.deteriorations == 0
    assert result.decision.level == 2
    assert result.decision.dose_g == pytest.approx(20.0)


@pytest.mark.parametrize("name", builtin_names())
def test_the_decision_equals_the_simulators_vectorized_decisions(name: str) -> None:
    """Per infusion of simulated patients: the dose the simulated site gave (decided by
    the simulator's vectorized engine) is the panel's decision on that day."""
    protocol = load_protocol(name)
    trial = simulate_trial(protocol, load_population("mmn-default"), effect=0.7, seed=2)
    given = trial.dataset.infusions[trial.dataset.infusions["day"] >= 0]
    actions = set()
    for h in dataset_histories(trial.dataset)[:5]:
        rows = given[given["subject_id"] == h.subject].sort_values("day")
        for row in rows.itertuples():
            result = engine_panel(
                protocol, h, RANDOMIZED, on(int(row.day)), weight_kg=float(row.weight_kg)
            )
            assert result.decision.action.label == row.action, (h.subject, row.day)
            assert result.decision.dose_g == pytest.approx(row.dose_g, rel=1e-9)
            assert result.decision.interval_days == row.interval_days
            actions.add(row.action)
    assert {"baseline", "reduce", "restore"} <= actions  # the decisions that move a dose


def _holds_the_current_dose(result: Panel) -> None:
    assert result.decision.action is Action.HOLD
    assert result.decision.dose_g == pytest.approx(result.current.dose_g)


def test_no_assessment_in_the_window_holds_and_says_since_when() -> None:
    protocol = with_deterioration(PROTOCOL, assessed_within_days=21)
    result = panel(as_given(history(visit_days=(0, 30, 61, 91)), protocol), 140, protocol)
    _holds_the_current_dose(result)
    missing = [m for m in result.missing if m.kind is MissingKind.NO_ASSESSMENT]
    assert [m.measure for m in missing] == ["mrc_sum", "grip_kpa", "gnds_upper"]
    assert {m.day for m in missing} == {119}
    assert "MRC sum not assessed since day 119" in missing[0].text


def test_one_hand_only_holds_when_the_rule_needs_both_hands() -> None:
    criteria = tuple(
        dataclasses.replace(c, side=SideRule.BOTH) if c.measure == "grip_kpa" else c
        for c in PROTOCOL.deterioration.criteria
    )
    protocol = with_deterioration(PROTOCOL, criteria=criteria)
    one_hand = {k: v for k, v in STABLE.items() if k != "grip_kpa:right"}
    h = history()
    h = dataclasses.replace(
        h,
        assessments=tuple(a if a.day != 122 else Assessment(122, one_hand) for a in h.assessments),
    )
    result = panel(as_given(h, protocol), 140, protocol)
    _holds_the_current_dose(result)
    [missing] = result.missing
    assert (missing.kind, missing.measure, missing.side, missing.day) == (
        MissingKind.ONE_HAND,
        "grip_kpa",
        "right",
        122,
    )
    # The same assessment under "either hand" is enough to step down.
    assert panel(h, 140).decision.action is Action.REDUCE


def test_a_value_with_no_reference_holds_and_says_so() -> None:
    h = history()
    no_gnds_before = tuple(
        a
        if a.day > 91
        else Assessment(a.day, {k: v for k, v in a.values.items() if k != "gnds_upper"})
        for a in h.assessments
    )
    # GNDS first measured on day 122, after the taper started: nothing to judge it by.
    result = panel(as_given(dataclasses.replace(h, assessments=no_gnds_before)), 140)
    _holds_the_current_dose(result)
    [missing] = result.missing
    assert (missing.kind, missing.measure, missing.day) == (
        MissingKind.NO_REFERENCE,
        "gnds_upper",
        122,
    )
    assert "no reference to be judged against (nothing measured before the taper)" in missing.text


def test_a_measure_never_assessed_before_the_first_step_holds() -> None:
    h = dataclasses.replace(history(), assessments=())
    result = panel(h, 112)
    _holds_the_current_dose(result)
    assert {m.kind for m in result.missing} == {MissingKind.NO_ASSESSMENT}
    assert all(m.day is None and "before the taper" in m.text for m in result.missing)


def test_no_weight_on_the_day_uses_the_latest_and_lists_the_weight_missing() -> None:
    regimen = infusions(weight_kg=80.0)
    h = history(regimen=tuple(i for i in regimen if i.day < 112))
    result = engine_panel(PROTOCOL, h, RANDOMIZED, on(112))
    assert result.weight_kg == 80.0
    [missing] = result.missing
    assert (missing.kind, missing.day) == (MissingKind.WEIGHT, 84)
    assert "weigh the patient" in missing.text
    weighed = panel(h, 112, weight_kg=60.0)
    assert weighed.missing == ()
    assert weighed.decision.dose_g == pytest.approx(result.decision.dose_g * 60 / 80)


def test_an_infusion_recorded_on_the_date_is_the_one_decided_keeping_its_weight() -> None:
    result = engine_panel(PROTOCOL, history(), RANDOMIZED, on(112))
    assert result.missing == ()
    assert result.weight_kg == 70.0
    assert result.decision == replayed(PROTOCOL, history(), 112)


def test_a_pending_drop_names_the_measure_the_hand_and_the_date() -> None:
    h = history(changes={152: {"grip_kpa:left": 40.0}})
    result = panel(h, 155)
    assert result.decision.state is TaperState.CONFIRMING
    assert result.holds
    assert result.pending is not None
    assert result.pending.repeats == (Repeat("grip_kpa", ("left",)),)
    assert (result.pending.visit.earliest, result.pending.visit.latest) == (on(153), on(166))
    assert "Repeat grip (left hand) from" in result.pending.text()
    assert panel(history(), 155).pending is None


def test_vials_round_to_the_nearest_and_never_below_a_restored_dose() -> None:
    h = history(changes=DROPPED, regimen=infusions(dose_g=41.0))
    site = SiteVials((2.5, 5, 10, 20), tolerance_percent=10)
    reduced, restored, held = (panel(h, day, vials=site) for day in (112, 168, 196))
    assert reduced.decision.action is Action.REDUCE
    assert restored.decision.action is Action.RESTORE
    assert held.decision.state is TaperState.RESTORED
    assert held.holds
    for result in (reduced, restored, held):
        assert result.decision.dose_g == pytest.approx(30.75)
    assert reduced.dispensed is not None
    assert reduced.dispensed.amount_g == 30.0
    assert reduced.dispensed.rounding is Rounding.NEAREST
    for result in (restored, held):
        assert result.dispensed is not None
        assert result.dispensed.amount_g == 32.5
        assert result.dispensed.rounding is Rounding.AT_LEAST
    assert reduced.dispensed_intensity_g_per_kg_week == pytest.approx(30 / 70 / 4)
    assert "Dispense 30 g: 1 x 20 g + 1 x 10 g" in reduced.lines()[-1]


def test_no_dispensable_dose_within_the_tolerance_leaves_it_to_the_investigator() -> None:
    h = history(regimen=infusions(dose_g=41.0))
    result = panel(h, 112, vials=SiteVials((20,), tolerance_percent=5))
    assert result.dispensed is not None
    assert result.dispensed.amount_g is None
    assert result.dispensed_intensity_g_per_kg_week is None
    assert "No dispensable dose within 5% of 30.75 g: 20 g below, 40 g above" in result.lines()[-1]


def test_a_withdrawn_participant_gets_no_dose_and_no_vials() -> None:
    result = panel(history(withdrawal_day=100), 112, vials=SiteVials((10,), 5))
    assert result.decision.action is Action.NONE
    assert result.dispensed is None
    assert result.dispensing_text() is None


def test_a_date_before_randomization_is_refused() -> None:
    with pytest.raises(EngineError, match=r"^today: got 2026-01-14 \(study day -1\), expected"):
        panel(history(), -1)


def test_a_bad_weight_is_refused_naming_the_field() -> None:
    with pytest.raises(MeasureError, match=r"^weight_kg: got 7000"):
        panel(history(), 112, weight_kg=7000)
