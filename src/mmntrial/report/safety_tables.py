"""The safety section's tables as a reader wants them: headed columns, words, one decimal.

The plan counts subjects by worst CTCAE grade and by term
(:class:`~mmntrial.analysis.safety.SafetySummary`); this module lays those counts out
as "n (%)" cells per arm and lists the adverse events themselves: one row per event,
sorted by arm, subject, onset and term, with the relatedness and the outcome in words
(never a pandas index, ``True``/``False`` or ``nan``). An empty table says "none".
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from mmntrial.analysis.result import PERCENT
from mmntrial.analysis.safety import SafetySummary

# The schema's relatedness and action codes (mmntrial.dataset.schema.AE_RELATED,
# AE_ACTIONS) in words.
_RELATED = {"study_drug": "study drug", "ivig": "IVIg", "none": "not related"}
_ACTIONS = {"none": "none", "interrupted": "interrupted", "discontinued": "discontinued"}
LISTING_COLUMNS = (
    "Subject",
    "Arm",
    "Onset, study day",
    "Term",
    "CTCAE grade",
    "Serious",
    "Related to",
    "Study drug",
    "Outcome",
)
_LISTING_NUMERIC = ("Onset, study day", "CTCAE grade")


@dataclass(frozen=True)
class SafetyTable:
    """One table of the safety section: caption, column headings, rows of text cells.

    ``numeric`` names the columns set right-aligned; a table without rows is printed
    as its caption and "none".
    """

    caption: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[str, ...] = ()


def _n_percent(n: int, total: int) -> str:
    return f"{n} ({PERCENT.format(100.0 * n / total)})"


def _counts(
    caption: str, first: str, table: pd.DataFrame, summary: SafetySummary, labels: Mapping[str, str]
) -> SafetyTable:
    arms = list(summary.n_per_arm)
    columns = (first, *(f"{labels.get(a, a)}, n (%)" for a in arms))
    rows = tuple(
        (str(index), *(_n_percent(int(row[f"{a} n"]), summary.n_per_arm[a]) for a in arms))
        for index, row in table.iterrows()
    )
    return SafetyTable(caption, columns, rows, numeric=columns[1:])


def grade_table(summary: SafetySummary, labels: Mapping[str, str]) -> SafetyTable:
    """Subjects with any adverse event, by worst CTCAE grade, and with a serious one."""
    return _counts(
        "Subjects by worst CTCAE grade", "Subjects with", summary.by_worst_grade, summary, labels
    )


def term_table(summary: SafetySummary, labels: Mapping[str, str]) -> SafetyTable:
    """Subjects by adverse-event term, with the subjects at grade 3 or worse per arm."""
    counts = _counts("Subjects by adverse-event term", "Term", summary.by_term, summary, labels)
    arms = list(summary.n_per_arm)
    severe = tuple(f"{labels.get(a, a)}, grade ≥ 3, n" for a in arms)
    rows = tuple(
        (*cells, *(str(int(row[f"{a} grade>=3 n"])) for a in arms))
        for cells, (_, row) in zip(counts.rows, summary.by_term.iterrows(), strict=True)
    )
    return SafetyTable(counts.caption, (*counts.columns, *severe), rows, (*counts.numeric, *severe))


def _outcome(day_resolved: Any) -> str:
    # A missing day (None, NaN or pd.NA) means the event had not resolved when data closed.
    if pd.isna(day_resolved):
        return "not resolved"
    return f"resolved, day {int(day_resolved)}"


def listing(
    events: pd.DataFrame,
    subjects: pd.DataFrame,
    labels: Mapping[str, str],
    *,
    serious_only: bool,
) -> SafetyTable:
    """The adverse events (or only the serious ones), one row per event.

    >>> events = pd.DataFrame({"subject_id": ["S2", "S1"], "ae_id": ["a", "b"],
    ...     "term": ["infection", "nausea"], "day_onset": [61, 5], "day_resolved": [71, None],
    ...     "grade": [3, 1], "serious": [True, False], "related_to": ["none", "study_drug"],
    ...     "action_taken": ["none", "interrupted"]})
    >>> subjects = pd.DataFrame({"subject_id": ["S1", "S2"], "arm": ["mmf", "mmf"]})
    >>> table = listing(events, subjects, {"mmf": "MMF"}, serious_only=False)
    >>> table.rows[0]
    ('S1', 'MMF', '5', 'nausea', '1', 'no', 'study drug', 'interrupted', 'not resolved')
    >>> table.rows[1][-4:]
    ('yes', 'not related', 'none', 'resolved, day 71')
    """
    frame = events.merge(subjects[["subject_id", "arm"]], on="subject_id", how="left")
    if serious_only:
        frame = frame[frame["serious"].astype(bool)]
    order = {arm: i for i, arm in enumerate(labels)}
    frame = frame.assign(_arm=frame["arm"].map(order)).sort_values(
        ["_arm", "subject_id", "day_onset", "term"], kind="stable"
    )
    rows = tuple(
        (
            str(event["subject_id"]),
            labels.get(str(event["arm"]), str(event["arm"])),
            str(int(event["day_onset"])),
            str(event["term"]),
            str(int(event["grade"])),
            "yes" if bool(event["serious"]) else "no",
            _RELATED.get(str(event["related_to"]), str(event["related_to"])),
            _ACTIONS.get(str(event["action_taken"]), str(event["action_taken"])),
            _outcome(event["day_resolved"]),
        )
        for event in frame.to_dict("records")
    )
    caption = "Listing of serious adverse events" if serious_only else "Listing of adverse events"
    return SafetyTable(caption, LISTING_COLUMNS, rows, _LISTING_NUMERIC)


def safety_tables(
    summary: SafetySummary | None,
    events: pd.DataFrame,
    subjects: pd.DataFrame,
    labels: Mapping[str, str],
) -> tuple[SafetyTable, ...]:
    """The safety section: counts by worst grade and by term (when the plan made them),
    then the serious adverse events and every adverse event, listed."""
    counts = () if summary is None else (grade_table(summary, labels), term_table(summary, labels))
    return (
        *counts,
        listing(events, subjects, labels, serious_only=True),
        listing(events, subjects, labels, serious_only=False),
    )


__all__ = [
    "LISTING_COLUMNS",
    "SafetyTable",
    "grade_table",
    "listing",
    "safety_tables",
    "term_table",
]
