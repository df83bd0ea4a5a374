"""False alarms: patients confirmed deteriorated on a dose that is never lowered.

The protocol is run with its taper held at 99.99% of baseline
(:func:`mmntrial.protocol.variants.dose_held`): every rule of the protocol applies, but
the dose never falls, so whatever the engine confirms is measurement noise or disease,
never a taper failure. The false-alarm rate is the share of patients whose first
confirmed episode falls in the ``weeks`` after the taper start (effect 0). The
calibration test (target: at most 5% in 12 weeks, issue 11) and
``benchmarks/design_figures.py`` both measure it here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mmntrial.engine import core
from mmntrial.engine.rules import compile_rules
from mmntrial.intervals import wilson_interval
from mmntrial.protocol.variants import dose_held
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.trials.course import run_course
from mmntrial.simulate.trials.runner import draw_chunk
from mmntrial.units import DAYS_PER_WEEK, Bools, Floats, Ints


@dataclass(frozen=True)
class FalseAlarms:
    """The false-alarm rate of one protocol and population, with what it is made of.

    ``by_criterion`` gives, per criterion (deterioration, then rescue), the share of all
    patients whose first episode in the window that criterion confirmed; ``ever`` the
    share with an episode at any time in the year, ``episodes_per_patient`` their mean.
    """

    protocol: str
    patients: int
    start_day: int
    window_days: float
    rate: float
    ci95: tuple[float, float]
    by_criterion: tuple[tuple[str, float], ...]
    ever: float
    episodes_per_patient: float


class _FirstEpisodes:
    """A simulator recorder: each patient's first confirmed episode and its criteria."""

    def __init__(self, n: int, n_criteria: int) -> None:
        self.day = np.full(n, np.inf)
        self.fired: Bools = np.zeros((n, n_criteria), dtype=bool)

    def engine_change(self, day: Floats, before: core.EngineState, after: core.EngineState) -> None:
        rows = np.flatnonzero((after.deteriorations > before.deteriorations) & np.isinf(self.day))
        # The criteria that fired, as the dataset's recorder reads them (one_trial.py): at
        # the confirming assessment, else those of the drop that was waiting.
        today = np.asarray(after.evaluation_day[rows] == day[rows])[:, None]
        at_confirmation: Bools = np.asarray(np.where(today, after.evaluation.fired[rows], False))
        confirmed_today = np.asarray(np.any(at_confirmation, axis=1))[:, None]
        fired = np.where(confirmed_today, at_confirmation, before.pending_fired[rows])
        self.day[rows] = day[rows]
        self.fired[rows] = fired

    def assessment(
        self,
        rows: Ints,
        day: Floats,
        visit: Ints,
        values: dict[str, Floats],
        exogenous_igg_g_per_l: Floats,
    ) -> None:
        """Values are not needed here."""

    def infusion(self, rows: Ints, day: Floats, decision: core.Decision) -> None:
        """Doses are not needed here."""

    def withdrawal(self, rows: Ints, day: Floats) -> None:
        """Withdrawals are not needed here."""


def false_alarms(
    name: str, population: Population, *, seed: int, trials: int, weeks: float = 12
) -> FalseAlarms:
    """The false-alarm rate of built-in protocol ``name`` over ``trials`` simulated trials.

    >>> from mmntrial.simulate.population import load_population
    >>> result = false_alarms("piepers-2007", load_population("mmn-default"), seed=1, trials=2)
    >>> result.patients, result.window_days
    (56, 84.0)
    """
    protocol = dose_held(name)
    patients, noise = draw_chunk(
        protocol, population, seed=seed, trials=range(trials), n_per_arm=population.trial.n_per_arm
    )
    criteria = [c.measure for c in compile_rules(protocol).criteria]
    first = _FirstEpisodes(patients.n, len(criteria))
    outcome = run_course(protocol, population, patients, noise, 0.0, first)
    start, window = protocol.taper.start_day, float(weeks * DAYS_PER_WEEK)
    alarmed = (first.day > start) & (first.day <= start + window)
    return FalseAlarms(
        protocol=protocol.name,
        patients=patients.n,
        start_day=start,
        window_days=window,
        rate=float(alarmed.mean()),
        ci95=wilson_interval(int(alarmed.sum()), patients.n),
        by_criterion=tuple(
            (measure, float(first.fired[alarmed, c].sum() / patients.n))
            for c, measure in enumerate(criteria)
        ),
        ever=float(np.isfinite(first.day).mean()),
        episodes_per_patient=float(outcome.deteriorations.mean()),
    )


__all__ = ["FalseAlarms", "false_alarms"]
