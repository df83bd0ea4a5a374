"""The `mmntrial randomize` commands, through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mmntrial.cli.randomize import app
from mmntrial.errors import ListExhausted, ListTampered, RandomizationError, StorageError
from mmntrial.randomization.listfile import load

runner = CliRunner()
CENTRES = ["--strata", "centre=AMC,UMCU"]


def _generate(tmp_path: Path, *extra: str, name: str = "list.json") -> Path:
    out = tmp_path / name
    result = runner.invoke(
        app,
        [
            "generate",
            "--protocol",
            "piepers-2007",
            *CENTRES,
            "--size",
            "10",
            "--out",
            str(out),
            *extra,
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_generate_from_the_protocol_prints_the_commitment(tmp_path: Path) -> None:
    out = tmp_path / "list.json"
    result = runner.invoke(
        app,
        ["generate", "--protocol", "piepers-2007", *CENTRES, "--size", "10", "--out", str(out)],
    )
    assert result.exit_code == 0, result.output
    lst = load(out)
    assert f"commitment (SHA-256, publish this): {lst.commitment}" in result.output
    assert "centre=AMC: 16" in result.output or "centre=AMC: 18" in result.output
    assert lst.size_per_stratum == 15  # 10 expected + 50% headroom
    assert lst.seed.bit_length() > 64  # a drawn 128-bit seed
    assert "warning" not in result.output


def test_generate_with_options_and_a_small_seed_warns(tmp_path: Path) -> None:
    out = tmp_path / "l.json"
    result = runner.invoke(
        app,
        [
            "generate",
            "--method",
            "blocks",
            "--arms",
            "mmf,placebo",
            "--ratio",
            "2:1",
            "--block-sizes",
            "3,6",
            "--size",
            "9",
            "--headroom",
            "0",
            "--seed",
            "42",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "warning: a seed under 64 bits" in result.output
    assert load(out).design.ratios == (2, 1)


def test_same_seed_same_commitment_on_the_command_line(tmp_path: Path) -> None:
    a = load(_generate(tmp_path, "--seed", str(2**100), name="a.json"))
    b = load(_generate(tmp_path, "--seed", str(2**100), name="b.json"))
    assert a.commitment == b.commitment


def test_generate_refuses_bad_parameters(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        [
            "generate",
            "--method",
            "blocks",
            "--ratio",
            "2:1",
            "--block-sizes",
            "4",
            "--size",
            "4",
            "--out",
            str(tmp_path / "x.json"),
        ],
    )
    assert isinstance(result.exception, RandomizationError)
    assert "block_sizes: got 4" in str(result.exception)
    result = runner.invoke(
        app,
        [
            "generate",
            "--protocol",
            "piepers-2007",
            "--method",
            "simple",
            *CENTRES,
            "--size",
            "4",
            "--out",
            str(tmp_path / "x.json"),
        ],
    )
    assert isinstance(result.exception, RandomizationError)
    assert "--method: got a value with --protocol" in str(result.exception)


def test_verify_accepts_and_lists_commitments(tmp_path: Path) -> None:
    path = _generate(tmp_path)
    sha = load(path).commitment
    result = runner.invoke(app, ["verify", str(path), "--commitment", sha])
    assert result.exit_code == 0, result.output
    assert f"commitment: {sha}" in result.output


def test_verify_names_the_first_differing_row(tmp_path: Path) -> None:
    path = _generate(tmp_path)
    doc = json.loads(path.read_text())
    row = doc["rows"][3]
    row["arm"] = "placebo" if row["arm"] == "mmf" else "mmf"
    path.write_text(json.dumps(doc))
    result = runner.invoke(app, ["verify", str(path)])
    assert isinstance(result.exception, ListTampered)
    assert str(result.exception).startswith("row 4 (stratum 'centre=AMC', seq 4)")


def test_verify_exits_2_through_main(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from mmntrial.cli import app as cli

    if "randomize" not in {spec.name for spec in cli.COMMANDS}:
        pytest.skip("`mmntrial randomize` is not registered in cli/app.py yet")
    path = _generate(tmp_path)
    doc = json.loads(path.read_text())
    doc["rows"][0]["kit"] = "00000-00000"
    path.write_text(json.dumps(doc))
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["randomize", "verify", str(path)])
    assert exit_info.value.code == 2
    assert "row 1" in capsys.readouterr().err


def test_extend_keeps_rows_and_adds_a_centre(tmp_path: Path) -> None:
    path = _generate(tmp_path)
    old = load(path)
    result = runner.invoke(
        app, ["extend", str(path), "--size", "30", "--add-level", "centre=RADBOUD"]
    )
    assert result.exit_code == 0, result.output
    new = load(path)
    assert set(old.rows) <= set(new.rows)
    assert f"previous commitment: {old.commitment}" in result.output
    assert runner.invoke(app, ["verify", str(path), "--commitment", old.commitment]).exit_code == 0


def test_assess_prints_a_table_and_json() -> None:
    args = [
        "assess",
        "--method",
        "blocks",
        "--block-sizes",
        "2",
        "--subjects",
        "20",
        "--simulations",
        "50",
        "--seed",
        "1",
    ]
    table = runner.invoke(app, args)
    assert table.exit_code == 0, table.output
    assert "predictability (convergence strategy): 0.750" in table.output
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert data["predictability"] == 0.75
    assert data["balance"][0]["group"] == "overall"


def test_allocate_and_reveal_over_a_ledger(tmp_path: Path, database: str | Path) -> None:
    path = _generate(tmp_path, "--seed", str(2**90))
    slots = tmp_path / "list.slots.json"
    db = database
    created = runner.invoke(app, ["init", "--db", str(db), "--list", str(slots)])
    assert created.exit_code == 0, created.output
    assert "ledger head (keep it: COUNT:HASH): 1:" in created.output
    common = ["--db", str(db), "--list", str(slots)]
    result = runner.invoke(
        app, ["allocate", "MMN-001", *common, "--by", "nurse", "--stratum", "centre=AMC"]
    )
    assert result.exit_code == 0, result.output
    first = load(path).slots("centre=AMC")[0]
    assert f"kit {first.kit}" in result.output
    assert "ledger head (keep it: COUNT:HASH): 2:" in result.output
    assert "mmf" not in result.output
    assert "placebo" not in result.output
    again = runner.invoke(
        app, ["allocate", "MMN-001", *common, "--by", "nurse", "--stratum", "centre=AMC"]
    )
    assert "randomized already" in str(again.exception)
    blinded = runner.invoke(
        app, ["reveal", "MMN-001", *common, "--by", "dr. Smit", "--reason", "SUSAR"]
    )
    assert "expected the list file (the sealed key" in str(blinded.exception)
    key = ["--db", str(db), "--list", str(path)]
    shown = runner.invoke(app, ["reveal", "MMN-001", *key, "--by", "dr. Smit", "--reason", "SUSAR"])
    assert shown.exit_code == 0, shown.output
    assert f"arm {first.arm}" in shown.output
    listed = runner.invoke(app, ["unblindings", "--db", str(db), "--json"])
    assert listed.exit_code == 0, listed.output
    [record] = json.loads(listed.stdout)
    assert (record["subject"], record["revealed_by"], record["reason"]) == (
        "MMN-001",
        "dr. Smit",
        "SUSAR",
    )
    assert "mmf" not in listed.stdout
    assert "placebo" not in listed.stdout


def test_allocate_reports_an_exhausted_stratum(tmp_path: Path) -> None:
    out = tmp_path / "l.json"
    runner.invoke(
        app,
        [
            "generate",
            "--method",
            "stratified_blocks",
            "--block-sizes",
            "2",
            *CENTRES,
            "--size",
            "2",
            "--headroom",
            "0",
            "--out",
            str(out),
        ],
    )
    common = ["--db", str(tmp_path / "l.db"), "--list", str(out), "--by", "nurse"]
    assert runner.invoke(app, ["init", *common[:4]]).exit_code == 0
    for subject in ("A1", "A2"):
        assert (
            runner.invoke(app, ["allocate", subject, *common, "--stratum", "centre=AMC"]).exit_code
            == 0
        )
    result = runner.invoke(app, ["allocate", "A3", *common, "--stratum", "centre=AMC"])
    assert isinstance(result.exception, ListExhausted)


def test_allocate_refuses_a_database_url_it_cannot_use(tmp_path: Path) -> None:
    path = _generate(tmp_path)
    result = runner.invoke(
        app,
        ["allocate", "MMN-001", "--db", "mysql://db/trial", "--list", str(path), "--by", "nurse"],
    )
    assert isinstance(result.exception, StorageError)
    assert "database: got 'mysql://db/trial' (mysql), expected a SQLite file path" in str(
        result.exception
    )
