"""Queries: a question on one field of one saved record, the site's answer, closing it.

A data manager or a monitor raises a query on a field of a participant's record (a
table of :data:`mmntrial.capture.reviewed.REVIEWED`, the record's id, the column); the
site (its investigator or study nurse) answers; whoever raised it closes it, or opens it
again with a reason when the answer does not settle it. The query is one row of
``queries``; each step is an update of that row, so the audit trail holds the whole
exchange (who, when, the answer, the reason for re-opening). Nothing here names an arm.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.allocation import participant
from mmntrial.capture.records import MAX_NOTE, row_of_site
from mmntrial.capture.reviewed import record_of
from mmntrial.capture.screening import FieldError, StateConflict
from mmntrial.capture.tables import participants, queries


class Status(StrEnum):
    """Where a query stands."""

    OPEN = "open"  # raised (or re-opened), waiting for the site
    ANSWERED = "answered"  # the site answered, waiting for the raiser
    CLOSED = "closed"


def _text(typed: Mapping[str, str], field: str, what: str) -> str:
    raw = typed.get(field)
    text = (raw or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise FieldError(
            field, f"{field}: got {raw!r}, expected {what} (1 to {MAX_NOTE} characters)"
        )
    return text


def raise_query(
    conn: Connection, site: str, subject: str, typed: Mapping[str, str], who: str
) -> dict[str, Any]:
    """Raise a query on ``table``/``record``/``field`` of ``subject`` with ``question``."""
    person = participant(conn, site, subject)
    record = record_of(conn, int(person["id"]), typed.get("table"), typed.get("record"))
    field = typed.get("field")
    if field not in record.values:
        raise FieldError(
            "field",
            f"field: got {field!r}, expected a field of the {record.name}: "
            + ", ".join(record.values),
        )
    values = {
        "participant_id": int(person["id"]),
        "table_name": record.table,
        "record_id": record.id,
        "field": field,
        "question": _text(typed, "question", "the question on the field's value"),
        "status": Status.OPEN.value,
        "answer": None,
        "raised_by": who,
        "raised_at_utc": audit.now_utc(),
    }
    number = audit.insert(conn, queries, values, who)
    return _shown({"id": number, "subject": subject, **values})


def _query(conn: Connection, site: str, number: int) -> dict[str, Any]:
    row = row_of_site(conn, queries, number, site)
    if row is None:
        raise FieldError("query", f"query: got {number!r}, expected a query of site {site}")
    return row


def _expect(query: dict[str, Any], allowed: tuple[Status, ...], step: str) -> None:
    if query["status"] not in allowed:
        raise StateConflict(
            "query",
            f"query: got query {query['id']}, which is {query['status']}; expected one that is "
            f"{' or '.join(allowed)} to {step} it",
        )


def _raiser(query: dict[str, Any], who: str, step: str) -> None:
    if query["raised_by"] != who:
        raise StateConflict(
            "query",
            f"query: got query {query['id']}, raised by {query['raised_by']}; expected its "
            f"raiser to {step} it",
        )


def answer(
    conn: Connection, site: str, number: int, typed: Mapping[str, str], who: str
) -> dict[str, Any]:
    """The site answers an open query with ``answer``."""
    query = _query(conn, site, number)
    _expect(query, (Status.OPEN,), "answer")
    text = _text(typed, "answer", "the site's answer")
    values = {"answer": text, "status": Status.ANSWERED.value}
    audit.update(conn, queries, number, values, who, "the site answers the query")
    return _shown({**query, **values})


def close(conn: Connection, site: str, number: int, who: str) -> dict[str, Any]:
    """Whoever raised the query closes it (answered, or settled without an answer)."""
    query = _query(conn, site, number)
    _expect(query, (Status.OPEN, Status.ANSWERED), "close")
    _raiser(query, who, "close")
    audit.update(conn, queries, number, {"status": Status.CLOSED.value}, who, "query closed")
    return _shown({**query, "status": Status.CLOSED.value})


def reopen(
    conn: Connection, site: str, number: int, typed: Mapping[str, str], who: str
) -> dict[str, Any]:
    """Whoever raised the query opens it again, with ``reason`` (answered or closed)."""
    query = _query(conn, site, number)
    _expect(query, (Status.ANSWERED, Status.CLOSED), "re-open")
    _raiser(query, who, "re-open")
    why = audit.checked_reason(typed.get("reason"))
    audit.update(conn, queries, number, {"status": Status.OPEN.value}, who, why)
    return _shown({**query, "status": Status.OPEN.value})


def _shown(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "subject": row["subject"],
        "table": row["table_name"],
        "record": row["record_id"],
        "field": row["field"],
        "question": row["question"],
        "status": row["status"],
        "answer": row["answer"],
        "raised_by": row["raised_by"],
        "raised_at_utc": row["raised_at_utc"],
    }


def listed(
    conn: Connection, site: str, subject: str | None = None, unsettled: bool = False
) -> list[dict[str, Any]]:
    """The queries of ``site`` (of ``subject`` only, when given; not closed ones only, when
    ``unsettled``), in the order raised."""
    where = [participants.c.site_id == site_id(conn, site)]
    if subject is not None:
        where.append(participants.c.id == participant(conn, site, subject)["id"])
    if unsettled:
        where.append(queries.c.status != Status.CLOSED.value)
    rows = conn.execute(
        select(queries, participants.c.subject)
        .join(participants, participants.c.id == queries.c.participant_id)
        .where(*where)
        .order_by(queries.c.id)
    ).mappings()
    return [_shown(r) for r in rows]
