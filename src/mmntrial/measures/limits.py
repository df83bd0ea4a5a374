"""Plausibility limits of the typed values no catalogue measure covers: study days and ages.

They guard against typing errors (a date typed as a day, ``1e11``, an age of -5), not
clinical rules; a protocol may be stricter. Every reader of such a value (patient
histories, datasets, protocol files) checks it against the limits here, so that the
documented ranges are the ones enforced. Body weight, dose and infusion interval have
their limits beside the dose intensity in :mod:`mmntrial.measures.ivig` (20-300 kg, up
to 3 g/kg per infusion, 1-365 days); measured values have theirs in the catalogue.

- a study day lies within :data:`STUDY_DAY_LIMIT` days (ten years) of randomization, on
  either side: screening, baseline infusions and long follow-up all fit;
- an age lies from :data:`MIN_AGE_YEARS` to :data:`MAX_AGE_YEARS` years.
"""

from __future__ import annotations

import math
import numbers

from mmntrial.units import DAYS_PER_YEAR

STUDY_DAY_LIMIT = math.ceil(10 * DAYS_PER_YEAR)
"""The largest study day, before or after day 0, that any reader accepts (3653)."""
MIN_AGE_YEARS = 0.0
MAX_AGE_YEARS = 120.0


def study_day_problem(value: object) -> str | None:
    """What is wrong with ``value`` as a study day, or ``None`` when it is one.

    >>> study_day_problem(-28) is None
    True
    >>> study_day_problem(100_000_000_000)
    'expected a whole study day from -3653 to 3653 (ten years either side of day 0)'
    """
    # bool is an Integral, but True is never a study day.
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Integral)
        or not -STUDY_DAY_LIMIT <= int(value) <= STUDY_DAY_LIMIT
    ):
        return (
            f"expected a whole study day from {-STUDY_DAY_LIMIT} to {STUDY_DAY_LIMIT} "
            "(ten years either side of day 0)"
        )
    return None


def age_problem(value: object) -> str | None:
    """What is wrong with ``value`` as an age in years, or ``None`` when it is one.

    >>> age_problem(54.5) is None
    True
    >>> age_problem(-5)
    'expected an age from 0 to 120 years'
    """
    # NaN fails both comparisons, so it is refused with the infinities.
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not MIN_AGE_YEARS <= float(value) <= MAX_AGE_YEARS
    ):
        return f"expected an age from {MIN_AGE_YEARS:g} to {MAX_AGE_YEARS:g} years"
    return None


__all__ = ["MAX_AGE_YEARS", "MIN_AGE_YEARS", "STUDY_DAY_LIMIT", "age_problem", "study_day_problem"]
