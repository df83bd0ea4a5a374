"""The labs of large simulated trials against the rates the population file sets
([drug] and [labs] of mmn-default).

Leukopenia. [S47] counts a leukopenia as white cells below 3.5 x 10^9/L, in
``drug.leukopenia_probability_drug`` of patients in 12 months. A drug-arm subject's
worst white-cell count after day 0 is below 3.5 when their leukopenia starts within
their follow-up (a constant hazard: probability ``1 - (1 - p) ** (t / 365.25)`` over
``t`` days; the disposition's last day), or else when a healthy count of theirs falls
that low by chance: one of the ``k`` counts the lab schedule takes after day 0 within
their follow-up, each log-normal around a personal set point (population ``[labs]``),
integrated over the set point. The expected number of subjects is the sum of those
probabilities, its standard error that of a sum of independent Bernoulli draws; the
count must fall within three standard errors of it, and a leukopenia rate a quarter
higher or lower must not (with four trials of 1000 per arm, 4000 drug-arm subjects,
a quarter is about four standard errors). The seeds are fixed: the test is
deterministic.

Healthy tail. At baseline no one is in a leukopenia episode, and platelets are only
their healthy log-normal: the fraction below the LLN (grade 1 or worse in the DSMB's
shift table) is the log-normal's tail below it, within three standard errors.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.special import ndtr

from mmntrial.analysis.dsmb import POOLED, shift_tables
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.safety.lab_schedule import due_days
from mmntrial.simulate.population import Population, load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.units import DAYS_PER_YEAR

N_PER_ARM = 1000
SEEDS = (15, 16, 17, 18)
TOLERANCE_SE = 3.0
LEUKOPENIA_WBC = 3.5  # x 10^9/L [S47]
# Values are shown to 0.01 x 10^9/L (white cells) and whole 10^9/L (platelets): a value
# shows below the edge when it is below the edge less half a step.
WBC_STEP, PLATELET_STEP = 0.01, 1.0


@pytest.fixture(scope="module")
def trials() -> tuple[Protocol, Population, list[Dataset]]:
    protocol = load_protocol("piepers-2007")
    population = load_population("mmn-default")
    data = [
        simulate_one_trial(protocol, population, effect=0.0, seed=seed, n_per_arm=N_PER_ARM)
        for seed in SEEDS
    ]
    return protocol, population, data


def _log_sd(cv: float) -> float:
    return math.sqrt(math.log1p(cv * cv))


def _healthy_min_below(population: Population, edge: float, counts: np.ndarray) -> np.ndarray:
    """P(the lowest of ``k`` healthy white-cell counts shows below ``edge``), per k."""
    draw = population.labs.of("wbc")
    share = population.labs.within_subject_variance_fraction
    sd = _log_sd(draw.cv)
    nodes, weights = np.polynomial.hermite_e.hermegauss(80)
    weights = weights / weights.sum()
    set_point = sd * math.sqrt(1.0 - share) * nodes
    below_one = ndtr((math.log(edge) - math.log(draw.median) - set_point) / (sd * math.sqrt(share)))
    k = counts[:, np.newaxis]
    return np.asarray(((1.0 - (1.0 - below_one) ** k) * weights).sum(axis=1))


def _expected(
    population: Population, days: np.ndarray, counts: np.ndarray, p_12_months: float
) -> tuple[float, float]:
    episode = 1.0 - (1.0 - p_12_months) ** (days / DAYS_PER_YEAR)
    healthy = _healthy_min_below(population, LEUKOPENIA_WBC - WBC_STEP / 2, counts)
    p = episode + (1.0 - episode) * healthy
    return float(p.sum()), float(np.sqrt((p * (1.0 - p)).sum()))


def test_leukopenia_in_the_white_cells_matches_the_population_rate(
    trials: tuple[Protocol, Population, list[Dataset]],
) -> None:
    protocol, population, data = trials
    schedule = protocol.safety.lab_schedule
    assert schedule is not None
    due = np.array([d for d in due_days(schedule) if d > 0])
    drug_arms = [arm.name for arm in protocol.arms if arm.drug != "placebo"]
    observed, days = 0, []
    for dataset in data:
        members = dataset.subjects.loc[dataset.subjects["arm"].isin(drug_arms), "subject_id"]
        wbc = dataset.labs[(dataset.labs["test"] == "wbc") & (dataset.labs["day"] > 0)]
        worst = wbc.groupby("subject_id")["value"].min().reindex(pd.Index(members))
        observed += int((worst < LEUKOPENIA_WBC).sum())
        last = dataset.dispositions.set_index("subject_id")["day"].reindex(pd.Index(members))
        days.extend(last.clip(lower=0).astype(float).tolist())
    followed = np.asarray(days)
    counts = (due[np.newaxis, :] <= followed[:, np.newaxis]).sum(axis=1)
    rate = population.drug.leukopenia_probability_drug
    mean, se = _expected(population, followed, counts, rate)
    print(f"\nWBC < 3.5 after day 0, drug arm: {observed} of {followed.size}, "
          f"expected {mean:.1f} +- {se:.1f}")  # fmt: skip
    assert abs(observed - mean) <= TOLERANCE_SE * se, (observed, mean, se)
    for changed in (rate * 0.75, rate * 1.25):
        other, other_se = _expected(population, followed, counts, changed)
        away = abs(observed - other) / other_se
        print(f"rate {changed:g}: expected {other:.1f}, {away:.1f} SE away")
        assert abs(observed - other) > TOLERANCE_SE * other_se, (changed, observed, other)


def test_healthy_platelets_grade_as_often_as_the_normal_range_tail(
    trials: tuple[Protocol, Population, list[Dataset]],
) -> None:
    _, population, data = trials
    draw = population.labs.of("platelets")
    tail = float(
        ndtr((math.log(draw.lln - PLATELET_STEP / 2) - math.log(draw.median)) / _log_sd(draw.cv))
    )
    graded = subjects = 0
    for dataset in data:
        group = pd.Series(POOLED, index=dataset.subjects["subject_id"].astype(str))
        (table,) = [t for t in shift_tables(dataset.labs, group) if t.test == "platelets"]
        by_baseline = table.counts.sum(axis=1)
        subjects += int(by_baseline.sum())
        graded += int(by_baseline[["1", "2", "3", "4"]].sum())
    assert subjects == len(SEEDS) * 2 * N_PER_ARM
    se = math.sqrt(subjects * tail * (1.0 - tail))
    print(f"\nplatelets below the LLN at baseline: {graded} of {subjects}, "
          f"expected {subjects * tail:.1f} +- {se:.1f}")  # fmt: skip
    assert abs(graded - subjects * tail) <= TOLERANCE_SE * se
