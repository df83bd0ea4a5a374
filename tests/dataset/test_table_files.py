"""Broken table files become problems of the dataset, never tracebacks or silent repairs."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.dataset import table_files
from mmntrial.dataset.io import read_dataset, write_dataset
from mmntrial.errors import DatasetError
from tests.dataset.factory import make_dataset


def _written(tmp_path: Path, fmt: str) -> Path:
    return write_dataset(make_dataset(), tmp_path / "trial", fmt)  # type: ignore[arg-type]


def _problem(folder: Path) -> str:
    with pytest.raises(DatasetError) as caught:
        read_dataset(folder)
    return str(caught.value)


def test_garbage_and_truncated_parquet_are_named(tmp_path: Path) -> None:
    folder = _written(tmp_path, "parquet")
    (folder / "labs.parquet").write_bytes(b"not parquet at all")
    whole = (folder / "subjects.parquet").read_bytes()
    (folder / "subjects.parquet").write_bytes(whole[: len(whole) // 2])
    message = _problem(folder)
    assert "labs: got a file that is not readable Parquet" in message
    assert "subjects: got a file that is not readable Parquet" in message


def test_an_empty_and_a_latin_1_csv_are_named(tmp_path: Path) -> None:
    folder = _written(tmp_path, "csv")
    (folder / "labs.csv").write_bytes(b"")
    text = (folder / "conmeds.csv").read_text(encoding="utf-8")
    (folder / "conmeds.csv").write_bytes(text.replace("\n", ",caf\xe9\n", 1).encode("latin-1"))
    message = _problem(folder)
    assert "labs.csv: got an empty file, expected a header row" in message
    assert "conmeds.csv: got byte 0xe9 at offset" in message
    assert "expected UTF-8 text" in message


def test_a_first_row_with_an_extra_field_is_refused_not_shifted(tmp_path: Path) -> None:
    # pandas would make the first column an index and shift every value one column left.
    folder = _written(tmp_path, "csv")
    lines = (folder / "dispositions.csv").read_text(encoding="utf-8").splitlines()
    lines[1] += ",surplus"
    (folder / "dispositions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    message = _problem(folder)
    assert "dispositions.csv line 2: got 5 fields, expected 4 (one per header column)" in message


def test_a_file_above_the_size_limit_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = _written(tmp_path, "csv")
    monkeypatch.setattr(table_files, "MAX_FILE_BYTES", 100)
    message = _problem(folder)
    assert "expected a file of at most 100 bytes" in message


def test_a_deeply_nested_dataset_json_is_a_problem(tmp_path: Path) -> None:
    folder = _written(tmp_path, "csv")
    (folder / "dataset.json").write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    assert "dataset.json: got JSON nested too deeply to read" in _problem(folder)
