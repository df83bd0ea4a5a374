"""Secondary endpoints: one analysis per protocol Analysis, in the registry ANALYSES.

The protocol names each secondary endpoint's analysis
(:class:`~mmntrial.protocol.model.Analysis`); :data:`ANALYSES` maps every member to the
function that analyses an endpoint with it, built from the tests of
:class:`~mmntrial.analysis.comparison.Comparison`. An analysis that does not apply to
the endpoint's kind gives a 'not performed' result saying so. Adding an analysis is a
member of the enum, a function here and its entry in ANALYSES (and its tests).

>>> from mmntrial.protocol.model import Analysis
>>> sorted(ANALYSES) == sorted(Analysis)
True
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Final

import pandas as pd

from mmntrial.analysis.comparison import Comparison, guarded, not_performed
from mmntrial.analysis.linear import ancova
from mmntrial.analysis.result import TestResult
from mmntrial.protocol.model import Analysis, EndpointKind, SecondaryEndpoint

# An analysis of a secondary endpoint: the plan, the endpoint, the endpoint table.
SecondaryAnalysis = Callable[[Comparison, SecondaryEndpoint, pd.DataFrame], TestResult]


def _ancova(plan: Comparison, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
    """ANCOVA of the follow-up value on the baseline value, for a change."""
    if endpoint.kind != EndpointKind.CHANGE:
        return plan.unsupported(endpoint, table)
    change = plan.change_data(endpoint)
    frame, notes = change.frame, tuple(change.notes)
    spec = plan.spec(
        endpoint.name, "ANCOVA on baseline", "adjusted mean difference in change", frame
    )
    if len(frame) and frame["change"].nunique() == 1:
        value = frame["change"].iloc[0]
        return not_performed(spec, f"every subject's change is {value:g}", notes)
    if change.measure == "anti_gm1_log2":
        return plan.titre(spec, change, "ancova")
    return guarded(
        spec,
        lambda: ancova(
            frame["followup_value"].to_numpy(dtype=float),
            frame["baseline_value"].to_numpy(dtype=float),
            frame["arm"].to_numpy(),
            treatment=plan.treatment,
            control=plan.control,
        ),
        notes,
    )


def _wilcoxon(plan: Comparison, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
    """Wilcoxon rank-sum test of a change (as the equivalent Mann-Whitney U)."""
    if endpoint.kind != EndpointKind.CHANGE:
        return plan.unsupported(endpoint, table)
    change = plan.change_data(endpoint)
    change.notes.append("Wilcoxon rank-sum test, computed as the equivalent Mann-Whitney U")
    if change.measure == "anti_gm1_log2":
        spec = plan.spec(endpoint.name, "Mann-Whitney U", "shift", change.frame)
        return plan.titre(spec, change, "wilcoxon")
    frame = change.frame
    return plan.ranks(endpoint.name, frame["change"], frame["arm"], "; ".join(change.notes))


def _mann_whitney(plan: Comparison, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
    """Mann-Whitney U test of a change, or of the IVIg grams per year."""
    if endpoint.kind == EndpointKind.IVIG_GRAMS_PER_YEAR:
        note = "grams given from day 0 to the last day on study, per 365.25 days on study"
        return plan.ranks(endpoint.name, table["grams_per_year"], table["arm"], note)
    if endpoint.kind != EndpointKind.CHANGE:
        return plan.unsupported(endpoint, table)
    change = plan.change_data(endpoint)
    if change.measure == "anti_gm1_log2":
        return plan.not_for_change(endpoint, change)
    frame = change.frame
    return plan.ranks(endpoint.name, frame["change"], frame["arm"], "; ".join(change.notes))


def _logrank(plan: Comparison, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
    """Log-rank test (and Cox hazard ratio) of the time to deterioration."""
    if endpoint.kind == EndpointKind.TIME_TO_DETERIORATION:
        return plan.survival(endpoint.name, table)
    return _none(plan, endpoint, table)


def _none(plan: Comparison, endpoint: SecondaryEndpoint, table: pd.DataFrame) -> TestResult:
    """An analysis the plan does not perform for a secondary endpoint (a 'not performed')."""
    if endpoint.kind == EndpointKind.CHANGE:
        return plan.not_for_change(endpoint, plan.change_data(endpoint))
    return plan.unsupported(endpoint, table)


# The registry of secondary-endpoint analyses: one function per Analysis of the protocol.
ANALYSES: Final[Mapping[Analysis, SecondaryAnalysis]] = MappingProxyType(
    {
        Analysis.ANCOVA: _ancova,
        Analysis.MIXED_MODEL: _none,  # the mixed models run on every plan, not per endpoint
        Analysis.WILCOXON: _wilcoxon,
        Analysis.MANN_WHITNEY: _mann_whitney,
        Analysis.LOGRANK: _logrank,
        Analysis.FISHER: _none,  # the primary endpoint's test, not one for a secondary
    }
)


__all__ = ["ANALYSES", "SecondaryAnalysis"]
