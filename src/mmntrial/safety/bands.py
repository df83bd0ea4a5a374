"""Grade bands relative to a lab's normal range, as the CTCAE v5.0 table words them.

A band edge is the lower or upper limit of normal itself (``"LLN"``, ``"ULN"``), a
number in the rule's unit (``1.5``: "<1.5 x 10^9/L"), or a multiple of the upper limit
(``"3.0 x ULN"``). A rule graded when low lists ``below``: the LLN, then the lower
edges of grades 1, 2, 3 as numbers, each below the one before; a rule graded when high
lists ``above``: the ULN, then multiples of it, each above the one before. That shape
covers every lab the table grades; a rule of another shape is refused when the table
is read, naming the key.

>>> rule = parse_range_rule(
...     {"term": "t", "units": ["U/L"], "above": ["ULN", "3.0 x ULN"]}, "labs.alt"
... )
>>> rule.direction, [str(edge) for edge in rule.edges]
('high', ['ULN', '3.0 x ULN'])
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, Literal

from mmntrial.errors import SafetyError

MAX_LAB_GRADE = 4  # grade 5 (death) never follows from a lab value
_MULTIPLE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*x\s*(ULN)\s*$")

Direction = Literal["low", "high"]


@dataclass(frozen=True)
class Edge:
    """One band edge: ``factor`` times the limit ``limit``, or ``factor`` itself."""

    factor: float
    limit: Literal["LLN", "ULN"] | None

    def __str__(self) -> str:
        # One decimal, as the CTCAE table writes its edges (1.0, 3.0 x ULN)
        if self.limit is None:
            return f"{self.factor:.1f}"
        return self.limit if self.factor == 1 else f"{self.factor:.1f} x {self.limit}"


@dataclass(frozen=True)
class RangeRule:
    """The CTCAE grades of one lab against its normal range.

    ``edges[0]`` is the limit of normal the rule needs (LLN when ``direction`` is
    ``"low"``, ULN when ``"high"``); ``edges[g]`` is the edge of grade ``g + 1``.
    ``units`` are the units a value may be given in: one for a rule with number edges
    (the edges are in it), several for a rule of ULN multiples (a ratio has no unit).
    """

    lab: str
    term: str
    units: tuple[str, ...]
    direction: Direction
    edges: tuple[Edge, ...]

    @property
    def limit(self) -> Literal["LLN", "ULN"]:
        """The limit of normal the rule grades against."""
        return "LLN" if self.direction == "low" else "ULN"


def _edge(value: Any, where: str) -> Edge:
    if isinstance(value, int | float) and not isinstance(value, bool):
        if math.isfinite(value) and value > 0:
            return Edge(float(value), None)
    elif value in ("LLN", "ULN"):
        return Edge(1.0, value)
    elif isinstance(value, str) and (match := _MULTIPLE.match(value)):
        return Edge(float(match.group(1)), "ULN")
    raise SafetyError(
        f"{where}: got {value!r}, expected a positive number, 'LLN', 'ULN' or 'k x ULN'"
    )


def _edges(values: Any, direction: Direction, where: str) -> tuple[Edge, ...]:
    limit: Literal["LLN", "ULN"] = "LLN" if direction == "low" else "ULN"
    expected = f"'{limit}' then up to {MAX_LAB_GRADE - 1} " + (
        "numbers, each below the one before" if direction == "low" else "'k x ULN', k rising from 1"
    )
    if not isinstance(values, list) or not 1 <= len(values) <= MAX_LAB_GRADE:
        raise SafetyError(f"{where}: got {values!r}, expected {expected}")
    edges = tuple(_edge(value, where) for value in values)
    first, rest = edges[0], edges[1:]
    if direction == "low":
        shaped = all(e.limit is None for e in rest) and all(
            b.factor < a.factor for a, b in pairwise(rest)
        )
    else:
        shaped = all(e.limit == "ULN" for e in rest) and all(
            a.factor < b.factor for a, b in pairwise((first, *rest))
        )
    if first != Edge(1.0, limit) or not shaped:
        raise SafetyError(f"{where}: got {values!r}, expected {expected}")
    return edges


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SafetyError(f"{where}.{key}: got {value!r}, expected a non-empty text")
    return value


def parse_range_rule(data: Mapping[str, Any], where: str) -> RangeRule:
    """A checked :class:`RangeRule` from parsed TOML (``where`` is its key, for errors).

    >>> parse_range_rule({"term": "t", "units": ["g/dL"], "below": [10.0]}, "labs.hb")
    Traceback (most recent call last):
    mmntrial.errors.SafetyError: labs.hb.below: got [10.0], expected 'LLN' then up to 3 numbers, each below the one before
    """  # noqa: E501
    term = _text(data, "term", where)
    units = data.get("units")
    if not isinstance(units, list) or not units or not all(isinstance(u, str) and u for u in units):
        raise SafetyError(f"{where}.units: got {units!r}, expected a list of unit names")
    has = [key for key in ("below", "above") if key in data]
    if len(has) != 1:
        raise SafetyError(f"{where}: got keys {sorted(data)}, expected one of below, above")
    direction: Direction = "low" if has[0] == "below" else "high"
    edges = _edges(data[has[0]], direction, f"{where}.{has[0]}")
    if any(e.limit is None for e in edges) and len(units) != 1:
        raise SafetyError(
            f"{where}.units: got {units!r}, expected one unit (the edges are numbers in it)"
        )
    return RangeRule(
        lab=where.rsplit(".", 1)[-1],
        term=term,
        units=tuple(units),
        direction=direction,
        edges=edges,
    )


__all__ = ["MAX_LAB_GRADE", "Direction", "Edge", "RangeRule", "parse_range_rule"]
