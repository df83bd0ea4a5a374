"""One analysis per protocol Analysis; an analysis that does not apply says so."""

from __future__ import annotations

from dataclasses import replace

import pytest

from mmntrial.analysis.plan import run_plan
from mmntrial.analysis.secondary import ANALYSES
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Analysis, EndpointKind, SecondaryEndpoint
from mmntrial.protocol.schema import ROOT
from tests.dataset.factory import make_dataset


def test_every_analysis_has_its_function() -> None:
    assert set(ANALYSES) == set(Analysis)


def test_the_schema_offers_exactly_the_registered_analyses() -> None:
    secondary = ROOT.fields["endpoints"].fields["secondary"]
    assert set(secondary.fields["analysis"].choices) == {a.value for a in ANALYSES}


@pytest.mark.parametrize(
    ("endpoint", "test", "reason"),
    [
        (
            SecondaryEndpoint("grip", EndpointKind.CHANGE, Analysis.LOGRANK, "grip_kpa", 91),
            "Mann-Whitney U (not performed)",
            "not performed: analysis 'logrank' is not one for a change",
        ),
        (
            SecondaryEndpoint("grams", EndpointKind.IVIG_GRAMS_PER_YEAR, Analysis.ANCOVA),
            "ancova (not performed)",
            "not performed: no ancova analysis for ivig_grams_per_year",
        ),
        (
            SecondaryEndpoint("ttd", EndpointKind.TIME_TO_DETERIORATION, Analysis.FISHER),
            "fisher (not performed)",
            "not performed: no fisher analysis for time_to_deterioration",
        ),
    ],
)
def test_an_analysis_that_does_not_apply_is_not_performed(
    endpoint: SecondaryEndpoint, test: str, reason: str
) -> None:
    protocol = load_protocol("piepers-2007")
    edited = replace(protocol, endpoints=replace(protocol.endpoints, secondary=(endpoint,)))
    (result,) = run_plan(make_dataset(), edited).secondary
    assert result.test == test
    assert result.notes[-1] == reason
