"""Whether a record is locked: the one refusal every change of a saved record passes.

Every change of a saved capture record goes through :func:`mmntrial.capture.audit.update`
(a change needs its audit entry and its reason), and that function calls
:func:`refuse_locked` first: a form, the JSON API or a command line that changes a
locked record is refused there, in one place, whatever path it took. Likewise every
new record goes through :func:`mmntrial.capture.audit.insert`, which calls
:func:`refuse_into_locked_visit`: a visit whose date is locked (the data manager locked
the visit) takes no new assessment either. Locking and
unlocking live in :mod:`mmntrial.capture.locks`; this module only reads, so that the
audit trail can import it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Connection, Table, select

from mmntrial.capture.tables import assessments, record_locks, visits
from mmntrial.errors import CaptureError


class RecordLocked(CaptureError):
    """A change of a locked record (409 on the API): unlock it first, with a reason."""

    field = "record"


def refuse_locked(conn: Connection, table: Table, record: int) -> None:
    """Raise :class:`RecordLocked` when ``record`` of ``table`` is locked."""
    lock = conn.execute(
        select(record_locks.c.locked_by, record_locks.c.locked_at_utc).where(
            record_locks.c.table_name == table.name,
            record_locks.c.record_id == record,
            record_locks.c.locked.is_(True),
        )
    ).first()
    if lock is not None:
        raise RecordLocked(
            f"record: got a change of {table.name} record {record}, which is locked (by "
            f"{lock.locked_by} at {lock.locked_at_utc} UTC); expected an unlocked record: "
            "the data manager unlocks it, with a reason, before it can change"
        )


def locks_of(conn: Connection, table: Table, records: Collection[int]) -> dict[int, dict[str, Any]]:
    """The locks that hold on ``records`` of ``table``, by record id: each with
    ``locked_by`` and ``locked_at_utc``. One query for a whole listing, not one a row."""
    if not records:
        return {}
    rows = conn.execute(
        select(
            record_locks.c.record_id, record_locks.c.locked_by, record_locks.c.locked_at_utc
        ).where(
            record_locks.c.table_name == table.name,
            record_locks.c.record_id.in_(sorted(records)),
            record_locks.c.locked.is_(True),
        )
    )
    return {
        int(r.record_id): {"locked_by": r.locked_by, "locked_at_utc": r.locked_at_utc} for r in rows
    }


def refuse_into_locked_visit(conn: Connection, table: Table, values: Mapping[str, Any]) -> None:
    """Raise :class:`RecordLocked` for a new assessment of a visit whose record is locked."""
    if table is not assessments:
        return
    visit = conn.execute(
        select(visits.c.id).where(
            visits.c.participant_id == values.get("participant_id"),
            visits.c.visit == values.get("visit"),
        )
    ).scalar()
    if visit is None:
        return
    try:
        refuse_locked(conn, visits, int(visit))
    except RecordLocked:
        raise RecordLocked(
            f"record: got a new assessment of visit {values.get('visit')}, whose records are "
            "locked; expected an unlocked visit: the data manager unlocks the visit's record, "
            "with a reason, before an assessment is added"
        ) from None
