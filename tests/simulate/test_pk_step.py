"""The stateful PK step against the whole-schedule functions of pk/model.py."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from mmntrial.errors import SimulationError
from mmntrial.simulate.pk import (
    PkParameters,
    PkPopulation,
    exogenous_concentration,
    exogenous_window_mean,
    sample_pk_parameters,
)
from mmntrial.simulate.pk.step import PkModel, PkState, steady_state_mean_g_per_l

POP = PkPopulation.cheng_2025()


@pytest.fixture
def params() -> PkParameters:
    return sample_pk_parameters(POP, np.array([45.0, 70.0, 95.0, 120.0]), rng=3)


def test_steps_and_doses_equal_the_whole_schedule(params: PkParameters) -> None:
    """Doses on days 0, 21, 42 with unequal steps: concentrations and window means match."""
    model = PkModel.of(params)
    doses = np.array([[40.0, 0.0, 80.0], [70.0, 35.0, 70.0], [20.0, 90.0, 10.0], [5.0, 5.0, 5.0]])
    days = np.array([0.0, 21.0, 42.0])
    edges = np.array([0.0, 9.5, 21.0, 30.0, 42.0, 43.0, 70.0])
    state = PkState.empty(4)
    means, ends = [], []
    for left, right in itertools.pairwise(edges):
        given = np.where(days == left)[0]
        if given.size:
            state.add_dose(model, doses[:, given[0]])
        means.append(state.step(model, np.full(4, right - left)))
        ends.append(state.concentration_g_per_l())
    day_grid = np.tile(days, (4, 1))
    expected_mean = exogenous_window_mean(params, day_grid, doses, edges)
    expected_end = exogenous_concentration(params, day_grid, doses, edges[1:] - 1e-9)
    np.testing.assert_allclose(np.stack(means, axis=1), expected_mean, rtol=1e-9)
    np.testing.assert_allclose(np.stack(ends, axis=1), expected_end, rtol=1e-6)


def test_steady_state_repeats_itself_after_one_interval(params: PkParameters) -> None:
    model = PkModel.of(params)
    dose, tau = np.array([30.0, 60.0, 90.0, 120.0]), np.array([14.0, 21.0, 28.0, 35.0])
    state = PkState.steady_state(model, dose, tau, np.zeros(4))
    start = state.modes_g_per_l.copy()
    mean = state.step(model, tau)
    state.add_dose(model, dose)
    np.testing.assert_allclose(state.modes_g_per_l, start, rtol=1e-12)  # just after a dose
    np.testing.assert_allclose(mean, steady_state_mean_g_per_l(model, dose, tau), rtol=1e-9)


def test_a_zero_step_changes_nothing(params: PkParameters) -> None:
    model = PkModel.of(params)
    state = PkState.empty(4).add_dose(model, np.full(4, 50.0))
    now = state.concentration_g_per_l()
    np.testing.assert_array_equal(state.step(model, np.zeros(4)), now)
    np.testing.assert_array_equal(state.concentration_g_per_l(), now)


def test_steady_state_refuses_a_negative_dose(params: PkParameters) -> None:
    with pytest.raises(SimulationError, match="dose_g"):
        PkState.steady_state(PkModel.of(params), -np.ones(4), np.full(4, 21.0), np.zeros(4))
