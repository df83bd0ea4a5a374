"""Reports written once per test session: the factory dataset's trial report (the plan
takes a second) and a small design report."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.analysis.plan import PlanResults, run_plan
from mmntrial.dataset.schema import Dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.report.design_report import DesignReportPaths, reproduce_command, write_design_report
from mmntrial.report.design_study import DesignStudy, run_design_study
from mmntrial.report.write import ReportPaths, write_report
from mmntrial.simulate.population import load_population
from mmntrial.simulate.size import SizeQuestion
from mmntrial.simulate.trials.one_trial import simulate_one_trial
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


@pytest.fixture(scope="session")
def simulated(piepers: Protocol) -> Dataset:
    """The demo's simulated trial: its screening log names exclusion criteria by id."""
    return simulate_one_trial(piepers, load_population("mmn-default"), effect=0.0, seed=2007)


@pytest.fixture(scope="session")
def simulated_plan(simulated: Dataset, piepers: Protocol) -> PlanResults:
    return run_plan(simulated, piepers)


@pytest.fixture(scope="session")
def simulated_report(
    simulated: Dataset,
    piepers: Protocol,
    simulated_plan: PlanResults,
    tmp_path_factory: pytest.TempPathFactory,
) -> ReportPaths:
    out = tmp_path_factory.mktemp("simulated") / "report"
    return write_report(simulated, piepers, simulated_plan, out, pdf=False)


@pytest.fixture(scope="session")
def simulated_html(simulated_report: ReportPaths) -> str:
    return simulated_report.html.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def design_study() -> DesignStudy:
    return run_design_study(
        load_protocol("piepers-2007"),
        load_population("mmn-default"),
        population_name="mmn-default",
        effects=(0.5, 0.0),
        trials=60,
        seed=3,
        size_question=SizeQuestion(effect=0.5, seed=3, max_trials=1000, max_n=40),
    )


@pytest.fixture(scope="session")
def design_report(
    design_study: DesignStudy, tmp_path_factory: pytest.TempPathFactory
) -> DesignReportPaths:
    out = tmp_path_factory.mktemp("design") / "report"
    command = reproduce_command(design_study, protocol="piepers-2007", population="mmn-default")
    return write_design_report(design_study, out, command=command, pdf=False)


@pytest.fixture(scope="session")
def design_html(design_report: DesignReportPaths) -> str:
    return design_report.html.read_text(encoding="utf-8")
