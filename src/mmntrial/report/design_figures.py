"""The two figures of a design report, as inline SVG: power against n, harm against savings.

The power-vs-n curve is the sample-size search's (the same virtual patients at every
size, so it is smooth in n); harm against savings is the sweep figure
(:func:`mmntrial.report.sweep_figures.harm_savings_figure`) over the effects simulated.
"""

from __future__ import annotations

from typing import Any

from mmntrial.report.figures import figure_to_svg
from mmntrial.report.sweep_figures import harm_savings_figure
from mmntrial.simulate.size import SizeAnswer
from mmntrial.simulate.sweep import SweepResult


def power_curve_figure(answer: SizeAnswer) -> Any:
    """Power against n per arm with its 95% band, the target and the answer marked."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(8.0, 4.5), layout="constrained")
    axes = figure.add_subplot()
    n = [point.n_per_arm for point in answer.curve]
    power = [point.power for point in answer.curve]
    axes.fill_between(
        n,
        [point.ci95[0] for point in answer.curve],
        [point.ci95[1] for point in answer.curve],
        color="#9ecae1",
        label="95% Monte-Carlo interval",
    )
    axes.plot(n, power, color="#1d3f63", label="power")
    target = answer.question.power
    axes.axhline(target, color="grey", linestyle="--", linewidth=1, label=f"target {target:.0%}")
    if answer.power_at_n is not None:
        at = answer.power_at_n
        axes.axvline(at.n_per_arm, color="#d62728", linestyle=":", linewidth=1)
        axes.plot([at.n_per_arm], [at.power], "o", color="#d62728", label=f"{at.n_per_arm} per arm")
    axes.set_xlabel("patients per arm")
    axes.set_ylabel("power of the primary test")
    axes.set_ylim(0, 1)
    axes.set_xlim(min(n), max(n))
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(f"Power against n per arm at drug effect {answer.question.effect:g}")
    figure.legend(loc="outside right upper", fontsize="small")
    return figure


def power_curve_svg(answer: SizeAnswer) -> str:
    """:func:`power_curve_figure` as an inline ``<svg>``."""
    return figure_to_svg(power_curve_figure(answer), "power-n")


def harm_savings_svg(sweep: SweepResult) -> str:
    """The sweep's harm-vs-savings figure as an inline ``<svg>``."""
    return figure_to_svg(harm_savings_figure(sweep), "harm-savings")


__all__ = ["harm_savings_svg", "power_curve_figure", "power_curve_svg"]
