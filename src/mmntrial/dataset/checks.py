"""Validation of a trial dataset against the schema and its protocol.

Every problem names the table, the row (0-based, or the file line for CSV) and what was
received and expected. All problems are collected before raising, so a data manager
fixes a file in one pass; the listing is capped at :data:`MAX_LISTED`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mmntrial.dataset.schema import (
    DAY_MARGIN_DAYS,
    EXTRA_VISITS,
    LAB_UNITS,
    MEASURE_UNITS,
    SCHEMA_VERSION,
    SIDED_MEASURES,
    SOURCES,
    STAYED_STATUSES,
    TABLE_NAMES,
    TABLES,
    Column,
    DatasetMeta,
    Table,
    pandas_dtype,
)
from mmntrial.errors import DatasetError
from mmntrial.identifiers import MAX_IDENTIFIER_LENGTH, identifier_problem
from mmntrial.measures.catalogue import MEASURES
from mmntrial.measures.ivig import MAX_DOSE_G_PER_KG

if TYPE_CHECKING:
    from mmntrial.dataset.schema import Dataset
    from mmntrial.protocol.model import Protocol

MAX_LISTED = 20


class Problems:
    """Problems found so far: all counted, the first :data:`MAX_LISTED` kept as text.

    A second problem for the same (table, row, column) is dropped: a cell that failed to
    parse is not reported again as null.
    """

    def __init__(self, csv: bool = False) -> None:
        self.csv = csv
        self.lines: list[str] = []
        self.total = 0
        self._seen: set[tuple[str, int, str]] = set()

    def where(self, table: str, row: int | None) -> str:
        """How a problem location is written: ``subjects row 3 (0-based)`` or a CSV line."""
        if row is None:  # a table, or a file named in full (dataset.json)
            return f"{table}.csv" if self.csv and "." not in table else table
        if self.csv:
            return f"{table}.csv line {row + 2}"  # line 1 is the header
        return f"{table} row {row} (0-based)"

    def add(self, table: str, row: int | None, message: str, column: str = "") -> None:
        """Record one problem."""
        if row is not None and column:
            key = (table, row, column)
            if key in self._seen:
                return
            self._seen.add(key)
        self.total += 1
        if len(self.lines) < MAX_LISTED:
            self.lines.append(f"{self.where(table, row)}: {message}")

    def add_rows(self, table: str, rows: Iterable[int], message: str, column: str = "") -> None:
        """Record the same problem for several rows."""
        for row in rows:
            self.add(table, int(row), message, column)

    def raise_if_any(self, subject: str) -> None:
        """Raise DatasetError listing the problems, if there are any."""
        if self.total == 0:
            return
        noun = "problem" if self.total == 1 else "problems"
        listed = "\n".join(f"  {line}" for line in self.lines)
        more = self.total - len(self.lines)
        tail = f"\n  ... and {more} more" if more > 0 else ""
        raise DatasetError(f"{subject}: {self.total} {noun}\n{listed}{tail}")


def _show(value: object) -> str:
    return repr(value.item() if isinstance(value, np.generic) else value)


def _positions(mask: pd.Series | np.ndarray) -> np.ndarray:
    return np.flatnonzero(np.asarray(mask, dtype=bool))


def _dtype_ok(column: Column, series: pd.Series) -> bool:
    dtype = series.dtype
    if column.dtype == "str":
        return pd.api.types.is_object_dtype(dtype) or isinstance(dtype, pd.StringDtype)
    if column.dtype == "int":
        return pd.api.types.is_integer_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if column.dtype == "float":
        return pd.api.types.is_float_dtype(dtype)
    return pd.api.types.is_bool_dtype(dtype) and not pd.api.types.is_object_dtype(dtype)


def _check_columns(table: Table, frame: pd.DataFrame, out: Problems) -> set[str]:
    """Check columns, dtypes, nulls and allowed sets; return the columns fit for row rules."""
    got = [str(c) for c in frame.columns]
    missing = [c for c in table.column_names if c not in got]
    extra = [c for c in got if c not in table.column_names]
    if missing:
        out.add(table.name, None, f"missing column(s) {', '.join(missing)}")
    if extra:
        out.add(
            table.name,
            None,
            f"got extra column(s) {', '.join(extra)}; expected only "
            f"{', '.join(table.column_names)}",
        )
    usable: set[str] = set()
    for col in table.columns:
        if col.name not in got:
            continue
        series = frame[col.name]
        if not _dtype_ok(col, series):
            out.add(
                table.name,
                None,
                f"column {col.name}: got dtype {series.dtype}, expected {col.dtype} "
                f"({pandas_dtype(col)})",
            )
            continue
        null = series.isna().to_numpy()
        if not col.nullable:
            out.add_rows(
                table.name, _positions(null), f"{col.name}: got null, expected a value", col.name
            )
        if col.dtype == "str":
            not_str = ~null & ~series.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
            for row in _positions(not_str):
                out.add(
                    table.name,
                    int(row),
                    f"{col.name}: got {_show(series.iloc[row])}, expected a string",
                    col.name,
                )
            if not_str.any():
                continue
        if col.identifier:
            _check_identifiers(table.name, col, series, out)
        if col.dtype in ("int", "float"):
            _check_range(table.name, col, series, out)
        if col.allowed is not None:
            values = series.astype(str) if col.dtype == "int" else series
            outside = ~null & ~values.isin(col.allowed).to_numpy(dtype=bool)
            for row in _positions(outside):
                out.add(
                    table.name,
                    int(row),
                    f"{col.name}: got {_show(series.iloc[row])}, expected one of "
                    f"{', '.join(col.allowed)}",
                    col.name,
                )
        usable.add(col.name)
    return usable


def _check_identifiers(table: str, column: Column, series: pd.Series, out: Problems) -> None:
    for row, value in enumerate(series.tolist()):
        problem = None if value is None else identifier_problem(value)
        if problem is not None:
            out.add(
                table,
                row,
                f"{column.name}: got {_show(value)}, expected one printable line of at most "
                f"{MAX_IDENTIFIER_LENGTH} characters ({problem})",
                column.name,
            )


def _check_range(table: str, column: Column, series: pd.Series, out: Problems) -> None:
    """Flag infinities and values outside the column's bounds (nulls are checked apart)."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    present = ~np.isnan(values)
    bad = present & ~np.isfinite(values)
    if column.minimum is not None:
        bad |= present & (values < column.minimum)
    if column.maximum is not None:
        bad |= present & (values > column.maximum)
    expected = f"a finite number {column.range_text}".rstrip()
    for row in _positions(bad):
        out.add(
            table,
            int(row),
            f"{column.name}: got {_show(series.iloc[row])}, expected {expected}",
            column.name,
        )


@dataclass
class _Rows:
    """One table's frame, the columns fit for row rules, and the problem list."""

    out: Problems
    name: str
    frame: pd.DataFrame
    ok: set[str]

    def has(self, *columns: str) -> bool:
        return all(c in self.ok for c in columns)

    def flag(self, mask: pd.Series, column: str, text: str) -> None:
        """Record ``column: text`` for each row where ``mask`` holds; {value} is filled in."""
        for row in _positions(mask.fillna(False).astype(bool)):
            value = _show(self.frame[column].iloc[row])
            self.out.add(self.name, int(row), f"{column}: {text.format(value=value)}", column)

    def units(self, key: str, units: dict[str, str]) -> None:
        """Flag rows whose unit is not the one ``units`` gives for their ``key`` column."""
        if not self.has(key, "unit"):
            return
        expected = self.frame[key].map(units)
        for row in _positions((self.frame["unit"] != expected) & expected.notna()):
            got = _show(self.frame["unit"].iloc[row])
            want = f"{expected.iloc[row]!r} for {self.frame[key].iloc[row]}"
            self.out.add(self.name, int(row), f"unit: got {got}, expected {want}", "unit")


def _row_rules(rows: _Rows) -> None:
    f, name = rows.frame, rows.name
    if name == "screening":
        if rows.has("screening_day"):
            rows.flag(f["screening_day"] > 0, "screening_day", "got {value}, expected a day <= 0")
        if rows.has("outcome", "reason"):
            needs = f["outcome"].isin(("excluded", "declined")) & f["reason"].isna()
            rows.flag(needs, "reason", "got null, expected a reason when excluded or declined")
        if rows.has("outcome", "subject_id"):
            rand = f["outcome"] == "randomized"
            rows.flag(
                rand & f["subject_id"].isna(),
                "subject_id",
                "got null, expected the subject_id of a randomized person",
            )
            rows.flag(
                ~rand & f["subject_id"].notna(),
                "subject_id",
                "got {value}, expected null unless randomized",
            )
        if rows.has("screening_id"):
            rows.flag(f["screening_id"].duplicated(), "screening_id", "got {value} again")
    if name in ("subjects", "dispositions") and rows.has("subject_id"):
        rows.flag(
            f["subject_id"].duplicated(),
            "subject_id",
            "got {value} again, expected one row per subject",
        )
    if name == "infusions":
        if rows.has("dose_g", "weight_kg"):
            rows.flag(
                f["dose_g"] > MAX_DOSE_G_PER_KG * f["weight_kg"],
                "dose_g",
                f"got {{value}}, expected at most {MAX_DOSE_G_PER_KG:g} g/kg of weight_kg",
            )
        _refuse_repeats(rows, ("subject_id", "day"), "an infusion")
    if name == "assessments":
        rows.units("measure", MEASURE_UNITS)
        _refuse_repeats(rows, ("subject_id", "day", "measure", "side"), "a value")
        if rows.has("measure", "value"):
            low = f["measure"].map({m: spec.minimum for m, spec in MEASURES.items()})
            high = f["measure"].map({m: spec.maximum for m, spec in MEASURES.items()})
            for row in _positions((f["value"] < low) | (f["value"] > high)):
                measure = f["measure"].iloc[row]
                out_of_scale = (
                    f"value: got {_show(f['value'].iloc[row])}, expected a {measure} from "
                    f"{low.iloc[row]:g} to {high.iloc[row]:g} {MEASURE_UNITS[measure]}"
                )
                rows.out.add(name, int(row), out_of_scale, "value")
        if rows.has("measure", "side"):
            sided = f["measure"].isin(SIDED_MEASURES)
            rows.flag(sided & f["side"].isna(), "side", "got null, expected left or right")
            rows.flag(
                ~sided & f["side"].notna(),
                "side",
                "got {value}, expected null for a measure not taken per side",
            )
    if name == "labs":
        rows.units("test", LAB_UNITS)
        if rows.has("lln", "uln"):
            # A range upside down cannot grade a value (the lab form refuses it too).
            for row in _positions(f["lln"].notna() & f["uln"].notna() & (f["lln"] >= f["uln"])):
                lln, uln = _show(f["lln"].iloc[row]), _show(f["uln"].iloc[row])
                rows.out.add(name, int(row), f"lln: got {lln}, expected below uln {uln}", "lln")
    if name == "dispositions" and rows.has("status", "reason"):
        needs = ~f["status"].isin(STAYED_STATUSES) & f["reason"].isna()
        rows.flag(needs, "reason", "got null, expected a reason unless completed or ongoing")


def _refuse_repeats(rows: _Rows, key: tuple[str, ...], what: str) -> None:
    """Flag each row whose ``key`` columns repeat an earlier row's, naming that row.

    Two infusions of one subject on one day would count twice in the grams per year and
    give the engine two doses to choose from: neither is guessed, both rows are named.
    """
    if not rows.has(*key):
        return
    frame = rows.frame[list(key)]
    repeated = frame.duplicated(keep=False).to_numpy()
    first: dict[tuple[object, ...], int] = {}
    for row in _positions(repeated):
        values = tuple(None if pd.isna(v) else v for v in frame.iloc[row].tolist())
        earlier = first.setdefault(values, int(row))
        if earlier != row:
            shown = ", ".join(f"{k} {_show(v)}" for k, v in zip(key, values, strict=True))
            rows.out.add(
                rows.name,
                int(row),
                f"{key[-1]}: got {what} again for {shown} (first at "
                f"{rows.out.where(rows.name, earlier)}), expected one per {', '.join(key)}",
                key[-1],
            )


def _check_subjects(views: dict[str, _Rows]) -> None:
    subjects = views["subjects"]
    if not subjects.has("subject_id"):
        return
    known = set(subjects.frame["subject_id"].dropna())
    for name, rows in views.items():
        if name != "subjects" and rows.has("subject_id"):
            ids = rows.frame["subject_id"]
            rows.flag(
                ids.notna() & ~ids.isin(known),
                "subject_id",
                "got {value}, expected a subject_id of the subjects table",
            )
    ids = subjects.frame["subject_id"]
    if views["dispositions"].has("subject_id"):
        disposed = set(views["dispositions"].frame["subject_id"])
        subjects.flag(~ids.isin(disposed), "subject_id", "{value} has no row in dispositions")
    screening = views["screening"]
    if screening.has("subject_id", "outcome"):
        frame = screening.frame
        randomized = set(frame.loc[frame["outcome"] == "randomized", "subject_id"])
        subjects.flag(
            ~ids.isin(randomized), "subject_id", "{value} has no randomized row in screening"
        )


def _check_protocol(views: dict[str, _Rows], protocol: Protocol) -> None:
    arms = tuple(a.name for a in protocol.arms)
    subjects = views["subjects"]
    if subjects.has("arm"):
        expected = f"an arm of {protocol.name} ({', '.join(arms)})"
        subjects.flag(
            ~subjects.frame["arm"].isin(arms), "arm", f"got {{value}}, expected {expected}"
        )
    visits = tuple(v.name for v in protocol.schedule.visits) + EXTRA_VISITS
    assessments = views["assessments"]
    if assessments.has("visit"):
        assessments.flag(
            ~assessments.frame["visit"].isin(visits),
            "visit",
            f"got {{value}}, expected a visit of {protocol.name}, repeat or unscheduled",
        )
    screening = views["screening"]
    days = screening.frame["screening_day"] if screening.has("screening_day") else None
    low = int(days.min()) if days is not None and days.notna().any() else -math.inf
    high = protocol.schedule.last_day + DAY_MARGIN_DAYS
    span = f"from {low} (first screening) to {high} (last visit + {DAY_MARGIN_DAYS})"
    for table in TABLES:
        rows = views[table.name]
        for col in table.columns:
            if col.is_day and rows.has(col.name):
                values = rows.frame[col.name]
                outside = values.notna() & ((values < low) | (values > high))
                rows.flag(outside, col.name, f"got {{value}}, expected a study day {span}")


def check_meta(meta: DatasetMeta, out: Problems) -> None:
    """Check the dataset.json fields already parsed into ``meta``."""
    if meta.schema_version != SCHEMA_VERSION:
        out.add(
            "dataset.json",
            None,
            f"schema_version: got {meta.schema_version!r}, expected {SCHEMA_VERSION!r}",
        )
    if meta.source not in SOURCES:
        out.add(
            "dataset.json",
            None,
            f"source: got {meta.source!r}, expected one of {', '.join(SOURCES)}",
        )
    try:
        datetime.fromisoformat(str(meta.created_utc).replace("Z", "+00:00"))
    except ValueError:
        out.add(
            "dataset.json",
            None,
            f"created_utc: got {meta.created_utc!r}, expected an "
            "ISO-8601 time such as '2025-01-31T12:00:00Z'",
        )
    if meta.seed is not None and (isinstance(meta.seed, bool) or not isinstance(meta.seed, int)):
        out.add("dataset.json", None, f"seed: got {meta.seed!r}, expected an integer or null")
    digest = meta.protocol_sha256
    if digest is not None and not (
        isinstance(digest, str) and len(digest) == 64 and set(digest) <= set("0123456789abcdef")
    ):
        out.add(
            "dataset.json",
            None,
            f"protocol_sha256: got {digest!r}, expected 64 lowercase hexadecimal digits or null",
        )
    if meta.provenance is not None and not isinstance(meta.provenance, dict):
        out.add(
            "dataset.json",
            None,
            f"provenance: got {meta.provenance!r}, expected a JSON object or null",
        )


def _resolve(meta: DatasetMeta, protocol: Protocol | None, out: Problems) -> Protocol | None:
    from mmntrial.protocol.loader import builtin_names, load_protocol

    if protocol is not None:
        if protocol.name != meta.protocol:
            out.add(
                "dataset.json",
                None,
                f"protocol: got {meta.protocol!r}, expected {protocol.name!r} (the protocol given)",
            )
        return protocol
    if meta.protocol in builtin_names():
        return load_protocol(meta.protocol)
    out.add(
        "dataset.json",
        None,
        f"protocol: got {meta.protocol!r}, which is not a built-in "
        f"protocol ({', '.join(builtin_names())}); pass the Protocol "
        "(read_dataset(directory, protocol=...) or Dataset(..., protocol=...))",
    )
    return None


def collect(
    meta: DatasetMeta,
    frames: dict[str, Any],
    protocol: Protocol | None = None,
    out: Problems | None = None,
) -> Problems:
    """Every problem of a dataset given as metadata and frames, without raising."""
    out = out if out is not None else Problems()
    check_meta(meta, out)
    resolved = _resolve(meta, protocol, out)
    views: dict[str, _Rows] = {}
    for table in TABLES:
        frame = frames.get(table.name)
        if not isinstance(frame, pd.DataFrame):
            out.add(table.name, None, f"got {type(frame).__name__}, expected a pandas DataFrame")
            frame = pd.DataFrame()
        views[table.name] = _Rows(out, table.name, frame, _check_columns(table, frame, out))
        _row_rules(views[table.name])
    _check_subjects(views)
    if resolved is not None:
        _check_protocol(views, resolved)
    return out


def validate(dataset: Dataset, protocol: Protocol | None = None) -> None:
    """Raise DatasetError listing every problem of ``dataset``; return None if valid."""
    frames = {name: getattr(dataset, name) for name in TABLE_NAMES}
    collect(dataset.meta, frames, protocol).raise_if_any(f"dataset ({dataset.meta.protocol})")


__all__ = ["MAX_LISTED", "Problems", "check_meta", "collect", "validate"]
