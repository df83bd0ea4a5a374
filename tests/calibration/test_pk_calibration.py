"""Does the published PK model [S32] reproduce what was measured in patients?

Virtual population: 20,000 adults, weight log-normal with mean 70 kg and SD 15 kg
(median 68 kg, 95% range about 45-104 kg), drawn from a fixed seed. The weights are an
assumption for adults, mostly men (2.7:1 [S9]); no MMN weight data were found.
Parameters from :meth:`PkPopulation.cheng_2025`.

Check values and how they were measured:

- [S30] Kuitwaard et al. 2009: 174 GBS patients given the standard course of 2 g/kg as
  0.4 g/kg on 5 consecutive days; total serum IgG "immediately before and 2 weeks after
  the start of IVIg". Rise (delta IgG) mean 7.8 g/L, SD 5.6 g/L. We give the same course
  (days 0-4) and compare measured IgG (with residual error) on day 14 with day -0.5.
- [S32, S35] terminal half-life of IgG: derived about 28 days, reported 17-30 (DOMAIN.md
  section 4 quotes 21-30 as the target).

Run with ``pytest -s tests/calibration`` to see the figures.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest

from mmntrial.simulate.pk import (
    PkParameters,
    PkPopulation,
    exogenous_concentration,
    measured_igg,
    sample_pk_parameters,
    terminal_half_life_days,
)

N_PATIENTS = 20_000
WEIGHT_MEAN_KG, WEIGHT_SD_KG = 70.0, 15.0
SEED = 20250601

RISE_TARGET_MEAN_G_PER_L, RISE_TARGET_SD_G_PER_L = 7.8, 5.6  # [S30]
HALF_LIFE_TARGET_DAYS = (21.0, 30.0)  # [S32, S35]


@dataclass(frozen=True)
class VirtualPopulation:
    """The sampled patients, their weights, and the population they came from."""

    pop: PkPopulation
    weight_kg: np.ndarray
    params: PkParameters


@pytest.fixture(scope="module")
def virtual() -> VirtualPopulation:
    rng = np.random.default_rng(SEED)
    sigma = math.sqrt(math.log1p((WEIGHT_SD_KG / WEIGHT_MEAN_KG) ** 2))
    weight_kg = rng.lognormal(math.log(WEIGHT_MEAN_KG) - sigma**2 / 2, sigma, N_PATIENTS)
    pop = PkPopulation.cheng_2025()
    return VirtualPopulation(pop, weight_kg, sample_pk_parameters(pop, weight_kg, rng))


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
        f"n={N_PATIENTS}:\n"
        f"  simulated mean {mean:.2f} g/L, SD {sd:.2f} g/L, median {np.median(rise):.2f}, "
        f"5-95% {np.percentile(rise, 5):.2f} to {np.percentile(rise, 95):.2f}\n"
        f"  target [S30]   mean {RISE_TARGET_MEAN_G_PER_L} g/L, SD {RISE_TARGET_SD_G_PER_L} g/L\n"
        f"  sensitivity, one 2 g/kg dose on day 0: mean {single.mean():.2f}, "
        f"SD {single.std(ddof=1):.2f} g/L"
    )
    assert abs(mean - RISE_TARGET_MEAN_G_PER_L) <= 2.0
    assert abs(sd - RISE_TARGET_SD_G_PER_L) <= 0.5 * RISE_TARGET_SD_G_PER_L


def test_terminal_half_life(virtual: VirtualPopulation) -> None:
    """Median terminal half-life within 17-30 days; the typical 70-kg patient within 21-30.

    17-30 days is the reported range [S32, S35]. The population median is asserted
    against the wide band because between-patient variability moves it away from the
    typical patient's value (it is not a parameter of the model); the typical patient
    is asserted against the target range itself.
    """
    half_life = terminal_half_life_days(virtual.params)
    typical = PkParameters.from_population_typical(virtual.pop, [70.0])
    typical_days = float(terminal_half_life_days(typical)[0])
    median = float(np.median(half_life))
    p5, p25, p75, p95 = np.percentile(half_life, [5, 25, 75, 95])
    print(
        f"\nterminal half-life, n={N_PATIENTS}:\n"
        f"  simulated median {median:.1f} days (IQR {p25:.1f}-{p75:.1f}, "
        f"5-95% {p5:.1f}-{p95:.1f}); typical 70-kg patient {typical_days:.1f} days\n"
        f"  target [S32, S35] {HALF_LIFE_TARGET_DAYS[0]:.0f}-{HALF_LIFE_TARGET_DAYS[1]:.0f} "
        "days (reported range 17-30)"
    )
    assert 17.0 <= median <= 30.0
    assert HALF_LIFE_TARGET_DAYS[0] <= typical_days <= HALF_LIFE_TARGET_DAYS[1]
