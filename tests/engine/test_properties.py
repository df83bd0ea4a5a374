"""Property tests over random patient histories: batch equals one-by-one, and invariants.

Histories are drawn around the stable values of ``builders.STABLE``: each visit may be
missed, each value may drop or rise by up to 12 units, extra repeat visits may follow,
and the patient may withdraw. Protocol variants cover every taper mode, cadence and
after-deterioration rule.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action, TaperState
from mmntrial.measures.catalogue import Worse
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.ivig import Infusion
from mmntrial.protocol.model import (
    AfterDeterioration,
    Cadence,
    ConfirmBy,
    Criterion,
    Protocol,
    Reference,
    Rescue,
    RestoreTo,
    Statistic,
    TaperMode,
)
from tests.engine.builders import STABLE, VISIT_DAYS, piepers, with_deterioration, with_taper

_BASE = piepers()
_SEVERE = Rescue(2.0, (Criterion("mrc_sum", 6.0, Worse.DECREASE, Reference.PRE_TAPER),))
VARIANTS: tuple[Protocol, ...] = (
    _BASE,
    with_taper(_BASE, rescue=_SEVERE, floor_percent=25.0),
    with_taper(
        _BASE,
        mode=TaperMode.LEVELS,
        step_percent=None,
        levels_percent=(90.0, 75.0, 50.0, 25.0, 0.0),
        cadence=Cadence.EVERY_N_WEEKS,
        cadence_weeks=12,
        after_deterioration=AfterDeterioration.RESTORE_AND_RESUME,
        resume_after_weeks=8,
    ),
    with_taper(
        _BASE,
        mode=TaperMode.INTERVAL,
        step_percent=None,
        interval_step_days=7,
        max_interval_days=70,
        floor_percent=40.0,
    ),
    # Every other engine setting away from its default.
    with_deterioration(
        with_taper(_BASE, restore_to=RestoreTo.BASELINE, rescue=_SEVERE),
        confirm_by=ConfirmBy.MEAN_OF_TWO,
        reference_assessments=2,
        reference_statistic=Statistic.MEDIAN,
        stable_assessments=1,
        renew_reference_after=1,
        assessed_within_days=35,
    ),
    with_taper(_BASE, restore_to=RestoreTo.ONE_LEVEL),
)


@st.composite
def histories(draw: st.DrawFn, subject: str = "P") -> PatientHistory:
    every = draw(st.sampled_from((14, 21, 28, 35)))
    dose = draw(st.sampled_from((20.0, 35.0, 40.0, 60.0)))
    weight = draw(st.sampled_from((55.0, 70.0, 92.5)))
    infusions = tuple(
        Infusion(d, dose, weight, every, "Privigen", "IV") for d in range(-3 * every, 366, every)
    )
    assessments = []
    for day in VISIT_DAYS:
        if draw(st.booleans()) and day > 0 and draw(st.integers(0, 5)) == 0:
            continue  # a missed visit
        values = {
            key: value + draw(st.sampled_from((0.0, 0.0, 0.0, -1.0, -3.0, -9.0, 2.0, 12.0)))
            for key, value in STABLE.items()
        }
        assessments.append(Assessment(day, values))
        if draw(st.integers(0, 3)) == 0:  # a repeat visit a few days later
            repeat = {
                key: value + draw(st.sampled_from((0.0, -9.0))) for key, value in STABLE.items()
            }
            assessments.append(Assessment(day + draw(st.integers(3, 20)), repeat))
    assessments.sort(key=lambda a: a.day)
    # Drop duplicate days (a repeat landing on the next visit): one assessment per day.
    unique = {a.day: a for a in assessments}
    withdrawal = draw(st.one_of(st.none(), st.integers(1, 364)))
    return PatientHistory(subject, infusions, tuple(unique.values()), withdrawal_day=withdrawal)


patients = st.lists(histories(), min_size=1, max_size=6).map(
    lambda hs: [
        PatientHistory(f"P{i}", h.infusions, h.assessments, h.withdrawal_day)
        for i, h in enumerate(hs)
    ]
)
_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(patients, st.sampled_from(VARIANTS))
def test_batch_decisions_equal_one_by_one(group: list[PatientHistory], protocol: Protocol) -> None:
    batch = replay(protocol, group).decisions
    single = tuple(replay(protocol, [patient]).decisions[0] for patient in group)
    assert batch == single


@_SETTINGS
@given(patients, st.sampled_from(VARIANTS))
def test_dose_stays_between_floor_and_baseline_except_rescue(
    group: list[PatientHistory], protocol: Protocol
) -> None:
    for record in replay(protocol, group).all_decisions():
        if record.action is Action.NONE:
            assert record.dose_g is None
            continue
        assert record.percent_of_baseline is not None
        if record.action is Action.RESCUE:
            continue
        assert record.percent_of_baseline <= 100.0 + 1e-6
        assert record.percent_of_baseline >= protocol.taper.floor_percent - 1e-6


@_SETTINGS
@given(patients, st.sampled_from(VARIANTS))
def test_no_reduction_while_a_drop_awaits_confirmation(
    group: list[PatientHistory], protocol: Protocol
) -> None:
    for patient in replay(protocol, group).decisions:
        for record in patient:
            if record.state is TaperState.CONFIRMING:
                assert record.action in (Action.HOLD, Action.RESTORE, Action.RESCUE)
            if record.action is Action.REDUCE:
                assert record.pending_day is None
                assert record.state is TaperState.TAPERING


@_SETTINGS
@given(patients, st.sampled_from(VARIANTS))
def test_each_reduction_is_one_level_and_restores_go_up(
    group: list[PatientHistory], protocol: Protocol
) -> None:
    for patient in replay(protocol, group).decisions:
        previous: DecisionRecord | None = None
        for record in patient:
            if previous is not None and record.action is Action.REDUCE:
                assert record.level == previous.level + 1
            if previous is not None and record.action in (Action.RESTORE, Action.RESCUE):
                assert record.level < max(previous.level, 1)
            previous = record


@_SETTINGS
@given(patients, st.sampled_from(VARIANTS))
def test_replay_is_deterministic(group: list[PatientHistory], protocol: Protocol) -> None:
    assert replay(protocol, group).decisions == replay(protocol, group).decisions


@_SETTINGS
@given(histories())
def test_an_unconfirmed_drop_never_stops_the_taper(patient: PatientHistory) -> None:
    # With every visit stable except refuted drops, nothing is ever restored.
    protocol = VARIANTS[0]
    stable = [a for a in patient.assessments if a.day in VISIT_DAYS]
    stable_values = tuple(Assessment(a.day, dict(STABLE)) for a in stable)
    noisy = []
    for a in stable_values:
        noisy.append(a)
        if 91 < a.day < 330:
            noisy.append(Assessment(a.day + 2, {**STABLE, "mrc_sum": STABLE["mrc_sum"] - 5}))
            noisy.append(Assessment(a.day + 9, dict(STABLE)))
    subject = PatientHistory("N", patient.infusions, tuple(noisy))
    records = replay(protocol, [subject]).decisions[0]
    assert all(r.action is not Action.RESTORE for r in records)
    assert all(r.deteriorations == 0 for r in records)


@_SETTINGS
@given(patients, st.sampled_from(VARIANTS))
def test_a_reduction_needs_every_criterion_judged_since_the_last_step(
    group: list[PatientHistory], protocol: Protocol
) -> None:
    # Missing data never lowers a dose: before each reduction, every deterioration
    # criterion was judged after the previous step or restore (the first: assessed at
    # all), or within the protocol's window before the infusion.
    window = protocol.deterioration.assessed_within_days
    for patient in replay(protocol, group).decisions:
        since: int | None = None
        for record in patient:
            if record.action is Action.REDUCE:
                for criterion in record.criteria:
                    if criterion.rescue:
                        continue
                    assert criterion.assessed_day is not None
                    if window is not None:
                        assert criterion.assessed_day >= record.day - window
                    else:
                        assert since is None or criterion.assessed_day > since
            since = record.last_step_day
