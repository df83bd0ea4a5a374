"""Rank tests: Mann-Whitney U with the Hodges-Lehmann shift, Wilcoxon signed-rank.

The percent reduction of the IVIg dose is bounded and skewed, so the plan compares arms
by ranks and reports the Hodges-Lehmann shift: the median of all treatment-control
differences. Its interval is distribution-free, from the order statistics of those
differences (Hollander & Wolfe, Nonparametric Statistical Methods, sections 4.3 and
3.2): if P(U <= k-1) <= alpha/2 under the null, [D(k), D(N+1-k)] covers the true shift
with probability 1 - 2 P(U <= k-1) >= 1 - alpha.

Exact null distributions are used when every group has fewer than 50 values, as R's
``wilcox.test`` does, and no tie breaks them: for the p-value, no tie anywhere (and no
zero difference in the signed-rank test); for the interval, no tie within a group,
because only those persist at every shift where the interval inverts the test.
Otherwise the normal approximation with tie correction is used. The result says which.
"""

from __future__ import annotations

import math
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from mmntrial.analysis._validate import check_level, float_array, split_two_arms
from mmntrial.analysis.result import TestResult
from mmntrial.errors import AnalysisError

# Below this size per group, exact null distributions are cheap (at most 50 x 50 x 2500
# additions) and the normal approximation is at its worst; R uses the same cut-off.
EXACT_BELOW = 50


class ShiftEstimate(NamedTuple):
    """A Hodges-Lehmann estimate with its order-statistic interval."""

    estimate: float
    ci_low: float
    ci_high: float
    achieved_level: float
    exact: bool


def mann_whitney_null_counts(m: int, n: int) -> NDArray[np.float64]:
    """Number of orderings giving U = 0, 1, ..., m*n for groups of m and n (no ties).

    Recurrence c(i, j, u) = c(i-1, j, u-j) + c(i, j-1, u): the largest value comes from
    the first group (beating all j values of the second) or from the second.

    >>> mann_whitney_null_counts(2, 2).tolist()
    [1.0, 1.0, 2.0, 1.0, 1.0]
    """
    size = m * n + 1
    previous = np.zeros((n + 1, size))
    previous[:, 0] = 1.0
    for _ in range(m):
        current = np.zeros((n + 1, size))
        current[0, 0] = 1.0
        for j in range(1, n + 1):
            current[j, j:] = previous[j, : size - j]
            current[j] += current[j - 1]
        previous = current
    counts: NDArray[np.float64] = previous[n]
    return counts


def signed_rank_null_counts(n: int) -> NDArray[np.float64]:
    """Number of sign patterns giving T+ = 0, 1, ..., n(n+1)/2 for n non-zero differences.

    >>> signed_rank_null_counts(3).tolist()
    [1.0, 1.0, 1.0, 2.0, 1.0, 1.0, 1.0]
    """
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for rank in range(1, n + 1):
        counts[rank:] = counts[rank:] + counts[:-rank]
    return counts


def _exact_depth(counts: NDArray[np.float64], alpha: float) -> tuple[int, float]:
    """Largest k with P(S <= k-1) <= alpha/2, and the achieved level 1 - 2 P(S <= k-1)."""
    cdf = np.cumsum(counts) / counts.sum()
    # Tolerance: a cdf equal to alpha/2 in exact arithmetic must count as <= alpha/2.
    k = int(np.searchsorted(cdf, alpha / 2 * (1 + 1e-12), side="right"))
    return k, (1.0 - 2.0 * float(cdf[k - 1]) if k >= 1 else 0.0)


def _normal_depth(mean: float, sd: float, alpha: float) -> int:
    """Normal-approximation k (with continuity correction) for the same rule."""
    z = float(stats.norm.ppf(1 - alpha / 2))
    return math.floor(mean + 0.5 - z * sd)


def _interval(
    sorted_values: NDArray[np.float64], k: int, achieved: float, exact: bool
) -> ShiftEstimate:
    estimate = float(np.median(sorted_values))
    if k < 1:
        # Too few values for any finite interval at this level: the honest interval is
        # the whole line (coverage 1), not the widest finite one, which falls short.
        return ShiftEstimate(estimate, -math.inf, math.inf, 1.0, exact)
    total = len(sorted_values)
    low, high = float(sorted_values[k - 1]), float(sorted_values[total - k])
    return ShiftEstimate(estimate, low, high, achieved, exact)


def _has_ties(values: NDArray[np.float64]) -> bool:
    return len(np.unique(values)) < len(values)


def _tie_term(values: NDArray[np.float64]) -> float:
    _, counts = np.unique(values, return_counts=True)
    return float(np.sum(counts.astype(np.float64) ** 3 - counts))


def hodges_lehmann_shift(x: ArrayLike, y: ArrayLike, level: float = 0.95) -> ShiftEstimate:
    """Median of all differences x_i - y_j, with its distribution-free interval.

    >>> r = hodges_lehmann_shift([1.0, 2.0, 3.0, 4.0, 5.0], [0.0, 1.5, 2.5, 3.5, 6.0])
    >>> r.estimate, r.exact
    (0.5, True)
    """
    alpha = 1 - check_level(level)
    xs, ys = float_array("x", x), float_array("y", y)
    if len(xs) == 0 or len(ys) == 0:
        raise AnalysisError(
            f"x, y: got {len(xs)} and {len(ys)} values, expected at least one in each"
        )
    differences = np.sort(np.subtract.outer(xs, ys).ravel())
    m, n = len(xs), len(ys)
    # The interval inverts the test at every shift theta, comparing x - theta with y: ties
    # within a group persist for every theta, ties across groups only at isolated thetas,
    # so only the former rule out the exact distribution here.
    exact = m < EXACT_BELOW and n < EXACT_BELOW and not _has_ties(xs) and not _has_ties(ys)
    if exact:
        k, achieved = _exact_depth(mann_whitney_null_counts(m, n), alpha)
    else:
        total = m + n
        ties = _tie_term(xs) + _tie_term(ys)
        variance = m * n / 12 * ((total + 1) - ties / (total * (total - 1)))
        k = _normal_depth(m * n / 2, math.sqrt(variance), alpha)
        achieved = 1 - alpha
    return _interval(differences, k, achieved, exact)


def hodges_lehmann_location(differences: ArrayLike, level: float = 0.95) -> ShiftEstimate:
    """Median of the Walsh averages (d_i + d_j)/2, i <= j, with its interval.

    >>> hodges_lehmann_location([1.0, 2.0, 4.0]).estimate
    2.25
    """
    alpha = 1 - check_level(level)
    values = float_array("differences", differences)
    if len(values) == 0:
        raise AnalysisError("differences: got no values, expected at least one")
    i, j = np.triu_indices(len(values))
    walsh = np.sort((values[i] + values[j]) / 2)
    n = len(values)
    # Inverting the test at theta ranks |d - theta|: zeros of d do not matter there, and
    # only ties among the d themselves persist for every theta.
    exact = n < EXACT_BELOW and not _has_ties(values)
    if exact:
        k, achieved = _exact_depth(signed_rank_null_counts(n), alpha)
    else:
        variance = n * (n + 1) * (2 * n + 1) / 24 - _tie_term(values) / 48
        k = _normal_depth(n * (n + 1) / 4, math.sqrt(variance), alpha)
        achieved = 1 - alpha
    return _interval(walsh, k, achieved, exact)


def _shift_notes(shift: ShiftEstimate, level: float) -> tuple[str, ...]:
    if math.isinf(shift.ci_low):
        return (f"too few values for a finite distribution-free {level * 100:g}% interval",)
    if shift.exact:
        return (f"exact interval; achieved confidence {shift.achieved_level * 100:.2f}%",)
    return ("interval from the normal approximation to the rank distribution",)


def compare_ranks(
    values: ArrayLike,
    arm: ArrayLike,
    *,
    treatment: str,
    control: str,
    name: str = "Rank comparison",
    level: float = 0.95,
) -> TestResult:
    """Two-sided Mann-Whitney U test and the Hodges-Lehmann shift, treatment - control.

    >>> r = compare_ranks(
    ...     [60, 75, 80, 100, 90, 10, 25, 30, 0, 50],
    ...     ["MMF"] * 5 + ["placebo"] * 5,
    ...     treatment="MMF",
    ...     control="placebo",
    ...     name="Percent IVIg reduction",
    ... )
    >>> r.test, r.estimate, round(r.p_value, 4)
    ('Mann-Whitney U (exact, two-sided)', 60.0, 0.0079)
    """
    level = check_level(level)
    array = float_array("values", values)
    treated, controls = split_two_arms("values", array, arm, treatment, control)
    shift = hodges_lehmann_shift(treated, controls, level)
    small = len(treated) < EXACT_BELOW and len(controls) < EXACT_BELOW
    exact = small and not _has_ties(np.concatenate([treated, controls]))
    method: Literal["exact", "asymptotic"] = "exact" if exact else "asymptotic"
    test = stats.mannwhitneyu(treated, controls, alternative="two-sided", method=method)
    variant = "exact" if exact else "normal approximation, continuity and tie corrected"
    return TestResult(
        name=name,
        test=f"Mann-Whitney U ({variant}, two-sided)",
        estimate=shift.estimate,
        estimate_label=f"Hodges-Lehmann shift, {treatment} - {control}",
        ci_low=shift.ci_low,
        ci_high=shift.ci_high,
        ci_level=level,
        p_value=float(test.pvalue),
        n_per_arm={treatment: len(treated), control: len(controls)},
        interval_method="distribution-free (Hodges-Lehmann)",
        notes=(f"U for {treatment} = {float(test.statistic):g}", *_shift_notes(shift, level)),
    )


def signed_rank(
    differences: ArrayLike,
    *,
    label: str = "all",
    name: str = "Signed-rank test",
    level: float = 0.95,
) -> TestResult:
    """Wilcoxon signed-rank test of paired or one-sample changes against zero.

    Zero differences are dropped from the test (Wilcoxon's convention) but kept in the
    Hodges-Lehmann pseudo-median.

    >>> r = signed_rank([1.2, 0.4, -0.1, 2.0, 0.9, 1.5], label="MMF", name="log2 titre")
    >>> r.test, round(r.p_value, 4)
    ('Wilcoxon signed-rank (exact, two-sided)', 0.0625)
    """
    level = check_level(level)
    values = float_array("differences", differences)
    if (values != 0).sum() < 1:
        raise AnalysisError(
            f"differences: got {len(values)} value(s), none different from zero; expected "
            "at least one non-zero difference"
        )
    location = hodges_lehmann_location(values, level)
    exact = len(values) < EXACT_BELOW and not _has_ties(np.abs(values)) and (values != 0).all()
    method: Literal["exact", "asymptotic"] = "exact" if exact else "asymptotic"
    # scipy documents "asymptotic"; scipy-stubs lists only its old alias "approx" here.
    test = stats.wilcoxon(  # type: ignore[call-overload]
        values, zero_method="wilcox", alternative="two-sided", method=method
    )
    variant = "exact" if exact else "normal approximation, tie corrected"
    return TestResult(
        name=name,
        test=f"Wilcoxon signed-rank ({variant}, two-sided)",
        estimate=location.estimate,
        estimate_label="Hodges-Lehmann pseudo-median",
        ci_low=location.ci_low,
        ci_high=location.ci_high,
        ci_level=level,
        p_value=float(test.pvalue),
        n_per_arm={label: len(values)},
        interval_method="distribution-free (Walsh averages)",
        notes=_shift_notes(location, level),
    )


__all__ = [
    "ShiftEstimate",
    "compare_ranks",
    "hodges_lehmann_location",
    "hodges_lehmann_shift",
    "mann_whitney_null_counts",
    "signed_rank",
]
