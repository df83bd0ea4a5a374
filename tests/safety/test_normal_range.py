"""CTCAE v5.0 grades against the lab's normal range: every published edge, ungradable."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmntrial.errors import SafetyError
from mmntrial.safety import (
    UNGRADABLE,
    Graded,
    Ungradable,
    ctcae_v5,
    grade,
    grade_array_in_range,
    grade_in_range,
    parse_grading_table,
)

# The published CTCAE v5.0 edges, copied from the table (not from ctcae-v5.toml), with a
# normal range as a site's lab reports it: (direction, unit, LLN, ULN, edges of grades 2
# up, in the unit or as multiples of the ULN). Grade 1 starts at the LLN or the ULN.
REFERENCE: dict[str, tuple[str, str, float, float, tuple[float, ...]]] = {
    # G1 <LLN-1.5, G2 <1.5-1.0, G3 <1.0-0.5, G4 <0.5 x 10^9/L
    "neutrophils": ("low", "10^9/L", 1.8, 7.5, (1.5, 1.0, 0.5)),
    # G1 <LLN-3.0, G2 <3.0-2.0, G3 <2.0-1.0, G4 <1.0 x 10^9/L
    "wbc": ("low", "10^9/L", 4.0, 11.0, (3.0, 2.0, 1.0)),
    # G1 <LLN-75.0, G2 <75.0-50.0, G3 <50.0-25.0, G4 <25.0 x 10^9/L
    "platelets": ("low", "10^9/L", 150.0, 400.0, (75.0, 50.0, 25.0)),
    # Anemia: G1 Hgb <LLN-10.0, G2 <10.0-8.0, G3 <8.0 g/dL (G4 is no lab value)
    "haemoglobin": ("low", "g/dL", 12.0, 16.0, (10.0, 8.0)),
    # G1 >ULN-3.0xULN, G2 >3.0-5.0xULN, G3 >5.0-20.0xULN, G4 >20.0xULN (baseline normal)
    "alt": ("high", "U/L", 7.0, 40.0, (3.0, 5.0, 20.0)),
    "ast": ("high", "U/L", 8.0, 35.0, (3.0, 5.0, 20.0)),
    # G1 >ULN-1.5xULN, G2 >1.5-3.0xULN, G3 >3.0-10.0xULN, G4 >10.0xULN
    "bilirubin": ("high", "umol/L", 3.0, 21.0, (1.5, 3.0, 10.0)),
    # G1 >ULN-1.5xULN, G2 >1.5-3.0xULN, G3 >3.0-6.0xULN, G4 >6.0xULN
    "creatinine": ("high", "mg/dL", 0.6, 1.2, (1.5, 3.0, 6.0)),
}
STEP = 0.01  # values as a lab reports them, to two decimals


def _cases() -> list[tuple[str, float, int]]:
    """(lab, value, grade) just beyond, at and just inside every edge of every lab."""
    cases = []
    for lab, (direction, _unit, lln, uln, rest) in REFERENCE.items():
        if direction == "low":
            edges = (lln, *rest)
            for g, edge in enumerate(edges, start=1):
                cases += [(lab, edge + STEP, g - 1), (lab, edge, g - 1), (lab, edge - STEP, g)]
        else:
            edges = (uln, *(round(k * uln, 9) for k in rest))
            for g, edge in enumerate(edges, start=1):
                cases += [(lab, edge - STEP, g - 1), (lab, edge, g - 1), (lab, edge + STEP, g)]
    return cases


@pytest.mark.parametrize(("lab", "value", "expected"), _cases())
def test_every_edge_against_reference(lab: str, value: float, expected: int) -> None:
    _direction, unit, lln, uln, _rest = REFERENCE[lab]
    assert grade_in_range(lab, value, lln=lln, uln=uln, unit=unit) == Graded(expected)
    assert grade_array_in_range(lab, [value], lln=lln, uln=uln, unit=unit).tolist() == [expected]


def test_the_table_has_every_reference_lab_and_its_unit() -> None:
    rules = ctcae_v5().ranged
    assert sorted(rules) == sorted(REFERENCE)
    for lab, (direction, unit, *_rest) in REFERENCE.items():
        assert rules[lab].direction == direction
        assert unit in rules[lab].units


@pytest.mark.parametrize(
    ("lab", "value", "expected"),
    [
        ("haemoglobin", 2.0, 3),  # anaemia stops at grade 3 from the value
        ("neutrophils", 0.0, 4),
        ("alt", 10_000.0, 4),
        ("alt", 0.0, 0),  # low ALT is not graded
        ("platelets", 900.0, 0),  # a high count is not "decreased"
    ],
)
def test_the_ends_of_the_scale(lab: str, value: float, expected: int) -> None:
    _direction, unit, lln, uln, _rest = REFERENCE[lab]
    assert grade_in_range(lab, value, lln=lln, uln=uln, unit=unit) == Graded(expected)


def test_a_value_inside_the_normal_range_is_grade_0_even_below_a_fixed_edge() -> None:
    # A lab whose neutrophil LLN is 1.4: 1.45 is normal, 1.35 is below LLN and below 1.5.
    assert grade_in_range("neutrophils", 1.45, lln=1.4, uln=7.0, unit="10^9/L") == Graded(0)
    assert grade_in_range("neutrophils", 1.35, lln=1.4, uln=7.0, unit="10^9/L") == Graded(2)


def test_uln_multiples_are_the_products_a_reader_computes() -> None:
    # 1.5 x 1.2 is 1.7999999999999998 in floating point: 1.8 must stay grade 1.
    assert 1.5 * 1.2 != 1.8
    for unit in ("mg/dL", "umol/L"):
        assert grade_in_range("bilirubin", 1.8, lln=None, uln=1.2, unit=unit) == Graded(1)
    assert grade_array_in_range("bilirubin", [1.8], lln=np.nan, uln=1.2, unit="mg/dL") == [1]


@pytest.mark.parametrize(
    ("lab", "lln", "uln", "unit", "reason"),
    [
        ("neutrophils", None, 7.5, "10^9/L", "neutrophils: no LLN given; CTCAE v5.0 grades"),
        ("haemoglobin", None, None, "g/dL", "haemoglobin: no LLN given"),
        ("alt", 7.0, None, "U/L", "alt: no ULN given; CTCAE v5.0 grades it against the ULN"),
        ("creatinine", None, None, "mg/dL", "creatinine: no ULN given"),
        (
            "haemoglobin",
            120.0,
            160.0,
            "g/L",
            r"haemoglobin: unit 'g/L' is not the table's \(expected one of \['g/dL'\]\)$",
        ),
        ("creatinine", 50.0, 110.0, "mmol/L", "creatinine: unit 'mmol/L' is not the table's"),
        (
            "platelets",
            150.0,
            400.0,
            "/uL",
            r"platelets: unit '/uL' is not the table's \(expected one",
        ),
    ],
)
def test_a_value_that_cannot_be_graded_says_why(
    lab: str, lln: float | None, uln: float | None, unit: str, reason: str
) -> None:
    result = grade_in_range(lab, 1.0, lln=lln, uln=uln, unit=unit)
    assert isinstance(result, Ungradable)
    assert re.match(reason, result.reason), result.reason
    nan = math.nan
    array = grade_array_in_range(
        lab, [1.0], lln=nan if lln is None else lln, uln=nan if uln is None else uln, unit=unit
    )
    assert array.tolist() == [UNGRADABLE]


@pytest.mark.parametrize(
    ("value", "lln", "uln", "message"),
    [
        (-1.0, 1.8, 7.5, r"^value: got -1.0, expected a finite number >= 0$"),
        (math.nan, 1.8, 7.5, r"^value: got nan, expected a finite number >= 0$"),
        (math.inf, 1.8, 7.5, r"^value: got inf"),
        (True, 1.8, 7.5, r"^value: got True"),
        (1.0, -2.0, 7.5, r"^lln: got -2.0, expected a finite number >= 0 or None$"),
        (1.0, 1.8, math.nan, r"^uln: got nan"),
        (1.0, 7.5, 1.8, r"^lln: got 7.5, expected below uln \(1.8\)$"),
        (1.0, 2.0, 2.0, r"^lln: got 2, expected below uln \(2\)$"),
    ],
)
def test_bad_input_is_an_error_naming_the_field(
    value: float, lln: float, uln: float, message: str
) -> None:
    with pytest.raises(SafetyError, match=message):
        grade_in_range("neutrophils", value, lln=lln, uln=uln, unit="10^9/L")


@pytest.mark.parametrize(
    ("values", "lln", "message"),
    [([-1.0], 1.8, r"^value: got -1.0"), ([1.0], -1.0, r"^lln: got -1.0"), ([1.0], 9.0, "^lln")],
)
def test_the_array_form_refuses_bad_input_too(
    values: list[float], lln: float, message: str
) -> None:
    with pytest.raises(SafetyError, match=message):
        grade_array_in_range("neutrophils", values, lln=lln, uln=7.5, unit="10^9/L")


def test_an_unknown_lab_names_the_labs_there_are() -> None:
    with pytest.raises(SafetyError, match=r"^lab: got 'igg', expected one of \['alt', 'ast',"):
        grade_in_range("igg", 5.0, lln=7.0, uln=16.0, unit="g/L")


def test_the_fixed_edges_grade_as_the_rule_does_at_their_lln() -> None:
    # grade() (no reported range: the simulator, the capture form) is this rule with the
    # table's fixed LLN, so both tables must agree.
    table = ctcae_v5()
    for lab in table.labs:
        lln = table.lab(lab).below[0]
        for value in (round(0.01 * i, 2) for i in range(800)):
            ranged = grade_in_range(lab, value, lln=lln, uln=None, unit=table.lab(lab).unit)
            assert ranged == Graded(grade(lab, value) or 0), (lab, value)


limits = st.one_of(st.none(), st.floats(min_value=0.0, max_value=500.0))


@given(
    lab=st.sampled_from(sorted(REFERENCE)),
    values=st.lists(st.floats(min_value=0.0, max_value=1000.0), max_size=20),
    lln=limits,
    uln=limits,
    foreign=st.booleans(),
)
def test_the_array_form_agrees_with_the_scalar_form(
    lab: str, values: list[float], lln: float | None, uln: float | None, foreign: bool
) -> None:
    if lln is not None and uln is not None and lln >= uln:
        lln, uln = None, uln
    unit = "furlongs" if foreign else REFERENCE[lab][1]
    scalar = []
    for value in values:
        result = grade_in_range(lab, value, lln=lln, uln=uln, unit=unit)
        scalar.append(result.grade if isinstance(result, Graded) else UNGRADABLE)
    array = grade_array_in_range(
        lab,
        values,
        lln=math.nan if lln is None else lln,
        uln=math.nan if uln is None else uln,
        unit=unit,
    )
    assert array.tolist() == scalar


def test_the_array_form_takes_a_range_per_value_and_nan_for_a_missing_value() -> None:
    grades = grade_array_in_range(
        "alt", [50.0, 50.0, math.nan], lln=math.nan, uln=[40.0, 10.0, 40.0], unit="U/L"
    )
    assert grades.tolist() == [1, 2, UNGRADABLE]


def table(rule: object) -> dict[str, object]:
    return {
        "source": {"tag": "S50", "title": "CTCAE"},
        "labs": {"wbc": {"term": "t", "unit": "10^9/L", "below": [4.0]}},
        "ranged": {"x": rule},
    }


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (3.0, r"ranged.x: got 3.0, expected a table"),
        ({"term": "t", "units": ["u"]}, r"ranged.x: got keys \['term', 'units'\], expected one"),
        (
            {"term": "t", "units": ["u"], "below": ["LLN", 1.0], "above": ["ULN"]},
            r"ranged.x: got keys .*, expected one of below, above",
        ),
        ({"term": "t", "units": [], "below": ["LLN"]}, r"ranged.x.units: got \[\], expected"),
        ({"term": "t", "units": ["u"], "below": [2.0, 1.0]}, r"ranged.x.below: got \[2.0, 1.0\]"),
        ({"term": "t", "units": ["u"], "below": ["LLN", 1.0, 2.0]}, r"ranged.x.below: got"),
        ({"term": "t", "units": ["u"], "below": ["LLN", "3 x ULN"]}, r"ranged.x.below: got"),
        ({"term": "t", "units": ["u"], "above": ["ULN", 3.0]}, r"ranged.x.above: got"),
        (
            {"term": "t", "units": ["u"], "above": ["ULN", "5 x ULN", "3 x ULN"]},
            r"ranged.x.above: got",
        ),
        ({"term": "t", "units": ["u"], "above": ["ULN", "0.5 x ULN"]}, r"ranged.x.above: got"),
        (
            {"term": "t", "units": ["u"], "above": ["ULN", "x ULN"]},
            r"ranged.x.above: got 'x ULN', expected a positive number, 'LLN', 'ULN' or 'k x ULN'$",
        ),
        (
            {
                "term": "t",
                "units": ["u"],
                "above": ["ULN", "2 x ULN", "3 x ULN", "4 x ULN", "5 x ULN"],
            },
            r"ranged.x.above: got .*expected 'ULN' then up to 3",
        ),
        (
            {"term": "t", "units": ["u", "v"], "below": ["LLN", 1.0]},
            r"ranged.x.units: got \['u', 'v'\], expected one unit",
        ),
        ({"term": "", "units": ["u"], "below": ["LLN"]}, r"ranged.x.term: got '', expected"),
    ],
)
def test_a_broken_rule_is_refused_naming_the_key(rule: object, message: str) -> None:
    with pytest.raises(SafetyError, match="^mine.toml " + message):
        parse_grading_table(table(rule), "mine.toml")
