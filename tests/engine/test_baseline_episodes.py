"""Episodes at the full baseline dose are reported as such, not counted as taper failures.

Hand-worked on piepers-2007 (taper from day 91, first step at the day-112 infusion,
restore_to = last_stable).
"""

from __future__ import annotations

from mmntrial.engine.endpoints import endpoint_values
from mmntrial.engine.explain import explain
from mmntrial.engine.replay import DecisionRecord, replay
from mmntrial.engine.states import Action
from mmntrial.measures.history import PatientHistory
from mmntrial.protocol.model import Protocol
from tests.engine.builders import history, piepers, stable_twice


def _days(patient: PatientHistory, protocol: Protocol | None = None) -> dict[int, DecisionRecord]:
    protocol = protocol or piepers()
    records = replay(protocol, [patient]).decisions[0]
    assert replay(protocol, [history("A"), patient]).decisions[1] == records
    return {r.day: r for r in records}


def test_an_episode_before_the_first_step_is_at_baseline() -> None:
    # MRC 83 on day 100 and at the repeat on day 105, before any dose was lowered.
    patient = history(changes={100: {"mrc_sum": 83.0}, 105: {"mrc_sum": 83.0}})
    days = _days(patient)
    assert days[112].action is Action.RESTORE
    assert days[112].percent_of_baseline == 100.0
    assert days[112].at_baseline
    assert (days[112].deteriorations, days[112].baseline_episodes) == (0, 1)
    text = explain(piepers(), days[112])
    assert "Deterioration confirmed on day 105 at the full baseline dose" in text
    assert "not a taper failure" in text
    (values,) = endpoint_values(piepers(), replay(piepers(), [patient]))
    assert values.first_deterioration_day is None
    assert values.deteriorations == 0


def test_a_second_episode_after_a_restore_to_baseline_is_at_baseline() -> None:
    # A taper failure at 25% (drop on day 182, confirmed on 189, full dose from 196: no
    # lower dose had two quiet assessments), then another drop at the full dose (243,
    # confirmed on 250).
    patient = history(
        changes={
            182: {"mrc_sum": 83.0},
            189: {"mrc_sum": 83.0},
            243: {"mrc_sum": 83.0},
            250: {"mrc_sum": 83.0},
        }
    )
    days = _days(patient, stable_twice(piepers()))
    assert days[196].action is Action.RESTORE
    assert not days[196].at_baseline
    assert (days[196].deteriorations, days[196].baseline_episodes) == (1, 0)
    assert days[252].action is Action.RESTORE
    assert days[252].at_baseline
    assert (days[252].deteriorations, days[252].baseline_episodes) == (1, 1)
    (values,) = endpoint_values(piepers(), replay(piepers(), [patient]))
    assert values.first_deterioration_day == 189
