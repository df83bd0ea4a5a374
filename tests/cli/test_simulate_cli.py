"""`mmntrial simulate` and `mmntrial sweep` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd


def mmntrial(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmntrial", *args],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )


def test_simulate_json_summary_and_outputs(tmp_path: Path) -> None:
    out = tmp_path / "trials.parquet"
    data = tmp_path / "trial0"
    done = mmntrial(
        "simulate",
        "--trials",
        "6",
        "--effect",
        "0.4",
        "--seed",
        "3",
        "--json",
        "--out",
        str(out),
        "--dataset",
        str(data),
    )
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["measure"] == "power"
    assert summary["n_trials"] == 6
    assert 0 <= summary["rejection_rate_low"] <= summary["rejection_rate"]
    assert len(pd.read_parquet(out)) == 6
    assert (data / "dataset.json").exists()
    assert (data / "subjects.parquet").exists()


def test_simulate_prints_a_table() -> None:
    done = mmntrial("simulate", "--trials", "4", "--seed", "1")
    assert done.returncode == 0, done.stderr
    assert "type I error" in done.stdout
    assert "reaching the primary endpoint" in done.stdout


def test_bad_simulation_input_exits_2_without_traceback() -> None:
    for args, message in (
        (("--effect", "-0.5"), "--effect: got -0.5, expected a number in [0, 1)"),
        (("--trials", "0"), "--trials: got 0, expected a whole number from 1 to 1,000,000"),
        (("--n-per-arm", "1"), "--n-per-arm: got 1, expected a whole number from 2 to 1,000"),
        (("--seed", "-1"), "--seed: got -1, expected a whole number >= 0"),
        (("--protocol", "nope"), "nope"),
        (
            ("--out", "/nonexistent/folder/x.parquet"),
            "--out: got '/nonexistent/folder/x.parquet', expected a .parquet file in an "
            "existing folder",
        ),
    ):
        done = mmntrial("simulate", *args)
        assert done.returncode == 2, args
        assert message in done.stderr
        assert "Traceback" not in done.stderr


def test_sweep_writes_table_and_figures(tmp_path: Path) -> None:
    done = mmntrial(
        "sweep",
        "--out",
        str(tmp_path),
        "--trials",
        "4",
        "--effect",
        "0,0.5",
        "--threshold",
        "grip_kpa=8,12",
    )
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(tmp_path / "sweep.csv")
    assert len(table) == 4
    assert {"effect", "threshold.grip_kpa", "rejection_rate"} <= set(table.columns)
    for name in ("power.png", "power.svg", "harm_vs_savings.png", "harm_vs_savings.svg"):
        assert (tmp_path / name).stat().st_size > 1000


def test_sweep_with_a_wrong_protocol_key_exits_2(tmp_path: Path) -> None:
    done = mmntrial("sweep", "--out", str(tmp_path), "--set", "taper.stp_percent=10")
    assert done.returncode == 2
    assert "did you mean 'step_percent'" in done.stderr


def test_sweep_options_replace_the_files_settings_but_not_its_grid(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text("[sweep]\ntrials = 2000\nseed = 5\n[grid]\neffect = [0.0, 0.5]\n")
    done = mmntrial("sweep", str(grid), "--out", str(tmp_path / "out"), "--trials", "3", "--json")
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [row["n_trials"] for row in rows] == [3, 3]  # --trials replaced the file's 2000
    both = mmntrial("sweep", str(grid), "--out", str(tmp_path / "out"), "--effect", "0.9")
    assert both.returncode == 2
    assert "grid axes: got ['effect'] as options and the sweep file" in both.stderr
    assert "Traceback" not in both.stderr


def test_bad_sweep_options_name_the_option() -> None:
    for args, message in (
        (("--trials", "0"), "--trials: got 0, expected a whole number from 1 to 1,000,000"),
        (("--n-per-arm", "14,x"), "grid axis n_per_arm: got 'x', expected a whole number from 2"),
        (("--threshold", "grip_kpa"), "--threshold: got 'grip_kpa', expected KEY=v1,v2"),
    ):
        done = mmntrial("sweep", "--out", "unused", "--effect", "0", *args)
        assert done.returncode == 2, args
        assert message in done.stderr
        assert "Traceback" not in done.stderr
