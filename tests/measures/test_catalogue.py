"""The measure catalogue: lookups and check_value messages."""

from __future__ import annotations

import pytest

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import MEASURES, Side, check_value, measure_spec, series_key


def test_check_value_returns_a_float_in_range() -> None:
    assert check_value("grip_kpa", 52, "kPa") == 52.0
    assert check_value("onls_leg", 7, "grade") == 7.0


def test_check_value_names_measure_value_unit_and_range() -> None:
    with pytest.raises(MeasureError) as caught:
        check_value("gnds_upper", 6, "grade")
    assert str(caught.value) == "gnds_upper: got 6 grade, expected a value from 0 to 5 grade"


def test_unknown_measure_lists_the_known_ones() -> None:
    with pytest.raises(MeasureError, match=r"^unknown measure 'grip'; expected one of: .*grip_kpa"):
        measure_spec("grip")


def test_series_keys() -> None:
    assert series_key("mrc_sum", None) == "mrc_sum"
    assert series_key("grip_kpa", Side.LEFT) == "grip_kpa:left"
    assert MEASURES["mrc_sum"].series_keys() == ("mrc_sum",)
