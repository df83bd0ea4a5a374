"""CTCAE v5.0 grading as data: every boundary, the simulator's former table, arrays."""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import mmntrial.safety
from mmntrial.errors import SafetyError
from mmntrial.safety import ctcae_v5, grade, grade_array, parse_grading_table

# The table the simulator hard-coded before safety/ existed (lower edges of normal, G1,
# G2, G3, in 10^9/L): the grades must not change, or the simulated datasets would.
FORMER_EDGES = {"neutrophils": (2.0, 1.5, 1.0, 0.5), "wbc": (4.0, 3.0, 2.0, 1.0)}


def former_grade(lab: str, value: float) -> int | None:
    return sum(value < edge for edge in FORMER_EDGES[lab]) or None


@pytest.mark.parametrize(
    ("lab", "value", "expected"),
    [
        ("neutrophils", 2.0, None),
        ("neutrophils", 1.99, 1),
        ("neutrophils", 1.5, 1),
        ("neutrophils", 1.49, 2),
        ("neutrophils", 1.0, 2),
        ("neutrophils", 0.99, 3),
        ("neutrophils", 0.5, 3),
        ("neutrophils", 0.49, 4),
        ("neutrophils", 0.0, 4),
        ("wbc", 4.0, None),
        ("wbc", 3.99, 1),
        ("wbc", 3.0, 1),
        ("wbc", 2.99, 2),
        ("wbc", 2.0, 2),
        ("wbc", 1.99, 3),
        ("wbc", 1.0, 3),
        ("wbc", 0.99, 4),
    ],
)
def test_each_grade_boundary(lab: str, value: float, expected: int | None) -> None:
    assert grade(lab, value) == expected
    assert grade_array(lab, [value]).tolist() == [expected or 0]


def test_the_table_grades_as_the_simulator_did_on_every_shown_value() -> None:
    shown = [round(0.01 * i, 2) for i in range(0, 800)]  # values as the labs table shows them
    for lab in FORMER_EDGES:
        assert [grade(lab, v) for v in shown] == [former_grade(lab, v) for v in shown]


def test_the_table_names_its_source_and_units() -> None:
    table = ctcae_v5()
    assert table.source == "S50"
    assert sorted(table.labs) == ["neutrophils", "wbc"]
    assert {lab.unit for lab in table.labs.values()} == {"10^9/L"}
    assert table.lab("neutrophils").term == "neutrophil count decreased"


@given(st.lists(st.floats(min_value=-1.0, max_value=10.0), max_size=30))
def test_grading_an_array_equals_grading_one_by_one(values: list[float]) -> None:
    for lab in ("neutrophils", "wbc"):
        one_by_one = [grade(lab, v) or 0 for v in values]
        assert grade_array(lab, np.array(values)).tolist() == one_by_one


def test_an_unknown_lab_names_the_labs_there_are() -> None:
    with pytest.raises(
        SafetyError, match=r"lab: got 'alt', expected one of \['neutrophils', 'wbc'\]"
    ):
        grade("alt", 50.0)


def wbc(below: object, term: str = "t") -> dict[str, object]:
    return {"wbc": {"term": term, "unit": "10^9/L", "below": below}}


@pytest.mark.parametrize(
    ("labs", "message"),
    [
        ({}, r"labs: got \{\}, expected a table of at least one lab"),
        (wbc([3.0, 4.0]), r"labs.wbc.below: got \[3.0, 4.0\], expected 1 to 4 positive numbers"),
        (wbc([4, 3, 2, 1, 0.5]), r"labs.wbc.below: got \[4, 3, 2, 1, 0.5\], expected 1 to 4"),
        (wbc([4.0, -1.0]), r"labs.wbc.below: got \[4.0, -1.0\]"),
        (wbc([4.0], term=""), r"labs.wbc.term: got '', expected a non-empty text"),
        ({"wbc": 4.0}, r"labs.wbc: got 4.0, expected a table"),
    ],
)
def test_a_broken_table_is_refused_naming_the_key(labs: object, message: str) -> None:
    data = {"source": {"tag": "S50", "title": "CTCAE"}, "labs": labs}
    with pytest.raises(SafetyError, match="^mine.toml " + message):
        parse_grading_table(data, "mine.toml")


def test_safety_imports_only_the_layers_below_it() -> None:
    allowed = {"mmntrial.errors", "mmntrial.measures", "mmntrial.protocol", "mmntrial.safety"}
    package = Path(mmntrial.safety.__file__).parent
    for path in package.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("mmntrial"):
                assert any(node.module == a or node.module.startswith(a + ".") for a in allowed), (
                    f"{path.name} imports {node.module}"
                )
            if isinstance(node, ast.Import):
                assert not any(alias.name.startswith("mmntrial") for alias in node.names)


def test_public_api_is_pinned() -> None:
    assert mmntrial.safety.__all__ == [
        "UNGRADABLE",
        "Graded",
        "GradingTable",
        "LabGrading",
        "RangeRule",
        "Ungradable",
        "ctcae_v5",
        "grade",
        "grade_array",
        "grade_array_in_range",
        "grade_in_range",
        "parse_grading_table",
    ]
