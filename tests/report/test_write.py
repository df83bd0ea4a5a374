"""write_report: a self-contained, deterministic HTML page with every section and number."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from mmntrial.analysis.plan import PlanResults
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import MmntrialError
from mmntrial.protocol.model import Protocol
from mmntrial.report import write as write_module
from mmntrial.report.html import SECTION_IDS
from mmntrial.report.pdf import PdfOutcome
from mmntrial.report.reproduce import dataset_hash
from mmntrial.report.write import ReportPaths, consort_flow, write_report


def test_every_section_has_its_id(report_html: str) -> None:
    for section in SECTION_IDS:
        assert len(re.findall(rf'<section id="{section}">', report_html)) == 1


def test_the_page_loads_nothing_from_outside(report_html: str) -> None:
    assert not re.search(r"""\b(src|href)\s*=\s*["']?(https?:)?//""", report_html)
    assert "@import" not in report_html
    assert not re.search(r"url\(\s*['\"]?(https?:|//)", report_html)
    assert "<script" not in report_html
    assert "<link" not in report_html
    assert "<img" not in report_html


def test_every_figure_is_inline_svg(report_html: str) -> None:
    for figure in ("fig-consort", "fig-dose-intensity", "fig-measures", "fig-km"):
        match = re.search(rf'<figure class="\w+" id="{figure}">\s*<svg', report_html)
        assert match, figure


def test_the_headline_numbers_are_the_plans(report_html: str, factory_plan: PlanResults) -> None:
    primary = factory_plan.primary
    # -0.333, the risk difference mmf - placebo, as a difference of percentages.
    assert f"{100 * primary.estimate:.1f} percentage points" in report_html
    assert f"{100 * primary.ci_low:.1f} to {100 * primary.ci_high:.1f}" in report_html
    for result in (*factory_plan.secondary, *factory_plan.mixed_models):
        assert f'id="result-{result.name}"' in report_html
    # Primary endpoint by arm: mmf 1 of 3, placebo 2 of 3 (the factory's known truth).
    rows = re.findall(
        r'<tr><th scope="row">([^<]+)</th><td class="num">(\d+)</td><td class="num">(\d+)</td>',
        report_html,
    )
    assert ("Mycophenolate mofetil + IVIg", "1", "3") in rows
    assert ("Placebo + IVIg", "2", "3") in rows


def test_table_one_and_safety_and_reproducibility(
    report_html: str, factory_dataset: Dataset
) -> None:
    assert "Age, years, mean (SD)" in report_html
    assert "Subjects by worst CTCAE grade" in report_html
    assert "pneumonia" in report_html  # the one serious adverse event
    assert dataset_hash(factory_dataset) in report_html
    assert "mmntrial version" in report_html
    assert "PDF not written: not requested" in report_html


def test_same_inputs_give_the_same_html(
    factory_dataset: Dataset,
    piepers: Protocol,
    factory_plan: PlanResults,
    html_report: ReportPaths,
    tmp_path: Path,
) -> None:
    again = write_report(factory_dataset, piepers, factory_plan, tmp_path, pdf=False)
    assert again.html.read_bytes() == html_report.html.read_bytes()


def test_figures_are_also_written_as_svg_files(html_report: ReportPaths) -> None:
    assert set(html_report.figures) == {"consort", "dose-intensity", "measures", "km"}
    for path in html_report.figures.values():
        root = ET.parse(path).getroot()
        assert root.tag == "{http://www.w3.org/2000/svg}svg"


def test_consort_flow_splits_lost_from_withdrawn(factory_plan: PlanResults) -> None:
    flow = consort_flow(factory_plan.consort, {"mmf": "MMF", "placebo": "Placebo"})
    assert (flow.assessed, flow.randomized) == (8, 6)
    mmf = flow.arms[0]
    assert (mmf.label, mmf.allocated, mmf.analysed) == ("MMF", 3, 3)
    assert dict(mmf.withdrawn) == {"adverse event (leukopenia)": 1}
    assert dict(mmf.lost) == {}
    assert sum(flow.excluded.values()) == 2


def test_a_file_in_place_of_the_out_directory_is_a_user_error(
    factory_dataset: Dataset, piepers: Protocol, factory_plan: PlanResults, tmp_path: Path
) -> None:
    blocker = tmp_path / "report"
    blocker.write_text("not a directory")
    with pytest.raises(
        MmntrialError, match=r"out_dir: got '.*report', .*exists and is not a folder"
    ):
        write_report(factory_dataset, piepers, factory_plan, blocker, pdf=False)


def test_without_weasyprint_the_html_says_why(
    factory_dataset: Dataset,
    piepers: Protocol,
    factory_plan: PlanResults,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(write_module, "pdf_unavailable_reason", lambda: "no Pango here")
    paths = write_report(factory_dataset, piepers, factory_plan, tmp_path)
    assert paths.pdf is None
    assert paths.pdf_note == "PDF not written: no Pango here"
    assert "PDF not written: no Pango here" in paths.html.read_text()
    assert not (tmp_path / "report.pdf").exists()


def test_a_pdf_that_fails_late_is_reported_in_the_html(
    factory_dataset: Dataset,
    piepers: Protocol,
    factory_plan: PlanResults,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(write_module, "pdf_unavailable_reason", lambda: None)
    monkeypatch.setattr(
        write_module, "write_pdf", lambda html, path: PdfOutcome(None, "WeasyPrint failed: boom")
    )
    paths = write_report(factory_dataset, piepers, factory_plan, tmp_path)
    text = paths.html.read_text()
    assert "PDF not written: WeasyPrint failed: boom" in text
    assert "Also as PDF" not in text
