"""Anti-GM1 titre: change in log2 titre between baseline and follow-up, by arm.

Titres are reciprocal dilutions (800 for 1:800), so one doubling dilution is one unit
on the log2 scale, and a change of -1 means the titre halved. The protocol names the
test: ANCOVA on the log2 baseline titre, or the Wilcoxon rank-sum (Mann-Whitney) test
of the log2 changes with the Hodges-Lehmann shift.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from mmntrial.analysis._validate import float_array
from mmntrial.analysis.linear import ancova
from mmntrial.analysis.ranks import compare_ranks
from mmntrial.analysis.result import TestResult
from mmntrial.errors import AnalysisError

TitreMethod = Literal["ancova", "wilcoxon"]


def _titres(name: str, titres: ArrayLike) -> NDArray[np.float64]:
    values = float_array(name, titres)
    if (values <= 0).any():
        raise AnalysisError(
            f"{name}: got {float(values.min()):g}, expected reciprocal dilutions > 0 "
            "(800 for 1:800); code a titre below detection as the lowest dilution tested"
        )
    return values


def log2_titre_change(
    baseline_titre: ArrayLike,
    followup_titre: ArrayLike,
    arm: ArrayLike,
    *,
    treatment: str,
    control: str,
    method: TitreMethod,
    name: str = "Anti-GM1 IgM titre, change in log2",
    level: float = 0.95,
) -> TestResult:
    """Compare the change in log2 titre between arms by the method the protocol names.

    >>> r = log2_titre_change(
    ...     [800, 1600, 400, 3200, 800, 1600],
    ...     [200, 800, 200, 3200, 1600, 1600],
    ...     ["MMF"] * 3 + ["placebo"] * 3,
    ...     treatment="MMF",
    ...     control="placebo",
    ...     method="wilcoxon",
    ... )
    >>> r.estimate
    -2.0
    """
    before = _titres("baseline_titre", baseline_titre)
    after = _titres("followup_titre", followup_titre)
    if len(before) != len(after):
        raise AnalysisError(
            f"followup_titre: got {len(after)} values, expected one per baseline titre "
            f"({len(before)})"
        )
    if method == "ancova":
        return ancova(
            np.log2(after),
            np.log2(before),
            arm,
            treatment=treatment,
            control=control,
            name=name,
            level=level,
        )
    if method == "wilcoxon":
        # log2 of the ratio, not a difference of logs: a two-fold change must come out as
        # exactly 1 so that equal changes tie, as the rank test needs.
        change = np.log2(after / before)
        return compare_ranks(
            change, arm, treatment=treatment, control=control, name=name, level=level
        )
    raise AnalysisError(f"method: got {method!r}, expected 'ancova' or 'wilcoxon'")


__all__ = ["TitreMethod", "log2_titre_change"]
