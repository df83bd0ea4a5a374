"""Disability scales: GNDS, ONLS (whole grades) and the Rasch-built RODS (centiles).

========================  ====================  =============================
catalogue measure         scale                 values
========================  ====================  =============================
``gnds_upper``            GNDS upper limb       whole grades 0-5, higher worse
``gnds_lower``            GNDS lower limb       whole grades 0-5, higher worse
``onls_arm``              ONLS arm              whole grades 0-5, higher worse
``onls_leg``              ONLS leg              whole grades 0-7, higher worse
``irods_centile``         I-RODS                centile 0-100, lower worse
``mmn_rods_centile``      MMN-RODS              centile 0-100, lower worse
========================  ====================  =============================

Ranges come from the catalogue (:mod:`mmntrial.measures.catalogue`), so they live in
one place. RODS scores are accepted in the centile metric only; the logit metric is a
different scale and has no catalogue entry.
"""

from __future__ import annotations

import math
import numbers
from typing import TypeGuard

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import measure_spec

GRADE_MEASURES = ("gnds_upper", "gnds_lower", "onls_arm", "onls_leg")
CENTILE_MEASURES = ("irods_centile", "mmn_rods_centile")


def _is_number(value: object) -> TypeGuard[numbers.Real]:
    # bool is an int subclass, but a ticked box is not grade 1.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_grade(measure: str, value: object) -> int:
    """Validate a GNDS or ONLS grade (a whole number in the scale's range); return it as int.

    A float with no fraction (2.0, as read from a spreadsheet) is accepted.

    >>> check_grade("onls_leg", 6)
    6
    >>> check_grade("gnds_upper", 2.5)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: gnds_upper: got 2.5, expected a whole grade from 0 to 5
    """
    if measure not in GRADE_MEASURES:
        raise MeasureError(
            f"disability grade: got measure {measure!r}, expected one of "
            f"{', '.join(GRADE_MEASURES)}"
        )
    spec = measure_spec(measure)
    expected = f"a whole grade from {spec.minimum:g} to {spec.maximum:g}"
    if not _is_number(value):
        raise MeasureError(f"{measure}: got {value!r}, expected {expected}")
    number = float(value)
    if not (number.is_integer() and spec.minimum <= number <= spec.maximum):
        raise MeasureError(f"{measure}: got {value!r}, expected {expected}")
    return int(number)


def check_centile(measure: str, value: object) -> float:
    """Validate an I-RODS or MMN-RODS centile score (0-100); return it as float.

    >>> check_centile("mmn_rods_centile", 62.5)
    62.5
    >>> check_centile("irods_centile", 104)
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: irods_centile: got 104, expected a centile from 0 to 100
    """
    if measure not in CENTILE_MEASURES:
        raise MeasureError(
            f"RODS centile: got measure {measure!r}, expected one of {', '.join(CENTILE_MEASURES)}"
        )
    spec = measure_spec(measure)
    expected = f"a centile from {spec.minimum:g} to {spec.maximum:g}"
    if not _is_number(value):
        raise MeasureError(f"{measure}: got {value!r}, expected {expected}")
    number = float(value)
    # NaN fails every comparison, so it lands here too rather than slipping through.
    if math.isnan(number) or not spec.minimum <= number <= spec.maximum:
        raise MeasureError(f"{measure}: got {value!r}, expected {expected}")
    return number


def check_disability(measure: str, value: object) -> float:
    """Validate a value of any disability scale: grades for GNDS/ONLS, centiles for RODS.

    >>> check_disability("gnds_lower", 1), check_disability("irods_centile", 55.0)
    (1.0, 55.0)
    """
    if measure in GRADE_MEASURES:
        return float(check_grade(measure, value))
    if measure in CENTILE_MEASURES:
        return check_centile(measure, value)
    raise MeasureError(
        f"disability scale: got measure {measure!r}, expected one of "
        f"{', '.join(GRADE_MEASURES + CENTILE_MEASURES)}"
    )


__all__ = [
    "CENTILE_MEASURES",
    "GRADE_MEASURES",
    "check_centile",
    "check_disability",
    "check_grade",
]
