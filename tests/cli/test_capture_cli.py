"""The capture app's commands: study init, users, db upgrade, audit verify and export."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from mmntrial.capture import passwords
from mmntrial.cli.serve import loopback_host
from mmntrial.errors import CaptureError
from tests.cli.running import run_main
from tests.storage.postgres import raw


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MMNTRIAL_PASSWORD", "correct horse battery")
    monkeypatch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64))


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "study.db")
    code, out = run_main(
        ["study", "init", "--protocol", "piepers-2007", "--db", path, "--site", "AMC,UMCU",
         "--admin", "alice"]
    )  # fmt: skip
    assert code == 0, out
    assert "study: protocol piepers-2007" in out
    return path


def test_study_init_stores_protocol_sites_and_admin(db: str) -> None:
    assert raw(db, "SELECT protocol_name FROM study") == [("piepers-2007",)]
    assert raw(db, "SELECT code FROM sites ORDER BY code") == [("AMC",), ("UMCU",)]
    assert raw(db, "SELECT username, active FROM users") == [("alice", 1)]
    assert raw(db, "SELECT role, site_id FROM role_grants") == [("admin", None)]


def test_a_second_study_in_one_database_is_refused(db: str) -> None:
    code, out = run_main(
        ["study", "init", "--protocol", "piepers-2007", "--db", db, "--site", "X", "--admin", "b"]
    )
    assert code == 2
    assert "--db: got a database that holds a study already" in out


def test_a_password_is_never_taken_from_the_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MMNTRIAL_PASSWORD")
    code, out = run_main(
        ["study", "init", "--protocol", "piepers-2007", "--db", str(tmp_path / "s.db"),
         "--site", "AMC", "--admin", "alice"]
    )  # fmt: skip
    assert code == 2
    assert "password: got no MMNTRIAL_PASSWORD and no terminal" in out
    assert not (tmp_path / "s.db").exists()


@pytest.mark.parametrize(
    ("password", "protocol", "message"),
    [
        ("short", "piepers-2007", "password: got 5 characters"),
        ("correct horse battery", "nope", "PROTO-E001"),
    ],
)
def test_a_refused_study_init_leaves_no_database_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, password: str, protocol: str, message: str
) -> None:
    monkeypatch.setenv("MMNTRIAL_PASSWORD", password)
    path = tmp_path / "s.db"
    code, out = run_main(
        ["study", "init", "--protocol", protocol, "--db", str(path), "--site", "AMC",
         "--admin", "alice"]
    )  # fmt: skip
    assert code == 2
    assert message in out
    assert not path.exists()


def test_commands_refuse_a_database_without_a_study(tmp_path: Path) -> None:
    # A database mmntrial made for something else (here: a ledger) holds no study: users
    # added to it would belong to no trial.
    from mmntrial.storage import Database

    path = tmp_path / "ledger.db"
    Database.open(str(path)).close()
    for command in (
        ["users", "add", "--db", str(path), "--user", "bob", "--role", "monitor"],
        ["audit", "verify", "--db", str(path)],
    ):
        code, out = run_main(command)
        assert code == 2, command
        assert "--db: got a database without a study" in out
    assert raw(str(path), "SELECT count(*) FROM users") == [(0,)]


def test_users_add_revoke_retire_are_audited(db: str) -> None:
    assert run_main(["users", "add", "--db", db, "--user", "nina", "--role", "study_nurse",
                     "--site", "AMC"])[0] == 0  # fmt: skip
    code, out = run_main(["users", "add", "--db", db, "--user", "nina", "--role", "monitor"])
    assert (code, out) == (0, "nina: monitor at all sites")
    code, out = run_main(["users", "revoke", "--db", db, "--user", "nina", "--role", "monitor"])
    assert code == 2
    assert "--reason" in out
    code, out = run_main(["users", "revoke", "--db", db, "--user", "nina", "--role", "monitor",
                          "--reason", "moved to monitoring elsewhere"])  # fmt: skip
    assert code == 0, out
    assert run_main(["users", "retire", "--db", db, "--user", "nina", "--reason", "left"])[0] == 0
    assert raw(db, "SELECT active FROM users WHERE username = 'nina'") == [(0,)]
    assert raw(db, "SELECT role, active FROM role_grants WHERE user_id = 2 ORDER BY id") == [
        ("study_nurse", 1), ("monitor", 0)
    ]  # fmt: skip
    reasons = raw(db, "SELECT content FROM chain_entries WHERE kind = 'update' ORDER BY position")
    assert ["moved to monitoring elsewhere" in r[0] for r in reasons] == [True, False]
    code, out = run_main(["audit", "verify", "--db", db])
    assert code == 0, out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--role", "study_nurse"], "site: got none for role study_nurse"),
        (["--role", "monitor", "--site", "AMC"], "site: got 'AMC' for role monitor"),
        (["--role", "investigator", "--site", "XYZ"], "site: got 'XYZ', expected a site"),
    ],
)
def test_a_role_at_the_wrong_kind_of_site_is_refused_and_no_user_is_made(
    db: str, args: list[str], words: str
) -> None:
    code, out = run_main(["users", "add", "--db", db, "--user", "nina", *args])
    assert code == 2
    assert words in out
    assert raw(db, "SELECT count(*) FROM users") == [(1,)]


def test_audit_verify_prints_the_head_and_checks_against_it(db: str) -> None:
    code, out = run_main(["audit", "verify", "--db", db])
    assert code == 0, out
    head = out.split("head (keep it elsewhere): ")[1].split()[0]
    assert run_main(["audit", "verify", "--db", db, "--head", head])[0] == 0
    raw(db, "DROP TRIGGER chain_entries_no_delete")
    raw(db, "DELETE FROM chain_entries WHERE chain = 'audit' AND position = 2")
    code, out = run_main(["audit", "verify", "--db", db, "--head", head])
    assert code == 2
    assert "audit entry 2: removed" in out


def test_audit_export_writes_a_csv(db: str, tmp_path: Path) -> None:
    out_file = tmp_path / "trail.csv"
    code, out = run_main(["audit", "export", "--db", db, "--out", str(out_file)])
    assert code == 0, out
    with out_file.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["table"] for r in rows} == {"study", "sites", "users", "role_grants"}
    assert f"audit trail: {rows[-1]['position']} entries written" in out


def test_db_upgrade_reports_the_revision(db: str) -> None:
    assert run_main(["db", "upgrade", "--db", db]) == (0, "database at revision 0011")


@pytest.mark.parametrize("host", ["127.0.0.1", "::1", "localhost", "127.0.0.2"])
def test_serve_accepts_loopback_hosts(host: str) -> None:
    assert loopback_host(host) == host


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.4", "example.org", "::"])
def test_serve_refuses_other_hosts(host: str) -> None:
    with pytest.raises(CaptureError, match=r"--host: got .*TLS reverse proxy"):
        loopback_host(host)
