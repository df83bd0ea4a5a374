"""Sweeps: simulate a grid of designs and tabulate power, IVIg saved and harm per design.

A sweep file (TOML) names the base protocol and population, the trials per design, the
seed, and the grid (see :mod:`mmntrial.simulate.sweep.grid` for axis names)::

    [sweep]
    protocol = "piepers-2007"
    population = "mmn-default"
    trials = 2000
    seed = 2007
    chunk_trials = 500          # optional

    [grid]
    n_per_arm = [14, 28]
    effect = [0.0, 0.5]
    "taper.step_percent" = [25, 50]
    cadence_weeks = [0, 12]
    "threshold.grip_kpa" = [8, 12]
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from mmntrial.errors import SimulationError
from mmntrial.inputs import MAX_TOML_BYTES, limit_text, read_bounded
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.simulate.population.loader import Population, load_population
from mmntrial.simulate.sweep.execute import plan_tasks, run_local, run_on_client
from mmntrial.simulate.sweep.grid import DesignPoint, design_points
from mmntrial.simulate.trials.runner import TrialResults, arm_roles, check_arguments
from mmntrial.simulate.trials.summary import DesignSummary

# The [sweep] settings and their defaults, for a file and for the command line alike.
SWEEP_DEFAULTS: dict[str, Any] = {
    "protocol": "piepers-2007",
    "population": "mmn-default",
    "trials": 1000,
    "seed": 1,
    "chunk_trials": 500,
}
SWEEP_KEYS = set(SWEEP_DEFAULTS)


@dataclass(frozen=True)
class SweepPlan:
    """A sweep, validated: the designs to simulate and how many trials each."""

    protocol: Protocol
    population: Population
    points: tuple[DesignPoint, ...]
    trials: int
    seed: int
    chunk_trials: int
    # The grid as given (each axis' values in order), for the provenance of the results.
    axes: Mapping[str, tuple[Any, ...]]


@dataclass(frozen=True)
class SweepResult:
    """Per-trial rows of every design (``point`` column) and one summary per design point.

    ``summaries[i]`` belongs to ``plan.points[i]``; :meth:`rows` and :meth:`to_frame` lay
    them out as the sweep table.
    """

    plan: SweepPlan
    per_trial: pd.DataFrame
    summaries: tuple[DesignSummary, ...]

    def rows(self) -> list[dict[str, Any]]:
        """One flat row per design: ``point``, its value on every axis, then its summary's
        row (:meth:`~mmntrial.simulate.trials.summary.DesignSummary.to_row`)."""
        return [
            {"point": point.index, **point.settings, **summary.to_row()}
            for point, summary in zip(self.plan.points, self.summaries, strict=True)
        ]

    def to_frame(self) -> pd.DataFrame:
        """The sweep table (``sweep.csv``): :meth:`rows` as a DataFrame."""
        return pd.DataFrame(self.rows())


def make_plan(
    *,
    protocol: str | Protocol,
    population: str | Population,
    axes: Mapping[str, Sequence[Any]],
    trials: int,
    seed: int,
    chunk_trials: int = 500,
) -> SweepPlan:
    """Validate a sweep and list its design points (every problem raises before any work)."""
    check_arguments(
        labels={
            "n_trials": "sweep.trials",
            "seed": "sweep.seed",
            "chunk_trials": "sweep.chunk_trials",
        },
        n_trials=trials,
        seed=seed,
        chunk_trials=chunk_trials,
    )
    base = load_protocol(protocol) if isinstance(protocol, str) else protocol
    people = load_population(population) if isinstance(population, str) else population
    if not axes:
        raise SimulationError("grid: got no axes, expected at least one (e.g. effect = [0, 0.5])")
    points = tuple(design_points(base, axes))  # checks the axes first
    return SweepPlan(
        protocol=base,
        population=people,
        points=points,
        trials=trials,
        seed=seed,
        chunk_trials=chunk_trials,
        axes={name: tuple(values) for name, values in axes.items()},
    )


def load_sweep(path: str | Path, overrides: Mapping[str, Any] | None = None) -> SweepPlan:
    """Read and validate a sweep file (see the module docstring for its format).

    ``overrides`` replace values of its ``[sweep]`` table (the command line's
    ``--trials`` for a quick try of a big sweep, say).
    """
    file = Path(path)
    try:
        content = read_bounded(file, MAX_TOML_BYTES)
        if content is None:
            raise SimulationError(f"sweep file {file}: expected {limit_text(MAX_TOML_BYTES)}")
        data = tomllib.loads(content.decode("utf-8"))
    except FileNotFoundError:
        raise SimulationError(f"sweep file {file}: no such file") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise SimulationError(f"sweep file {file}: cannot be read ({error})") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise SimulationError(
            f"sweep file {file}: got TOML nested too deeply to read, expected [sweep] and "
            "[grid] tables of plain values"
        ) from None
    unknown = sorted(set(data) - {"sweep", "grid"})
    if unknown:
        raise SimulationError(
            f"sweep file {file}: got tables {unknown}, expected [sweep] and [grid]"
        )
    sweep, grid = data.get("sweep", {}), data.get("grid", {})
    for name, table in (("sweep", sweep), ("grid", grid)):
        if not isinstance(table, dict):
            raise SimulationError(
                f"sweep file {file}: {name}: got {table!r}, expected a table [{name}]"
            )
    extra = sorted(set(sweep) - SWEEP_KEYS)
    if extra:
        raise SimulationError(
            f"sweep file {file}: got keys {extra} in [sweep], expected {sorted(SWEEP_KEYS)}"
        )
    for name in ("protocol", "population"):
        if name in sweep and not isinstance(sweep[name], str):
            raise SimulationError(
                f"sweep file {file}: sweep.{name}: got {sweep[name]!r}, expected a built-in "
                f"{name} name or a path to a .toml file, as a string"
            )
    return make_plan(axes=grid, **{**SWEEP_DEFAULTS, **sweep, **(overrides or {})})


def point_summary(point: DesignPoint, per_trial: pd.DataFrame, seed: int) -> DesignSummary:
    """The summary of one design point from its per-trial rows."""
    drug, control = arm_roles(point.protocol)
    names = tuple(arm.name for arm in point.protocol.arms)
    return TrialResults(per_trial, names, names[drug], names[control], point.effect, seed).summary()


def run_sweep(
    plan: SweepPlan, *, client: Any = None, progress: Callable[[int], None] | None = None
) -> SweepResult:
    """Simulate every design point; on ``client`` (Dask) if given, else in this process.

    The result is the same either way, for any number of workers.
    """
    tasks = plan_tasks(
        plan.points,
        plan.population,
        trials=plan.trials,
        seed=plan.seed,
        chunk_trials=plan.chunk_trials,
    )
    per_trial = (
        run_local(tasks, progress) if client is None else run_on_client(client, tasks, progress)
    )
    summaries = tuple(
        point_summary(point, per_trial[per_trial["point"] == point.index], plan.seed)
        for point in plan.points
    )
    return SweepResult(plan, per_trial, summaries)


__all__ = ["SweepPlan", "SweepResult", "load_sweep", "make_plan", "point_summary", "run_sweep"]
