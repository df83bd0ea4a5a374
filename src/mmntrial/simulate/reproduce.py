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

import numpy as np
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
    "dataset": ("protocol", "population", "seed", "trial", "n_per_arm", "effect"),
    "design-report": (
        "protocol",
        "population",
        "seed",
        "trials",
        "n_per_arm",
        "effects",
        "question",
        "numbers",
    ),
}


def checked_record(record: object, where: str, kinds: Sequence[str] = KINDS) -> dict[str, Any]:
    """``record`` if it is a provenance record of one of ``kinds``; else NotReproduced.

    >>> checked_record({"format": 1, "kind": "sweep"}, "x.json")
    Traceback (most recent call last):
    mmntrial.errors.NotReproduced: x.json: provenance.protocol: got nothing, expected the \
protocol's name, source and sha256 (was the file written by mmntrial?)
    """
    if not isinstance(record, dict):
        raise NotReproduced(
            f"{where}: provenance: got {type(record).__name__}, expected a record as written "
            "by mmntrial simulate, sweep, size or design-report"
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
                "written by mmntrial?)"
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


def _differing_rows(old: pd.Series, new: pd.Series) -> np.ndarray:
    """Row positions where two columns differ, by the rule of :func:`same`."""
    numeric = all(
        pd.api.types.is_numeric_dtype(c) and not pd.api.types.is_bool_dtype(c) for c in (old, new)
    )
    if numeric:
        a, b = old.to_numpy(dtype=float), new.to_numpy(dtype=float)
        equal = np.isclose(a, b, rtol=RELATIVE_TOLERANCE, atol=0.0) | (np.isnan(a) & np.isnan(b))
    else:
        a, b = old.to_numpy(dtype=object), new.to_numpy(dtype=object)
        equal = (a == b) | (pd.isna(a) & pd.isna(b))
    return np.flatnonzero(~equal)


def _native(value: Any) -> Any:
    """A numpy scalar as Python's, so that messages read ``0.25``, not ``np.float64(0.25)``."""
    return value.item() if isinstance(value, np.generic) else value


def frame_differences(
    recorded: pd.DataFrame, rerun: pd.DataFrame, row_name: str
) -> tuple[list[str], int]:
    """Where two tables differ: the first :data:`SHOWN_DIFFERENCES` lines (``trial 3,
    power_p: recorded ..., re-run ...``, rows named by the column ``row_name``) and the
    number of differing cells. Column by column with numpy, so that a million trials
    cost no million dicts."""
    if list(recorded.columns) != list(rerun.columns):
        return [f"columns: recorded {list(recorded.columns)}, re-run {list(rerun.columns)}"], 1
    if len(recorded) != len(rerun):
        return [f"rows: recorded {len(recorded)}, re-run {len(rerun)}"], 1
    cells = []  # (row position, column position) of every difference
    for column_index, column in enumerate(recorded.columns):
        rows = _differing_rows(recorded[column], rerun[column])
        cells += [(int(row), column_index) for row in rows]
    cells.sort()
    lines = []
    for row, column_index in cells[:SHOWN_DIFFERENCES]:
        column = recorded.columns[column_index]
        label = _native(rerun[row_name].iloc[row]) if row_name in rerun.columns else row
        old, new = _native(recorded[column].iloc[row]), _native(rerun[column].iloc[row])
        lines.append(f"{row_name} {label}, {column}: recorded {old!r}, re-run {new!r}")
    return lines, len(cells)


def raise_if_different(
    lines: Sequence[str], where: str, record: Mapping[str, Any], total: int | None = None
) -> None:
    """NotReproduced listing the first differences (of ``total``, default all ``lines``),
    and the versions when they differ."""
    count = len(lines) if total is None else total
    if not count:
        return
    shown = "; ".join(lines[:SHOWN_DIFFERENCES])
    more = count - min(len(lines), SHOWN_DIFFERENCES)
    then = record.get("software", {}).get("version")
    version = (
        ""
        if then == mmntrial.__version__
        else f" (made with mmntrial {then}, re-run with {mmntrial.__version__})"
    )
    raise NotReproduced(
        f"{where}: not reproduced{version}: {count} "
        f"{'difference' if count == 1 else 'differences'}: {shown}"
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
