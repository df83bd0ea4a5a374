"""kill -9 of every writer: the target is the whole old output or the whole new one.

Each test starts the real command in a subprocess with ``MMNTRIAL_TEST_PAUSE`` set (see
:mod:`mmntrial.atomic`): the write stops at a known point (``begin``: the temporary
exists and is empty or partly filled; ``commit``: the new output is complete on disk and
about to be renamed into place) and signals it by creating a file. The test then kills
the process with SIGKILL, so the kill lands during the write on every run, never by
luck of timing. Afterwards the target must be the old output byte for byte, and what the
killed write left behind must be recognised and removed by the next run.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from mmntrial.atomic import PAUSE_ENV, remove_leftovers
from mmntrial.capture.dataset_load import load_dataset
from mmntrial.dataset.io import write_dataset
from mmntrial.protocol.loader import load_protocol
from mmntrial.randomization.design import make_design
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import generate
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD
from tests.dataset.factory import make_dataset

pytestmark = pytest.mark.slow
# A guard against a hang, not a timed assertion: a command that never reaches its pause
# point fails the test with its stderr instead of blocking the suite.
HANG_GUARD_SECONDS = 600


def command(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mmntrial", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "COLUMNS": "200"},
        check=False,
    )


@contextmanager
def killed_at(
    stage: str, name: str, *args: str, cwd: Path, python: tuple[str, ...] = ("-m", "mmntrial")
) -> Iterator[None]:
    """Run ``mmntrial ARGS`` until the write of ``name`` reaches ``stage``, then kill -9 it."""
    signal_file = cwd / "paused.signal"
    env = {**os.environ, "COLUMNS": "200", PAUSE_ENV: f"{stage}:{name}:{signal_file}"}
    with (cwd / "stderr.txt").open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, *python, *args],
            cwd=cwd,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            deadline = time.monotonic() + HANG_GUARD_SECONDS
            while not signal_file.exists():
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"never paused at {stage}:{name}: {read(cwd / 'stderr.txt')}")
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait()  # reaped: its leftovers now belong to a dead process
    assert process.returncode == -signal.SIGKILL
    signal_file.unlink()
    (cwd / "stderr.txt").unlink()
    yield


def read(path: Path) -> str:
    return path.read_text(errors="replace")


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def debris(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".mmntrial-" in p.name)


def test_simulate_out_and_dataset(tmp_path: Path) -> None:
    args = ("simulate", "--trials", "2", "--json", "--out", "trials.parquet", "--dataset", "trial")
    assert command(*args, "--seed", "1", cwd=tmp_path).returncode == 0
    old_trials = (tmp_path / "trials.parquet").read_bytes()
    old_dataset = files(tmp_path / "trial")

    # Killed while the Parquet file is being written: both outputs are the old ones.
    with killed_at("begin", "trials.parquet", *args, "--seed", "2", cwd=tmp_path):
        assert (tmp_path / "trials.parquet").read_bytes() == old_trials
        assert files(tmp_path / "trial") == old_dataset
        assert len(debris(tmp_path)) == 1
    # Killed with the new dataset complete but not yet in place: the Parquet file is the
    # new one (whole, readable), the dataset the old one.
    with killed_at("commit", "trial", *args, "--seed", "2", cwd=tmp_path):
        assert len(pd.read_parquet(tmp_path / "trials.parquet")) == 2
        assert (tmp_path / "trials.parquet").read_bytes() != old_trials
        assert files(tmp_path / "trial") == old_dataset
    # The next run does not trip over the debris, and removes it.
    done = command(*args, "--seed", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert files(tmp_path / "trial") != old_dataset
    assert debris(tmp_path) == []


def test_sweep_folder(tmp_path: Path) -> None:
    old = {"sweep.csv": b"old table\n", "power.png": b"old png", "power.svg": b"<svg/>"}
    (tmp_path / "sweep").mkdir()
    for name, data in old.items():
        (tmp_path / "sweep" / name).write_bytes(data)
    args = ("sweep", "--out", "sweep", "--trials", "2", "--effect", "0", "--json")
    with killed_at("commit", "sweep", *args, cwd=tmp_path):
        assert files(tmp_path / "sweep") == old  # never a new table beside old figures
        assert len(debris(tmp_path)) == 1
    done = command(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "sweep" / "sweep.csv")) == 1
    assert "harm_vs_savings.svg" in files(tmp_path / "sweep")
    assert debris(tmp_path) == []


def test_analyze_report_folder(tmp_path: Path) -> None:
    write_dataset(make_dataset(), tmp_path / "trial", "csv")
    old = {"report.html": b"<p>old</p>", "report.pdf": b"%PDF-old", "figures/km.svg": b"<svg/>"}
    for name, data in old.items():
        (tmp_path / "report" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "report" / name).write_bytes(data)
    args = ("analyze", "trial", "--protocol", "piepers-2007", "--out", "report")
    # Killed with the new HTML, PDF and figures complete: none of them is in the folder.
    with killed_at("commit", "report", *args, cwd=tmp_path):
        assert files(tmp_path / "report") == old
        assert len(debris(tmp_path)) == 1
    done = command(*args, "--no-pdf", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    # The new report replaced the old whole: no old PDF beside the new HTML.
    assert "report.pdf" not in files(tmp_path / "report")
    assert "PDF not written: not requested" in read(tmp_path / "report" / "report.html")
    assert debris(tmp_path) == []


def test_demo_folder(tmp_path: Path) -> None:
    old = {"dataset/dataset.json": b"{}", "report/report.html": b"<p>old</p>"}
    for name, data in old.items():
        (tmp_path / "demo" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "demo" / name).write_bytes(data)
    # Killed halfway through the demo's folder: the new dataset written, its report not.
    with killed_at("begin", "report", "demo", "--out", "demo", cwd=tmp_path):
        assert files(tmp_path / "demo") == old
        assert len(debris(tmp_path)) == 1
    # What the next demo run does first (the whole demo takes a minute): remove it.
    assert len(remove_leftovers(tmp_path / "demo")) == 1
    assert debris(tmp_path) == []
    assert files(tmp_path / "demo") == old


def test_randomize_list_file(tmp_path: Path) -> None:
    args = ("randomize", "generate", "--out", "list.json", "--size", "4", "--method", "simple",
            "--arms", "a,b")  # fmt: skip
    with killed_at("commit", "list.json", *args, cwd=tmp_path):
        assert not (tmp_path / "list.json").exists()  # the old state: no list
        assert len(debris(tmp_path)) == 1
    done = command(*args, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert len(load(tmp_path / "list.json").rows) == 6  # 4 and 50% headroom
    assert debris(tmp_path) == []


def test_a_list_file_replaced_by_a_new_one(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    old = save(generate(make_design("simple", [("a", 1), ("b", 1)]), 4, seed=1), path)
    old_bytes = old.read_bytes()
    # The list writer itself, in a process of its own: `extend` rewrites a list in place.
    new_list = (
        "from mmntrial.randomization.design import make_design; "
        "from mmntrial.randomization.lists import generate; "
        "from mmntrial.randomization.listfile import save; "
        "save(generate(make_design('simple', [('a', 1), ('b', 1)]), 8, seed=2), 'list.json')"
    )
    with killed_at("commit", "list.json", new_list, cwd=tmp_path, python=("-c",)):
        assert path.read_bytes() == old_bytes
        assert len(debris(tmp_path)) == 1
    save(generate(make_design("simple", [("a", 1), ("b", 1)]), 8, seed=2), path)
    assert len(load(path).rows) == 8
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert debris(tmp_path) == []


def test_study_export_folder(tmp_path: Path) -> None:
    """A study exported, then exported again and killed twice: the old export stays whole
    and the next export removes what the killed ones left."""
    protocol = load_protocol("piepers-2007")
    simulated = simulate_one_trial(
        protocol, load_population("mmn-default"), effect=0.5, seed=14, n_per_arm=2
    )
    with Database.open(tmp_path / "study.db") as database:
        made = load_dataset(database, simulated, protocol, "admin", PASSWORD, date(2026, 12, 1))
    save(made.key, tmp_path / "list.json")
    args = ("study", "export", "--db", "study.db", "--key", "list.json", "--out", "ds")
    assert command(*args, cwd=tmp_path).returncode == 0
    old = files(tmp_path / "ds")
    for stage in ("begin", "commit"):
        with killed_at(stage, "ds", *args, "--format", "csv", cwd=tmp_path):
            assert files(tmp_path / "ds") == old
            assert len(debris(tmp_path)) == 1
    done = command(*args, "--format", "csv", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "subjects.csv" in files(tmp_path / "ds")
    assert debris(tmp_path) == []
