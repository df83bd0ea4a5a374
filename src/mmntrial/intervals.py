"""Confidence intervals of proportions: pure arithmetic for the simulator and the analysis.

This module sits in the base layer beside :mod:`mmntrial.errors`: it imports only the
standard library, numpy and scipy, so that the simulator can put an interval on its
rejection rate without importing :mod:`mmntrial.analysis` (and with it statsmodels and
lifelines, which would then load in every simulator worker).

>>> low, high = wilson_interval(6, 20)
>>> round(low, 4), round(high, 4)
(0.1455, 0.519)
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from mmntrial.errors import AnalysisError


def check_level(level: float) -> float:
    """The confidence level as a float strictly between 0 and 1.

    >>> check_level(0.9)
    0.9
    """
    if not isinstance(level, int | float) or not 0.0 < float(level) < 1.0:
        raise AnalysisError(
            f"level: got {level!r}, expected a confidence level strictly between 0 and 1 "
            "(for example 0.95)"
        )
    return float(level)


def check_count(name: str, successes: int, n: int) -> None:
    """Raise AnalysisError unless ``successes`` of ``n`` is a possible count.

    >>> check_count("drug arm", 6, 5)
    Traceback (most recent call last):
    mmntrial.errors.AnalysisError: drug arm: got 6 successes out of 5, expected n >= 1 and ...
    """
    for label, value in ((f"{name} successes", successes), (f"{name} n", n)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise AnalysisError(f"{label}: got {value!r}, expected a whole number")
    if n < 1 or not 0 <= successes <= n:
        raise AnalysisError(
            f"{name}: got {successes} successes out of {n}, expected n >= 1 and 0 <= successes <= n"
        )


def wilson_interval(successes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of one proportion, without continuity correction.

    >>> low, high = wilson_interval(0, 10)
    >>> round(low, 4), round(high, 4)
    (0.0, 0.2775)
    """
    check_count("wilson_interval", successes, n)
    z = float(stats.norm.ppf(0.5 + check_level(level) / 2))
    centre = (successes + z * z / 2) / (n + z * z)
    half = z * math.sqrt(successes * (n - successes) / n + z * z / 4) / (n + z * z)
    # At 0/n and n/n the bound is 0 or 1 exactly; rounding would leave 1e-17 outside [0, 1].
    low = 0.0 if successes == 0 else centre - half
    high = 1.0 if successes == n else centre + half
    return low, high


__all__ = ["check_count", "check_level", "wilson_interval"]
