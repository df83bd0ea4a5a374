"""Vectorized dose intensity: equal to the one-patient functions, with padding handled."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmntrial.errors import MeasureError
from mmntrial.measures.ivig import (
    Infusion,
    Route,
    baseline_intensity,
    percent_reduction,
    window_intensity,
)
from mmntrial.measures.ivig_arrays import (
    InfusionArrays,
    baseline_intensity_array,
    intensity_array,
    percent_reduction_array,
    window_intensity_array,
)

NAN = math.nan


def two_patients() -> InfusionArrays:
    """Patient 0: 40 g every 21 days at 70 kg; patient 1: an interval change, one slot short."""
    return InfusionArrays(
        day=[[-63, -42, -21, 0], [-56, -28, 0, NAN]],
        dose_g=[[40, 40, 40, 40], [80, 80, 80, NAN]],
        weight_kg=[[70, 70, 70, 70], [80, 80, 80, NAN]],
        interval_days=[[21, 21, 21, 21], [28, 28, 35, NAN]],
    )


def test_hand_computed_values() -> None:
    arrays = two_patients()
    np.testing.assert_allclose(intensity_array(arrays)[0], [40 / 70 / 3] * 4)
    assert np.isnan(intensity_array(arrays)[1, 3])
    # One window for both, [-42, 0): patient 1's day -56 infusion (28-day interval)
    # overlaps 14 days, day -28 counts fully: 1.5 g/kg over 6 weeks.
    np.testing.assert_allclose(window_intensity_array(arrays, -42, 0), [40 / 70 / 3, 0.25])
    # A window per patient; patient 1's day-0 infusion has a 35-day interval: 1 g/kg / 5 weeks.
    np.testing.assert_allclose(window_intensity_array(arrays, [0, 0], [21, 35]), [40 / 70 / 3, 0.2])
    np.testing.assert_allclose(baseline_intensity_array(arrays, 2), [40 / 70 / 3, 0.25])


def test_baseline_error_names_the_patient_and_the_count() -> None:
    with pytest.raises(
        MeasureError,
        match=(
            r"^baseline intensity of patient 1: found 2 infusions before day 0 "
            r"\(days: -56, -28\), expected at least 3"
        ),
    ):
        baseline_intensity_array(two_patients(), 3)


def test_arrays_refuse_inconsistent_padding_shapes_and_values() -> None:
    with pytest.raises(
        MeasureError, match=r"^dose_g of patient 0, infusion 1: got np\.float64\(40\.0\)"
    ):
        InfusionArrays([[0, NAN]], [[40, 40]], [[70, NAN]], [[21, NAN]])
    with pytest.raises(MeasureError, match=r"^weight_kg: got an array of shape \(2,\)"):
        InfusionArrays([[0, 21]], [[40, 40]], [70, 70], [[21, 21]])
    with pytest.raises(
        MeasureError,
        match=r"^weight_kg of patient 0, infusion 1: got np\.float64\(7\.0\), expected a weight",
    ):
        InfusionArrays([[0, 21]], [[40, 4]], [[70, 7]], [[21, 21]])
    with pytest.raises(MeasureError, match=r"^interval_days of patient 0, infusion 0: got"):
        InfusionArrays([[0]], [[40]], [[70]], [[20.5]])
    with pytest.raises(MeasureError, match=r"^day of patient 0, infusion 0: got .*whole study"):
        InfusionArrays([[0.5]], [[40]], [[70]], [[21]])
    with pytest.raises(MeasureError, match=r"^dose_g of patient 0, infusion 0: got .*0 to 3 g/kg"):
        InfusionArrays([[0]], [[400]], [[70]], [[21]])
    with pytest.raises(MeasureError, match=r"^window of patient 1: got \[0, 0\), expected"):
        window_intensity_array(two_patients(), 0, [10, 0])


def test_arrays_are_read_only() -> None:
    arrays = two_patients()
    with pytest.raises(ValueError, match="read-only"):
        arrays.dose_g[0, 0] = 1.0


def test_percent_reduction_array() -> None:
    np.testing.assert_allclose(percent_reduction_array([0.1, 0.0, NAN], 0.2), [50, 100, NAN])
    with pytest.raises(MeasureError, match=r"^baseline_g_per_kg_week: got .*expected positive"):
        percent_reduction_array([0.1, 0.1], [0.2, 0.0])
    with pytest.raises(MeasureError, match=r"^intensity_g_per_kg_week: got negative"):
        percent_reduction_array([-0.1], 0.2)


# --- vectorized == scalar ----------------------------------------------------------

infusion = st.builds(
    Infusion,
    day=st.integers(-150, 100),
    dose_g=st.integers(0, 120).map(float),
    weight_kg=st.integers(40, 150).map(float),
    interval_days=st.integers(1, 60),
    product=st.just("Octagam"),
    route=st.sampled_from(Route),
)
patients = st.lists(st.lists(infusion, max_size=7), min_size=1, max_size=6)


@settings(deadline=None)
@given(patients, st.integers(-100, 100), st.integers(1, 120))
def test_window_intensity_array_equals_scalar(
    drawn: list[list[Infusion]], start_day: int, length_days: int
) -> None:
    end_day = start_day + length_days
    vectorized = window_intensity_array(InfusionArrays.from_infusions(drawn), start_day, end_day)
    scalar = [window_intensity(p, start_day, end_day) for p in drawn]
    np.testing.assert_allclose(vectorized, scalar, rtol=1e-12, atol=1e-15)


@settings(deadline=None)
@given(patients, st.integers(1, 4))
def test_baseline_intensity_array_equals_scalar(drawn: list[list[Infusion]], n: int) -> None:
    arrays = InfusionArrays.from_infusions(drawn)
    enough = [sum(i.day < 0 for i in p) >= n for p in drawn]
    if all(enough):
        vectorized = baseline_intensity_array(arrays, n)
        scalar = [baseline_intensity(p, n) for p in drawn]
        np.testing.assert_allclose(vectorized, scalar, rtol=1e-12, atol=1e-15)
    else:
        first_short = enough.index(False)
        with pytest.raises(MeasureError, match=f"of patient {first_short}: found"):
            baseline_intensity_array(arrays, n)
        with pytest.raises(MeasureError, match="found"):
            baseline_intensity(drawn[first_short], n)


@given(
    st.lists(st.floats(0, 2, allow_nan=False), min_size=1, max_size=10),
    st.floats(0.01, 2),
)
def test_percent_reduction_array_equals_scalar(intensities: list[float], baseline: float) -> None:
    vectorized = percent_reduction_array(intensities, baseline)
    scalar = [percent_reduction(i, baseline) for i in intensities]
    np.testing.assert_allclose(vectorized, scalar, rtol=1e-12)


def test_same_day_infusions_keep_their_order_in_both_versions() -> None:
    # Two records on day -21 (a split infusion): the later-listed one is the "last".
    history = [
        Infusion(-42, 40, 70, 21, "Octagam", Route.IV),
        Infusion(-21, 10, 70, 21, "Octagam", Route.IV),
        Infusion(-21, 30, 70, 21, "Octagam", Route.IV),
    ]
    assert baseline_intensity(history, 1) == pytest.approx(30 / 70 / 3)
    arrays = InfusionArrays.from_infusions([history])
    np.testing.assert_allclose(baseline_intensity_array(arrays, 1), [30 / 70 / 3])


def test_percent_reduction_rounds_as_the_array_near_a_half() -> None:
    # Hypothesis found it: round(x, 9) and numpy.round differed by 1e-9 here.
    intensity, baseline = 0.32004586848910505, 1.9272659234323597
    assert (
        percent_reduction(intensity, baseline) == percent_reduction_array([intensity], baseline)[0]
    )
