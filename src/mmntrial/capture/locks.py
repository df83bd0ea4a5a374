"""Record locks: the data manager locks a participant's record, or a visit's records.

A lock is one row of ``record_locks`` per record, ``locked`` while it holds; an unlock
clears it with the reason the audit trail requires, and a lock after an unlock sets it
again. The refusal of a change of a locked record lives in
:mod:`mmntrial.capture.lockstate`, which :func:`mmntrial.capture.audit.update` calls.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.reviewed import Record, visit_records
from mmntrial.capture.screening import FieldError, StateConflict
from mmntrial.capture.tables import record_locks


def _saved(conn: Connection, record: Record) -> Any:
    return (
        conn.execute(
            select(record_locks).where(
                record_locks.c.table_name == record.table,
                record_locks.c.record_id == record.id,
            )
        )
        .mappings()
        .first()
    )


def lock(conn: Connection, record: Record, who: str) -> bool:
    """Lock ``record``; False when it was locked already (nothing written)."""
    saved = _saved(conn, record)
    values = {"locked": True, "locked_by": who, "locked_at_utc": audit.now_utc()}
    if saved is None:
        audit.insert(
            conn, record_locks, {"table_name": record.table, "record_id": record.id, **values}, who
        )
        return True
    if saved["locked"]:
        return False
    audit.update(conn, record_locks, int(saved["id"]), values, who, "locked again")
    return True


def lock_visit(conn: Connection, participant_id: int, visit: str, who: str) -> list[Record]:
    """Lock every record of ``visit`` (:func:`mmntrial.capture.reviewed.visit_records`);
    the records newly locked. A visit without records is refused naming ``visit``."""
    found = visit_records(conn, participant_id, visit)
    if not found:
        raise FieldError(
            "visit", f"visit: got {visit!r}, expected a visit of this participant that was done"
        )
    return [r for r in found if lock(conn, r, who)]


def unlock(conn: Connection, record: Record, who: str, reason: str | None) -> None:
    """Unlock ``record`` with ``reason`` (required); refuses a record not locked (409)."""
    why = audit.checked_reason(reason)
    saved = _saved(conn, record)
    if saved is None or not saved["locked"]:
        raise StateConflict(
            "record", f"record: got {record.name}, which is not locked; expected a locked record"
        )
    audit.update(conn, record_locks, int(saved["id"]), {"locked": False}, who, why)


def locked(conn: Connection) -> dict[tuple[str, int], dict[str, Any]]:
    """The locks that hold, by ``(table, record)``: who locked and when."""
    rows = conn.execute(select(record_locks).where(record_locks.c.locked.is_(True))).mappings()
    return {
        (str(r["table_name"]), int(r["record_id"])): {
            "locked_by": r["locked_by"],
            "locked_at_utc": r["locked_at_utc"],
        }
        for r in rows
    }
