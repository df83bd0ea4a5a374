"""The DSMB's counts: pooled (open) and by arm (closed), on the factory dataset's truth."""

from __future__ import annotations

import pandas as pd

from mmntrial.analysis.dsmb import (
    NO_VALUE,
    NOT_GRADED,
    POOLED,
    dsmb_counts,
    rules_fired,
    shift_tables,
)
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from tests.dataset.factory import SUBJECTS, make_dataset

SAFETY = load_protocol("piepers-2007").safety


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


def _one_low_neutrophil() -> Dataset:
    """Every subject's neutrophils normal on day 0; S05 (mmf) 1.0 on day 30, below the
    protocol's 1.3 but CTCAE grade 2 only; S02 (placebo) an ALT without its ULN."""
    data = make_dataset()
    normal = [(s, 0, "neutrophils", 4.0, "10^9/L", 2.0, 7.5, 0) for s in SUBJECTS]
    labs = pd.DataFrame(
        [
            *normal,
            ("S05", 30, "neutrophils", 1.0, "10^9/L", 2.0, 7.5, 2),
            ("S02", 30, "alt", 30.0, "U/L", 7.0, None, None),
        ],
        columns=list(data.labs.columns),
    )
    return _with(data, labs=labs)


def test_one_low_neutrophil_is_one_subject_of_its_arm() -> None:
    fired = rules_fired(_one_low_neutrophil(), SAFETY, closed=True)
    assert fired.groups == {"mmf": 3, "placebo": 3}
    low = fired.counts.loc["neutrophils_low"]
    assert low[["mmf subjects", "mmf findings"]].tolist() == [1, 1]
    assert low[["placebo subjects", "placebo findings"]].tolist() == [0, 0]
    # Grade 2 does not fire the grade-3 rule; the ALT without a ULN could not be graded.
    grade_3 = fired.counts.loc["lab_grade_3"]
    assert grade_3[["mmf findings", "placebo findings"]].tolist() == [0, 0]
    assert grade_3[["mmf could not evaluate", "placebo could not evaluate"]].tolist() == [0, 1]
    assert list(fired.counts.index) == [rule.id for rule in SAFETY.rules]
    assert int(fired.counts.drop(index=["neutrophils_low", "lab_grade_3"]).to_numpy().sum()) == 0


def test_the_open_count_of_rules_has_no_arm() -> None:
    fired = rules_fired(_one_low_neutrophil(), SAFETY, closed=False)
    assert fired.groups == {POOLED: 6}
    assert fired.counts.loc["neutrophils_low", f"{POOLED} subjects"] == 1
    assert not any("mmf" in c or "placebo" in c for c in fired.counts.columns)


def test_an_adverse_event_and_an_infusion_fire_their_rules_on_study_days() -> None:
    data = _one_low_neutrophil()
    events = data.adverse_events.copy()
    events.loc[events["ae_id"] == "AE2", "term"] = "new confusion"
    # S04 (placebo) is infused on day 112: haemoglobin 13.0 that day, 11.5 five days on.
    labs = pd.concat(
        [
            data.labs,
            pd.DataFrame(
                [
                    ("S04", 112, "haemoglobin", 13.0, "g/dL", 12.0, 16.0, 0),
                    ("S04", 117, "haemoglobin", 11.5, "g/dL", 12.0, 16.0, 1),
                ],
                columns=list(data.labs.columns),
            ),
        ],
        ignore_index=True,
    )
    assert 112 in data.infusions.loc[data.infusions["subject_id"] == "S04", "day"].tolist()
    fired = rules_fired(_with(data, adverse_events=events, labs=labs), SAFETY, closed=True)
    assert fired.counts.loc["pml_alert", "placebo subjects"] == 1
    assert fired.counts.loc["haemolysis_check", "placebo findings"] == 1
