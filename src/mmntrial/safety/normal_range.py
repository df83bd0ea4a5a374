"""Grading a lab value against the normal range its lab reported: graded, or why not.

CTCAE v5.0 grades most labs relative to the site's limits of normal (neutrophils
"<LLN - 1.5 x 10^9/L", ALT ">3.0 - 5.0 x ULN"), so a value is graded with its LLN, ULN
and unit. The answer is :class:`Graded` (0 to 4) or :class:`Ungradable` with the
reason (the rule needs a limit that was not given, or the unit is not the table's):
never a silent grade. Input no lab reports (a negative value, LLN above ULN) is a
:class:`~mmntrial.errors.SafetyError` naming the field.

A value inside the normal range is grade 0 even where a grade's fixed edge lies inside
it (a lab whose LLN for neutrophils is 1.4 reports 1.45 as normal, not grade 2). Edges
that are multiples of the ULN are rounded to 9 decimals, so 1.5 x 1.2 mg/dL is 1.8 as a
reader computes it, not 1.7999999999999998.

>>> grade_in_range("alt", 130.0, lln=None, uln=40.0, unit="U/L")
Graded(grade=2)
>>> grade_in_range("neutrophils", 1.2, lln=None, uln=None, unit="10^9/L")
Ungradable(reason='neutrophils: no LLN given; CTCAE v5.0 grades it against the LLN')
>>> grade_in_range("haemoglobin", 95.0, lln=120.0, uln=160.0, unit="g/L").reason
"haemoglobin: unit 'g/L' is not the table's (expected one of ['g/dL'])"
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from mmntrial.errors import SafetyError
from mmntrial.safety.bands import Edge, RangeRule
from mmntrial.safety.tables import GradingTable, ctcae_v5

UNGRADABLE = -1  # in the array form: the value could not be graded (see grade_in_range)
_DECIMALS = 9


@dataclass(frozen=True)
class Graded:
    """A CTCAE grade, 0 (within the normal range or not abnormal enough) to 4."""

    grade: int


@dataclass(frozen=True)
class Ungradable:
    """A value the rule cannot grade, and why (a missing limit, a foreign unit)."""

    reason: str


def _number(name: str, value: float | None, *, optional: bool) -> float | None:
    if value is None and optional:
        return None
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not math.isfinite(value)
        or value < 0
    ):
        expected = "a finite number >= 0" + (" or None" if optional else "")
        raise SafetyError(f"{name}: got {value!r}, expected {expected}")
    return float(value)


def _edge_value(edge: Edge, lln: float, uln: float) -> float:
    if edge.limit is None:
        return edge.factor
    return round(edge.factor * (lln if edge.limit == "LLN" else uln), _DECIMALS)


def _why_not(rule: RangeRule, lln: float | None, uln: float | None, unit: str) -> str | None:
    if unit not in rule.units:
        return f"{rule.lab}: unit {unit!r} is not the table's (expected one of {list(rule.units)})"
    if (lln if rule.limit == "LLN" else uln) is None:
        return f"{rule.lab}: no {rule.limit} given; CTCAE v5.0 grades it against the {rule.limit}"
    return None


def _check_range(lln: float | None, uln: float | None) -> None:
    if lln is not None and uln is not None and lln >= uln:
        raise SafetyError(f"lln: got {lln:g}, expected below uln ({uln:g})")


def grade_in_range(
    lab: str,
    value: float,
    *,
    lln: float | None,
    uln: float | None,
    unit: str,
    table: GradingTable | None = None,
) -> Graded | Ungradable:
    """The grade of one ``value`` of ``lab`` given its lab's ``lln``, ``uln`` and ``unit``.

    A limit the rule does not use may be None. ``table`` defaults to CTCAE v5.0.
    """
    rule = (table or ctcae_v5()).rule(lab)
    number = _number("value", value, optional=False)
    low, high = _number("lln", lln, optional=True), _number("uln", uln, optional=True)
    assert number is not None  # not optional, so _number raised instead
    _check_range(low, high)
    reason = _why_not(rule, low, high, unit)
    if reason is not None:
        return Ungradable(reason)
    edges = [_edge_value(edge, low or 0.0, high or 0.0) for edge in rule.edges]
    if rule.direction == "low":
        return Graded(sum(number < edge for edge in edges) if number < edges[0] else 0)
    return Graded(sum(number > edge for edge in edges) if number > edges[0] else 0)


def grade_array_in_range(
    lab: str,
    values: npt.ArrayLike,
    *,
    lln: npt.ArrayLike,
    uln: npt.ArrayLike,
    unit: str,
    table: GradingTable | None = None,
) -> npt.NDArray[np.int64]:
    """The grades of many values at once, :data:`UNGRADABLE` where one cannot be graded.

    ``lln`` and ``uln`` broadcast against ``values``; NaN marks a limit (or a value)
    not reported. Equal, value by value, to :func:`grade_in_range` with
    :class:`Ungradable` as :data:`UNGRADABLE`. Negative numbers, and an LLN at or above
    its ULN, raise SafetyError as there.
    """
    rule = (table or ctcae_v5()).rule(lab)
    array, low, high = np.broadcast_arrays(
        np.asarray(values, dtype=np.float64),
        np.asarray(lln, dtype=np.float64),
        np.asarray(uln, dtype=np.float64),
    )
    for name, numbers in (("value", array), ("lln", low), ("uln", high)):
        bad = np.isinf(numbers) | (numbers < 0)
        if bad.any():
            raise SafetyError(
                f"{name}: got {float(numbers[bad].flat[0])!r}, expected a finite number >= 0"
            )
    crossed = low >= high
    if crossed.any():
        raise SafetyError(
            f"lln: got {low[crossed].flat[0]:g}, expected below uln ({high[crossed].flat[0]:g})"
        )
    limit = low if rule.limit == "LLN" else high
    if unit not in rule.units:
        return np.full(array.shape, UNGRADABLE, dtype=np.int64)
    edges = [
        np.full(array.shape, edge.factor)
        if edge.limit is None
        else np.round(edge.factor * (low if edge.limit == "LLN" else high), _DECIMALS)
        for edge in rule.edges
    ]
    if rule.direction == "low":
        counts = sum((array < edge).astype(np.int64) for edge in edges)
        grades = np.where(array < edges[0], counts, 0)
    else:
        counts = sum((array > edge).astype(np.int64) for edge in edges)
        grades = np.where(array > edges[0], counts, 0)
    ungradable = np.isnan(array) | np.isnan(limit)
    return np.asarray(np.where(ungradable, UNGRADABLE, grades), dtype=np.int64)


__all__ = ["UNGRADABLE", "Graded", "Ungradable", "grade_array_in_range", "grade_in_range"]
