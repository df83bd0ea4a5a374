"""Population parameters declared once: a dataclass field carries its meaning and range.

A population file gives each parameter as ``{ value = ..., source = "..." }``; the
schema for the file is generated from the section dataclasses of
:mod:`mmntrial.simulate.population`, and checked by the protocol's reader
(:func:`mmntrial.protocol.reader.read`), so that both files report problems alike.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from mmntrial.protocol.spec import Spec, integer, listing, number, table, text
from mmntrial.simulate.pk.parameters import PkPopulation, _bounds

SOURCE_PATTERN = r"(S[0-9]+|ASSUMPTION)\b.*"
SOURCE_TEXT = (
    "a DOMAIN.md source tag first ('S44', 'S48: ~11% stop') or 'ASSUMPTION: why this value'"
)


def param(
    meaning: str,
    *,
    minimum: float | None = None,
    maximum: float | None = None,
    min_open: bool = False,
    max_open: bool = False,
    kind: str = "number",
    min_items: int = 0,
) -> Any:
    """A required dataclass field whose metadata says what the file may hold for it.

    ``kind`` is ``number``, ``integer`` or ``numbers`` (a list of numbers).
    """
    return dataclasses.field(
        metadata={
            "meaning": meaning,
            "minimum": minimum,
            "maximum": maximum,
            "min_open": min_open,
            "max_open": max_open,
            "kind": kind,
            "min_items": min_items,
        }
    )


def _value_spec(meta: Mapping[str, Any]) -> Spec:
    bounds = {
        "minimum": meta["minimum"],
        "maximum": meta["maximum"],
        "min_open": meta["min_open"],
        "max_open": meta["max_open"],
    }
    if meta["kind"] == "integer":
        return integer(meta["meaning"], **bounds)
    if meta["kind"] == "numbers":
        return listing(meta["meaning"], number("one value", **bounds), min_items=meta["min_items"])
    return number(meta["meaning"], **bounds)


def parameter_spec(meaning: str, value: Spec) -> Spec:
    """The ``{ value = ..., source = ... }`` table of one parameter."""
    return table(
        meaning,
        {
            "value": value,
            "source": text(
                "where the value comes from", pattern=SOURCE_PATTERN, pattern_text=SOURCE_TEXT
            ),
        },
    )


def section_spec(meaning: str, cls: type) -> Spec:
    """The table of one section: a parameter table per field of the dataclass ``cls``."""
    fields = {}
    for spec in dataclasses.fields(cls):
        fields[spec.name] = parameter_spec(spec.metadata["meaning"], _value_spec(spec.metadata))
    return table(meaning, fields)


_PK_MEANINGS = {
    "reference_weight_kg": "weight at which the typical clearances and volumes apply (kg)",
    "CL_L_per_day": "typical clearance of IgG (L/day)",
    "V1_L": "typical central volume (L)",
    "Q_L_per_day": "typical inter-compartmental clearance (L/day)",
    "V2_L": "typical peripheral volume (L)",
    "clearance_exponent": "allometric exponent of CL and Q on weight",
    "volume_exponent": "allometric exponent of V1 and V2 on weight",
    "cl_cv": "between-patient CV of CL (fraction)",
    "v2_cv": "between-patient CV of V2 (fraction)",
    "v2_eta_truncation_sd": "V2 deviations truncated at this many SD",
    "endogenous_igg_g_per_l": "typical endogenous IgG (g/L)",
    "endogenous_cv": "between-patient CV of endogenous IgG (fraction)",
    "residual_additive_g_per_l": "additive residual error of measured IgG (g/L)",
    "residual_proportional": "proportional residual error of measured IgG (fraction)",
}


def pk_spec() -> Spec:
    """The ``[pk]`` section: the fields of :class:`PkPopulation`, with its own ranges."""
    fields = {}
    for spec in dataclasses.fields(PkPopulation):
        low, high, _ = _bounds(spec.name)
        bounded = number(
            _PK_MEANINGS[spec.name],
            minimum=0.0,
            min_open=low > 0.0,
            maximum=None if high == float("inf") else high,
        )
        fields[spec.name] = parameter_spec(_PK_MEANINGS[spec.name], bounded)
    return table("IgG kinetics: two-compartment population model [S32]", fields)


def values_of(section: Mapping[str, Any], cls: type) -> dict[str, Any]:
    """Keyword arguments for ``cls`` from a checked section: lists become tuples."""
    out: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        value = section[spec.name]["value"]
        out[spec.name] = tuple(value) if isinstance(value, list) else value
    return out


def sources_of(section: Mapping[str, Any], prefix: str) -> dict[str, str]:
    """``{"section.key": source}`` for every parameter of a checked section."""
    return {f"{prefix}.{key}": item["source"] for key, item in section.items()}


__all__ = [
    "SOURCE_PATTERN",
    "param",
    "parameter_spec",
    "pk_spec",
    "section_spec",
    "sources_of",
    "values_of",
]
