"""The audit trail: who, when, old and new values, reasons; tampering is named."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from mmntrial.capture import audit, screening
from mmntrial.capture.export import export_audit
from mmntrial.capture.tables import screening_log, users
from mmntrial.errors import CaptureError, ChainBroken, StorageError
from mmntrial.storage import Database, chain
from mmntrial.storage.chain import Head
from tests.storage.postgres import raw

EXCLUDED = screening.Screening(
    "SCR-1",
    screening.date(2026, 11, 2),
    screening.Outcome.EXCLUDED,
    exclusion_code="neutropenia",
)


def _is_postgres(database: str | Path) -> bool:
    return isinstance(database, str) and database.startswith("postgresql")


def drop_trigger(database: str | Path, table: str, action: str) -> None:
    on = f" ON {table}" if _is_postgres(database) else ""
    raw(database, f"DROP TRIGGER {table}_no_{action}{on}")


def _screened(study: str | Path) -> int:
    with Database.open(study) as db, db.write() as conn:
        return screening.record(conn, "AMC", EXCLUDED, "study_nurse_amc")


def _entries(study: str | Path) -> list[chain.Stored]:
    with Database.open(study) as db, db.read() as conn:
        return chain.read(conn, audit.CHAIN)


def test_an_insert_records_who_when_and_every_new_value(study: str | Path) -> None:
    record = _screened(study)
    last = _entries(study)[-1].entry
    assert (last.kind, last.who) == ("insert", "study_nurse_amc")
    assert last.at_utc.endswith("+00:00")
    assert last.content["table"] == "screening_log"
    assert last.content["record"] == record
    assert last.content["reason"] is None
    assert last.content["changes"]["exclusion_code"] == [None, "neutropenia"]
    assert last.content["changes"]["screened_on"] == [None, "2026-11-02"]


def test_an_update_records_old_and_new_values_and_its_reason(study: str | Path) -> None:
    record = _screened(study)
    with Database.open(study) as db, db.write() as conn:
        changes = audit.update(
            conn, screening_log, record, {"screened_on": "2026-11-03"}, "monitor", "typo"
        )
    assert changes == {"screened_on": ["2026-11-02", "2026-11-03"]}
    last = _entries(study)[-1].entry
    assert (last.kind, last.who, last.content["reason"]) == ("update", "monitor", "typo")
    assert last.content["changes"] == changes


@pytest.mark.parametrize("reason", [None, "", "   "])
def test_a_change_after_the_first_save_needs_a_reason(
    study: str | Path, reason: str | None
) -> None:
    record = _screened(study)
    before = len(_entries(study))
    with (
        pytest.raises(CaptureError, match=r"^reason: got .*expected why the saved record"),
        Database.open(study) as db,
        db.write() as conn,
    ):
        audit.update(conn, screening_log, record, {"screened_on": "2026-11-03"}, "m", reason)
    assert len(_entries(study)) == before
    assert raw(study, "SELECT screened_on FROM screening_log") == [("2026-11-02",)]


def test_a_password_hash_never_enters_the_trail(study: str | Path) -> None:
    hashes = [row[0] for row in raw(study, "SELECT password_hash FROM users")]
    text = "".join(chain.canonical(s.entry.content) for s in _entries(study))
    assert hashes
    assert not any(h in text for h in hashes)
    assert '"password_hash":[null,"(set)"]' in text


def test_an_intact_trail_verifies_to_its_head(study: str | Path) -> None:
    _screened(study)
    with Database.open(study) as db, db.read() as conn:
        head = audit.check(conn)
        assert audit.check(conn, head) == head
    assert head.count == len(_entries(study))


def test_rows_are_never_deleted(study: str | Path) -> None:
    _screened(study)
    for table in ("screening_log", "users", "role_grants", "sites", "study"):
        with pytest.raises(Exception, match="never deleted"):
            raw(study, f"DELETE FROM {table}")


def test_a_chain_entry_changed_by_hand_is_named(study: str | Path) -> None:
    _screened(study)
    count = len(_entries(study))
    drop_trigger(study, "chain_entries", "update")
    raw(
        study,
        "UPDATE chain_entries SET who = 'someone else' "
        f"WHERE chain = 'audit' AND position = {count}",
    )
    with (
        pytest.raises(ChainBroken, match=rf"audit entry {count} \(insert\): changed"),
        Database.open(study) as db,
        db.read() as conn,
    ):
        audit.check(conn)


def test_a_row_changed_by_hand_is_named(study: str | Path) -> None:
    _screened(study)
    raw(study, "UPDATE screening_log SET exclusion_code = 'pregnancy'")
    with (
        pytest.raises(
            ChainBroken,
            match=r"screening_log row 1 differs from its audit trail \(changed: "
            r"exclusion_code",
        ),
        Database.open(study) as db,
        db.read() as conn,
    ):
        audit.check(conn)


def test_a_row_inserted_by_hand_is_named(study: str | Path) -> None:
    raw(study, "INSERT INTO sites (code) VALUES ('FORGED')")
    with (
        pytest.raises(ChainBroken, match=r"sites row 3 has no audit entry"),
        Database.open(study) as db,
        db.read() as conn,
    ):
        audit.check(conn)


def test_a_removed_last_entry_is_caught_against_an_earlier_head(study: str | Path) -> None:
    with Database.open(study) as db, db.read() as conn:
        head = audit.check(conn)
    drop_trigger(study, "chain_entries", "delete")
    drop_trigger(study, "role_grants", "delete")
    raw(study, "DELETE FROM role_grants WHERE id = (SELECT max(id) FROM role_grants)")
    raw(study, f"DELETE FROM chain_entries WHERE chain = 'audit' AND position = {head.count}")
    with Database.open(study) as db, db.read() as conn, pytest.raises(ChainBroken, match="removed"):
        audit.check(conn, head)


def test_a_broken_head_option_is_refused() -> None:
    with pytest.raises(StorageError, match=r"--head: got 'abc', expected COUNT:HASH"):
        Head.parse("abc", "--head")


def test_export_writes_one_row_per_field_changed(study: str | Path, tmp_path: Path) -> None:
    record = _screened(study)
    with Database.open(study) as db, db.write() as conn:
        audit.update(conn, users, 2, {"active": False}, "alice", "left the study")
    out = tmp_path / "audit.csv"
    with Database.open(study) as db, db.read() as conn:
        head = export_audit(conn, out)
        assert head == audit.check(conn)
    with out.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert {r["position"] for r in rows} == {str(p) for p in range(1, head.count + 1)}
    retired = rows[-1]
    assert (retired["table"], retired["field"], retired["old"], retired["new"]) == (
        "users", "active", "true", "false"
    )  # fmt: skip
    assert (retired["who"], retired["reason"], retired["kind"]) == (
        "alice", "left the study", "update"
    )  # fmt: skip
    screened = [r for r in rows if r["table"] == "screening_log" and r["record"] == str(record)]
    assert {r["field"] for r in screened} >= {"screening_id", "outcome", "exclusion_code"}


def test_an_entry_the_app_never_writes_is_named_even_with_a_valid_hash(study: str | Path) -> None:
    with Database.open(study) as db, db.write() as conn:
        chain.append(conn, audit.CHAIN, "insert", "x", audit.now_utc(), {"table": "sites"})
    with (
        pytest.raises(ChainBroken, match=r"audit entry \d+ \(insert sites\): not an entry"),
        Database.open(study) as db,
        db.read() as conn,
    ):
        audit.check(conn)
