"""The factory dataset's report, written once per test session (the plan takes a second)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.analysis.plan import PlanResults, run_plan
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.report.write import ReportPaths, write_report
from tests.dataset.factory import make_dataset


@pytest.fixture(scope="session")
def piepers() -> Protocol:
    return load_protocol("piepers-2007")


@pytest.fixture(scope="session")
def factory_dataset() -> Dataset:
    return make_dataset()


@pytest.fixture(scope="session")
def factory_plan(factory_dataset: Dataset, piepers: Protocol) -> PlanResults:
    return run_plan(factory_dataset, piepers)


@pytest.fixture(scope="session")
def html_report(
    factory_dataset: Dataset,
    piepers: Protocol,
    factory_plan: PlanResults,
    tmp_path_factory: pytest.TempPathFactory,
) -> ReportPaths:
    """The HTML report of the factory dataset, without the PDF (tested on its own)."""
    out = tmp_path_factory.mktemp("report")
    return write_report(factory_dataset, piepers, factory_plan, out, pdf=False)


@pytest.fixture(scope="session")
def report_html(html_report: ReportPaths) -> str:
    return Path(html_report.html).read_text(encoding="utf-8")
