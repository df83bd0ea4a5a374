"""Disability scales: whole grades for GNDS/ONLS, centiles for the RODS."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mmntrial.errors import MeasureError
from mmntrial.measures.disability import (
    CENTILE_MEASURES,
    GRADE_MEASURES,
    check_centile,
    check_disability,
    check_grade,
)

TOP_GRADE = {"gnds_upper": 5, "gnds_lower": 5, "onls_arm": 5, "onls_leg": 7}


@pytest.mark.parametrize("measure", GRADE_MEASURES)
def test_every_whole_grade_in_range_is_accepted(measure: str) -> None:
    for grade in range(TOP_GRADE[measure] + 1):
        assert check_grade(measure, grade) == grade
        assert isinstance(check_grade(measure, float(grade)), int)
    assert check_grade(measure, np.int64(1)) == 1


@pytest.mark.parametrize(
    ("measure", "value", "top"),
    [
        ("gnds_upper", 6, 5),
        ("gnds_lower", -1, 5),
        ("onls_arm", 6, 5),
        ("onls_leg", 8, 7),
        ("onls_leg", 2.5, 7),
        ("gnds_upper", True, 5),
        ("gnds_upper", "3", 5),
        ("onls_arm", math.nan, 5),
        ("onls_arm", None, 5),
    ],
)
def test_grade_errors_name_measure_value_and_range(measure: str, value: object, top: int) -> None:
    expected = f"{measure}: got {value!r}, expected a whole grade from 0 to {top}"
    with pytest.raises(MeasureError) as caught:
        check_grade(measure, value)
    assert str(caught.value) == expected


@pytest.mark.parametrize("measure", CENTILE_MEASURES)
def test_centiles_from_0_to_100(measure: str) -> None:
    assert check_centile(measure, 0) == 0.0
    assert check_centile(measure, 57.3) == 57.3
    assert check_centile(measure, 100) == 100.0


@pytest.mark.parametrize("value", [-0.1, 100.5, math.nan, math.inf, "50", False])
@pytest.mark.parametrize("measure", CENTILE_MEASURES)
def test_centile_errors_name_measure_value_and_range(measure: str, value: object) -> None:
    with pytest.raises(MeasureError) as caught:
        check_centile(measure, value)
    assert str(caught.value) == f"{measure}: got {value!r}, expected a centile from 0 to 100"


def test_a_measure_of_the_wrong_kind_is_refused() -> None:
    with pytest.raises(MeasureError, match=r"^disability grade: got measure 'irods_centile'"):
        check_grade("irods_centile", 3)
    with pytest.raises(MeasureError, match=r"^RODS centile: got measure 'gnds_upper'"):
        check_centile("gnds_upper", 3)
    with pytest.raises(
        MeasureError, match=r"^disability scale: got measure 'grip_kpa', expected one of gnds_upper"
    ):
        check_disability("grip_kpa", 3)


def test_check_disability_dispatches_on_the_scale() -> None:
    assert check_disability("onls_leg", 7) == 7.0
    assert check_disability("mmn_rods_centile", 42.5) == 42.5
    with pytest.raises(MeasureError, match="whole grade"):
        check_disability("gnds_lower", 1.5)
