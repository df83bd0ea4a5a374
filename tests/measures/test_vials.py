"""Rounding the engine's dose to whole vials: each rule of mmntrial.measures.vials."""

from __future__ import annotations

import itertools
import math

import pytest

from mmntrial.errors import MeasureError
from mmntrial.measures.vials import Rounding, SiteVials, dispense

SITE = SiteVials((2.5, 5, 10, 20), tolerance_percent=5)


def test_nearest_picks_the_nearer_dispensable_amount() -> None:
    assert dispense(31.5, SITE).amount_g == 32.5  # 1.0 above against 1.5 below
    assert dispense(31.0, SITE).amount_g == 30.0  # 1.0 below against 1.5 above


def test_a_tie_goes_up() -> None:
    assert dispense(31.25, SITE).amount_g == 32.5
    assert dispense(7.0, SiteVials((3, 5), 50)).amount_g == 8.0  # 6 and 8 equally near


def test_at_least_never_dispenses_below_the_engine_dose() -> None:
    site = SiteVials((2.5, 5, 10, 20), tolerance_percent=10)
    assert dispense(30.2, site).amount_g == 30.0
    assert dispense(30.2, site, Rounding.AT_LEAST).amount_g == 32.5


def test_a_dose_reached_through_floating_point_is_its_whole_amount() -> None:
    dose = 0.75 * 40.0 * (1 + 1e-16) + 4e-15  # 30.000000000000004
    assert dose != 30.0
    for rounding in Rounding:
        dispensed = dispense(dose, SITE, rounding)
        assert dispensed.amount_g == 30.0
        assert dispensed.vials == ((20.0, 1), (10.0, 1))


def test_no_amount_within_the_tolerance_is_no_dispensable_dose() -> None:
    dispensed = dispense(12.0, SiteVials((10,), 5))
    assert dispensed.amount_g is None
    assert (dispensed.below_g, dispensed.above_g) == (10.0, 20.0)
    assert dispensed.difference_percent is None
    assert dispensed.vials_text() == "no dispensable dose"
    assert dispense(12.0, SiteVials((10,), 20)).amount_g == 10.0


def test_the_fewest_vials_make_the_amount() -> None:
    # Greedy (largest first) would give 20 + 5 + 5: three vials for two.
    assert dispense(30.0, SiteVials((5, 15, 20), 0)).vials == ((15.0, 2),)
    assert dispense(35.0, SITE).vials_text() == "1 x 20 g + 1 x 10 g + 1 x 5 g"


def test_a_zero_dose_is_no_vial() -> None:
    dispensed = dispense(0.0, SITE)
    assert (dispensed.amount_g, dispensed.vials, dispensed.vials_text()) == (0.0, (), "no vial")
    assert dispensed.difference_percent == 0.0


def _all_sums(sizes: tuple[float, ...], up_to: float) -> list[float]:
    counts = itertools.product(*(range(math.ceil(up_to / s) + 1) for s in sizes))
    return sorted({round(sum(n * s for n, s in zip(c, sizes, strict=True)), 6) for c in counts})


@pytest.mark.parametrize("sizes", [(2.5, 5, 10, 20), (3, 5), (5, 20), (1.25, 4)])
def test_rounding_against_reference_enumeration(sizes: tuple[float, ...]) -> None:
    """Against every sum of vials up to 80 g, enumerated by brute force."""
    site = SiteVials(sizes, tolerance_percent=8)
    amounts = _all_sums(sizes, 80.0)
    for tenths in range(0, 600, 7):
        dose = tenths / 10
        below = max(a for a in amounts if a <= dose)
        above = min(a for a in amounts if a >= dose)
        nearest = below if dose - below < above - dose else above
        for rounding, expected in ((Rounding.NEAREST, nearest), (Rounding.AT_LEAST, above)):
            dispensed = dispense(dose, site, rounding)
            if abs(expected - dose) <= 0.08 * dose + 1e-9:
                assert dispensed.amount_g == pytest.approx(expected), (dose, rounding)
                made = sum(size * count for size, count in dispensed.vials)
                assert made == pytest.approx(expected)
            else:
                assert dispensed.amount_g is None, (dose, rounding)


@pytest.mark.parametrize(
    "sizes",
    [[], [0], [5, -2.5], ["5"], "5, 10", 5, [math.nan], [math.inf], [True], [2.505], [500]],
)
def test_bad_vial_sizes_are_refused_naming_the_field(sizes: object) -> None:
    with pytest.raises(MeasureError, match=r"^vial_sizes_g: got .*expected"):
        SiteVials(sizes, 5)  # type: ignore[arg-type]


@pytest.mark.parametrize("tolerance", [-1, 60, math.nan, "5", None])
def test_a_bad_tolerance_is_refused_naming_the_field(tolerance: object) -> None:
    with pytest.raises(MeasureError, match=r"^tolerance_percent: got .*expected"):
        SiteVials((5,), tolerance)  # type: ignore[arg-type]


@pytest.mark.parametrize("dose", [-1.0, math.nan, math.inf, "30"])
def test_a_bad_dose_is_refused_naming_the_field(dose: object) -> None:
    with pytest.raises(MeasureError, match=r"^dose_g: got .*expected"):
        dispense(dose, SITE)  # type: ignore[arg-type]
