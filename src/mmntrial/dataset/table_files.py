"""Read one table file of a dataset (Parquet or CSV) without trusting it.

A dataset comes from elsewhere: a truncated copy, a spreadsheet saved as latin-1, a row
with one field too many, a file that is not Parquet at all. Each of these becomes a
problem of the table (reported with the dataset's other problems), never a traceback
and never a silent repair: pandas' own CSV reader turns a first row with an extra field
into an index column and shifts every value one column left, so CSV is read here with
the standard library and each row must have exactly the header's fields.

Files larger than :data:`MAX_FILE_BYTES` are refused before they are read, so that a
wrong path (a disk image, a log) cannot exhaust memory (:func:`mmntrial.inputs.read_bounded`).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pyarrow as pa

from mmntrial.dataset.checks import Problems
from mmntrial.inputs import limit_text, read_bounded

MAX_FILE_BYTES = 256 * 1024 * 1024
"""The largest table file (or dataset.json) read: 256 MiB, far above any trial's size."""


def too_large_text() -> str:
    """The refusal of a file above :data:`MAX_FILE_BYTES`, stating the limit."""
    return f"got a larger file, expected {limit_text(MAX_FILE_BYTES)}"


def read_table_file(path: Path, table: str, out: Problems) -> pd.DataFrame | None:
    """The frame held by ``path`` (Parquet typed, CSV as text), or ``None`` after a problem.

    CSV cells are strings, an empty cell is ``""``; blank lines are skipped.
    """
    try:
        content = read_bounded(path, MAX_FILE_BYTES)
    except OSError as error:
        out.add(table, None, f"cannot be read ({error.strerror or error})")
        return None
    if content is None:
        out.add(table, None, too_large_text())
        return None
    if path.suffix == ".parquet":
        return _read_parquet(content, table, out)
    return _read_csv(content, table, out)


def _read_parquet(content: bytes, table: str, out: Problems) -> pd.DataFrame | None:
    try:
        return pd.read_parquet(io.BytesIO(content))
    except (OSError, ValueError, TypeError, pa.ArrowException) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        out.add(table, None, f"got a file that is not readable Parquet ({reason})")
        return None


def _read_csv(content: bytes, table: str, out: Problems) -> pd.DataFrame | None:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        out.add(
            table,
            None,
            f"got byte {error.object[error.start]:#04x} at offset {error.start}, "
            "expected UTF-8 text (save the file as UTF-8)",
        )
        return None
    try:
        rows = [row for row in csv.reader(text.splitlines()) if row]
    except csv.Error as error:
        out.add(table, None, f"got malformed CSV ({error})")
        return None
    if not rows:
        out.add(table, None, "got an empty file, expected a header row")
        return None
    header, body = rows[0], rows[1:]
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        out.add(
            table,
            None,
            f"got the header names {', '.join(repeated)} more than once, expected each once",
        )
        return None
    ok = True
    for row, fields in enumerate(body):
        if len(fields) != len(header):
            ok = False
            out.add(
                table,
                row,
                f"got {len(fields)} fields, expected {len(header)} (one per header column)",
            )
    if not ok:
        return None
    return pd.DataFrame(body, columns=header, dtype=object)


__all__ = ["MAX_FILE_BYTES", "read_table_file", "too_large_text"]
