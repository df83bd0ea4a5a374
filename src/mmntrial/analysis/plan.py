"""The statistical analysis plan: every endpoint, test and table of the trial report.

:func:`run_plan` derives the endpoints (:mod:`mmntrial.analysis.endpoints`) and runs the
test the protocol names for each, always comparing the *first* protocol arm (the study
drug) with the *second* (placebo or control): differences are first - second, hazard
ratios first vs second. The report renders :class:`PlanResults` and never recomputes.

The plan an SAP cites (docs/analysis.md): one primary test (``endpoints.primary.test``)
at ``endpoints.alpha`` and ``endpoints.sidedness``; the percent reduction's rank test as
a supportive analysis that claims nothing; the secondary endpoints as one family under
``endpoints.multiplicity`` (:mod:`mmntrial.analysis.multiplicity`); the primary
endpoint's estimand stated and its sensitivity to withdrawals shown
(:mod:`mmntrial.analysis.estimand`).

Small or degenerate data (no event in either arm, every change equal, too few subjects
for a model) never raise and never warn: the analysis gives a result with NaN numbers,
the test it would have run, marked "not performed", and a note saying why. Warnings a
library raises during a fit become notes too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

import pandas as pd

from mmntrial.analysis import endpoints as ep
from mmntrial.analysis.comparison import Comparison
from mmntrial.analysis.consort import ConsortCounts, consort_counts
from mmntrial.analysis.estimand import SensitivityRow, estimand_text, sensitivity
from mmntrial.analysis.multiplicity import (
    NOT_PERFORMED,
    NOT_SIGNIFICANT,
    SIGNIFICANT,
    Adjusted,
    adjust,
)
from mmntrial.analysis.result import TestResult
from mmntrial.analysis.safety import SafetySummary, safety_summary
from mmntrial.analysis.secondary import ANALYSES
from mmntrial.analysis.survival import KaplanMeierCurve, kaplan_meier
from mmntrial.dataset.schema import SIDED_MEASURES, Dataset
from mmntrial.errors import AnalysisError
from mmntrial.protocol.model import (
    EndpointKind,
    Multiplicity,
    PrimaryTest,
    Protocol,
    Sidedness,
)

MIXED_MODEL_MEASURES = ("mrc_sum", "grip_kpa")
PRIMARY_TEST_TEXT = {PrimaryTest.FISHER: "Fisher's exact test of reached versus not reached"}


@dataclass(frozen=True, eq=False)
class PlanResults:
    """Every number of the trial report, computed once.

    ``endpoints`` has one row per randomized subject; ``dose_intensity`` one row per
    subject and 28-day window; ``km`` one Kaplan-Meier curve per arm (empty if it could
    not be computed, see ``notes``); ``safety`` is None only when an arm has no subject.
    ``primary`` is the one primary test, ``percent_reduction`` a supportive analysis;
    ``secondary_adjusted`` holds one multiplicity-adjusted p-value and conclusion per
    ``secondary`` result, in the same order; ``sensitivity`` the primary test under
    other handlings of withdrawals, ``estimand`` the estimand in words.
    """

    protocol: str
    treatment: str
    control: str
    direction: str
    plan_statement: str
    primary: TestResult
    primary_conclusion: str
    percent_reduction: TestResult
    secondary: tuple[TestResult, ...]
    secondary_adjusted: tuple[Adjusted, ...]
    multiplicity: str
    estimand: str
    sensitivity: tuple[SensitivityRow, ...]
    mixed_models: tuple[TestResult, ...]
    km: Mapping[str, KaplanMeierCurve]
    safety: SafetySummary | None
    consort: ConsortCounts
    endpoints: pd.DataFrame
    dose_intensity: pd.DataFrame
    notes: tuple[str, ...] = ()

    def results(self) -> tuple[tuple[str, TestResult], ...]:
        """Every TestResult with its section (primary, supportive, secondary, sensitivity,
        mixed model)."""
        return (
            ("primary", self.primary),
            ("supportive", self.percent_reduction),
            *(("secondary", r) for r in self.secondary),
            *(("sensitivity", row.result) for row in self.sensitivity),
            *(("mixed model", r) for r in self.mixed_models),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per TestResult, with its section and the comparison's direction;
        ``adjusted_p`` and ``conclusion`` are filled for the primary and secondary rows."""
        adjusted = iter(self.secondary_adjusted)
        rows = []
        for section, result in self.results():
            adjusted_p, conclusion = float("nan"), ""
            if section == "primary":
                adjusted_p, conclusion = result.p_value, self.primary_conclusion
            elif section == "secondary":
                step = next(adjusted)
                adjusted_p, conclusion = step.adjusted_p, step.conclusion
            rows.append(
                result.to_frame().assign(
                    section=section,
                    treatment=self.treatment,
                    control=self.control,
                    adjusted_p=adjusted_p,
                    conclusion=conclusion,
                )
            )
        frame = pd.concat(rows, ignore_index=True)
        first = ["section", "name", "test", "treatment", "control"]
        return frame[first + [c for c in frame.columns if c not in first]]

    def summary(self) -> str:
        """Every result as text: the direction, the plan and the estimand first."""
        return "\n".join(
            [
                self.direction,
                self.plan_statement,
                self.estimand,
                *(r.summary() for _, r in self.results()),
            ]
        )


MULTIPLICITY_TEXT = {
    Multiplicity.HOLM: "Holm's step-down adjustment over the secondary endpoints",
    Multiplicity.HIERARCHY: (
        "a fixed hierarchy in the protocol's order: each secondary endpoint is tested at "
        "the full alpha only if every earlier one was significant"
    ),
    Multiplicity.NONE: ("none: secondary p-values are nominal and support no claim of their own"),
}


def plan_statement(protocol: Protocol) -> str:
    """The analysis plan in one sentence: the primary test, alpha, sidedness, multiplicity.

    >>> from mmntrial.protocol.loader import load_protocol
    >>> print(plan_statement(load_protocol("piepers-2007")))  # doctest: +NORMALIZE_WHITESPACE
    Analysis plan: the primary test is Fisher's exact test of reached versus not reached,
    two-sided at alpha = 0.05 (95% confidence intervals); the percent reduction's
    Mann-Whitney test is supportive and claims nothing; secondary endpoints: Holm's
    step-down adjustment over the secondary endpoints, at alpha = 0.05, two-sided.
    """
    endpoints = protocol.endpoints
    one_sided = endpoints.sidedness is Sidedness.ONE_SIDED
    sided = "one-sided (the study drug better)" if one_sided else "two-sided"
    level = 1.0 - (2.0 if one_sided else 1.0) * endpoints.alpha
    return (
        f"Analysis plan: the primary test is {PRIMARY_TEST_TEXT[endpoints.primary.test]}, "
        f"{sided} at alpha = {endpoints.alpha:g} ({100 * level:g}% confidence intervals); "
        "the percent reduction's Mann-Whitney test is supportive and claims nothing; "
        f"secondary endpoints: {MULTIPLICITY_TEXT[endpoints.multiplicity]}, at alpha = "
        f"{endpoints.alpha:g}, two-sided."
    )


def primary_conclusion(p_value: float, alpha: float) -> str:
    """Whether the primary test rejects at ``alpha``, in words.

    >>> primary_conclusion(0.012, 0.05), primary_conclusion(0.2, 0.05)
    ('significant', 'not significant')
    """
    if p_value != p_value:  # NaN: the test could not be performed
        return NOT_PERFORMED
    return SIGNIFICANT if p_value <= alpha else NOT_SIGNIFICANT


def endpoint_table(dataset: Dataset, protocol: Protocol) -> pd.DataFrame:
    """One row per randomized subject with every per-subject endpoint of the plan.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> t = endpoint_table(make_dataset(), load_protocol("piepers-2007"))
    >>> bool(t.loc[0, "reached"]), float(t.loc[0, "grip_change_month3"])
    (True, 3.0)
    >>> t["grip_change_month3_hand"].tolist()
    ['right', 'left', 'left', 'left', 'right', 'left']
    """
    table = ep.primary_endpoint(dataset, protocol)
    table.insert(2, "site", dataset.subjects["site"].to_numpy())
    ttd = ep.time_to_deterioration(dataset, protocol)
    table = table.merge(ttd.drop(columns=["arm", "last_day"]), on="subject_id")
    grams = ep.ivig_grams_per_year(dataset, protocol).drop(columns="arm")
    table = table.merge(grams, on="subject_id")
    for endpoint in protocol.endpoints.secondary:
        if (
            endpoint.kind != EndpointKind.CHANGE
            or endpoint.measure is None
            or endpoint.at_day is None
        ):
            continue
        change = ep.change_at_day(dataset, protocol, endpoint.measure, endpoint.at_day)
        main = change[change["side"].isin((None, "more_affected")) | change["side"].isna()]
        main = main.drop_duplicates("subject_id").set_index("subject_id")
        ids = table["subject_id"]
        table[endpoint.name] = ids.map(main["change"])
        table[f"{endpoint.name}_baseline"] = ids.map(main["baseline_value"])
        table[f"{endpoint.name}_followup"] = ids.map(main["followup_value"])
        if endpoint.measure in SIDED_MEASURES:
            table[f"{endpoint.name}_hand"] = ids.map(main["hand"])
            for side in ("left", "right"):
                hand = change[change["side"] == side].set_index("subject_id")
                table[f"{endpoint.name}_{side}"] = ids.map(hand["change"])
    return table


def run_plan(dataset: Dataset, protocol: Protocol) -> PlanResults:
    """Run the whole analysis plan of ``protocol`` on ``dataset``.

    >>> from tests.dataset.factory import make_dataset
    >>> from mmntrial.protocol.loader import load_protocol
    >>> r = run_plan(make_dataset(), load_protocol("piepers-2007"))
    >>> r.primary.estimate_label, round(r.primary.estimate, 4)
    ('risk difference, mmf - placebo', -0.3333)
    """
    if len(protocol.arms) < 2:
        raise AnalysisError(f"protocol {protocol.name}: got 1 arm, expected at least two")
    if dataset.meta.protocol != protocol.name:
        raise AnalysisError(
            f"dataset: got a dataset of protocol {dataset.meta.protocol!r}, expected "
            f"{protocol.name!r}"
        )
    plan = Comparison(dataset, protocol)
    table = endpoint_table(dataset, protocol)
    drug = protocol.arms[0].drug
    direction = (
        f"Comparison: {plan.treatment} (study drug: {drug}) versus {plan.control} (control); "
        f"differences are {plan.treatment} - {plan.control}, hazard ratios "
        f"{plan.treatment} vs {plan.control}."
    )
    notes = [direction]
    if len(protocol.arms) > 2:
        others = ", ".join(a.name for a in protocol.arms[2:])
        notes.append(f"arms {others} are counted but not tested: the plan compares two arms")
    day = protocol.endpoints.primary.day
    reduction = plan.ranks(
        f"Percent reduction of IVIg intensity at day {day}",
        table["percent_reduction"],
        table["arm"],
        "the regimen in force at the day; a subject who left earlier contributes the "
        "regimen in force when leaving",
    )
    arms = [a.name for a in protocol.arms]
    km: Mapping[str, KaplanMeierCurve] = {}
    try:
        km = kaplan_meier(table["time_days"], table["event"], table["arm"], arms=arms)
    except AnalysisError as error:
        notes.append(f"Kaplan-Meier curves not computed: {error}")
    safety: SafetySummary | None = None
    allocated = plan.counts(table) | {a: int((table["arm"] == a).sum()) for a in arms}
    events = dataset.adverse_events.merge(dataset.subjects[["subject_id", "arm"]])
    events = events.rename(columns={"subject_id": "subject"})
    try:
        safety = safety_summary(events, allocated)
    except AnalysisError as error:
        notes.append(f"safety tables not computed: {error}")
    settings = protocol.endpoints
    primary = plan.primary(table)
    secondary = tuple(ANALYSES[e.analysis](plan, e, table) for e in settings.secondary)
    return PlanResults(
        protocol=protocol.name,
        treatment=plan.treatment,
        control=plan.control,
        direction=direction,
        plan_statement=plan_statement(protocol),
        primary=primary,
        primary_conclusion=primary_conclusion(primary.p_value, settings.alpha),
        percent_reduction=reduction,
        secondary=secondary,
        secondary_adjusted=tuple(
            adjust([r.p_value for r in secondary], settings.multiplicity, settings.alpha)
        ),
        multiplicity=MULTIPLICITY_TEXT[settings.multiplicity],
        estimand=estimand_text(settings.primary, plan.treatment, plan.control),
        sensitivity=sensitivity(
            # Not yet evaluable (ongoing before the primary day): in no handling's test.
            plan.compared(table[table["evaluable"].to_numpy(dtype=bool)]),
            plan.treatment,
            plan.control,
            alternative=plan.alternative,
            level=plan.level,
        ),
        mixed_models=tuple(plan.mixed(m) for m in MIXED_MODEL_MEASURES),
        km=MappingProxyType(dict(km)),
        safety=safety,
        consort=consort_counts(dataset, protocol),
        endpoints=table,
        dose_intensity=ep.dose_intensity_over_time(dataset, protocol),
        notes=tuple(notes),
    )


__all__ = [
    "MIXED_MODEL_MEASURES",
    "MULTIPLICITY_TEXT",
    "PRIMARY_TEST_TEXT",
    "PlanResults",
    "endpoint_table",
    "plan_statement",
    "primary_conclusion",
    "run_plan",
]
