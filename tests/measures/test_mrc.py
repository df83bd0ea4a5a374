"""MRC grades, muscle sets and sum scores: parsing, missing rules, vectorized == scalar."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmntrial.errors import MeasureError
from mmntrial.measures.mrc import (
    MissingRule,
    MuscleSet,
    check_mrc_grade,
    grades_array,
    mrc_sum,
    mrc_sum_array,
    parse_mrc_grade,
    protocol_muscle_set,
)
from mmntrial.protocol.loader import load_protocol

Exam = dict[str, dict[str, float | None]]
ARM2 = MuscleSet("arm2", ("elbow_flexion", "wrist_extension"))


def full(grade: float, muscle_set: MuscleSet = ARM2) -> Exam:
    """Every muscle on both sides at ``grade``."""
    return {side: dict.fromkeys(muscle_set.muscles, grade) for side in ("left", "right")}


# --- parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "off", "on"),
    [
        ("0", 0.0, 0.0),
        ("3", 3.0, 3.0),
        ("5", 5.0, 5.0),
        ("4-", 4.0, 3.75),
        ("4+", 4.0, 4.25),
        ("1-", 1.0, 0.75),
        ("1+", 1.0, 1.25),
        ("2-", 2.0, 1.75),
        ("3+", 3.0, 3.25),
        (" 4+ ", 4.0, 4.25),
    ],
)
def test_parse_grade_with_and_without_quarter_steps(text: str, off: float, on: float) -> None:
    assert parse_mrc_grade(text, "elbow_flexion") == off
    assert parse_mrc_grade(text, "elbow_flexion", quarter_steps=True) == on


@pytest.mark.parametrize(
    "text", ["6", "5+", "5-", "0-", "0+", "4--", "", "four", "4.5", "-1", "+4"]
)
@pytest.mark.parametrize("quarter_steps", [False, True])
def test_parse_grade_refuses_anything_else(text: str, quarter_steps: bool) -> None:
    with pytest.raises(MeasureError) as caught:
        parse_mrc_grade(text, "finger_abduction", quarter_steps=quarter_steps)
    message = str(caught.value)
    assert message.startswith(f"MRC grade for finger_abduction: got {text!r}, expected ")
    assert "'4-'" in message


def test_numeric_grade_accepts_whole_grades_and_numpy_numbers() -> None:
    assert check_mrc_grade(3, "m") == 3.0
    assert check_mrc_grade(np.int64(2), "m") == 2.0
    assert parse_mrc_grade(5.0, "m") == 5.0


def test_quarter_step_number_refused_when_quarter_steps_are_off() -> None:
    with pytest.raises(MeasureError, match=r"^MRC grade for m: got 3\.75, expected a whole grade"):
        check_mrc_grade(3.75, "m")
    assert check_mrc_grade(3.75, "m", quarter_steps=True) == 3.75


@pytest.mark.parametrize("value", [True, 5.5, -1, 0.25, 4.75, math.nan, "3"])
def test_numeric_grade_refuses_values_off_the_scale(value: object) -> None:
    with pytest.raises(MeasureError, match=r"^MRC grade for m: got .*, expected a grade 0-5"):
        check_mrc_grade(value, "m", quarter_steps=True)


# --- muscle sets -------------------------------------------------------------------


def test_max_score_is_two_sides_times_muscles_times_five() -> None:
    piepers = load_protocol("piepers-2007").measures.mrc_muscles
    assert protocol_muscle_set("piepers-2007", piepers).max_score == 100.0
    assert ARM2.max_score == 20.0


def test_muscle_set_refuses_empty_repeated_blank_and_oversized_sets() -> None:
    with pytest.raises(MeasureError, match="got no muscles, expected at least one"):
        MuscleSet("none", ())
    with pytest.raises(MeasureError, match="got elbow_flexion more than once"):
        MuscleSet("dup", ("elbow_flexion", "wrist_extension", "elbow_flexion"))
    with pytest.raises(MeasureError, match=r"got muscle names \[' '\], expected non-empty text"):
        MuscleSet("blank", ("elbow_flexion", " "))
    with pytest.raises(MeasureError, match=r"got 21 muscles per side \(max score 210\)"):
        MuscleSet("big", tuple(f"m{i}" for i in range(21)))


# --- sum score ---------------------------------------------------------------------


def test_sum_of_complete_grades() -> None:
    grades = {"left": {"elbow_flexion": 5, "wrist_extension": 3}, "right": full(4)["right"]}
    assert mrc_sum(grades, ARM2) == 16.0


def test_any_missing_grade_makes_the_sum_missing() -> None:
    absent_key = {"left": {"elbow_flexion": 5}, "right": full(5)["right"]}
    as_none = {"left": {"elbow_flexion": 5, "wrist_extension": None}, "right": full(5)["right"]}
    as_nan = {"left": {"elbow_flexion": 5, "wrist_extension": math.nan}, "right": full(5)["right"]}
    for grades in (absent_key, as_none, as_nan):
        assert mrc_sum(grades, ARM2) is None
    # Under the "missing" rule a previous grade is never used.
    assert mrc_sum(absent_key, ARM2, previous=full(4)) is None


def test_impute_last_takes_the_same_muscles_previous_grade() -> None:
    today = {"left": {"elbow_flexion": 5}, "right": {"elbow_flexion": 4, "wrist_extension": 4}}
    previous = {"left": {"elbow_flexion": 1, "wrist_extension": 2}, "right": {}}
    assert mrc_sum(today, ARM2, missing="impute_last", previous=previous) == 15.0


def test_impute_last_is_missing_when_the_previous_grade_is_missing_too() -> None:
    today = {"left": {"elbow_flexion": 5}, "right": full(4)["right"]}
    assert mrc_sum(today, ARM2, missing=MissingRule.IMPUTE_LAST) is None
    no_wrist = {"left": {"elbow_flexion": 3}, "right": {}}
    assert mrc_sum(today, ARM2, missing="impute_last", previous=no_wrist) is None


def test_sum_with_quarter_steps() -> None:
    grades = full(5)
    grades["left"]["elbow_flexion"] = 3.75
    assert mrc_sum(grades, ARM2, quarter_steps=True) == 18.75
    with pytest.raises(MeasureError, match=r"^MRC grade for elbow_flexion \(left\): got 3\.75"):
        mrc_sum(grades, ARM2)


def test_sum_refuses_unknown_muscles_sides_and_rules() -> None:
    with pytest.raises(
        MeasureError,
        match=r"^MRC grades \(right\): got muscle 'elbow_flexon', expected one of the 'arm2' set",
    ):
        mrc_sum({"right": {"elbow_flexon": 5}}, ARM2)
    with pytest.raises(MeasureError, match=r"^MRC grades: got side 'both', expected 'left' or"):
        mrc_sum({"both": {}}, ARM2)
    with pytest.raises(
        MeasureError, match=r"^mrc_missing: got 'zero', expected 'missing' or 'impute_last'"
    ):
        mrc_sum(full(5), ARM2, missing="zero")


# --- vectorized --------------------------------------------------------------------


def test_sum_array_known_values() -> None:
    grades = np.array([[[5, 4], [3, 2]], [[5, np.nan], [5, 5]], [[0, 0], [0, 0]]])
    np.testing.assert_array_equal(mrc_sum_array(grades, ARM2), [14.0, np.nan, 0.0])
    previous = np.full_like(grades, 1.0)
    np.testing.assert_array_equal(
        mrc_sum_array(grades, ARM2, missing="impute_last", previous=previous), [14.0, 16.0, 0.0]
    )


def test_sum_array_refuses_wrong_shapes_and_grades() -> None:
    with pytest.raises(MeasureError, match=r"got an array of shape \(1, 2, 3\), expected"):
        mrc_sum_array(np.full((1, 2, 3), 5.0), ARM2)
    bad = np.full((3, 2, 2), 5.0)
    bad[2, 1, 0] = 6.0
    with pytest.raises(
        MeasureError,
        match=r"^MRC grade for elbow_flexion \(right\) of patient 2: got np\.float64\(6\.0\)",
    ):
        mrc_sum_array(bad, ARM2)
    with pytest.raises(MeasureError, match=r"previous MRC grades: got an array of shape"):
        mrc_sum_array(np.full((3, 2, 2), 5.0), ARM2, missing="impute_last", previous=bad[:, :1])


_GRADE = st.sampled_from([0.0, 0.75, 1.0, 1.25, 2.0, 2.75, 3.0, 3.75, 4.0, 4.25, 5.0])


@st.composite
def exams(draw: st.DrawFn) -> tuple[MuscleSet, list[Exam]]:
    """A muscle set and a few patients' grades on it (quarter steps, some missing)."""
    n_muscles = draw(st.integers(1, 20))
    muscle_set = MuscleSet("drawn", tuple(f"muscle_{i}" for i in range(n_muscles)))
    grade = st.one_of(st.none(), _GRADE)
    patients = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    side: st.fixed_dictionaries(dict.fromkeys(muscle_set.muscles, grade))
                    for side in ("left", "right")
                }
            ),
            min_size=1,
            max_size=5,
        )
    )
    return muscle_set, patients


@given(exams())
def test_sum_never_exceeds_the_maximum(drawn: tuple[MuscleSet, list[Exam]]) -> None:
    muscle_set, patients = drawn
    for grades in patients:
        for rule in MissingRule:
            total = mrc_sum(
                grades, muscle_set, missing=rule, previous=full(5, muscle_set), quarter_steps=True
            )
            assert total is None or 0.0 <= total <= muscle_set.max_score


@settings(deadline=None)
@given(exams(), exams())
def test_vectorized_sum_equals_scalar_sum(
    drawn: tuple[MuscleSet, list[Exam]],
    drawn_previous: tuple[MuscleSet, list[Exam]],
) -> None:
    muscle_set, patients = drawn
    # Reuse the second draw's grades as "previous" on the first draw's muscle set.
    previous = [
        {side: dict(zip(muscle_set.muscles, g[side].values(), strict=False)) for side in g}
        for g in drawn_previous[1]
    ]
    previous = (previous * len(patients))[: len(patients)]
    for rule in MissingRule:
        vectorized = mrc_sum_array(
            grades_array(patients, muscle_set),
            muscle_set,
            missing=rule,
            previous=grades_array(previous, muscle_set),
            quarter_steps=True,
        )
        scalar = [
            mrc_sum(g, muscle_set, missing=rule, previous=p, quarter_steps=True)
            for g, p in zip(patients, previous, strict=True)
        ]
        expected = np.array([math.nan if s is None else s for s in scalar])
        np.testing.assert_allclose(vectorized, expected, rtol=0, atol=1e-9)
