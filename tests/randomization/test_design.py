"""Design validation: bad parameters give errors that name the parameter and the value."""

from __future__ import annotations

import pytest

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import Arm, Minimization, Randomization
from mmntrial.randomization.design import (
    Method,
    design_from_parameters,
    design_from_protocol,
    make_design,
)


def _arm(name: str, ratio: int) -> Arm:
    return Arm(name, name.title(), name, (), ratio)


def test_ratio_that_does_not_divide_the_block_size_is_refused() -> None:
    with pytest.raises(
        RandomizationError,
        match=r"block_sizes: got 4, expected a multiple of "
        r"the ratio sum 3 \(ratio 2:1\)",
    ):
        make_design("blocks", [("mmf", 2), ("placebo", 1)], block_sizes=[3, 4])


def test_empty_arm_list_is_refused() -> None:
    with pytest.raises(RandomizationError, match=r"arms: got \[\], expected at least two arms"):
        make_design("simple", [])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "urn", "arms": [("a", 1), ("b", 1)]}, r"method: got 'urn', expected one of"),
        ({"method": "simple", "arms": [("a", 0), ("b", 1)]}, r"arms\.a\.ratio: got 0"),
        ({"method": "simple", "arms": [("a", 1), ("a", 1)]}, r"expected distinct names"),
        ({"method": "blocks", "arms": [("a", 1), ("b", 1)]}, r"block_sizes: got none"),
        (
            {"method": "simple", "arms": [("a", 1), ("b", 1)], "block_sizes": [2]},
            r"expected none for method 'simple'",
        ),
        (
            {"method": "stratified_blocks", "arms": [("a", 1), ("b", 1)], "block_sizes": [2]},
            r"strata: got no factors",
        ),
        (
            {
                "method": "blocks",
                "arms": [("a", 1), ("b", 1)],
                "block_sizes": [2],
                "factors": {"centre": ["X"]},
            },
            r"expected none for method 'blocks'",
        ),
        (
            {
                "method": "minimization",
                "arms": [("a", 1), ("b", 1)],
                "factors": {"centre": ["X"]},
                "p_preferred": 1.5,
            },
            r"minimization\.p_preferred: got 1\.5",
        ),
        (
            {
                "method": "minimization",
                "arms": [("a", 1), ("b", 1)],
                "factors": {"centre": ["X"]},
                "weights": {"sex": 1.0},
            },
            r"factor_weights: got weights for \['sex'\]",
        ),
        (
            {
                "method": "minimization",
                "arms": [("a", 1), ("b", 1)],
                "factors": {"centre": ["X"]},
                "imbalance": "entropy",
            },
            r"imbalance: got 'entropy', expected 'range' or 'variance'",
        ),
        (
            {
                "method": "stratified_blocks",
                "arms": [("a", 1), ("b", 1)],
                "block_sizes": [2],
                "factors": {"centre": []},
            },
            r"strata\.centre: got levels \[\]",
        ),
    ],
)
def test_bad_parameters_name_the_parameter(kwargs: dict[str, object], message: str) -> None:
    method = kwargs.pop("method")
    arms = kwargs.pop("arms")
    with pytest.raises(RandomizationError, match=message):
        make_design(method, arms, **kwargs)  # type: ignore[arg-type]


def test_unknown_stratum_value_names_factor_value_and_levels(two_centres) -> None:
    with pytest.raises(
        RandomizationError,
        match=r"strata\.centre: got 'LUMC', expected one of "
        r"\['AMC', 'UMCU'\]",
    ):
        two_centres.stratum_of({"centre": "LUMC"})


def test_missing_or_extra_factor_is_refused(two_centres) -> None:
    with pytest.raises(RandomizationError, match=r"missing \['centre'\]"):
        two_centres.stratum_of({})
    with pytest.raises(RandomizationError, match=r"unknown \['sex'\]"):
        two_centres.stratum_of({"centre": "AMC", "sex": "f"})


def test_strata_are_every_combination_of_levels() -> None:
    design = make_design(
        "stratified_blocks",
        [("a", 1), ("b", 1)],
        block_sizes=[2],
        factors={"centre": ["AMC", "UMCU"], "anti_gm1": ["pos", "neg"]},
    )
    assert design.strata() == (
        "centre=AMC|anti_gm1=pos",
        "centre=AMC|anti_gm1=neg",
        "centre=UMCU|anti_gm1=pos",
        "centre=UMCU|anti_gm1=neg",
    )
    assert design.stratum_of({"anti_gm1": "neg", "centre": "UMCU"}) == "centre=UMCU|anti_gm1=neg"


def test_unstratified_designs_have_one_stratum(blocks_1to1) -> None:
    assert blocks_1to1.strata() == ("all",)
    assert blocks_1to1.stratum_of({}) == "all"


def test_design_from_protocol_values_with_three_arms_and_unequal_ratio() -> None:
    arms = (_arm("high", 2), _arm("low", 1), _arm("placebo", 1))
    settings = Randomization("stratified_blocks", block_sizes=(4, 8), strata=("centre",))
    design = design_from_protocol(arms, settings, {"centre": ["AMC"]})
    assert design.method is Method.STRATIFIED_BLOCKS
    assert design.ratios == (2, 1, 1)


def test_design_from_protocol_minimization_reads_weights() -> None:
    settings = Randomization(
        "minimization",
        minimization=Minimization("variance", (("centre", 1.0), ("ivig_band", 2.0)), 0.9),
    )
    design = design_from_protocol(
        (_arm("mmf", 1), _arm("placebo", 1)),
        settings,
        {"centre": ["AMC"], "ivig_band": ["low", "high"]},
    )
    assert design.minimization is not None
    assert design.minimization.weights == (1.0, 2.0)
    assert design.minimization.p_preferred == 0.9


def test_design_from_protocol_needs_levels_for_its_factors() -> None:
    settings = Randomization("stratified_blocks", block_sizes=(2,), strata=("centre",))
    with pytest.raises(
        RandomizationError,
        match=r"expected levels for exactly the protocol's "
        r"factors \['centre'\]",
    ):
        design_from_protocol((_arm("a", 1), _arm("b", 1)), settings, {})


def test_reference_protocol_gives_stratified_blocks_of_2_and_4() -> None:
    from mmntrial.protocol.loader import load_protocol

    protocol = load_protocol("piepers-2007")
    design = design_from_protocol(protocol.arms, protocol.randomization, {"centre": ["UMCU"]})
    assert (design.method, design.block_sizes, design.arms) == (
        Method.STRATIFIED_BLOCKS,
        (2, 4),
        ("mmf", "placebo"),
    )


def test_parameters_round_trip(minimization_two_factors) -> None:
    params = minimization_two_factors.parameters()
    assert design_from_parameters("minimization", params) == minimization_two_factors


def test_mangled_parameters_are_a_randomization_error() -> None:
    with pytest.raises(RandomizationError, match="parameters: got"):
        design_from_parameters("blocks", {"arms": "nonsense"})
