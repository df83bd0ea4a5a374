"""Read and write a trial dataset directory: one file per table plus ``dataset.json``.

Writing is atomic (:func:`mmntrial.atomic.replacing_folder`): every file goes into a
staging folder beside the target, which replaces it whole only when all files are on
disk, so a crash or an error leaves the old dataset or the new, never half of one.
Reading detects the format (Parquet or CSV), converts each column to the schema's dtype
and validates the whole dataset, reporting every problem with its table and row at once;
a file that cannot be read (not Parquet, not UTF-8, a row with a field too many, larger
than 256 MiB) is one of those problems (:mod:`mmntrial.dataset.table_files`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import pandas as pd

from mmntrial.atomic import replacing_folder
from mmntrial.dataset.checks import Problems, collect
from mmntrial.dataset.convert import parse_csv_table
from mmntrial.dataset.schema import (
    META_FIELDS,
    OPTIONAL_META_FIELDS,
    TABLE_NAMES,
    TABLES,
    Dataset,
    DatasetMeta,
    empty_table,
)
from mmntrial.dataset.table_files import MAX_FILE_BYTES, read_table_file, too_large_text
from mmntrial.errors import DatasetError
from mmntrial.inputs import read_bounded

if TYPE_CHECKING:
    from mmntrial.protocol.model import Protocol

Format = Literal["parquet", "csv"]
FORMATS: tuple[Format, ...] = ("parquet", "csv")
META_FILE = "dataset.json"
# Every name a dataset folder may hold: a folder holding only these can be replaced whole.
DATASET_FILES = frozenset(
    {META_FILE, *(f"{name}.{fmt}" for name in TABLE_NAMES for fmt in FORMATS)}
)


def _write_table(frame: pd.DataFrame, path: Path, fmt: Format) -> None:
    """Write one table; a seam the tests replace to simulate a failure mid-write."""
    if fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        # Empty cells stand for null; bools are written as true/false.
        text = frame.copy()
        for column in text.columns:
            if pd.api.types.is_bool_dtype(text[column].dtype):
                text[column] = text[column].map({True: "true", False: "false"})
        text.to_csv(path, index=False, na_rep="", lineterminator="\n")


def write_dataset(
    dataset: Dataset,
    directory: str | Path,
    format: Format = "parquet",
    *,
    overwrite: bool = False,
) -> Path:
    """Write ``dataset`` to ``directory`` atomically; return the directory.

    Refuses a non-empty directory unless ``overwrite=True``, which replaces a dataset
    directory whole (one that holds only the files of a dataset, see ``DATASET_FILES``).

    >>> import tempfile, pathlib
    >>> from tests.dataset.factory import make_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     out = write_dataset(make_dataset(), pathlib.Path(tmp) / "trial", "csv")
    ...     sorted(p.name for p in out.iterdir())[:3]
    ['adverse_events.csv', 'assessments.csv', 'conmeds.csv']
    """
    if format not in FORMATS:
        raise DatasetError(f"format: got {format!r}, expected one of {', '.join(FORMATS)}")
    target = Path(directory)
    if target.exists() and not target.is_dir():
        raise DatasetError(f"{target}: exists and is not a directory; choose another path")
    if target.is_dir() and any(target.iterdir()) and not overwrite:
        raise DatasetError(
            f"{target}: directory is not empty; choose an empty one or pass overwrite=True"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with replacing_folder(target, owned=DATASET_FILES if overwrite else ()) as staging:
        write_tables(dataset, staging, format)
    return target


def write_tables(dataset: Dataset, staging: Path, format: Format) -> None:
    """Write the table files and ``dataset.json`` into ``staging``, the staging folder of
    a caller's :func:`mmntrial.atomic.replacing_folder` (this writes nothing atomically
    itself: a caller that checks the dataset before it replaces its target stages it
    once, not twice)."""
    for name in TABLE_NAMES:
        _write_table(dataset.table(name), staging / f"{name}.{format}", format)
    meta_text = json.dumps(dataset.meta.to_json_dict(), indent=2) + "\n"
    (staging / META_FILE).write_text(meta_text, encoding="utf-8")


def detect_format(directory: str | Path) -> Format:
    """The format of the dataset in ``directory``: ``parquet`` or ``csv``."""
    folder = Path(directory)
    if not folder.is_dir():
        raise DatasetError(f"{folder}: got no such directory, expected a dataset directory")
    found = [fmt for fmt in FORMATS if any(folder.glob(f"*.{fmt}"))]
    if len(found) != 1:
        got = "both Parquet and CSV files" if found else "no .parquet or .csv files"
        raise DatasetError(
            f"{folder}: got {got}, expected one file per table, all Parquet or all CSV"
        )
    return found[0]


def _read_meta(folder: Path, out: Problems) -> DatasetMeta:
    path = folder / META_FILE
    fallback = DatasetMeta(protocol="", source="", created_utc="", software_version="")
    try:
        content = read_bounded(path, MAX_FILE_BYTES)
        if content is None:
            out.add(META_FILE, None, too_large_text())
            return fallback
        data = json.loads(content.decode("utf-8"))
    except (OSError, ValueError) as error:
        out.add(META_FILE, None, f"cannot be read ({error}); expected a JSON object")
        return fallback
    except RecursionError:
        out.add(META_FILE, None, "got JSON nested too deeply to read, expected a JSON object")
        return fallback
    names = [name for name, _, _ in META_FIELDS]
    if not isinstance(data, dict):
        out.add(META_FILE, None, f"got {type(data).__name__}, expected a JSON object")
        return fallback
    missing = [n for n in names if n not in data and n not in OPTIONAL_META_FIELDS]
    extra = sorted(set(data) - set(names))
    if missing:
        out.add(META_FILE, None, f"missing field(s) {', '.join(missing)}")
    if extra:
        out.add(META_FILE, None, f"got extra field(s) {', '.join(extra)}")
    for name in names:
        # seed, protocol_sha256 and provenance are typed by check_meta (null allowed).
        if name in ("seed", *OPTIONAL_META_FIELDS) or name not in data:
            continue
        if isinstance(data[name], str):
            continue
        out.add(META_FILE, None, f"{name}: got {data[name]!r}, expected a string")
        data[name] = str(data[name])
    known = {n: data[n] for n in names if n in data}
    return DatasetMeta(**{**fallback.to_json_dict(), **known})


def _read_frames(folder: Path, fmt: Format, out: Problems) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    present = {p.stem for p in folder.glob(f"*.{fmt}")}
    for extra in sorted(present - set(TABLE_NAMES)):
        out.add(f"{extra}.{fmt}", None, f"got an unknown table; expected {', '.join(TABLE_NAMES)}")
    for table in TABLES:
        path = folder / f"{table.name}.{fmt}"
        if not path.is_file():
            out.add(table.name, None, f"missing file {path.name}")
            frames[table.name] = pd.DataFrame(columns=list(table.column_names))
            continue
        raw = read_table_file(path, table.name, out)
        if raw is None:  # unreadable: reported; an empty table keeps the other checks going
            frames[table.name] = empty_table(table.name)
        elif fmt == "parquet":
            frames[table.name] = raw
        else:
            frames[table.name] = parse_csv_table(table.name, raw, out)
    return frames


def read_dataset(directory: str | Path, protocol: Protocol | None = None) -> Dataset:
    """Read and validate the dataset in ``directory`` (Parquet or CSV, detected).

    The protocol named in ``dataset.json`` is loaded if it is a built-in one; pass
    ``protocol`` for any other. Raises DatasetError listing every problem (table, row
    or CSV line, and what was expected), capped at 20 lines.

    >>> import tempfile, pathlib
    >>> from tests.dataset.factory import make_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = write_dataset(make_dataset(), pathlib.Path(tmp) / "trial")
    ...     len(read_dataset(path).subjects)
    6
    """
    folder = Path(directory)
    fmt = detect_format(folder)
    out = Problems(csv=fmt == "csv")
    meta = _read_meta(folder, out)
    frames = _read_frames(folder, fmt, out)
    collect(meta, frames, protocol, out).raise_if_any(f"dataset {folder}")
    return Dataset(meta=meta, protocol=protocol, **frames)


__all__ = [
    "DATASET_FILES",
    "FORMATS",
    "META_FILE",
    "detect_format",
    "read_dataset",
    "write_dataset",
    "write_tables",
]
