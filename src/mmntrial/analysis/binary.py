"""The primary binary endpoint: Fisher's exact test and the risk difference.

The risk difference gets the Newcombe hybrid score interval (method 10 of Newcombe,
Stat Med 1998;17:873-890): it combines the Wilson score interval of each proportion and,
unlike the Wald interval, keeps its coverage with small arms and with 0/n or n/n, which
a 20-to-40-patient IVIg-sparing trial meets often. The Wilson interval itself lives in
:mod:`mmntrial.intervals`, below the analysis, because the simulator uses it too.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike
from scipy import stats

from mmntrial.analysis._validate import bool_array, check_arms, label_array
from mmntrial.analysis.result import TestResult
from mmntrial.errors import AnalysisError
from mmntrial.intervals import check_count, check_level, wilson_interval

# "greater": only more responders under the treatment than under control count against
# the null (a one-sided plan); "two-sided": a difference either way does.
Alternative = Literal["two-sided", "greater"]
_TEST_NAMES = {
    "two-sided": "Fisher's exact test (two-sided)",
    "greater": "Fisher's exact test (one-sided: treatment > control)",
}


def newcombe_interval(
    successes_1: int, n_1: int, successes_2: int, n_2: int, level: float = 0.95
) -> tuple[float, float]:
    """Newcombe hybrid score interval for p1 - p2 (method 10 of Newcombe 1998).

    >>> low, high = newcombe_interval(56, 70, 48, 80)
    >>> round(low, 4), round(high, 4)
    (0.0524, 0.3339)
    """
    check_count("group 1", successes_1, n_1)
    check_count("group 2", successes_2, n_2)
    p1, p2 = successes_1 / n_1, successes_2 / n_2
    l1, u1 = wilson_interval(successes_1, n_1, level)
    l2, u2 = wilson_interval(successes_2, n_2, level)
    difference = p1 - p2
    low = difference - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = difference + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return max(low, -1.0), min(high, 1.0)


def compare_proportions_counts(
    successes_treatment: int,
    n_treatment: int,
    successes_control: int,
    n_control: int,
    *,
    treatment: str = "treatment",
    control: str = "control",
    name: str = "Proportion of responders",
    level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Fisher's exact test and the risk difference (treatment - control) from counts.

    ``alternative="greater"`` is the one-sided test of more responders under the
    treatment.

    >>> r = compare_proportions_counts(3, 4, 1, 4, treatment="MMF", control="placebo")
    >>> round(r.p_value, 4), r.estimate
    (0.4857, 0.5)
    >>> r = compare_proportions_counts(3, 4, 1, 4, alternative="greater")
    >>> round(r.p_value, 4), r.test
    (0.2429, "Fisher's exact test (one-sided: treatment > control)")
    """
    level = check_level(level)
    if alternative not in _TEST_NAMES:
        raise AnalysisError(
            f"alternative: got {alternative!r}, expected one of {', '.join(_TEST_NAMES)}"
        )
    low, high = newcombe_interval(
        successes_treatment, n_treatment, successes_control, n_control, level
    )
    table = np.array(
        [
            [successes_treatment, n_treatment - successes_treatment],
            [successes_control, n_control - successes_control],
        ]
    )
    fisher = stats.fisher_exact(table, alternative=alternative)
    return TestResult(
        name=name,
        test=_TEST_NAMES[alternative],
        estimate=successes_treatment / n_treatment - successes_control / n_control,
        estimate_label=f"risk difference, {treatment} - {control}",
        ci_low=low,
        ci_high=high,
        ci_level=level,
        p_value=float(fisher.pvalue),
        n_per_arm={treatment: n_treatment, control: n_control},
        interval_method="Newcombe hybrid score",
        notes=(
            f"responders: {treatment} {successes_treatment}/{n_treatment}, "
            f"{control} {successes_control}/{n_control}",
        ),
    )


def compare_proportions(
    responder: ArrayLike,
    arm: ArrayLike,
    *,
    treatment: str,
    control: str,
    name: str = "Proportion of responders",
    level: float = 0.95,
    alternative: Alternative = "two-sided",
) -> TestResult:
    """Fisher's exact test and the risk difference from one responder flag per subject.

    >>> r = compare_proportions(
    ...     [True, True, True, False, True, False, False, False],
    ...     ["MMF"] * 4 + ["placebo"] * 4,
    ...     treatment="MMF",
    ...     control="placebo",
    ... )
    >>> r.estimate, dict(r.n_per_arm)
    (0.5, {'MMF': 4, 'placebo': 4})
    """
    flags = bool_array("responder", responder)
    labels = label_array("arm", arm, len(flags))
    check_arms("arm", labels, (treatment, control))
    treated = flags[labels == treatment]
    controls = flags[labels == control]
    return compare_proportions_counts(
        int(treated.sum()),
        len(treated),
        int(controls.sum()),
        len(controls),
        treatment=treatment,
        control=control,
        name=name,
        level=level,
        alternative=alternative,
    )


__all__ = [
    "Alternative",
    "compare_proportions",
    "compare_proportions_counts",
    "newcombe_interval",
    "wilson_interval",
]
