"""Figures of a design sweep: power by design, and harm against IVIg saved.

Each function takes the sweep's summary table (one row per design point, see
:func:`mmntrial.simulate.sweep.point_summary`) and returns a matplotlib Figure; the
caller saves it as PNG and SVG. The Agg backend is chosen here, when a figure is made,
never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

_SPECIAL = ("point", "effect")


def _figure(width: float = 7.0, height: float = 4.5) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), layout="constrained")


def _design_columns(table: pd.DataFrame) -> list[str]:
    """The grid axes other than the effect: one line per combination of them."""
    metrics_start = list(table.columns).index("n_trials")
    return [c for c in table.columns[:metrics_start] if c not in _SPECIAL]


def _label(row: pd.Series, columns: list[str]) -> str:
    return ", ".join(f"{c}={row[c]}" for c in columns) or "design"


def power_figure(table: pd.DataFrame) -> Any:
    """Rejection rate (power; type I error at effect 0) against the drug effect, per design."""
    figure = _figure()
    axes = figure.add_subplot()
    columns = _design_columns(table)
    groups = table.groupby(columns, sort=False) if columns else [((), table)]
    x = "effect" if "effect" in table.columns else "point"
    for _, group in groups:
        group = group.sort_values(x)
        errors = [
            group["rejection_rate"] - group["rejection_rate_low"],
            group["rejection_rate_high"] - group["rejection_rate"],
        ]
        axes.errorbar(
            group[x],
            group["rejection_rate"],
            yerr=errors,
            marker="o",
            capsize=3,
            label=_label(group.iloc[0], columns),
        )
    axes.axhline(0.05, color="grey", linestyle=":", linewidth=1)
    axes.axhline(0.80, color="grey", linestyle="--", linewidth=1)
    axes.set_xlabel("drug effect on the IVIg need (fraction)" if x == "effect" else "design point")
    axes.set_ylabel("power (type I error at effect 0)")
    axes.set_ylim(0, 1)
    axes.set_title("Power of the primary test, 95% Monte-Carlo intervals")
    if columns:
        axes.legend(fontsize="small")
    return figure


def harm_savings_figure(table: pd.DataFrame) -> Any:
    """Weeks deteriorated per patient against IVIg saved per patient-year, per design."""
    figure = _figure()
    axes = figure.add_subplot()
    for role, marker in (("drug", "o"), ("control", "s")):
        axes.scatter(
            table[f"{role}_ivig_saved_g_per_patient_year"],
            table[f"{role}_weeks_deteriorated_per_patient"],
            marker=marker,
            label=f"{role} arm",
        )
    for _, row in table.iterrows():
        axes.annotate(
            str(row["point"]),
            (row["drug_ivig_saved_g_per_patient_year"], row["drug_weeks_deteriorated_per_patient"]),
            textcoords="offset points",
            xytext=(4, 4),
            fontsize="small",
        )
    axes.set_xlabel("IVIg saved per patient-year (g)")
    axes.set_ylabel("weeks deteriorated per patient")
    axes.set_title("Harm against savings (labels: design point)")
    axes.legend(fontsize="small")
    return figure


def save_sweep_figures(table: pd.DataFrame, directory: Path) -> list[Path]:
    """Write power and harm-versus-savings figures as PNG and SVG; return the paths."""
    written = []
    for name, make in (("power", power_figure), ("harm_vs_savings", harm_savings_figure)):
        figure = make(table)
        for suffix in ("png", "svg"):
            path = directory / f"{name}.{suffix}"
            # No date in the metadata: the same sweep gives the same files.
            metadata = {"Date": None} if suffix == "svg" else {"Software": None}
            figure.savefig(path, dpi=120, metadata=metadata)
            written.append(path)
    return written


__all__ = ["harm_savings_figure", "power_figure", "save_sweep_figures"]
