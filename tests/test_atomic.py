"""mmntrial.atomic: a failed or killed write leaves the old output whole, and no debris."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mmntrial import atomic
from mmntrial.atomic import (
    check_output_file,
    check_output_folder,
    remove_leftovers,
    replacing_file,
    replacing_folder,
    write_text,
)
from mmntrial.errors import OutputError


class DiskFull(OSError):
    """What a full disk raises in the middle of a write."""


def names(folder: Path) -> list[str]:
    return sorted(entry.name for entry in folder.iterdir())


def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


def test_a_file_is_replaced_whole(tmp_path: Path) -> None:
    target = write_text(tmp_path / "out.csv", "old\n")
    write_text(target, "new\n")
    assert target.read_text() == "new\n"
    assert names(tmp_path) == ["out.csv"]


def test_a_failed_file_write_keeps_the_old_file_and_leaves_nothing(tmp_path: Path) -> None:
    target = write_text(tmp_path / "out.csv", "old\n")

    def full_disk() -> None:
        with replacing_file(target) as temporary:
            temporary.write_text("half")
            raise DiskFull(28, "No space left on device")

    with pytest.raises(OutputError, match=r"No space left on device.*was left as it was"):
        full_disk()
    assert target.read_text() == "old\n"
    assert names(tmp_path) == ["out.csv"]


def test_a_folder_is_replaced_whole(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with replacing_folder(target) as staging:
        (staging / "report.html").write_text("old")
        (staging / "report.pdf").write_text("old pdf")
    with replacing_folder(target) as staging:
        (staging / "report.html").write_text("new")
    # Nothing of the old folder survives beside the new one: no old PDF next to new HTML.
    assert names(target) == ["report.html"]
    assert (target / "report.html").read_text() == "new"
    assert names(tmp_path) == ["report"]


def test_a_failed_folder_write_keeps_the_old_folder_and_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with replacing_folder(target) as staging:
        (staging / "report.html").write_text("old")
        (staging / "report.pdf").write_text("old pdf")

    def full_disk() -> None:
        with replacing_folder(target) as staging:
            (staging / "report.html").write_text("new")
            raise DiskFull(28, "No space left on device")

    with pytest.raises(OutputError, match=r"No space left on device.*was left as it was"):
        full_disk()
    assert names(target) == ["report.html", "report.pdf"]
    assert (target / "report.html").read_text() == "old"
    assert names(tmp_path) == ["report"]


def test_without_an_exchange_the_folder_goes_aside_then_away(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda new, old: False)
    target = tmp_path / "report"
    for text in ("old", "new"):
        with replacing_folder(target) as staging:
            (staging / "report.html").write_text(text)
    assert (target / "report.html").read_text() == "new"
    assert names(tmp_path) == ["report"]


def test_a_failed_second_rename_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(atomic, "_exchange", lambda new, old: False)
    target = tmp_path / "report"
    with replacing_folder(target) as staging:
        (staging / "report.html").write_text("old")
    real_rename = os.rename

    def rename(source: str | Path, destination: str | Path) -> None:
        if Path(source).name.endswith(".mmntrial-tmp"):
            raise DiskFull(28, "No space left on device")
        real_rename(source, destination)

    monkeypatch.setattr(atomic.os, "rename", rename)

    def swap() -> None:
        with replacing_folder(target) as staging:
            (staging / "report.html").write_text("new")

    with pytest.raises(OutputError, match=r"No space left on device.*was left as it was"):
        swap()
    assert (target / "report.html").read_text() == "old"
    assert names(tmp_path) == ["report"]


def test_debris_of_dead_writers_is_removed_and_a_folder_set_aside_comes_back(
    tmp_path: Path,
) -> None:
    pid = dead_pid()
    half = tmp_path / f".out.csv.{pid}-0123abcd.mmntrial-tmp"
    half.write_text("half")
    staging = tmp_path / f".report.{pid}-0123abcd.mmntrial-tmp"
    staging.mkdir()
    # Killed between the two renames: the old report aside, the new one not yet in place.
    aside = tmp_path / f".report.{pid}-89abcdef.mmntrial-old"
    aside.mkdir()
    (aside / "report.html").write_text("old")
    assert remove_leftovers(tmp_path / "out.csv") == [half]
    assert remove_leftovers(tmp_path / "report") == [staging]
    assert (tmp_path / "report" / "report.html").read_text() == "old"
    assert names(tmp_path) == ["report"]


def test_debris_of_live_writers_and_other_files_are_left_alone(tmp_path: Path) -> None:
    live = tmp_path / f".out.csv.{os.getpid()}-0123abcd.mmntrial-tmp"
    live.write_text("being written")
    other = tmp_path / f".other.csv.{dead_pid()}-0123abcd.mmntrial-tmp"
    other.write_text("another target's")
    (tmp_path / "out.csv.tmp").write_text("not ours")
    assert remove_leftovers(tmp_path / "out.csv") == []
    assert len(names(tmp_path)) == 3


def test_the_next_write_removes_the_debris_of_a_killed_one(tmp_path: Path) -> None:
    (tmp_path / f".out.csv.{dead_pid()}-0123abcd.mmntrial-tmp").write_text("half")
    write_text(tmp_path / "out.csv", "new\n")
    assert names(tmp_path) == ["out.csv"]


def test_a_secret_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    target = write_text(tmp_path / "list.json", "{}", mode=0o600)
    assert target.stat().st_mode & 0o777 == 0o600


def a_folder(path: Path) -> Path:
    path.mkdir()
    return path


def under_a_file(path: Path) -> Path:
    path.write_text("")
    return path / "x.parquet"


@pytest.mark.parametrize(
    ("make", "why"),
    [
        (lambda p: p / "missing" / "x.parquet", "does not exist"),
        (lambda p: a_folder(p / "x.parquet"), "it is a folder"),
        (lambda p: p / "x.csv", "the name does not end in .parquet"),
        (lambda p: under_a_file(p / "f"), "is not a folder"),
    ],
)
def test_a_wrong_output_file_is_refused_with_the_option_and_path(
    tmp_path: Path, make: Callable[[Path], Path], why: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(OutputError) as caught:
        check_output_file(path, "--out", suffix=".parquet")
    message = str(caught.value)
    assert message.startswith(f"--out: got {str(path)!r}, expected a .parquet file in an existing")
    assert why in message


def test_an_unwritable_folder_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Faked: the tests may run as root, for whom every folder is writable.
    monkeypatch.setattr(atomic.os, "access", lambda path, mode: False)
    with pytest.raises(OutputError, match=r"the folder '.*' is not writable"):
        check_output_file(tmp_path / "x.parquet", "--out")
    with pytest.raises(OutputError, match=r"the folder '.*' is not writable"):
        check_output_folder(tmp_path / "report", "--out", owned=())


def test_an_output_folder_holding_other_files_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.html").write_text("a report of ours")
    assert check_output_folder(out, "--out", owned={"report.html"}) == out
    (out / "thesis.docx").write_text("not ours")
    with pytest.raises(OutputError, match=r"only report.html; it also holds thesis.docx"):
        check_output_folder(out, "--out", owned={"report.html"})
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(OutputError, match=r"--out: got '.*file', .*exists and is not a folder"):
        check_output_folder(blocker, "--out", owned=())
    with pytest.raises(OutputError, match=r"does not exist"):
        check_output_folder(tmp_path / "a" / "b", "--out", owned=())


def test_control_characters_in_a_path_are_escaped(tmp_path: Path) -> None:
    with pytest.raises(OutputError) as caught:
        check_output_file(tmp_path / "no\x1b[31m" / "x.parquet", "--out")
    assert "\x1b" not in str(caught.value)
    assert "\\x1b[31m" in str(caught.value)


# Calls that write a file given a path, and the functions allowed to make them outside a
# `with replacing_file(...)` / `with replacing_folder(...)` block, each with its reason.
WRITE_CALLS = {"write_text", "write_bytes", "to_parquet", "to_csv", "savefig", "write_pdf"}
WRITES_ELSEWHERE = {
    ("dataset/io.py", "_write_table"): "writes into the staging folder of write_dataset",
    ("dataset/io.py", "write_tables"): "writes into its caller's replacing_folder staging",
    ("report/sweep_figures.py", "save_sweep_figures"): "writes into write_sweep's staging",
    ("report/figures.py", "figure_to_svg"): "writes into an in-memory buffer",
    ("atomic.py", "_pause_point"): "the test hook's signal file, no output",
}
PACKAGE = Path(__file__).parents[1] / "src" / "mmntrial"


def _unguarded_writes(path: Path) -> list[str]:
    found: list[str] = []

    def visit(node: ast.AST, function: str, guarded: bool) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            function, guarded = node.name, False
        elif isinstance(node, ast.With):
            guarded = guarded or any(
                isinstance(item.context_expr, ast.Call)
                and isinstance(item.context_expr.func, ast.Name)
                and item.context_expr.func.id in {"replacing_file", "replacing_folder"}
                for item in node.items
            )
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in WRITE_CALLS
            and (node.args or node.keywords)  # without a target it returns the content
            and not guarded
            and (path.relative_to(PACKAGE).as_posix(), function) not in WRITES_ELSEWHERE
        ):
            found.append(f"{path.relative_to(PACKAGE)}:{node.lineno} {function}")
        for child in ast.iter_child_nodes(node):
            visit(child, function, guarded)

    visit(ast.parse(path.read_text(), str(path)), "<module>", False)
    return found


def test_every_writer_of_the_package_goes_through_mmntrial_atomic() -> None:
    unguarded = [hit for path in sorted(PACKAGE.rglob("*.py")) for hit in _unguarded_writes(path)]
    assert unguarded == []


def test_a_file_put_in_the_folder_during_the_write_is_not_deleted(tmp_path: Path) -> None:
    target = tmp_path / "report"
    with replacing_folder(target, owned={"report.html"}) as staging:
        (staging / "report.html").write_text("old")

    def write_while_someone_saves_notes() -> None:
        with replacing_folder(target, owned={"report.html"}) as staging:
            (staging / "report.html").write_text("new")
            (target / "notes.txt").write_text("typed while the report was being made")

    with pytest.raises(OutputError, match=r"also holds notes.txt, expected one that holds only"):
        write_while_someone_saves_notes()
    assert names(target) == ["notes.txt", "report.html"]
    assert (target / "report.html").read_text() == "old"
    assert names(tmp_path) == ["report"]
