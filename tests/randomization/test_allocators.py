"""One allocator per allocation method; one enum of methods, shared with the protocol."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import AllocationMethod, Imbalance, Minimization, Randomization
from mmntrial.protocol.schema import ROOT
from mmntrial.randomization.allocators import ALLOCATORS
from mmntrial.randomization.batch import (
    Cohort,
    minimization_arms,
    permuted_block_arms,
    simple_arms,
)
from mmntrial.randomization.design import Method, make_design


def test_every_method_has_its_allocator() -> None:
    assert set(ALLOCATORS) == set(AllocationMethod)
    for method, allocator in ALLOCATORS.items():
        assert allocator.method is method


def test_the_protocol_and_the_randomization_share_one_enum() -> None:
    assert Method is AllocationMethod
    method = ROOT.fields["randomization"].fields["method"]
    assert method.choices == tuple(m.value for m in AllocationMethod)


def _options(method: AllocationMethod) -> dict[str, Any]:
    """The least a design of ``method`` needs besides its arms."""
    options: dict[str, Any] = {}
    if ALLOCATORS[method].permuted_blocks:
        options["block_sizes"] = [2]
    if method in (AllocationMethod.STRATIFIED_BLOCKS, AllocationMethod.MINIMIZATION):
        options["factors"] = {"centre": ["A", "B"]}
    return options


@pytest.mark.parametrize("method", list(AllocationMethod))
def test_the_design_answers_from_its_allocator(method: AllocationMethod) -> None:
    design = make_design(method.value, [("a", 1), ("b", 1)], **_options(method))
    assert design.allocator is ALLOCATORS[method]
    assert design.stratified is ALLOCATORS[method].stratified


def _cohort(rng: np.random.Generator) -> Cohort:
    n = 40
    trial = np.repeat(np.arange(4), 10)
    levels = rng.integers(0, 2, size=(n, 1))
    return Cohort(
        ratios=(2, 1),
        trial=trial,
        levels=levels,
        n_levels=(2,),
        uniforms=rng.random((n, 3)),
        block_uniforms=lambda: (rng.random((8, 10)), rng.random((8, 30))),
    )


def test_batch_arms_are_the_vectorized_methods() -> None:
    cohort = _cohort(np.random.default_rng(1))
    simple = ALLOCATORS[AllocationMethod.SIMPLE].batch_arms(
        Randomization(AllocationMethod.SIMPLE), cohort
    )
    assert simple.tolist() == simple_arms((2, 1), cohort.uniforms[:, 0]).tolist()
    settings = Minimization(Imbalance.VARIANCE, (("centre", 1.0),), 0.9)
    mini = ALLOCATORS[AllocationMethod.MINIMIZATION].batch_arms(
        Randomization(AllocationMethod.MINIMIZATION, minimization=settings), cohort
    )
    expected = minimization_arms(
        (2, 1),
        cohort.trial,
        cohort.levels,
        (2,),
        weights=[1.0],
        variance=True,
        p_preferred=0.9,
        u=cohort.uniforms,
    )
    assert mini.tolist() == expected.tolist()


def test_stratified_batch_arms_run_one_sequence_per_trial_and_stratum() -> None:
    cohort = _cohort(np.random.default_rng(2))
    size_u, order_u = (
        np.random.default_rng(3).random((8, 10)),
        np.random.default_rng(4).random((8, 30)),
    )
    fixed = Cohort(
        cohort.ratios,
        cohort.trial,
        cohort.levels,
        cohort.n_levels,
        cohort.uniforms,
        lambda: (size_u, order_u),
    )
    rand = Randomization(AllocationMethod.STRATIFIED_BLOCKS, block_sizes=(3,), strata=("centre",))
    arms = ALLOCATORS[AllocationMethod.STRATIFIED_BLOCKS].batch_arms(rand, fixed)
    stratum = cohort.trial * 2 + cohort.levels[:, 0]
    assert arms.tolist() == permuted_block_arms((2, 1), (3,), stratum, size_u, order_u).tolist()


@pytest.mark.parametrize("method", [m for m in AllocationMethod if ALLOCATORS[m].arms_in_list])
def test_a_method_whose_list_holds_the_arms_chooses_none_at_allocation(
    method: AllocationMethod,
) -> None:
    with pytest.raises(RandomizationError, match="every list slot holds its arm"):
        ALLOCATORS[method].arm_at_allocation(
            make_design(method.value, [("a", 1), ("b", 1)], **_options(method)),
            [],
            {},
            np.random.default_rng(1),
        )


def test_minimization_at_allocation_counts_every_earlier_allocation() -> None:
    design = make_design(
        "minimization", [("a", 1), ("b", 1)], factors={"centre": ["X", "Y"]}, p_preferred=1.0
    )
    allocator = ALLOCATORS[AllocationMethod.MINIMIZATION]
    assert not allocator.arms_in_list
    rng = np.random.default_rng(1)
    # Two earlier subjects of centre X on arm a: the next of X goes to b, whatever Y holds.
    earlier = [({"centre": "X"}, 0), ({"centre": "X"}, 0), ({"centre": "Y"}, 1)]
    assert allocator.arm_at_allocation(design, earlier, {"centre": "X"}, rng) == 1
    earlier = [({"centre": "X"}, 1), ({"centre": "X"}, 1)]
    assert allocator.arm_at_allocation(design, earlier, {"centre": "X"}, rng) == 0
