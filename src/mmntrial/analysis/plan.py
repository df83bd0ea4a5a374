"""The statistical analysis plan: every endpoint, test and table of the trial report.

:func:`run_plan` derives the endpoints (:mod:`mmntrial.analysis.endpoints`) and runs the
test the protocol names for each, always comparing the *first* protocol arm (the study
drug) with the *second* (placebo or control): differences are first - second, hazard
ratios first vs second. The report renders :class:`PlanResults` and never recomputes.

Small or degenerate data (no event in either arm, every change equal, too few subjects
for a model) never raise and never warn: the analysis gives a result with NaN numbers,
the test it would have run, marked "not performed", and a note saying why. Warnings a
library raises during a fit become notes too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

import numpy as np
import pandas as pd

from mmntrial.analysis import endpoints as ep
from mmntrial.analysis.binary import compare_proportions
from mmntrial.analysis.consort import ConsortCounts, consort_counts
from mmntrial.analysis.linear import ancova, mixed_model
from mmntrial.analysis.ranks import compare_ranks
from mmntrial.analysis.result import TestResult
from mmntrial.analysis.safety import SafetySummary, safety_summary
from mmntrial.analysis.survival import KaplanMeierCurve, kaplan_meier, log_rank
from mmntrial.analysis.titre import log2_titre_change
from mmntrial.dataset.schema import SIDED_MEASURES, Dataset
from mmntrial.errors import AnalysisError
from mmntrial.protocol.model import Protocol, SecondaryEndpoint

MIXED_MODEL_MEASURES = ("mrc_sum", "grip_kpa")


@dataclass(frozen=True, eq=False)
class PlanResults:
    """Every number of the trial report, computed once.

    ``endpoints`` has one row per randomized subject; ``dose_intensity`` one row per
    subject and 28-day window; ``km`` one Kaplan-Meier curve per arm (empty if it could
    not be computed, see ``notes``); ``safety`` is None only when an arm has no subject.
    """

    protocol: str
    treatment: str
    control: str
    direction: str
    primary: TestResult
    percent_reduction: TestResult
    secondary: tuple[TestResult, ...]
    mixed_models: tuple[TestResult, ...]
    km: Mapping[str, KaplanMeierCurve]
    safety: SafetySummary | None
    consort: ConsortCounts
    endpoints: pd.DataFrame
    dose_intensity: pd.DataFrame
    notes: tuple[str, ...] = ()

    def results(self) -> tuple[tuple[str, TestResult], ...]:
        """Every TestResult with its section (primary, secondary, mixed model)."""
        return (
            ("primary", self.primary),
            ("primary", self.percent_reduction),
            *(("secondary", r) for r in self.secondary),
            *(("mixed model", r) for r in self.mixed_models),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per TestResult, with its section and the comparison's direction."""
        rows = [
            r.to_frame().assign(section=s, treatment=self.treatment, control=self.control)
            for s, r in self.results()
        ]
        frame = pd.concat(rows, ignore_index=True)
        first = ["section", "name", "test", "treatment", "control"]
        return frame[first + [c for c in frame.columns if c not in first]]

    def summary(self) -> str:
        """Every result as text, the direction first."""
        return "\n".join([self.direction, *(r.summary() for _, r in self.results())])


@dataclass(frozen=True)
class _Spec:
    """What a result would be called, for a 'not performed' result."""

    name: str
    test: str
    label: str
    n_per_arm: Mapping[str, int]


def _not_performed(spec: _Spec, reason: str, notes: tuple[str, ...] = ()) -> TestResult:
    return TestResult(
        name=spec.name,
        test=f"{spec.test} (not performed)",
        estimate=math.nan,
        estimate_label=spec.label,
        ci_low=math.nan,
        ci_high=math.nan,
        ci_level=0.95,
        p_value=math.nan,
        n_per_arm=spec.n_per_arm,
        notes=(*notes, f"not performed: {reason}"),
    )


def _guarded(spec: _Spec, compute: Callable[[], TestResult], notes: tuple[str, ...]) -> TestResult:
    """Run a test; an AnalysisError becomes a 'not performed' result, a warning a note."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = compute()
    except (AnalysisError, np.linalg.LinAlgError) as error:
        return _not_performed(spec, str(error), notes)
    seen = tuple(dict.fromkeys(f"warning during the fit: {w.message}" for w in caught))
    return replace(result, name=spec.name, notes=(*result.notes, *notes, *seen))


class _Plan:
    """The dataset, the protocol and the two arms compared, shared by every analysis."""

    def __init__(self, dataset: Dataset, protocol: Protocol) -> None:
        self.dataset = dataset
        self.protocol = protocol
        self.treatment = protocol.arms[0].name
        self.control = protocol.arms[1].name

    def counts(self, frame: pd.DataFrame) -> dict[str, int]:
        return {a: int((frame["arm"] == a).sum()) for a in (self.treatment, self.control)}

    def compared(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of the two compared arms (a third arm is reported, not tested)."""
        return frame[frame["arm"].isin((self.treatment, self.control))]

    def spec(self, name: str, test: str, label: str, frame: pd.DataFrame) -> _Spec:
        return _Spec(name, test, f"{label}, {self.treatment} - {self.control}", self.counts(frame))

    def primary(self, table: pd.DataFrame) -> TestResult:
        p = self.protocol.endpoints.primary
        name = f"Primary: IVIg intensity reduced >= {p.reduction_percent:g}% at day {p.day}"
        frame = self.compared(table)
        withdrawn = self.counts(frame[frame["withdrawn_before_day"]])
        notes = (
            f"withdrawal before day {p.day} ({p.withdrawal.value} rule): "
            + ", ".join(f"{a} {n}" for a, n in withdrawn.items()),
        )
        spec = self.spec(name, "Fisher's exact test", "risk difference", frame)
        return _guarded(
            spec,
            lambda: compare_proportions(
                frame["reached"].to_numpy(dtype=bool),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
            ),
            notes,
        )

    def ranks(self, name: str, values: pd.Series, arms: pd.Series, note: str) -> TestResult:
        frame = pd.DataFrame({"value": values.to_numpy(), "arm": arms.to_numpy()})
        frame = self.compared(frame.dropna())
        notes = [note] if note else []
        if len(frame) and frame["value"].nunique() == 1:
            notes.append(f"every value equals {frame['value'].iloc[0]:g}")
        spec = self.spec(name, "Mann-Whitney U", "Hodges-Lehmann shift", frame)
        return _guarded(
            spec,
            lambda: compare_ranks(
                frame["value"].to_numpy(dtype=float),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
            ),
            tuple(notes),
        )

    def change(self, endpoint: SecondaryEndpoint) -> TestResult:
        measure, at_day = str(endpoint.measure), int(endpoint.at_day or 0)
        table = ep.change_at_day(self.dataset, self.protocol, measure, at_day)
        notes = [f"change in {measure} from day 0 to day {at_day} (nearest value in window)"]
        if measure in SIDED_MEASURES:
            table = table[table["side"] == "more_affected"]
            notes.append("more affected hand: the hand with the lower day-0 value")
        missing = self.counts(self.compared(table[table["change"].isna()]))
        if any(missing.values()):
            notes.append("left out, no value in a window: " + _arms_text(missing))
        frame = self.compared(table.dropna(subset=["change"]))
        analysis = endpoint.analysis
        if analysis == "wilcoxon":
            notes.append("Wilcoxon rank-sum test, computed as the equivalent Mann-Whitney U")
        if analysis in ("wilcoxon", "mann_whitney") and measure != "anti_gm1_log2":
            return self.ranks(endpoint.name, frame["change"], frame["arm"], "; ".join(notes))
        test = "ANCOVA on baseline" if analysis == "ancova" else "Mann-Whitney U"
        label = "adjusted mean difference in change" if analysis == "ancova" else "shift"
        spec = self.spec(endpoint.name, test, label, frame)
        if analysis not in ("ancova", "wilcoxon"):
            return _not_performed(spec, f"analysis {analysis!r} is not one for a change")
        if len(frame) and frame["change"].nunique() == 1 and analysis == "ancova":
            value = frame["change"].iloc[0]
            return _not_performed(spec, f"every subject's change is {value:g}", tuple(notes))
        if measure == "anti_gm1_log2":
            notes.append("log2 dilution steps; a change of -1 = the titre halved")
            return _guarded(
                spec,
                lambda: log2_titre_change(
                    np.exp2(frame["baseline_value"].to_numpy(dtype=float)),
                    np.exp2(frame["followup_value"].to_numpy(dtype=float)),
                    frame["arm"].to_numpy(),
                    treatment=self.treatment,
                    control=self.control,
                    method="ancova" if analysis == "ancova" else "wilcoxon",
                ),
                tuple(notes),
            )
        return _guarded(
            spec,
            lambda: ancova(
                frame["followup_value"].to_numpy(dtype=float),
                frame["baseline_value"].to_numpy(dtype=float),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
            ),
            tuple(notes),
        )

    def survival(self, name: str, table: pd.DataFrame) -> TestResult:
        frame = self.compared(table)
        spec = _Spec(
            name,
            "log-rank test",
            f"hazard ratio (Cox, Efron ties), {self.treatment} vs {self.control}",
            self.counts(frame),
        )
        notes = ("event day: day the first confirmed deterioration was detected; "
                 "censored at the last day on study",)  # fmt: skip
        if not frame["event"].any():
            return _not_performed(spec, "no confirmed deterioration in either arm", notes)
        return _guarded(
            spec,
            lambda: log_rank(
                frame["time_days"].to_numpy(dtype=float),
                frame["event"].to_numpy(dtype=bool),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
            ),
            notes,
        )

    def secondary(self, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
        if endpoint.kind == "change":
            return self.change(endpoint)
        if endpoint.kind == "time_to_deterioration" and endpoint.analysis == "logrank":
            return self.survival(endpoint.name, table)
        if endpoint.kind == "ivig_grams_per_year" and endpoint.analysis == "mann_whitney":
            note = "grams given from day 0 to the last day on study, per 365.25 days on study"
            return self.ranks(endpoint.name, table["grams_per_year"], table["arm"], note)
        spec = self.spec(endpoint.name, endpoint.analysis, endpoint.kind, table)
        return _not_performed(spec, f"no {endpoint.analysis} analysis for {endpoint.kind}")

    def mixed(self, measure: str) -> TestResult:
        frame = self.compared(ep.monthly_values(self.dataset, self.protocol, measure))
        sided = measure in SIDED_MEASURES
        name = f"{measure}{'_more_affected' if sided else ''}_monthly"
        notes = ("values at scheduled visits; month = study day / 30.4375",)
        subjects = frame.drop_duplicates("subject_id")
        spec = self.spec(name, "linear mixed model", "difference in change per month", subjects)
        if len(frame) and frame["value"].nunique() == 1:
            value = frame["value"].iloc[0]
            return _not_performed(spec, f"every value equals {value:g}: no variation", notes)
        return _guarded(
            spec,
            lambda: mixed_model(
                frame["value"].to_numpy(dtype=float),
                frame["month"].to_numpy(dtype=float),
                frame["subject_id"].to_numpy(),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
            ),
            notes,
        )


def _arms_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{arm} {n}" for arm, n in counts.items())


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
        if endpoint.kind != "change" or endpoint.measure is None or endpoint.at_day is None:
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
    plan = _Plan(dataset, protocol)
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
    return PlanResults(
        protocol=protocol.name,
        treatment=plan.treatment,
        control=plan.control,
        direction=direction,
        primary=plan.primary(table),
        percent_reduction=reduction,
        secondary=tuple(plan.secondary(e, table) for e in protocol.endpoints.secondary),
        mixed_models=tuple(plan.mixed(m) for m in MIXED_MODEL_MEASURES),
        km=MappingProxyType(dict(km)),
        safety=safety,
        consort=consort_counts(dataset, protocol),
        endpoints=table,
        dose_intensity=ep.dose_intensity_over_time(dataset, protocol),
        notes=tuple(notes),
    )


__all__ = ["MIXED_MODEL_MEASURES", "PlanResults", "endpoint_table", "run_plan"]
