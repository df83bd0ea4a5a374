"""Deterioration and rescue criteria, compiled once per protocol and evaluated over arrays.

A criterion compares the latest value of a measure with a reference value (the pre-taper
value, or the best value on study) and fires when the measure moved at least
``threshold`` the worse way. A bilateral measure (grip) is compared per side; the
criterion's side rule says whether either side or both sides must show the drop.

Missing values are NaN: a criterion that cannot be evaluated neither fires nor clears.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from mmntrial._jit import jit, jit_in_place
from mmntrial.engine.per_protocol import per_protocol
from mmntrial.measures.catalogue import Worse, measure_spec
from mmntrial.protocol.model import Combine, Criterion, Protocol, Reference, SideRule
from mmntrial.units import Bools, Floats, Int8s


class CriterionArrays(NamedTuple):
    """A protocol's criteria as the compiled steps read them: one row per criterion.

    A NamedTuple because numba passes one into compiled code whole, fields read by name.
    """

    series_index: npt.NDArray[np.int64]  # (criteria, 2): the series, -1 for no second side
    worse_sign: Floats  # +1 where a decrease is worse, -1 where an increase is worse
    threshold: Floats
    best_on_study: Bools  # reference kind per criterion
    both_sides: Bools  # a bilateral criterion needs both sides to drop
    rescue: Bools  # a severe (rescue) criterion, not a deterioration criterion
    combine_all: bool  # deterioration needs all its criteria to fire, not any
    series_sign: Floats  # per series: the worse_sign of the criteria that watch it


@dataclass(frozen=True)
class CompiledRules:
    """A protocol's criteria as index arrays over the series they watch.

    ``criteria`` lists the deterioration criteria first, then the rescue criteria;
    ``is_rescue`` tells them apart. ``series`` are the value-series keys watched
    (``mrc_sum``, ``grip_kpa:left``...); ``series_of[c]`` holds one or two indices into it.
    ``arrays`` is the same for the compiled engine.
    """

    criteria: tuple[Criterion, ...]
    is_rescue: tuple[bool, ...]
    series: tuple[str, ...]
    series_of: tuple[tuple[int, ...], ...]
    arrays: CriterionArrays

    @property
    def n_criteria(self) -> int:
        return len(self.criteria)

    @property
    def deterioration_index(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(~np.asarray(self.is_rescue, dtype=bool))

    @property
    def rescue_index(self) -> npt.NDArray[np.intp]:
        return np.flatnonzero(np.asarray(self.is_rescue, dtype=bool))


@per_protocol
def compile_rules(protocol: Protocol) -> CompiledRules:
    """Compile the protocol's deterioration and rescue criteria (cached per protocol)."""
    return _compile(protocol)


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
        arrays=CriterionArrays(
            series_index=np.array(
                [list(indices) + [-1] * (2 - len(indices)) for indices in series_of],
                dtype=np.int64,
            ).reshape(len(criteria), 2),
            worse_sign=np.array(
                [1.0 if c.direction is Worse.DECREASE else -1.0 for c in criteria],
                dtype=np.float64,
            ),
            threshold=np.array([c.threshold for c in criteria], dtype=np.float64),
            best_on_study=np.array([c.reference is Reference.BEST_ON_STUDY for c in criteria]),
            both_sides=np.array([c.side is SideRule.BOTH for c in criteria], dtype=bool),
            rescue=np.array(is_rescue, dtype=bool),
            combine_all=protocol.deterioration.combine is Combine.ALL,
            series_sign=_series_sign(criteria, series_of, len(series)),
        ),
    )


def _series_sign(
    criteria: tuple[Criterion, ...], series_of: list[tuple[int, ...]], n_series: int
) -> Floats:
    sign = np.ones(n_series)
    for criterion, indices in zip(criteria, series_of, strict=True):
        sign[list(indices)] = 1.0 if criterion.direction is Worse.DECREASE else -1.0
    return sign


class Evaluation(NamedTuple):
    """Criteria evaluated at one assessment, per patient (rows) and criterion (columns).

    ``worsening`` is how far the measure moved the worse way from ``reference`` (positive
    = worse; for a bilateral measure, the side that decided); ``side`` is that side's
    index into the measure's series (0 left, 1 right; 0 for one-sided measures).
    ``fired_sides`` and ``judged_sides`` are bit masks of the sides that dropped by the
    threshold and of the sides that were measured (bit 1 the first side, bit 2 the
    second; a one-sided measure uses bit 1): a repeat confirms a hand's drop only by the
    same hand. A NamedTuple, so that the compiled engine writes its arrays by name.
    """

    worsening: Floats
    fired: Bools
    value: Floats
    reference: Floats
    side: npt.NDArray[np.int8]
    fired_sides: Int8s
    judged_sides: Int8s

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
        fired_sides=np.zeros((n_patients, n_criteria), dtype=np.int8),
        judged_sides=np.zeros((n_patients, n_criteria), dtype=np.int8),
    )


@jit_in_place
def evaluate_patient(
    i: int,
    values: Floats,
    pre_taper: Floats,
    best: Floats,
    criteria: CriterionArrays,
    out: Evaluation,
) -> None:
    """Evaluate every criterion for patient ``i``: row ``i`` of the arrays of ``out``."""
    series_index, worse_sign = criteria.series_index, criteria.worse_sign
    threshold, best_on_study = criteria.threshold, criteria.best_on_study
    both_sides = criteria.both_sides
    worsening, fired, value = out.worsening, out.fired, out.value
    reference, side = out.reference, out.side
    fired_sides, judged_sides = out.fired_sides, out.judged_sides
    for c in range(series_index.shape[0]):
        source = best if best_on_study[c] else pre_taper
        first, second = series_index[c, 0], series_index[c, 1]
        pick, drop = first, worse_sign[c] * (source[i, first] - values[i, first])
        fired[i, c] = drop >= threshold[c]  # NaN compares False
        side[i, c] = 0
        fired_sides[i, c] = 1 if fired[i, c] else 0
        judged_sides[i, c] = 0 if np.isnan(drop) else 1
        if second >= 0:
            # A bilateral measure: one side decides. Either hand: the larger drop, so a
            # missing side (counted as -inf) does not block the other. Both hands: the
            # smaller drop, so a missing side makes the criterion unevaluable. Ties go
            # to the first side.
            other = worse_sign[c] * (source[i, second] - values[i, second])
            fired_other = other >= threshold[c]
            fired_sides[i, c] += 2 if fired_other else 0
            judged_sides[i, c] += 0 if np.isnan(other) else 2
            drop_filled = -np.inf if np.isnan(drop) else drop
            other_filled = -np.inf if np.isnan(other) else other
            if both_sides[c]:
                takes = other_filled < drop_filled
                fired[i, c] = fired[i, c] and fired_other
            else:
                takes = other_filled > drop_filled
                fired[i, c] = fired[i, c] or fired_other
            if takes:
                pick, drop, side[i, c] = second, other, 1
        worsening[i, c] = drop
        value[i, c] = values[i, pick]
        reference[i, c] = source[i, pick]


@jit_in_place
def criterion_measured(i: int, c: int, values: Floats, criteria: CriterionArrays) -> bool:
    """Whether patient ``i``'s ``values`` hold what criterion ``c`` needs to be judged:
    its measure, and for a bilateral measure one side (either hand) or both sides."""
    first, second = criteria.series_index[c, 0], criteria.series_index[c, 1]
    has_first = not np.isnan(values[i, first])
    if second < 0:
        return has_first
    has_second = not np.isnan(values[i, second])
    if criteria.both_sides[c]:
        return has_first and has_second
    return has_first or has_second


@jit_in_place
def drop_verdict(i: int, fired: Bools, rescue: Bools, combine_all: bool) -> bool:
    """Patient ``i``'s deterioration verdict: the protocol's any/all over its criteria."""
    seen, verdict = False, combine_all
    for c in range(fired.shape[1]):
        if rescue[c]:
            continue
        seen = True
        verdict = (verdict and fired[i, c]) if combine_all else (verdict or fired[i, c])
    return seen and verdict


@jit_in_place
def repeat_verdict(
    i: int,
    evaluation: Evaluation,
    pending_fired: Bools,
    pending_sides: Int8s,
    rescue: Bools,
    combine_all: bool,
) -> bool:
    """Whether patient ``i``'s repeat assessment shows again the drop it was to confirm.

    A criterion shows its drop again when it fires on a side that dropped first (a
    bilateral measure: a left-hand drop is not confirmed by a right-hand one). Under
    "all" every criterion must show its drop again. Under "any" one of the criteria that
    fired first must: another criterion's drop, or the other hand's, at the repeat is a
    drop of its own, to be confirmed by its own repeat, or noise in two measures at two
    visits would add up to one confirmed episode.
    """
    fired, fired_sides = evaluation.fired, evaluation.fired_sides
    seen = False
    for c in range(fired.shape[1]):
        if rescue[c]:
            continue
        again = fired[i, c] and (fired_sides[i, c] & pending_sides[i, c]) != 0
        if combine_all and not again:
            return False
        if not combine_all and pending_fired[i, c] and again:
            return True
        seen = True
    return combine_all and seen


@jit_in_place
def severe_verdict(i: int, fired: Bools, rescue: Bools) -> bool:
    """Whether any severe (rescue) criterion fired for patient ``i``."""
    for c in range(fired.shape[1]):  # noqa: SIM110 - numba compiles loops, not generators
        if rescue[c] and fired[i, c]:
            return True
    return False


@jit_in_place
def keep_best(i: int, best: Floats, values: Floats, series_sign: Floats) -> None:
    """Row ``i`` of ``best`` after ``values``: the highest where a decrease is worse, else
    the lowest; a missing value (NaN) never wins."""
    for j in range(best.shape[1]):
        new = values[i, j]
        if np.isnan(new):
            continue
        if np.isnan(best[i, j]) or new * series_sign[j] > best[i, j] * series_sign[j]:
            best[i, j] = new


@jit
def _evaluate_all(
    values: Floats, pre_taper: Floats, best: Floats, criteria: CriterionArrays, out: Evaluation
) -> None:
    for i in range(values.shape[0]):
        evaluate_patient(i, values, pre_taper, best, criteria, out)


def evaluate(rules: CompiledRules, values: Floats, pre_taper: Floats, best: Floats) -> Evaluation:
    """Evaluate every criterion for every patient.

    ``values``, ``pre_taper`` and ``best`` are ``(patients, series)`` arrays in the order
    of ``rules.series``; NaN marks a missing value.
    """
    result = empty_evaluation(values.shape[0], rules.n_criteria)
    _evaluate_all(
        np.asarray(values, dtype=np.float64),
        np.asarray(pre_taper, dtype=np.float64),
        np.asarray(best, dtype=np.float64),
        rules.arrays,
        result,
    )
    return result


@jit
def _verdicts(fired: Bools, rescue: Bools, combine_all: bool, severe: bool) -> Bools:
    out = np.empty(fired.shape[0], dtype=np.bool_)
    for i in range(fired.shape[0]):
        out[i] = (
            severe_verdict(i, fired, rescue)
            if severe
            else drop_verdict(i, fired, rescue, combine_all)
        )
    return out


def combined(rules: CompiledRules, fired: Bools) -> Bools:
    """The deterioration verdict per patient: the protocol's any/all over its criteria."""
    criteria = rules.arrays
    return _verdicts(np.asarray(fired, dtype=bool), criteria.rescue, criteria.combine_all, False)


def rescue_fired(rules: CompiledRules, fired: Bools) -> Bools:
    """Whether any severe (rescue) criterion fired, per patient."""
    criteria = rules.arrays
    return _verdicts(np.asarray(fired, dtype=bool), criteria.rescue, criteria.combine_all, True)


@jit
def _keep_best_all(best: Floats, values: Floats, series_sign: Floats) -> None:
    for i in range(best.shape[0]):
        keep_best(i, best, values, series_sign)


def update_best(rules: CompiledRules, best: Floats, values: Floats) -> Floats:
    """The best value so far per series: highest where a decrease is worse, else lowest."""
    result = np.array(best, dtype=np.float64)
    _keep_best_all(result, np.asarray(values, dtype=np.float64), rules.arrays.series_sign)
    return result


__all__ = [
    "CompiledRules",
    "CriterionArrays",
    "Evaluation",
    "combined",
    "compile_rules",
    "criterion_measured",
    "drop_verdict",
    "empty_evaluation",
    "evaluate",
    "evaluate_patient",
    "keep_best",
    "repeat_verdict",
    "rescue_fired",
    "severe_verdict",
    "update_best",
]
