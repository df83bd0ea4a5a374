"""Does the IgG kinetics of ``mmn-default`` reproduce what was measured in patients?

Virtual population: 20,000 patients of ``mmn-default`` as the simulator builds them
(``draw_trials`` and ``build_patients`` under ``piepers-2007``): their own weights
(log-normal, median 78 kg, CV 18%) and their own PK parameters, i.e. the population
file's ``[pk]`` section, two of whose values (``cl_cv``, ``v2_cv``) are tuned to these
tests (the file says why).

Check values and how they were measured:

- [S30] Kuitwaard et al. 2009: 174 GBS patients given the standard course of 2 g/kg as
  0.4 g/kg on 5 consecutive days; total serum IgG "immediately before and 2 weeks after
  the start of IVIg". Rise (delta IgG) mean 7.8 g/L, SD 5.6 g/L. We give the same course
  (days 0-4) and compare measured IgG (with residual error) on day 14 with day -0.5.
- [S32, S35] terminal half-life of IgG: derived about 28 days, reported 17-30. The
  median must lie in 21-30 days (DOMAIN.md section 4) and the spread must be plausible:
  5-95% range within 14-50 days and at most 10% of patients above 45 days (ASSUMPTION:
  the reported 17-30 days are typical values of studies; individuals may spread about
  1.2x below and 1.7x above them; 45 days is 1.5x the top of the reported range).

Run with ``pytest -s tests/calibration`` to see the figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.pk import (
    PkParameters,
    PkPopulation,
    exogenous_concentration,
    measured_igg,
    terminal_half_life_days,
)
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.patients import build_patients, draw_trials

N_PER_ARM, N_TRIALS = 500, 20  # 20,000 patients
SEED = 20250601

RISE_TARGET_MEAN_G_PER_L, RISE_TARGET_SD_G_PER_L = 7.8, 5.6  # [S30]
HALF_LIFE_MEDIAN_TARGET_DAYS = (21.0, 30.0)  # [S32, S35], DOMAIN.md section 4
HALF_LIFE_5_95_BOUND_DAYS = (14.0, 50.0)  # ASSUMPTION, see the module docstring
LONG_HALF_LIFE_DAYS, LONG_HALF_LIFE_MAX_FRACTION = 45.0, 0.10  # ASSUMPTION, idem


@dataclass(frozen=True)
class VirtualPopulation:
    """The sampled patients, their weights, and the population they came from."""

    pop: PkPopulation
    weight_kg: np.ndarray
    params: PkParameters


@pytest.fixture(scope="module")
def virtual() -> VirtualPopulation:
    protocol, population = load_protocol("piepers-2007"), load_population("mmn-default")
    draws = draw_trials(protocol, population, N_PER_ARM, seed=SEED, trials=range(N_TRIALS))
    patients = build_patients(protocol, population, draws)
    return VirtualPopulation(population.pk, patients.weight_kg, patients.pk)


def rise_in_measured_igg(
    virtual: VirtualPopulation, course_days: np.ndarray, dose_g_per_kg: float, seed: int
) -> np.ndarray:
    """Measured IgG on day 14 minus measured IgG just before the first infusion (g/L)."""
    n = virtual.params.n_patients
    day = np.tile(course_days, (n, 1))
    dose_g = np.outer(virtual.weight_kg * dose_g_per_kg, np.ones(course_days.size))
    exogenous = exogenous_concentration(virtual.params, day, dose_g, [-0.5, 14.0])
    measured = measured_igg(virtual.pop, virtual.params, exogenous, rng=seed)
    return measured[:, 1] - measured[:, 0]


def test_rise_in_igg_two_weeks_after_2_g_per_kg(virtual: VirtualPopulation) -> None:
    """Rise at day 14 after 5 x 0.4 g/kg: mean within 7.8 +- 2 g/L, SD within 5.6 +- 2.8.

    Tolerance for the mean: the published mean has a standard error of 5.6 / sqrt(174)
    = 0.42 g/L, and the populations differ (acutely ill GBS adults in [S30], children
    with antibody deficiency in [S32], MMN adults here), as do the assays and the exact
    sampling day. +-2 g/L (about 25%) accepts that difference and still fails a model
    off by a factor of 1.4 either way (a volume or dose-unit error). The SD is looser,
    +-50%: a spread depends most on the population, and GBS adds variability of its own
    (disease severity changes IgG catabolism [S30]).
    """
    rise = rise_in_measured_igg(virtual, np.arange(5.0), 0.4, seed=1)
    single = rise_in_measured_igg(virtual, np.array([0.0]), 2.0, seed=1)
    mean, sd = float(rise.mean()), float(rise.std(ddof=1))
    print(
        f"\nrise in measured IgG at day 14 after 2 g/kg (5 x 0.4 g/kg, days 0-4), "
        f"n={virtual.params.n_patients}:\n"
        f"  simulated mean {mean:.2f} g/L, SD {sd:.2f} g/L, median {np.median(rise):.2f}, "
        f"5-95% {np.percentile(rise, 5):.2f} to {np.percentile(rise, 95):.2f}\n"
        f"  target [S30]   mean {RISE_TARGET_MEAN_G_PER_L} g/L, SD {RISE_TARGET_SD_G_PER_L} g/L\n"
        f"  sensitivity, one 2 g/kg dose on day 0: mean {single.mean():.2f}, "
        f"SD {single.std(ddof=1):.2f} g/L"
    )
    assert abs(mean - RISE_TARGET_MEAN_G_PER_L) <= 2.0
    assert abs(sd - RISE_TARGET_SD_G_PER_L) <= 0.5 * RISE_TARGET_SD_G_PER_L


def test_terminal_half_life_median_and_spread(virtual: VirtualPopulation) -> None:
    """Median 21-30 days; 5-95% within 14-50 days; at most 10% above 45 days.

    The typical 70-kg patient is printed too: between-patient variability moves the
    population median away from it (the median is not a parameter of the model).
    """
    half_life = terminal_half_life_days(virtual.params)
    typical = PkParameters.from_population_typical(virtual.pop, [70.0])
    typical_days = float(terminal_half_life_days(typical)[0])
    median = float(np.median(half_life))
    p5, p25, p75, p95 = np.percentile(half_life, [5, 25, 75, 95])
    long = float((half_life > LONG_HALF_LIFE_DAYS).mean())
    low, high = HALF_LIFE_MEDIAN_TARGET_DAYS
    bound_low, bound_high = HALF_LIFE_5_95_BOUND_DAYS
    n = virtual.params.n_patients
    print(
        f"\nterminal half-life, n={n}, weights median {np.median(virtual.weight_kg):.1f} kg:\n"
        f"  simulated median {median:.1f} days (IQR {p25:.1f}-{p75:.1f}, "
        f"5-95% {p5:.1f}-{p95:.1f}), {long:.3f} above {LONG_HALF_LIFE_DAYS:.0f} days; "
        f"typical 70-kg patient {typical_days:.1f} days\n"
        f"  target [S32, S35] median {low:.0f}-{high:.0f} days (reported 17-30); 5-95% within "
        f"{bound_low:.0f}-{bound_high:.0f} days, at most {LONG_HALF_LIFE_MAX_FRACTION:.2f} "
        f"above {LONG_HALF_LIFE_DAYS:.0f} (ASSUMPTION)"
    )
    assert low <= median <= high
    assert bound_low <= p5
    assert p95 <= bound_high
    assert long <= LONG_HALF_LIFE_MAX_FRACTION
