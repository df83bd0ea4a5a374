"""Protocol deviations a record raises, and a site's deviations of every kind.

A dose ordered instead of the engine panel's is a deviation stored with its decision
(``dose_decisions``, :mod:`mmntrial.capture.decisions`). Other records raise theirs
here, in ``protocol_deviations`` (revision 0010): a concomitant medication on the
prohibited or cautioned list (:mod:`mmntrial.capture.conmeds`). Each names its record
(table and id) and is recorded once per record and kind, audited; a correction of the
record later does not erase it, as nothing in the trail is erased.

:func:`site_deviations` lists both sources for the site's deviations page, by date.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.decisions import DEVIATION
from mmntrial.capture.tables import dose_decisions, participants, protocol_deviations

#: The kind of a dose override, as the site's page names it beside the recorded kinds.
DOSE_OVERRIDE = "dose_override"


def record_deviation(
    conn: Connection,
    participant_id: int,
    kind: str,
    occurred_on: str,
    record: tuple[str, int],
    description: str,
    who: str,
) -> bool:
    """Record the deviation ``kind`` raised by ``record`` (its table and id) unless it is
    recorded already; return whether it was recorded now."""
    table, record_id = record
    taken = conn.execute(
        select(protocol_deviations.c.id).where(
            protocol_deviations.c.record_table == table,
            protocol_deviations.c.record_id == record_id,
            protocol_deviations.c.kind == kind,
        )
    ).first()
    if taken is not None:
        return False
    values = {
        "participant_id": participant_id,
        "kind": kind,
        "occurred_on": occurred_on,
        "record_table": table,
        "record_id": record_id,
        "description": description,
        "recorded_by": who,
        "recorded_at_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    audit.insert(conn, protocol_deviations, values, who)
    return True


def site_deviations(conn: Connection, site_id: int) -> list[dict[str, Any]]:
    """Every deviation of the site's participants (dose overrides and recorded ones), by
    date then participant: subject, kind, date, what happened, by whom and when."""
    overrides = conn.execute(
        select(participants.c.subject, dose_decisions)
        .join(participants, participants.c.id == dose_decisions.c.participant_id)
        .where(participants.c.site_id == site_id, dose_decisions.c.outcome == DEVIATION)
    ).mappings()
    listed = [
        {
            "subject": r["subject"],
            "kind": DOSE_OVERRIDE,
            "on": r["decided_for"],
            "what": _override(r),
            "by": r["decided_by"],
            "at_utc": r["decided_at_utc"],
        }
        for r in overrides
    ]
    recorded = conn.execute(
        select(participants.c.subject, protocol_deviations)
        .join(participants, participants.c.id == protocol_deviations.c.participant_id)
        .where(participants.c.site_id == site_id)
    ).mappings()
    listed += [
        {
            "subject": r["subject"],
            "kind": r["kind"],
            "on": r["occurred_on"],
            "what": r["description"],
            "by": r["recorded_by"],
            "at_utc": r["recorded_at_utc"],
        }
        for r in recorded
    ]
    return sorted(listed, key=lambda d: (d["on"], d["subject"]))


def _override(r: Any) -> str:
    protocol = r["protocol_dose_g"]
    instead = f"{protocol:g} g" if protocol is not None else "no dose"
    return (
        f"{r['ordered_dose_g']:g} g every {r['ordered_interval_days']} days ordered instead of "
        f"the protocol's {instead}: {r['reason']}"
    )
