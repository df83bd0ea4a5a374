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
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.provenance import protocol_hash
from tests.simulate.test_provenance import _reformatted as reformatted

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


PIEPERS_TEXT = (resources.files("mmntrial.protocol") / "builtin" / "piepers-2007.toml").read_text(
    encoding="utf-8"
)


def _with_hash(dataset_dir: Path, tmp_path: Path, digest: str) -> Path:
    """A copy of the dataset whose dataset.json records ``digest`` as the protocol's hash."""
    copy = tmp_path / "hashed"
    shutil.copytree(dataset_dir, copy)
    meta = json.loads((copy / "dataset.json").read_text(encoding="utf-8"))
    meta["protocol_sha256"] = digest
    (copy / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    return copy


def _reordered(text: str) -> str:
    """The same protocol with comments gone, blank lines added and two keys swapped."""
    lines = reformatted(text).splitlines()
    title = next(i for i, line in enumerate(lines) if line.startswith("title = "))
    version = next(i for i, line in enumerate(lines) if line.startswith("version = "))
    lines[title], lines[version] = lines[version], lines[title]
    return "\n".join(lines) + "\n"


def test_a_protocol_with_a_changed_threshold_is_refused_by_its_hash(
    dataset_dir: Path, tmp_path: Path
) -> None:
    recorded = protocol_hash(load_protocol("piepers-2007"))
    data = _with_hash(dataset_dir, tmp_path, recorded)
    changed = tmp_path / "changed.toml"
    assert "threshold = 3.3 " in PIEPERS_TEXT
    changed.write_text(PIEPERS_TEXT.replace("threshold = 3.3 ", "threshold = 3.5 ", 1))
    now = protocol_hash(load_protocol(str(changed)))
    result = CliRunner().invoke(
        app, ["analyze", str(data), "-p", str(changed), "--out", str(tmp_path / "r")]
    )
    message = str(result.exception)
    assert isinstance(result.exception, DatasetError), result.output
    assert len(message.splitlines()) == 1
    assert message.startswith(
        f"--protocol: got protocol 'piepers-2007' ({changed}) with content hash (sha256) {now}"
    )
    assert f"records {recorded} for the protocol the data were collected under" in message
    assert "give the file the dataset was made with" in message
    # The same file reformatted (comments, blank lines, key order) is the same protocol.
    same = tmp_path / "reformatted.toml"
    same.write_text(_reordered(PIEPERS_TEXT), encoding="utf-8")
    assert same.read_text(encoding="utf-8") != PIEPERS_TEXT
    assert choose_protocol(data, str(same)).name == "piepers-2007"


def test_a_changed_built_in_is_refused_and_no_hash_falls_back_to_the_name(
    dataset_dir: Path, tmp_path: Path
) -> None:
    data = _with_hash(dataset_dir, tmp_path, "0" * 64)
    with pytest.raises(DatasetError, match=r"^--protocol: got none, and the built-in protocol"):
        choose_protocol(data, None)
    # Without a recorded hash (an older dataset) only the name is checked.
    changed = tmp_path / "changed.toml"
    changed.write_text(PIEPERS_TEXT.replace("threshold = 3.3 ", "threshold = 3.5 ", 1))
    assert "protocol_sha256" not in (dataset_dir / "dataset.json").read_text(encoding="utf-8")
    assert choose_protocol(dataset_dir, str(changed)).name == "piepers-2007"
