"""Convert loosely typed frames (from CSV text or hand-built) to the schema's dtypes.

Conversion never hides a bad value: a cell that cannot be converted is reported (CSV) or
left for validation to report, with its row.
"""

from __future__ import annotations

import pandas as pd

from mmntrial.dataset.checks import Problems
from mmntrial.dataset.schema import Column, table_spec

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def coerce_table(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with each schema column converted to its dtype where lossless.

    Columns that cannot be converted are left as they are for validation to report.

    >>> coerce_table("dispositions", pd.DataFrame(
    ...     {"subject_id": ["S1"], "status": ["completed"], "day": [365.0], "reason": [None]}
    ... )).dtypes["day"]
    dtype('int64')
    """
    spec = table_spec(name)
    out = frame.copy()
    for col in spec.columns:
        if col.name not in out.columns:
            continue
        series = out[col.name]
        try:
            if col.dtype == "str":
                out[col.name] = series.astype(object).where(series.notna(), None)
            elif col.dtype == "int":
                converted = pd.to_numeric(series).astype("Int64")
                if not col.nullable and not converted.isna().any():
                    converted = converted.astype("int64")
                out[col.name] = converted
            elif col.dtype == "float":
                out[col.name] = pd.to_numeric(series).astype("float64")
            elif col.dtype == "bool" and series.notna().all() and series.isin((0, 1)).all():
                out[col.name] = series.astype(bool)
        except (TypeError, ValueError):
            continue  # validation reports the column's dtype with the offending values
    return out


def _parse_cell(column: Column, text: str) -> object:
    if column.dtype == "str":
        return text
    if column.dtype == "int":
        number = float(text)
        if not number.is_integer():
            raise ValueError(text)
        return int(number)
    if column.dtype == "float":
        return float(text)
    lowered = text.strip().lower()
    if lowered in _TRUE | _FALSE:
        return lowered in _TRUE
    raise ValueError(text)


_EXPECTED = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "str": "text",
}


def parse_csv_table(name: str, raw: pd.DataFrame, out: Problems) -> pd.DataFrame:
    """Typed frame from a CSV table read as text (empty cell = null); records bad cells.

    A cell that does not parse becomes null and is reported once, with its line.
    """
    spec = table_spec(name)
    frame = raw.copy()
    for col in spec.columns:
        if col.name not in frame.columns:
            continue
        values: list[object] = []
        for row, text in enumerate(frame[col.name].tolist()):
            if text is None or text == "":
                values.append(None)
                continue
            try:
                values.append(_parse_cell(col, str(text)))
            except ValueError:
                out.add(
                    name,
                    row,
                    f"{col.name}: got {text!r}, expected {_EXPECTED[col.dtype]}",
                    col.name,
                )
                values.append(None)
        frame[col.name] = _typed(col, values)
    return frame


def _typed(column: Column, values: list[object]) -> pd.Series:
    has_null = any(v is None for v in values)
    if column.dtype == "int":
        series = pd.Series(values, dtype="Int64")
        return series if column.nullable or has_null else series.astype("int64")
    if column.dtype == "float":
        return pd.Series([float("nan") if v is None else v for v in values], dtype="float64")
    if column.dtype == "bool" and not has_null:
        return pd.Series(values, dtype=bool)
    return pd.Series(values, dtype=object)


__all__ = ["coerce_table", "parse_csv_table"]
