"""The comparison of the plan's two arms: the tests every analysis of the plan runs.

:class:`Comparison` holds the dataset, the protocol and the two arms compared (the
first protocol arm minus the second) and runs the primary test, rank tests, the
log-rank test, the mixed models and the pieces of a change endpoint; the analyses of
secondary endpoints (:mod:`mmntrial.analysis.secondary`) are built from them. A test
that cannot run gives a 'not performed' result (:func:`not_performed`), never an error.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import pandas as pd

from mmntrial.analysis import endpoints as ep
from mmntrial.analysis.binary import Alternative, compare_proportions
from mmntrial.analysis.linear import mixed_model
from mmntrial.analysis.ranks import compare_ranks
from mmntrial.analysis.result import TestResult
from mmntrial.analysis.survival import log_rank
from mmntrial.analysis.titre import log2_titre_change
from mmntrial.dataset.schema import SIDED_MEASURES, Dataset
from mmntrial.errors import AnalysisError
from mmntrial.protocol.model import Protocol, SecondaryEndpoint, Sidedness


@dataclass(frozen=True)
class ResultSpec:
    """What a result is called, for a 'not performed' result and a guarded test."""

    name: str
    test: str
    label: str
    n_per_arm: Mapping[str, int]


def not_performed(spec: ResultSpec, reason: str, notes: tuple[str, ...] = ()) -> TestResult:
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


def guarded(
    spec: ResultSpec, compute: Callable[[], TestResult], notes: tuple[str, ...]
) -> TestResult:
    """Run a test; an AnalysisError becomes a 'not performed' result, a warning a note."""
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = compute()
    except (AnalysisError, np.linalg.LinAlgError) as error:
        return not_performed(spec, str(error), notes)
    seen = tuple(dict.fromkeys(f"warning during the fit: {w.message}" for w in caught))
    return replace(result, name=spec.name, notes=(*result.notes, *notes, *seen))


class Comparison:
    """The dataset, the protocol and the two arms compared: the tests every analysis uses."""

    def __init__(self, dataset: Dataset, protocol: Protocol) -> None:
        self.dataset = dataset
        self.protocol = protocol
        self.treatment = protocol.arms[0].name
        self.control = protocol.arms[1].name
        endpoints = protocol.endpoints
        one_sided = endpoints.sidedness is Sidedness.ONE_SIDED
        # The primary test's alternative and the interval that matches it: a one-sided
        # test at alpha agrees with a two-sided interval at 1 - 2 alpha.
        self.alternative: Alternative = "greater" if one_sided else "two-sided"
        self.level = 1.0 - (2.0 if one_sided else 1.0) * endpoints.alpha

    def counts(self, frame: pd.DataFrame) -> dict[str, int]:
        return {a: int((frame["arm"] == a).sum()) for a in (self.treatment, self.control)}

    def compared(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The rows of the two compared arms (a third arm is reported, not tested)."""
        return frame[frame["arm"].isin((self.treatment, self.control))]

    def spec(self, name: str, test: str, label: str, frame: pd.DataFrame) -> ResultSpec:
        return ResultSpec(
            name, test, f"{label}, {self.treatment} - {self.control}", self.counts(frame)
        )

    def primary(self, table: pd.DataFrame) -> TestResult:
        p = self.protocol.endpoints.primary
        name = f"Primary: IVIg intensity reduced >= {p.reduction_percent:g}% at day {p.day}"
        everyone = self.compared(table)
        # An ongoing subject short of the day is neither a success nor a failure yet.
        frame = everyone[everyone["evaluable"].to_numpy(dtype=bool)]
        withdrawn = self.counts(frame[frame["withdrawn_before_day"]])
        notes = [
            f"withdrawal before day {p.day} ({p.withdrawal.value} rule): "
            + ", ".join(f"{a} {n}" for a, n in withdrawn.items()),
        ]
        waiting = self.counts(everyone[~everyone["evaluable"].to_numpy(dtype=bool)])
        if any(waiting.values()):
            notes.append(
                f"ongoing before day {p.day}, not yet evaluable (neither reached nor failed, "
                "left out of this test): " + ", ".join(f"{a} {n}" for a, n in waiting.items())
            )
        spec = self.spec(name, "Fisher's exact test", "risk difference", frame)
        return guarded(
            spec,
            lambda: compare_proportions(
                frame["reached"].to_numpy(dtype=bool),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
                alternative=self.alternative,
                level=self.level,
            ),
            tuple(notes),
        )

    def ranks(self, name: str, values: pd.Series, arms: pd.Series, note: str) -> TestResult:
        frame = pd.DataFrame({"value": values.to_numpy(), "arm": arms.to_numpy()})
        frame = self.compared(frame.dropna())
        notes = [note] if note else []
        if len(frame) and frame["value"].nunique() == 1:
            notes.append(f"every value equals {frame['value'].iloc[0]:g}")
        spec = self.spec(name, "Mann-Whitney U", "Hodges-Lehmann shift", frame)
        return guarded(
            spec,
            lambda: compare_ranks(
                frame["value"].to_numpy(dtype=float),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
            ),
            tuple(notes),
        )

    def change_data(self, endpoint: SecondaryEndpoint) -> ChangeData:
        """The change of a ``change`` endpoint per subject, with the notes every test shares."""
        measure, at_day = str(endpoint.measure), int(endpoint.at_day or 0)
        table = ep.change_at_day(self.dataset, self.protocol, measure, at_day)
        notes = [f"change in {measure} from day 0 to day {at_day} (nearest value in window)"]
        if measure in SIDED_MEASURES:
            table = table[table["side"] == "more_affected"]
            notes.append("more affected hand: the hand with the lower day-0 value")
        missing = self.counts(self.compared(table[table["change"].isna()]))
        if any(missing.values()):
            notes.append("left out, no value in a window: " + arms_text(missing))
        return ChangeData(measure, self.compared(table.dropna(subset=["change"])), notes)

    def titre(
        self, spec: ResultSpec, change: ChangeData, method: Literal["ancova", "wilcoxon"]
    ) -> TestResult:
        """A change of the anti-GM1 titre, analysed on log2 dilution steps."""
        frame = change.frame
        notes = (*change.notes, "log2 dilution steps; a change of -1 = the titre halved")
        return guarded(
            spec,
            lambda: log2_titre_change(
                np.exp2(frame["baseline_value"].to_numpy(dtype=float)),
                np.exp2(frame["followup_value"].to_numpy(dtype=float)),
                frame["arm"].to_numpy(),
                treatment=self.treatment,
                control=self.control,
                method=method,
            ),
            notes,
        )

    def not_for_change(self, endpoint: SecondaryEndpoint, change: ChangeData) -> TestResult:
        """The result of an analysis that does not apply to a change endpoint."""
        spec = self.spec(endpoint.name, "Mann-Whitney U", "shift", change.frame)
        reason = f"analysis {endpoint.analysis.value!r} is not one for a change"
        return not_performed(spec, reason)

    def unsupported(self, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
        """The result of an analysis that does not apply to the endpoint's kind."""
        analysis, kind = endpoint.analysis.value, endpoint.kind.value
        spec = self.spec(endpoint.name, analysis, kind, table)
        return not_performed(spec, f"no {analysis} analysis for {kind}")

    def survival(self, name: str, table: pd.DataFrame) -> TestResult:
        frame = self.compared(table)
        spec = ResultSpec(
            name,
            "log-rank test",
            f"hazard ratio (Cox, Efron ties), {self.treatment} vs {self.control}",
            self.counts(frame),
        )
        notes = ("event day: day the first confirmed deterioration was detected; "
                 "censored at the last day on study",)  # fmt: skip
        if not frame["event"].any():
            return not_performed(spec, "no confirmed deterioration in either arm", notes)
        return guarded(
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

    def mixed(self, measure: str) -> TestResult:
        frame = self.compared(ep.monthly_values(self.dataset, self.protocol, measure))
        sided = measure in SIDED_MEASURES
        name = f"{measure}{'_more_affected' if sided else ''}_monthly"
        notes = ("values at scheduled visits; month = study day / 30.4375",)
        subjects = frame.drop_duplicates("subject_id")
        spec = self.spec(name, "linear mixed model", "difference in change per month", subjects)
        if len(frame) and frame["value"].nunique() == 1:
            value = frame["value"].iloc[0]
            return not_performed(spec, f"every value equals {value:g}: no variation", notes)
        return guarded(
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


@dataclass(frozen=True, eq=False)
class ChangeData:
    """A change endpoint's measure, the compared subjects' changes, and shared notes."""

    measure: str
    frame: pd.DataFrame
    notes: list[str]


def arms_text(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{arm} {n}" for arm, n in counts.items())


__all__ = ["ChangeData", "Comparison", "ResultSpec", "arms_text", "guarded", "not_performed"]
