"""Small designs shared by the randomization tests, named for what they hold."""

from __future__ import annotations

import pytest

from mmntrial.randomization.design import AllocationDesign, make_design


@pytest.fixture
def blocks_1to1() -> AllocationDesign:
    return make_design("blocks", [("mmf", 1), ("placebo", 1)], block_sizes=[2, 4])


@pytest.fixture
def two_centres() -> AllocationDesign:
    return make_design(
        "stratified_blocks",
        [("mmf", 1), ("placebo", 1)],
        block_sizes=[2, 4],
        factors={"centre": ["AMC", "UMCU"]},
    )


@pytest.fixture
def minimization_two_factors() -> AllocationDesign:
    return make_design(
        "minimization",
        [("mmf", 1), ("placebo", 1)],
        factors={"centre": ["AMC", "UMCU"], "anti_gm1": ["positive", "negative"]},
        weights={"centre": 1.0, "anti_gm1": 2.0},
        p_preferred=0.8,
    )
