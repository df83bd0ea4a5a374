"""The investigator's signature of a visit's records, and whether it still holds.

The investigator re-enters their password to sign a visit: the visit's records
(:func:`mmntrial.capture.reviewed.visit_records`) are hashed as they are then, and the
signature keeps the hash and the records' names. A signature holds while the records
hash the same; a later change of any of them (or a record added to the visit) breaks
it, and the page asks for signing again. Breaking needs no write: the hash is compared
when read, so no change path can forget it. A new signature of the same visit replaces
the old one (an audited update).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import find_user
from mmntrial.capture.passwords import DUMMY_HASH, verify_password
from mmntrial.capture.reviewed import Record, values_hash, visit_records
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import signatures


def records_hash(records: list[Record]) -> str:
    """One hash of ``records``: each record's name and the hash of its values."""
    return values_hash({f"{r.table}:{r.id}": values_hash(r.values) for r in records})


def sign(
    conn: Connection, participant_id: int, visit: str, password: str, who: str
) -> dict[str, Any]:
    """Sign ``visit``'s records as ``who``, whose ``password`` must match (never stored)."""
    user = find_user(conn, who)
    stored = str(user["password_hash"]) if user is not None else DUMMY_HASH
    if not verify_password(stored, password) or user is None:
        raise FieldError(
            "password",
            "password: got one that does not match your account, expected your own password, "
            "re-entered to sign (it is never shown or stored)",
        )
    found = visit_records(conn, participant_id, visit)
    if not found:
        raise FieldError(
            "visit", f"visit: got {visit!r}, expected a visit of this participant that was done"
        )
    values = {
        "records_json": json.dumps([f"{r.table}:{r.id}" for r in found]),
        "records_hash": records_hash(found),
        "signed_by": who,
        "signed_at_utc": audit.now_utc(),
    }
    saved = conn.execute(
        select(signatures.c.id).where(
            signatures.c.participant_id == participant_id, signatures.c.visit == visit
        )
    ).scalar()
    if saved is None:
        audit.insert(
            conn, signatures, {"participant_id": participant_id, "visit": visit, **values}, who
        )
    else:
        audit.update(conn, signatures, int(saved), values, who, "the visit signed again")
    return {"visit": visit, "records": json.loads(values["records_json"]), "signed_by": who,
            "signed_at_utc": values["signed_at_utc"]}  # fmt: skip


def signed(conn: Connection, participant_id: int) -> list[dict[str, Any]]:
    """The participant's visit signatures: who and when, the records, and ``holds``
    (False once a record signed changed or one was added: it needs signing again)."""
    rows = conn.execute(
        select(signatures)
        .where(signatures.c.participant_id == participant_id)
        .order_by(signatures.c.id)
    ).mappings()
    return [
        {
            "visit": row["visit"],
            "signed_by": row["signed_by"],
            "signed_at_utc": row["signed_at_utc"],
            "records": json.loads(row["records_json"]),
            "holds": records_hash(visit_records(conn, participant_id, row["visit"]))
            == row["records_hash"],
        }
        for row in rows
    ]
