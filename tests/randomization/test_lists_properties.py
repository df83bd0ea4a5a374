"""Property tests of lists: balanced blocks, per-stratum balance, reproducibility, prefixes."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from mmntrial.randomization.design import AllocationDesign, make_design
from mmntrial.randomization.lists import extend, generate
from mmntrial.randomization.methods import block_sequence
from mmntrial.randomization.streams import stream

seeds = st.integers(min_value=0, max_value=2**128)


@st.composite
def ratios_and_blocks(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    ratios = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    total = sum(ratios)
    multiples = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3, unique=True))
    return ratios, [m * total for m in multiples]


@given(ratios_and_blocks(), st.integers(1, 60), seeds)
@settings(deadline=None)
def test_every_completed_block_is_balanced_in_the_ratio(
    design: tuple[list[int], list[int]], n: int, seed: int
) -> None:
    ratios, sizes = design
    rows = block_sequence(ratios, sizes, n, stream(seed, "list", "all"))
    assert len(rows) >= n
    blocks: dict[int, list[int]] = {}
    for arm, block in rows:
        blocks.setdefault(block, []).append(arm)
    for arms in blocks.values():
        assert len(arms) in sizes
        per_unit = len(arms) // sum(ratios)
        assert Counter(arms) == {k: r * per_unit for k, r in enumerate(ratios)}


def _stratified(ratios: list[int], sizes: list[int], levels: int) -> AllocationDesign:
    return make_design(
        "stratified_blocks",
        [(f"arm{k}", r) for k, r in enumerate(ratios)],
        block_sizes=sizes,
        factors={"centre": [f"C{i}" for i in range(levels)], "anti_gm1": ["pos", "neg"]},
    )


@given(ratios_and_blocks(), st.integers(1, 3), st.integers(1, 30), seeds)
@settings(deadline=None, max_examples=50)
def test_stratified_lists_balance_within_each_stratum_at_each_block_end(
    design: tuple[list[int], list[int]], levels: int, size: int, seed: int
) -> None:
    ratios, sizes = design
    d = _stratified(ratios, sizes, levels)
    lst = generate(d, size, seed)
    for stratum in d.strata():
        slots = lst.slots(stratum)
        assert [r.seq for r in slots] == list(range(1, len(slots) + 1))
        # The stratum's rows come from its own stream; their block numbers mark block ends.
        blocks = block_sequence(ratios, sizes, size, stream(seed, "list", stratum))
        assert [r.arm for r in slots] == [d.arms[arm] for arm, _ in blocks]
        counts: Counter[str] = Counter()
        for i, (row, (_, block)) in enumerate(zip(slots, blocks, strict=True)):
            assert row.arm is not None
            counts[row.arm] += 1
            if i + 1 == len(blocks) or blocks[i + 1][1] != block:
                units = (i + 1) // sum(ratios)
                assert counts == {a: r * units for a, r in zip(d.arms, ratios, strict=True)}


@given(seeds, st.integers(1, 40))
@settings(deadline=None, max_examples=40)
def test_the_same_seed_gives_the_same_list(seed: int, size: int) -> None:
    d = _stratified([1, 1], [2, 4], 2)
    assert generate(d, size, seed) == generate(d, size, seed)


@given(seeds, st.integers(1, 30), st.integers(0, 30))
@settings(deadline=None, max_examples=40)
def test_extending_a_list_keeps_its_committed_prefix(seed: int, size: int, more: int) -> None:
    d = _stratified([2, 1], [3, 6], 2)
    old = generate(d, size, seed)
    new = extend(old, size + more, add_levels={"centre": ["NEW"]})
    new_rows = {(r.stratum, r.seq): r for r in new.rows}
    assert all(new_rows[(r.stratum, r.seq)] == r for r in old.rows)
    assert new.history[0] == old.history[0]
    assert len(new.slots("centre=NEW|anti_gm1=pos")) >= size + more


@given(seeds)
@settings(deadline=None, max_examples=25)
def test_a_new_stratum_does_not_change_the_others(seed: int) -> None:
    one = generate(_stratified([1, 1], [2, 4], 1), 12, seed)
    three = generate(_stratified([1, 1], [2, 4], 3), 12, seed)
    assert set(one.rows) <= set(three.rows)


def test_different_seeds_give_different_lists(blocks_1to1) -> None:
    assert generate(blocks_1to1, 40, 1).rows != generate(blocks_1to1, 40, 2).rows


def test_simple_randomization_follows_the_ratio_against_binomial_bounds() -> None:
    d = make_design("simple", [("mmf", 2), ("placebo", 1)])
    lst = generate(d, 6000, seed=99)
    share = sum(r.arm == "mmf" for r in lst.rows) / 6000
    # Expected 2/3, SD sqrt(2/9/6000) = 0.0061: six SDs either side.
    assert abs(share - 2 / 3) < 0.037


def test_kit_codes_are_unique_and_hide_the_arm(blocks_1to1) -> None:
    lst = generate(blocks_1to1, 2000, seed=5)
    kits = [r.kit for r in lst.rows]
    assert len(set(kits)) == len(kits)
    # A code's characters carry no arm: the first character is spread alike in both arms.
    for arm in ("mmf", "placebo"):
        first = Counter(r.kit[0] for r in lst.rows if r.arm == arm)
        assert len(first) > 25
