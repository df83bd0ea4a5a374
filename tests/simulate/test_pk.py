"""The IgG PK model against closed-form facts and an independent matrix-exponential solution."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import expm

from mmntrial.errors import SimulationError
from mmntrial.simulate import pk
from mmntrial.simulate.pk import (
    PkParameters,
    PkPopulation,
    exogenous_auc,
    exogenous_concentration,
    exogenous_window_mean,
    measured_igg,
    sample_pk_parameters,
    terminal_half_life_days,
)
from mmntrial.simulate.pk import model as pk_model
from mmntrial.simulate.pk._kernels import modes

POP = PkPopulation.cheng_2025()


@pytest.fixture
def five_patients() -> PkParameters:
    """Five sampled patients of different weights: every parameter differs between them."""
    return sample_pk_parameters(POP, np.array([45.0, 60.0, 70.0, 85.0, 110.0]), rng=11)


def reference_concentration(
    params: PkParameters, day: np.ndarray, dose_g: np.ndarray, times_day: np.ndarray
) -> np.ndarray:
    """One patient at a time, one infusion at a time, by the matrix exponential of the ODE."""
    out = np.zeros((params.n_patients, times_day.size))
    for i in range(params.n_patients):
        cl, v1 = params.CL_L_per_day[i], params.V1_L[i]
        q, v2 = params.Q_L_per_day[i], params.V2_L[i]
        rates = np.array([[-(cl + q) / v1, q / v2], [q / v1, -q / v2]])
        for d, g in zip(day[i], dose_g[i], strict=True):
            if np.isnan(d):
                continue
            for k, t in enumerate(times_day):
                if t >= d:
                    out[i, k] += (expm(rates * (t - d)) @ np.array([g, 0.0]))[0] / v1
    return out


def test_a_bolus_at_time_zero_gives_dose_over_v1(five_patients: PkParameters) -> None:
    dose_g = np.array([[10.0], [20.0], [30.0], [40.0], [50.0]])
    c = exogenous_concentration(five_patients, np.zeros((5, 1)), dose_g, [0.0])
    np.testing.assert_allclose(c[:, 0], dose_g[:, 0] / five_patients.V1_L, rtol=1e-12)


def test_the_auc_of_one_dose_is_dose_over_clearance(five_patients: PkParameters) -> None:
    dose_g = np.full((5, 1), 140.0)
    auc = exogenous_auc(five_patients, np.full((5, 1), 3.0), dose_g, [0.0, np.inf])
    np.testing.assert_allclose(auc[:, 0], 140.0 / five_patients.CL_L_per_day, rtol=1e-10)


def test_two_half_doses_equal_one_dose(five_patients: PkParameters) -> None:
    times = np.linspace(0.0, 60.0, 61)
    one = exogenous_concentration(five_patients, np.full((5, 1), 2.0), np.full((5, 1), 80.0), times)
    halves = exogenous_concentration(
        five_patients, np.full((5, 2), 2.0), np.full((5, 2), 40.0), times
    )
    np.testing.assert_allclose(halves, one, rtol=1e-12, atol=1e-14)
    assert one[:, 30].min() > 0.0  # the comparison is not between two arrays of zeros


def test_concentrations_match_the_matrix_exponential(five_patients: PkParameters) -> None:
    day = np.array([[0, 28, 56, np.nan]] * 4 + [[40, 0, 10, 20]], dtype=float)  # unsorted row
    dose_g = np.where(np.isnan(day), np.nan, 35.0)
    times = np.array([0.0, 0.5, 1.0, 7.0, 27.9, 28.0, 40.0, 55.0, 90.0, 200.0])
    got = exogenous_concentration(five_patients, day, dose_g, times)
    np.testing.assert_allclose(
        got, reference_concentration(five_patients, day, dose_g, times), rtol=1e-9, atol=1e-12
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_patients=st.integers(1, 4),
    n_infusions=st.integers(1, 4),
    n_times=st.integers(1, 12),
)
def test_vectorized_equals_one_patient_at_a_time(
    seed: int, n_patients: int, n_infusions: int, n_times: int
) -> None:
    rng = np.random.default_rng(seed)
    params = sample_pk_parameters(POP, rng.uniform(30, 130, n_patients), rng)
    day = rng.uniform(-10, 100, (n_patients, n_infusions)).round(1)
    day[rng.random(day.shape) < 0.3] = np.nan  # padding anywhere, even a whole row
    dose_g = np.where(np.isnan(day), np.nan, rng.uniform(0, 150, day.shape))
    times = np.sort(rng.uniform(-5, 150, n_times).round(1))
    together = exogenous_concentration(params, day, dose_g, times)
    one_by_one = np.vstack(
        [
            exogenous_concentration(params.take([i]), day[[i]], dose_g[[i]], times)
            for i in range(n_patients)
        ]
    )
    np.testing.assert_array_equal(together, one_by_one)
    np.testing.assert_allclose(
        together, reference_concentration(params, day, dose_g, times), rtol=1e-8, atol=1e-10
    )


def reference_auc(
    params: PkParameters, day: np.ndarray, dose_g: np.ndarray, edges_day: np.ndarray
) -> np.ndarray:
    """One patient, one infusion, one window at a time: the integral of each exponential."""
    rates, coefs = modes(params)
    out = np.zeros((params.n_patients, edges_day.size - 1))
    for i in range(params.n_patients):
        for d, g in zip(day[i], dose_g[i], strict=True):
            if np.isnan(d):
                continue
            for w in range(edges_day.size - 1):
                start, end = max(edges_day[w], d), max(edges_day[w + 1], d)
                for rate, coef in zip(rates[:, i], coefs[:, i], strict=True):
                    out[i, w] += (
                        g
                        * coef
                        / rate
                        * (math.exp(-rate * (start - d)) - math.exp(-rate * (end - d)))
                    )
    return out


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n_patients=st.integers(1, 3),
    n_infusions=st.integers(1, 4),
    n_edges=st.integers(2, 7),
    open_ended=st.booleans(),
)
def test_window_auc_equals_the_integral_of_each_exponential(
    seed: int, n_patients: int, n_infusions: int, n_edges: int, open_ended: bool
) -> None:
    rng = np.random.default_rng(seed)
    params = sample_pk_parameters(POP, rng.uniform(30, 130, n_patients), rng)
    edges = np.unique(rng.integers(0, 120, n_edges).astype(float))
    if edges.size < 2:
        edges = np.array([0.0, 28.0])
    if open_ended:
        edges[-1] = np.inf
    day = rng.integers(-20, 140, (n_patients, n_infusions)).astype(float)  # often on an edge
    day[rng.random(day.shape) < 0.25] = np.nan
    dose_g = np.where(np.isnan(day), np.nan, rng.uniform(0, 150, day.shape))
    got = exogenous_auc(params, day, dose_g, edges)
    np.testing.assert_allclose(got, reference_auc(params, day, dose_g, edges), rtol=1e-9, atol=1e-9)


def test_results_do_not_depend_on_the_chunk_size(
    five_patients: PkParameters, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = np.tile([0.0, 21.0, 42.0], (5, 1))
    dose_g = np.full((5, 3), 60.0)
    times, edges = np.arange(0.0, 100.0), np.arange(0.0, 100.0, 7.0)
    whole = exogenous_concentration(five_patients, day, dose_g, times)
    whole_auc = exogenous_auc(five_patients, day, dose_g, edges)
    monkeypatch.setattr(pk_model, "_CHUNK_ELEMENTS", 50)  # one or two patients per chunk
    np.testing.assert_allclose(
        exogenous_concentration(five_patients, day, dose_g, times), whole, rtol=1e-13
    )
    np.testing.assert_allclose(
        exogenous_auc(five_patients, day, dose_g, edges), whole_auc, rtol=1e-13
    )


def test_an_infusion_counts_from_its_day_and_never_before(five_patients: PkParameters) -> None:
    c = exogenous_concentration(
        five_patients, np.full((5, 1), 10.0), np.full((5, 1), 50.0), [0.0, 9.999, 10.0, 11.0]
    )
    assert (c[:, :2] == 0.0).all()
    np.testing.assert_allclose(c[:, 2], 50.0 / five_patients.V1_L)
    assert (c[:, 3] < c[:, 2]).all()


def test_window_mean_equals_numerical_integration(five_patients: PkParameters) -> None:
    day = np.tile([0.0, 5.0, 33.0], (5, 1))
    dose_g = np.tile([30.0, 0.0, 90.0], (5, 1))
    edges = np.array([-3.0, 2.0, 14.0, 28.0, 40.0, 65.0])
    width = 0.005
    # midpoint rule on cells whose boundaries fall on every infusion day and window edge
    mids = np.arange(edges[0], edges[-1], width) + width / 2
    c = exogenous_concentration(five_patients, day, dose_g, mids)
    window = np.searchsorted(edges, mids, side="right") - 1
    numeric = np.stack([c[:, window == w].mean(axis=1) for w in range(edges.size - 1)], axis=1)
    closed = exogenous_window_mean(five_patients, day, dose_g, edges)
    np.testing.assert_allclose(closed, numeric, rtol=1e-5)
    assert (closed[:, 0] > 0).all()
    assert (closed[:, 1:] > closed[:, :1] * 0.01).all()


def test_half_life_matches_the_late_slope_of_the_curve(five_patients: PkParameters) -> None:
    c = exogenous_concentration(
        five_patients, np.zeros((5, 1)), np.full((5, 1), 100.0), [300.0, 330.0]
    )
    slope_half_life = 30.0 * math.log(2.0) / np.log(c[:, 0] / c[:, 1])
    np.testing.assert_allclose(terminal_half_life_days(five_patients), slope_half_life, rtol=1e-6)


def test_extreme_volumes_still_match_the_matrix_exponential() -> None:
    # tiny and huge V2 stress the cancellation-free forms of alpha, beta and coefficients
    params = PkParameters(
        CL_L_per_day=np.array([0.3, 0.3, 5.0]),
        V1_L=np.array([3.0, 3.0, 3.0]),
        Q_L_per_day=np.array([1.0, 1.0, 0.01]),
        V2_L=np.array([0.01, 500.0, 7.0]),
        endogenous_igg_g_per_l=np.array([9.0, 9.0, 9.0]),
    )
    day, dose_g = np.zeros((3, 1)), np.full((3, 1), 100.0)
    times = np.array([0.0, 0.1, 3.0, 30.0, 300.0])
    np.testing.assert_allclose(
        exogenous_concentration(params, day, dose_g, times),
        reference_concentration(params, day, dose_g, times),
        rtol=1e-8,
        atol=1e-12,
    )


def test_sampling_reproduces_the_published_variability() -> None:
    n = 40_000
    params = sample_pk_parameters(POP, np.full(n, 70.0), rng=3)
    for values, typical, cv in [
        (params.CL_L_per_day, POP.CL_L_per_day, POP.cl_cv),
        (params.endogenous_igg_g_per_l, POP.endogenous_igg_g_per_l, POP.endogenous_cv),
    ]:
        assert np.median(values) == pytest.approx(typical, rel=0.02)
        assert np.log(values).std() == pytest.approx(math.sqrt(math.log1p(cv**2)), rel=0.02)
    eta_v2 = np.log(params.V2_L / POP.V2_L) / math.sqrt(math.log1p(POP.v2_cv**2))
    assert np.abs(eta_v2).max() <= POP.v2_eta_truncation_sd
    assert np.abs(eta_v2).max() > 0.95 * POP.v2_eta_truncation_sd  # the tails are used
    assert (params.V1_L == POP.V1_L).all()
    assert (params.Q_L_per_day == POP.Q_L_per_day).all()


def test_clearance_scales_with_weight_to_the_three_quarters() -> None:
    light = sample_pk_parameters(POP, np.full(20_000, 35.0), rng=5)
    heavy = sample_pk_parameters(POP, np.full(20_000, 70.0), rng=5)
    np.testing.assert_allclose(light.CL_L_per_day / heavy.CL_L_per_day, 0.5**0.75)
    np.testing.assert_allclose(light.V2_L / heavy.V2_L, 0.5)


def test_same_seed_same_patients_and_a_generator_advances() -> None:
    weights = np.linspace(40, 120, 9)
    a = sample_pk_parameters(POP, weights, rng=42)
    b = sample_pk_parameters(POP, weights, rng=np.random.default_rng(42))
    np.testing.assert_array_equal(a.V2_L, b.V2_L)
    gen = np.random.default_rng(42)
    first, second = (sample_pk_parameters(POP, weights, gen) for _ in range(2))
    assert not np.array_equal(first.CL_L_per_day, second.CL_L_per_day)


def test_measured_igg_has_the_combined_residual_error() -> None:
    n = 50_000
    params = PkParameters.from_population_typical(POP, np.full(n, 70.0))
    exogenous = np.column_stack([np.zeros(n), np.full(n, 11.0)])  # true totals 9 and 20 g/L
    measured = measured_igg(POP, params, exogenous, rng=8)
    for column, true_total in enumerate([9.0, 20.0]):
        expected_sd = math.hypot(0.812, 0.117 * true_total)
        assert measured[:, column].mean() == pytest.approx(true_total, abs=0.05)
        assert measured[:, column].std() == pytest.approx(expected_sd, rel=0.02)
    np.testing.assert_array_equal(measured, measured_igg(POP, params, exogenous, rng=8))


def test_measured_igg_is_never_negative() -> None:
    params = PkParameters.from_population_typical(POP, np.full(10_000, 70.0))
    params = PkParameters(**{**params.__dict__, "endogenous_igg_g_per_l": np.zeros(10_000)})
    measured = measured_igg(POP, params, np.zeros(10_000), rng=2)
    assert measured.min() == 0.0
    assert (measured > 0).mean() == pytest.approx(0.5, abs=0.03)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda p: exogenous_concentration(p, [[0.0]], [[10.0]], [0.0]), "expected \\(5 patients"),
        (
            lambda p: exogenous_concentration(p, np.zeros((5, 1)), np.full((5, 1), np.nan), [0.0]),
            "NaN in one but not the other",
        ),
        (
            lambda p: exogenous_concentration(p, np.zeros((5, 1)), np.full((5, 1), -1.0), [0.0]),
            "doses >= 0",
        ),
        (
            lambda p: exogenous_concentration(p, np.zeros((5, 1)), np.ones((5, 1)), [2.0, 1.0]),
            "times_day: got .*sorted",
        ),
        (
            lambda p: exogenous_auc(p, np.zeros((5, 1)), np.ones((5, 1)), [0.0, 0.0]),
            "strictly increasing",
        ),
        (lambda p: exogenous_auc(p, np.zeros((5, 1)), np.ones((5, 1)), [0.0]), "at least 2"),
        (
            lambda p: exogenous_window_mean(p, np.zeros((5, 1)), np.ones((5, 1)), [0.0, np.inf]),
            "window_edges_day",
        ),
        (lambda p: measured_igg(POP, p, np.zeros(3), rng=1), "5 patients on the first axis"),
        (lambda p: measured_igg(POP, p, np.zeros(5), rng=None), "rng: got None"),  # type: ignore[arg-type]
        (lambda p: sample_pk_parameters(POP, [70.0, -1.0], rng=1), "weight_kg"),
    ],
)
def test_bad_input_is_refused_with_a_message(
    five_patients: PkParameters, call: Callable[[PkParameters], object], message: str
) -> None:
    with pytest.raises(SimulationError, match=message):
        call(five_patients)


def test_population_refuses_percent_for_fractions_and_unknown_keys() -> None:
    with pytest.raises(SimulationError, match=r"cl_cv: got 42\.7, expected a fraction"):
        PkPopulation(**{**POP.to_dict(), "cl_cv": 42.7})
    with pytest.raises(SimulationError, match=re.escape("unknown keys ['CL']")):
        PkPopulation.from_mapping({**POP.to_dict(), "CL": 0.3})
    with pytest.raises(SimulationError, match=re.escape("PkParameters.V2_L[1]: got 0.0")):
        PkParameters(
            **{
                **PkParameters.from_population_typical(POP, [70, 70]).__dict__,
                "V2_L": np.array([7.0, 0.0]),
            }
        )


def test_public_api_is_pinned() -> None:
    assert sorted(pk.__all__) == [
        "FloatArray",
        "PkParameters",
        "PkPopulation",
        "exogenous_auc",
        "exogenous_concentration",
        "exogenous_window_mean",
        "measured_igg",
        "sample_pk_parameters",
        "terminal_half_life_days",
    ]
