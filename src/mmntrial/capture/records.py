"""A participant's records of one kind (adverse events, labs...), checked field by field.

A :class:`RecordForm` says what a kind of record holds: its table, its fields (each a
:class:`Field` with a :class:`Kind` that says how the typed text is read) and a
``rules`` hook for what crosses fields (a resolution after the onset, a grade computed
from a value, a reason required unless completed). The functions here read a typed
form against it, naming the field of every refusal, add a record (audited) and change
one (audited, with the reason :func:`mmntrial.capture.audit.update` requires). A change
sends the fields it changes; the others keep their saved values and are checked again
with them, so a record never holds a combination a new one could not.

Dates are calendar dates (YYYY-MM-DD), on or before today and within ten years of day
0 (:func:`mmntrial.engine.calendar.study_day`); the export turns them into study days.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.allocation import participant
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import participants
from mmntrial.engine.calendar import study_day
from mmntrial.errors import EngineError

#: Names and labels are short, not notes; a note is a paragraph.
MAX_LABEL, MAX_NOTE = 100, 1000
#: The largest id an INTEGER column holds on every database (PostgreSQL's 32 bits).
MAX_ID = 2**31 - 1
YES, NO = ("yes", "true", "1", "on"), ("no", "false", "0")
#: What a confirm box sends when ticked (a form's "on", the API's "true").
CONFIRMED = ("on", "true", "1")


class Kind(StrEnum):
    """How a field's typed text is read."""

    DATE = "date"
    LABEL = "label"  # 1 to MAX_LABEL printable characters
    NOTE = "note"  # 1 to MAX_NOTE characters
    CHOICE = "choice"
    INTEGER = "integer"  # whole, from low to high
    NUMBER = "number"
    YES_NO = "yes_no"


@dataclass(frozen=True)
class Field:
    """One field of a record: its column, how it is read, whether it may be left empty."""

    name: str
    label: str
    kind: Kind
    required: bool = True
    choices: tuple[str, ...] = ()
    low: int = 0
    high: int = 0
    #: Whether a change that does not type this field keeps its saved value (False for a
    #: value computed from others unless typed, such as a lab's grade).
    kept: bool = True

    def expected(self) -> str:
        """What the field takes, in words, for its messages."""
        return {
            Kind.DATE: "a date as YYYY-MM-DD",
            Kind.LABEL: f"1 to {MAX_LABEL} printable characters",
            Kind.NOTE: f"1 to {MAX_NOTE} characters",
            Kind.CHOICE: "one of " + ", ".join(self.choices),
            Kind.INTEGER: f"a whole number from {self.low} to {self.high}",
            Kind.NUMBER: "a finite number",
            Kind.YES_NO: "yes or no",
        }[self.kind]


@dataclass(frozen=True)
class Dates:
    """What a date is checked against: the participant's day 0 and today."""

    day0: date
    today: date


Rules = Callable[[dict[str, Any], Mapping[str, str], Dates], dict[str, Any]]


@dataclass(frozen=True)
class SavedRecord:
    """A record just added or changed, as the form's ``saved`` hook gets it, inside the
    save's transaction: the participant (site, subject, id), the record's id and its
    values as stored, who saved it and the study's today."""

    conn: Connection
    site: str
    subject: str
    participant_id: int
    record: int
    values: Mapping[str, Any]
    who: str
    today: date


#: What a saved record sets off in the same transaction: a protocol deviation (a listed
#: concomitant medication), the safety rules opening action items (labs, adverse events).
Saved = Callable[[SavedRecord], object]


def row_of_site(
    conn: Connection, table: Table, record: int, site: str, *where: ColumnElement[bool]
) -> dict[str, Any] | None:
    """The row ``record`` of ``table`` (a table of participants' rows) when its
    participant is of ``site`` and it meets ``where``, with the participant's ``subject``;
    None otherwise, for the caller to refuse in its own words.

    An id beyond the column's integers is no row without asking: PostgreSQL would refuse
    the query rather than find nothing.
    """
    if not 0 < record <= MAX_ID:
        return None
    row = (
        conn.execute(
            select(table, participants.c.subject)
            .join(participants, participants.c.id == table.c.participant_id)
            .where(table.c.id == record, participants.c.site_id == site_id(conn, site), *where)
        )
        .mappings()
        .first()
    )
    return None if row is None else dict(row)


def _no_rules(values: dict[str, Any], _typed: Mapping[str, str], _dates: Dates) -> dict[str, Any]:
    return values


@dataclass(frozen=True)
class RecordForm:
    """A kind of record: table, fields, cross-field rules, and how the pages name it.

    ``name`` is the table's name and the stem of the route names; ``slug`` the last
    part of its paths. ``rules`` gets the values read (None for an empty optional
    field), the typed text and the dates, and returns the values to store (derived ones
    added), raising :class:`~mmntrial.capture.screening.FieldError` (or
    :class:`~mmntrial.capture.assessments.Unconfirmed`) naming a field. ``derived`` are
    stored columns the rules compute, shown but never typed, each with its column
    heading: ``(("ae_id", "AE"),)``. ``one_each`` allows one
    record per participant. ``numbered`` is a column and its format (``("ae_id",
    "AE-{:03d}")``): the identifier of a new record, numbered per participant (rows are
    never deleted, so the count gives the next number). ``unique`` are columns no two
    records of a participant share (the last one is named when refused). ``saved``
    runs after every add and change, in the same transaction.
    """

    name: str
    slug: str
    title: str
    table: Table
    fields: tuple[Field, ...]
    rules: Rules = _no_rules
    derived: tuple[tuple[str, str], ...] = ()
    one_each: bool = False
    numbered: tuple[str, str] | None = None
    unique: tuple[str, ...] = ()
    saved: Saved | None = None


def _date(f: Field, text: str, raw: str | None, dates: Dates) -> date:
    try:
        on = date.fromisoformat(text)
    except ValueError:
        raise FieldError(f.name, f"{f.name}: got {raw!r}, expected {f.expected()}") from None
    if on > dates.today:
        raise FieldError(
            f.name,
            f"{f.name}: got {on.isoformat()}, expected a date on or before today "
            f"({dates.today.isoformat()})",
        )
    try:
        study_day(dates.day0, on)
    except EngineError as error:
        raise FieldError(f.name, f"{f.name}: {error}") from None
    return on


def _value(f: Field, text: str, raw: str | None, dates: Dates) -> Any:
    refused = FieldError(f.name, f"{f.name}: got {raw!r}, expected {f.expected()}")
    if f.kind is Kind.DATE:
        return _date(f, text, raw, dates).isoformat()
    if f.kind is Kind.LABEL:
        if len(text) > MAX_LABEL or not text.isprintable():
            raise refused
        return text
    if f.kind is Kind.NOTE:
        if len(text) > MAX_NOTE:
            raise refused
        return text
    if f.kind is Kind.CHOICE:
        if text not in f.choices:
            raise refused
        return text
    if f.kind is Kind.YES_NO:
        if text.lower() not in (*YES, *NO):
            raise refused
        return text.lower() in YES
    try:
        number = float(text)
    except ValueError:
        raise refused from None
    if not math.isfinite(number):
        raise refused
    if f.kind is Kind.INTEGER:
        if not number.is_integer() or not f.low <= number <= f.high:
            raise refused
        return int(number)
    return number


def read(form: RecordForm, typed: Mapping[str, str], dates: Dates) -> dict[str, Any]:
    """The typed fields of ``form`` read and checked, then its rules applied."""
    values: dict[str, Any] = {}
    for f in form.fields:
        raw = typed.get(f.name)
        text = (raw or "").strip()
        if not text:
            if f.required:
                raise FieldError(
                    f.name, f"{f.name}: got {raw!r}, expected {f.expected()} (required)"
                )
            values[f.name] = None
            continue
        values[f.name] = _value(f, text, raw, dates)
    return form.rules(values, typed, dates)


def as_typed(form: RecordForm, row: Mapping[str, Any]) -> dict[str, str]:
    """A saved record's fields as a form shows them (yes/no, "" for an empty field)."""
    typed = {}
    for f in form.fields:
        value = row[f.name]
        if value is None:
            typed[f.name] = ""
        elif f.kind is Kind.YES_NO:
            typed[f.name] = "yes" if value else "no"
        elif isinstance(value, float):
            typed[f.name] = f"{value:g}"
        else:
            typed[f.name] = str(value)
    return typed


def _refuse_twin(
    conn: Connection, form: RecordForm, participant_id: int, values: dict[str, Any], record: int
) -> None:
    if not form.unique:
        return
    table = form.table
    twin = conn.execute(
        select(table.c.id).where(
            table.c.participant_id == participant_id,
            table.c.id != record,
            *(table.c[c] == values[c] for c in form.unique),
        )
    ).first()
    if twin is not None:
        named = form.unique[-1]
        same = ", ".join(f"{c} {values[c]}" for c in form.unique)
        raise FieldError(
            named,
            f"{named}: got {values[named]!r}, expected one not recorded already ({same} is "
            f"record {twin.id}: change that one, with a reason)",
        )


def _dates(row: Mapping[str, Any], today: date) -> Dates:
    return Dates(date.fromisoformat(row["randomized_on"]), today)


def add(
    conn: Connection,
    form: RecordForm,
    site: str,
    subject: str,
    typed: Mapping[str, str],
    who: str,
    today: date,
) -> dict[str, Any]:
    """Check and add a record of ``subject``; return it as stored, with its ``id``."""
    row = participant(conn, site, subject)
    values = read(form, typed, _dates(row, today))
    table = form.table
    taken = conn.execute(select(table.c.id).where(table.c.participant_id == row["id"])).all()
    if form.one_each and taken:
        first = form.fields[0].name
        raise FieldError(
            first,
            f"{first}: {subject} has a record of {form.title.lower()} already, expected a "
            "change of it (with a reason) rather than a second one",
        )
    _refuse_twin(conn, form, row["id"], values, 0)
    if form.numbered is not None:
        column, pattern = form.numbered
        values = {column: pattern.format(len(taken) + 1), **values}
    record = audit.insert(conn, table, {"participant_id": row["id"], **values}, who)
    if form.saved is not None:
        form.saved(SavedRecord(conn, site, subject, row["id"], record, values, who, today))
    return {"id": record, **values}


def change(
    conn: Connection,
    form: RecordForm,
    site: str,
    subject: str,
    record: int,
    typed: Mapping[str, str],
    who: str,
    today: date,
) -> dict[str, Any]:
    """Change record ``record`` of ``subject`` with ``typed["reason"]``; return it as
    stored. Fields not typed keep their saved values."""
    row = participant(conn, site, subject)
    table = form.table
    saved = row_of_site(conn, table, record, site, table.c.participant_id == row["id"])
    if saved is None:
        raise NotFound(
            f"record: got {record!r}, expected a record of {form.title.lower()} of {subject}"
        )
    kept = {f.name for f in form.fields if f.kept}
    before = {k: v for k, v in as_typed(form, saved).items() if k in kept}
    values = read(form, {**before, **typed}, _dates(row, today))
    _refuse_twin(conn, form, row["id"], values, record)
    audit.update(conn, table, record, values, who, typed.get("reason"))
    if form.saved is not None:
        form.saved(SavedRecord(conn, site, subject, row["id"], record, values, who, today))
    return {
        "id": record,
        **{k: v for k, v in saved.items() if k not in ("id", "participant_id", "subject")},
        **values,
    }


def listed(conn: Connection, form: RecordForm, site: str, subject: str) -> list[dict[str, Any]]:
    """The records of ``subject`` by their first date (a lab's sample, an event's onset),
    then in the order they were added: a listing reads as the participant's course, even
    when records were entered late."""
    row = participant(conn, site, subject)
    table = form.table
    first_date = next(f.name for f in form.fields if f.kind is Kind.DATE)
    rows = conn.execute(
        select(table)
        .where(table.c.participant_id == row["id"])
        .order_by(table.c[first_date], table.c.id)
    ).mappings()
    return [{k: v for k, v in r.items() if k != "participant_id"} for r in rows]
