"""benchmarks/bench_capture.py runs (a tiny run on SQLite; no figure is checked)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / "benchmarks" / "bench_capture.py"


@pytest.mark.slow
def test_the_capture_benchmark_runs_and_prints_its_medians() -> None:
    tiny = ["--engine", "sqlite", "--clients", "2", "--saves", "2", "--rounds", "1"]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *tiny, "--commits", "5"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "warn" not in done.stderr.lower(), done.stderr
    median = [line.split() for line in done.stdout.splitlines() if "median" in line]
    assert len(median) == 1, done.stdout
    assert median[0][:2] == ["sqlite", "median"]
    assert all(float(figure) > 0 for figure in median[0][2:])
