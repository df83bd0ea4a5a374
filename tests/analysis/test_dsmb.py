"""The DSMB's counts: pooled (open) and by arm (closed), on the factory dataset's truth."""

from __future__ import annotations

import pandas as pd

from mmntrial.analysis.dsmb import NO_VALUE, NOT_GRADED, POOLED, dsmb_counts, shift_tables
from mmntrial.dataset.schema import Dataset
from tests.dataset.factory import make_dataset


def _with(dataset: Dataset, **frames: pd.DataFrame) -> Dataset:
    return Dataset.from_frames(dataset.meta, {**dataset.tables(), **frames})


def test_open_counts_have_one_pooled_group() -> None:
    counts = dsmb_counts(make_dataset(), closed=False)
    assert counts.groups == {POOLED: 6}
    assert counts.disposition[POOLED].to_dict() == {"randomized": 6, "completed": 5, "withdrawn": 1}
    assert counts.deteriorations.loc["confirmed deteriorations", POOLED] == 4


def test_closed_counts_are_by_arm() -> None:
    counts = dsmb_counts(make_dataset(), closed=True)
    assert counts.groups == {"mmf": 3, "placebo": 3}
    assert counts.disposition.loc["withdrawn"].to_dict() == {"mmf": 1, "placebo": 0}
    assert counts.worst_grade is not None
    assert counts.worst_grade.by_worst_grade.loc["serious adverse event", "placebo n"] == 1
    exposure = counts.exposure
    assert exposure.loc["infusions"].to_dict() == {"mmf": 35, "placebo": 38}
    pooled = dsmb_counts(make_dataset(), closed=False).exposure
    assert exposure.loc["IVIg given, g"].sum() == pooled.loc["IVIg given, g", POOLED]


def test_adverse_events_by_soc_then_term() -> None:
    table = dsmb_counts(make_dataset(), closed=True).by_soc
    gi = table[table["soc"] == "Gastrointestinal disorders"]
    assert gi["term"].tolist() == ["", "diarrhoea"]
    assert gi.iloc[0]["mmf n"] == 1
    assert gi.iloc[0]["placebo n"] == 0


def test_unmapped_term_is_shown_under_its_own_name() -> None:
    data = make_dataset()
    events = data.adverse_events.copy()
    events.loc[0, "term"] = "tinnitus"
    table = dsmb_counts(_with(data, adverse_events=events), closed=False).by_soc
    row = table[table["term"] == "tinnitus"]
    assert row["soc"].tolist() == ["Term not mapped to a SOC"]


def test_shift_baseline_is_the_last_value_before_day_0_graded_or_not() -> None:
    labs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S1", "S2", "S2", "S3"],
            "day": [-10, 0, 30, 0, 60, 30],
            "test": ["neutrophils"] * 6,
            "grade": [2, None, 3, 0, 1, None],
        }
    )
    group = pd.Series(["a", "a", "a"], index=["S1", "S2", "S3"])
    (table,) = shift_tables(labs, group)
    counts = table.counts
    # S1: baseline not graded (day 0 wins over day -10's grade 2), worst 3.
    assert counts.loc[NOT_GRADED, "3"] == 1
    assert counts.loc["0", "1"] == 1
    # S3: no baseline value, an ungraded value after day 0.
    assert counts.loc[NO_VALUE, NOT_GRADED] == 1
    assert int(counts.to_numpy().sum()) == 3


def test_a_test_ctcae_does_not_grade_has_no_shift_table() -> None:
    labs = pd.DataFrame(
        {
            "subject_id": ["S1", "S1", "S1"],
            "day": [0, 30, 30],
            "test": ["igg", "igg", "wbc"],
            "grade": [None, None, 0],
        }
    )
    tables = shift_tables(labs, pd.Series(["a"], index=["S1"]))
    assert [t.test for t in tables] == ["wbc"]
