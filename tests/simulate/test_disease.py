"""The virtual patient: sampling, exposure, deficit, drug onset, measures."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from scipy.special import ndtri

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.disease import (
    Exposure,
    days_above,
    deficit,
    harm_threshold,
    measured,
    onset_of,
    true_strength,
)
from mmntrial.simulate.trials.patients import Patients, build_patients, draw_trials

PROTOCOL = load_protocol("piepers-2007")
POP = load_population("mmn-default")


@pytest.fixture(scope="module")
def patients() -> Patients:
    return build_patients(PROTOCOL, POP, draw_trials(PROTOCOL, POP, 200, seed=0, trials=range(3)))


def test_covariates_follow_the_population(patients: Patients) -> None:
    assert patients.n == 1200
    assert abs(patients.male.mean() - POP.covariates.male_fraction) < 0.05
    assert abs(patients.gm1_positive.mean() - POP.covariates.anti_gm1_positive_fraction) < 0.05
    assert set(np.unique(patients.interval_days)) <= {14.0, 21.0, 28.0, 35.0}
    assert (patients.age_years >= 18).all()
    assert (patients.age_years <= 80).all()
    # Arm-predominant asymmetry: the weaker hand loses more when IVIg wears off.
    weaker = patients.grip_full_kpa.argmin(axis=1)
    assert (patients.grip_treatable_kpa.argmax(axis=1) == weaker).mean() > 0.95
    # Each trial's allocation is balanced in permuted blocks of 2 and 4.
    for trial in range(3):
        assert abs(int(patients.arm[patients.trial == trial].sum()) - 200) <= 2


def test_a_small_fraction_needs_no_ivig_and_some_are_overtreated(patients: Patients) -> None:
    mean_exposure = patients.dose_g / (patients.pk.CL_L_per_day * patients.interval_days)
    fraction = patients.need_g_per_l / mean_exposure
    assert 0.0 < (fraction == 0).mean() < 0.06
    assert 0.02 < ((fraction > 0) & (fraction < 0.6)).mean() < 0.15


def test_deficit_is_zero_above_the_need_and_one_without_igg() -> None:
    d = deficit(np.array([10.0, 5.0, 2.5, 0.0, 3.0]), np.array([5.0, 5.0, 5.0, 5.0, 0.0]))
    np.testing.assert_allclose(d, [0.0, 0.0, 0.5, 1.0, 0.0])


def test_days_above_counts_crossings_in_proportion() -> None:
    samples = np.array([[0.0, 1.0, 1.0], [1.0, 1.0, 0.0], [0.0, 1.0, 0.0]])
    got = days_above(samples, np.array([0.5, 0.5, 2.0]), np.array([10.0, 10.0, 10.0]))
    np.testing.assert_allclose(got, [5.0, 10.0, 0.0])


def test_exposure_does_not_depend_on_how_time_is_cut(patients: Patients) -> None:
    """One 30-day step or ten 3-day steps end in the same state (closed form)."""
    model = patients.model()
    one = Exposure.steady_state(patients, model, patients.interval_days.copy())
    many = Exposure.steady_state(patients, model, patients.interval_days.copy())
    one.add_dose(model, patients.dose_g)
    many.add_dose(model, patients.dose_g)
    one.advance(np.full(patients.n, 30.0))
    for _ in range(10):
        many.advance(np.full(patients.n, 3.0))
    np.testing.assert_allclose(one.effect_modes, many.effect_modes, rtol=1e-10)
    np.testing.assert_allclose(one.effect_now(), many.effect_now(), rtol=1e-10)


def test_effect_compartment_is_periodic_at_steady_state(patients: Patients) -> None:
    model = patients.model()
    exposure = Exposure.steady_state(patients, model, np.zeros(patients.n))
    start = exposure.effect_now()
    samples = exposure.advance(patients.interval_days, n_samples=9)
    exposure.add_dose(model, patients.dose_g)
    np.testing.assert_allclose(exposure.effect_now(), start, rtol=1e-9)
    assert (samples.max(axis=0) > samples.min(axis=0)).all()  # it does move within a cycle


def test_onset_rises_pauses_when_interrupted_and_is_zero_on_placebo(patients: Patients) -> None:
    one = patients.take(np.array([0, 1]))
    one = dataclasses.replace(
        one,
        on_drug=np.array([True, False]),
        leukopenia_day=np.array([100.0, np.inf]),
        interruption_end_day=np.array([114.0, np.inf]),
    )
    days = [30.0, 60.0, 100.0, 114.0, 200.0]
    values = np.array([onset_of(one, 60.0, np.full(2, day)) for day in days])
    assert (values[:, 1] == 0.0).all()
    drug = values[:, 0]
    assert drug[0] < drug[1] < drug[2]
    assert drug[3] < drug[2] < drug[4]
    np.testing.assert_allclose(drug[2], 1 - np.exp(-100 / 60))


def test_measures_move_only_with_real_change(patients: Patients) -> None:
    some = patients.take(np.arange(50))
    zero = np.zeros(50)
    start = true_strength(POP, some, zero, zero)
    capacity = start.grip_kpa.mean(axis=1)
    calm = measured(POP, some, start, capacity, some.titre0_log2, np.zeros((50, 7)))
    assert (calm["gnds_upper"] == some.gnds_upper0).all()
    weak = true_strength(POP, some, np.ones(50), zero)
    worse = measured(POP, some, weak, capacity, some.titre0_log2, np.zeros((50, 7)))
    assert (worse["mrc_sum"] <= calm["mrc_sum"]).all()
    lost = 1 - weak.grip_kpa.mean(axis=1) / capacity
    expected = np.clip(some.gnds_upper0 + np.trunc(lost / 0.15), 0, 5)
    np.testing.assert_array_equal(worse["gnds_upper"], expected)
    assert (harm_threshold(POP, some) > 0).all()


def test_gnds_is_scored_one_grade_off_at_the_population_rate(patients: Patients) -> None:
    zero = np.zeros(patients.n)
    strength = true_strength(POP, patients, zero, zero)
    capacity = strength.grip_kpa.mean(axis=1)
    noise = np.random.default_rng(3).standard_normal((40, patients.n, 7))
    off = {"gnds_upper": [], "gnds_lower": []}
    for draw in noise:
        values = measured(POP, patients, strength, capacity, patients.titre0_log2, draw)
        off["gnds_upper"].append(values["gnds_upper"] - patients.gnds_upper0)
        off["gnds_lower"].append(values["gnds_lower"] - patients.gnds_lower0)
    p = POP.noise.gnds_misgrade_probability
    for key, diffs in off.items():
        d = np.array(diffs)
        assert set(np.unique(d)) <= {-1.0, 0.0, 1.0}, key
        # Up and down each p / 2, less where the scale's end (0 or 5) cuts a grade off.
        assert 0.5 * p / 2 < (d > 0).mean() <= p / 2 + 0.005, key
        assert (d < 0).mean() <= p / 2 + 0.005, key
    # The quantile rule: a normal beyond the p / 2 tails moves the grade, none else does.
    inner = np.zeros((patients.n, 7))
    inner[:, 5:] = 0.9 * abs(float(ndtri(p / 2)))
    calm = measured(POP, patients, strength, capacity, patients.titre0_log2, inner)
    np.testing.assert_array_equal(calm["gnds_upper"], patients.gnds_upper0)
    inner[:, 5:] = 10.0
    up = measured(POP, patients, strength, capacity, patients.titre0_log2, inner)
    np.testing.assert_array_equal(up["gnds_upper"], np.minimum(patients.gnds_upper0 + 1, 5))
    np.testing.assert_array_equal(up["gnds_lower"], np.minimum(patients.gnds_lower0 + 1, 5))
