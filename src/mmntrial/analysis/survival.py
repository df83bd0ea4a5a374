"""Time to first confirmed deterioration: Kaplan-Meier by arm and the log-rank test.

Kaplan-Meier curves and the log-rank test come from lifelines. The curve's pointwise
interval is lifelines' default, the log(-log) ("exponential Greenwood") interval, which
stays inside [0, 1]; the median's interval is where that band crosses one half
(Brookmeyer-Crowley style), infinite when the band never gets there.

The log-rank test carries no effect size, so the result's estimate is the hazard ratio
(treatment vs control) of a Cox model with the arm as only covariate (lifelines, Efron
ties, Wald interval); the p-value stays the log-rank one. With no event in one arm the
hazard ratio is 0 or infinite and is reported as not estimable.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter
from lifelines.exceptions import ConvergenceWarning
from lifelines.statistics import logrank_test
from lifelines.utils import median_survival_times
from numpy.typing import ArrayLike, NDArray

from mmntrial.analysis._fitnotes import call_noting
from mmntrial.analysis._validate import (
    bool_array,
    check_arms,
    check_level,
    float_array,
    label_array,
)
from mmntrial.analysis.result import TestResult, format_number
from mmntrial.errors import AnalysisError


@dataclass(frozen=True)
class KaplanMeierCurve:
    """One arm's Kaplan-Meier estimate, as arrays ready for a step plot."""

    arm: str
    times: NDArray[np.float64]
    survival: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    at_risk: NDArray[np.int64]
    n: int
    events: int
    median: float
    median_ci: tuple[float, float]
    ci_level: float

    def to_frame(self) -> pd.DataFrame:
        """The curve as a table: time, survival, interval and number at risk."""
        return pd.DataFrame(
            {
                "time": self.times,
                "survival": self.survival,
                "ci_low": self.ci_low,
                "ci_high": self.ci_high,
                "at_risk": self.at_risk,
            }
        )

    def summary(self) -> str:
        """One line: n, events and the median with its interval."""
        low, high = self.median_ci
        return (
            f"{self.arm}: n {self.n}, events {self.events}, median {format_number(self.median)} "
            f"({self.ci_level * 100:g}% CI {format_number(low)} to {format_number(high)})"
        )


def _inputs(
    durations: ArrayLike, events: ArrayLike, arm: ArrayLike, arms: Sequence[str]
) -> tuple[NDArray[np.float64], NDArray[np.bool_], NDArray[np.object_]]:
    times = float_array("durations", durations)
    if (times < 0).any():
        raise AnalysisError(
            f"durations: got {float(times.min()):g}, expected times >= 0 from randomisation"
        )
    flags = bool_array("events", events)
    if len(flags) != len(times):
        raise AnalysisError(
            f"events: got {len(flags)} flags, expected one per duration ({len(times)})"
        )
    labels = label_array("arm", arm, len(times))
    check_arms("arm", labels, arms)
    return times, flags, labels


def _curve(
    label: str, times: NDArray[np.float64], flags: NDArray[np.bool_], level: float
) -> KaplanMeierCurve:
    fitter = KaplanMeierFitter().fit(times, flags, alpha=1 - level, label=label)
    band = fitter.confidence_interval_survival_function_
    median_band = median_survival_times(band)
    table = fitter.event_table
    return KaplanMeierCurve(
        arm=label,
        times=fitter.survival_function_.index.to_numpy(dtype=np.float64),
        survival=fitter.survival_function_.iloc[:, 0].to_numpy(dtype=np.float64),
        ci_low=band.iloc[:, 0].to_numpy(dtype=np.float64),
        ci_high=band.iloc[:, 1].to_numpy(dtype=np.float64),
        at_risk=table["at_risk"].to_numpy(dtype=np.int64),
        n=len(times),
        events=int(flags.sum()),
        median=float(fitter.median_survival_time_),
        median_ci=(float(median_band.iloc[0, 0]), float(median_band.iloc[0, 1])),
        ci_level=level,
    )


def kaplan_meier(
    durations: ArrayLike,
    events: ArrayLike,
    arm: ArrayLike,
    *,
    arms: Sequence[str],
    level: float = 0.95,
) -> dict[str, KaplanMeierCurve]:
    """Kaplan-Meier curve of each arm, in the order of ``arms``.

    ``events`` is True for a confirmed deterioration and False for a censored time.

    >>> curves = kaplan_meier(
    ...     [3, 5, 8, 8, 12, 2, 4, 4, 6, 9],
    ...     [True, False, True, False, False, True, True, True, True, False],
    ...     ["MMF"] * 5 + ["placebo"] * 5,
    ...     arms=["MMF", "placebo"],
    ... )
    >>> curves["placebo"].median, curves["MMF"].survival.round(3).tolist()
    (4.0, [1.0, 0.8, 0.8, 0.533, 0.533])
    """
    level = check_level(level)
    times, flags, labels = _inputs(durations, events, arm, arms)
    return {a: _curve(a, times[labels == a], flags[labels == a], level) for a in arms}


def _hazard_ratio(
    times: NDArray[np.float64], flags: NDArray[np.bool_], treated: NDArray[np.bool_], level: float
) -> tuple[float, float, float, tuple[str, ...]]:
    for in_arm in (treated, ~treated):
        if not flags[in_arm].any():
            return (
                math.nan,
                math.nan,
                math.nan,
                ("hazard ratio not estimable: no event in one arm",),
            )
    frame = pd.DataFrame({"time": times, "event": flags, "treated": treated.astype(float)})
    fitter = CoxPHFitter(alpha=1 - level)
    fitted, warned = call_noting(lambda: fitter.fit(frame, "time", "event"), ConvergenceWarning)
    row = fitted.summary.loc["treated"]
    lower = next(c for c in row.index if c.startswith("exp(coef) lower"))
    upper = next(c for c in row.index if c.startswith("exp(coef) upper"))
    notes = tuple(f"Cox fit warning: {message}" for message in warned)
    return float(row["exp(coef)"]), float(row[lower]), float(row[upper]), notes


def log_rank(
    durations: ArrayLike,
    events: ArrayLike,
    arm: ArrayLike,
    *,
    treatment: str,
    control: str,
    name: str = "Time to first confirmed deterioration",
    level: float = 0.95,
) -> TestResult:
    """Log-rank test between two arms, with the Cox hazard ratio as the estimate.

    >>> r = log_rank(
    ...     [3, 5, 8, 8, 12, 2, 4, 4, 6, 9],
    ...     [True, False, True, False, False, True, True, True, True, False],
    ...     ["MMF"] * 5 + ["placebo"] * 5,
    ...     treatment="MMF",
    ...     control="placebo",
    ... )
    >>> r.test, r.estimate < 1
    ('log-rank test', True)
    """
    level = check_level(level)
    times, flags, labels = _inputs(durations, events, arm, (treatment, control))
    if not flags.any():
        raise AnalysisError(
            f"events: got no event among {len(flags)} subjects, expected at least one "
            "confirmed deterioration"
        )
    treated = labels == treatment
    test = logrank_test(times[treated], times[~treated], flags[treated], flags[~treated])
    ratio, low, high, cox_notes = _hazard_ratio(times, flags, treated, level)
    curves = {
        a: _curve(a, times[labels == a], flags[labels == a], level) for a in (treatment, control)
    }
    return TestResult(
        name=name,
        test="log-rank test",
        estimate=ratio,
        estimate_label=f"hazard ratio (Cox, Efron ties), {treatment} vs {control}",
        ci_low=low,
        ci_high=high,
        ci_level=level,
        p_value=float(test.p_value),
        n_per_arm={treatment: int(treated.sum()), control: int((~treated).sum())},
        interval_method="Wald",
        notes=(
            f"log-rank chi-square {float(test.test_statistic):.3f} on 1 df",
            *(curve.summary() for curve in curves.values()),
            *cox_notes,
        ),
    )


__all__ = ["KaplanMeierCurve", "kaplan_meier", "log_rank"]
