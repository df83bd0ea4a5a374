"""The design from command-line values: a protocol or the options, never both."""

from __future__ import annotations

import pytest

from mmntrial.errors import RandomizationError
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.randomization.design import Method
from mmntrial.randomization.options import DesignOptions, design_from_options, pairs


def _never(name: str) -> Protocol:
    raise AssertionError(f"loaded {name!r}")


def test_a_protocol_states_the_design_and_the_options_give_the_levels() -> None:
    options = DesignOptions(protocol="piepers-2007", strata=("centre=AMC,UMCU",))
    protocol = load_protocol("piepers-2007")
    design = design_from_options(options, lambda name: protocol)
    assert design.arms == tuple(arm.name for arm in protocol.arms)
    assert design.method is protocol.randomization.method


def test_a_design_option_with_a_protocol_is_refused_before_loading() -> None:
    options = DesignOptions(protocol="piepers-2007", ratio="2:1")
    with pytest.raises(RandomizationError, match=r"^--ratio: got a value with --protocol"):
        design_from_options(options, _never)


def test_options_alone_build_the_design() -> None:
    options = DesignOptions(
        method="minimization", arms="a,b,c", strata=("centre=X,Y",), weights=("centre=2",)
    )
    design = design_from_options(options, _never)
    assert design.method is Method.MINIMIZATION
    assert design.ratios == (1, 1, 1)
    assert design.minimization is not None
    assert design.minimization.weights == (2.0,)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (DesignOptions(), r"^--method: got nothing"),
        (DesignOptions(method="simple", ratio="1:x"), r"^options: expected numbers"),
        (DesignOptions(method="simple", ratio="1:1:1"), r"^--ratio: got '1:1:1'"),
        (DesignOptions(method="blocks", block_sizes="2,,4"), r"^--block-sizes: got '2,,4'"),
    ],
)
def test_bad_options_name_the_option(options: DesignOptions, message: str) -> None:
    with pytest.raises(RandomizationError, match=message):
        design_from_options(options, _never)


def test_pairs_need_a_name_and_a_value() -> None:
    with pytest.raises(RandomizationError, match=r"^--stratum: got 'centre', expected NAME=VALUE"):
        pairs("--stratum", ["centre"])
