"""The audit trail: every insert and update of the capture tables, hash-chained.

Each change is one entry of the chain ``audit`` of :mod:`mmntrial.storage.chain` (the
one tamper-evidence module), appended in the caller's write transaction, so a change
and its entry commit together or not at all. An entry's kind is ``insert`` or
``update``; its ``who`` and ``at_utc`` say who and when (UTC); its content::

    {"table": "screening_log", "record": 7, "reason": "typo in the date",
     "changes": {"screened_on": ["2026-11-03", "2026-11-30"]}}

``changes`` maps each field to ``[old, new]`` (old is ``null`` on insert). A change
after the first save needs a reason: :func:`update` refuses one without, naming
``reason``. A password hash is never written into the trail (a hash in an export would
help whoever guesses passwords offline); the trail says only that it was set.

:func:`updates_of` reads one table's updates (who changed a record, and when) without
parsing the whole trail. :func:`check` verifies the chain (naming the first entry
changed, removed, inserted or reordered), optionally against a head taken earlier, and
then replays the entries and compares them with the tables, so a row changed, removed
or added by hand is named too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Table, select
from sqlalchemy import insert as sql_insert
from sqlalchemy import update as sql_update
from sqlalchemy.exc import DatabaseError

from mmntrial.capture.lockstate import refuse_into_locked_visit, refuse_locked
from mmntrial.capture.tables import TABLES
from mmntrial.errors import CaptureError, ChainBroken
from mmntrial.storage import chain
from mmntrial.storage.chain import Entry, Head, chain_entries

CHAIN = "audit"
INSERT, UPDATE = "insert", "update"

#: Fields whose value the trail never holds, per table; it records "(set)" instead.
SECRET_FIELDS = {"users": frozenset({"password_hash"})}
SECRET = "(set)"

#: The longest reason for a change that is kept (a paragraph, not a document).
MAX_REASON = 1000


def now_utc() -> str:
    """The current time in UTC, ISO 8601 to the second, as the trail records it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _shown(table: Table, field: str, value: Any) -> Any:
    return SECRET if field in SECRET_FIELDS.get(table.name, ()) else value


def checked_reason(reason: str | None) -> str:
    """``reason`` stripped, or a :class:`CaptureError` naming ``reason``.

    >>> checked_reason("  wrong date entered ")
    'wrong date entered'
    >>> checked_reason("")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    mmntrial.errors.CaptureError: reason: got '', expected why the saved record is changed ...
    """
    text = (reason or "").strip()
    if not text or len(text) > MAX_REASON:
        raise CaptureError(
            f"reason: got {reason!r}, expected why the saved record is changed (required for "
            f"every change after the first save; 1 to {MAX_REASON} characters)"
        )
    return text


def insert(conn: Connection, table: Table, values: Mapping[str, Any], who: str) -> int:
    """Insert a row into ``table`` and its audit entry; return the new row's id.

    Refuses a new assessment of a locked visit
    (:func:`mmntrial.capture.lockstate.refuse_into_locked_visit`).
    """
    refuse_into_locked_visit(conn, table, values)
    result = conn.execute(sql_insert(table).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    record = int(key[0])
    changes = {field: [None, _shown(table, field, v)] for field, v in sorted(values.items())}
    _append(conn, INSERT, who, table, record, changes, None)
    return record


def update(
    conn: Connection,
    table: Table,
    record: int,
    values: Mapping[str, Any],
    who: str,
    reason: str | None,
) -> dict[str, list[Any]]:
    """Change fields of one row and record old and new values with ``reason``.

    Returns the changes recorded (``{}`` and no entry when nothing differs). Refuses a
    missing or blank reason and a record that does not exist, with a :class:`CaptureError`,
    and a locked record (:class:`mmntrial.capture.lockstate.RecordLocked`): every change
    of a saved record passes here, so this is the one place a lock is enforced.
    """
    why = checked_reason(reason)
    row = conn.execute(select(table).where(table.c.id == record)).mappings().one_or_none()
    if row is None:
        raise CaptureError(f"{table.name} record: got {record!r}, expected an existing record")
    refuse_locked(conn, table, record)
    new = {field: value for field, value in values.items() if row[field] != value}
    if not new:
        return {}
    conn.execute(sql_update(table).where(table.c.id == record).values(**new))
    changes = {
        field: [_shown(table, field, row[field]), _shown(table, field, value)]
        for field, value in sorted(new.items())
    }
    _append(conn, UPDATE, who, table, record, changes, why)
    return changes


def _append(
    conn: Connection,
    kind: str,
    who: str,
    table: Table,
    record: int,
    changes: dict[str, list[Any]],
    reason: str | None,
) -> None:
    content = {"table": table.name, "record": record, "changes": changes, "reason": reason}
    chain.append(conn, CHAIN, kind, who, now_utc(), content)


def updates_of(conn: Connection, table: Table) -> list[Entry]:
    """The trail's updates of ``table``, in the order made: who changed which record
    (``content["record"]``), when, the changes and the reason (not verified: :func:`check`
    does that)."""
    # An entry's content is canonical JSON (sorted keys), so "table" is its last key: the
    # database keeps only the table's entries, without parsing the whole trail; a value
    # that merely contains the text has its quotes escaped and cannot match.
    ending = _ending(table.name)
    rows = conn.execute(
        select(chain_entries)
        .where(
            chain_entries.c.chain == CHAIN,
            chain_entries.c.kind == UPDATE,
            chain_entries.c.content.endswith(ending, autoescape=True),
        )
        .order_by(chain_entries.c.position)
    )
    found = [Entry(r.position, r.kind, r.who, r.at_utc, json.loads(r.content)) for r in rows]
    return [e for e in found if e.content.get("table") == table.name]


def _ending(table_name: str) -> str:
    """How the content of an entry of ``table_name`` ends.

    >>> _ending("action_items")
    '"table":"action_items"}'
    """
    return chain.canonical({"table": table_name})[1:]


@dataclass
class _Replayed:
    """A record as the trail says it is, and the last entry that touched it."""

    values: dict[str, Any]
    entry: str


def check(conn: Connection, given: Head | None = None) -> Head:
    """The verified head of the audit trail; :class:`ChainBroken` naming what is wrong.

    ``given`` is a head taken earlier: the trail must still start with its entries.
    """
    try:
        stored = chain.read(conn, CHAIN)
    except DatabaseError:
        raise ChainBroken(f"{CHAIN}: the table chain_entries cannot be read") from None
    head = chain.verify(CHAIN, stored)
    if given is not None:
        chain.check_against(CHAIN, stored, given)
    records: dict[tuple[str, int], _Replayed] = {}
    for item in stored:
        entry = item.entry
        content = entry.content
        name = f"{CHAIN} entry {entry.position} ({entry.kind} {content.get('table')})"
        record, changes = content.get("record"), content.get("changes")
        if (
            content.get("table") not in TABLES
            or entry.kind not in (INSERT, UPDATE)
            or not isinstance(record, int)
            or not isinstance(changes, dict)
            or not all(isinstance(pair, list) and len(pair) == 2 for pair in changes.values())
        ):
            # Only a chain rewritten whole (its hashes recomputed) gets here.
            raise ChainBroken(f"{name}: not an entry the capture app writes")
        key = (str(content["table"]), record)
        new = {field: pair[1] for field, pair in changes.items()}
        if entry.kind == INSERT:
            records[key] = _Replayed(new, name)
        elif key in records:
            records[key].values.update(new)
            records[key].entry = name
        else:
            raise ChainBroken(f"{name}: updates record {key[1]}, which was never inserted")
    _compare(conn, records)
    return head


def _compare(conn: Connection, records: dict[tuple[str, int], _Replayed]) -> None:
    for table_name, table in TABLES.items():
        secret = SECRET_FIELDS.get(table_name, frozenset())
        try:
            rows = conn.execute(select(table).order_by(table.c.id)).mappings().all()
        except DatabaseError:
            raise ChainBroken(f"{CHAIN}: the table {table_name} cannot be read") from None
        seen = set()
        for row in rows:
            key = (table_name, int(row["id"]))
            seen.add(key)
            said = records.get(key)
            if said is None:
                raise ChainBroken(
                    f"{CHAIN}: {table_name} row {row['id']} has no audit entry: it was "
                    "inserted outside the capture app"
                )
            changed = [
                field
                for field, value in said.values.items()
                if field not in secret and row[field] != value
            ]
            if changed:
                raise ChainBroken(
                    f"{CHAIN}: {table_name} row {row['id']} differs from its audit trail "
                    f"(changed: {', '.join(changed)}; last recorded by {said.entry})"
                )
        removed = sorted(k for k in records if k[0] == table_name and k not in seen)
        if removed:
            raise ChainBroken(
                f"{CHAIN}: {table_name} row {removed[0][1]} is missing from the table "
                f"(removed; last recorded by {records[removed[0]].entry})"
            )
