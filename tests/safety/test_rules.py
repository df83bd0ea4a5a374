"""Each safety rule of piepers-2007 fires at its edge and not before, and a value it
cannot judge says what is missing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta

import pytest

from mmntrial.capture.permissions import Role
from mmntrial.protocol.loader import builtin_names, load_protocol
from mmntrial.protocol.model import OWNER_ROLES, SAFETY_LABS, RuleKind, Safety
from mmntrial.safety import ctcae_v5
from mmntrial.safety.rules import AdverseEvent, CannotEvaluate, Fired, LabValue, evaluate

SAFETY = load_protocol("piepers-2007").safety
START = date(2026, 3, 2)
LATER = START + timedelta(days=14)


def _only(rule_id: str) -> Safety:
    return replace(SAFETY, rules=tuple(r for r in SAFETY.rules if r.id == rule_id))


def _lab(lab: str, value: float, unit: str, on: date = LATER, **limits: float | None) -> LabValue:
    return LabValue(lab, value, unit, limits.get("lln"), limits.get("uln"), on)


def _fired(
    rule_id: str,
    labs: list[LabValue],
    events: Sequence[AdverseEvent] = (),
    infusions: Sequence[date] = (),
) -> list[str]:
    found = evaluate(_only(rule_id), labs, list(events), list(infusions), START)
    return [f.reason for f in found if isinstance(f, Fired)]


def _cannot(rule_id: str, labs: list[LabValue], infusions: Sequence[date] = ()) -> list[str]:
    found = evaluate(_only(rule_id), labs, [], list(infusions), START)
    return [f.missing for f in found if isinstance(f, CannotEvaluate)]


def test_the_protocol_names_the_labs_ctcae_grades_against_the_normal_range() -> None:
    assert set(SAFETY_LABS) == set(ctcae_v5().ranged)


def test_owners_are_roles_of_the_capture_app() -> None:
    assert set(OWNER_ROLES) <= {role.value for role in Role}


@pytest.mark.parametrize("name", builtin_names())
def test_builtin_rule_units_are_the_tables(name: str) -> None:
    for rule in load_protocol(name).safety.rules:
        if rule.unit is not None:
            assert rule.lab is not None
            assert rule.unit in ctcae_v5().rule(rule.lab).units, rule.id


def test_piepers_has_one_rule_of_each_kind() -> None:
    assert sorted(r.kind for r in SAFETY.rules) == sorted(RuleKind)


def test_neutrophils_below_1_3_fire_at_the_edge() -> None:
    assert _fired("neutrophils_low", [_lab("neutrophils", 1.3, "10^9/L")]) == []
    (reason,) = _fired("neutrophils_low", [_lab("neutrophils", 1.29, "10^9/L")])
    assert reason == "neutrophils 1.29 10^9/L on 2026-03-16 is below 1.3 10^9/L"


def test_neutrophils_in_another_unit_cannot_be_evaluated() -> None:
    (missing,) = _cannot("neutrophils_low", [_lab("neutrophils", 900.0, "/uL")])
    assert missing == (
        "neutrophils 900 /uL on 2026-03-16: unit '/uL' is not the rule's ('10^9/L'); not converted"
    )


def test_lab_grade_fires_at_grade_3_not_2() -> None:
    # ALT grade 3 is above 5.0 x ULN: 200 U/L with a ULN of 40
    assert _fired("lab_grade_3", [_lab("alt", 200.0, "U/L", uln=40.0)]) == []
    (reason,) = _fired("lab_grade_3", [_lab("alt", 200.5, "U/L", uln=40.0)])
    assert "is CTCAE v5.0 grade 3 (the rule fires at grade 3 or worse)" in reason


def test_a_lab_without_its_normal_range_is_not_graded_silently() -> None:
    (missing,) = _cannot("lab_grade_3", [_lab("alt", 900.0, "U/L")])
    assert missing.endswith("alt: no ULN given; CTCAE v5.0 grades it against the ULN")
    assert _fired("lab_grade_3", [_lab("alt", 900.0, "U/L")]) == []


def test_creatinine_rise_fires_at_50_percent_over_baseline() -> None:
    baseline = _lab("creatinine", 80.0, "umol/L", on=START)
    assert _fired("creatinine_rise", [baseline, _lab("creatinine", 119.9, "umol/L")]) == []
    (reason,) = _fired("creatinine_rise", [baseline, _lab("creatinine", 120.0, "umol/L")])
    assert reason.endswith("is 50% or more above the baseline 80 umol/L (2026-03-02)")


def test_creatinine_rise_without_a_baseline_says_so() -> None:
    (missing,) = _cannot("creatinine_rise", [_lab("creatinine", 300.0, "umol/L")])
    assert "no baseline creatinine (a value sampled on or before the study-drug start" in missing


def test_creatinine_rise_in_a_unit_unlike_the_baseline_cannot_be_evaluated() -> None:
    baseline = _lab("creatinine", 80.0, "umol/L", on=START)
    (missing,) = _cannot("creatinine_rise", [baseline, _lab("creatinine", 1.9, "mg/dL")])
    assert "unit 'mg/dL' is not the rule's ('umol/L')" in missing


def test_haemoglobin_fall_fires_within_10_days_of_an_infusion() -> None:
    infused = START + timedelta(days=20)
    before = _lab("haemoglobin", 13.0, "g/dL", on=infused)
    day10 = _lab("haemoglobin", 12.0, "g/dL", on=infused + timedelta(days=10))
    day11 = _lab("haemoglobin", 12.0, "g/dL", on=infused + timedelta(days=11))
    small = _lab("haemoglobin", 12.01, "g/dL", on=infused + timedelta(days=3))
    assert len(_fired("haemolysis_check", [before, day10], infusions=[infused])) == 1
    assert _fired("haemolysis_check", [before, day11], infusions=[infused]) == []
    assert _fired("haemolysis_check", [before, small], infusions=[infused]) == []
    assert _fired("haemolysis_check", [before, day10], infusions=[]) == []


def test_haemoglobin_fall_without_a_value_before_the_infusion_says_so() -> None:
    infused = START + timedelta(days=20)
    after = _lab("haemoglobin", 9.0, "g/dL", on=infused + timedelta(days=2))
    (missing,) = _cannot("haemolysis_check", [after], infusions=[infused])
    assert "no haemoglobin on or before the infusion of 2026-03-22" in missing


def test_a_new_central_sign_raises_the_pml_alert() -> None:
    ataxia = AdverseEvent("Gait ATAXIA", LATER)
    cramp = AdverseEvent("muscle cramp", LATER)
    (reason,) = _fired("pml_alert", [], events=[ataxia, cramp])
    assert reason == "adverse event 'Gait ATAXIA' (2026-03-16) names 'ataxia'"


def test_findings_keep_their_key_when_evaluated_again() -> None:
    labs = [LabValue("neutrophils", 0.9, "10^9/L", 2.0, 7.5, LATER, ref="labs:7")]
    first = evaluate(SAFETY, labs, [], [], START)
    again = evaluate(SAFETY, [*labs, _lab("wbc", 5.0, "10^9/L", lln=4.0)], [], [], START)
    assert [f.key for f in first] == ["neutrophils_low:labs:7", "lab_grade_3:labs:7"]
    assert [f.key for f in again if isinstance(f, Fired)] == [f.key for f in first]


def test_a_protocol_without_safety_rules_finds_nothing() -> None:
    safety = load_protocol("cidp-levels").safety
    assert safety == Safety()
    assert evaluate(safety, [_lab("neutrophils", 0.1, "10^9/L")], [], [], START) == []
