"""The dataset schema: the spec pinned, validation messages, the generated docs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from mmntrial.dataset.schema import (
    SCHEMA_VERSION,
    TABLE_NAMES,
    TABLES,
    Dataset,
    DatasetMeta,
    schema_markdown,
    table_spec,
    validate,
)
from mmntrial.errors import DatasetError
from mmntrial.protocol.loader import load_protocol
from tests.dataset.factory import make_dataset, make_frames

DOCS = Path(__file__).resolve().parents[2] / "docs" / "dataset.md"

# The column lists of the spec (issue section 1), in order: the schema must not drift.
SPEC_COLUMNS = {
    "screening": "screening_id site screening_day outcome reason subject_id",
    "subjects": "subject_id site arm kit_code age_years sex weight_kg efns_category "
    "anti_gm1_status baseline_dose_g baseline_interval_days baseline_intensity_g_per_kg_week",
    "infusions": "subject_id day dose_g weight_kg interval_days product route action level",
    "assessments": "subject_id visit day measure side value unit",
    "deteriorations": "subject_id day_detected day_confirmed criteria severe level_before "
    "level_after at_baseline",
    "adverse_events": "subject_id ae_id term day_onset day_resolved grade serious related_to "
    "action_taken",
    "labs": "subject_id day test value unit lln uln grade",
    "conmeds": "subject_id medication start_day end_day category",
    "dispositions": "subject_id status day reason",
}
NULLABLE = {
    ("screening", "reason"),
    ("screening", "subject_id"),
    ("infusions", "action"),
    ("infusions", "level"),
    ("assessments", "side"),
    ("adverse_events", "day_resolved"),
    ("labs", "lln"),
    ("labs", "uln"),
    ("labs", "grade"),
    ("conmeds", "end_day"),
    ("dispositions", "reason"),
}


def test_schema_matches_the_spec() -> None:
    assert SCHEMA_VERSION == "2"
    assert tuple(SPEC_COLUMNS) == TABLE_NAMES
    for table in TABLES:
        assert table.column_names == tuple(SPEC_COLUMNS[table.name].split())
        nullable = {(table.name, c.name) for c in table.columns if c.nullable}
        assert nullable == {k for k in NULLABLE if k[0] == table.name}
    assert table_spec("deteriorations").column("severe").dtype == "bool"
    assert table_spec("adverse_events").column("grade").allowed == ("1", "2", "3", "4", "5")


def test_docs_are_generated_from_the_schema() -> None:
    command = "uv run python -m mmntrial.dataset.schema > docs/dataset.md"
    current = DOCS.read_text(encoding="utf-8") if DOCS.exists() else ""
    assert current == schema_markdown(), f"docs/dataset.md is stale; regenerate it: {command}"


def test_docs_name_every_table_and_column() -> None:
    text = schema_markdown()
    for table in TABLES:
        assert f"## {table.name}" in text
        for column in table.columns:
            assert f"| `{column.name}` |" in text


def test_factory_dataset_is_valid() -> None:
    dataset = make_dataset()
    validate(dataset)  # raises on any problem
    assert len(dataset.subjects) == 6
    assert dataset.table("screening").equals(dataset.screening)
    assert list(dataset.tables()) == list(TABLE_NAMES)


def _error(frames: dict[str, pd.DataFrame], meta: DatasetMeta | None = None) -> str:
    base_meta, _ = make_frames()
    with pytest.raises(DatasetError) as caught:
        Dataset.from_frames(meta or base_meta, frames)
    return str(caught.value)


def _frames() -> dict[str, pd.DataFrame]:
    return make_frames()[1]


def test_missing_and_extra_columns() -> None:
    frames = _frames()
    frames["labs"] = frames["labs"].drop(columns="unit").assign(comment="x")
    message = _error(frames)
    assert "labs: missing column(s) unit" in message
    assert "labs: got extra column(s) comment; expected only subject_id, day," in message


def test_wrong_dtype_names_column_and_dtypes() -> None:
    frames = _frames()
    frames["subjects"]["weight_kg"] = "heavy"
    message = _error(frames)
    assert "subjects: column weight_kg: got dtype object, expected float (float64)" in message


def test_null_in_a_required_column() -> None:
    frames = _frames()
    frames["infusions"].loc[4, "product"] = None
    message = _error(frames)
    assert "infusions row 4 (0-based): product: got null, expected a value" in message


def test_value_outside_its_allowed_set() -> None:
    frames = _frames()
    frames["subjects"].loc[1, "sex"] = "X"
    frames["adverse_events"].loc[0, "grade"] = 6
    message = _error(frames)
    assert "subjects row 1 (0-based): sex: got 'X', expected one of F, M" in message
    assert "adverse_events row 0 (0-based): grade: got 6, expected one of 1, 2, 3, 4, 5" in message


def test_unit_that_does_not_match_the_measure_or_test() -> None:
    frames = _frames()
    frames["assessments"].loc[1, "unit"] = "kg"  # row 1 is grip_kpa (left)
    frames["labs"].loc[0, "unit"] = "g/L"  # row 0 is neutrophils
    message = _error(frames)
    assert "assessments row 1 (0-based): unit: got 'kg', expected 'kPa' for grip_kpa" in message
    assert "labs row 0 (0-based): unit: got 'g/L', expected '10^9/L' for neutrophils" in message


def test_a_normal_range_upside_down_is_refused() -> None:
    frames = _frames()
    frames["labs"].loc[0, ["lln", "uln"]] = [5.0, 4.0]  # row 0 is neutrophils
    frames["labs"].loc[1, ["lln", "uln"]] = [4.0, 4.0]
    message = _error(frames)
    assert "labs row 0 (0-based): lln: got 5.0, expected below uln 4.0" in message
    assert "labs row 1 (0-based): lln: got 4.0, expected below uln 4.0" in message
    assert "2 problems" in message


def test_side_only_for_grip() -> None:
    frames = _frames()
    frames["assessments"].loc[0, "side"] = "left"  # mrc_sum
    frames["assessments"].loc[1, "side"] = None  # grip_kpa
    message = _error(frames)
    assert "assessments row 0 (0-based): side: got 'left', expected null" in message
    assert "assessments row 1 (0-based): side: got null, expected left or right" in message


def test_unknown_subject_and_missing_disposition() -> None:
    frames = _frames()
    frames["labs"].loc[2, "subject_id"] = "S99"
    frames["dispositions"] = frames["dispositions"].iloc[1:]
    message = _error(frames)
    assert (
        "labs row 2 (0-based): subject_id: got 'S99', expected a subject_id of the subjects table"
        in message
    )
    assert "subjects row 0 (0-based): subject_id: 'S01' has no row in dispositions" in message


def test_day_outside_the_study_range() -> None:
    frames = _frames()
    frames["labs"].loc[0, "day"] = 426  # last visit 365 + 60 = 425
    frames["conmeds"].loc[0, "start_day"] = -91  # first screening day -90
    message = _error(frames)
    span = "expected a study day from -90 (first screening) to 425 (last visit + 60)"
    assert f"labs row 0 (0-based): day: got 426, {span}" in message
    assert f"conmeds row 0 (0-based): start_day: got -91, {span}" in message


def test_protocol_arms_and_visits() -> None:
    frames = _frames()
    frames["subjects"].loc[0, "arm"] = "eculizumab"
    frames["assessments"].loc[0, "visit"] = "M13"
    message = _error(frames)
    assert "arm: got 'eculizumab', expected an arm of piepers-2007 (mmf, placebo)" in message
    assert "visit: got 'M13', expected a visit of piepers-2007, repeat or unscheduled" in message


def test_conditional_reasons_and_subject_ids() -> None:
    frames = _frames()
    frames["screening"].loc[2, "reason"] = None  # excluded
    frames["screening"].loc[6, "subject_id"] = "S01"  # declined
    frames["dispositions"].loc[2, "reason"] = None  # withdrawn
    message = _error(frames)
    assert "screening row 2 (0-based): reason: got null, expected a reason when excluded" in message
    assert "screening row 6 (0-based): subject_id: got 'S01', expected null unless" in message
    assert "dispositions row 2 (0-based): reason: got null, expected a reason unless" in message


def test_metadata_problems() -> None:
    meta, frames = make_frames()
    bad = replace(meta, schema_version="1", source="guessed", created_utc="yesterday")
    message = _error(frames, bad)
    assert "dataset.json: schema_version: got '1', expected '2'" in message
    assert "dataset.json: source: got 'guessed', expected one of simulated, captured" in message
    assert "dataset.json: created_utc: got 'yesterday', expected an ISO-8601 time" in message


def test_unknown_protocol_needs_the_protocol() -> None:
    meta, frames = make_frames()
    message = _error(frames, replace(meta, protocol="my-trial"))
    assert "protocol: got 'my-trial', which is not a built-in protocol" in message
    protocol = replace(load_protocol("piepers-2007"), name="my-trial")
    dataset = Dataset.from_frames(replace(meta, protocol="my-trial"), frames, protocol=protocol)
    assert dataset.meta.protocol == "my-trial"


def test_every_problem_reported_at_once_and_capped() -> None:
    frames = _frames()
    frames["assessments"]["unit"] = "stone"
    message = _error(frames)
    rows = len(frames["assessments"])
    assert message.startswith(f"dataset (piepers-2007): {rows} problems\n")
    assert len(message.splitlines()) == 1 + 20 + 1
    assert message.endswith(f"... and {rows - 20} more")


def test_strict_constructor_refuses_loose_dtypes() -> None:
    meta, frames = make_frames()
    with pytest.raises(DatasetError, match=r"column day: got dtype float64, expected int"):
        Dataset(
            meta=meta, **{**frames, "dispositions": frames["dispositions"].astype({"day": float})}
        )
