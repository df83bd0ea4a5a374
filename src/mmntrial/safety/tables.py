"""Grading tables as data: the CTCAE v5.0 grades of each lab, read from the package.

The table ships as ``ctcae-v5.toml`` beside this module, so a reviewer checks the grade
boundaries against the source without reading code, and the simulator, the analysis
and (later) the capture app grade with the same numbers. It is read on first use, not
at import time, and checked once: a broken table raises :class:`SafetyError` naming the
key, the value received and what was expected.

>>> table = ctcae_v5()
>>> table.source, table.lab("neutrophils").below
('S50', (2.0, 1.5, 1.0, 0.5))
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

from mmntrial.errors import SafetyError
from mmntrial.safety.bands import RangeRule, parse_range_rule

CTCAE_V5_FILE = "ctcae-v5.toml"
MAX_LOW_GRADE = 4  # CTCAE grades a low count 1 to 4; grade 5 (death) is no lab value


@dataclass(frozen=True)
class LabGrading:
    """The grades of one lab that is graded when low.

    A value is of grade ``g`` when it is below ``below[g - 1]`` and not below
    ``below[g]``; at or above ``below[0]`` (the lower limit of normal) it is not graded.
    """

    lab: str
    term: str
    unit: str
    below: tuple[float, ...]


@dataclass(frozen=True)
class GradingTable:
    """Every graded lab of one grading system, with the source tag of DOMAIN.md.

    ``labs`` grade by fixed edges (the lower limit of normal fixed in the table: for
    data that report no normal range, the simulator's and today's capture form);
    ``ranged`` grade against the normal range reported with each value.
    """

    source: str
    title: str
    labs: Mapping[str, LabGrading]
    ranged: Mapping[str, RangeRule] = field(default_factory=dict)

    def lab(self, name: str) -> LabGrading:
        """The grading of lab ``name``; SafetyError naming the labs it has otherwise."""
        try:
            return self.labs[name]
        except KeyError:
            raise SafetyError(
                f"lab: got {name!r}, expected one of {sorted(self.labs)} ({self.title})"
            ) from None

    def rule(self, name: str) -> RangeRule:
        """The normal-range rule of lab ``name``; SafetyError naming those it has."""
        try:
            return self.ranged[name]
        except KeyError:
            raise SafetyError(
                f"lab: got {name!r}, expected one of {sorted(self.ranged)} ({self.title})"
            ) from None


def _text(data: Mapping[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise SafetyError(f"{where}.{key}: got {value!r}, expected a non-empty text")
    return value


def _edges(value: Any, where: str) -> tuple[float, ...]:
    expected = f"1 to {MAX_LOW_GRADE} positive numbers, each below the one before"
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_LOW_GRADE:
        raise SafetyError(f"{where}.below: got {value!r}, expected {expected}")
    numbers = all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
        for v in value
    )
    if not numbers or any(b >= a for a, b in pairwise(value)):
        raise SafetyError(f"{where}.below: got {value!r}, expected {expected}")
    return tuple(float(v) for v in value)


def parse_grading_table(data: Mapping[str, Any], origin: str) -> GradingTable:
    """A checked :class:`GradingTable` from parsed TOML (``origin`` names it in errors).

    >>> parse_grading_table({"source": {"tag": "S50"}}, "mine.toml")
    Traceback (most recent call last):
    mmntrial.errors.SafetyError: mine.toml source.title: got None, expected a non-empty text
    """
    source = data.get("source")
    labs = data.get("labs")
    ranged = data.get("ranged", {})
    try:
        if not isinstance(source, dict):
            raise SafetyError(f"source: got {source!r}, expected a table with tag and title")
        tag, title = _text(source, "tag", "source"), _text(source, "title", "source")
        if not isinstance(labs, dict) or not labs:
            raise SafetyError(f"labs: got {labs!r}, expected a table of at least one lab")
        graded: dict[str, LabGrading] = {}
        for name, lab in labs.items():
            where = f"labs.{name}"
            if not isinstance(lab, dict):
                raise SafetyError(f"{where}: got {lab!r}, expected a table")
            graded[name] = LabGrading(
                lab=name,
                term=_text(lab, "term", where),
                unit=_text(lab, "unit", where),
                below=_edges(lab.get("below"), where),
            )
        if not isinstance(ranged, dict):
            raise SafetyError(f"ranged: got {ranged!r}, expected a table of labs")
        rules: dict[str, RangeRule] = {}
        for name, rule in ranged.items():
            if not isinstance(rule, dict):
                raise SafetyError(f"ranged.{name}: got {rule!r}, expected a table")
            rules[name] = parse_range_rule(rule, f"ranged.{name}")
    except SafetyError as error:
        raise SafetyError(f"{origin} {error}") from None
    return GradingTable(source=tag, title=title, labs=graded, ranged=rules)


@cache
def ctcae_v5() -> GradingTable:
    """The CTCAE v5.0 grading table shipped with the package (read once)."""
    text = resources.files("mmntrial.safety").joinpath(CTCAE_V5_FILE).read_text("utf-8")
    return parse_grading_table(tomllib.loads(text), CTCAE_V5_FILE)


__all__ = [
    "CTCAE_V5_FILE",
    "MAX_LOW_GRADE",
    "GradingTable",
    "LabGrading",
    "ctcae_v5",
    "parse_grading_table",
]
