"""The numbers of a design report: a protocol and a population, simulated for a committee.

:func:`run_design_study` simulates the design at a few drug effects (effect 0 gives the
type I error) with common random numbers (:func:`mmntrial.simulate.sweep.run_sweep`),
and searches the sample size at one effect
(:func:`mmntrial.simulate.size.find_sample_size`), whose power-vs-n curve the report
draws. It also lists every assumption of the population with its source resolved
(:mod:`mmntrial.sources`). The report (:mod:`mmntrial.report.design_report`) only
formats what is here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from mmntrial.errors import SimulationError
from mmntrial.protocol.model import Protocol
from mmntrial.simulate.population.model import Population
from mmntrial.simulate.size import SizeAnswer, SizeQuestion, find_sample_size
from mmntrial.simulate.sweep import SweepResult, make_plan, run_sweep
from mmntrial.sources import references, tags_in
from mmntrial.units import Floats

DEFAULT_EFFECTS = (0.0, 0.25, 0.5)
MAX_EFFECTS = 12  # rows of a table a committee reads, and design points of one sweep


@dataclass(frozen=True)
class Assumption:
    """One parameter of the population: its value, its source text and the references
    its tags stand for (none for an ``ASSUMPTION`` without a tag)."""

    key: str
    value: str
    source: str
    references: tuple[str, ...]


@dataclass(frozen=True)
class Spread:
    """A per-trial figure's mean over the simulated trials, and the 2.5th and 97.5th
    percentiles over trials (what one trial of this size may show)."""

    mean: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Floats) -> Spread:
        """The spread of ``values`` (one per trial)."""
        low, high = np.percentile(values, [2.5, 97.5])
        return cls(float(np.mean(values)), float(low), float(high))


@dataclass(frozen=True)
class ArmFigures:
    """An arm at one effect: responder share, IVIg saved and harm, each over trials."""

    arm: str
    label: str
    reaching_primary: Spread  # fraction of the arm's patients, per trial
    ivig_saved_g_per_patient_year: Spread
    weeks_deteriorated_per_patient: Spread
    deteriorations_per_patient: Spread
    dropouts: Spread


@dataclass(frozen=True)
class EffectRow:
    """The design at one drug effect: the test's rejection rate and each arm's figures."""

    effect: float
    rejection_rate: float
    rejection_rate_ci95: tuple[float, float]
    arms: tuple[ArmFigures, ...]

    @property
    def measure(self) -> str:
        """``"type I error"`` at effect 0, else ``"power"``."""
        return "type I error" if self.effect == 0 else "power"


@dataclass(frozen=True)
class DesignStudy:
    """Everything a design report shows, computed once."""

    protocol: Protocol
    population: Population
    population_name: str
    n_per_arm: int
    trials: int
    seed: int
    effects: tuple[EffectRow, ...]
    sweep: SweepResult
    size: SizeAnswer
    assumptions: tuple[Assumption, ...]


def assumptions_of(population: Population) -> tuple[Assumption, ...]:
    """Every parameter of ``population`` with its value and its source resolved.

    >>> from mmntrial.simulate.population import load_population
    >>> rows = {a.key: a for a in assumptions_of(load_population("mmn-default"))}
    >>> male = rows["covariates.male_fraction"]
    >>> male.value, male.references[0][:8]
    ('0.73', '[S9] van')
    """
    known = references()
    rows = []
    for key, source in population.sources.items():
        section, name = key.split(".", 1)
        value = getattr(getattr(population, section), name)
        shown = (
            ", ".join(f"{v:g}" for v in value)
            if isinstance(value, list | tuple)
            else (f"{value:g}" if isinstance(value, float) else str(value))
        )
        cited = tuple(f"[{tag}] {known[tag]}" for tag in tags_in(source) if tag in known)
        rows.append(Assumption(key, shown, source, cited))
    return tuple(rows)


def _arm_figures(per_trial: pd.DataFrame, arm: str, label: str) -> ArmFigures:
    def column(name: str) -> Floats:
        return np.asarray(per_trial[name], dtype=np.float64)

    return ArmFigures(
        arm=arm,
        label=label,
        reaching_primary=Spread.of(column(f"responders_{arm}") / column(f"n_{arm}")),
        ivig_saved_g_per_patient_year=Spread.of(
            column(f"baseline_ivig_g_per_patient_year_{arm}")
            - column(f"ivig_g_per_patient_year_{arm}")
        ),
        weeks_deteriorated_per_patient=Spread.of(column(f"weeks_deteriorated_per_patient_{arm}")),
        deteriorations_per_patient=Spread.of(column(f"deteriorations_per_patient_{arm}")),
        dropouts=Spread.of(column(f"dropouts_{arm}")),
    )


def check_effects(effects: Sequence[float], option: str = "effects") -> tuple[float, ...]:
    """The effects sorted, or SimulationError naming ``option`` when they are unusable."""
    if not effects or len(effects) > MAX_EFFECTS:
        raise SimulationError(f"{option}: got {len(effects)} effects, expected 1 to {MAX_EFFECTS}")
    if len(set(effects)) != len(effects):
        raise SimulationError(f"{option}: got {list(effects)}, expected each effect once")
    return tuple(sorted(effects))


def run_design_study(
    protocol: Protocol,
    population: Population,
    *,
    population_name: str,
    effects: Sequence[float] = DEFAULT_EFFECTS,
    trials: int = 1000,
    seed: int = 1,
    n_per_arm: int | None = None,
    size_question: SizeQuestion | None = None,
) -> DesignStudy:
    """Simulate the design at ``effects`` and search its sample size (see the module).

    ``n_per_arm`` defaults to the population's trial size; ``size_question`` to the
    largest effect asked, target power 80%, at most 2,000 trials, with ``seed``.
    """
    chosen = check_effects(effects)
    n = n_per_arm if n_per_arm is not None else population.trial.n_per_arm
    plan = make_plan(
        protocol=protocol,
        population=population,
        axes={"effect": list(chosen), "n_per_arm": [n]},
        trials=trials,
        seed=seed,
    )
    question = size_question or SizeQuestion(
        effect=max(chosen) if max(chosen) > 0 else 0.5, seed=seed, max_trials=2000
    )
    question.check()
    sweep = run_sweep(plan)
    labels = {arm.name: arm.label for arm in protocol.arms}
    rows = []
    for point, summary in zip(plan.points, sweep.summaries, strict=True):
        per_trial = sweep.per_trial[sweep.per_trial["point"] == point.index]
        rows.append(
            EffectRow(
                effect=point.effect,
                rejection_rate=summary.rejection_rate,
                rejection_rate_ci95=summary.rejection_rate_ci95,
                arms=tuple(_arm_figures(per_trial, a, labels[a]) for a in labels),
            )
        )
    return DesignStudy(
        protocol=protocol,
        population=population,
        population_name=population_name,
        n_per_arm=n,
        trials=trials,
        seed=seed,
        effects=tuple(rows),
        sweep=sweep,
        size=find_sample_size(protocol, population, question),
        assumptions=assumptions_of(population),
    )


def _spread(value: Spread) -> dict[str, float]:
    return {"mean": value.mean, "low": value.low, "high": value.high}


def study_numbers(study: DesignStudy) -> dict[str, Any]:
    """Every number the design report shows, as plain data: what its provenance record
    keeps and ``mmntrial reproduce`` compares with a re-run."""
    size = study.size
    at = size.power_at_n
    return {
        "effects": [
            {
                "effect": row.effect,
                "rejection_rate": row.rejection_rate,
                "rejection_rate_ci95": list(row.rejection_rate_ci95),
                "arms": {
                    arm.arm: {
                        "reaching_primary": _spread(arm.reaching_primary),
                        "ivig_saved_g_per_patient_year": _spread(arm.ivig_saved_g_per_patient_year),
                        "weeks_deteriorated_per_patient": _spread(
                            arm.weeks_deteriorated_per_patient
                        ),
                        "deteriorations_per_patient": _spread(arm.deteriorations_per_patient),
                        "dropouts": _spread(arm.dropouts),
                    }
                    for arm in row.arms
                },
            }
            for row in study.effects
        ],
        "size": {
            "n_per_arm": size.n_per_arm,
            "power_at_n": None if at is None else at.power,
            "power_at_n_ci95": None if at is None else list(at.ci95),
            "n_trials": size.n_trials,
            "n_simulated": size.n_simulated,
            "curve": [
                {"n_per_arm": p.n_per_arm, "power": p.power, "ci95": list(p.ci95)}
                for p in size.curve
            ],
        },
    }


__all__ = [
    "DEFAULT_EFFECTS",
    "MAX_EFFECTS",
    "ArmFigures",
    "Assumption",
    "DesignStudy",
    "EffectRow",
    "Spread",
    "assumptions_of",
    "check_effects",
    "run_design_study",
    "study_numbers",
]
