"""A SHA-256 fingerprint of a dataset's content, the same for its Parquet and CSV copies.

File bytes would differ between Parquet and CSV, between two Parquet writers, and with
row order, so the hash is taken of the canonical content instead. The recipe, which
anyone can re-implement to check a published report:

1. Take the tables in schema order (screening, subjects, infusions, assessments,
   deteriorations, adverse_events, labs, conmeds, dispositions) and each table's
   columns in schema order (``docs/dataset.md``).
2. Write each value as JSON according to its column's schema type: null as ``null``;
   ``str`` as a JSON string (UTF-8, non-ASCII characters kept, not escaped); ``int`` as
   the decimal integer; ``float`` as Python's shortest round-trip ``repr`` (``70.0``,
   ``0.35``, ``1e-05``); ``bool`` as ``true``/``false``.
3. Write each row as a JSON array of its values, comma-separated without spaces,
   ``[...]``; sort the rows of each table as strings (by code point), because row
   order carries no meaning in the schema.
4. Feed SHA-256 with, per table, the line ``#table <name>``, the line
   ``#columns <c1>,<c2>,...``, then one line per row; every line ends with ``\\n``.

The metadata file ``dataset.json`` is not hashed: its creation time changes when the
same data are written again, and the protocol it names is reported beside the hash.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence

import pandas as pd

from mmntrial.dataset.schema import TABLES, Column, Dataset
from mmntrial.errors import DatasetError

HASH_NAME = "SHA-256 of the canonical table content"


def _is_null(value: object) -> bool:
    try:
        return bool(pd.isna(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):  # an array-like cell is not a null
        return False


def _encode(value: object, column: Column, table: str) -> str:
    if _is_null(value):
        return "null"
    try:
        if column.dtype == "str":
            return json.dumps(str(value), ensure_ascii=False)
        if column.dtype == "int":
            number = float(value)  # type: ignore[arg-type]
            if not number.is_integer():
                raise ValueError(f"{value!r} is not a whole number")
            return str(int(number))
        if column.dtype == "float":
            number = float(value)  # type: ignore[arg-type]
            if math.isinf(number):
                return "Infinity" if number > 0 else "-Infinity"
            # -0.0 and 0.0 are the same measurement; CSV writers may drop the sign.
            return repr(number + 0.0)
        return "true" if bool(value) else "false"
    except (TypeError, ValueError) as error:
        raise DatasetError(
            f"{table}.{column.name}: got {value!r}, expected a {column.dtype} value to hash "
            f"({error})"
        ) from error


def canonical_lines(tables: Mapping[str, pd.DataFrame]) -> Iterable[str]:
    """The lines that are hashed (step 4 of the recipe), table by table.

    >>> frames = {"dispositions": pd.DataFrame({"subject_id": ["S2", "S1"],
    ...     "status": ["withdrawn", "completed"], "day": [120, 365],
    ...     "reason": ["adverse event", None]})}
    >>> print("".join(line for line in canonical_lines(frames) if "dispositions" in line
    ...     or line.startswith("[")), end="")
    #table dispositions
    ["S1","completed",365,null]
    ["S2","withdrawn",120,"adverse event"]
    """
    for spec in TABLES:
        frame = tables.get(spec.name)
        names = spec.column_names
        yield f"#table {spec.name}\n"
        yield f"#columns {','.join(names)}\n"
        if frame is None or frame.empty:
            continue
        missing = [name for name in names if name not in frame.columns]
        if missing:
            raise DatasetError(
                f"{spec.name}: got columns {list(frame.columns)!r}, expected also {missing!r}"
            )
        columns: Sequence[Column] = spec.columns
        rows = [
            "["
            + ",".join(_encode(v, c, spec.name) for v, c in zip(row, columns, strict=True))
            + "]"
            for row in frame[list(names)].itertuples(index=False, name=None)
        ]
        yield from (f"{row}\n" for row in sorted(rows))


def tables_hash(tables: Mapping[str, pd.DataFrame]) -> str:
    """SHA-256 (hex) of the canonical content of ``tables``; a missing table counts as empty."""
    digest = hashlib.sha256()
    for line in canonical_lines(tables):
        digest.update(line.encode("utf-8"))
    return digest.hexdigest()


def dataset_hash(dataset: Dataset) -> str:
    """SHA-256 (hex) of the canonical content of every table of ``dataset``."""
    return tables_hash(dataset.tables())


__all__ = ["HASH_NAME", "canonical_lines", "dataset_hash", "tables_hash"]
