"""Minimization: balance bounds that depend on p_preferred, determinism, ratios."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mmntrial.randomization.assess import assess
from mmntrial.randomization.design import make_design
from mmntrial.randomization.minimization import MarginalCounts, minimize
from mmntrial.randomization.streams import below, stream


def _run(p: float, n: int, seed: int, levels: int = 3) -> int:
    """Allocate n subjects with one factor; return the worst level imbalance seen."""
    design = make_design(
        "minimization",
        [("a", 1), ("b", 1)],
        factors={"centre": [f"C{i}" for i in range(levels)]},
        p_preferred=p,
    )
    counts = MarginalCounts(design)
    covariates = stream(seed, "test", "covariates")
    worst = 0
    for i in range(n):
        values = {"centre": f"C{below(covariates, levels)}"}
        counts.add(values, minimize(counts, values, stream(seed, "minimization", str(i))))
        a, b = counts.level("centre", values["centre"])
        worst = max(worst, abs(a - b))
    return worst


def imbalance_bound(p: float, n: int, delta: float = 1e-9) -> int:
    """A level's imbalance moves towards 0 w.p. p and away w.p. 1 - p (a 1:1 walk).

    Reaching m from 1 before 0 has probability below ((1 - p) / p) ** (m - 1), so over n
    steps the imbalance exceeds 1 + log(n / delta) / log(p / (1 - p)) with probability
    below delta. For p = 1 the bound is 1.
    """
    if p == 1.0:
        return 1
    return 1 + math.ceil(math.log(n / delta) / math.log(p / (1 - p)))


@given(st.sampled_from([1.0, 0.95, 0.9, 0.8, 0.7]), st.integers(0, 2**64))
@settings(deadline=None, max_examples=30)
def test_marginal_imbalance_stays_within_a_bound_set_by_p(p: float, seed: int) -> None:
    n = 150
    assert _run(p, n, seed) <= imbalance_bound(p, n)


def test_the_bound_would_catch_a_minimizer_that_prefers_the_wrong_arm() -> None:
    # With p = 0.2 the "preferred" arm is given rarely: imbalance drifts like 0.6 n.
    assert _run(0.2, 150, seed=1) > imbalance_bound(0.8, 150)


def test_p_one_is_deterministic_given_order_and_covariates() -> None:
    assert _run(1.0, 60, seed=4) <= 1


def test_first_subject_is_drawn_in_the_ratio() -> None:
    design = make_design("minimization", [("a", 3), ("b", 1)], factors={"c": ["x"]})
    firsts = [
        minimize(MarginalCounts(design), {"c": "x"}, stream(s, "minimization", "1"))
        for s in range(2000)
    ]
    assert abs(firsts.count(0) / 2000 - 0.75) < 0.06


def test_unequal_ratio_is_balanced_in_that_ratio() -> None:
    design = make_design(
        "minimization", [("a", 2), ("b", 1)], factors={"c": ["x", "y"]}, p_preferred=1.0
    )
    counts = MarginalCounts(design)
    for i in range(90):
        values = {"c": "x" if i % 3 else "y"}
        counts.add(values, minimize(counts, values, stream(1, "minimization", str(i))))
    a, b = counts.level("c", "x")
    assert abs(a / 2 - b) <= 1


def test_variance_and_range_agree_for_two_arms() -> None:
    for measure in ("range", "variance"):
        design = make_design(
            "minimization", [("a", 1), ("b", 1)], factors={"c": ["x"]}, imbalance=measure
        )
        counts = MarginalCounts(design)
        counts.add({"c": "x"}, 0)
        totals = counts.totals({"c": "x"})
        assert totals[1] < totals[0]


def test_factor_weights_decide_conflicts() -> None:
    # Level imbalances pull in opposite directions; the heavier factor wins.
    def design(w_centre: float):
        return make_design(
            "minimization",
            [("a", 1), ("b", 1)],
            factors={"centre": ["x"], "gm1": ["pos"]},
            weights={"centre": w_centre, "gm1": 1.0},
            p_preferred=1.0,
        )

    choices = []
    for w in (3.0, 1 / 3):
        counts = MarginalCounts(design(w))
        counts._counts[("centre", "x")] = [2, 0]  # centre prefers b
        counts._counts[("gm1", "pos")] = [0, 2]  # gm1 prefers a
        choices.append(minimize(counts, {"centre": "x", "gm1": "pos"}, stream(1, "m", "1")))
    assert choices == [1, 0]


def test_minimization_balances_margins_better_than_simple(minimization_two_factors) -> None:
    simple_like = make_design(
        "minimization",
        [("mmf", 1), ("placebo", 1)],
        factors={"centre": ["AMC", "UMCU"], "anti_gm1": ["positive", "negative"]},
        p_preferred=0.5,  # a coin flip whatever the imbalance: simple randomization
    )
    good = assess(minimization_two_factors, 60, 200, seed=3)
    coin = assess(simple_like, 60, 200, seed=3)
    by_group = {g.group: g.final_mean for g in good.balance}
    for group in coin.balance:
        assert by_group[group.group] < group.final_mean / 2
