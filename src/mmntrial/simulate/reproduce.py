"""Reproducing a result from its provenance record: the inputs first, then the numbers.

:func:`checked_record` refuses a record it cannot use, naming the field;
:func:`recorded_inputs` loads the protocol and population again from where the record
says they came from and refuses, **before anything is re-run**, one whose content hash
changed; :func:`differences` and :func:`frame_differences` compare the recorded numbers
with the re-run's. Numbers must agree to :data:`RELATIVE_TOLERANCE`: on the same
machine and version a re-run gives the same bits, and the tolerance only forgives the
last bits of another CPU's arithmetic, never a changed digit a reader could see.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import pandas as pd

import mmntrial
from mmntrial.errors import NotReproduced
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.simulate.population.loader import Population, load_population
from mmntrial.simulate.provenance import FORMAT, KINDS, population_hash, protocol_hash
from mmntrial.simulate.sweep.run import SweepPlan, make_plan

RELATIVE_TOLERANCE: Final = 1e-12
"""How closely a re-run number must agree with the recorded one (relative)."""

SHOWN_DIFFERENCES: Final = 5
"""The differences a message lists; the rest are counted."""

_REQUIRED: Final = {
    "simulate": ("protocol", "population", "seed", "trials", "chunk_trials", "grid"),
    "sweep": ("protocol", "population", "seed", "trials", "chunk_trials", "grid"),
    "size": ("protocol", "population", "question"),
}


def checked_record(record: object, where: str, kinds: Sequence[str] = KINDS) -> dict[str, Any]:
    """``record`` if it is a provenance record of one of ``kinds``; else NotReproduced.

    >>> checked_record({"format": 1, "kind": "sweep"}, "x.json")
    Traceback (most recent call last):
    mmntrial.errors.NotReproduced: x.json: provenance.protocol: got nothing, expected the \
protocol's name, source and sha256 (was the file written by mmntrial simulate, sweep or size?)
    """
    if not isinstance(record, dict):
        raise NotReproduced(
            f"{where}: provenance: got {type(record).__name__}, expected a record as written "
            "by mmntrial simulate, sweep or size"
        )
    if record.get("format") != FORMAT:
        raise NotReproduced(
            f"{where}: provenance.format: got {record.get('format')!r}, expected {FORMAT}"
        )
    kind = record.get("kind")
    if not isinstance(kind, str) or kind not in kinds:
        raise NotReproduced(
            f"{where}: provenance.kind: got {kind!r}, expected one of {', '.join(kinds)}"
        )
    for key in _REQUIRED[kind]:
        if key not in record:
            what = (
                f"the {key}'s name, source and sha256"
                if key in ("protocol", "population")
                else "a value"
            )
            raise NotReproduced(
                f"{where}: provenance.{key}: got nothing, expected {what} (was the file "
                "written by mmntrial simulate, sweep or size?)"
            )
    for key in ("protocol", "population"):
        part = record[key]
        if not (isinstance(part, dict) and {"name", "source", "sha256"} <= set(part)):
            raise NotReproduced(
                f"{where}: provenance.{key}: got {part!r}, expected name, source and sha256"
            )
    return record


def _source(text: str) -> str:
    return text.removeprefix("builtin:")


def recorded_inputs(record: Mapping[str, Any], where: str) -> tuple[Protocol, Population]:
    """The protocol and population the record names, unchanged since; else NotReproduced.

    Loading errors (a file moved away) are the loaders' own, naming the file.
    """
    protocol = load_protocol(_source(record["protocol"]["source"]))
    population = load_population(_source(record["population"]["source"]))
    for key, now in (
        ("protocol", protocol_hash(protocol)),
        ("population", population_hash(population)),
    ):
        given = record[key]
        if now != given["sha256"]:
            raise NotReproduced(
                f"{where}: the {key} {given['name']} ({given['source']}) changed since the "
                f"result was made: content hash (sha256) recorded {given['sha256']}, now "
                f"{now}; not re-run (restore the {key} the result was made with)"
            )
    return protocol, population


def recorded_plan(
    record: Mapping[str, Any], protocol: Protocol, population: Population
) -> SweepPlan:
    """The plan of a recorded simulation or sweep, to run again."""
    return make_plan(
        protocol=protocol,
        population=population,
        axes=record["grid"],
        trials=record["trials"],
        seed=record["seed"],
        chunk_trials=record["chunk_trials"],
    )


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _leaves(item, f"{path}[{index}]")
    else:
        yield path, value


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def same(recorded: Any, rerun: Any) -> bool:
    """Whether two leaf values agree: numbers to :data:`RELATIVE_TOLERANCE` (NaN equals
    NaN), anything else exactly.

    >>> same(0.1 + 0.2, 0.3), same(0.464, 0.465), same(float("nan"), float("nan"))
    (True, False, True)
    """
    if _number(recorded) and _number(rerun):
        if math.isnan(recorded) or math.isnan(rerun):
            return math.isnan(recorded) and math.isnan(rerun)
        return math.isclose(recorded, rerun, rel_tol=RELATIVE_TOLERANCE, abs_tol=1e-300)
    return bool(recorded == rerun)


def differences(recorded: Any, rerun: Any) -> list[str]:
    """Every leaf (``harm.mmf.weeks_deteriorated_per_patient``, ``curve[3].power``) where
    two nested values differ, one line each.

    >>> differences({"a": {"b": 1.0, "c": [1, 2]}}, {"a": {"b": 1.5, "c": [1]}})
    ['a.b: recorded 1.0, re-run 1.5', 'a.c[1]: recorded 2, re-run nothing']
    """
    old, new = dict(_leaves(recorded, "")), dict(_leaves(rerun, ""))
    lines = []
    for key in [*old, *(key for key in new if key not in old)]:
        if key not in new:
            lines.append(f"{key}: recorded {old[key]!r}, re-run nothing")
        elif key not in old:
            lines.append(f"{key}: recorded nothing, re-run {new[key]!r}")
        elif not same(old[key], new[key]):
            lines.append(f"{key}: recorded {old[key]!r}, re-run {new[key]!r}")
    return lines


def frame_differences(recorded: pd.DataFrame, rerun: pd.DataFrame, row_name: str) -> list[str]:
    """Where two tables differ: columns, row count, then cell by cell (``trial 3,
    power_p``), rows named by the column ``row_name``."""
    if list(recorded.columns) != list(rerun.columns):
        return [f"columns: recorded {list(recorded.columns)}, re-run {list(rerun.columns)}"]
    if len(recorded) != len(rerun):
        return [f"rows: recorded {len(recorded)}, re-run {len(rerun)}"]
    lines = []
    for position, (old, new) in enumerate(
        zip(recorded.to_dict("records"), rerun.to_dict("records"), strict=True)
    ):
        label = f"{row_name} {new.get(row_name, position)}"
        lines += [f"{label}, {line}" for line in differences(old, new)]
    return lines


def raise_if_different(lines: Sequence[str], where: str, record: Mapping[str, Any]) -> None:
    """NotReproduced listing the first differences, and the versions when they differ."""
    if not lines:
        return
    shown = "; ".join(lines[:SHOWN_DIFFERENCES])
    more = len(lines) - SHOWN_DIFFERENCES
    then = record.get("software", {}).get("version")
    version = (
        ""
        if then == mmntrial.__version__
        else f" (made with mmntrial {then}, re-run with {mmntrial.__version__})"
    )
    raise NotReproduced(
        f"{where}: not reproduced{version}: {len(lines)} "
        f"{'difference' if len(lines) == 1 else 'differences'}: {shown}"
        + (f"; and {more} more" if more > 0 else "")
    )


__all__ = [
    "RELATIVE_TOLERANCE",
    "SHOWN_DIFFERENCES",
    "checked_record",
    "differences",
    "frame_differences",
    "raise_if_different",
    "recorded_inputs",
    "recorded_plan",
    "same",
]
