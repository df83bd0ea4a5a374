"""One verdict per typed value: accepted, needs confirmation (possible but unusual), refused."""

from __future__ import annotations

import re

import pytest

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import MEASURES, convert_value
from mmntrial.measures.plausibility import (
    OTHER_FIELDS,
    Verdict,
    judge,
    parse_ranges,
    plausible_ranges,
)


@pytest.mark.parametrize(
    ("measure", "value", "unit", "verdict"),
    [
        ("grip_kpa", 0, "kPa", Verdict.ACCEPTED),  # a paralysed hand
        ("grip_kpa", 150, "kPa", Verdict.ACCEPTED),  # the plausible band's end
        ("grip_kpa", 151, "kPa", Verdict.NEEDS_CONFIRMATION),
        ("grip_kpa", 250, "kPa", Verdict.NEEDS_CONFIRMATION),  # the catalogue's end
        ("grip_kpa", 250.5, "kPa", Verdict.REFUSED),
        ("grip_kpa", -1, "kPa", Verdict.REFUSED),
        ("grip_kpa", 30, "kg", Verdict.REFUSED),  # a Jamar value on a vigorimeter field
        ("grip_jamar_kg", 85, "kg", Verdict.NEEDS_CONFIRMATION),
        ("grip_jamar_kg", 66, "lb", Verdict.ACCEPTED),  # the Jamar dial's lb scale
        ("grip_jamar_kg", 30, "kPa", Verdict.REFUSED),
        ("gnds_upper", 3, "grade", Verdict.ACCEPTED),
        ("gnds_upper", 2.5, "grade", Verdict.REFUSED),
        ("gnds_upper", 6, "grade", Verdict.REFUSED),
        ("mmn_rods_centile", 101, "centile", Verdict.REFUSED),
        ("anti_gm1_log2", 17, "log2_steps", Verdict.NEEDS_CONFIRMATION),
        ("weight_kg", 34, "kg", Verdict.NEEDS_CONFIRMATION),
        ("weight_kg", 19, "kg", Verdict.REFUSED),
        ("weight_kg", 70, "lb", Verdict.REFUSED),
        ("age_years", 15, "years", Verdict.NEEDS_CONFIRMATION),
        ("age_years", 121, "years", Verdict.REFUSED),
        ("grip_kpa", float("nan"), "kPa", Verdict.REFUSED),
        ("grip_kpa", True, "kPa", Verdict.REFUSED),
        ("grip_kpa", "52", "kPa", Verdict.REFUSED),  # the form layer parses text first
    ],
)
def test_each_value_gets_one_verdict(
    measure: str, value: object, unit: str, verdict: Verdict
) -> None:
    assert judge("field", measure, value, unit).verdict is verdict


def test_a_refusal_names_the_field_the_value_and_the_range() -> None:
    result = judge("grip left, trial 2", "grip_kpa", 300, "kPa")
    assert result.value is None
    assert result.message == (
        "grip left, trial 2: grip_kpa: got 300 kPa, expected a value from 0 to 250 kPa (impossible)"
    )


def test_a_confirmation_names_the_field_the_value_and_the_plausible_range() -> None:
    result = judge("weight", "weight_kg", 190, "kg")
    assert (result.verdict, result.value) == (Verdict.NEEDS_CONFIRMATION, 190.0)
    assert result.message == (
        "weight: 190 kg is possible but outside the plausible range 35-180 kg; "
        "confirm it or correct it"
    )
    confirmed = judge("weight", "weight_kg", 190, "kg", confirmed=True)
    assert confirmed.verdict is Verdict.ACCEPTED
    assert confirmed.message.endswith("(confirmed)")
    # Confirming never saves an impossible value.
    assert judge("weight", "weight_kg", 400, "kg", confirmed=True).verdict is Verdict.REFUSED


def test_lb_converts_to_kg_only_for_the_jamar() -> None:
    assert judge("g", "grip_jamar_kg", 100, "lb").value == pytest.approx(45.359237)
    with pytest.raises(MeasureError, match=re.escape("got unit 'lb', expected 'kPa'")):
        convert_value("grip_kpa", 100, "lb")
    with pytest.raises(MeasureError, match=re.escape("expected one of 'kg', 'lb'")):
        convert_value("grip_jamar_kg", 100, "kPa")


def test_the_shipped_bands_lie_inside_the_impossible_ranges() -> None:
    ranges = plausible_ranges()
    assert set(ranges) <= set(MEASURES) | set(OTHER_FIELDS)
    assert ranges["grip_kpa"].high < MEASURES["grip_kpa"].maximum


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"grip_kpa": {"low": 0, "high": 300}}, "[grip_kpa]: got low 0 and high 300"),
        ({"grip_kpa": {"low": 10, "high": 5}}, "[grip_kpa]: got low 10 and high 5"),
        ({"grip_kpa": {"low": True, "high": 5}}, "[grip_kpa]: got low True"),
        ({"grip": {"low": 0, "high": 5}}, "[grip]: got an unknown field"),
    ],
)
def test_a_broken_ranges_file_is_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(MeasureError, match=re.escape(message)):
        parse_ranges(data)
