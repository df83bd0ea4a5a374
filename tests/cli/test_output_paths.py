"""simulate and sweep: wrong output paths refused before any work; failed writes keep the old."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet
import pytest
from matplotlib.figure import Figure
from typer.testing import CliRunner

from mmntrial.cli.app import app
from mmntrial.dataset.io import write_dataset
from mmntrial.errors import OutputError
from tests.dataset.factory import make_dataset


def invoke(*args: str) -> BaseException | None:
    return CliRunner().invoke(app, list(args)).exception


def files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def places(tmp_path: Path) -> Path:
    """A file, a folder, a folder with a stranger's file and an earlier sweep's folder."""
    (tmp_path / "a-file.parquet").write_text("")
    (tmp_path / "a-folder.parquet").mkdir()
    (tmp_path / "thesis").mkdir()
    (tmp_path / "thesis" / "chapter1.docx").write_text("")
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "sweep.csv").write_text("old\n")
    return tmp_path


@pytest.mark.parametrize(
    ("args", "option", "path", "expected", "why"),
    [
        (("--out",), "--out", "missing/x.parquet", "a .parquet file in", "does not exist"),
        (("--out",), "--out", "a-folder.parquet", "a .parquet file in", "it is a folder"),
        (("--out",), "--out", "x.csv", "a .parquet file in", "does not end in .parquet"),
        (("--dataset",), "--dataset", "a-file.parquet", "a new folder", "is not a folder"),
        (("--dataset",), "--dataset", "thesis", "a new folder", "it also holds chapter1.docx"),
        (("--dataset",), "--dataset", "missing/trial", "a new folder", "does not exist"),
    ],
)
def test_simulate_refuses_a_wrong_output_before_simulating(
    places: Path, args: tuple[str], option: str, path: str, expected: str, why: str
) -> None:
    # An unknown protocol as well: the output message shows the paths were checked first.
    error = invoke("simulate", "--protocol", "no-such-protocol", *args, str(places / path))
    assert isinstance(error, OutputError)
    assert str(error).startswith(f"{option}: got {str(places / path)!r}, expected {expected}")
    assert why in str(error)


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("missing/sweep", "does not exist"),
        ("a-file.parquet", "exists and is not a folder"),
        ("thesis", "it also holds chapter1.docx"),
    ],
)
def test_sweep_refuses_a_wrong_out_before_simulating(places: Path, path: str, why: str) -> None:
    error = invoke("sweep", "--out", str(places / path), "--protocol", "no-such-protocol")
    assert isinstance(error, OutputError)
    assert str(error).startswith(f"--out: got {str(places / path)!r}, expected a new folder")
    assert why in str(error)
    assert (places / "thesis" / "chapter1.docx").exists()


def disk_full(*args: object, **kwargs: object) -> None:
    raise OSError(28, "No space left on device")


def test_a_failed_parquet_write_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "trials.parquet"
    assert invoke("simulate", "--trials", "2", "--json", "--out", str(out)) is None
    old = out.read_bytes()
    # The per-trial file is written by pyarrow, its provenance in the file metadata.
    monkeypatch.setattr(pyarrow.parquet, "write_table", disk_full)
    error = invoke("simulate", "--trials", "3", "--json", "--out", str(out))
    assert isinstance(error, OutputError)
    assert "No space left on device" in str(error)
    assert out.read_bytes() == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trials.parquet"]


def test_a_failed_dataset_write_keeps_the_old_dataset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = write_dataset(make_dataset(), tmp_path / "trial0")
    old = files(target)
    monkeypatch.setattr(pd.DataFrame, "to_parquet", disk_full)
    error = invoke("simulate", "--trials", "1", "--json", "--dataset", str(target))
    assert isinstance(error, OutputError)
    assert files(target) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trial0"]


def test_simulate_replaces_an_earlier_dataset(tmp_path: Path) -> None:
    target = write_dataset(make_dataset(), tmp_path / "trial0")
    assert invoke("simulate", "--trials", "1", "--json", "--dataset", str(target)) is None
    assert files(target) != files(write_dataset(make_dataset(), tmp_path / "factory"))


def test_a_failed_sweep_write_keeps_the_old_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "sweep"
    sweep = ("sweep", "--out", str(out), "--trials", "2", "--effect", "0,0.5", "--json")
    assert invoke(*sweep) is None
    old = files(out)
    assert set(old) == {"sweep.csv", "provenance.json", "power.png", "power.svg",
                        "harm_vs_savings.png", "harm_vs_savings.svg"}  # fmt: skip
    real = Figure.savefig

    def full_at_svg(self: Figure, path: Path, **kwargs: object) -> None:
        if kwargs.get("format") == "svg":
            disk_full()
        real(self, path, **kwargs)

    monkeypatch.setattr(Figure, "savefig", full_at_svg)
    error = invoke(*sweep[:-2], "0,0.25", "--json")
    assert isinstance(error, OutputError)
    assert files(out) == old
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sweep"]


@pytest.mark.parametrize(
    ("path", "why"),
    [("a-file.parquet", "exists and is not a folder"), ("thesis", "holds chapter1.docx")],
)
def test_demo_refuses_a_wrong_out_before_it_starts(places: Path, path: str, why: str) -> None:
    error = invoke("demo", "--out", str(places / path))
    assert isinstance(error, OutputError)
    assert str(error).startswith(f"--out: got {str(places / path)!r}, expected a new folder")
    assert why in str(error)


def test_a_failed_demo_write_keeps_the_old_demo_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mmntrial.cli import demo

    out = tmp_path / "demo"
    old = {"dataset/dataset.json": b"{}", "report/report.html": b"<p>old</p>"}
    for name, data in old.items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    monkeypatch.setattr(demo, "_power_table", lambda console: None)  # not what is tested
    monkeypatch.setattr(demo, "run_and_write", disk_full)  # after the new dataset is staged
    error = invoke("demo", "--out", str(out))
    assert isinstance(error, OutputError)
    assert files(out) == old  # never a new dataset beside the old report
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]


def test_demo_accepts_its_own_folder_after_the_study_was_written(tmp_path: Path) -> None:
    """A demo folder whose study has been written since (served, a record added) holds the
    write queue's lock file beside the study: a second demo replaces it, not refuses."""
    from sqlalchemy import text

    from mmntrial.atomic import check_output_folder
    from mmntrial.cli.demo import DEMO_FILES, STUDY_DB
    from mmntrial.storage import Database

    out = tmp_path / "mmntrial-demo"
    out.mkdir()
    with Database.open(out / STUDY_DB) as db, db.write() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
    assert sorted(p.name for p in out.iterdir()) == [STUDY_DB, f"{STUDY_DB}.lock"]
    assert check_output_folder(out, "--out", owned=DEMO_FILES) == out
