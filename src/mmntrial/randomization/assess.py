"""Assess a method by simulation: balance and predictability.

Each simulated trial enrols ``n_subjects`` whose factor levels are drawn independently
and uniformly, allocates them with the same algorithms as real lists and the ledger
(the method's allocator, :mod:`.allocators`), and measures:

- **imbalance** of a group of subjects: the range of the ratio-adjusted arm counts,
  ``max_k n_k / r_k - min_k n_k / r_k`` (for 1:1, ``|n_A - n_B|``); *final* after the
  last subject, *worst* the largest at any point during enrolment. Groups: overall,
  each stratum (combination of levels) and each factor level.
- **predictability** under the convergence strategy (Blackwell and Hodges, 1957): before
  each allocation, an observer who knows the earlier allocations guesses the arm with the
  smallest ratio-adjusted count, within the subject's stratum for stratified blocks and
  overall otherwise; ties share the guess (credit ``1/t`` when the arm is among ``t`` tied
  arms). The score is the proportion of correct guesses: 0.5 for simple 1:1
  randomization, 0.75 for blocks of two.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass

import numpy as np

from mmntrial.errors import RandomizationError
from mmntrial.randomization.design import AllocationDesign
from mmntrial.randomization.limits import check_assessment_size
from mmntrial.randomization.streams import below, resolve_rng

OVERALL = "overall"


@dataclass(frozen=True)
class GroupBalance:
    """Imbalance of one group (overall, a stratum or a factor level) over the simulations."""

    group: str
    final_mean: float
    final_max: float
    worst_mean: float
    worst_max: float


@dataclass(frozen=True)
class Assessment:
    """The result of :func:`assess`."""

    method: str
    n_subjects: int
    simulations: int
    predictability: float  # proportion of correct convergence-strategy guesses
    predictability_se: float  # its Monte Carlo standard error
    balance: tuple[GroupBalance, ...]  # overall first, then strata, then factor levels

    def to_dict(self) -> dict[str, object]:
        """Plain data for ``--json``."""
        return asdict(self)


def assess(
    design: AllocationDesign,
    n_subjects: int,
    simulations: int = 1000,
    *,
    seed: int | None = None,
    rng: np.random.Generator | None = None,
    progress: Callable[[int], None] | None = None,
) -> Assessment:
    """Simulate ``simulations`` trials of ``n_subjects`` (a seed OR a generator).

    ``progress`` is called with the number of simulations done after each one.

    >>> from mmntrial.randomization.design import make_design
    >>> d = make_design("blocks", [("a", 1), ("b", 1)], block_sizes=[2])
    >>> result = assess(d, 20, 50, seed=1)
    >>> result.predictability, result.balance[0].final_max
    (0.75, 0.0)
    """
    for name, value in (("n_subjects", n_subjects), ("simulations", simulations)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise RandomizationError(f"{name}: got {value!r}, expected a whole number >= 1")
    check_assessment_size(n_subjects, simulations)
    generator = resolve_rng(seed, rng)
    finals: dict[str, list[float]] = defaultdict(list)
    worsts: dict[str, list[float]] = defaultdict(list)
    scores = []
    for done in range(1, simulations + 1):
        final, worst, score = _one_trial(design, n_subjects, generator)
        for group in final:
            finals[group].append(final[group])
            worsts[group].append(worst[group])
        scores.append(score)
        if progress is not None:
            progress(done)
    groups = [OVERALL, *sorted(g for g in finals if g != OVERALL)]
    balance = tuple(
        GroupBalance(
            g,
            float(np.mean(finals[g])),
            float(np.max(finals[g])),
            float(np.mean(worsts[g])),
            float(np.max(worsts[g])),
        )
        for g in groups
    )
    se = float(np.std(scores, ddof=1) / np.sqrt(simulations)) if simulations > 1 else 0.0
    return Assessment(
        design.method.value, n_subjects, simulations, float(np.mean(scores)), se, balance
    )


def _one_trial(
    design: AllocationDesign, n: int, rng: np.random.Generator
) -> tuple[dict[str, float], dict[str, float], float]:
    ratios = design.ratios
    subjects = [
        {f.name: f.levels[below(rng, len(f.levels))] for f in design.factors} for _ in range(n)
    ]
    strata = [design.stratum_of(v) for v in subjects]
    arms = design.allocator.trial_arms(design, subjects, strata, rng)
    # Plain lists, not numpy: the arrays hold two or three numbers and the loop is hot.
    counts: dict[str, list[int]] = defaultdict(lambda: [0] * len(ratios))
    worst: dict[str, float] = defaultdict(float)
    correct = 0.0
    for values, stratum, arm in zip(subjects, strata, arms, strict=True):
        guess_group = stratum if design.stratified else OVERALL
        adjusted = _adjusted(counts[guess_group], ratios)
        low = min(adjusted)
        tied = [k for k, a in enumerate(adjusted) if a <= low + 1e-12]
        if arm in tied:
            correct += 1.0 / len(tied)
        groups = {OVERALL, *(f"{k}={v}" for k, v in values.items())}
        if design.stratified and len(values) > 1:
            groups.add(stratum)
        for group in groups:
            counts[group][arm] += 1
            worst[group] = max(worst[group], _spread(counts[group], ratios))
    final = {g: _spread(c, ratios) for g, c in counts.items()}
    return final, dict(worst), correct / n


def _adjusted(counts: list[int], ratios: tuple[int, ...]) -> list[float]:
    return [c / r for c, r in zip(counts, ratios, strict=True)]


def _spread(counts: list[int], ratios: tuple[int, ...]) -> float:
    adjusted = _adjusted(counts, ratios)
    return max(adjusted) - min(adjusted)
