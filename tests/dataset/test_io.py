"""Reading and writing dataset directories: round trips, atomic writes, read errors."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from mmntrial.dataset import io
from mmntrial.dataset.io import detect_format, read_dataset, write_dataset
from mmntrial.dataset.schema import TABLE_NAMES, Dataset
from mmntrial.errors import DatasetError, OutputError
from tests.dataset.factory import make_dataset


def _assert_same(a: Dataset, b: Dataset) -> None:
    assert a.meta == b.meta
    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(a.table(name), b.table(name), check_exact=True)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip(tmp_path: Path, fmt: io.Format) -> None:
    dataset = make_dataset()
    path = write_dataset(dataset, tmp_path / "trial", fmt)
    assert sorted(p.name for p in path.iterdir()) == sorted(
        [f"{n}.{fmt}" for n in TABLE_NAMES] + ["dataset.json"]
    )
    assert detect_format(path) == fmt
    _assert_same(dataset, read_dataset(path))


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_round_trip_of_empty_tables(tmp_path: Path, fmt: io.Format) -> None:
    dataset = make_dataset(deteriorations=False)
    assert dataset.deteriorations.empty
    _assert_same(dataset, read_dataset(write_dataset(dataset, tmp_path / "t", fmt)))


def test_metadata_file(tmp_path: Path) -> None:
    path = write_dataset(make_dataset(), tmp_path / "trial")
    data = json.loads((path / "dataset.json").read_text(encoding="utf-8"))
    assert data == {
        "schema_version": "2",
        "protocol": "piepers-2007",
        "source": "simulated",
        "created_utc": "2025-01-31T12:00:00Z",
        "software_version": "test",
        "seed": 1,
        "notes": "tests/dataset/factory.py",
    }


def test_refuses_a_non_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "trial"
    target.mkdir()
    (target / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"directory is not empty; .* overwrite=True"):
        write_dataset(make_dataset(), target)
    assert (target / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_writes_into_an_existing_empty_directory(tmp_path: Path) -> None:
    target = tmp_path / "trial"
    target.mkdir()
    write_dataset(make_dataset(), target, "csv")
    assert detect_format(target) == "csv"


def test_overwrite_replaces_the_whole_directory(tmp_path: Path) -> None:
    target = write_dataset(make_dataset(), tmp_path / "trial", "parquet")
    write_dataset(make_dataset(), target, "csv", overwrite=True)
    assert detect_format(target) == "csv"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial"]


def _fail_on_third_table(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    written: list[Path] = []
    real = io._write_table

    def flaky(frame: pd.DataFrame, path: Path, fmt: io.Format) -> None:
        if len(written) == 2:
            raise OSError("disk full")
        real(frame, path, fmt)
        written.append(path)

    monkeypatch.setattr(io, "_write_table", flaky)
    return written


def test_a_failure_mid_write_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    written = _fail_on_third_table(monkeypatch)
    with pytest.raises(OutputError, match="disk full"):
        write_dataset(make_dataset(), tmp_path / "trial", "csv")
    assert len(written) == 2  # the failure really came mid-write
    assert list(tmp_path.iterdir()) == []  # no target, no staging directory, no file


def test_a_failure_mid_overwrite_keeps_the_old_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_dataset(make_dataset(), tmp_path / "trial", "parquet")
    _fail_on_third_table(monkeypatch)
    with pytest.raises(OutputError, match="disk full"):
        write_dataset(make_dataset(), target, "csv", overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial"]
    assert detect_format(target) == "parquet"
    _assert_same(make_dataset(), read_dataset(target))


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="format: got 'xlsx', expected one of parquet, csv"):
        write_dataset(make_dataset(), tmp_path / "t", "xlsx")  # type: ignore[arg-type]


def test_a_lab_range_upside_down_names_its_csv_line(tmp_path: Path) -> None:
    path = write_dataset(make_dataset(), tmp_path / "trial", "csv")
    frame = pd.read_csv(path / "labs.csv", dtype=str, keep_default_na=False)
    frame.loc[0, ["lln", "uln"]] = ["5.0", "4.0"]
    frame.to_csv(path / "labs.csv", index=False)
    with pytest.raises(DatasetError) as caught:
        read_dataset(path)
    assert "labs.csv line 2: lln: got 5.0, expected below uln 4.0" in str(caught.value)


def test_csv_cells_that_do_not_parse_name_the_line(tmp_path: Path) -> None:
    path = write_dataset(make_dataset(), tmp_path / "trial", "csv")
    frame = pd.read_csv(path / "dispositions.csv", dtype=str, keep_default_na=False)
    frame.loc[1, "day"] = "three hundred"
    frame.loc[2, "status"] = "escaped"
    frame.to_csv(path / "dispositions.csv", index=False)
    with pytest.raises(DatasetError) as caught:
        read_dataset(path)
    message = str(caught.value)
    assert message.startswith(f"dataset {path}: 2 problems")
    # Line 1 is the header: row 1 is line 3.
    assert "dispositions.csv line 3: day: got 'three hundred', expected a whole number" in message
    assert "dispositions.csv line 4: status: got 'escaped', expected one of completed," in message


def test_missing_table_file_and_metadata_field(tmp_path: Path) -> None:
    path = write_dataset(make_dataset(), tmp_path / "trial")
    (path / "labs.parquet").unlink()
    meta = json.loads((path / "dataset.json").read_text(encoding="utf-8"))
    del meta["seed"]
    meta["owner"] = "me"
    (path / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        read_dataset(path)
    message = str(caught.value)
    assert "labs: missing file labs.parquet" in message
    assert "dataset.json: missing field(s) seed" in message
    assert "dataset.json: got extra field(s) owner" in message


def test_the_protocol_hash_and_provenance_round_trip_and_are_checked(tmp_path: Path) -> None:
    data = make_dataset()
    meta = dataclasses.replace(
        data.meta, protocol_sha256="ab" * 32, provenance={"kind": "dataset", "seed": 1}
    )
    stamped = dataclasses.replace(data, meta=meta)
    for fmt in ("parquet", "csv"):
        again = read_dataset(write_dataset(stamped, tmp_path / fmt, fmt))
        assert (again.meta.protocol_sha256, again.meta.provenance) == (
            "ab" * 32,
            {"kind": "dataset", "seed": 1},
        )
    path = tmp_path / "parquet"
    written = json.loads((path / "dataset.json").read_text(encoding="utf-8"))
    written.update(protocol_sha256="piepers", provenance=[1])
    (path / "dataset.json").write_text(json.dumps(written), encoding="utf-8")
    with pytest.raises(DatasetError) as caught:
        read_dataset(path)
    message = str(caught.value)
    assert "protocol_sha256: got 'piepers', expected 64 lowercase hexadecimal digits" in message
    assert "provenance: got [1], expected a JSON object or null" in message


def test_mixed_formats_are_refused(tmp_path: Path) -> None:
    path = write_dataset(make_dataset(), tmp_path / "trial")
    (path / "extra.csv").write_text("a\n1\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="got both Parquet and CSV files"):
        read_dataset(path)


def test_not_a_dataset_directory(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="got no such directory"):
        read_dataset(tmp_path / "nowhere")
    with pytest.raises(DatasetError, match=r"got no \.parquet or \.csv files"):
        read_dataset(tmp_path)


def test_overwrite_refuses_a_directory_holding_more_than_a_dataset(tmp_path: Path) -> None:
    target = write_dataset(make_dataset(), tmp_path / "trial", "parquet")
    (target / "analysis-notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputError, match=r"also holds analysis-notes.txt"):
        write_dataset(make_dataset(), target, "csv", overwrite=True)
    assert (target / "analysis-notes.txt").read_text(encoding="utf-8") == "mine"
    assert detect_format(target) == "parquet"
