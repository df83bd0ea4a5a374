"""Permuted blocks for many strata at once (the simulator's allocation)."""

from __future__ import annotations

import collections
import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mmntrial.errors import RandomizationError
from mmntrial.randomization.batch import (
    blocks_needed,
    enrolment_rank,
    minimization_arms,
    permuted_block_arms,
    simple_arms,
)
from mmntrial.randomization.design import make_design
from mmntrial.randomization.minimization import MarginalCounts, minimize


def _draw(
    ratios: list[int], sizes: list[int], strata: np.ndarray, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    n_strata = int(strata.max()) + 1
    blocks, slots = blocks_needed(int(np.bincount(strata).max()), sizes)
    size_u, order_u = rng.random((n_strata, blocks)), rng.random((n_strata, slots))
    return permuted_block_arms(ratios, sizes, strata, size_u, order_u), size_u, order_u


@settings(max_examples=60, deadline=None)
@given(
    ratios=st.sampled_from([[1, 1], [2, 1], [1, 1, 1], [1, 3]]),
    multiples=st.lists(st.integers(1, 3), min_size=1, max_size=3, unique=True),
    n_subjects=st.integers(1, 60),
    n_strata=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_completed_block_holds_the_ratio(
    ratios: list[int], multiples: list[int], n_subjects: int, n_strata: int, seed: int
) -> None:
    sizes = [m * sum(ratios) for m in multiples]
    strata = np.random.default_rng(seed + 1).integers(0, n_strata, n_subjects)
    arms, size_u, _ = _draw(ratios, sizes, strata, seed)
    assert set(arms.tolist()) <= set(range(len(ratios)))
    chosen = np.asarray(sizes)[np.minimum((size_u * len(sizes)).astype(int), len(sizes) - 1)]
    for s in np.unique(strata):
        sequence = arms[strata == s]
        ends = np.cumsum(chosen[s])
        start = 0
        for end in ends:
            if end > sequence.size:
                # The open last block never holds more of an arm than its share.
                counts = np.bincount(sequence[start:], minlength=len(ratios))
                assert (counts * sum(ratios) <= (end - start) * np.asarray(ratios)).all()
                break
            counts = np.bincount(sequence[start:end], minlength=len(ratios))
            assert (counts * sum(ratios) == (end - start) * np.asarray(ratios)).all()
            start = end


def test_every_arrangement_of_a_block_is_equally_likely() -> None:
    n_blocks = 30_000
    strata = np.repeat(np.arange(n_blocks), 4)
    arms, _, _ = _draw([1, 1], [4], strata, seed=11)
    counts = collections.Counter(map(tuple, arms.reshape(n_blocks, 4).tolist()))
    arrangements = set(itertools.permutations([0, 0, 1, 1]))
    assert set(counts) == arrangements
    expected = n_blocks / len(arrangements)
    # Six cells: each within 5 standard errors of n/6 (the test fails on a biased shuffle).
    sd = np.sqrt(expected * (1 - 1 / len(arrangements)))
    assert all(abs(c - expected) < 5 * sd for c in counts.values()), counts


def test_block_sizes_are_equally_likely_and_strata_are_independent() -> None:
    rng = np.random.default_rng(5)
    n = 20_000
    size_u = rng.random((n, 1))
    order_u = rng.random((n, 6))
    strata = np.arange(n)  # one subject per stratum: the first slot of a block of 2 or 6
    arms = permuted_block_arms([1, 1], [2, 6], strata, size_u, order_u)
    assert abs(arms.mean() - 0.5) < 0.02
    # Subjects of two strata, interleaved, get what each stratum gets on its own.
    both = np.array([0, 1, 0, 1, 1, 0, 0, 1])
    size_u, order_u = rng.random((2, 4)), rng.random((2, 24))
    together = permuted_block_arms([1, 1], [2, 6], both, size_u, order_u)
    for s in (0, 1):
        alone = permuted_block_arms(
            [1, 1], [2, 6], np.zeros(4, dtype=np.int64), size_u[[s]], order_u[[s]]
        )
        assert together[both == s].tolist() == alone.tolist()


def test_enrolment_rank_counts_within_each_stratum() -> None:
    assert enrolment_rank(np.array([2, 2, 0, 2, 0], dtype=np.int64)).tolist() == [0, 1, 0, 2, 1]
    assert enrolment_rank(np.array([], dtype=np.int64)).tolist() == []


def test_bad_block_sizes_and_too_few_uniforms_are_refused() -> None:
    strata = np.zeros(5, dtype=np.int64)
    with pytest.raises(RandomizationError, match=r"block_sizes: got \[3\], expected positive"):
        permuted_block_arms([1, 1], [3], strata, np.zeros((1, 3)), np.zeros((1, 9)))
    with pytest.raises(RandomizationError, match="expected enough for 5 subjects"):
        permuted_block_arms([1, 1], [2], strata, np.zeros((1, 2)), np.zeros((1, 4)))


def test_simple_arms_follow_the_ratios() -> None:
    u = np.random.default_rng(2).random(60_000)
    shares = np.bincount(simple_arms([1, 2, 1], u), minlength=3) / u.size
    np.testing.assert_allclose(shares, [0.25, 0.5, 0.25], atol=0.01)


@settings(max_examples=40, deadline=None)
@given(
    ratios=st.sampled_from([[1, 1], [2, 1], [1, 1, 1]]),
    variance=st.booleans(),
    seed=st.integers(0, 2**32 - 1),
)
def test_minimization_gives_an_arm_the_scalar_rule_prefers(
    ratios: list[int], variance: bool, seed: int
) -> None:
    """With p_preferred = 1, each arm minimizes the totals of .minimization's own counts."""
    rng = np.random.default_rng(seed)
    n, n_groups, factor_levels = 24, 3, [3, 2]
    group = rng.integers(0, n_groups, n)
    levels = np.column_stack([rng.integers(0, k, n) for k in factor_levels])
    arms = minimization_arms(
        ratios,
        group,
        levels,
        factor_levels,
        weights=[1.0, 2.0],
        variance=variance,
        p_preferred=1.0,
        u=rng.random((n, 3)),
    )
    names = [f"arm{k}" for k in range(len(ratios))]
    design = make_design(
        "minimization",
        list(zip(names, ratios, strict=True)),
        factors={"f0": ["0", "1", "2"], "f1": ["0", "1"]},
        imbalance="variance" if variance else "range",
        weights={"f0": 1.0, "f1": 2.0},
        p_preferred=1.0,
    )
    for g in range(n_groups):
        counts = MarginalCounts(design)
        for i in np.flatnonzero(group == g):
            values = {"f0": str(levels[i, 0]), "f1": str(levels[i, 1])}
            totals = counts.totals(values)
            if max(totals) - min(totals) > 1e-9:  # not every arm ties
                assert totals[arms[i]] <= min(totals) + 1e-9
            counts.add(values, int(arms[i]))


def test_minimization_keeps_balance_and_its_randomness() -> None:
    rng = np.random.default_rng(4)
    n_groups, per_group = 400, 20
    group = np.repeat(np.arange(n_groups), per_group)
    levels = rng.integers(0, 2, (group.size, 1))
    common = {"weights": [1.0], "variance": False}
    strict = minimization_arms(
        [1, 1], group, levels, [2], p_preferred=1.0, u=rng.random((group.size, 3)), **common
    )
    for g in range(n_groups):
        for level in (0, 1):
            arms = strict[(group == g) & (levels[:, 0] == level)]
            assert abs(2 * int(arms.sum()) - arms.size) <= 1  # deterministic: never 2 apart
    loose = minimization_arms(
        [2, 1], group, levels, [2], p_preferred=0.7, u=rng.random((group.size, 3)), **common
    )
    # The same design through .minimization's sequential rule gives the same share of the
    # second arm (not 1/3: with unequal ratios and p < 1, Pocock-Simon drifts from 2:1).
    design = make_design(
        "minimization", [("a", 2), ("b", 1)], factors={"f": ["0", "1"]}, p_preferred=0.7
    )
    sequential = []
    for g in range(n_groups):
        counts = MarginalCounts(design)
        for i in np.flatnonzero(group == g):
            values = {"f": str(levels[i, 0])}
            sequential.append(minimize(counts, values, rng))
            counts.add(values, sequential[-1])
    assert abs(loose.mean() - np.mean(sequential)) < 0.03
    assert 0.3 < loose.mean() < 0.45
