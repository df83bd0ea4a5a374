"""``mmntrial reproduce``: each kind of result file round trips; a changed protocol and a
tampered number are each caught, naming what differs."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

import mmntrial.simulate.sweep
from mmntrial.cli.app import app
from mmntrial.simulate.provenance import PARQUET_KEY
from tests.cli.running import run_main

RUNNER = CliRunner()
PIEPERS = resources.files("mmntrial.protocol").joinpath("builtin/piepers-2007.toml")


def _run(*args: str) -> str:
    """Run a command that must succeed; its stdout."""
    result = RUNNER.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _reproduce(path: Path) -> tuple[int, str]:
    return run_main(["reproduce", str(path)])


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """``simulate --json`` saved to a file, and the ``--out`` Parquet of the same run."""
    folder = tmp_path_factory.mktemp("simulated")
    out = folder / "trials.parquet"
    printed = _run(
        "simulate", "--trials", "12", "--effect", "0.5", "--seed", "3", "--chunk-trials", "5",
        "--json", "--out", str(out),
    )  # fmt: skip
    summary = folder / "summary.json"
    summary.write_text(printed, encoding="utf-8")
    return summary, out


def test_simulate_json_records_its_provenance_and_reproduces(simulated: tuple[Path, Path]) -> None:
    summary, _ = simulated
    record = json.loads(summary.read_text())["provenance"]
    assert record["kind"] == "simulate"
    assert (record["seed"], record["trials"], record["chunk_trials"]) == (3, 12, 5)
    assert (record["n_per_arm"], record["effect"]) == (14, 0.5)
    assert record["protocol"]["name"] == "piepers-2007"
    assert len(record["population"]["sha256"]) == 64
    code, output = _reproduce(summary)
    assert code == 0, output
    assert "reproduced" in output


def test_a_tampered_summary_is_not_reproduced(simulated: tuple[Path, Path], tmp_path: Path) -> None:
    data = json.loads(simulated[0].read_text())
    data["drug_weeks_deteriorated_per_patient"] += 0.01
    tampered = tmp_path / "summary.json"
    tampered.write_text(json.dumps(data))
    code, output = _reproduce(tampered)
    assert code == 2, output
    assert "not reproduced: 1 difference: drug_weeks_deteriorated_per_patient: recorded" in output


def test_parquet_metadata_records_provenance_and_reproduces(simulated: tuple[Path, Path]) -> None:
    _, out = simulated
    record = json.loads(pq.read_schema(out).metadata[PARQUET_KEY])
    assert (record["kind"], record["trials"], record["seed"]) == ("simulate", 12, 3)
    code, output = _reproduce(out)
    assert code == 0, output
    assert "reproduced: 12 trials of piepers-2007" in output


def test_a_tampered_parquet_number_is_not_reproduced(
    simulated: tuple[Path, Path], tmp_path: Path
) -> None:
    table = pq.read_table(simulated[1])
    frame = table.to_pandas()
    column = "responders_mmf"
    frame.loc[4, column] += 1
    tampered = tmp_path / "trials.parquet"
    changed = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(changed.replace_schema_metadata(table.schema.metadata), tampered)
    code, output = _reproduce(tampered)
    assert code == 2, output
    assert f"trial 4, {column}: recorded" in output


def test_a_sweep_reproduces_and_a_tampered_csv_cell_is_named(tmp_path: Path) -> None:
    out = tmp_path / "sweep"
    _run("sweep", "--out", str(out), "--trials", "4", "--effect", "0,0.5", "--json")
    record = json.loads((out / "provenance.json").read_text())
    assert record["grid"] == {"effect": [0, 0.5]}
    assert (record["n_per_arm"], record["effect"]) == (14, None)
    # sweep.csv stays a plain table: its first line is its header.
    assert (out / "sweep.csv").read_text().startswith("point,effect,")
    code, output = _reproduce(out / "sweep.csv")
    assert code == 0, output
    assert "reproduced: 2 designs of piepers-2007" in output
    table = (out / "sweep.csv").read_text().splitlines()
    header, second = table[0].split(","), table[2].split(",")
    column = header.index("control_dropouts_per_trial")
    second[column] = str(float(second[column]) + 0.25)
    table[2] = ",".join(second)
    (out / "sweep.csv").write_text("\n".join(table) + "\n")
    code, output = _reproduce(out)
    assert code == 2, output
    assert "point 1, control_dropouts_per_trial: recorded" in output


def test_a_changed_protocol_is_named_before_anything_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    protocol = tmp_path / "mine.toml"
    protocol.write_text(PIEPERS.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "sweep"
    _run("sweep", "--out", str(out), "--trials", "2", "--effect", "0", "-p", str(protocol))
    text = protocol.read_text(encoding="utf-8")
    assert "step_percent = 25 " in text
    protocol.write_text(text.replace("step_percent = 25 ", "step_percent = 50 "))

    def no_run(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("re-ran a changed protocol")

    monkeypatch.setattr(mmntrial.simulate.sweep, "run_sweep", no_run)
    code, output = _reproduce(out)
    assert code == 2, output
    assert f"the protocol piepers-2007 ({protocol.resolve()}) changed" in output
    assert "not re-run" in output


def test_size_json_reproduces_and_a_tampered_answer_is_named(tmp_path: Path) -> None:
    printed = _run(
        "size", "--effect", "0.5", "--power", "0.6", "--max-trials", "1000",
        "--precision", "0.2", "--json",
    )  # fmt: skip
    answer = json.loads(printed)
    record = answer["provenance"]
    assert record["kind"] == "size"
    assert (record["n_per_arm"], record["trials"]) == (answer["n_per_arm"], answer["n_trials"])
    assert record["question"]["max_trials"] == 1000
    result = tmp_path / "size.json"
    result.write_text(printed)
    code, output = _reproduce(result)
    assert code == 0, output
    answer["n_per_arm"] += 1
    result.write_text(json.dumps(answer))
    code, output = _reproduce(result)
    assert code == 2, output
    assert f"n_per_arm: recorded {answer['n_per_arm']}, re-run {answer['n_per_arm'] - 1}" in output


def test_a_result_without_provenance_is_refused(tmp_path: Path) -> None:
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"n_trials": 5}))
    code, output = _reproduce(old)
    assert code == 2
    assert "provenance: got nothing" in output


def test_the_same_numbers_from_another_version_reproduce_and_say_so(
    simulated: tuple[Path, Path], tmp_path: Path
) -> None:
    data = json.loads(simulated[0].read_text())
    data["provenance"]["software"]["version"] = "0.0.1"
    older = tmp_path / "older.json"
    older.write_text(json.dumps(data))
    code, output = _reproduce(older)
    assert code == 0, output
    assert "made with mmntrial 0.0.1" in output
