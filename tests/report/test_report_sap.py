"""The analysis plan an SAP cites, as the report shows it: the plan's settings, one
primary test, raw and adjusted secondary p-values, the estimand and the sensitivity
table."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from mmntrial.analysis.plan import PlanResults, run_plan
from mmntrial.analysis.result import format_p
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.model import Multiplicity, Protocol
from mmntrial.report.write import write_report


def _rows(html: str, table_class: str) -> list[list[str]]:
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', html, re.S)
    assert table, table_class
    body = table.group(1).split("<tbody>")[1]
    return [
        [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row)]
        for row in re.findall(r"<tr[^>]*>(.*?)</tr>", body, re.S)
    ]


def test_the_plan_and_the_estimand_are_stated(report_html: str, factory_plan: PlanResults) -> None:
    assert "two-sided at alpha = 0.05" in report_html
    assert "Holm&#39;s step-down adjustment" in report_html
    assert "Estimand: the difference (mmf - placebo)" in report_html
    assert "composite strategy" in report_html


def test_one_primary_test_then_a_supportive_analysis(report_html: str) -> None:
    rows = _rows(report_html, "results")
    headings = [row[0] for row in rows if len(row) == 1]
    assert headings[:2] == [
        "Primary endpoint (the one primary test)",
        "Supportive analysis (not adjusted; supports no claim)",
    ]
    primary = rows[1]
    assert primary[0] == "IVIg dose reduced by at least 50% at month 12"  # the protocol's label
    assert primary[3:6] == ["1", "1", "not significant"]
    supportive = rows[3]
    assert supportive[0].startswith("Percent reduction")
    assert supportive[4:6] == ["", ""]


def test_secondary_rows_show_raw_and_adjusted_p(
    report_html: str, factory_plan: PlanResults, piepers: Protocol
) -> None:
    rows = {row[0]: row for row in _rows(report_html, "results") if len(row) == 8}
    for result, adjusted, endpoint in zip(
        factory_plan.secondary,
        factory_plan.secondary_adjusted,
        piepers.endpoints.secondary,
        strict=True,
    ):
        row = rows[endpoint.shown_label()]
        assert row[3] == format_p(result.p_value)
        assert row[4] == format_p(adjusted.adjusted_p)
        assert row[5] == adjusted.conclusion


def test_the_sensitivity_table(report_html: str) -> None:
    rows = _rows(report_html, "sensitivity")
    assert [row[0] for row in rows] == [
        "complete case",
        "best case for the study drug",
        "worst case for the study drug",
    ]
    # mmf: S02 withdrew (failure); complete case 1/2, best 2/3, worst 1/3.
    assert [row[2] for row in rows] == [
        "mmf 1/2, placebo 2/3",
        "mmf 2/3, placebo 2/3",
        "mmf 1/3, placebo 2/3",
    ]
    assert rows[1][3] == "risk difference, mmf - placebo: 0.0 percentage points"


def test_a_hierarchy_stops_claims_in_the_report(
    factory_dataset: Dataset, piepers: Protocol, tmp_path: Path
) -> None:
    endpoints = replace(piepers.endpoints, multiplicity=Multiplicity.HIERARCHY)
    protocol = replace(piepers, endpoints=endpoints)
    plan = run_plan(factory_dataset, protocol)
    html = write_report(factory_dataset, protocol, plan, tmp_path, pdf=False).html.read_text()
    assert "a fixed hierarchy in the protocol&#39;s order" in html
    conclusions = [row[5] for row in _rows(html, "results") if len(row) == 8][2:8]
    first_miss = next(i for i, c in enumerate(conclusions) if c != "significant")
    assert all(c.startswith("not") for c in conclusions[first_miss:])
    assert "not tested: the hierarchy stopped before it" in conclusions
