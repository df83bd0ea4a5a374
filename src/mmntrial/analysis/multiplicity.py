"""The multiplicity rule of the secondary endpoints: Holm, a fixed hierarchy, or none.

The protocol's ``endpoints.multiplicity`` names the rule and ``endpoints.alpha`` the
level (:class:`~mmntrial.protocol.model.Multiplicity`). The family is every secondary
endpoint the protocol lists, fixed before the data are seen: an endpoint whose test could
not be performed (a NaN p-value) stays in the family as a p-value of 1, so that a test
that failed to run cannot make the others easier to claim.

- ``holm``: Holm's step-down adjustment (Holm, Scand J Stat 1979;6:65-70); the adjusted
  p-value of the k-th smallest of m is the running maximum of ``(m - k + 1) p``, capped
  at 1, and an endpoint is claimed when its adjusted p-value is at most alpha.
- ``hierarchy``: a fixed sequence in the order the protocol lists the endpoints; each
  is tested at the full alpha only if every earlier one was significant, so claims stop
  at the first non-significant endpoint. The adjusted p-value is the running maximum of
  the raw ones.
- ``none``: raw p-values, no claim: a reader sees nominal significance only.

>>> [round(a.adjusted_p, 3) for a in adjust([0.01, 0.04, 0.03], "holm", 0.05)]
[0.03, 0.06, 0.06]
>>> [a.conclusion for a in adjust([0.01, 0.2, 0.001], "hierarchy", 0.05)]
['significant', 'not significant', 'not tested: the hierarchy stopped before it']
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mmntrial.errors import AnalysisError
from mmntrial.protocol.model import Multiplicity

SIGNIFICANT = "significant"
NOT_SIGNIFICANT = "not significant"
NOT_TESTED = "not tested: the hierarchy stopped before it"
NOT_PERFORMED = "not performed: no claim"
NO_CLAIM = "nominal only: no multiplicity rule"


@dataclass(frozen=True)
class Adjusted:
    """One endpoint's raw and adjusted p-value and what the rule lets the report claim.

    ``claimed`` is True only when the rule controls the family's error rate and the
    endpoint passes it; ``conclusion`` says the same in words for the report.
    """

    raw_p: float
    adjusted_p: float
    claimed: bool
    conclusion: str


def holm_adjusted(p_values: Sequence[float]) -> np.ndarray:
    """Holm's step-down adjusted p-values, in the input order (NaN counts as 1).

    >>> holm_adjusted([0.01, 0.04, 0.03]).round(3).tolist()
    [0.03, 0.06, 0.06]
    """
    p = _checked(p_values)
    m = len(p)
    order = np.argsort(p, kind="stable")
    stepped = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(stepped, 1.0)
    return adjusted


def hierarchy_adjusted(p_values: Sequence[float]) -> np.ndarray:
    """Fixed-sequence adjusted p-values: the running maximum in the listed order.

    >>> hierarchy_adjusted([0.01, 0.2, 0.001]).tolist()
    [0.01, 0.2, 0.2]
    """
    p = _checked(p_values)
    return np.maximum.accumulate(p) if len(p) else p


def adjust(p_values: Sequence[float], rule: Multiplicity | str, alpha: float) -> list[Adjusted]:
    """Apply the protocol's multiplicity rule to the secondary p-values, in their order."""
    if rule not in tuple(Multiplicity):
        choices = ", ".join(m.value for m in Multiplicity)
        raise AnalysisError(f"multiplicity: got {rule!r}, expected one of {choices}")
    rule = Multiplicity(rule)
    if not 0.0 < alpha < 1.0:
        raise AnalysisError(f"alpha: got {alpha!r}, expected a level strictly between 0 and 1")
    raw = [float(p) for p in p_values]
    if rule is Multiplicity.NONE:
        return [Adjusted(p, p, False, NOT_PERFORMED if math.isnan(p) else NO_CLAIM) for p in raw]
    adjusted = (holm_adjusted if rule is Multiplicity.HOLM else hierarchy_adjusted)(raw)
    out = []
    stopped = False
    for p, adj in zip(raw, adjusted, strict=True):
        if math.isnan(p):
            out.append(Adjusted(p, math.nan, False, NOT_PERFORMED))
            stopped = True  # a hierarchy cannot pass an endpoint it could not test
            continue
        if rule is Multiplicity.HIERARCHY and stopped:
            out.append(Adjusted(p, float(adj), False, NOT_TESTED))
            continue
        claimed = bool(adj <= alpha)
        stopped = stopped or not claimed
        out.append(Adjusted(p, float(adj), claimed, SIGNIFICANT if claimed else NOT_SIGNIFICANT))
    return out


def _checked(p_values: Sequence[float]) -> np.ndarray:
    p = np.asarray(p_values, dtype=float)
    if p.ndim != 1:
        raise AnalysisError(f"p_values: got shape {p.shape}, expected one p-value per endpoint")
    outside = p[~np.isnan(p) & ((p < 0) | (p > 1))]
    if len(outside):
        raise AnalysisError(f"p_values: got {float(outside[0])!r}, expected p-values in [0, 1]")
    # A test that could not run stays in the family as the least significant p-value.
    return np.where(np.isnan(p), 1.0, p)


__all__ = [
    "NOT_PERFORMED",
    "NOT_SIGNIFICANT",
    "NOT_TESTED",
    "NO_CLAIM",
    "SIGNIFICANT",
    "Adjusted",
    "adjust",
    "hierarchy_adjusted",
    "holm_adjusted",
]
