"""One plausibility verdict per typed value: accepted, needs confirmation, or refused.

A form never saves an impossible value and never saves an unusual one silently:

- **refused**: outside what the value can be (the catalogue's range for a measure, a
  whole grade for GNDS and ONLS, :mod:`mmntrial.measures.limits` for an age,
  :mod:`mmntrial.measures.ivig` for a body weight, below 0 for a lab value of
  :data:`mmntrial.measures.labs.LAB_UNITS`), a unit the catalogue does not take,
  or not a number;
- **needs confirmation**: possible, but outside the plausible range of
  ``plausible-ranges.toml`` beside this module (bands for catching typing slips, each
  an ASSUMPTION); once the user confirms (``confirmed=True``) it is accepted, with the
  message kept for the record;
- **accepted** otherwise.

Each message names the form field, the value and the range. Readings typed in another
unit are converted only where the catalogue allows it (a Jamar reading in lb); the
verdict's ``value`` is in the catalogue's unit.

>>> judge("grip left, trial 1", "grip_kpa", 175, "kPa").message
'grip left, trial 1: 175 kPa is possible but outside the plausible range 0-150 kPa; ...'
>>> judge("grip left, trial 1", "grip_kpa", 520, "kPa").verdict.value
'refused'
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import TypeGuard

from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import MEASURES, convert_value, measure_spec
from mmntrial.measures.disability import GRADE_MEASURES, check_disability
from mmntrial.measures.ivig import MAX_WEIGHT_KG, MIN_WEIGHT_KG, check_weight_kg
from mmntrial.measures.labs import LAB_UNITS
from mmntrial.measures.limits import MAX_AGE_YEARS, MIN_AGE_YEARS, age_problem

RANGES_FILE = "plausible-ranges.toml"
# Typed values that are not catalogue measures, with their unit and impossible range
# (a lab value is impossible only below 0: its upper end depends on the disease).
OTHER_FIELDS = {"weight_kg": "kg", "age_years": "years", **LAB_UNITS}


class Verdict(StrEnum):
    """What a form does with one value."""

    ACCEPTED = "accepted"
    NEEDS_CONFIRMATION = "needs_confirmation"
    REFUSED = "refused"


@dataclass(frozen=True)
class Plausibility:
    """The verdict on one value; ``value`` in the catalogue's unit (None when refused)."""

    field: str
    verdict: Verdict
    value: float | None
    message: str


@dataclass(frozen=True)
class PlausibleRange:
    """The band inside which a possible value needs no confirmation (both ends in)."""

    low: float
    high: float


def _is_number(value: object) -> TypeGuard[int | float]:
    # bool is an int to Python, never a number on a form.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _unit(name: str) -> str:
    return OTHER_FIELDS[name] if name in OTHER_FIELDS else measure_spec(name).unit


def _impossible(name: str) -> tuple[float, float]:
    if name == "weight_kg":
        return MIN_WEIGHT_KG, MAX_WEIGHT_KG
    if name == "age_years":
        return MIN_AGE_YEARS, MAX_AGE_YEARS
    if name in LAB_UNITS:
        return 0.0, math.inf
    spec = measure_spec(name)
    return spec.minimum, spec.maximum


def parse_ranges(data: Mapping[str, object]) -> Mapping[str, PlausibleRange]:
    """Check a parsed ranges file: known fields, low <= high, inside the impossible range."""
    ranges: dict[str, PlausibleRange] = {}
    for name, entry in data.items():
        if name not in MEASURES and name not in OTHER_FIELDS:
            known = ", ".join(sorted((*MEASURES, *OTHER_FIELDS)))
            raise MeasureError(
                f"{RANGES_FILE} [{name}]: got an unknown field, expected one of {known}"
            )
        low = entry.get("low") if isinstance(entry, Mapping) else None
        high = entry.get("high") if isinstance(entry, Mapping) else None
        floor, ceiling = _impossible(name)
        if not (_is_number(low) and _is_number(high) and floor <= low <= high <= ceiling):
            raise MeasureError(
                f"{RANGES_FILE} [{name}]: got low {low!r} and high {high!r}, expected numbers "
                f"with {floor:g} <= low <= high <= {ceiling:g}"
            )
        ranges[name] = PlausibleRange(float(low), float(high))
    return MappingProxyType(ranges)


@cache
def plausible_ranges() -> Mapping[str, PlausibleRange]:
    """The plausible ranges shipped with the package (read once, on first use)."""
    text = resources.files("mmntrial.measures").joinpath(RANGES_FILE).read_text("utf-8")
    return parse_ranges(tomllib.loads(text))


def _checked(name: str, value: object, unit: str) -> float:
    """``value`` in the catalogue's unit, or MeasureError saying why it is impossible."""
    if not _is_number(value) or math.isnan(value):
        raise MeasureError(f"{name}: got {value!r}, expected a number")
    if name in OTHER_FIELDS:
        if unit != OTHER_FIELDS[name]:
            raise MeasureError(f"{name}: got unit {unit!r}, expected {OTHER_FIELDS[name]!r}")
        if name == "weight_kg":
            return check_weight_kg(value)
        if name in LAB_UNITS:
            if not 0 <= value < math.inf:
                raise MeasureError(f"{name}: got {value!r}, expected a finite value at least 0")
            return float(value)
        problem = age_problem(value)
        if problem is not None:
            raise MeasureError(f"{name}: got {value!r}, {problem}")
        return float(value)
    spec = measure_spec(name)
    if name in GRADE_MEASURES or spec.unit == "centile":
        if unit != spec.unit:
            raise MeasureError(f"{name}: got unit {unit!r}, expected {spec.unit!r}")
        return check_disability(name, value)
    return convert_value(name, value, unit)


def judge(
    field: str, measure: str, value: object, unit: str, *, confirmed: bool = False
) -> Plausibility:
    """The verdict on ``value`` typed in ``unit`` into the form field ``field``.

    ``measure`` is a catalogue measure, ``weight_kg`` or ``age_years``; ``confirmed``
    says the user has confirmed an unusual value.
    """
    try:
        number = _checked(measure, value, unit)
    except MeasureError as error:
        return Plausibility(field, Verdict.REFUSED, None, f"{field}: {error} (impossible)")
    band = plausible_ranges().get(measure)
    if band is None or band.low <= number <= band.high:
        return Plausibility(field, Verdict.ACCEPTED, number, "")
    shown = _unit(measure)
    message = (
        f"{field}: {number:g} {shown} is possible but outside the plausible range "
        f"{band.low:g}-{band.high:g} {shown}; confirm it or correct it"
    )
    if confirmed:
        return Plausibility(field, Verdict.ACCEPTED, number, f"{message} (confirmed)")
    return Plausibility(field, Verdict.NEEDS_CONFIRMATION, number, message)


__all__ = [
    "OTHER_FIELDS",
    "RANGES_FILE",
    "Plausibility",
    "PlausibleRange",
    "Verdict",
    "judge",
    "parse_ranges",
    "plausible_ranges",
]
