"""Figures of a design sweep (power against n or effect, harm against IVIg saved), and its folder.

Each figure function takes a sweep's result (its design points and one
:class:`~mmntrial.simulate.trials.summary.DesignSummary` per point, see
:func:`mmntrial.simulate.sweep.run_sweep`) and returns a matplotlib Figure, saved as PNG
and SVG. :func:`write_sweep` replaces the sweep folder as a whole (``sweep.csv`` and the
figures), so a crash never leaves a new table beside old figures. The Agg backend is
chosen here, when a figure is made, never at import time.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
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


def _figure(width: float = 9.0, height: float = 4.8) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


# 20 colours (tab20) and 7 markers: every series up to 20 gets its own colour, and the
# pair (colour, marker) repeats only after 140 series, far beyond a readable figure.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def series_styles(count: int) -> list[tuple[tuple[float, ...], str]]:
    """``count`` (colour, marker) pairs, no colour repeated for up to 20 series.

    >>> styles = series_styles(16)
    >>> len({colour for colour, _ in styles})
    16
    """
    from matplotlib import colormaps

    tab20 = colormaps["tab20"]
    # The dark shades first, then the light: a few series get ten clearly different hues.
    palette = [tab20(i) for i in (*range(0, 20, 2), *range(1, 20, 2))]
    return [(tuple(palette[i % len(palette)]), _MARKERS[i % len(_MARKERS)]) for i in range(count)]


def _varying(result: SweepResult) -> list[str]:
    """The grid axes that take more than one value, in the grid's order."""
    points = result.plan.points
    return [
        name
        for name in points[0].settings
        if len({repr(point.settings[name]) for point in points}) > 1
    ]


def _numeric(result: SweepResult, name: str) -> bool:
    return all(
        isinstance(point.settings[name], int | float) and not isinstance(point.settings[name], bool)
        for point in result.plan.points
    )


def power_x_axis(result: SweepResult) -> str | None:
    """The axis the power figure puts on x: n per arm when it varies (a power-vs-n curve),
    else the effect, else the first other numeric axis that varies; None: designs in order.
    """
    varying = _varying(result)
    ordered: list[str] = [name for name in ("n_per_arm", "effect") if name in varying]
    ordered += [name for name in varying if name not in ordered]
    return next((name for name in ordered if _numeric(result, name)), None)


_AXIS_TITLES = {
    "n_per_arm": "patients per arm",
    "effect": "drug effect on the IVIg need (fraction)",
}


def design_label(settings: Mapping[str, Any], names: Sequence[str]) -> str:
    """A design's values on ``names``, as a legend shows them (plain text, not TeX).

    >>> design_label({"n_per_arm": 14, "effect": 0.5}, ["effect"])
    'effect=0.5'
    """
    return plain_label(", ".join(f"{name}={settings[name]}" for name in names) or "design")


def _groups(
    result: SweepResult, names: Sequence[str]
) -> dict[tuple[Any, ...], list[tuple[DesignPoint, DesignSummary]]]:
    """Design points grouped by their values on ``names``, in the order the grid gives them."""
    groups: dict[tuple[Any, ...], list[tuple[DesignPoint, DesignSummary]]] = {}
    for point, summary in zip(result.plan.points, result.summaries, strict=True):
        key = tuple(repr(point.settings[name]) for name in names)
        groups.setdefault(key, []).append((point, summary))
    return groups


def _legend_outside(figure: Any, axes: Any, title: str) -> None:
    # Outside the axes, right of them: it can never hide a curve or the 80% line.
    handles, labels = axes.get_legend_handles_labels()
    if handles:
        figure.legend(handles, labels, loc="outside right upper", fontsize="small", title=title)


def power_figure(result: SweepResult) -> Any:
    """Rejection rate (power; type I error at effect 0) per design, with 95% intervals.

    n per arm goes on x when it varies (a power-vs-n curve); the effect only when it
    varies and n does not; one line per combination of the other varying axes.
    """
    figure = _figure()
    axes = figure.add_subplot()
    x_name = power_x_axis(result)
    varying = _varying(result)
    others = [name for name in varying if name != x_name]
    groups = _groups(result, others)
    styles = series_styles(len(groups))
    for (colour, marker), members in zip(styles, groups.values(), strict=True):
        if x_name is None:
            x = [float(point.index) for point, _ in members]
        else:
            members.sort(key=lambda member: float(member[0].settings[x_name]))
            x = [float(point.settings[x_name]) for point, _ in members]
        rate = [summary.rejection_rate for _, summary in members]
        errors = [
            [s.rejection_rate - s.rejection_rate_ci95[0] for _, s in members],
            [s.rejection_rate_ci95[1] - s.rejection_rate for _, s in members],
        ]
        axes.errorbar(
            x,
            rate,
            yerr=errors,
            marker=marker,
            color=colour,
            capsize=3,
            label=design_label(members[0][0].settings, others) if others else None,
        )
    axes.axhline(0.05, color="grey", linestyle=":", linewidth=1)
    axes.axhline(0.80, color="grey", linestyle="--", linewidth=1)
    if x_name is None:
        points = result.plan.points
        axes.set_xticks(
            [float(p.index) for p in points],
            [design_label(p.settings, list(p.settings)) for p in points],
            rotation=30,
            ha="right",
            fontsize="small",
        )
        axes.set_xlabel("design")
    else:
        axes.set_xlabel(_AXIS_TITLES.get(x_name, x_name))
        if x_name == "n_per_arm":
            from matplotlib.ticker import MaxNLocator

            axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("power (type I error at effect 0)")
    axes.set_ylim(0, 1)
    axes.set_title(
        "Power of the primary test, 95% Monte-Carlo intervals\n(dashed: 80%, dotted: 5%)"
    )
    if others:
        _legend_outside(figure, axes, "design")
    return figure


def harm_points(result: SweepResult) -> list[tuple[DesignPoint, DesignSummary]]:
    """The designs the harm figure shows: one per combination of the axes other than n.

    Harm and savings per patient do not depend on how many patients a trial enrols, so
    designs that differ only in n per arm would sit on top of each other; of those, the
    one with the most patients (the most precise) stands for them.
    """
    names = [name for name in _varying(result) if name != "n_per_arm"]
    chosen = []
    for members in _groups(result, names).values():
        chosen.append(max(members, key=lambda member: member[0].n_per_arm or 0))
    return chosen


def harm_savings_figure(result: SweepResult) -> Any:
    """Weeks deteriorated per patient against IVIg saved per patient-year, per design and arm.

    Each design has its own colour and marker (the legend is the key, with its values on
    the varying axes other than n, see :func:`harm_points`); filled: the drug arm, hollow:
    the control arm, joined by a thin line. No text sits on the plot, so no label can
    hide another.
    """
    from matplotlib.lines import Line2D

    figure = _figure()
    axes = figure.add_subplot()
    names = [name for name in _varying(result) if name != "n_per_arm"]
    pairs = harm_points(result)
    for (colour, marker), (point, summary) in zip(series_styles(len(pairs)), pairs, strict=True):
        drug, control = summary.drug, summary.control
        xs = [drug.ivig_saved_g_per_patient_year, control.ivig_saved_g_per_patient_year]
        ys = [drug.weeks_deteriorated_per_patient, control.weeks_deteriorated_per_patient]
        axes.plot(xs, ys, color=colour, linewidth=0.8, alpha=0.6)
        label = design_label(point.settings, names) if names else "the design"
        axes.plot(xs[:1], ys[:1], linestyle="none", marker=marker, color=colour, label=label)
        axes.plot(
            xs[1:],
            ys[1:],
            linestyle="none",
            marker=marker,
            markerfacecolor="none",
            markeredgecolor=colour,
        )
    roles = [
        Line2D([], [], linestyle="none", marker="o", color="black", label="drug arm"),
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markerfacecolor="none",
            markeredgecolor="black",
            label="control arm",
        ),
    ]
    axes.add_artist(axes.legend(handles=roles, loc="best", fontsize="small"))
    axes.set_xlabel("IVIg saved per patient-year (g)")
    axes.set_ylabel("weeks deteriorated per patient")
    axes.set_title("Harm against IVIg saved, per patient\n(drug arm filled, control arm hollow)")
    _legend_outside(figure, axes, "design")
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
    "design_label",
    "harm_points",
    "harm_savings_figure",
    "power_figure",
    "power_x_axis",
    "save_sweep_figures",
    "series_styles",
    "write_sweep",
]
