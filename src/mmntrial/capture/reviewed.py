"""A participant's records as monitoring sees them: which tables, one record, its hash.

Queries, record locks, source data verification and signatures all name a record the
same way: a table of :data:`REVIEWED` (the tables of a participant's clinical records)
and the record's id. :func:`record_of` reads that pair as typed, refusing a table, an id
or a record of another participant with a message naming the field; :func:`values_hash`
is what a signature or a verification keeps of the values it saw, so that a later
change is seen as one without any write of its own.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, select

from mmntrial.capture.records import MAX_ID
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import (
    adverse_events,
    assessments,
    conmeds,
    dispositions,
    dose_decisions,
    infusions,
    labs,
    visits,
)

#: The tables of a participant's records that monitoring reviews, with a record's name.
REVIEWED: dict[str, tuple[Table, str]] = {
    "visits": (visits, "visit"),
    "assessments": (assessments, "assessment"),
    "infusions": (infusions, "IVIg infusion"),
    "dose_decisions": (dose_decisions, "dose decision"),
    "adverse_events": (adverse_events, "adverse event"),
    "labs": (labs, "lab value"),
    "conmeds": (conmeds, "concomitant medication"),
    "dispositions": (dispositions, "disposition"),
}
#: Columns that are not a record's data (its id and whose it is).
NOT_DATA = frozenset({"id", "participant_id"})


@dataclass(frozen=True)
class Record:
    """One saved record of a participant: its table, id and values (data columns only)."""

    table: str
    id: int
    values: dict[str, Any]

    @property
    def name(self) -> str:
        """The record in words, as pages and messages name it: ``adverse event 3``."""
        return f"{REVIEWED[self.table][1]} {self.id}"

    @property
    def key(self) -> tuple[str, int]:
        """``(table, id)``: how locks, verifications and queries refer to it."""
        return (self.table, self.id)


def values_hash(values: Mapping[str, Any]) -> str:
    """The SHA-256 of ``values`` as canonical JSON (sorted keys).

    >>> values_hash({"b": 1, "a": None}) == values_hash({"a": None, "b": 1})
    True
    """
    text = json.dumps(dict(values), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _record(table_name: str, row: Mapping[Any, Any]) -> Record:
    data = {k: v for k, v in row.items() if k not in NOT_DATA}
    return Record(table_name, int(row["id"]), data)


def record_of(
    conn: Connection, participant_id: int, table_name: str | None, record: str | None
) -> Record:
    """The record ``record`` of ``table_name`` of the participant, as typed.

    A table outside :data:`REVIEWED` is refused naming ``table``; an id that is not a
    record of this participant naming ``record``.
    """
    if table_name not in REVIEWED:
        raise FieldError(
            "table",
            f"table: got {table_name!r}, expected one of {', '.join(REVIEWED)}",
        )
    table = REVIEWED[table_name][0]
    text = (record or "").strip()
    number = int(text) if text.isascii() and text.isdigit() else 0
    row = None
    if 0 < number <= MAX_ID:
        row = (
            conn.execute(
                select(table).where(table.c.id == number, table.c.participant_id == participant_id)
            )
            .mappings()
            .first()
        )
    if row is None:
        raise FieldError(
            "record",
            f"record: got {record!r}, expected the id of a saved {REVIEWED[table_name][1]} "
            "of this participant",
        )
    return _record(table_name, row)


def records_of(conn: Connection, participant_id: int) -> list[Record]:
    """Every reviewed record of the participant, table by table, in the order saved."""
    found: list[Record] = []
    for name, (table, _) in REVIEWED.items():
        rows = conn.execute(
            select(table).where(table.c.participant_id == participant_id).order_by(table.c.id)
        ).mappings()
        found.extend(_record(name, row) for row in rows)
    return found


def visit_records(conn: Connection, participant_id: int, visit: str) -> list[Record]:
    """The records of one visit: the visit's date and the assessments taken at it (the
    labs, events and infusions are dated, not tied to a visit, and are signed per record
    by no one: they are verified one by one)."""
    found: list[Record] = []
    for name in ("visits", "assessments"):
        table = REVIEWED[name][0]
        rows = conn.execute(
            select(table)
            .where(table.c.participant_id == participant_id, table.c.visit == visit)
            .order_by(table.c.id)
        ).mappings()
        found.extend(_record(name, row) for row in rows)
    return found
