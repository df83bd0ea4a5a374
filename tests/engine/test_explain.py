"""Decisions in words name the rule, the values and the thresholds."""

from __future__ import annotations

from mmntrial.engine.explain import explain
from mmntrial.engine.replay import replay
from tests.engine.builders import history, piepers


def explanations(**kw: object) -> dict[int, str]:
    protocol = piepers()
    records = replay(protocol, [history(**kw)]).decisions[0]  # type: ignore[arg-type]
    return {r.day: explain(protocol, r) for r in records}


def test_a_drop_awaiting_confirmation_names_values_threshold_and_deadline() -> None:
    text = explanations(changes={161: {"grip_kpa:left": 43.0}, 172: {"grip_kpa:left": 52.0}})[168]
    assert text.startswith("Day 168: Hold at 20 g every 28 days")
    assert "grip (left hand) fell 9 kPa from the pre-taper reference of 52 kPa to 43 kPa" in text
    assert "(threshold 8 kPa)" in text
    assert "must be confirmed by a repeat assessment by day 175" in text


def test_a_restore_says_when_and_to_what() -> None:
    text = explanations(changes={182: {"mrc_sum": 83.0}, 189: {"mrc_sum": 82.0}})[196]
    assert "Deterioration confirmed on day 189" in text
    # restore_to = last_stable: 20 g had a quiet assessment on day 152 (one is stable in
    # piepers-2007); 10 g was never judged quiet.
    assert "restore the last level the patient was stable at (level 2), 20 g every 28 days" in text
    assert "(0.071 g/kg/week, 50% of baseline)" in text
    assert "MRC sum fell 4 points from the pre-taper reference of 86 points" in text


def test_quiet_assessments_list_every_criterion_briefly() -> None:
    text = explanations()[140]
    assert "Assessment of day 122, no criterion fired" in text
    assert "MRC sum 86 points vs reference 86 (fires at 2 down)" in text
    assert "GNDS upper limb 2 grade vs reference 2 (fires at 1 up)" in text


def test_withdrawal_and_floor_are_explained() -> None:
    assert "the taper reached its lowest level" in explanations()[224]
    text = explanations(withdrawal_day=200)[224]
    assert "Withdrawn on day 200: the protocol recommends no dose." in text


def test_run_in_says_where_the_reference_comes_from() -> None:
    text = explanations()[56]
    assert text.startswith("Day 56: Run-in until day 91: baseline regimen, 40 g every 28 days")
    assert text.endswith("Values measured up to day 91 form the pre-taper reference.")
