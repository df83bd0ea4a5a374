"""The Monte-Carlo trial simulator: many whole trials through the real protocol engine.

Trials are processed in chunks of ``chunk_trials``; trial ``t`` of the run takes its
randomness from child ``t`` of ``np.random.SeedSequence(seed)``
(:func:`~mmntrial.simulate.trials.patients.trial_generator`), so a trial's result depends only
on the seed and its number: never on the chunk size, how many chunks there are, which
worker runs them, or in which order. Memory stays flat: one chunk at a time.

>>> from mmntrial.protocol.loader import load_protocol
>>> from mmntrial.simulate.population import load_population
>>> results = run_trials(load_protocol("piepers-2007"), load_population("mmn-default"),
...                      n_trials=20, effect=0.0, seed=1, chunk_trials=10)
>>> len(results.per_trial), results.summary().n_trials
(20, 20)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from mmntrial.errors import SimulationError
from mmntrial.protocol.model import Protocol, Sidedness
from mmntrial.simulate.population.model import MAX_N_PER_ARM, Population
from mmntrial.simulate.trials.course import Outcome, check_simulable, run_course
from mmntrial.simulate.trials.fisher import fisher_p_values
from mmntrial.simulate.trials.patients import Patients, build_patients, draw_trials
from mmntrial.simulate.trials.summary import DesignSummary
from mmntrial.units import DAYS_PER_WEEK, DAYS_PER_YEAR, Floats, Ints

# Caps on sizes, stated in the refusal: far above any MMN design (a rare disease, trials
# of tens of patients per arm), far below what would exhaust memory or run for days.
MAX_TRIALS = 1_000_000
MAX_CHUNK_TRIALS = 100_000


def check_arguments(*, labels: Mapping[str, str] | None = None, **given: Any) -> None:
    """Raise SimulationError naming the first argument out of range.

    ``labels`` renames arguments in the message, e.g. to the command-line option a user
    typed:

    >>> check_arguments(labels={"n_trials": "--trials"}, n_trials=0)
    Traceback (most recent call last):
    mmntrial.errors.SimulationError: --trials: got 0, expected a whole number from 1 to ...
    """
    checks: dict[str, tuple[Callable[[Any], bool], str]] = {
        "effect": (lambda v: _real(v) and 0.0 <= v < 1.0, "a number in [0, 1)"),
        "n_trials": (
            lambda v: _whole(v) and 1 <= v <= MAX_TRIALS,
            f"a whole number from 1 to {MAX_TRIALS:,} (the cap on trials per design)",
        ),
        "chunk_trials": (
            lambda v: _whole(v) and 1 <= v <= MAX_CHUNK_TRIALS,
            f"a whole number from 1 to {MAX_CHUNK_TRIALS:,}",
        ),
        "n_trials_in_chunk": (lambda v: _whole(v) and v >= 1, "a whole number >= 1"),
        "chunk_index": (lambda v: _whole(v) and v >= 0, "a whole number >= 0"),
        "seed": (lambda v: _whole(v) and v >= 0, "a whole number >= 0"),
        "n_per_arm": (
            lambda v: v is None or (_whole(v) and 2 <= v <= MAX_N_PER_ARM),
            f"a whole number from 2 to {MAX_N_PER_ARM:,} (the cap on patients per arm)",
        ),
        "trial_index": (lambda v: _whole(v) and v >= 0, "a whole number >= 0"),
    }
    for name, value in given.items():
        ok, expected = checks[name]
        if not ok(value):
            label = (labels or {}).get(name, name)
            raise SimulationError(f"{label}: got {value!r}, expected {expected}")


def _real(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _whole(value: Any) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


def arm_roles(protocol: Protocol) -> tuple[int, int]:
    """(drug arm index, control arm index): control is the placebo arm (else the last)."""
    placebo = [i for i, arm in enumerate(protocol.arms) if arm.drug == "placebo"]
    control = placebo[0] if placebo else len(protocol.arms) - 1
    return 1 - control, control


def draw_chunk(
    protocol: Protocol,
    population: Population,
    *,
    seed: int,
    trials: range,
    n_per_arm: int,
) -> tuple[Patients, Floats]:
    """The patients and assessment noise of ``trials`` (their numbers in the run)."""
    draws = draw_trials(protocol, population, n_per_arm, seed=seed, trials=trials)
    return build_patients(protocol, population, draws), draws.noise()


def run_chunk(
    protocol: Protocol,
    population: Population,
    *,
    effect: float,
    seed: int,
    chunk_index: int,
    n_trials_in_chunk: int,
    n_per_arm: int | None,
    chunk_trials: int | None = None,
) -> pd.DataFrame:
    """One chunk of trials: a DataFrame with one row per trial (see :class:`TrialResults`).

    ``trial`` numbers continue from ``chunk_index * chunk_trials`` (``chunk_trials``
    defaults to ``n_trials_in_chunk``: pass the full chunk size for the last, smaller
    chunk). Concatenating the chunks of a run, in any order, and sorting by ``trial``
    gives :func:`run_trials`' table.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> from mmntrial.simulate.population import load_population
    >>> frame = run_chunk(load_protocol("piepers-2007"), load_population("mmn-default"),
    ...                   effect=0.0, seed=1, chunk_index=1, n_trials_in_chunk=3, n_per_arm=None)
    >>> frame["trial"].tolist()
    [3, 4, 5]
    """
    check_arguments(
        effect=effect,
        seed=seed,
        chunk_index=chunk_index,
        n_trials_in_chunk=n_trials_in_chunk,
        n_per_arm=n_per_arm,
    )
    check_simulable(protocol)
    size = population.trial.n_per_arm if n_per_arm is None else n_per_arm
    first = chunk_index * (chunk_trials or n_trials_in_chunk)
    patients, noise = draw_chunk(
        protocol,
        population,
        seed=seed,
        trials=range(first, first + n_trials_in_chunk),
        n_per_arm=size,
    )
    outcome = run_course(protocol, population, patients, noise, effect)
    return summarize_trials(
        protocol, patients.trial, patients.arm, outcome, n_trials_in_chunk, first
    )


def summarize_trials(
    protocol: Protocol, trial: Ints, arm: Ints, outcome: Outcome, n_trials: int, first: int
) -> pd.DataFrame:
    """Per-trial rows from per-patient outcomes (``trial`` 0..n_trials-1 within the chunk)."""
    drug, control = arm_roles(protocol)
    n_arms = len(protocol.arms)
    group = trial * n_arms + arm
    size = n_trials * n_arms

    def per_group(values: npt.ArrayLike) -> Floats:
        weights = np.asarray(values, dtype=np.float64)
        return (
            np.bincount(group, weights, minlength=size).astype(np.float64).reshape(n_trials, n_arms)
        )

    count = per_group(np.ones(trial.shape[0]))
    responders = per_group(outcome.responder)
    years = per_group(outcome.follow_up_days) / DAYS_PER_YEAR
    columns: dict[str, Any] = {"trial": np.arange(first, first + n_trials)}
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_reduction = per_group(outcome.reduction_percent) / count
        per_year = per_group(outcome.ivig_g) / years
        baseline_per_year = per_group(outcome.baseline_ivig_g) / years
        episodes = per_group(outcome.deteriorations) / count
        full_dose_episodes = per_group(outcome.full_dose_episodes) / count
        weeks = per_group(outcome.days_deteriorated) / DAYS_PER_WEEK / count
    median = _group_median(group, outcome.reduction_percent, size).reshape(n_trials, n_arms)
    dropouts = per_group(outcome.withdrawn)
    names = [a.name for a in protocol.arms]
    for k, name in enumerate(names):
        columns[f"n_{name}"] = count[:, k].astype(np.int64)
    for k, name in enumerate(names):
        columns[f"responders_{name}"] = responders[:, k].astype(np.int64)
    x1, x2 = responders[:, drug].astype(np.int64), responders[:, control].astype(np.int64)
    n1, n2 = count[:, drug].astype(np.int64), count[:, control].astype(np.int64)
    endpoints = protocol.endpoints
    p = fisher_p_values(x1, n1, x2, n2, one_sided=endpoints.sidedness is Sidedness.ONE_SIDED)
    columns["p_value"] = p
    columns["significant"] = p <= endpoints.alpha  # the analysis plan's rule and level
    columns["favours_drug"] = x1 * n2 > x2 * n1
    for label, table in (
        ("mean_reduction_pct", mean_reduction),
        ("median_reduction_pct", median),
        ("ivig_g_per_patient_year", per_year),
        ("baseline_ivig_g_per_patient_year", baseline_per_year),
        ("deteriorations_per_patient", episodes),
        ("full_dose_episodes_per_patient", full_dose_episodes),
        ("weeks_deteriorated_per_patient", weeks),
    ):
        for k, name in enumerate(names):
            columns[f"{label}_{name}"] = table[:, k]
    for k, name in enumerate(names):
        columns[f"dropouts_{name}"] = dropouts[:, k].astype(np.int64)
    return pd.DataFrame(columns)


def _group_median(group: Ints, values: Floats, n_groups: int) -> Floats:
    """The median of ``values`` within each group (NaN for an empty group), vectorized."""
    order = np.lexsort((values, group))
    sorted_values = values[order]
    counts = np.bincount(group, minlength=n_groups)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    low = starts + (counts - 1) // 2
    high = starts + counts // 2
    safe = np.clip(np.stack([low, high]), 0, max(values.size - 1, 0))
    median = (
        0.5 * (sorted_values[safe[0]] + sorted_values[safe[1]])
        if values.size
        else np.zeros(n_groups)
    )
    return np.asarray(np.where(counts > 0, median, np.nan), dtype=np.float64)


@dataclass(frozen=True)
class TrialResults:
    """Simulated trials: ``per_trial`` has one row per trial; :meth:`summary` sums them up
    (a :class:`~mmntrial.simulate.trials.summary.DesignSummary`).

    Per-trial columns (``<arm>`` is each protocol arm's name): ``trial``, ``n_<arm>``,
    ``responders_<arm>`` (primary endpoint reached), ``p_value`` (two-sided Fisher exact,
    drug vs control; one-sided, drug better, when the protocol's ``endpoints.sidedness``
    says so), ``significant`` (p <= the protocol's ``endpoints.alpha``), ``favours_drug``,
    ``mean_reduction_pct_<arm>``, ``median_reduction_pct_<arm>`` (percent reduction of
    dose intensity on the primary endpoint day), ``ivig_g_per_patient_year_<arm>``,
    ``baseline_ivig_g_per_patient_year_<arm>``, ``deteriorations_per_patient_<arm>``
    (taper failures: episodes confirmed below the baseline dose),
    ``full_dose_episodes_per_patient_<arm>`` (episodes confirmed at the full baseline dose:
    the disease, not the taper), ``weeks_deteriorated_per_patient_<arm>`` and
    ``dropouts_<arm>``.
    """

    per_trial: pd.DataFrame
    arms: tuple[str, ...]
    drug_arm: str
    control_arm: str
    effect: float
    seed: int

    def summary(self) -> DesignSummary:
        """Power (type I error when effect = 0) with its Wilson 95% interval, and per arm means."""
        return DesignSummary.from_trials(
            self.per_trial,
            arms=self.arms,
            drug_arm=self.drug_arm,
            control_arm=self.control_arm,
            effect=self.effect,
            seed=self.seed,
        )


def run_trials(
    protocol: Protocol,
    population: Population,
    *,
    n_trials: int,
    effect: float,
    seed: int,
    chunk_trials: int = 500,
    n_per_arm: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> TrialResults:
    """Simulate ``n_trials`` whole trials in chunks of ``chunk_trials``.

    ``effect`` in [0, 1) is the fraction by which the drug arm's dose need falls at full
    onset. ``progress`` is called with the number of trials finished after each chunk.
    """
    check_arguments(
        effect=effect, n_trials=n_trials, seed=seed, chunk_trials=chunk_trials, n_per_arm=n_per_arm
    )
    frames = []
    done = 0
    for chunk_index in range(math.ceil(n_trials / chunk_trials)):
        size = min(chunk_trials, n_trials - chunk_index * chunk_trials)
        frames.append(
            run_chunk(
                protocol,
                population,
                effect=effect,
                seed=seed,
                chunk_index=chunk_index,
                n_trials_in_chunk=size,
                n_per_arm=n_per_arm,
                chunk_trials=chunk_trials,
            )
        )
        done += size
        if progress is not None:
            progress(done)
    drug, control = arm_roles(protocol)
    return TrialResults(
        per_trial=pd.concat(frames, ignore_index=True),
        arms=tuple(a.name for a in protocol.arms),
        drug_arm=protocol.arms[drug].name,
        control_arm=protocol.arms[control].name,
        effect=float(effect),
        seed=seed,
    )


__all__ = [
    "TrialResults",
    "arm_roles",
    "run_chunk",
    "run_trials",
    "summarize_trials",
]
