"""``mmntrial frontier`` from the command line: the table within 80 columns, and JSON."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mmntrial.cli.app import app

RUNNER = CliRunner()
QUICK = ["--effect", "0.5", "--power", "0.6", "--max-trials", "1500", "--precision", "0.2",
         "--max-n", "40"]  # fmt: skip


def test_frontier_table_fits_80_columns_and_names_the_frontier() -> None:
    result = RUNNER.invoke(
        app, ["frontier", *QUICK, "--protocol", "piepers-2007,interval-lengthening"],
        env={"COLUMNS": "80"},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    # The sentences around the table may wrap at will; the table may not exceed 80.
    lines = result.output.splitlines()
    table = [line for line in lines if not line.startswith(("Effect", "reproduce", "On the"))]
    assert all(len(line) <= 80 for line in table)
    assert "piepers-2007" in result.output
    assert "On the frontier (no other design needs fewer patients and harms less): " in (
        result.output
    )
    assert (
        result.output.rstrip()
        .splitlines()[-1]
        .startswith(
            "reproduce: mmntrial frontier --effect 0.5 --protocol "
            "piepers-2007,interval-lengthening --population mmn-default"
        )
    )


def test_frontier_json_carries_each_design_with_its_provenance() -> None:
    result = RUNNER.invoke(app, ["frontier", *QUICK, "--taper-step", "10,50", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    designs = document["designs"]
    assert [d["settings"] for d in designs] == [
        {"taper.step_percent": 10},
        {"taper.step_percent": 50},
    ]
    hashes = {d["provenance"]["protocol"]["sha256"] for d in designs}
    assert len(hashes) == 2  # each variant's own content, not the base protocol's
    for design in designs:
        assert "command" not in design
        assert isinstance(design["on_frontier"], bool)
    assert any(d["on_frontier"] for d in designs if d["n_per_arm"] is not None)
    assert document["command"].startswith("mmntrial frontier --effect 0.5")
    assert "--taper-step 10,50" in document["command"]
