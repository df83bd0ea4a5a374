"""``mmntrial analyze``: headline printed, report written, user errors as MmntrialError."""

from __future__ import annotations

import json
import shutil
from importlib import resources
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from mmntrial.cli.analyze import analyze, choose_protocol
from mmntrial.dataset.io import write_dataset
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import DatasetError, MmntrialError

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
        env={"COLUMNS": "400"},  # long temporary paths stay on one line
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())
    assert "Mycophenolate mofetil + IVIg │ 1 │ 3 │ 33.3" in text
    assert "Placebo + IVIg │ 2 │ 3 │ 66.7" in text
    # The protocol's label heads the table; the risk difference is in percentage points.
    assert text.startswith("IVIg dose reduced by at least 50% at month 12 ")
    assert "risk difference, mmf - placebo: -33.3 percentage points (95% CI -71.8 to 31.6 " in text
    assert "p = 1 (not significant at alpha = 0.05)" in text
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


def _renamed(dataset_dir: Path, folder: Path, name: str) -> Path:
    """A copy of the dataset whose dataset.json names protocol ``name``."""
    copy = folder / f"trial-{name}"
    shutil.copytree(dataset_dir, copy)
    meta = json.loads((copy / "dataset.json").read_text(encoding="utf-8"))
    (copy / "dataset.json").write_text(json.dumps({**meta, "protocol": name}), encoding="utf-8")
    return copy


def test_the_protocol_comes_from_the_dataset(dataset_dir: Path, tmp_path: Path) -> None:
    assert choose_protocol(dataset_dir, None).name == "piepers-2007"
    other = _renamed(dataset_dir, tmp_path, "cidp-levels")
    assert choose_protocol(other, None).name == "cidp-levels"
    result = CliRunner().invoke(
        app, ["analyze", str(dataset_dir), "--out", str(tmp_path / "r"), "--no-pdf"]
    )
    assert result.exit_code == 0, result.output


def test_a_mismatch_is_one_clear_message(dataset_dir: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["analyze", str(dataset_dir), "--protocol", "cidp-levels", "--out", str(tmp_path)]
    )
    message = str(result.exception)
    assert isinstance(result.exception, DatasetError)
    assert message.startswith("--protocol: got protocol 'cidp-levels' (builtin:cidp-levels)")
    assert "names protocol 'piepers-2007'" in message
    assert "leave --protocol out" in message
    assert len(message.splitlines()) == 1


def test_a_protocol_file_is_given_for_a_dataset_of_its_name(
    dataset_dir: Path, tmp_path: Path
) -> None:
    text = (resources.files("mmntrial.protocol") / "builtin" / "piepers-2007.toml").read_text(
        encoding="utf-8"
    )
    protocol_file = tmp_path / "my-trial.toml"
    protocol_file.write_text(
        text.replace('name = "piepers-2007"', 'name = "my-trial"', 1), encoding="utf-8"
    )
    data = _renamed(dataset_dir, tmp_path, "my-trial")
    refused = CliRunner().invoke(app, ["analyze", str(data), "--out", str(tmp_path / "r")])
    assert isinstance(refused.exception, DatasetError)
    assert "names protocol 'my-trial', which is not built in" in str(refused.exception)
    assert "--protocol FILE" in str(refused.exception)
    result = CliRunner().invoke(
        app,
        ["analyze", str(data), "-p", str(protocol_file), "--out", str(tmp_path / "r"), "--no-pdf"],
    )
    assert result.exit_code == 0, result.output
