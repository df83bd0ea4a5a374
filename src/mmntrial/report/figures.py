"""The report's figures, each a function from dataset tables to SVG text.

The tables are in the dataset schema's column layout (``docs/dataset.md``): ``subjects``
(subject_id, arm), ``infusions`` (subject_id, day, dose_g, weight_kg, interval_days) and
``assessments`` (subject_id, visit, day, measure, side, value). Figures show what the
data hold and compute no test statistic: the Kaplan-Meier figure draws the curves the
analysis plan estimated.

Matplotlib is used through its object interface with an explicit Agg canvas per figure,
never through ``pyplot``: no global backend is chosen, nothing opens a window, and
importing this module configures nothing. Output is deterministic (the same data give
the same bytes): the SVG hash salt is fixed per figure, the date and creator are left
out of the metadata, and text stays text (``svg.fonttype = none``) so that no font
file is embedded.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from numpy.typing import NDArray

from mmntrial.analysis.survival import KaplanMeierCurve
from mmntrial.measures.catalogue import measure_spec
from mmntrial.measures.ivig import dose_intensity
from mmntrial.report.labels import plain_label
from mmntrial.report.svgtext import inline_svg
from mmntrial.units import DAYS_PER_WEEK

# Okabe-Ito colours: distinguishable with the common colour-vision deficiencies.
ARM_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")
# Visits that are not on the schedule: they would scatter the by-visit means.
OFF_SCHEDULE_VISITS = ("repeat", "unscheduled")

_STYLE = {
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
    "svg.fonttype": "none",
}


def arm_colours(arms: Sequence[str]) -> dict[str, str]:
    """One colour per arm, in the order given; the same arm order gives the same colours.

    >>> arm_colours(["mmf", "placebo"])
    {'mmf': '#0072B2', 'placebo': '#D55E00'}
    """
    return {arm: ARM_COLOURS[i % len(ARM_COLOURS)] for i, arm in enumerate(arms)}


def _label(arm: str, labels: Mapping[str, str] | None) -> str:
    return plain_label(labels.get(arm, arm) if labels else arm)


def _new_figure(width_in: float, height_in: float) -> Figure:
    figure = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(figure)  # attaches itself to the figure; no global backend state
    return figure


def figure_to_svg(figure: Figure, name: str) -> str:
    """``figure`` as an ``<svg>`` element, deterministic and with ids prefixed by ``name``."""
    buffer = io.StringIO()
    # The hash salt names the clip-path and marker ids; fixing it per figure makes the
    # bytes reproducible and the ids distinct between figures of one page.
    with matplotlib.rc_context({"svg.hashsalt": f"mmntrial-{name}", "svg.fonttype": "none"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "mmntrial"})
    return inline_svg(buffer.getvalue(), name)


def _no_data(ax: Axes, what: str) -> None:
    ax.text(0.5, 0.5, f"no {what} in the dataset", ha="center", va="center", color="#666666")
    ax.set_xticks([])
    ax.set_yticks([])


def _legend(ax: Axes, fontsize: float) -> None:
    # A legend without any labelled line makes matplotlib warn; an empty panel has none.
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", fontsize=fontsize, frameon=False)


def infusion_intensity(infusions: pd.DataFrame) -> pd.Series:
    """Dose intensity of each infusion row, g/kg/week (as ``measures.ivig`` defines it).

    >>> rows = pd.DataFrame({"dose_g": [140.0], "weight_kg": [70.0], "interval_days": [28]})
    >>> float(infusion_intensity(rows).iloc[0])
    0.5
    """
    dose, weight, interval = (
        infusions[column].to_numpy(dtype=np.float64, na_value=np.nan)
        for column in ("dose_g", "weight_kg", "interval_days")
    )
    return pd.Series(dose_intensity(dose, weight, interval), index=infusions.index)


def _step_values(
    days: NDArray[np.float64], values: NDArray[np.float64], end: float, grid: NDArray[np.float64]
) -> NDArray[np.float64]:
    """The step function ``values`` (from each of ``days`` on, until ``end``) on ``grid``."""
    index = np.searchsorted(days, grid, side="right") - 1
    out = np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)
    return np.where(grid < end, out, np.nan)


def dose_intensity_svg(
    subjects: pd.DataFrame,
    infusions: pd.DataFrame,
    *,
    arms: Sequence[str],
    labels: Mapping[str, str] | None = None,
    taper_start_day: int | None = None,
    grid_days: int = DAYS_PER_WEEK,
) -> str:
    """Each patient's IVIg dose intensity over study days, one panel per arm, arm medians.

    An infusion's intensity holds from its day for its interval (a step function); the
    arm median at a day is over the patients whose last infusion still covers that day,
    on a grid of ``grid_days``. The other arms' medians are drawn dashed for comparison.
    """
    arm_of = subjects.set_index("subject_id")["arm"].astype(str)
    frame = infusions.assign(intensity=infusion_intensity(infusions)).sort_values(
        ["subject_id", "day"], kind="stable"
    )
    frame = frame[frame["subject_id"].isin(arm_of.index)]
    colours = arm_colours(arms)
    figure = _new_figure(4.2 * len(arms), 3.4)
    axes = figure.subplots(1, len(arms), sharey=True, squeeze=False)[0]
    if frame.empty:
        for ax in axes:
            _no_data(ax, "infusions")
        return figure_to_svg(figure, "dose-intensity")
    ends = frame["day"] + frame["interval_days"]
    grid = np.arange(float(frame["day"].min()), float(ends.max()) + 1, grid_days)
    medians: dict[str, NDArray[np.float64]] = {}
    for arm, ax in zip(arms, axes, strict=True):
        rows = []
        for _, patient in frame[frame["subject_id"].map(arm_of) == arm].groupby(
            "subject_id", sort=True
        ):
            days = patient["day"].to_numpy(dtype=np.float64)
            values = patient["intensity"].to_numpy(dtype=np.float64)
            end = float(days[-1] + patient["interval_days"].iloc[-1])
            ax.step(
                np.append(days, end),
                np.append(values, values[-1]),
                where="post",
                color=colours[arm],
                alpha=0.35,
                linewidth=0.8,
            )
            rows.append(_step_values(days, values, end, grid))
        if rows:
            stacked = np.vstack(rows)
            covered = (~np.isnan(stacked)).any(axis=0)
            median = np.full(grid.shape, np.nan)
            median[covered] = np.nanmedian(stacked[:, covered], axis=0)
            medians[arm] = median
        ax.set_title(f"{_label(arm, labels)} (n = {len(rows)})")
        ax.set_xlabel("study day")
    for arm, ax in zip(arms, axes, strict=True):
        for other, median in medians.items():
            own = other == arm
            ax.step(
                grid,
                median,
                where="post",
                color=colours[other],
                linewidth=2.2 if own else 1.2,
                linestyle="-" if own else "--",
                label=f"median, {_label(other, labels)}",
            )
        ax.axvline(0, color="#444444", linewidth=0.8)
        if taper_start_day is not None:
            ax.axvline(taper_start_day, color="#444444", linewidth=0.8, linestyle=":")
        ax.set_ylim(bottom=0)
    axes[0].set_ylabel("IVIg dose intensity (g/kg/week)")
    _legend(axes[0], 7.5)
    return figure_to_svg(figure, "dose-intensity")


def visit_summary(subjects: pd.DataFrame, assessments: pd.DataFrame, measure: str) -> pd.DataFrame:
    """Per arm and scheduled visit: nominal day, n, mean and standard error of ``measure``.

    A two-sided measure (grip) is first averaged over both sides per subject and visit;
    the nominal day of a visit is its median day. Repeat and unscheduled visits are left
    out.

    >>> subjects = pd.DataFrame({"subject_id": ["a", "b"], "arm": ["x", "x"]})
    >>> values = pd.DataFrame({"subject_id": ["a", "a", "b"], "visit": ["M0"] * 3,
    ...     "day": [0, 0, 1], "measure": ["grip_kpa"] * 3, "side": ["left", "right", "left"],
    ...     "value": [50.0, 60.0, 45.0]})
    >>> visit_summary(subjects, values, "grip_kpa")[["arm", "visit", "n", "mean"]]
      arm visit  n  mean
    0   x    M0  2  50.0
    """
    rows = assessments[
        (assessments["measure"] == measure) & ~assessments["visit"].isin(OFF_SCHEDULE_VISITS)
    ]
    per_subject = rows.groupby(["subject_id", "visit"], sort=True).agg(
        day=("day", "median"), value=("value", "mean")
    )
    per_subject = per_subject.reset_index()
    per_subject["arm"] = per_subject["subject_id"].map(
        subjects.set_index("subject_id")["arm"].astype(str)
    )
    nominal = per_subject.groupby("visit")["day"].median()
    summary = (
        per_subject.groupby(["arm", "visit"], sort=True)["value"]
        .agg(n="count", mean="mean", sd="std")
        .reset_index()
    )
    summary["day"] = summary["visit"].map(nominal).astype(float)
    summary["se"] = summary["sd"] / np.sqrt(summary["n"])
    return summary.sort_values(["arm", "day"], kind="stable").reset_index(drop=True)


def measure_title(measure: str) -> str:
    """A measure's panel title: its catalogue label, capitalised.

    >>> measure_title("grip_kpa"), measure_title("mmn_rods_centile")
    ('Grip strength', 'MMN-RODS')
    """
    label = measure_spec(measure).label
    return label[:1].upper() + label[1:]


def measure_axis_label(measure: str) -> str:
    """A measure's axis label: its catalogue label and unit (a two-sided measure is
    plotted as the mean of both hands).

    >>> measure_axis_label("grip_kpa"), measure_axis_label("mrc_sum")
    ('grip strength, mean of both hands (kPa)', 'MRC sum score (points)')
    """
    spec = measure_spec(measure)
    both = ", mean of both hands" if spec.bilateral else ""
    return f"{spec.label}{both} ({spec.unit})"


def measures_svg(
    subjects: pd.DataFrame,
    assessments: pd.DataFrame,
    *,
    arms: Sequence[str],
    measures: Sequence[str] = ("mrc_sum", "grip_kpa"),
    labels: Mapping[str, str] | None = None,
) -> str:
    """Mean (± standard error) of each measure at each scheduled visit, by arm.

    One panel per measure; the arms are nudged apart on the day axis so that their
    error bars do not hide each other.
    """
    colours = arm_colours(arms)
    figure = _new_figure(4.2 * len(measures), 3.4)
    axes = figure.subplots(1, len(measures), squeeze=False)[0]
    for measure, ax in zip(measures, axes, strict=True):
        summary = visit_summary(subjects, assessments, measure)
        if summary.empty:
            _no_data(ax, measure)
            continue
        span = float(summary["day"].max() - summary["day"].min()) or 1.0
        for i, arm in enumerate(arms):
            part = summary[summary["arm"] == arm]
            nudge = (i - (len(arms) - 1) / 2) * span * 0.008
            ax.errorbar(
                part["day"] + nudge,
                part["mean"],
                yerr=part["se"].fillna(0.0),
                color=colours[arm],
                marker="o",
                markersize=3.5,
                linewidth=1.4,
                capsize=2.0,
                label=_label(arm, labels),
            )
        ax.set_title(measure_title(measure))
        ax.set_ylabel(measure_axis_label(measure))
        ax.set_xlabel("study day (scheduled visits)")
    _legend(axes[0], 7.5)
    return figure_to_svg(figure, "measures")


def _censored(curve: KaplanMeierCurve) -> NDArray[np.float64]:
    """Times at which subjects were censored, one entry per distinct time."""
    at_risk = curve.at_risk.astype(np.float64)
    leaving = at_risk - np.append(at_risk[1:], 0.0)
    previous = np.concatenate(([1.0], curve.survival[:-1]))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(previous > 0, curve.survival / previous, 1.0)
    events = np.rint(at_risk * (1.0 - ratio))
    return np.asarray(curve.times[(leaving - events) > 0.5], dtype=np.float64)


def at_risk_at(curve: KaplanMeierCurve, times: Sequence[float]) -> list[int]:
    """Number at risk just before each of ``times``: those whose time is at least it."""
    index = np.searchsorted(curve.times, np.asarray(times, dtype=np.float64), side="left")
    return [int(curve.at_risk[i]) if i < len(curve.at_risk) else 0 for i in index]


def km_svg(
    curves: Mapping[str, KaplanMeierCurve],
    *,
    labels: Mapping[str, str] | None = None,
    x_max: float | None = None,
) -> str:
    """Kaplan-Meier curves of time to first confirmed deterioration, with the risk table.

    Steps with their pointwise interval band, censoring ticks, and under the plot the
    number at risk per arm at each day tick.
    """
    arms = list(curves)
    colours = arm_colours(arms)
    figure = _new_figure(7.0, 3.9 + 0.2 * len(arms))
    ax, table = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [5.0, 0.5 + 0.35 * len(arms)]}
    )
    if not curves:
        _no_data(ax, "time-to-event data")
        table.set_axis_off()
        return figure_to_svg(figure, "km")
    end = x_max if x_max is not None else max(float(c.times.max()) for c in curves.values())
    end = max(end, 1.0)
    for arm, curve in curves.items():
        # Extend the last step to the end of follow-up so every curve spans the axis.
        times = np.append(curve.times, end) if curve.times[-1] < end else curve.times
        survival = np.append(curve.survival, curve.survival[-1])[: len(times)]
        low = np.append(curve.ci_low, curve.ci_low[-1])[: len(times)]
        high = np.append(curve.ci_high, curve.ci_high[-1])[: len(times)]
        name = f"{_label(arm, labels)} ({curve.events}/{curve.n} events)"
        ax.step(times, survival, where="post", color=colours[arm], linewidth=1.8, label=name)
        ax.fill_between(times, low, high, step="post", color=colours[arm], alpha=0.12, lw=0)
        censored = _censored(curve)
        ax.plot(
            censored,
            np.interp(censored, curve.times, curve.survival, left=1.0),
            linestyle="none",
            marker="|",
            markersize=8,
            markeredgewidth=1.4,
            color=colours[arm],
        )
    # Day ticks at multiples of 30 or 60 days read as months.
    locator = MaxNLocator(nbins=7, steps=[1, 3, 6, 10], integer=True)
    ticks = [float(t) for t in locator.tick_values(0, end) if 0 <= t <= end]
    ax.set_xticks(ticks)
    ax.set_xlim(0, end * 1.02)
    ax.set_ylim(0, 1.03)
    ax.set_ylabel("free of confirmed deterioration")
    _legend(ax, 8.0)
    ax.tick_params(labelbottom=True)
    ax.set_xlabel("study day")
    for row, (arm, curve) in enumerate(curves.items()):
        for tick, n in zip(ticks, at_risk_at(curve, ticks), strict=True):
            table.text(tick, row, str(n), ha="center", va="center", fontsize=8,
                       color=colours[arm])  # fmt: skip
    table.set_ylim(len(arms) - 0.5, -0.5)
    table.set_yticks(range(len(arms)), [_label(a, labels) for a in arms], fontsize=8)
    table.set_title("number at risk", loc="left", fontsize=8, fontweight="normal")
    table.tick_params(left=False, bottom=False, labelbottom=False)
    for spine in table.spines.values():
        spine.set_visible(False)
    return figure_to_svg(figure, "km")


__all__ = [
    "ARM_COLOURS",
    "arm_colours",
    "at_risk_at",
    "dose_intensity_svg",
    "figure_to_svg",
    "infusion_intensity",
    "km_svg",
    "measures_svg",
    "visit_summary",
]
