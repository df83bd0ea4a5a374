"""A participant's records with their monitoring state, as the review page shows them.

For each record of :data:`mmntrial.capture.reviewed.REVIEWED`: its values, the queries
raised on its fields (beside the field they name), whether it is locked, and its source
data verification (and whether it still holds); then the visits' signatures (and
whether each still holds). The page and its JSON twin read this one function; nothing
here names an arm.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from mmntrial.capture import locks, queries, signatures, verification
from mmntrial.capture.allocation import participant
from mmntrial.capture.reviewed import records_of


def review(conn: Connection, site: str, subject: str) -> dict[str, Any]:
    """``subject``'s records, each with its queries by field, lock and verification; the
    visits' signatures."""
    person = participant(conn, site, subject)
    found = records_of(conn, int(person["id"]))
    checked = verification.verified(conn, found)
    held = locks.locked(conn)
    raised: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for query in queries.listed(conn, site, subject):
        raised.setdefault((query["table"], query["record"]), []).append(query)
    shown = []
    for record in found:
        shown.append(
            {
                "table": record.table,
                "record": record.id,
                "name": record.name,
                "values": record.values,
                "queries": raised.get(record.key, []),
                "lock": held.get(record.key),
                "verification": checked.get(record.key),
            }
        )
    signed = signatures.signed(conn, int(person["id"]))
    return {"subject": subject, "records": shown, "signatures": signed}
