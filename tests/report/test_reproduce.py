"""The dataset hash: of the content, so Parquet and CSV copies agree; any change shows."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from mmntrial.dataset.io import read_dataset, write_dataset
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import DatasetError
from mmntrial.report.reproduce import canonical_lines, dataset_hash, tables_hash
from tests.dataset.factory import make_dataset, make_frames


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return make_dataset()


def test_hash_is_sha256_hex(dataset: Dataset) -> None:
    digest = dataset_hash(dataset)
    assert len(digest) == 64
    int(digest, 16)


def test_parquet_and_csv_copies_hash_equal(dataset: Dataset, tmp_path: Path) -> None:
    parquet = read_dataset(write_dataset(dataset, tmp_path / "p", "parquet"))
    csv = read_dataset(write_dataset(dataset, tmp_path / "c", "csv"))
    assert dataset_hash(parquet) == dataset_hash(csv) == dataset_hash(dataset)
    # The files themselves differ, which is why the hash is not of the files.
    assert (tmp_path / "p" / "subjects.parquet").read_bytes() != (
        tmp_path / "c" / "subjects.csv"
    ).read_bytes()


def test_changing_one_value_changes_the_hash(dataset: Dataset) -> None:
    before = dataset_hash(dataset)
    tables = dataset.tables()
    assessments = tables["assessments"].copy()
    assessments.loc[assessments.index[5], "value"] += 0.25
    assert tables_hash({**tables, "assessments": assessments}) != before
    subjects = tables["subjects"].copy()
    subjects.loc[0, "sex"] = "F" if subjects.loc[0, "sex"] == "M" else "M"
    assert tables_hash({**tables, "subjects": subjects}) != before


def test_a_null_differs_from_an_empty_string_and_from_zero(dataset: Dataset) -> None:
    tables = dataset.tables()
    labs = tables["labs"]
    assert labs["grade"].isna().any()
    as_zero = labs.assign(grade=labs["grade"].fillna(0))
    assert tables_hash({**tables, "labs": as_zero}) != tables_hash(tables)


def test_row_order_does_not_matter(dataset: Dataset) -> None:
    tables = dataset.tables()
    shuffled = {name: frame.iloc[::-1] for name, frame in tables.items()}
    assert tables_hash(shuffled) == tables_hash(tables)


def test_moving_a_value_between_rows_changes_the_hash(dataset: Dataset) -> None:
    # Rows are hashed whole: swapping two subjects' weights is a different dataset,
    # even though each column holds the same values.
    tables = dataset.tables()
    subjects = tables["subjects"].copy()
    subjects.loc[[0, 1], "weight_kg"] = subjects.loc[[1, 0], "weight_kg"].to_numpy()
    assert tables_hash({**tables, "subjects": subjects}) != tables_hash(tables)


def test_the_recipe_reimplemented_by_hand_gives_the_same_hash(dataset: Dataset) -> None:
    digest = hashlib.sha256()
    for line in canonical_lines(dataset.tables()):
        digest.update(line.encode("utf-8"))
    assert digest.hexdigest() == dataset_hash(dataset)
    lines = list(canonical_lines(dataset.tables()))
    assert lines[0] == "#table screening\n"
    assert lines[1] == "#columns screening_id,site,screening_day,outcome,reason,subject_id\n"
    assert lines[2] == '["SC01","A",-90,"randomized",null,"S01"]\n'
    subject_rows = [line for line in lines if line.startswith('["S01","A","mmf"')]
    assert subject_rows == [
        '["S01","A","mmf","K001",43.0,"F",70.0,"definite","positive",140.0,28,0.5]\n'
    ]


def test_whole_floats_from_either_file_type_encode_alike() -> None:
    _, frames = make_frames()
    as_int = frames["subjects"].assign(weight_kg=frames["subjects"]["weight_kg"].astype(int))
    assert tables_hash({**frames, "subjects": as_int}) == tables_hash(frames)


def test_a_table_without_a_schema_column_is_refused() -> None:
    _, frames = make_frames()
    broken = {**frames, "labs": frames["labs"].drop(columns=["unit"])}
    with pytest.raises(DatasetError, match=r"labs: got columns .* expected also \['unit'\]"):
        tables_hash(broken)


def test_a_fractional_day_cannot_be_hashed_as_an_integer() -> None:
    _, frames = make_frames()
    broken = {**frames, "labs": frames["labs"].assign(day=frames["labs"]["day"] + 0.5)}
    with pytest.raises(DatasetError, match=r"labs.day: got 0.5, expected a int value"):
        tables_hash(broken)


def test_missing_tables_hash_as_empty() -> None:
    empty = pd.DataFrame()
    assert tables_hash({}) == tables_hash({"labs": empty})
