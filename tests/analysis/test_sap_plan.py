"""The analysis plan's SAP settings: one primary test, alpha, sidedness, multiplicity,
the estimand and its sensitivity analysis, as run_plan applies them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from mmntrial.analysis.multiplicity import adjust, holm_adjusted
from mmntrial.analysis.plan import PlanResults, run_plan
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Multiplicity, Protocol, Sidedness
from tests.dataset.factory import make_dataset


def _with(protocol: Protocol, **settings: object) -> Protocol:
    return replace(protocol, endpoints=replace(protocol.endpoints, **settings))


@pytest.fixture(scope="module")
def protocol() -> Protocol:
    return load_protocol("piepers-2007")


@pytest.fixture(scope="module")
def results(protocol: Protocol) -> PlanResults:
    return run_plan(make_dataset(), protocol)


def test_the_defaults_are_two_sided_five_percent_and_holm(protocol: Protocol) -> None:
    endpoints = protocol.endpoints
    assert (endpoints.alpha, endpoints.sidedness, endpoints.multiplicity) == (
        0.05,
        Sidedness.TWO_SIDED,
        Multiplicity.HOLM,
    )
    assert endpoints.primary.test == "fisher"


def test_one_primary_test_and_a_supportive_one(results: PlanResults) -> None:
    sections = [section for section, _ in results.results()]
    assert sections.count("primary") == 1
    assert sections.count("supportive") == 1
    assert results.primary.test == "Fisher's exact test (two-sided)"
    assert results.primary.ci_level == pytest.approx(0.95)
    assert results.primary_conclusion == "not significant"
    assert "two-sided at alpha = 0.05" in results.plan_statement
    assert "supportive" in results.plan_statement


def test_secondary_p_values_are_holm_adjusted(results: PlanResults) -> None:
    raw = [r.p_value for r in results.secondary]
    assert [a.raw_p for a in results.secondary_adjusted] == pytest.approx(raw, nan_ok=True)
    expected = holm_adjusted(raw)
    got = np.array([a.adjusted_p for a in results.secondary_adjusted])
    performed = ~np.isnan(raw)
    np.testing.assert_allclose(got[performed], expected[performed])
    assert "Holm" in results.multiplicity


def test_a_hierarchy_stops_claims_at_the_first_miss(protocol: Protocol) -> None:
    plan = run_plan(make_dataset(), _with(protocol, multiplicity=Multiplicity.HIERARCHY))
    raw = [r.p_value for r in plan.secondary]
    assert list(plan.secondary_adjusted) == adjust(raw, "hierarchy", 0.05)
    conclusions = [a.conclusion for a in plan.secondary_adjusted]
    first_miss = next(i for i, a in enumerate(plan.secondary_adjusted) if not a.claimed)
    assert all(c.startswith("not") for c in conclusions[first_miss:])
    assert "hierarchy" in plan.plan_statement


def test_one_sided_alpha_sets_the_test_and_the_interval(protocol: Protocol) -> None:
    one_sided = _with(protocol, sidedness=Sidedness.ONE_SIDED, alpha=0.025)
    plan = run_plan(make_dataset(), one_sided)
    assert plan.primary.test == "Fisher's exact test (one-sided: treatment > control)"
    assert plan.primary.ci_level == pytest.approx(0.95)
    assert [row.result.ci_level for row in plan.sensitivity] == pytest.approx([0.95] * 3)
    assert "one-sided (the study drug better) at alpha = 0.025" in plan.plan_statement
    wide = run_plan(make_dataset(), _with(protocol, alpha=0.1))
    assert wide.primary.ci_level == pytest.approx(0.9)
    assert wide.primary.p_value == pytest.approx(1.0)


def test_the_estimand_and_its_sensitivity_are_reported(results: PlanResults) -> None:
    assert "withdraws before the day has not reached it" in results.estimand
    cases = [row.case for row in results.sensitivity]
    assert cases == [
        "complete case",
        "best case for the study drug",
        "worst case for the study drug",
    ]
    # mmf: S01 reached, S02 withdrawn (a failure), S03 not; placebo: no withdrawal.
    complete, best, worst = results.sensitivity
    assert dict(complete.n) == {"mmf": 2, "placebo": 3}
    assert dict(best.reached) == {"mmf": 2, "placebo": 2}
    assert dict(worst.reached) == {"mmf": 1, "placebo": 2}
    assert "Estimand" in results.summary()
