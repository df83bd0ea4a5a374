"""Sweep figures a reader understands without the CSV (issue 13): power against n when n
varies, a key of design values for harm against savings, 16 distinct series, the legend
outside the plot."""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from mmntrial.report.sweep_figures import (
    harm_points,
    harm_savings_figure,
    power_figure,
    power_x_axis,
    series_styles,
)
from mmntrial.simulate.sweep import SweepResult, make_plan
from mmntrial.simulate.trials.summary import ArmSummary, DesignSummary


def _summary(point: Any) -> DesignSummary:
    """Made-up figures that differ by design (no simulation: these test the drawing)."""
    n = point.n_per_arm or 14
    power = min(0.99, point.effect * n / 20)
    drug = ArmSummary("mmf", 0.5, 30.0, 25.0, 800.0, 300 + 400 * point.effect, 2, 1, 9, 1)
    control = ArmSummary("placebo", 0.1, 10.0, 5.0, 900.0, 300.0, 2, 1, 12, 1)
    return DesignSummary(
        100,
        point.effect,
        1,
        power,
        (power / 2, (1 + power) / 2),
        power,
        (drug, control),
        "mmf",
        "placebo",
    )


def made_up_sweep(axes: dict[str, list[Any]]) -> SweepResult:
    plan = make_plan(
        protocol="piepers-2007", population="mmn-default", axes=axes, trials=100, seed=1
    )
    return SweepResult(plan, pd.DataFrame(), tuple(_summary(p) for p in plan.points))


def _curves(figure: Any) -> list[Any]:
    """The solid lines of the plot (not the dashed 80% and dotted 5% references)."""
    return [line for line in figure.axes[0].get_lines() if line.get_linestyle() == "-"]


def test_power_is_plotted_against_n_when_n_varies() -> None:
    result = made_up_sweep({"n_per_arm": [8, 14, 20, 28], "effect": [0.25, 0.5]})
    assert power_x_axis(result) == "n_per_arm"
    figure = power_figure(result)
    assert figure.axes[0].get_xlabel() == "patients per arm"
    # One curve per effect, each over the four sizes (not stacked at one x).
    curves = [list(line.get_xdata()) for line in _curves(figure)]
    assert curves == [[8.0, 14.0, 20.0, 28.0]] * 2


def test_power_is_plotted_against_effect_only_when_effect_alone_varies() -> None:
    result = made_up_sweep({"n_per_arm": [14], "effect": [0.0, 0.25, 0.5]})
    assert power_x_axis(result) == "effect"
    assert "effect" in power_figure(result).axes[0].get_xlabel()


def test_sixteen_series_get_sixteen_colours() -> None:
    styles = series_styles(16)
    assert len({colour for colour, _ in styles}) == 16
    result = made_up_sweep(
        {
            "n_per_arm": [8, 14],
            "effect": [0.25, 0.5],
            "taper.step_percent": [10, 20, 25, 50],
            "cadence_weeks": [0, 12],
        }
    )
    figure = power_figure(result)
    colours = {tuple(line.get_color()) for line in _curves(figure)}
    assert len(colours) == 16


def test_the_legend_is_outside_the_plot_and_off_the_80_percent_line() -> None:
    result = made_up_sweep(
        {"n_per_arm": [8, 14], "effect": [0.25, 0.5], "taper.step_percent": [25, 50]}
    )
    for figure in (power_figure(result), harm_savings_figure(result)):
        canvas = FigureCanvasAgg(figure)
        canvas.draw()
        renderer = canvas.get_renderer()
        plot = figure.axes[0].get_window_extent(renderer)
        (legend,) = figure.legends
        box = legend.get_window_extent(renderer)
        assert box.x0 >= plot.x1  # entirely right of the axes


def test_harm_points_are_keyed_by_their_design_values_without_text_on_the_plot() -> None:
    result = made_up_sweep(
        {"n_per_arm": [8, 14], "effect": [0.25, 0.5], "taper.step_percent": [25, 50]}
    )
    figure = harm_savings_figure(result)
    (legend,) = figure.legends
    labels = [text.get_text() for text in legend.get_texts()]
    # n per arm does not change harm per patient: one entry per other combination.
    assert labels == [
        "effect=0.25, taper.step_percent=25",
        "effect=0.25, taper.step_percent=50",
        "effect=0.5, taper.step_percent=25",
        "effect=0.5, taper.step_percent=50",
    ]
    assert [point.n_per_arm for point, _ in harm_points(result)] == [14] * 4
    assert len(figure.axes[0].texts) == 0  # no annotations: none can overlap


@pytest.mark.filterwarnings("error")
def test_figures_raise_no_warning() -> None:
    result = made_up_sweep({"n_per_arm": [8, 14], "effect": [0.0, 0.5]})
    for make in (power_figure, harm_savings_figure):
        make(result).savefig(io.BytesIO(), format="svg")
