"""Grip readings: instruments never mixed, best of up to three, the more affected hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import Side
from mmntrial.measures.grip import (
    GripAssessment,
    GripInstrument,
    GripReading,
    best_grip_array,
    more_affected_array,
)

MARTIN = GripInstrument.MARTIN_VIGORIMETER
JAMAR = GripInstrument.JAMAR_DYNAMOMETER


def test_instruments_name_their_measure_and_unit() -> None:
    assert (MARTIN.measure, MARTIN.unit) == ("grip_kpa", "kPa")
    assert (JAMAR.measure, JAMAR.unit) == ("grip_jamar_kg", "kg")


@pytest.mark.parametrize(
    ("trials", "best"), [((52,), 52.0), ((48, 55), 55.0), ((50, 49, 51.5), 51.5)]
)
def test_best_of_one_to_three_trials(trials: tuple[float, ...], best: float) -> None:
    reading = GripReading(MARTIN, Side.RIGHT, trials, "kPa")
    assert reading.best == best
    assert reading.measure == "grip_kpa"


@pytest.mark.parametrize("trials", [(), (50, 51, 52, 53)])
def test_zero_or_more_than_three_trials_is_an_error(trials: tuple[float, ...]) -> None:
    with pytest.raises(
        MeasureError,
        match=rf"^grip_kpa \(left\): got {len(trials)} trials, expected 1 to 3 \(the best of",
    ):
        GripReading(MARTIN, Side.LEFT, trials, "kPa")


def test_kg_on_a_vigorimeter_is_refused_not_converted() -> None:
    with pytest.raises(
        MeasureError,
        match=r"^grip_kpa: got unit 'kg', expected 'kPa' \(a Jamar reading in kg is the measure",
    ):
        GripReading(MARTIN, Side.LEFT, (30,), "kg")
    with pytest.raises(MeasureError, match=r"^grip_jamar_kg: got unit 'kPa', expected 'kg'$"):
        GripReading(JAMAR, Side.LEFT, (30,), "kPa")
    assert GripReading(JAMAR, Side.LEFT, (30, 32), "kg").best == 32.0


def test_out_of_range_trial_names_measure_value_and_range() -> None:
    with pytest.raises(
        MeasureError, match=r"^grip_kpa: got 300 kPa, expected a value from 0 to 250 kPa$"
    ):
        GripReading(MARTIN, Side.LEFT, (50, 300), "kPa")
    with pytest.raises(MeasureError, match=r"^grip_jamar_kg: got -1 kg, expected a value from 0"):
        GripReading(JAMAR, Side.LEFT, (-1,), "kg")


def test_strings_are_coerced_and_unknown_ones_refused() -> None:
    reading = GripReading("jamar_dynamometer", "right", [20], "kg")
    assert (reading.instrument, reading.side, reading.trials) == (JAMAR, Side.RIGHT, (20.0,))
    with pytest.raises(
        MeasureError,
        match=r"^grip instrument: got 'dynamometer', expected 'martin_vigorimeter' or 'jamar",
    ):
        GripReading("dynamometer", Side.LEFT, (20,), "kg")
    with pytest.raises(MeasureError, match=r"^grip side: got 'both', expected 'left' or 'right'"):
        GripReading(MARTIN, "both", (20,), "kPa")


def test_more_affected_hand_is_the_lower_best() -> None:
    left = GripReading(MARTIN, Side.LEFT, (40, 44, 42), "kPa")
    right = GripReading(MARTIN, Side.RIGHT, (60, 58), "kPa")
    assessment = GripAssessment(left, right)
    assert assessment.more_affected_side is Side.LEFT
    assert assessment.more_affected_best == 44.0
    assert assessment.instrument is MARTIN
    tie = GripAssessment(left, GripReading(MARTIN, Side.RIGHT, (44,), "kPa"))
    assert tie.more_affected_side is None
    assert tie.more_affected_best == 44.0


def test_assessment_refuses_mixed_instruments_and_swapped_hands() -> None:
    left = GripReading(MARTIN, Side.LEFT, (40,), "kPa")
    with pytest.raises(
        MeasureError,
        match=(
            r"^grip: got left on martin_vigorimeter and right on jamar_dynamometer, "
            r"expected one instrument for both hands"
        ),
    ):
        GripAssessment(left, GripReading(JAMAR, Side.RIGHT, (40,), "kg"))
    with pytest.raises(
        MeasureError, match=r"^grip right hand: got a reading for the left hand, expected the"
    ):
        GripAssessment(left, left)


def test_best_grip_array_known_values_and_errors() -> None:
    trials = np.array([[[48, 52, np.nan]], [[np.nan, np.nan, np.nan]]])
    np.testing.assert_array_equal(best_grip_array(trials, MARTIN), [[52.0], [np.nan]])
    with pytest.raises(MeasureError, match=r"got trials of shape \(1, 4\), expected a last axis"):
        best_grip_array(np.full((1, 4), 50.0), MARTIN)
    with pytest.raises(
        MeasureError, match=r"^grip_jamar_kg at \(0, 1\): got np\.float64\(130\.0\) kg"
    ):
        best_grip_array([[30, 130]], JAMAR)
    np.testing.assert_array_equal(more_affected_array([50, 30], [45, np.nan]), [45, np.nan])


@given(
    st.lists(
        st.lists(st.integers(0, 250).map(float), min_size=1, max_size=3), min_size=1, max_size=8
    )
)
def test_vectorized_best_equals_scalar_best(per_hand: list[list[float]]) -> None:
    padded = np.full((len(per_hand), 3), np.nan)
    for row, trials in enumerate(per_hand):
        padded[row, : len(trials)] = trials
    expected = [GripReading(MARTIN, Side.LEFT, tuple(t), "kPa").best for t in per_hand]
    np.testing.assert_array_equal(best_grip_array(padded, MARTIN), expected)
