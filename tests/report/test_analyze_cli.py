"""``mmntrial analyze``: headline printed, report written, user errors as MmntrialError."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mmntrial.cli.analyze import analyze
from mmntrial.dataset.io import write_dataset
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import MmntrialError

# A stand-in for the real app, which registers the same function as `mmntrial analyze`.
app = typer.Typer()
app.command("analyze")(analyze)


@app.command("other")
def _other() -> None:
    """A second command, so that Typer keeps `analyze` as a sub-command name."""


@pytest.fixture(scope="module")
def dataset_dir(factory_dataset: Dataset, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dataset(factory_dataset, tmp_path_factory.mktemp("data") / "trial", "csv")


def test_analyze_prints_the_headline_and_writes_the_report(
    dataset_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app, ["analyze", str(dataset_dir), "--protocol", "piepers-2007", "--out", str(out),
              "--no-pdf"],
        env={"COLUMNS": "400"},  # a long tmp path must not wrap inside the checked line
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Mycophenolate mofetil + IVIg │ 1 │ 3 │ 33.3" in text
    assert "Placebo + IVIg │ 2 │ 3 │ 66.7" in text
    assert "risk difference, mmf - placebo: -0.333 (95% CI -0.718 to 0.316" in text
    assert "p = 1" in text
    assert f"report: {out / 'report.html'}" in text
    assert "PDF not written: not requested" in text
    assert (out / "report.html").is_file()


def test_a_missing_dataset_is_a_user_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["analyze", str(tmp_path / "nowhere"), "--out",
                                      str(tmp_path / "r")])  # fmt: skip
    assert result.exit_code != 0
    assert isinstance(result.exception, MmntrialError)


def test_a_dataset_of_another_protocol_is_a_user_error(dataset_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["analyze", str(dataset_dir), "--protocol", "cidp-levels", "--out", str(tmp_path)]
    )
    assert isinstance(result.exception, MmntrialError)
    assert not (tmp_path / "report.html").exists()
