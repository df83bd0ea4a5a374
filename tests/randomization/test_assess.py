"""Assessment against known properties of the methods."""

from __future__ import annotations

import numpy as np
import pytest

from mmntrial.errors import RandomizationError
from mmntrial.randomization.assess import assess
from mmntrial.randomization.design import make_design


def test_predictability_of_blocks_of_two_is_three_quarters() -> None:
    design = make_design("blocks", [("a", 1), ("b", 1)], block_sizes=[2])
    result = assess(design, 40, 200, seed=1)
    # Exact: the first of each pair is a coin flip, the second is known.
    assert result.predictability == pytest.approx(0.75, abs=1e-12)
    assert result.balance[0].final_max == 0
    assert result.balance[0].worst_max == 1


def test_predictability_of_simple_randomization_is_one_half() -> None:
    design = make_design("simple", [("a", 1), ("b", 1)])
    result = assess(design, 50, 1000, seed=2)
    # Monte Carlo: 50 000 guesses, SE about 0.0022; four SEs either side.
    assert abs(result.predictability - 0.5) < 4 * result.predictability_se + 1e-3


def test_predictability_of_blocks_of_four_is_seventeen_in_twenty_four() -> None:
    design = make_design("blocks", [("a", 1), ("b", 1)], block_sizes=[4])
    result = assess(design, 40, 400, seed=3)
    # Per position in a block: 1/2, 2/3, (2/3 * 1/2 + 1/3 * 1) = 2/3, 1; mean 17/24.
    assert abs(result.predictability - 17 / 24) < 4 * result.predictability_se + 1e-3


def test_stratified_blocks_balance_each_stratum_within_half_the_largest_block() -> None:
    design = make_design(
        "stratified_blocks",
        [("a", 1), ("b", 1)],
        block_sizes=[2, 4],
        factors={"centre": ["A", "B", "C"]},
    )
    result = assess(design, 60, 200, seed=4)
    strata = [g for g in result.balance if g.group.startswith("centre=")]
    assert len(strata) == 3
    assert all(g.worst_max <= 2 for g in strata)


def test_simple_imbalance_matches_the_binomial_expectation() -> None:
    result = assess(make_design("simple", [("a", 1), ("b", 1)]), 100, 1000, seed=5)
    # E|2X - n| for X ~ Bin(100, 1/2) is about sqrt(2n/pi) = 7.98.
    assert result.balance[0].final_mean == pytest.approx(np.sqrt(200 / np.pi), rel=0.08)


def test_assess_needs_a_seed_or_a_generator_not_both() -> None:
    design = make_design("simple", [("a", 1), ("b", 1)])
    with pytest.raises(RandomizationError, match=r"expected exactly one of them"):
        assess(design, 10, 10)
    with pytest.raises(RandomizationError, match=r"expected exactly one of them"):
        assess(design, 10, 10, seed=1, rng=np.random.default_rng(1))
    same = assess(design, 10, 10, rng=np.random.default_rng(1))
    assert same == assess(design, 10, 10, rng=np.random.default_rng(1))


def test_assess_refuses_bad_counts() -> None:
    with pytest.raises(RandomizationError, match=r"simulations: got 0"):
        assess(make_design("simple", [("a", 1), ("b", 1)]), 10, 0, seed=1)


def test_to_dict_is_plain_data() -> None:
    result = assess(make_design("simple", [("a", 1), ("b", 1)]), 5, 3, seed=1)
    data = result.to_dict()
    assert data["method"] == "simple"
    assert data["balance"][0]["group"] == "overall"  # type: ignore[index]
