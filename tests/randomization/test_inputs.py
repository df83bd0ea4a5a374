"""Bad input to `mmntrial randomize`: a message naming the field, exit code 2, no traceback.

Run through ``mmntrial.cli.app.main``, the way a user runs the command line.
"""

from __future__ import annotations

import json
import re
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from mmntrial.cli.app import main

CENTRES = ["--method", "stratified_blocks", "--block-sizes", "2", "--strata", "centre=AMC,UMCU"]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(["randomize", *args])
        code = 0
    except SystemExit as done:
        code = int(done.code or 0)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


@pytest.fixture
def listed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    code, _, err = run(
        capsys,
        "generate",
        *CENTRES,
        "--size",
        "4",
        "--seed",
        str(2**70),
        "--out",
        str(tmp_path / "l.json"),
    )
    assert code == 0, err
    return tmp_path / "l.json"


@pytest.fixture
def ledger(listed: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    db = listed.with_name("ledger.db")
    assert run(capsys, "init", "--db", str(db), "--list", str(listed))[0] == 0
    return db


def _other_application(path: Path) -> Path:
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: (d / "g.db").write_bytes(b"garbage, not a database") and d / "g.db",
         r"which is not a SQLite database"),
        (lambda d: (d / "dir.db").mkdir() or d / "dir.db", r"a directory; expected a SQLite file"),
        (lambda d: d / "missing.db", r"which does not exist; expected an existing ledger"),
        (lambda d: d / "no" / "x.db", r"in a folder that does not exist"),
        (lambda d: _other_application(d / "other.db"), r"holding tables 'invoices' of another"),
    ],
)  # fmt: skip
def test_a_ledger_path_that_is_no_ledger_is_refused(
    listed: Path, capsys: pytest.CaptureFixture[str], make, message: str
) -> None:
    db = make(listed.parent)
    for command in (
        [
            "allocate",
            "S1",
            "--db",
            str(db),
            "--list",
            str(listed),
            "--by",
            "n",
            "--stratum",
            "centre=AMC",
        ],
        ["audit", "--db", str(db)],
    ):
        code, _, err = run(capsys, *command)
        assert code == 2
        assert f"database: got '{db}'" in err or "database 'sqlite:" in err
        assert re_search(message, err)
    if db.name == "other.db":
        with closing(sqlite3.connect(db)) as conn:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        assert tables == {"invoices"}  # untouched


def re_search(pattern: str, text: str) -> bool:
    return re.search(pattern, " ".join(text.split())) is not None


def test_a_list_claiming_a_huge_block_size_is_refused_at_load(
    listed: Path, ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(listed.read_text())
    doc["parameters"]["block_sizes"] = [10**9]
    listed.write_text(json.dumps(doc))
    for command in (
        ["verify", str(listed)],
        [
            "allocate",
            "S1",
            "--db",
            str(ledger),
            "--list",
            str(listed),
            "--by",
            "n",
            "--stratum",
            "centre=AMC",
        ],
    ):
        code, _, err = run(capsys, *command)
        assert code == 2
        assert re_search(r"block_sizes: got 1000000000, expected at most 1000", err)


def test_a_list_claiming_a_huge_size_is_refused_at_load(
    listed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = json.loads(listed.read_text())
    doc["parameters"]["size_per_stratum"] = 10**9
    listed.write_text(json.dumps(doc))
    code, _, err = run(capsys, "verify", str(listed))
    assert code == 2
    assert re_search(r"parameters.size_per_stratum: got 1000000000 .* at most 100000", err)


@pytest.mark.parametrize("seq", [1.9, "1", True])
def test_verify_does_not_coerce_seq(
    listed: Path, capsys: pytest.CaptureFixture[str], seq: object
) -> None:
    doc = json.loads(listed.read_text())
    doc["rows"][0]["seq"] = seq
    listed.write_text(json.dumps(doc))
    code, _, err = run(capsys, "verify", str(listed))
    assert code == 2
    assert re_search(rf"rows\[1\]\.seq: got {seq!r}, expected a whole number", err)


@pytest.mark.parametrize(
    ("field", "value"),
    [("SUBJECT", "MMN\n001"), ("SUBJECT", "MMN\x1b[31m001"), ("--by", "nurse\r\nfake line")],
)
def test_identifiers_with_control_characters_are_refused(
    listed: Path, ledger: Path, capsys: pytest.CaptureFixture[str], field: str, value: str
) -> None:
    subject, by = (value, "nurse") if field == "SUBJECT" else ("MMN-001", value)
    common = ["--db", str(ledger), "--list", str(listed), "--stratum", "centre=AMC"]
    code, _, err = run(capsys, "allocate", subject, *common, "--by", by)
    assert code == 2
    name = "subject" if field == "SUBJECT" else "by"
    assert f"{name}: got {value!r}, expected one printable line" in err
    assert "\x1b" not in err


def test_a_repeated_stratum_factor_is_refused(
    listed: Path, ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(
        capsys, "allocate", "S1", "--db", str(ledger), "--list", str(listed), "--by", "n",
        "--stratum", "centre=AMC", "--stratum", "centre=UMCU",
    )  # fmt: skip
    assert code == 2
    assert re_search(r"--stratum: got centre='AMC' and then 'centre=UMCU', expected each", err)
    assert run(capsys, "audit", "--db", str(ledger))[1].count("0 allocations") == 1


def test_generate_never_overwrites_a_list(listed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = listed.read_bytes()
    code, out, err = run(capsys, "generate", *CENTRES, "--size", "4", "--out", str(listed))
    assert code == 2
    assert re_search(r"--out: got '.*l.json', which exists; expected a new file", err)
    assert "seed: drawn" not in out  # refused before any work
    assert listed.read_bytes() == before


def test_generate_force_keeps_a_backup_and_says_where(
    listed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = listed.read_bytes()
    code, out, err = run(
        capsys, "generate", *CENTRES, "--size", "4", "--out", str(listed), "--force"
    )
    assert code == 0, err
    [backup] = listed.parent.glob("l.json.bak-*")
    assert f"previous list kept at {backup}" in out
    assert backup.read_bytes() == before
    assert listed.read_bytes() != before


@pytest.mark.parametrize("where", ["missing-folder", "directory"])
@pytest.mark.parametrize("command", ["generate", "extend"])
def test_output_paths_are_checked_before_any_work(
    listed: Path, capsys: pytest.CaptureFixture[str], where: str, command: str
) -> None:
    target = listed.parent / "no-such" / "x.json" if where == "missing-folder" else listed.parent
    args = (
        ["generate", *CENTRES, "--size", "4", "--out", str(target)]
        if command == "generate"
        else ["extend", str(listed), "--size", "20", "--out", str(target)]
    )
    before = listed.read_bytes()
    code, out, err = run(capsys, *args)
    assert code == 2
    expected = "in a folder that does not exist" if where == "missing-folder" else "a directory"
    assert re_search(rf"--out: got '{target}', {expected}", err)
    assert out == ""
    assert listed.read_bytes() == before


def test_extend_refuses_an_existing_out(listed: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = listed.with_name("other.json")
    other.write_text("keep me")
    code, _, err = run(capsys, "extend", str(listed), "--size", "20", "--out", str(other))
    assert code == 2
    assert "which exists; expected a new file" in err
    assert other.read_text() == "keep me"


def test_audit_with_a_head_and_unblindings_on_the_command_line(
    listed: Path, ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slots = listed.with_name("l.slots.json")
    code, out, _ = run(
        capsys, "allocate", "S1", "--db", str(ledger), "--list", str(slots), "--by", "n",
        "--stratum", "centre=AMC",
    )  # fmt: skip
    assert code == 0
    head = out.split("COUNT:HASH): ")[1].strip()
    code, out, _ = run(capsys, "head", "--db", str(ledger))
    assert (code, out.strip()) == (0, head)
    code, out, _ = run(capsys, "audit", "--db", str(ledger), "--head", head)
    assert code == 0
    assert "ok: it starts with the 2 entries of the head given" in out
    code, _, err = run(capsys, "audit", "--db", str(ledger), "--head", "3:" + "0" * 64)
    assert code == 2
    assert re_search(r"has 2 entries, the head given has 3", err)
    code, out, _ = run(capsys, "unblindings", "--db", str(ledger))
    assert code == 0
    assert "unblindings: 0" in out


def test_a_site_code_with_control_characters_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--method", "stratified_blocks", "--block-sizes", "2", "--size", "4"]
    code, _, err = run(
        capsys,
        "generate",
        *args,
        "--strata",
        "centre=AMC,U\x1b[2JMC",
        "--out",
        str(tmp_path / "l.json"),
    )
    assert code == 2
    assert "strata.centre: got 'U\\x1b[2JMC', expected one printable line" in err
    assert not (tmp_path / "l.json").exists()


def test_slots_and_list_cannot_share_a_path(tmp_path: Path, capsys) -> None:
    out = str(tmp_path / "l.json")
    code, _, err = run(capsys, "generate", *CENTRES, "--size", "4", "--out", out, "--slots", out)
    assert code == 2
    assert "--slots: got" in err
    assert not (tmp_path / "l.json").exists()


@pytest.mark.parametrize(
    "content",
    [b"[" * 100_000 + b"]" * 100_000, b"\xe9t\xe9", b"", b'{"format": "mmntrial-allocation-list"}'],
)
def test_a_list_file_that_is_no_list_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: bytes
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(content)
    for command in (
        ["verify", str(bad)],
        ["init", "--db", str(tmp_path / "x.db"), "--list", str(bad)],
    ):
        code, _, err = run(capsys, *command)
        assert code == 2
        assert "bad.json" in err
    assert not (tmp_path / "x.db").exists()
