"""The measures a protocol can schedule at a visit or watch for deterioration.

Each entry says its unit, its range, which direction is worse and whether it is taken
per side (left and right hand). The engine, the protocol checks and the history reader
all look measures up here, so a new measure is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from mmntrial.errors import MeasureError


class Worse(StrEnum):
    """Which way a measure moves when the patient gets worse."""

    DECREASE = "decrease"
    INCREASE = "increase"


class Side(StrEnum):
    """The side of a bilateral measure."""

    LEFT = "left"
    RIGHT = "right"


@dataclass(frozen=True)
class MeasureSpec:
    """What one measure is: unit, scale, direction of worsening, sidedness."""

    name: str
    unit: str
    minimum: float
    maximum: float
    worse: Worse
    bilateral: bool
    description: str
    label: str  # short name for a table row, a figure or an endpoint label
    short_label: str  # shortest name, inside a sentence of the engine's explanations
    # Other units a reading may be typed in, each with its exact factor to ``unit``; only
    # these are ever converted (kPa and kg are different instruments: never).
    conversions: tuple[tuple[str, float], ...] = ()

    def series_keys(self) -> tuple[str, ...]:
        """Keys of the value series this measure yields: one, or one per side.

        >>> MEASURES["grip_kpa"].series_keys()
        ('grip_kpa:left', 'grip_kpa:right')
        """
        if self.bilateral:
            return tuple(series_key(self.name, side) for side in Side)
        return (self.name,)


def series_key(measure: str, side: Side | str | None) -> str:
    """The key of one value series: ``mrc_sum``, or ``grip_kpa:left`` for a sided measure."""
    return f"{measure}:{Side(side).value}" if side else measure


# MRC sum maximum depends on the protocol's muscle set (10 groups per side x 5 = 100 by
# default, DOMAIN.md section 2); 200 bounds any set of up to 20 groups per side.
MEASURES: dict[str, MeasureSpec] = {
    spec.name: spec
    for spec in (
        MeasureSpec(
            "mrc_sum",
            "points",
            0,
            200,
            Worse.DECREASE,
            False,
            "MRC sum score over the protocol's muscle set, both sides (0-5 per muscle)",
            "MRC sum score",
            "MRC sum",
        ),
        MeasureSpec(
            "grip_kpa",
            "kPa",
            0,
            250,
            Worse.DECREASE,
            True,
            "grip strength, Martin vigorimeter, best of three per hand",
            "grip strength",
            "grip",
        ),
        MeasureSpec(
            "grip_jamar_kg",
            "kg",
            0,
            120,
            Worse.DECREASE,
            True,
            "grip strength, Jamar dynamometer (kg force; never converted to kPa)",
            "grip strength (Jamar)",
            "Jamar grip",
            # The Jamar dial reads kg and lb; the pound is 0.45359237 kg by definition.
            conversions=(("lb", 0.45359237),),
        ),
        MeasureSpec(
            "gnds_upper",
            "grade",
            0,
            5,
            Worse.INCREASE,
            False,
            "Guy's Neurological Disability Scale, upper limb (0-5)",
            "GNDS upper limb",
            "GNDS upper limb",
        ),
        MeasureSpec(
            "gnds_lower",
            "grade",
            0,
            5,
            Worse.INCREASE,
            False,
            "Guy's Neurological Disability Scale, lower limb (0-5)",
            "GNDS lower limb",
            "GNDS lower limb",
        ),
        MeasureSpec(
            "onls_arm",
            "grade",
            0,
            5,
            Worse.INCREASE,
            False,
            "Overall Neuropathy Limitations Scale, arm (0-5)",
            "ONLS arm",
            "ONLS arm",
        ),
        MeasureSpec(
            "onls_leg",
            "grade",
            0,
            7,
            Worse.INCREASE,
            False,
            "Overall Neuropathy Limitations Scale, leg (0-7)",
            "ONLS leg",
            "ONLS leg",
        ),
        MeasureSpec(
            "irods_centile",
            "centile",
            0,
            100,
            Worse.DECREASE,
            False,
            "Inflammatory Rasch-built Overall Disability Scale, centile metric",
            "I-RODS",
            "I-RODS",
        ),
        MeasureSpec(
            "mmn_rods_centile",
            "centile",
            0,
            100,
            Worse.DECREASE,
            False,
            "MMN Rasch-built Overall Disability Scale, centile metric",
            "MMN-RODS",
            "MMN-RODS",
        ),
        MeasureSpec(
            "anti_gm1_log2",
            "log2_steps",
            0,
            24,
            Worse.INCREASE,
            False,
            "anti-GM1 IgM titre as log2 dilution steps (assay named with the value)",
            "anti-GM1 IgM titre",
            "anti-GM1 titre",
        ),
    )
}


def measure_spec(name: str) -> MeasureSpec:
    """The catalogue entry for ``name``, or a MeasureError that lists the known names."""
    try:
        return MEASURES[name]
    except KeyError:
        known = ", ".join(sorted(MEASURES))
        raise MeasureError(f"unknown measure {name!r}; expected one of: {known}") from None


def check_value(measure: str, value: float, unit: str) -> float:
    """Validate one measured value against its catalogue entry; return it as float.

    >>> check_value("grip_kpa", 52, "kPa")
    52.0
    >>> check_value("grip_kpa", 30, "kg")
    Traceback (most recent call last):
    ...
    mmntrial.errors.MeasureError: grip_kpa: got unit 'kg', expected 'kPa' (a Jamar reading ...
    """
    spec = measure_spec(measure)
    if unit != spec.unit:
        hint = ""
        if measure == "grip_kpa" and unit == "kg":
            hint = " (a Jamar reading in kg is the measure grip_jamar_kg; it is never converted)"
        raise MeasureError(f"{measure}: got unit {unit!r}, expected {spec.unit!r}{hint}")
    number = float(value)
    if not spec.minimum <= number <= spec.maximum:
        raise MeasureError(
            f"{measure}: got {value!r} {unit}, expected a value from {spec.minimum:g} "
            f"to {spec.maximum:g} {spec.unit}"
        )
    return number


def convert_value(measure: str, value: float, unit: str) -> float:
    """A reading typed in ``unit``, in the catalogue's unit and checked against the range.

    Only the conversions the catalogue lists are made (a Jamar reading in lb becomes kg);
    any other unit is refused as :func:`check_value` refuses it.

    >>> round(convert_value("grip_jamar_kg", 66, "lb"), 2)
    29.94
    >>> convert_value("grip_kpa", 52, "kPa")
    52.0
    """
    spec = measure_spec(measure)
    factors = dict(spec.conversions)
    if unit in factors:
        # bool is a number to Python, never a reading.
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise MeasureError(f"{measure}: got {value!r} {unit}, expected a number")
        return check_value(measure, float(value) * factors[unit], spec.unit)
    if unit != spec.unit and factors:
        allowed = ", ".join(repr(u) for u in (spec.unit, *factors))
        raise MeasureError(f"{measure}: got unit {unit!r}, expected one of {allowed}")
    return check_value(measure, value, unit)


__all__ = [
    "MEASURES",
    "MeasureSpec",
    "Side",
    "Worse",
    "check_value",
    "convert_value",
    "measure_spec",
    "series_key",
]
