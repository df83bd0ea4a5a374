"""Pin the public API of the dataset package's modules (STYLE.md 12)."""

from __future__ import annotations

from mmntrial.dataset import io, schema, table_files


def test_schema_exports() -> None:
    assert {"Dataset", "DatasetMeta", "TABLES", "SCHEMA_VERSION", "validate"} <= set(schema.__all__)
    for name in schema.__all__:
        assert hasattr(schema, name), name


def test_io_exports() -> None:
    assert sorted(io.__all__) == [
        "DATASET_FILES",
        "FORMATS",
        "META_FILE",
        "detect_format",
        "read_dataset",
        "write_dataset",
        "write_tables",
    ]


def test_table_files_exports() -> None:
    assert sorted(table_files.__all__) == ["MAX_FILE_BYTES", "read_table_file", "too_large_text"]
