"""A renewed reference after a restore, once the patient is stable again.

Hand-worked on piepers-2007 (restore_to = last_stable, renew_reference_after = 3, two
quiet assessments in a row stable): MRC
sum 86 before the taper; steps on days 112, 140, 168; MRC 83 on day 182 and at the
repeat on day 189: confirmed, back to the full dose on day 196. At the full dose the
patient recovers to 87.5 on days 213, 243 and 274: three quiet assessments, so the
reference becomes their mean, 87.5, from day 274. On day 304 MRC is 85.5: 2 below the
renewed reference (a drop), though only 0.5 below the old one.
"""

from __future__ import annotations

from mmntrial.engine.explain import explain
from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import TaperState
from mmntrial.protocol.model import Protocol
from tests.engine.builders import history, piepers, stable_twice, with_deterioration

RECOVERED = {d: {"mrc_sum": 87.5} for d in (213, 243, 274)}
PATIENT = history(
    changes={182: {"mrc_sum": 83.0}, 189: {"mrc_sum": 83.0}, **RECOVERED, 304: {"mrc_sum": 85.5}}
)


def _days(protocol: Protocol) -> dict[int, DecisionRecord]:
    records = replay(protocol, [PATIENT]).decisions[0]
    assert replay(protocol, [history("A"), PATIENT]).decisions[1] == records
    return {r.day: r for r in records}


def _mrc(record: DecisionRecord) -> tuple[float | None, bool]:
    criterion = next(c for c in record.criteria if c.measure == "mrc_sum")
    return criterion.reference, criterion.fired


def test_three_quiet_assessments_after_a_restore_renew_the_reference() -> None:
    p = stable_twice(piepers())
    assert p.deterioration.renew_reference_after == 3
    days = _days(p)
    assert days[196].percent_of_baseline == 100.0  # restored
    assert days[252].reference_renewed_day is None  # two quiet assessments so far
    assert _mrc(days[252]) == (86.0, False)
    assert days[280].reference_renewed_day == 274
    assert _mrc(days[308]) == (87.5, True)
    assert days[308].state is TaperState.CONFIRMING
    assert "from the reference renewed on day 274 of 87.5 points" in explain(p, days[308])


def test_no_renewal_keeps_the_pre_taper_reference() -> None:
    days = _days(with_deterioration(piepers(), renew_reference_after=0))
    assert days[364].reference_renewed_day is None
    assert _mrc(days[308]) == (86.0, False)
    assert days[308].state is TaperState.RESTORED


def test_a_drop_starts_the_count_again() -> None:
    # Day 243 at 83.5 (2.5 below 86) fires and the repeat on day 250 (87.5) refutes it:
    # the quiet run restarts at 250, so 213 does not count, and the third quiet
    # assessment in a row is day 304 (86): the reference is the mean of 87.5, 87.5, 86.
    patient = history(
        changes={
            182: {"mrc_sum": 83.0},
            189: {"mrc_sum": 83.0},
            **RECOVERED,
            243: {"mrc_sum": 83.5},
            250: {"mrc_sum": 87.5},
        }
    )
    days = {r.day: r for r in replay(piepers(), [patient]).decisions[0]}
    assert days[280].reference_renewed_day is None
    assert days[308].reference_renewed_day == 304
    assert _mrc(days[336])[0] == 87.0
