"""Serious adverse events: the 24-hour reporting clock, the initial report and follow-ups.

A serious event (``adverse_events.serious``) with the moment the site became aware of
it (``aware_at_utc``) has a reporting clock (:func:`mmntrial.safety.sae.sae_clock`): the
initial report is due 24 hours after awareness. Its reports are kept in ``sae_reports``
(revision 0010): the initial one (sequence 0), then follow-ups 1, 2, ... (a new fact, an
outcome), each a narrative with who reported it and when (the server's clock, UTC),
audited; none is changed or deleted, a correction is a follow-up.

:func:`saes` lists a site's (or one participant's) serious events with their clocks: a
serious event without its awareness moment is listed as ``awareness_missing`` (the
clock cannot run), never given a guessed one. No answer holds an arm.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.adverse_events import aware_moment
from mmntrial.capture.allocation import participant
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.records import MAX_ID, MAX_NOTE
from mmntrial.capture.screening import FieldError, StateConflict
from mmntrial.capture.tables import adverse_events, participants, sae_reports
from mmntrial.safety.sae import SaeClock, sae_clock

#: The status of a serious event whose awareness moment is not recorded.
AWARENESS_MISSING = "awareness_missing"


def utc_now() -> datetime:
    """The moment the pages' clocks run to: the server's time in UTC (looked up on each
    request as ``sae.utc_now()``, so that a test can move it)."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Sae:
    """A serious adverse event with its reports and its clock (None: awareness missing)."""

    subject: str
    event: dict[str, Any]
    reports: list[dict[str, Any]]
    clock: SaeClock | None

    @property
    def status(self) -> str:
        """``open``, ``overdue``, ``on_time``, ``late`` or ``awareness_missing``."""
        return self.clock.status if self.clock is not None else AWARENESS_MISSING

    @property
    def needs_action(self) -> bool:
        """Whether the site still owes the initial report or the awareness moment."""
        return self.clock is None or self.clock.needs_action

    @property
    def due_at_utc(self) -> str | None:
        """The due moment of the initial report, ISO in UTC (None without awareness)."""
        return None if self.clock is None else self.clock.due_at.isoformat(timespec="minutes")

    def as_json(self) -> dict[str, Any]:
        """The event, its status, due moment and reports, as the pages and PDF show them."""
        return {
            "subject": self.subject,
            "event": self.event,
            "status": self.status,
            "due_at_utc": self.due_at_utc,
            "reports": self.reports,
        }


def _label(sequence: int) -> str:
    return "initial" if sequence == 0 else f"follow-up {sequence}"


def _reports(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(sae_reports)
        .where(sae_reports.c.adverse_event_id == event_id)
        .order_by(sae_reports.c.sequence)
    ).mappings()
    return [
        {
            "sequence": r["sequence"],
            "label": _label(r["sequence"]),
            "narrative": r["narrative"],
            "reported_by": r["reported_by"],
            "reported_at_utc": r["reported_at_utc"],
        }
        for r in rows
    ]


def _sae(conn: Connection, subject: str, event: dict[str, Any], now: datetime) -> Sae:
    reports = _reports(conn, event["id"])
    clock = None
    if event["aware_at_utc"]:
        first = datetime.fromisoformat(reports[0]["reported_at_utc"]) if reports else None
        clock = sae_clock(aware_moment(event["aware_at_utc"]), first, now)
    shown = {k: v for k, v in event.items() if k != "participant_id"}
    return Sae(subject, shown, reports, clock)


def saes(conn: Connection, site: str, now: datetime, subject: str | None = None) -> list[Sae]:
    """The serious events of ``site`` (of ``subject`` only, when given), those that need
    action first, then by onset."""
    query = (
        select(participants.c.subject, adverse_events)
        .join(participants, participants.c.id == adverse_events.c.participant_id)
        .where(participants.c.site_id == site_id(conn, site), adverse_events.c.serious)
    )
    if subject is not None:
        query = query.where(participants.c.subject == subject)
    rows = conn.execute(query).mappings()
    found = [
        _sae(conn, r["subject"], {c.name: r[c.name] for c in adverse_events.columns}, now)
        for r in rows
    ]
    return sorted(found, key=lambda s: (not s.needs_action, s.event["onset_on"], s.subject))


def sae_of(conn: Connection, site: str, subject: str, record: int, now: datetime) -> Sae:
    """The serious event ``record`` (its row id) of ``subject``; :class:`NotFound` when it
    is no adverse event of theirs, :class:`StateConflict` when it is not serious."""
    row = participant(conn, site, subject)
    event = (
        conn.execute(
            select(adverse_events).where(
                adverse_events.c.id == record, adverse_events.c.participant_id == row["id"]
            )
        )
        .mappings()
        .first()
        # An id beyond the column's integers is no record (PostgreSQL would refuse it).
        if 0 < record <= MAX_ID
        else None
    )
    if event is None:
        raise NotFound(f"record: got {record!r}, expected an adverse event of {subject}")
    if not event["serious"]:
        raise StateConflict(
            "serious",
            f"serious: {event['ae_id']} of {subject} is not serious, expected a serious event "
            "(change the event first, with a reason)",
        )
    return _sae(conn, subject, dict(event), now)


def report(
    conn: Connection,
    site: str,
    subject: str,
    record: int,
    narrative: str | None,
    who: str,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Add the next report of the serious event ``record``: the initial one, then
    follow-ups; return it as stored. The initial one needs the awareness moment."""
    when = now or utc_now()
    sae = sae_of(conn, site, subject, record, when)
    text = (narrative or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise FieldError(
            "narrative", f"narrative: got {narrative!r}, expected 1 to {MAX_NOTE} characters"
        )
    if sae.clock is None:
        raise StateConflict(
            "aware_at_utc",
            f"aware_at_utc: {sae.event['ae_id']} of {subject} has no awareness moment, expected "
            "it on the adverse event before the report (it starts the 24-hour clock)",
        )
    sequence = conn.execute(
        select(func.count())
        .select_from(sae_reports)
        .where(sae_reports.c.adverse_event_id == record)
    ).scalar_one()
    values = {
        "participant_id": participant(conn, site, subject)["id"],
        "adverse_event_id": record,
        "sequence": sequence,
        "narrative": text,
        "reported_by": who,
        "reported_at_utc": when.astimezone(UTC).isoformat(timespec="seconds"),
    }
    audit.insert(conn, sae_reports, values, who)
    return {"label": _label(sequence), **{k: v for k, v in values.items() if k != "participant_id"}}
