"""Adverse events by arm and worst grade, and the serious-event listing."""

from __future__ import annotations

import pandas as pd
import pytest

from mmntrial.analysis import AnalysisError, safety_summary


@pytest.fixture
def events() -> pd.DataFrame:
    """Eight events in five subjects; counted by hand in the tests below."""
    return pd.DataFrame(
        {
            "subject": ["s1", "s1", "s1", "s2", "s3", "s4", "s4", "s5"],
            "arm": ["MMF", "MMF", "MMF", "MMF", "MMF", "placebo", "placebo", "placebo"],
            "term": [
                "Infection",
                "Infection",
                "Diarrhoea",
                "Infection",
                "Leukopenia",
                "Headache",
                "Headache",
                "Thrombosis",
            ],
            "grade": [1, 2, 3, 1, 2, 1, 1, 4],
            "serious": [False, False, True, False, False, False, False, True],
            "onset_day": [30, 60, 90, 45, 120, 10, 200, 150],
        }
    )


def test_worst_grade_counts_subjects_once(events: pd.DataFrame) -> None:
    table = safety_summary(events, {"MMF": 14, "placebo": 14}).by_worst_grade
    assert table["MMF n"].tolist() == [3, 1, 1, 1, 0, 0, 1]
    assert table["placebo n"].tolist() == [2, 1, 0, 0, 1, 0, 1]
    assert table.loc["any adverse event", "MMF %"] == pytest.approx(21.4)
    assert list(table.index) == [
        "any adverse event",
        "worst grade 1",
        "worst grade 2",
        "worst grade 3",
        "worst grade 4",
        "worst grade 5",
        "serious adverse event",
    ]


def test_by_term_counts_subjects_and_severe_ones(events: pd.DataFrame) -> None:
    table = safety_summary(events, {"MMF": 14, "placebo": 14}).by_term
    assert table.loc["Infection", "MMF n"] == 2
    assert table.loc["Infection", "placebo n"] == 0
    assert table.loc["Headache", "placebo n"] == 1
    assert table.loc["Diarrhoea", "MMF grade>=3 n"] == 1
    assert table.loc["Thrombosis", "placebo grade>=3 n"] == 1
    assert table.loc["Infection", "MMF grade>=3 n"] == 0
    assert list(table.index) == sorted(table.index)


def test_serious_listing_keeps_every_column(events: pd.DataFrame) -> None:
    listing = safety_summary(events, {"MMF": 14, "placebo": 14}).serious_listing
    assert listing[["subject", "term", "onset_day"]].values.tolist() == [
        ["s1", "Diarrhoea", 90],
        ["s5", "Thrombosis", 150],
    ]


def test_an_arm_without_events_gets_zeros(events: pd.DataFrame) -> None:
    summary = safety_summary(events, {"MMF": 14, "placebo": 14, "IVIg only": 5})
    assert summary.by_worst_grade["IVIg only n"].sum() == 0
    assert summary.by_term["IVIg only grade>=3 n"].sum() == 0


def test_rendering_escapes_and_names_the_arms(events: pd.DataFrame) -> None:
    events.loc[0, "term"] = "<script>alert(1)</script>"
    summary = safety_summary(events, {"MMF": 14, "placebo": 14})
    page = summary.to_html()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    text = summary.summary()
    assert "n MMF 14, placebo 14" in text
    assert text.endswith("Serious adverse events: 2")
    assert summary.to_frame().equals(summary.by_worst_grade)


def test_grade_outside_ctcae_is_refused(events: pd.DataFrame) -> None:
    events.loc[2, "grade"] = 6
    with pytest.raises(
        AnalysisError, match=r"events.grade: got \[6\], expected CTCAE grades 1 to 5"
    ):
        safety_summary(events, {"MMF": 14, "placebo": 14})


def test_missing_column_is_refused(events: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match=r"expected also \['serious'\]"):
        safety_summary(events.drop(columns="serious"), {"MMF": 14, "placebo": 14})


def test_unknown_arm_is_refused(events: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match=r"events.arm: got \['placebo'\]"):
        safety_summary(events, {"MMF": 14, "IVIg": 14})


def test_denominator_smaller_than_subjects_with_events_is_refused(events: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match="arm 'MMF' got 2, but 3 subjects"):
        safety_summary(events, {"MMF": 2, "placebo": 14})


def test_subject_in_two_arms_is_refused(events: pd.DataFrame) -> None:
    events.loc[7, "subject"] = "s1"
    with pytest.raises(AnalysisError, match=r"subject\(s\) \['s1'\] appear in more than one arm"):
        safety_summary(events, {"MMF": 14, "placebo": 14})


def test_missing_grade_is_refused(events: pd.DataFrame) -> None:
    events["grade"] = events["grade"].astype(float)
    events.loc[3, "grade"] = float("nan")
    with pytest.raises(AnalysisError, match="events: got missing values"):
        safety_summary(events, {"MMF": 14, "placebo": 14})


def test_single_arm_is_refused(events: pd.DataFrame) -> None:
    with pytest.raises(AnalysisError, match=r"n_per_arm: got .*expected at least two arms"):
        safety_summary(events, {"MMF": 14})
