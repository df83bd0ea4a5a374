"""Sample size by simulation: the smallest n per arm that reaches a target power.

rpact and its kin need the responder rate of each arm up front. Here the rates follow
from the taper, the deterioration rules and the virtual patients, so the sample size is
found by simulating whole trials through the protocol engine.

How the search spends its simulations:

- **Common random numbers.** Trials are simulated once at a ceiling size of ``N`` per
  arm (``2N`` patients enrolled). The trial of ``n`` per arm is the first ``2n``
  patients enrolled in the same simulated trial, in the arms the randomization gave
  them: exactly the trial that would have stopped enrolling at ``2n``. Every size meets
  the same virtual patients, so the power curve is smooth in ``n`` and the difference
  between two sizes is not lost in Monte-Carlo noise.
- **Where the curve crosses.** The ceiling starts at the population's trial size and
  doubles (up to ``max_n``) until the target is reached; then batches of trials are
  added, each simulated only up to a little above the current answer, until the power
  at the answer is known to within ``precision`` (half-width of its Wilson 95% interval)
  or ``max_trials`` trials are spent.
- **The answer** is the smallest ``n`` from which the estimated power stays at or above
  the target up to the ceiling: Fisher's exact test is discrete, and its power is a
  sawtooth in ``n`` (a size can have less power than the one below it); a size after
  which the power dips below the target again is not an answer a statistician can use.

Power is the proportion of trials in which Fisher's exact test of the primary endpoint
(drug vs control) has p <= alpha: the protocol's ``endpoints.alpha`` unless the question
names another, and its ``endpoints.sidedness`` (one-sided: drug better), the analysis
plan's rule. Harm per
arm (weeks with a meaningful, noise-free weakness per patient, and taper failures per
patient) does not depend on ``n``; it is reported from all simulated patients, and
checked against an optional limit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mmntrial.errors import SimulationError
from mmntrial.intervals import wilson_interval
from mmntrial.protocol.model import Protocol, Sidedness
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.trials.course import check_simulable, run_course
from mmntrial.simulate.trials.fisher import fisher_p_values
from mmntrial.simulate.trials.runner import arm_roles, draw_chunk
from mmntrial.units import DAYS_PER_WEEK, Bools, Floats, Ints

MAX_N_PER_ARM = 1000
"""The largest ceiling the search may reach: far beyond any MMN trial (a rare disease)."""

MAX_TRIALS = 200_000
"""The most trials one search may spend."""

BATCH_TRIALS = 500
"""Trials added per step of the search."""

HEADROOM = 1.25
"""Once an answer is found, later batches simulate up to 25% above it (at least 4 more per
arm), enough for the curve around the answer without paying for the old ceiling."""


@dataclass(frozen=True)
class SizeQuestion:
    """What a statistician asks: the smallest n per arm for ``power`` at ``effect``."""

    effect: float
    power: float = 0.8
    alpha: float | None = None  # None: the protocol's endpoints.alpha
    seed: int = 1
    max_n: int = 200
    max_trials: int = 20_000
    precision: float = 0.02
    max_weeks_deteriorated: float | None = None

    def check(self, labels: Mapping[str, str] | None = None) -> None:
        """Raise SimulationError naming the first value out of range (``labels`` renames
        fields in the message, e.g. to the command-line option a user typed)."""
        checks: list[tuple[str, object, bool, str]] = [
            ("effect", self.effect, _in(self.effect, 0.0, 1.0, high_open=True), "in (0, 1)"),
            ("power", self.power, _in(self.power, 0.0, 1.0, high_open=True), "in (0, 1)"),
            (
                "alpha",
                self.alpha,
                self.alpha is None or _in(self.alpha, 0.0, 0.5),
                "in (0, 0.5]",
            ),
            ("seed", self.seed, _whole(self.seed, 0, 2**63 - 1), "a whole number >= 0"),
            ("max_n", self.max_n, _whole(self.max_n, 2, MAX_N_PER_ARM), f"2-{MAX_N_PER_ARM}"),
            (
                "max_trials",
                self.max_trials,
                _whole(self.max_trials, BATCH_TRIALS, MAX_TRIALS),
                f"a whole number {BATCH_TRIALS}-{MAX_TRIALS}",
            ),
            ("precision", self.precision, _in(self.precision, 0.001, 0.2), "in (0.001, 0.2]"),
        ]
        weeks = self.max_weeks_deteriorated
        if weeks is not None:
            checks.append(
                ("max_weeks_deteriorated", weeks, _in(weeks, 0.0, 52.0), "in (0, 52] weeks")
            )
        for name, value, ok, expected in checks:
            if not ok:
                label = (labels or {}).get(name, name)
                raise SimulationError(f"{label}: got {value!r}, expected {expected}")


def _in(value: object, low: float, high: float, *, high_open: bool = False) -> bool:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return False
    if not math.isfinite(value) or value <= low:
        return False
    return value < high if high_open else value <= high


def _whole(value: object, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


@dataclass(frozen=True)
class PowerPoint:
    """The estimated power at ``n_per_arm``, with its Wilson 95% interval."""

    n_per_arm: int
    power: float
    ci95: tuple[float, float]


@dataclass(frozen=True)
class ArmHarm:
    """An arm's harm, per patient, over every simulated patient of the arm."""

    arm: str
    weeks_deteriorated_per_patient: float
    deteriorations_per_patient: float
    proportion_reaching_primary: float
    patients: int  # simulated patients of the arm, over every trial of the answer


@dataclass(frozen=True)
class SizeAnswer:
    """The search's answer. ``n_per_arm`` is None when the target was not reached by
    ``max_n``; ``curve`` holds the power at every size up to the last ceiling, from the
    ``n_trials`` trials simulated at or above it; ``n_simulated`` counts every trial the
    search ran (smaller ceilings included)."""

    question: SizeQuestion
    n_per_arm: int | None
    power_at_n: PowerPoint | None
    curve: tuple[PowerPoint, ...]
    n_trials: int
    n_simulated: int
    alpha: float  # the level used: the question's, else the protocol's
    one_sided: bool  # the protocol's sidedness
    harm: tuple[ArmHarm, ...]
    drug_arm: str
    control_arm: str

    @property
    def harm_limit_met(self) -> bool | None:
        """Whether every arm stays within ``max_weeks_deteriorated`` (None: no limit asked)."""
        limit = self.question.max_weeks_deteriorated
        if limit is None:
            return None
        return all(a.weeks_deteriorated_per_patient <= limit for a in self.harm)


@dataclass(frozen=True)
class _Test:
    """The primary test's level and sidedness, as the search applies them."""

    alpha: float
    one_sided: bool


@dataclass
class _Pool:
    """Per trial and size, the responders of each arm among the first 2n enrolled."""

    ceiling: int
    rejections: Ints  # (sizes,) trials with p <= alpha, for n = 2..ceiling
    trials: int
    weeks: Floats  # (arms,) summed over patients
    episodes: Floats
    responders: Floats
    patients: Floats


def find_sample_size(
    protocol: Protocol, population: Population, question: SizeQuestion
) -> SizeAnswer:
    """Search for the smallest n per arm with power >= ``question.power`` (see the module)."""
    question.check()
    check_simulable(protocol)
    if len(protocol.arms) != 2:
        raise SimulationError(f"protocol.arms: got {len(protocol.arms)}, expected 2")
    drug, control = arm_roles(protocol)
    test = _Test(
        protocol.endpoints.alpha if question.alpha is None else question.alpha,
        protocol.endpoints.sidedness is Sidedness.ONE_SIDED,
    )
    ceiling = min(max(population.trial.n_per_arm, 2), question.max_n)
    pool = _empty_pool(ceiling, len(protocol.arms))
    next_trial = spent = 0  # trial numbers continue across pools: no trial is used twice
    while spent < question.max_trials:
        batch = min(BATCH_TRIALS, question.max_trials - spent)
        _add_batch(
            protocol, population, question, test, pool, range(next_trial, next_trial + batch)
        )
        next_trial, spent = next_trial + batch, spent + batch
        answer = _smallest_n(pool, question)
        if answer is None:
            if pool.ceiling >= question.max_n or spent >= question.max_trials:
                break  # the answer is "not reached", from the trials of this ceiling
            # Not reached at the ceiling: double it, in a fresh pool (the trials of the
            # old ceiling cannot speak for the larger sizes).
            pool = _empty_pool(min(2 * pool.ceiling, question.max_n), len(protocol.arms))
            continue
        low, high = _interval(pool, answer)
        if (high - low) / 2 <= question.precision:
            break
        # Later batches need the curve only around the answer: simulate them up to a
        # little above it, keeping the trials so far for the sizes below.
        wanted = min(max(math.ceil(HEADROOM * answer), answer + 4), question.max_n)
        if wanted < pool.ceiling:
            pool = _narrowed(pool, wanted)
    return _answer(protocol, question, test, pool, spent, drug, control)


def _empty_pool(ceiling: int, n_arms: int) -> _Pool:
    zeros = np.zeros(n_arms)
    return _Pool(
        ceiling,
        np.zeros(ceiling + 1, dtype=np.int64),
        0,
        zeros.copy(),
        zeros.copy(),
        zeros.copy(),
        zeros.copy(),
    )


def _narrowed(pool: _Pool, ceiling: int) -> _Pool:
    """The pool with sizes above ``ceiling`` dropped; its trials still count below it."""
    return _Pool(
        ceiling,
        pool.rejections[: ceiling + 1].copy(),
        pool.trials,
        pool.weeks,
        pool.episodes,
        pool.responders,
        pool.patients,
    )


def _add_batch(
    protocol: Protocol,
    population: Population,
    question: SizeQuestion,
    test: _Test,
    pool: _Pool,
    trials: range,
) -> None:
    """Simulate ``trials`` at the pool's ceiling and add them to the pool."""
    drug, control = arm_roles(protocol)
    patients, noise = draw_chunk(
        protocol, population, seed=question.seed, trials=trials, n_per_arm=pool.ceiling
    )
    outcome = run_course(protocol, population, patients, noise, question.effect)
    batch = len(trials)
    enrolled = 2 * pool.ceiling
    # The simulator lists each trial's patients together, in enrolment order.
    arm = patients.arm.reshape(batch, enrolled)
    reached = outcome.responder.reshape(batch, enrolled)
    # Running counts along the enrolment order: column 2n-1 holds the trial of n per arm.
    n_drug = np.cumsum(arm == drug, axis=1)
    n_control = np.cumsum(arm == control, axis=1)
    x_drug = np.cumsum(reached & (arm == drug), axis=1)
    x_control = np.cumsum(reached & (arm == control), axis=1)
    for n in range(2, pool.ceiling + 1):
        column = 2 * n - 1
        p = fisher_p_values(
            x_drug[:, column],
            n_drug[:, column],
            x_control[:, column],
            n_control[:, column],
            one_sided=test.one_sided,
        )
        pool.rejections[n] += int((p <= test.alpha).sum())
    for k in range(len(protocol.arms)):
        mine = patients.arm == k
        pool.weeks[k] += float(outcome.days_deteriorated[mine].sum()) / DAYS_PER_WEEK
        pool.episodes[k] += float(outcome.deteriorations[mine].sum())
        pool.responders[k] += float(outcome.responder[mine].sum())
        pool.patients[k] += float(mine.sum())
    pool.trials += batch


def _power(pool: _Pool) -> Floats:
    return np.asarray(pool.rejections / max(pool.trials, 1), dtype=np.float64)


def _smallest_n(pool: _Pool, question: SizeQuestion) -> int | None:
    """The smallest n from which the power stays >= the target up to the ceiling."""
    power = _power(pool)
    above: Bools = power[2:] >= question.power
    if not above[-1]:
        return None
    below = np.flatnonzero(~above)
    return int(below[-1] + 3) if below.size else 2


def _interval(pool: _Pool, n: int) -> tuple[float, float]:
    return wilson_interval(int(pool.rejections[n]), pool.trials)


def _answer(
    protocol: Protocol,
    question: SizeQuestion,
    test: _Test,
    pool: _Pool,
    spent: int,
    drug: int,
    control: int,
) -> SizeAnswer:
    n = _smallest_n(pool, question)
    power = _power(pool)
    curve = tuple(
        PowerPoint(size, float(power[size]), _interval(pool, size))
        for size in range(2, pool.ceiling + 1)
    )
    harm = tuple(
        ArmHarm(
            arm.name,
            float(pool.weeks[k] / pool.patients[k]),
            float(pool.episodes[k] / pool.patients[k]),
            float(pool.responders[k] / pool.patients[k]),
            int(pool.patients[k]),
        )
        for k, arm in enumerate(protocol.arms)
    )
    return SizeAnswer(
        question=question,
        n_per_arm=n,
        power_at_n=None if n is None else curve[n - 2],
        curve=curve,
        n_trials=pool.trials,
        n_simulated=spent,
        alpha=test.alpha,
        one_sided=test.one_sided,
        harm=harm,
        drug_arm=protocol.arms[drug].name,
        control_arm=protocol.arms[control].name,
    )


__all__ = [
    "MAX_N_PER_ARM",
    "MAX_TRIALS",
    "ArmHarm",
    "PowerPoint",
    "SizeAnswer",
    "SizeQuestion",
    "find_sample_size",
]
