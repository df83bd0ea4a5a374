"""Source data verification: the monitor marks a record as checked against its source.

A verification keeps who, when and the hash of the record's values as verified
(:func:`mmntrial.capture.reviewed.values_hash`). It holds while the record hashes the
same: a later change clears it (the page says so and asks to verify again) without a
write of its own, so no change path can forget it. Verifying again replaces the old
verification (an audited update).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.reviewed import Record, values_hash
from mmntrial.capture.tables import verifications


def verify(conn: Connection, record: Record, who: str) -> dict[str, Any]:
    """Mark ``record`` as verified by ``who`` now, as its values are."""
    values = {
        "record_hash": values_hash(record.values),
        "verified_by": who,
        "verified_at_utc": audit.now_utc(),
    }
    saved = conn.execute(
        select(verifications.c.id).where(
            verifications.c.table_name == record.table,
            verifications.c.record_id == record.id,
        )
    ).scalar()
    if saved is None:
        audit.insert(
            conn, verifications, {"table_name": record.table, "record_id": record.id, **values}, who
        )
    else:
        audit.update(conn, verifications, int(saved), values, who, "verified again")
    return {"table": record.table, "record": record.id, "verified_by": who,
            "verified_at_utc": values["verified_at_utc"]}  # fmt: skip


def verified(conn: Connection, records: list[Record]) -> dict[tuple[str, int], dict[str, Any]]:
    """The verifications of ``records`` by ``(table, record)``: who, when, and ``holds``
    (False once the record changed after it was verified)."""
    wanted = {r.key: r for r in records}
    rows = conn.execute(select(verifications)).mappings()
    found = {}
    for row in rows:
        key = (str(row["table_name"]), int(row["record_id"]))
        if key in wanted:
            found[key] = {
                "verified_by": row["verified_by"],
                "verified_at_utc": row["verified_at_utc"],
                "holds": values_hash(wanted[key].values) == row["record_hash"],
            }
    return found
