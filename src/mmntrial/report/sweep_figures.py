"""Figures of a design sweep (power by design, harm against IVIg saved), and its folder.

Each figure function takes a sweep's result (its design points and one
:class:`~mmntrial.simulate.trials.summary.DesignSummary` per point, see
:func:`mmntrial.simulate.sweep.run_sweep`) and returns a matplotlib Figure, saved as PNG
and SVG. :func:`write_sweep` replaces the sweep folder as a whole (``sweep.csv`` and the
figures), so a crash never leaves a new table beside old figures. The Agg backend is
chosen here, when a figure is made, never at import time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mmntrial.atomic import replacing_folder
from mmntrial.report.labels import plain_label
from mmntrial.simulate.provenance import SIDECAR

if TYPE_CHECKING:
    import pandas as pd

    from mmntrial.simulate.sweep.grid import DesignPoint
    from mmntrial.simulate.sweep.run import SweepResult
    from mmntrial.simulate.trials.summary import DesignSummary


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _design_axes(result: SweepResult) -> list[str]:
    """The grid axes other than the effect: one line per combination of them."""
    return [name for name in result.plan.points[0].settings if name != "effect"]


def _label(point: DesignPoint, axes: list[str]) -> str:
    return plain_label(", ".join(f"{name}={point.settings[name]}" for name in axes) or "design")


def power_figure(result: SweepResult) -> Any:
    """Rejection rate (power; type I error at effect 0) against the drug effect, per design."""
    figure = _figure()
    axes = figure.add_subplot()
    names = _design_axes(result)
    by_effect = "effect" in result.plan.points[0].settings
    # One line per combination of the other axes, in the order the grid first gives it.
    groups: dict[tuple[Any, ...], list[tuple[DesignPoint, DesignSummary]]] = {}
    for point, summary in zip(result.plan.points, result.summaries, strict=True):
        key = tuple(point.settings[name] for name in names)
        groups.setdefault(key, []).append((point, summary))
    for members in groups.values():
        members.sort(key=lambda member: member[0].effect if by_effect else member[0].index)
        x = [point.effect if by_effect else point.index for point, _ in members]
        rate = [summary.rejection_rate for _, summary in members]
        errors = [
            [s.rejection_rate - s.rejection_rate_ci95[0] for _, s in members],
            [s.rejection_rate_ci95[1] - s.rejection_rate for _, s in members],
        ]
        axes.errorbar(
            x, rate, yerr=errors, marker="o", capsize=3, label=_label(members[0][0], names)
        )
    axes.axhline(0.05, color="grey", linestyle=":", linewidth=1)
    axes.axhline(0.80, color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("drug effect on the IVIg need (fraction)" if by_effect else "design point")
    axes.set_ylabel("power (type I error at effect 0)")
    axes.set_ylim(0, 1)
    axes.set_title("Power of the primary test, 95% Monte-Carlo intervals")
    if names:
        axes.legend(fontsize="small")
    return figure


def harm_savings_figure(result: SweepResult) -> Any:
    """Weeks deteriorated per patient against IVIg saved per patient-year, per design."""
    figure = _figure()
    axes = figure.add_subplot()
    drugs = [summary.drug for summary in result.summaries]
    controls = [summary.control for summary in result.summaries]
    for role, arms, marker in (("drug", drugs, "o"), ("control", controls, "s")):
        axes.scatter(
            [arm.ivig_saved_g_per_patient_year for arm in arms],
            [arm.weeks_deteriorated_per_patient for arm in arms],
            marker=marker,
            label=f"{role} arm",
        )
    for point, drug in zip(result.plan.points, drugs, strict=True):
        axes.annotate(
            str(point.index),
            (drug.ivig_saved_g_per_patient_year, drug.weeks_deteriorated_per_patient),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize="small",
        )
    axes.set_xlabel("IVIg saved per patient-year (g)")
    axes.set_ylabel("weeks deteriorated per patient")
    axes.set_title("Harm against savings (labels: design point)")
    axes.legend(fontsize="small")
    return figure


_FIGURES = (("power", power_figure), ("harm_vs_savings", harm_savings_figure))
_FORMATS = ("png", "svg")
SWEEP_TABLE = "sweep.csv"
SWEEP_PROVENANCE = SIDECAR
# What a sweep folder holds: a folder holding only these may be replaced by a new sweep.
SWEEP_FILES = frozenset(
    {SWEEP_TABLE, SWEEP_PROVENANCE, *(f"{n}.{f}" for n, _ in _FIGURES for f in _FORMATS)}
)


def save_sweep_figures(result: SweepResult, directory: Path) -> list[Path]:
    """Write power and harm-versus-savings figures as PNG and SVG; return the paths."""
    written = []
    for name, make in _FIGURES:
        figure = make(result)
        for suffix in _FORMATS:
            path = directory / f"{name}.{suffix}"
            # No date in the metadata: the same sweep gives the same files.
            metadata = {"Date": None} if suffix == "svg" else {"Software": None}
            figure.savefig(path, format=suffix, dpi=120, metadata=metadata)
            written.append(path)
    return written


def write_sweep(
    result: SweepResult, table: pd.DataFrame, directory: Path, provenance: dict[str, Any]
) -> list[Path]:
    """Replace ``directory`` whole with ``sweep.csv`` (``table``), its provenance record
    (``provenance.json``, so that the CSV stays a plain table) and the figures.

    Returns the paths written, the table first. A failure leaves the old folder as it was.
    """
    with replacing_folder(directory, owned=SWEEP_FILES) as staging:
        table.to_csv(staging / SWEEP_TABLE, index=False)
        (staging / SWEEP_PROVENANCE).write_text(
            json.dumps(provenance, indent=1) + "\n", encoding="utf-8"
        )
        names = [path.name for path in save_sweep_figures(result, staging)]
    return [directory / name for name in (SWEEP_TABLE, SWEEP_PROVENANCE, *names)]


__all__ = [
    "SWEEP_FILES",
    "SWEEP_PROVENANCE",
    "SWEEP_TABLE",
    "harm_savings_figure",
    "power_figure",
    "save_sweep_figures",
    "write_sweep",
]
