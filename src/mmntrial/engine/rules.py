"""Deterioration and rescue criteria, compiled once per protocol and evaluated over arrays.

A criterion compares the latest value of a measure with a reference value (the pre-taper
value, or the best value on study) and fires when the measure moved at least
``threshold`` the worse way. A bilateral measure (grip) is compared per side; the
criterion's side rule says whether either side or both sides must show the drop.

Missing values are NaN: a criterion that cannot be evaluated neither fires nor clears.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmntrial.measures.catalogue import Worse, measure_spec
from mmntrial.protocol.model import Combine, Criterion, Protocol, Reference, SideRule

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class CompiledRules:
    """A protocol's criteria as index arrays over the series they watch.

    ``criteria`` lists the deterioration criteria first, then the rescue criteria;
    ``is_rescue`` tells them apart. ``series`` are the value-series keys watched
    (``mrc_sum``, ``grip_kpa:left``...); ``series_of[c]`` holds one or two indices into it.
    """

    criteria: tuple[Criterion, ...]
    is_rescue: tuple[bool, ...]
    series: tuple[str, ...]
    series_of: tuple[tuple[int, ...], ...]
    worse_sign: Floats  # +1 where a decrease is worse, -1 where an increase is worse
    threshold: Floats
    best_on_study: Bools  # reference kind per criterion
    combine_all: bool
    series_sign: Floats  # per series: the worse_sign of the criteria that watch it

    @property
    def n_criteria(self) -> int:
        return len(self.criteria)

    @property
    def deterioration_index(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(~np.asarray(self.is_rescue, dtype=bool))

    @property
    def rescue_index(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(np.asarray(self.is_rescue, dtype=bool))


# Keyed by identity, not by value: hashing a whole protocol on every engine call would
# cost more than the engine step itself. Protocols are frozen, so identity is enough.
_COMPILED: dict[int, tuple[Protocol, CompiledRules]] = {}
_COMPILED_MAX = 64


def compile_rules(protocol: Protocol) -> CompiledRules:
    """Compile the protocol's deterioration and rescue criteria (cached per protocol)."""
    hit = _COMPILED.get(id(protocol))
    if hit is not None and hit[0] is protocol:
        return hit[1]
    if len(_COMPILED) >= _COMPILED_MAX:
        _COMPILED.clear()
    rules = _compile(protocol)
    _COMPILED[id(protocol)] = (protocol, rules)
    return rules


def _compile(protocol: Protocol) -> CompiledRules:
    rescue = protocol.taper.rescue
    criteria = protocol.deterioration.criteria + (rescue.criteria if rescue else ())
    is_rescue = (False,) * len(protocol.deterioration.criteria) + (True,) * (
        len(criteria) - len(protocol.deterioration.criteria)
    )
    series: list[str] = []
    series_of: list[tuple[int, ...]] = []
    for criterion in criteria:
        indices = []
        for key in measure_spec(criterion.measure).series_keys():
            if key not in series:
                series.append(key)
            indices.append(series.index(key))
        series_of.append(tuple(indices))
    return CompiledRules(
        criteria=criteria,
        is_rescue=is_rescue,
        series=tuple(series),
        series_of=tuple(series_of),
        worse_sign=np.array(
            [1.0 if c.direction is Worse.DECREASE else -1.0 for c in criteria], dtype=np.float64
        ),
        threshold=np.array([c.threshold for c in criteria], dtype=np.float64),
        best_on_study=np.array([c.reference is Reference.BEST_ON_STUDY for c in criteria]),
        combine_all=protocol.deterioration.combine is Combine.ALL,
        series_sign=_series_sign(criteria, series_of, len(series)),
    )


def _series_sign(
    criteria: tuple[Criterion, ...], series_of: list[tuple[int, ...]], n_series: int
) -> Floats:
    sign = np.ones(n_series)
    for criterion, indices in zip(criteria, series_of, strict=True):
        sign[list(indices)] = 1.0 if criterion.direction is Worse.DECREASE else -1.0
    return sign


@dataclass(frozen=True)
class Evaluation:
    """Criteria evaluated at one assessment, per patient (rows) and criterion (columns).

    ``worsening`` is how far the measure moved the worse way from ``reference`` (positive
    = worse; for a bilateral measure, the side that decided); ``side`` is that side's
    index into the measure's series (0 left, 1 right; 0 for one-sided measures).
    """

    worsening: Floats
    fired: Bools
    value: Floats
    reference: Floats
    side: npt.NDArray[np.int8]

    @property
    def evaluable(self) -> Bools:
        """Where the criterion could be judged (its values were measured)."""
        return ~np.isnan(self.worsening)


def empty_evaluation(n_patients: int, n_criteria: int) -> Evaluation:
    """An evaluation with nothing measured yet."""
    nan = np.full((n_patients, n_criteria), np.nan)
    return Evaluation(
        worsening=nan,
        fired=np.zeros((n_patients, n_criteria), dtype=bool),
        value=nan.copy(),
        reference=nan.copy(),
        side=np.zeros((n_patients, n_criteria), dtype=np.int8),
    )


def evaluate(rules: CompiledRules, values: Floats, pre_taper: Floats, best: Floats) -> Evaluation:
    """Evaluate every criterion for every patient.

    ``values``, ``pre_taper`` and ``best`` are ``(patients, series)`` arrays in the order
    of ``rules.series``; NaN marks a missing value.
    """
    n, k = values.shape[0], rules.n_criteria
    result = Evaluation(
        worsening=np.empty((n, k)),
        fired=np.empty((n, k), dtype=bool),
        value=np.empty((n, k)),
        reference=np.empty((n, k)),
        side=np.zeros((n, k), dtype=np.int8),
    )
    for c, (criterion, indices) in enumerate(zip(rules.criteria, rules.series_of, strict=True)):
        source = best if rules.best_on_study[c] else pre_taper
        if len(indices) == 1:
            reference, current = source[:, indices[0]], values[:, indices[0]]
            worsening = rules.worse_sign[c] * (reference - current)
            result.worsening[:, c] = worsening
            result.value[:, c] = current
            result.reference[:, c] = reference
            result.fired[:, c] = worsening >= rules.threshold[c]  # NaN compares False
            continue
        # A bilateral measure: one side decides. Either hand: the larger drop, so a missing
        # side (counted as -inf) does not block the other. Both hands: the smaller drop,
        # so a missing side makes the criterion unevaluable. Ties go to the first side.
        both = criterion.side is SideRule.BOTH
        sides = [rules.worse_sign[c] * (source[:, j] - values[:, j]) for j in indices]
        filled = [np.where(np.isnan(w), -np.inf, w) for w in sides]
        fired_sides = [w >= rules.threshold[c] for w in sides]
        pick = np.zeros(n, dtype=np.int8)
        decider, worsening, fired = filled[0], sides[0], fired_sides[0]
        current, reference = values[:, indices[0]], source[:, indices[0]]
        for k in range(1, len(indices)):
            j = indices[k]
            takes = filled[k] < decider if both else filled[k] > decider
            pick[takes] = k
            decider = np.where(takes, filled[k], decider)
            worsening = np.where(takes, sides[k], worsening)
            current = np.where(takes, values[:, j], current)
            reference = np.where(takes, source[:, j], reference)
            fired = (fired & fired_sides[k]) if both else (fired | fired_sides[k])
        result.worsening[:, c] = worsening
        result.value[:, c] = current
        result.reference[:, c] = reference
        result.side[:, c] = pick
        result.fired[:, c] = fired
    return result


def combined(rules: CompiledRules, fired: Bools) -> Bools:
    """The deterioration verdict per patient: the protocol's any/all over its criteria."""
    columns = fired[:, rules.deterioration_index]
    if columns.shape[1] == 0:
        return np.zeros(fired.shape[0], dtype=bool)
    verdict = columns.all(axis=1) if rules.combine_all else columns.any(axis=1)
    return np.asarray(verdict, dtype=bool)


def rescue_fired(rules: CompiledRules, fired: Bools) -> Bools:
    """Whether any severe (rescue) criterion fired, per patient."""
    columns = fired[:, rules.rescue_index]
    if columns.shape[1] == 0:
        return np.zeros(fired.shape[0], dtype=bool)
    return np.asarray(columns.any(axis=1), dtype=bool)


def update_best(rules: CompiledRules, best: Floats, values: Floats) -> Floats:
    """The best value so far per series: highest where a decrease is worse, else lowest.

    NaN (missing) never wins: ``fmax`` keeps the other value, and NaN only if both are.
    """
    sign = rules.series_sign
    return np.asarray(np.fmax(best * sign, values * sign) * sign, dtype=np.float64)


__all__ = [
    "CompiledRules",
    "Evaluation",
    "combined",
    "compile_rules",
    "empty_evaluation",
    "evaluate",
    "rescue_fired",
    "update_best",
]
