"""Safety tables: subjects with adverse events by arm and worst CTCAE grade; SAE listing.

Counts are of subjects, not of events: a subject with three grade-2 infections counts
once under "infection", at the worst grade reached. Percentages use the number of
subjects exposed in each arm (the safety population), which the caller gives, because
subjects without any adverse event have no row in the adverse-event table.
"""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from mmntrial.errors import AnalysisError

REQUIRED_COLUMNS = ("subject", "arm", "term", "grade", "serious")
GRADES = (1, 2, 3, 4, 5)


def _check_events(events: pd.DataFrame, n_per_arm: Mapping[str, int], *, pooled: bool) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in events.columns]
    if missing:
        raise AnalysisError(
            f"events: got columns {list(events.columns)!r}, expected also {missing!r}"
        )
    if pooled and len(n_per_arm) != 1:
        raise AnalysisError(f"n_per_arm: got {dict(n_per_arm)!r}, expected one pooled group")
    if not pooled and len(n_per_arm) < 2:
        raise AnalysisError(f"n_per_arm: got {dict(n_per_arm)!r}, expected at least two arms")
    for arm, n in n_per_arm.items():
        if isinstance(n, bool) or not isinstance(n, int) or n < 1:
            raise AnalysisError(
                f"n_per_arm: arm {arm!r} got {n!r}, expected a whole number of subjects >= 1"
            )
    if events[list(REQUIRED_COLUMNS)].isna().any().any():
        raise AnalysisError(
            "events: got missing values in the columns subject, arm, term, grade or serious, "
            "expected every adverse event complete"
        )
    grades = events["grade"]
    bad = grades[~grades.isin(GRADES) | (grades.astype(float) % 1 != 0)]
    if len(bad):
        raise AnalysisError(
            f"events.grade: got {bad.unique().tolist()!r}, expected CTCAE grades 1 to 5"
        )
    serious = events["serious"]
    if not serious.map(lambda v: isinstance(v, bool) or v in (0, 1)).all():
        raise AnalysisError(
            f"events.serious: got {serious.unique().tolist()!r}, expected True or False"
        )
    unknown = sorted(set(events["arm"].astype(str)) - set(n_per_arm))
    if unknown:
        raise AnalysisError(
            f"events.arm: got {unknown!r}, expected one of {list(n_per_arm)!r} (n_per_arm)"
        )
    arms_per_subject = events.groupby("subject")["arm"].nunique()
    mixed = arms_per_subject[arms_per_subject > 1].index.tolist()
    if mixed:
        raise AnalysisError(
            f"events: subject(s) {mixed!r} appear in more than one arm, expected one arm each"
        )
    with_events = events.groupby("arm")["subject"].nunique()
    for label, count in with_events.items():
        arm = str(label)
        if count > n_per_arm[arm]:
            raise AnalysisError(
                f"n_per_arm: arm {arm!r} got {n_per_arm[arm]}, but {count} subjects "
                "have adverse events; expected the number of subjects exposed"
            )


def _count_columns(counts: pd.DataFrame, n_per_arm: Mapping[str, int]) -> pd.DataFrame:
    """Subject counts per arm beside their percentages of the arm."""
    table = pd.DataFrame(index=counts.index)
    for arm, n in n_per_arm.items():
        column = counts[arm] if arm in counts.columns else pd.Series(0, index=counts.index)
        table[f"{arm} n"] = column.fillna(0).astype(int)
        table[f"{arm} %"] = (100.0 * table[f"{arm} n"] / n).round(1)
    return table


@dataclass(frozen=True)
class SafetySummary:
    """The three safety tables of the report, already counted.

    >>> events = pd.DataFrame(
    ...     {
    ...         "subject": ["s1", "s1", "s2", "s3"],
    ...         "arm": ["MMF", "MMF", "MMF", "placebo"],
    ...         "term": ["Infection", "Diarrhoea", "Infection", "Headache"],
    ...         "grade": [2, 3, 1, 1],
    ...         "serious": [False, True, False, False],
    ...     }
    ... )
    >>> s = safety_summary(events, {"MMF": 14, "placebo": 14})
    >>> s.by_worst_grade.loc["worst grade 3", "MMF n"], len(s.serious_listing)
    (np.int64(1), 1)
    """

    by_worst_grade: pd.DataFrame
    by_term: pd.DataFrame
    serious_listing: pd.DataFrame
    n_per_arm: Mapping[str, int]

    def summary(self) -> str:
        """The worst-grade table as text, then the number of serious events."""
        arms = ", ".join(f"{arm} {n}" for arm, n in self.n_per_arm.items())
        return (
            f"Adverse events by arm and worst CTCAE grade (subjects; n {arms})\n"
            f"{self.by_worst_grade.to_string()}\n"
            f"Serious adverse events: {len(self.serious_listing)}"
        )

    def to_frame(self) -> pd.DataFrame:
        """The worst-grade table (the headline safety table)."""
        return self.by_worst_grade.copy()

    def to_html(self) -> str:
        """The three tables; pandas escapes every cell and label."""
        e = html.escape
        parts = [
            ("Subjects by worst CTCAE grade", self.by_worst_grade),
            ("Subjects by adverse-event term", self.by_term),
            ("Serious adverse events", self.serious_listing),
        ]
        return "".join(f"<h3>{e(title)}</h3>{table.to_html(escape=True)}" for title, table in parts)


def safety_summary(
    events: pd.DataFrame, n_per_arm: Mapping[str, int], *, pooled: bool = False
) -> SafetySummary:
    """Count subjects by arm and worst grade, by term, and list the serious events.

    ``events`` has one row per adverse event with columns subject, arm, term, grade
    (CTCAE 1-5) and serious (bool); other columns are kept in the serious listing.
    ``n_per_arm`` is the number of subjects exposed per arm. ``pooled`` counts one group
    of every arm together (the DSMB's open report): ``n_per_arm`` then has that one group
    and every event's ``arm`` is its name.
    """
    _check_events(events, n_per_arm, pooled=pooled)
    frame = events.assign(arm=events["arm"].astype(str), grade=events["grade"].astype(int))
    worst = frame.groupby(["arm", "subject"])["grade"].max().reset_index()
    rows = ["any adverse event", *(f"worst grade {g}" for g in GRADES), "serious adverse event"]
    counts = pd.DataFrame(0, index=rows, columns=list(n_per_arm))
    for arm, group in worst.groupby("arm"):
        counts.loc["any adverse event", arm] = len(group)
        for g in GRADES:
            counts.loc[f"worst grade {g}", arm] = int((group["grade"] == g).sum())
    serious = frame[frame["serious"].astype(bool)]
    for arm, group in serious.groupby("arm"):
        counts.loc["serious adverse event", arm] = group["subject"].nunique()
    per_term = frame.groupby(["term", "arm", "subject"])["grade"].max().reset_index()
    per_term["severe"] = (per_term["grade"] >= 3).astype(int)
    any_grade = per_term.pivot_table(
        index="term", columns="arm", values="subject", aggfunc="count", fill_value=0
    )
    severe = per_term.pivot_table(
        index="term", columns="arm", values="severe", aggfunc="sum", fill_value=0
    )
    by_term = _count_columns(any_grade, n_per_arm)
    for arm in n_per_arm:
        by_term[f"{arm} grade>=3 n"] = severe[arm].astype(int) if arm in severe.columns else 0
    by_term = by_term.sort_index()
    listing = serious.sort_values(["arm", "subject", "term"]).reset_index(drop=True)
    return SafetySummary(
        by_worst_grade=_count_columns(counts, n_per_arm),
        by_term=by_term,
        serious_listing=listing,
        n_per_arm=dict(n_per_arm),
    )


__all__ = ["SafetySummary", "safety_summary"]
