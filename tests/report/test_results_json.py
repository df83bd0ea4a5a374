"""results.json beside the report holds the plan's numbers, names and labels, and its
provenance (issue 13, item 5)."""

from __future__ import annotations

import json
import math
from typing import Any

from mmntrial import __version__
from mmntrial.analysis.plan import PlanResults
from mmntrial.analysis.result import TestResult
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.model import Protocol
from mmntrial.report.reproduce import dataset_hash
from mmntrial.report.write import ReportPaths
from mmntrial.simulate.provenance import protocol_hash


def _read(paths: ReportPaths) -> dict[str, Any]:
    assert paths.results is not None
    assert paths.results.parent == paths.html.parent
    data: dict[str, Any] = json.loads(paths.results.read_text(encoding="utf-8"))
    return data


def _same(number: float | None, expected: float) -> bool:
    return number is None if math.isnan(expected) else number == expected


def _check(entry: dict[str, Any], result: TestResult) -> None:
    assert entry["name"] == result.name
    assert entry["test"] == result.test
    for key in ("estimate", "ci_low", "ci_high", "p_value"):
        assert _same(entry[key], getattr(result, key)), (result.name, key)
    assert entry["ci_level"] == result.ci_level
    assert entry["n_per_arm"] == dict(result.n_per_arm)


def test_the_numbers_are_the_plans(
    simulated_report: ReportPaths, simulated_plan: PlanResults
) -> None:
    data = _read(simulated_report)
    plan = simulated_plan
    _check(data["primary"]["result"], plan.primary)
    assert data["primary"]["conclusion"] == plan.primary_conclusion
    _check(data["supportive"], plan.percent_reduction)
    assert len(data["secondary"]) == len(plan.secondary)
    for entry, result, adjusted in zip(
        data["secondary"], plan.secondary, plan.secondary_adjusted, strict=True
    ):
        _check(entry, result)
        assert _same(entry["adjusted_p"], adjusted.adjusted_p)
        assert entry["conclusion"] == adjusted.conclusion
    for entry, row in zip(data["sensitivity"], plan.sensitivity, strict=True):
        assert (entry["case"], entry["reached"], entry["n"]) == (
            row.case,
            dict(row.reached),
            dict(row.n),
        )
        _check(entry["result"], row.result)
    for entry, result in zip(data["mixed_models"], plan.mixed_models, strict=True):
        _check(entry, result)


def test_names_and_labels(simulated_report: ReportPaths, piepers: Protocol) -> None:
    data = _read(simulated_report)
    assert data["primary"]["label"] == piepers.endpoints.primary.label
    assert [(e["name"], e["label"]) for e in data["secondary"]] == [
        (e.name, e.label) for e in piepers.endpoints.secondary
    ]
    first = data["primary"]["result"]["shown"]
    assert first["estimate"].endswith(" percentage points")


def test_the_primary_by_arm_and_the_consort_counts(
    simulated_report: ReportPaths, simulated_plan: PlanResults
) -> None:
    data = _read(simulated_report)
    table = simulated_plan.endpoints
    for row in data["primary"]["by_arm"]:
        in_arm = table["arm"] == row["arm"]
        assert row["reached"] == int(table.loc[in_arm, "reached"].sum())
        assert row["n"] == int(in_arm.sum())
        assert row["percent"] == round(100 * row["reached"] / row["n"], 1)
    consort = simulated_plan.consort
    counts = data["consort"]
    assert (counts["assessed"], counts["randomized"]) == (consort.assessed, consort.randomized)
    assert {e["reason"]: e["n"] for e in counts["excluded"]} == dict(consort.excluded)
    assert counts["allocated"] == dict(consort.allocated)
    assert counts["analysed"] == dict(consort.analysed)
    assert counts["completed"] == dict(consort.completed)
    assert counts["ongoing"] == dict(consort.ongoing)
    labels = [e["label"] for e in counts["excluded"]]
    assert "not eligible: Active serious infection, hepatitis B or C" in labels


def test_plan_settings_and_provenance(
    simulated_report: ReportPaths, simulated: Dataset, piepers: Protocol, simulated_html: str
) -> None:
    data = _read(simulated_report)
    assert data["plan"]["alpha"] == piepers.endpoints.alpha
    assert data["plan"]["sidedness"] == "two_sided"
    assert data["plan"]["multiplicity"] == "holm"
    assert data["plan"]["primary_test"] == "fisher"
    provenance = data["provenance"]
    assert provenance["dataset_hash"] == dataset_hash(simulated)
    assert provenance["protocol"] == "piepers-2007"
    assert provenance["protocol_hash"] == protocol_hash(piepers)
    assert provenance["software_version"] == __version__
    # The report's reproducibility section shows the same protocol hash.
    assert protocol_hash(piepers) in simulated_html
