"""The visits of a participant: recorded as done, and placed on the visit calendar.

A visit of the protocol's schedule is recorded once per participant with the date it
was done (table ``visits``, revision 0005); changing that date later needs a reason, as
every change of a capture record, and the audit trail keeps both dates. Where each
visit stands (done, upcoming, due, overdue) is computed by
:func:`mmntrial.engine.calendar.visit_calendar` from day 0 (the randomization date) and
the recorded dates, on the date the site looks: it is never stored.

A confirmation visit (:mod:`mmntrial.capture.repeats`) is recorded here too, on a date
after the drop it repeats; it is not a visit of the schedule, so the calendar leaves it
out (the engine panel shows it).

Nothing here knows an arm: the calendar is the same for every arm, so blinded roles
see all of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.allocation import Participant, participant, site_participants
from mmntrial.capture.repeats import drop_of
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import visits
from mmntrial.engine.calendar import VisitCalendar, VisitState, VisitStatus, visit_calendar
from mmntrial.protocol.model import Protocol


@dataclass(frozen=True)
class Overdue:
    """A scheduled visit of a participant whose window closed before it was done."""

    subject: str
    visit: VisitState


def recorded(conn: Connection, participant_id: int) -> dict[str, date]:
    """The visits recorded for a participant: name to the date it was done."""
    rows = conn.execute(
        select(visits.c.visit, visits.c.visited_on).where(visits.c.participant_id == participant_id)
    )
    return {name: date.fromisoformat(on) for name, on in rows}


def calendar(
    conn: Connection, protocol: Protocol, site: str, subject: str, today: date
) -> VisitCalendar:
    """The visit calendar of ``subject`` of ``site`` on ``today`` (NotFound if no such)."""
    row = participant(conn, site, subject)
    scheduled = {k: v for k, v in recorded(conn, row["id"]).items() if drop_of(k) is None}
    return visit_calendar(protocol, date.fromisoformat(row["randomized_on"]), scheduled, today)


def overdue(conn: Connection, protocol: Protocol, site: str, today: date) -> list[Overdue]:
    """Every overdue visit of the participants of ``site``, by participant, in order."""
    late = []
    for listed in site_participants(conn, site):
        for state in calendar(conn, protocol, site, listed.subject, today).visits:
            if state.status is VisitStatus.OVERDUE:
                late.append(Overdue(listed.subject, state))
    return late


def calendars(
    conn: Connection, protocol: Protocol, site: str, today: date
) -> list[tuple[Participant, VisitCalendar]]:
    """Each participant of ``site`` with their calendar on ``today``, in the order randomized."""
    return [
        (p, calendar(conn, protocol, site, p.subject, today)) for p in site_participants(conn, site)
    ]


def _visited_on(text: object, randomized_on: date, today: date) -> date:
    try:
        on = date.fromisoformat(str(text).strip())
    except ValueError:
        raise FieldError(
            "visited_on", f"visited_on: got {text!r}, expected a date as YYYY-MM-DD"
        ) from None
    if not randomized_on <= on <= today:
        raise FieldError(
            "visited_on",
            f"visited_on: got {on.isoformat()}, expected a date from day 0 "
            f"({randomized_on.isoformat()}) to today ({today.isoformat()})",
        )
    return on


def record(
    conn: Connection,
    protocol: Protocol,
    site: str,
    subject: str,
    form: dict[str, str],
    who: str,
    today: date,
) -> date:
    """Record that ``form["visit"]`` of ``subject`` was done on ``form["visited_on"]``.

    The first record of a visit needs no reason; a changed date needs ``form["reason"]``.
    Refuses a visit outside the schedule and a date before day 0 or after today with a
    :class:`FieldError` naming the field.
    """
    row = participant(conn, site, subject)
    names = [v.name for v in protocol.schedule.visits]
    name = form.get("visit", "")
    drop = drop_of(name)
    if name not in names and drop is None:
        raise FieldError(
            "visit",
            f"visit: got {name!r}, expected a visit of the schedule: {', '.join(names)} "
            "(or a confirmation visit, repeat-YYYY-MM-DD)",
        )
    day0 = date.fromisoformat(row["randomized_on"])
    on = _visited_on(form.get("visited_on", ""), day0, today)
    if drop is not None and on <= drop:
        raise FieldError(
            "visited_on",
            f"visited_on: got {on.isoformat()}, expected a date after the drop of "
            f"{drop.isoformat()} (a second assessment on the day of a drop is no repeat)",
        )
    saved = (
        conn.execute(
            select(visits.c.id).where(visits.c.participant_id == row["id"], visits.c.visit == name)
        )
        .scalars()
        .first()
    )
    if saved is None:
        values = {"participant_id": row["id"], "visit": name, "visited_on": on.isoformat()}
        audit.insert(conn, visits, values, who)
    else:
        audit.update(conn, visits, saved, {"visited_on": on.isoformat()}, who, form.get("reason"))
    return on
