"""Pocock-Simon minimization (Pocock and Simon, Biometrics 1975;31:103-15).

For a new subject and each candidate arm ``k``, the subject is added to ``k`` on paper;
for each factor, the counts of the subject's level are divided by the arms' ratios (so
that 2:1 allocation counts as balanced) and their imbalance is taken, as range (max - min)
or variance. The total ``G_k`` is the weighted sum over factors. The arm with the
smallest total is preferred and given with probability ``p_preferred``; otherwise one of
the other arms is given, in proportion to their ratios. When every arm ties, the arm is
drawn in the allocation ratio. Ties between some arms are broken uniformly at random.

Minimization is dynamic: the allocation depends on every earlier one, so it runs in the
ledger's allocate path (one seeded stream per slot), and ``assess`` simulates it with
this same function.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import Imbalance
from mmntrial.randomization.streams import below, uniform

if TYPE_CHECKING:  # the design imports this module: its types only, to avoid a cycle
    from mmntrial.randomization.design import AllocationDesign, Factor

_TIE = 1e-12


@dataclass(frozen=True)
class MinimizationSettings:
    """Pocock-Simon settings: imbalance measure, factor weights, P(preferred arm)."""

    imbalance: Imbalance
    weights: tuple[float, ...]  # one per factor, in the design's factor order
    p_preferred: float


def check_settings(
    factors: Sequence[Factor], imbalance: str, weights: Mapping[str, float], p_preferred: float
) -> MinimizationSettings:
    """Validate minimization settings for these factors (weights default to 1)."""
    if not factors:
        raise RandomizationError(
            "strata: got no factors, expected at least one minimization factor "
            "(for example centre=AMC,UMCU)"
        )
    try:
        measure = Imbalance(imbalance)
    except ValueError:
        raise RandomizationError(
            f"minimization.imbalance: got {imbalance!r}, expected 'range' or 'variance'"
        ) from None
    names = [f.name for f in factors]
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise RandomizationError(
            f"minimization.factor_weights: got weights for {unknown!r}, expected only the "
            f"factors {names!r}"
        )
    values = tuple(float(weights.get(n, 1.0)) for n in names)
    if any(not math.isfinite(w) or w < 0 for w in values) or not any(values):
        raise RandomizationError(
            f"minimization.factor_weights: got {dict(zip(names, values, strict=True))!r}, "
            "expected finite weights >= 0, at least one above 0"
        )
    if not (0.0 < p_preferred <= 1.0) or not math.isfinite(p_preferred):
        raise RandomizationError(
            f"minimization.p_preferred: got {p_preferred!r}, expected a probability in (0, 1] "
            "(0.8 is usual; 1 makes allocation deterministic and predictable)"
        )
    return MinimizationSettings(measure, values, float(p_preferred))


class MarginalCounts:
    """Allocations so far, per factor level and arm (the minimization state).

    >>> from mmntrial.randomization.design import make_design
    >>> d = make_design("minimization", [("a", 1), ("b", 1)], factors={"centre": ["X", "Y"]})
    >>> counts = MarginalCounts(d)
    >>> counts.add({"centre": "X"}, 0)
    >>> counts.level("centre", "X")
    [1, 0]
    """

    def __init__(self, design: AllocationDesign) -> None:
        if design.minimization is None:
            raise RandomizationError(
                f"method: got {design.method.value!r}, expected 'minimization'"
            )
        self.design = design
        self.settings: MinimizationSettings = design.minimization
        self._counts = {
            (f.name, level): [0] * len(design.arms) for f in design.factors for level in f.levels
        }

    def add(self, values: Mapping[str, str], arm: int) -> None:
        """Record one allocation of a subject with these factor ``values`` to ``arm``."""
        for factor in self.design.factors:
            self._counts[(factor.name, values[factor.name])][arm] += 1

    def level(self, factor: str, level: str) -> list[int]:
        """The per-arm counts of one factor level."""
        return list(self._counts[(factor, level)])

    def totals(self, values: Mapping[str, str]) -> list[float]:
        """``G_k`` for each candidate arm ``k`` for a subject with these ``values``.

        >>> from mmntrial.randomization.design import make_design
        >>> d = make_design("minimization", [("a", 1), ("b", 1)], factors={"c": ["X"]})
        >>> counts = MarginalCounts(d)
        >>> counts.add({"c": "X"}, 0)
        >>> counts.totals({"c": "X"})
        [2.0, 0.0]
        """
        ratios = self.design.ratios
        variance = self.settings.imbalance is Imbalance.VARIANCE
        totals = []
        # Plain Python, not numpy: a few numbers per factor, and assess calls this a lot.
        for k in range(len(ratios)):
            total = 0.0
            for factor, weight in zip(self.design.factors, self.settings.weights, strict=True):
                counts = self._counts[(factor.name, values[factor.name])]
                adjusted = [
                    (c + (j == k)) / r for j, (c, r) in enumerate(zip(counts, ratios, strict=True))
                ]
                if variance:
                    mean = sum(adjusted) / len(adjusted)
                    spread = sum((a - mean) ** 2 for a in adjusted) / len(adjusted)
                else:
                    spread = max(adjusted) - min(adjusted)
                total += weight * spread
            totals.append(total)
        return totals


def minimize(counts: MarginalCounts, values: Mapping[str, str], rng: np.random.Generator) -> int:
    """Choose the arm (index) for a new subject; does not record it (call ``counts.add``).

    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.streams import stream
    >>> d = make_design("minimization", [("a", 1), ("b", 1)], factors={"c": ["X"]},
    ...                 p_preferred=1.0)
    >>> counts = MarginalCounts(d)
    >>> counts.add({"c": "X"}, 0)
    >>> minimize(counts, {"c": "X"}, stream(1, "minimization", "2"))
    1
    """
    design = counts.design
    design.check_values(values)
    totals = counts.totals(values)
    best = min(totals)
    preferred = [k for k, g in enumerate(totals) if g <= best + _TIE]
    if len(preferred) == len(totals):
        return _by_ratio(design.ratios, list(range(len(totals))), rng)
    chosen = preferred[below(rng, len(preferred))] if len(preferred) > 1 else preferred[0]
    if uniform(rng) < counts.settings.p_preferred:
        return chosen
    others = [k for k in range(len(totals)) if k != chosen]
    return _by_ratio(design.ratios, others, rng)


def _by_ratio(ratios: tuple[int, ...], arms: list[int], rng: np.random.Generator) -> int:
    draw = below(rng, sum(ratios[k] for k in arms))
    for k in arms:
        draw -= ratios[k]
        if draw < 0:
            return k
    raise AssertionError("unreachable: draw is below the sum of the ratios")  # pragma: no cover
