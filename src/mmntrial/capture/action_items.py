"""Action items: what a fired safety rule asks of its owner, until it is resolved.

After a participant's lab value, adverse event or infusion is saved, :func:`open_findings`
evaluates the study protocol's ``[safety]`` rules on the participant's records
(:func:`mmntrial.safety.rules.evaluate`) and opens one item per new finding: a rule
that fired, or a value a rule cannot judge (no normal range, another unit, no baseline),
which asks for what is missing. A finding already opened is never opened again, so a
re-save adds nothing; an item stays until someone resolves it with a resolution text.
Every insert and update is audited. Items hold no arm: the rules are the same for
every arm. An item as listed carries ``rule``, what its rule watches in words
(:func:`mmntrial.safety.describe.rule_title`), beside the ``rule_id`` it holds. Only a
user holding the item's owner role (the rule's ``owner``) at the item's site resolves
it (:class:`NotTheOwner` otherwise): the protocol names who acts.

The study-drug start is taken as day 0 (randomization), as the protocol's regimens
start on day 0. An item is due ``days_to_resolve`` after the date of its finding (a
lab's sample, an event's onset), and overdue once the study's today is past that.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.allocation import participant
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.permissions import ROLE_NAMES, Role
from mmntrial.capture.records import MAX_NOTE, SavedRecord, row_of_site
from mmntrial.capture.screening import FieldError, StateConflict
from mmntrial.capture.study import load_study
from mmntrial.capture.tables import action_items, adverse_events, infusions, labs, participants
from mmntrial.errors import CaptureError
from mmntrial.safety.describe import rule_title
from mmntrial.safety.rules import AdverseEvent, CannotEvaluate, Finding, LabValue, evaluate

OPEN, RESOLVED = "open", "resolved"


class NotTheOwner(CaptureError):
    """A resolution by a user who does not hold the item's owner role at its site (403)."""

    field = "item"


#: What an item on a value a rule cannot judge asks for.
COMPLETE_THE_DATA = (
    "Enter what is missing (the lab's normal range, a value in the rule's unit, a "
    "baseline or pre-infusion value) so that the rule can judge the value"
)


def _participant_data(
    conn: Connection, participant_id: int
) -> tuple[list[LabValue], list[AdverseEvent], list[date]]:
    lab_rows = conn.execute(
        select(labs).where(labs.c.participant_id == participant_id).order_by(labs.c.id)
    ).mappings()
    values = [
        LabValue(
            r["test"],
            r["value"],
            r["unit"],
            r["lln"],
            r["uln"],
            date.fromisoformat(r["sampled_on"]),
            ref=f"labs:{r['id']}",
        )
        for r in lab_rows
    ]
    event_rows = conn.execute(
        select(adverse_events.c.id, adverse_events.c.term, adverse_events.c.onset_on).where(
            adverse_events.c.participant_id == participant_id
        )
    )
    events = [
        AdverseEvent(term, date.fromisoformat(onset), ref=f"adverse_events:{record}")
        for record, term, onset in event_rows
    ]
    given = conn.execute(
        select(infusions.c.given_on).where(infusions.c.participant_id == participant_id)
    ).scalars()
    return values, events, [date.fromisoformat(on) for on in given]


def _values(finding: Finding, participant_id: int, today: date) -> dict[str, Any]:
    rule = finding.rule
    cannot = isinstance(finding, CannotEvaluate)
    return {
        "participant_id": participant_id,
        "finding_key": finding.key,
        "rule_id": rule.id,
        "kind": "cannot_evaluate" if cannot else "fired",
        "finding": finding.missing if isinstance(finding, CannotEvaluate) else finding.reason,
        "action": COMPLETE_THE_DATA if cannot else rule.action,
        "owner_role": rule.owner,
        "found_on": finding.on.isoformat(),
        "opened_on": today.isoformat(),
        "due_on": (finding.on + timedelta(days=rule.days_to_resolve)).isoformat(),
        "status": OPEN,
        "resolution": None,
    }


def on_saved(saved: SavedRecord) -> int:
    """The record forms' ``saved`` hook (labs, adverse events): :func:`open_findings`."""
    return open_findings(saved.conn, saved.site, saved.subject, saved.who, saved.today)


def open_findings(conn: Connection, site: str, subject: str, who: str, today: date) -> int:
    """Open an item for each finding of ``subject`` not opened before; return how many."""
    row = participant(conn, site, subject)
    safety = load_study(conn).protocol.safety
    if not safety.rules:
        return 0
    lab_values, events, given = _participant_data(conn, row["id"])
    start = date.fromisoformat(row["randomized_on"])
    findings = evaluate(safety, lab_values, events, given, start)
    opened = set(
        conn.execute(
            select(action_items.c.finding_key).where(action_items.c.participant_id == row["id"])
        ).scalars()
    )
    added = 0
    for finding in findings:
        if finding.key not in opened:
            audit.insert(conn, action_items, _values(finding, row["id"], today), who)
            opened.add(finding.key)
            added += 1
    return added


def _titles(conn: Connection) -> dict[str, str]:
    return {rule.id: rule_title(rule) for rule in load_study(conn).protocol.safety.rules}


def _shown(row: Mapping[Any, Any], titles: Mapping[str, str]) -> dict[str, Any]:
    # The rule in words beside its id: the pages show ``rule``; an item keeps the id it
    # was opened under, so one the study's protocol no longer lists shows that id.
    shown = {k: v for k, v in row.items() if k != "participant_id"}
    return {**shown, "rule": titles.get(row["rule_id"], row["rule_id"])}


def _listed(conn: Connection, *where: Any) -> list[dict[str, Any]]:
    rows = conn.execute(
        select(action_items, participants.c.subject)
        .join(participants, participants.c.id == action_items.c.participant_id)
        .where(*where)
        .order_by(action_items.c.due_on, action_items.c.id)
    ).mappings()
    titles = _titles(conn)
    return [_shown(r, titles) for r in rows]


def of_participant(
    conn: Connection, site: str, subject: str, *, only_open: bool = True
) -> list[dict[str, Any]]:
    """The participant's items (open ones only, by default), by due date."""
    row = participant(conn, site, subject)
    where = [action_items.c.participant_id == row["id"]]
    if only_open:
        where.append(action_items.c.status == OPEN)
    return _listed(conn, *where)


def of_site(conn: Connection, site: str, today: date) -> list[dict[str, Any]]:
    """The site's open items by due date, each with ``overdue`` (due before today)."""
    found = _listed(
        conn, participants.c.site_id == site_id(conn, site), action_items.c.status == OPEN
    )
    return [{**item, "overdue": item["due_on"] < today.isoformat()} for item in found]


def may_resolve(item: Mapping[str, Any], roles: Collection[str]) -> bool:
    """Whether a user holding ``roles`` at the item's site resolves ``item``: its owner."""
    return item["owner_role"] in roles


def resolved_of_site(conn: Connection, site: str) -> list[dict[str, Any]]:
    """The site's resolved items, newest resolution first, each with who resolved it and
    when (``resolved_by``, ``resolved_at_utc``): the audit trail's update that resolved it
    (the items table keeps only the resolution)."""
    found = _listed(
        conn, participants.c.site_id == site_id(conn, site), action_items.c.status == RESOLVED
    )
    resolving = {
        int(e.content["record"]): e
        for e in audit.updates_of(conn, action_items)
        if e.content["changes"].get("status") == [OPEN, RESOLVED]
    }
    shown = []
    for item in found:
        # resolve() audits its update in the same transaction; a row resolved by hand
        # has none, and shows so rather than a guess.
        entry = resolving.get(item["id"])
        who, at = (entry.who, entry.at_utc) if entry is not None else (None, "")
        shown.append({**item, "resolved_by": who, "resolved_at_utc": at})
    return sorted(shown, key=lambda i: (i["resolved_at_utc"], i["id"]), reverse=True)


def resolve(
    conn: Connection,
    site: str,
    item: int,
    resolution: str | None,
    who: str,
    roles: Collection[str],
) -> dict[str, Any]:
    """Resolve the open item ``item`` of ``site`` with ``resolution`` (required; audited),
    as ``who`` holding ``roles`` at ``site``: :class:`NotTheOwner` unless one is the
    item's owner role."""
    row = row_of_site(conn, action_items, item, site)
    if row is None:
        raise NotFound(f"item: got {item!r}, expected an action item of site {site}")
    if not may_resolve(row, roles):
        held = ", ".join(sorted(ROLE_NAMES[Role(r)] for r in roles)) or "no role"
        owner = ROLE_NAMES[Role(row["owner_role"])]
        raise NotTheOwner(
            f"item: got item {item} ({row['subject']}: {_shown(row, _titles(conn))['rule']}) "
            f"to resolve as {held} at site {site}, expected its owner, the {owner}, to "
            "resolve it (the protocol's rule names who acts on it)"
        )
    text = (resolution or "").strip()
    if not text or len(text) > MAX_NOTE:
        raise FieldError(
            "resolution",
            f"resolution: got {resolution!r}, expected what was done (1 to {MAX_NOTE} characters)",
        )
    if row["status"] != OPEN:
        raise StateConflict(
            "resolution",
            f"resolution: got {text!r} for item {item}, expected an open item (it is resolved "
            f"already: {row['resolution']!r})",
        )
    values = {"status": RESOLVED, "resolution": text}
    audit.update(conn, action_items, item, values, who, text)
    return {**_shown(row, _titles(conn)), **values}


__all__ = [
    "OPEN",
    "RESOLVED",
    "NotTheOwner",
    "may_resolve",
    "of_participant",
    "of_site",
    "on_saved",
    "open_findings",
    "resolve",
    "resolved_of_site",
]
