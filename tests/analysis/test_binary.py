"""Fisher's exact test and the Newcombe interval for the risk difference."""

from __future__ import annotations

import math
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep

from mmntrial.analysis import (
    AnalysisError,
    compare_proportions,
    compare_proportions_counts,
    newcombe_interval,
    wilson_interval,
)

Reference = Callable[[str], dict[str, Any]]


def _wilson_by_hand(x: int, n: int, z: float) -> tuple[float, float]:
    # The roots of (p - x/n)^2 = z^2 p (1 - p) / n, solved as a quadratic in p.
    a = 1 + z * z / n
    b = -(2 * x / n + z * z / n)
    c = (x / n) ** 2
    root = math.sqrt(max(b * b - 4 * a * c, 0.0))
    return (-b - root) / (2 * a), (-b + root) / (2 * a)


def _fisher_by_hand(x1: int, n1: int, x2: int, n2: int) -> Fraction:
    total, successes = n1 + n2, x1 + x2

    def probability(k: int) -> Fraction:
        return Fraction(
            math.comb(n1, k) * math.comb(n2, successes - k), math.comb(total, successes)
        )

    observed = probability(x1)
    support = range(max(0, successes - n2), min(successes, n1) + 1)
    return sum((p for k in support if (p := probability(k)) <= observed), Fraction(0))


def test_newcombe_against_reference(reference: Reference) -> None:
    data = reference("newcombe_1998_difference_of_proportions.json")
    for case in data["cases"]:
        low, high = newcombe_interval(case["x1"], case["n1"], case["x2"], case["n2"])
        assert low == pytest.approx(case["low"], abs=data["tolerance"]), case["row"]
        assert high == pytest.approx(case["high"], abs=data["tolerance"]), case["row"]


def test_newcombe_reference_agrees_with_statsmodels(reference: Reference) -> None:
    data = reference("newcombe_1998_difference_of_proportions.json")
    for case in data["cases"]:
        low, high = confint_proportions_2indep(
            case["x1"], case["n1"], case["x2"], case["n2"], method="newcomb", compare="diff"
        )
        assert float(low) == pytest.approx(case["low"], abs=data["tolerance"]), case["row"]
        assert float(high) == pytest.approx(case["high"], abs=data["tolerance"]), case["row"]


def test_fisher_against_reference(reference: Reference) -> None:
    data = reference("fisher_exact.json")
    for case in data["cases"]:
        counts = (case["x1"], case["n1"], case["x2"], case["n2"])
        result = compare_proportions_counts(*counts)
        assert result.p_value == pytest.approx(case["p_two_sided"], abs=data["tolerance"])
        assert float(_fisher_by_hand(*counts)) == pytest.approx(case["p_two_sided"], abs=1e-12)
        assert _fisher_by_hand(*counts) == Fraction(case["exact"])


@given(x=st.integers(0, 40), n=st.integers(1, 40), level=st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_matches_the_quadratic_roots(x: int, n: int, level: float) -> None:
    x = min(x, n)
    z = float(stats.norm.ppf(0.5 + level / 2))
    expected = _wilson_by_hand(x, n, z)
    assert wilson_interval(x, n, level) == pytest.approx(expected, abs=1e-9)


@given(x1=st.integers(0, 30), n1=st.integers(1, 30), x2=st.integers(0, 30), n2=st.integers(1, 30))
def test_newcombe_interval_contains_the_difference_and_stays_in_range(
    x1: int, n1: int, x2: int, n2: int
) -> None:
    x1, x2 = min(x1, n1), min(x2, n2)
    low, high = newcombe_interval(x1, n1, x2, n2)
    difference = x1 / n1 - x2 / n2
    assert -1.0 <= low <= difference + 1e-12
    assert difference - 1e-12 <= high <= 1.0


def test_compare_proportions_counts_responders_by_arm() -> None:
    result = compare_proportions(
        [1, 1, 1, 0, 0, 1, 0, 0, 0, 0],
        ["MMF", "MMF", "MMF", "MMF", "MMF", "placebo", "placebo", "placebo", "placebo", "placebo"],
        treatment="MMF",
        control="placebo",
        name="Primary",
    )
    direct = compare_proportions_counts(3, 5, 1, 5, treatment="MMF", control="placebo")
    assert result.estimate == pytest.approx(0.4)
    assert (result.ci_low, result.ci_high, result.p_value) == (
        direct.ci_low,
        direct.ci_high,
        direct.p_value,
    )
    assert dict(result.n_per_arm) == {"MMF": 5, "placebo": 5}
    assert result.interval_method == "Newcombe hybrid score"


def test_missing_responder_flag_is_refused() -> None:
    with pytest.raises(AnalysisError, match=r"responder: got \[nan\], expected True/False"):
        compare_proportions(
            [True, float("nan"), False], ["a", "b", "b"], treatment="a", control="b"
        )


def test_string_responder_flag_is_refused() -> None:
    with pytest.raises(AnalysisError, match="responder: got \\['1'\\]"):
        compare_proportions([True, "1"], ["a", "b"], treatment="a", control="b")


def test_empty_arm_is_refused() -> None:
    with pytest.raises(AnalysisError, match="arm 'placebo' has no rows"):
        compare_proportions([True, False], ["MMF", "MMF"], treatment="MMF", control="placebo")


def test_unknown_arm_label_is_refused() -> None:
    with pytest.raises(AnalysisError, match=r"arm: got label\(s\) \['IVIg'\]"):
        compare_proportions(
            [True, False, True], ["MMF", "placebo", "IVIg"], treatment="MMF", control="placebo"
        )


def test_same_arm_twice_is_refused() -> None:
    with pytest.raises(AnalysisError, match="at least two distinct arm labels"):
        compare_proportions([True, False], ["MMF", "MMF"], treatment="MMF", control="MMF")


def test_impossible_counts_are_refused() -> None:
    with pytest.raises(AnalysisError, match="got 6 successes out of 5"):
        newcombe_interval(6, 5, 1, 5)
    with pytest.raises(AnalysisError, match="expected a whole number"):
        wilson_interval(2.5, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize("level", [0.0, 1.0, 95, -0.5])
def test_level_outside_zero_one_is_refused(level: float) -> None:
    with pytest.raises(AnalysisError, match=f"level: got {level!r}"):
        wilson_interval(1, 5, level)
