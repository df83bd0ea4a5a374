"""Mann-Whitney U, Wilcoxon signed-rank and the Hodges-Lehmann estimates."""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray
from scipy import stats

from mmntrial.analysis import (
    AnalysisError,
    compare_ranks,
    hodges_lehmann_location,
    hodges_lehmann_shift,
    signed_rank,
)
from mmntrial.analysis.ranks import mann_whitney_null_counts, signed_rank_null_counts

Reference = Callable[[str], dict[str, Any]]


def _brute_force_u_counts(m: int, n: int) -> NDArray[np.float64]:
    """Null distribution of U by listing every set of ranks the second group can take."""
    counts = np.zeros(m * n + 1)
    for second in itertools.combinations(range(m + n), n):
        taken = set(second)
        u = sum(1 for i in range(m + n) if i not in taken for j in second if i > j)
        counts[u] += 1
    return counts


def _brute_force_interval(
    estimates: list[float], counts: NDArray[np.float64], level: float
) -> tuple[float, float, float]:
    """Hollander & Wolfe's rule, written out: largest k with P(S <= k-1) <= alpha/2."""
    cdf = np.cumsum(counts) / counts.sum()
    alpha_half = (1 - level) / 2
    k = max(k for k in range(1, len(estimates) + 1) if cdf[k - 1] <= alpha_half)
    ordered = sorted(estimates)
    return ordered[k - 1], ordered[len(ordered) - k], 1 - 2 * float(cdf[k - 1])


def test_mann_whitney_against_reference(reference: Reference) -> None:
    case = reference("hollander_wolfe_rank_tests.json")["two_sample"]
    x, y = case["x"], case["y"]
    result = compare_ranks(
        x + y, ["x"] * len(x) + ["y"] * len(y), treatment="x", control="y", name="H&W"
    )
    assert result.test == "Mann-Whitney U (exact, two-sided)"
    assert f"U for x = {case['u_statistic_x']}" in result.notes
    # The reference p-values are one-sided; the exact two-sided p doubles a symmetric tail.
    assert result.p_value == pytest.approx(2 * case["p_greater_exact"], abs=2 * case["p_tolerance"])
    normal = stats.mannwhitneyu(
        x, y, alternative="greater", method="asymptotic", use_continuity=False
    )
    assert normal.pvalue == pytest.approx(
        case["p_greater_normal_no_correction"], abs=case["p_tolerance"]
    )
    assert result.estimate == pytest.approx(case["hodges_lehmann"], abs=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx(case["ci_95"], abs=1e-12)
    assert f"achieved confidence {case['ci_95_achieved_level'] * 100:.2f}%" in result.notes[1]


def test_hodges_lehmann_reference_by_enumeration(reference: Reference) -> None:
    case = reference("hollander_wolfe_rank_tests.json")["two_sample"]
    x, y = case["x"], case["y"]
    differences = [a - b for a in x for b in y]
    low, high, achieved = _brute_force_interval(
        differences, _brute_force_u_counts(len(x), len(y)), 0.95
    )
    assert [low, high] == pytest.approx(case["ci_95"], abs=1e-12)
    assert achieved == pytest.approx(case["ci_95_achieved_level"], abs=1e-5)
    assert float(np.median(differences)) == pytest.approx(case["hodges_lehmann"], abs=1e-12)


def test_signed_rank_against_reference(reference: Reference) -> None:
    case = reference("hollander_wolfe_rank_tests.json")["paired"]
    differences = np.array(case["x"]) - np.array(case["y"])
    result = signed_rank(differences, label="patients", name="H&W depression")
    assert result.test == "Wilcoxon signed-rank (exact, two-sided)"
    assert result.p_value == pytest.approx(case["p_two_sided_exact"], abs=case["p_tolerance"])
    one_sided = stats.wilcoxon(differences, alternative="greater", method="exact")
    assert float(one_sided.statistic) == case["v_statistic"]
    assert one_sided.pvalue == pytest.approx(case["p_greater_exact"], abs=case["p_tolerance"])
    assert result.estimate == pytest.approx(case["pseudo_median"], abs=1e-12)
    assert (result.ci_low, result.ci_high) == pytest.approx(case["ci_95"], abs=1e-12)


def test_pseudo_median_reference_by_enumeration(reference: Reference) -> None:
    case = reference("hollander_wolfe_rank_tests.json")["paired"]
    d = list(np.array(case["x"]) - np.array(case["y"]))
    n = len(d)
    counts = np.zeros(n * (n + 1) // 2 + 1)
    for signs in itertools.product((0, 1), repeat=n):
        counts[sum(rank for rank, s in zip(range(1, n + 1), signs, strict=True) if s)] += 1
    walsh = [(d[i] + d[j]) / 2 for i in range(n) for j in range(i, n)]
    low, high, achieved = _brute_force_interval(walsh, counts, 0.95)
    assert [low, high] == pytest.approx(case["ci_95"], abs=1e-12)
    assert achieved == pytest.approx(case["ci_95_achieved_level"], abs=1e-5)


@pytest.mark.parametrize(("m", "n"), [(1, 1), (2, 3), (4, 4), (5, 3), (6, 7)])
def test_null_counts_match_enumeration(m: int, n: int) -> None:
    assert mann_whitney_null_counts(m, n).tolist() == _brute_force_u_counts(m, n).tolist()
    assert mann_whitney_null_counts(m, n).sum() == math.comb(m + n, n)


@pytest.mark.parametrize(("m", "n"), [(8, 12), (20, 15), (30, 40)])
def test_null_counts_match_scipy_exact_tail(m: int, n: int) -> None:
    # For tie-free data whose U for the first group is u, scipy's exact one-sided p-value
    # P(U <= u) must equal the cumulative count from the recurrence.
    rng = np.random.default_rng(m * 100 + n)
    x, y = rng.normal(0, 1, m), rng.normal(0.5, 1, n)
    u = float(stats.mannwhitneyu(x, y, method="exact").statistic)
    less = stats.mannwhitneyu(x, y, alternative="less", method="exact").pvalue
    counts = mann_whitney_null_counts(m, n)
    assert counts[: int(u) + 1].sum() / counts.sum() == pytest.approx(less, rel=1e-9)


def test_signed_rank_null_counts_sum_to_two_to_the_n() -> None:
    for n in range(1, 16):
        counts = signed_rank_null_counts(n)
        assert counts.sum() == 2**n
        assert counts.tolist() == counts[::-1].tolist()


@settings(max_examples=40, deadline=None)
@given(
    x=st.lists(st.integers(-1000, 1000), min_size=3, max_size=12, unique=True),
    y=st.lists(st.integers(-1000, 1000), min_size=3, max_size=12, unique=True),
    shift=st.integers(-500, 500),
)
def test_hodges_lehmann_moves_with_a_shift(x: list[int], y: list[int], shift: int) -> None:
    before = hodges_lehmann_shift(x, y)
    after = hodges_lehmann_shift([v + shift for v in x], y)
    assert after.estimate == pytest.approx(before.estimate + shift)
    if math.isfinite(before.ci_low):
        assert before.ci_low <= before.estimate <= before.ci_high
        assert after.ci_low == pytest.approx(before.ci_low + shift)


def test_exact_interval_reaches_the_level_for_every_small_design() -> None:
    for m in range(4, 12):
        for n in range(4, 12):
            x, y = np.arange(m, dtype=float), np.arange(n, dtype=float) + 0.5
            result = hodges_lehmann_shift(x, y, 0.95)
            if math.isfinite(result.ci_low):
                assert result.achieved_level >= 0.95


def test_too_small_arms_give_an_infinite_interval() -> None:
    result = compare_ranks([1, 2, 3, 4], ["a", "a", "b", "b"], treatment="a", control="b")
    assert (result.ci_low, result.ci_high) == (-math.inf, math.inf)
    assert "too few values" in result.notes[-1]
    assert "-inf to inf" in result.summary()


def test_ties_switch_to_the_normal_approximation() -> None:
    rng = np.random.default_rng(3)
    treated = rng.integers(0, 10, 30).astype(float)
    controls = rng.integers(0, 10, 30).astype(float) - 2
    values = np.concatenate([treated, controls])
    arms = ["MMF"] * 30 + ["placebo"] * 30
    result = compare_ranks(values, arms, treatment="MMF", control="placebo")
    assert (
        result.test
        == "Mann-Whitney U (normal approximation, continuity and tie corrected, two-sided)"
    )
    expected = stats.mannwhitneyu(treated, controls, method="asymptotic")
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.ci_low <= result.estimate <= result.ci_high
    assert result.estimate == float(np.median(np.subtract.outer(treated, controls)))


def test_large_sample_interval_covers_a_known_shift_about_95_percent() -> None:
    # Two thousand tie-free trials of 60 vs 60: the asymptotic interval should cover the
    # true shift of 2.0 in 95% of them, within simulation error (SE about 0.5%).
    rng = np.random.default_rng(20240101)
    covered = 0
    trials = 2000
    for _ in range(trials):
        x = rng.standard_t(5, 60) + 2.0
        y = rng.standard_t(5, 60)
        r = hodges_lehmann_shift(x, y)
        assert not r.exact
        covered += r.ci_low <= 2.0 <= r.ci_high
    assert 0.93 <= covered / trials <= 0.97


def test_zero_differences_are_dropped_from_the_test_but_kept_in_the_estimate() -> None:
    result = signed_rank([0.0, 0.0, 1.0, 2.0, 3.0, -0.5, 4.0])
    assert result.test.startswith("Wilcoxon signed-rank (normal approximation")
    expected = stats.wilcoxon([1.0, 2.0, 3.0, -0.5, 4.0], method="asymptotic")
    assert result.p_value == pytest.approx(expected.pvalue)
    assert result.estimate == hodges_lehmann_location([0.0, 0.0, 1.0, 2.0, 3.0, -0.5, 4.0]).estimate


def test_all_zero_differences_are_refused() -> None:
    with pytest.raises(AnalysisError, match="none different from zero"):
        signed_rank([0.0, 0.0])


def test_missing_value_is_refused_with_its_position() -> None:
    with pytest.raises(
        AnalysisError, match=r"values: got 1 missing or infinite value\(s\) at position\(s\) \[2\]"
    ):
        compare_ranks(
            [1.0, 2.0, float("nan"), 4.0], ["a", "a", "b", "b"], treatment="a", control="b"
        )


def test_label_count_must_match_values() -> None:
    with pytest.raises(AnalysisError, match=r"arm: got 3 label\(s\), expected one per value \(4\)"):
        compare_ranks([1.0, 2.0, 3.0, 4.0], ["a", "a", "b"], treatment="a", control="b")


def test_empty_sample_is_refused() -> None:
    with pytest.raises(AnalysisError, match="expected at least one in each"):
        hodges_lehmann_shift([], [1.0])
