"""Provenance where issue 13 still missed it: a simulated dataset's ``dataset.json``
(reproduced by the content hash of each table) and every line of ``sweep --json``."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mmntrial.cli.app import app
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.provenance import protocol_hash
from tests.cli.running import run_main

RUNNER = CliRunner()


@pytest.fixture(scope="module")
def simulated_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The dataset of ``simulate --dataset`` (trial 0 of seed 3 at effect 0.5, 10 per arm)."""
    folder = tmp_path_factory.mktemp("dataset") / "trial"
    code, output = run_main(
        ["simulate", "--trials", "2", "--effect", "0.5", "--seed", "3", "--n-per-arm", "10",
         "--json", "--dataset", str(folder)]
    )  # fmt: skip
    assert code == 0, output
    return folder


def test_dataset_json_records_how_the_dataset_was_simulated(simulated_dataset: Path) -> None:
    meta = json.loads((simulated_dataset / "dataset.json").read_text(encoding="utf-8"))
    record = meta["provenance"]
    assert record["kind"] == "dataset"
    assert (record["seed"], record["trial"], record["n_per_arm"], record["effect"]) == (
        3, 0, 10, 0.5,
    )  # fmt: skip
    assert record["protocol"]["name"] == "piepers-2007"
    assert record["population"]["name"] == "mmn-default"
    assert len(record["population"]["sha256"]) == 64
    assert record["software"]["name"] == "mmntrial"
    # The hash analyze checks, at the top level where the capture app writes it too.
    assert meta["protocol_sha256"] == protocol_hash(load_protocol("piepers-2007"))
    assert record["protocol"]["sha256"] == meta["protocol_sha256"]


def test_a_simulated_dataset_reproduces(simulated_dataset: Path) -> None:
    code, output = run_main(["reproduce", str(simulated_dataset)])
    assert code == 0, output
    assert "reproduced: trial 0 of piepers-2007, dataset hash" in output
    # Its dataset.json names the same folder.
    code, output = run_main(["reproduce", str(simulated_dataset / "dataset.json")])
    assert code == 0, output


def test_a_changed_table_is_named_first(simulated_dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "trial"
    copy.mkdir()
    for path in simulated_dataset.iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    for name in ("labs", "infusions"):  # infusions comes first in the schema
        frame = pd.read_parquet(copy / f"{name}.parquet")
        column = "dose_g" if name == "infusions" else "value"
        frame.loc[0, column] = frame.loc[0, column] + 1
        frame.to_parquet(copy / f"{name}.parquet", index=False)
    code, output = run_main(["reproduce", str(copy)])
    assert code == 2, output
    assert "not reproduced: 2 differences: table infusions: content hash (sha256)" in output
    assert output.index("table infusions") < output.index("table labs")


def test_a_dataset_without_a_record_is_refused(simulated_dataset: Path, tmp_path: Path) -> None:
    copy = tmp_path / "trial"
    copy.mkdir()
    for path in simulated_dataset.iterdir():
        copy.joinpath(path.name).write_bytes(path.read_bytes())
    meta = json.loads((copy / "dataset.json").read_text(encoding="utf-8"))
    del meta["provenance"]
    (copy / "dataset.json").write_text(json.dumps(meta), encoding="utf-8")
    code, output = run_main(["reproduce", str(copy)])
    assert code == 2, output
    assert "dataset.json: provenance: got nothing, expected the record that mmntrial" in output


def test_every_sweep_json_line_carries_the_record(tmp_path: Path) -> None:
    result = RUNNER.invoke(
        app,
        ["sweep", "--out", str(tmp_path / "sweep"), "--trials", "2", "--seed", "4",
         "--effect", "0,0.5", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(lines) == 2
    sidecar = json.loads((tmp_path / "sweep" / "provenance.json").read_text(encoding="utf-8"))
    for line in lines:
        record = line["provenance"]
        assert record == sidecar
        assert (record["kind"], record["seed"], record["trials"]) == ("sweep", 4, 2)
        assert record["grid"]["effect"] == [0.0, 0.5]
