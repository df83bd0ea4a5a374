"""The DSMB's tables from a trial dataset: pooled over arms (open) or by arm (closed).

One set of counts serves both reports: the open report is the closed one with every
subject in the one group :data:`POOLED`, so a table cannot show an arm in one report and
not the other by accident, and the open report never holds an arm name.

- enrolment and disposition (subjects per status of the ``dispositions`` table);
- adverse events by MedDRA system organ class and term (subjects, any grade and
  grade 3 or worse; :func:`mmntrial.safety.soc.system_organ_class`), and by worst
  grade per subject (:func:`mmntrial.analysis.safety.safety_summary`);
- lab shift tables: per test that CTCAE grades, each subject's baseline grade (the last value on or
  before day 0) against their worst grade after day 0. A value without a grade is
  "not graded" and a subject without a value "no value": neither is read as normal;
- confirmed deteriorations and IVIg exposure from day 0;
- the protocol's safety rules fired (:func:`rules_fired`): per rule of its ``[safety]``
  section, the subjects with a finding, the findings, and the values the rule could not
  judge, evaluated by :func:`mmntrial.safety.rules.evaluate` as the capture app does.

Percentages are of the subjects randomized to the group (every randomized subject is
in the safety population of these reports).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import pandas as pd

from mmntrial.analysis.safety import GRADES, SafetySummary, safety_summary
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.model import Safety
from mmntrial.safety.rules import AdverseEvent, Finding, Fired, LabValue, evaluate
from mmntrial.safety.soc import system_organ_class
from mmntrial.safety.tables import ctcae_v5

POOLED = "all subjects"
NOT_GRADED = "not graded"
NO_VALUE = "no value"
SHIFT_LEVELS = (*(str(g) for g in (0, *GRADES)), NOT_GRADED, NO_VALUE)
#: The date study day 0 is mapped to for the rules, which take dates. Any date serves:
#: every subject's day 0 is the study-drug start (randomization), as the capture app
#: takes it, and the rules only compare dates of one subject.
DAY_ZERO = date(2000, 1, 1)
#: The columns of :attr:`RulesFired.counts`, per group.
RULE_COUNTS = ("subjects", "findings", "could not evaluate")


@dataclass(frozen=True)
class ShiftTable:
    """One lab test in one group: subjects by baseline grade (rows) and worst grade after
    day 0 (columns), over :data:`SHIFT_LEVELS` that occur (grade 0 to 4 always)."""

    test: str
    group: str
    counts: pd.DataFrame


@dataclass(frozen=True)
class DsmbCounts:
    """Every table of a DSMB report, counted; ``groups`` are the arms or :data:`POOLED`.

    ``by_soc`` has one row per SOC (term "") followed by its terms, with the columns
    ``<group> n`` and ``<group> grade>=3 n`` (subjects).
    """

    groups: Mapping[str, int]
    disposition: pd.DataFrame
    worst_grade: SafetySummary | None
    by_soc: pd.DataFrame
    shifts: tuple[ShiftTable, ...]
    deteriorations: pd.DataFrame
    exposure: pd.DataFrame


@dataclass(frozen=True)
class RulesFired:
    """The protocol's safety rules on the dataset: ``counts`` has a row per rule id (the
    protocol's order) and the columns ``<group> <what>`` for each of :data:`RULE_COUNTS`:
    subjects with at least one finding of the rule, its findings, and the findings that
    could not be evaluated (a lab without its normal range, a unit not the rule's, no
    baseline). No rule in the protocol: no rows."""

    groups: Mapping[str, int]
    counts: pd.DataFrame


def subject_groups(subjects: pd.DataFrame, *, closed: bool) -> pd.Series:
    """Each subject's group: their arm (closed) or :data:`POOLED` (open), by subject_id.

    >>> s = pd.DataFrame({"subject_id": ["S1", "S2"], "arm": ["mmf", "placebo"]})
    >>> subject_groups(s, closed=False).tolist(), subject_groups(s, closed=True).tolist()
    (['all subjects', 'all subjects'], ['mmf', 'placebo'])
    """
    arms = subjects["arm"].astype(str) if closed else pd.Series(POOLED, index=subjects.index)
    return pd.Series(arms.to_numpy(), index=subjects["subject_id"].astype(str), name="group")


def group_sizes(group: pd.Series) -> dict[str, int]:
    """Subjects per group of :func:`subject_groups`, in the order the groups first occur."""
    return {str(g): int((group == g).sum()) for g in dict.fromkeys(group.tolist())}


def _per_group(values: pd.DataFrame, groups: Mapping[str, int]) -> pd.DataFrame:
    """``values`` (index: rows, columns: groups) with every group as an int column."""
    return (
        pd.DataFrame(
            {g: values[g] if g in values.columns else 0 for g in groups}, index=values.index
        )
        .fillna(0)
        .astype(int)
    )


def disposition_table(
    dataset: Dataset, group: pd.Series, groups: Mapping[str, int]
) -> pd.DataFrame:
    """Subjects randomized, then per disposition status (and a row for none recorded)."""
    status = (
        dataset.dispositions.assign(subject_id=dataset.dispositions["subject_id"].astype(str))
        .set_index("subject_id")["status"]
        .astype(str)
        .reindex(group.index)
        .fillna("no disposition recorded")
    )
    frame = pd.DataFrame({"group": group.to_numpy(), "status": status.to_numpy()})
    counts = frame.groupby(["status", "group"]).size().unstack(fill_value=0)
    table = _per_group(counts, groups)
    randomized = pd.DataFrame([dict(groups)], index=["randomized"])
    return pd.concat([randomized, table.sort_index()])


def _events(dataset: Dataset, group: pd.Series) -> pd.DataFrame:
    events = dataset.adverse_events
    return pd.DataFrame(
        {
            "subject": events["subject_id"].astype(str).to_numpy(),
            "arm": events["subject_id"].astype(str).map(group).to_numpy(),
            "term": events["term"].astype(str).str.strip().str.lower().to_numpy(),
            "grade": events["grade"].to_numpy(),
            "serious": events["serious"].astype(bool).to_numpy(),
        }
    )


def soc_table(events: pd.DataFrame, groups: Mapping[str, int], *, pooled: bool) -> pd.DataFrame:
    """Subjects per SOC (term "") then per term under it, any grade and grade >= 3."""
    columns = [c for g in groups for c in (f"{g} n", f"{g} grade>=3 n")]
    if events.empty:
        return pd.DataFrame(columns=["soc", "term", *columns])
    with_soc = events.assign(soc=events["term"].map(system_organ_class))
    by_soc = safety_summary(with_soc.assign(term=with_soc["soc"]), groups, pooled=pooled).by_term
    by_term = safety_summary(with_soc, groups, pooled=pooled).by_term
    soc_of = with_soc.drop_duplicates("term").set_index("term")["soc"]
    rows = []
    for soc in by_soc.index:
        rows.append({"soc": soc, "term": "", **by_soc.loc[soc, columns].to_dict()})
        for term in sorted(t for t in by_term.index if soc_of[t] == soc):
            rows.append({"soc": soc, "term": term, **by_term.loc[term, columns].to_dict()})
    return pd.DataFrame(rows, columns=["soc", "term", *columns])


def _level(grade: object) -> str:
    return NOT_GRADED if pd.isna(grade) else str(int(grade))  # type: ignore[call-overload]


def shift_tables(labs: pd.DataFrame, group: pd.Series) -> tuple[ShiftTable, ...]:
    """Per test CTCAE grades and group: baseline grade against the worst after day 0.

    A subject's baseline is their last value on or before day 0; the worst after day 0 is
    the highest grade, or "not graded" when no value after day 0 has a grade.
    """
    tables = []
    # Only the tests CTCAE grades have a shift table (not IgG, which no rule grades).
    graded = set(ctcae_v5().labs) | set(ctcae_v5().ranged)
    frame = labs[labs["test"].astype(str).isin(graded)]
    frame = frame.assign(subject_id=frame["subject_id"].astype(str))
    for test in sorted(frame["test"].astype(str).unique()):
        values = frame[frame["test"] == test].sort_values(["subject_id", "day"], kind="stable")
        # The last value on or before day 0, graded or not (groupby().last() would skip a
        # missing grade and take an older one).
        before = (
            values[values["day"] <= 0]
            .drop_duplicates("subject_id", keep="last")
            .set_index("subject_id")["grade"]
        )
        after = values[values["day"] > 0].groupby("subject_id")
        worst = after["grade"].max()
        baseline = pd.Series(
            [_level(before[s]) if s in before.index else NO_VALUE for s in group.index],
            index=group.index,
        )
        post = pd.Series(
            [_level(worst[s]) if s in worst.index else NO_VALUE for s in group.index],
            index=group.index,
        )
        for name in dict.fromkeys(group.tolist()):
            members = group.index[group == name]
            counts = pd.crosstab(baseline[members], post[members])
            present = set(counts.index) | set(counts.columns)
            levels = [lv for lv in SHIFT_LEVELS if lv in present or lv in "01234"]
            counts = counts.reindex(index=levels, columns=levels, fill_value=0).astype(int)
            tables.append(ShiftTable(test, str(name), counts))
    return tuple(tables)


def deterioration_table(
    dataset: Dataset, group: pd.Series, groups: Mapping[str, int]
) -> pd.DataFrame:
    """Confirmed deterioration episodes and the subjects with one, per group."""
    episodes = dataset.deteriorations.assign(
        group=dataset.deteriorations["subject_id"].astype(str).map(group)
    )
    rows = {
        "subjects with a confirmed deterioration": episodes.groupby("group")[
            "subject_id"
        ].nunique(),
        "confirmed deteriorations": episodes.groupby("group").size(),
        "severe (rescue) deteriorations": episodes[episodes["severe"].astype(bool)]
        .groupby("group")
        .size(),
        "confirmed at the full baseline dose": episodes[episodes["at_baseline"].astype(bool)]
        .groupby("group")
        .size(),
    }
    return _per_group(pd.DataFrame(rows).T, groups)


def exposure_table(dataset: Dataset, group: pd.Series, groups: Mapping[str, int]) -> pd.DataFrame:
    """IVIg from day 0 per group: infusions, grams in all, grams per subject randomized."""
    given = dataset.infusions[dataset.infusions["day"] >= 0]
    given = given.assign(group=given["subject_id"].astype(str).map(group))
    infusions = given.groupby("group").size()
    grams = given.groupby("group")["dose_g"].sum()
    return pd.DataFrame(
        {
            g: {
                "infusions": float(infusions.get(g, 0)),
                "IVIg given, g": float(grams.get(g, 0.0)),
                "IVIg per subject randomized, g": float(grams.get(g, 0.0)) / n,
            }
            for g, n in groups.items()
        }
    )


def _on(day: int) -> date:
    return DAY_ZERO + timedelta(days=int(day))


def _records(frame: pd.DataFrame, *columns: str) -> list[dict[str, Any]]:
    """``columns`` of ``frame`` as plain Python rows (a missing value is None)."""
    rows = frame[list(columns)].astype(object).where(frame[list(columns)].notna(), None)
    return [dict(zip(columns, row, strict=True)) for row in rows.itertuples(index=False)]


def _subject_findings(dataset: Dataset, safety: Safety) -> dict[str, list[Finding]]:
    """Every subject's findings, by subject_id: labs in the order of the table (the
    order entered), every infusion as the capture app gives them, day 0 as the start."""
    labs: dict[str, list[LabValue]] = {}
    lab_rows = _records(dataset.labs, "subject_id", "test", "value", "unit", "lln", "uln", "day")
    for number, row in enumerate(lab_rows):
        lln, uln = row["lln"], row["uln"]
        labs.setdefault(str(row["subject_id"]), []).append(
            LabValue(
                str(row["test"]),
                float(row["value"]),
                str(row["unit"]),
                None if lln is None else float(lln),
                None if uln is None else float(uln),
                _on(row["day"]),
                ref=f"labs:{number}",
            )
        )
    events: dict[str, list[AdverseEvent]] = {}
    for row in _records(dataset.adverse_events, "subject_id", "ae_id", "term", "day_onset"):
        event = AdverseEvent(str(row["term"]), _on(row["day_onset"]), ref=str(row["ae_id"]))
        events.setdefault(str(row["subject_id"]), []).append(event)
    infusions: dict[str, list[date]] = {}
    for row in _records(dataset.infusions, "subject_id", "day"):
        infusions.setdefault(str(row["subject_id"]), []).append(_on(row["day"]))
    found = {}
    for subject in dataset.subjects["subject_id"].astype(str).tolist():
        mine = (labs.get(subject, []), events.get(subject, []), infusions.get(subject, []))
        # A normal range the grading would refuse (an LLN at or above the ULN) cannot get
        # here: the dataset's own checks refuse it, naming the row.
        found[subject] = evaluate(safety, *mine, DAY_ZERO)
    return found


def rules_fired(dataset: Dataset, safety: Safety, *, closed: bool) -> RulesFired:
    """Per rule of ``safety``: subjects with a finding, findings and findings that could
    not be evaluated, by arm (``closed``) or pooled; day 0 of every subject is the
    study-drug start."""
    group = subject_groups(dataset.subjects, closed=closed)
    groups = group_sizes(group)
    counted: Counter[tuple[str, str]] = Counter()
    for subject, findings in _subject_findings(dataset, safety).items():
        name = str(group[subject])
        for rule_id in {f.rule.id for f in findings if isinstance(f, Fired)}:
            counted[rule_id, f"{name} subjects"] += 1
        for finding in findings:
            what = "findings" if isinstance(finding, Fired) else "could not evaluate"
            counted[finding.rule.id, f"{name} {what}"] += 1
    columns = [f"{g} {what}" for g in groups for what in RULE_COUNTS]
    rows = {rule.id: [counted[rule.id, column] for column in columns] for rule in safety.rules}
    return RulesFired(
        groups, pd.DataFrame.from_dict(rows, orient="index", columns=columns, dtype=int)
    )


def dsmb_counts(dataset: Dataset, *, closed: bool) -> DsmbCounts:
    """Every table of the open (``closed=False``) or closed DSMB report of ``dataset``."""
    group = subject_groups(dataset.subjects, closed=closed)
    groups = group_sizes(group)
    events = _events(dataset, group)
    return DsmbCounts(
        groups=groups,
        disposition=disposition_table(dataset, group, groups),
        worst_grade=(
            safety_summary(events, groups, pooled=not closed) if len(events) and groups else None
        ),
        by_soc=soc_table(events, groups, pooled=not closed),
        shifts=shift_tables(dataset.labs, group),
        deteriorations=deterioration_table(dataset, group, groups),
        exposure=exposure_table(dataset, group, groups),
    )


__all__ = [
    "DAY_ZERO",
    "NOT_GRADED",
    "NO_VALUE",
    "POOLED",
    "RULE_COUNTS",
    "SHIFT_LEVELS",
    "DsmbCounts",
    "RulesFired",
    "ShiftTable",
    "deterioration_table",
    "disposition_table",
    "dsmb_counts",
    "exposure_table",
    "group_sizes",
    "rules_fired",
    "shift_tables",
    "soc_table",
    "subject_groups",
]
