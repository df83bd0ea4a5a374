"""Randomization in the capture app: the study's list, participants, emergency unblinding.

The study allocates through the project's ledger (:class:`mmntrial.randomization.Ledger`)
in its own database, from the **slots file** of its list (slots and kit codes, no arm, no
seed), which ``mmntrial study list`` stores in ``allocation_lists`` (audited) after
checking it against the protocol: the same arms and ratios, the same method, and
factors the app can take from the recorded data (:data:`FACTOR_SOURCES`). The sealed
key (the list file with its seed) is never stored in the database: the server is given
it at start (``mmntrial serve --key``) and holds it in memory, for the unblinded
pharmacist's view and for emergency unblinding.

:func:`randomize` turns an eligible, enrolled screening entry with its age and sex
recorded into a participant:
subject id ``SITE-NNN``, the site, the randomization date (day 0, today in UTC) and the
kit code of the slot the ledger gives, in ONE write transaction with the ledger's entry
and the audit entry, so that an acknowledged randomization has all three and a refused
one none. The arm is never part of what it returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, func, select

from mmntrial.capture import audit, demographics
from mmntrial.capture.accounts import site_id
from mmntrial.capture.eligibility import NotFound, enrolled_entry, stored
from mmntrial.capture.tables import allocation_lists, emergency_unblindings, participants, sites
from mmntrial.errors import CaptureError, RandomizationError
from mmntrial.protocol.model import Protocol
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.lists import AllocationList
from mmntrial.randomization.slots import SlotList, from_document, slots_of, to_document

#: Where each stratification factor the app knows comes from in the recorded data.
FACTOR_SOURCES: dict[str, Callable[[str, Mapping[str, Any]], str]] = {
    "centre": lambda site, _findings: site,
    "site": lambda site, _findings: site,
    "anti_gm1": lambda _site, findings: (
        "positive" if findings["supportive"]["anti_gm1"] else "negative"
    ),
}


class AlreadyParticipant(CaptureError):
    """The screening entry was randomized already (409 on the web)."""


@dataclass(frozen=True)
class Participant:
    """A randomized patient as blinded roles see it: no arm."""

    subject: str
    site: str
    randomized_on: str
    kit: str
    screening_entry_id: int

    def shown(self) -> dict[str, Any]:
        """The participant as the API answers it."""
        return {
            "subject": self.subject,
            "site": self.site,
            "randomized_on": self.randomized_on,
            "day0": self.randomized_on,
            "kit": self.kit,
            "screening_entry_id": self.screening_entry_id,
        }


def check_list(slot_list: SlotList, protocol: Protocol, site_codes: list[str]) -> None:
    """Refuse a list that does not belong to this study's protocol and sites."""
    design = slot_list.design
    arms = tuple((a.name, a.ratio) for a in protocol.arms)
    given = tuple(zip(design.arms, design.ratios, strict=True))
    if given != arms:
        raise CaptureError(
            f"--slots: got a list for arms and ratios {list(given)}, "
            f"expected the protocol's {list(arms)}"
        )
    if design.method != protocol.randomization.method:
        raise CaptureError(
            f"--slots: got a {design.method.value} list, expected the protocol's method "
            f"{protocol.randomization.method.value}"
        )
    for factor in design.factors:
        if factor.name not in FACTOR_SOURCES:
            raise CaptureError(
                f"--slots: got the factor {factor.name!r}, expected factors the app takes "
                f"from the recorded data ({', '.join(FACTOR_SOURCES)})"
            )
        if factor.name in ("centre", "site"):
            missing = [s for s in site_codes if s not in factor.levels]
            if missing:
                raise CaptureError(
                    f"--slots: got {factor.name} levels {list(factor.levels)}, expected every "
                    f"site of the study ({', '.join(site_codes)}; missing {', '.join(missing)})"
                )


def store_list(conn: Connection, slot_list: SlotList, who: str) -> None:
    """Make ``slot_list`` the study's current list (audited; the ledger checks it at use)."""
    taken = conn.execute(
        select(allocation_lists.c.id).where(allocation_lists.c.commitment == slot_list.commitment)
    ).first()
    if taken is not None:
        raise CaptureError(
            f"--slots: got the list {slot_list.commitment[:12]}, which the study holds already"
        )
    text = json.dumps(to_document(slot_list), sort_keys=True)
    audit.insert(
        conn, allocation_lists, {"commitment": slot_list.commitment, "slots_json": text}, who
    )


def current_list(conn: Connection) -> SlotList:
    """The study's current list; a :class:`CaptureError` when none was loaded."""
    text = conn.execute(
        select(allocation_lists.c.slots_json).order_by(allocation_lists.c.id.desc()).limit(1)
    ).scalar()
    if text is None:
        raise CaptureError(
            "allocation list: got none, expected the study's slots file loaded with "
            "`mmntrial study list --db DB --slots LIST.slots.json`"
        )
    return from_document(json.loads(text), "the study's allocation list")


def check_key(conn: Connection, key: AllocationList) -> None:
    """Refuse a key (list file) that is not the sealed list of the study's current list."""
    current = current_list(conn)
    if slots_of(key).sha256 != current.sha256:
        raise CaptureError(
            f"--key: got the list {key.commitment[:12]}, expected the list file of the study's "
            f"current list {current.commitment[:12]} (its slots differ)"
        )


def open_ledger(database: Any, slot_list: SlotList, key: AllocationList | None) -> Ledger:
    """The ledger of the study's database for its current list (the key if it matches)."""
    if key is not None and slots_of(key).sha256 == slot_list.sha256:
        return Ledger.attach(database, key)
    return Ledger.attach(database, slot_list)


def strata_of(slot_list: SlotList, site: str, findings: Mapping[str, Any]) -> dict[str, str]:
    """The factor levels of a patient, taken from the recorded data."""
    return {f.name: FACTOR_SOURCES[f.name](site, findings) for f in slot_list.design.factors}


def randomize(
    conn: Connection, ledger: Ledger, site: str, entry: int, who: str, today: date
) -> Participant:
    """Randomize the eligible patient of screening entry ``entry`` (see the module doc)."""
    enrolled_entry(conn, site, entry)
    done = conn.execute(
        select(participants.c.subject).where(participants.c.screening_entry_id == entry)
    ).scalar()
    if done is not None:
        raise AlreadyParticipant(
            f"screening entry: got {entry}, randomized already as {done}; a randomization is "
            "never repeated"
        )
    assessment = stored(conn, entry)
    if assessment is None or not assessment["eligible"]:
        state = "no eligibility assessment" if assessment is None else "an ineligible patient"
        raise CaptureError(
            f"screening entry: got {entry} with {state}, expected a patient assessed eligible"
        )
    demographics.required(conn, entry)
    where = site_id(conn, site)
    count = conn.execute(
        select(func.count()).select_from(participants).where(participants.c.site_id == where)
    ).scalar_one()
    subject = f"{site}-{count + 1:03d}"
    strata = strata_of(ledger.slots, site, json.loads(assessment["findings_json"]))
    try:
        allocation = ledger.allocate_in(conn, subject, strata, by=who)
    except RandomizationError as error:
        raise CaptureError(f"randomization: {error}") from None
    made = Participant(subject, site, today.isoformat(), allocation.kit, entry)
    values = {
        "subject": subject,
        "site_id": where,
        "screening_entry_id": entry,
        "randomized_on": made.randomized_on,
        "kit": made.kit,
    }
    audit.insert(conn, participants, values, who)
    return made


def site_participants(conn: Connection, site: str) -> list[Participant]:
    """The participants of ``site``, in the order randomized."""
    rows = conn.execute(
        select(participants, sites.c.code)
        .join(sites, sites.c.id == participants.c.site_id)
        .where(sites.c.code == site)
        .order_by(participants.c.id)
    ).mappings()
    return [
        Participant(r["subject"], r["code"], r["randomized_on"], r["kit"], r["screening_entry_id"])
        for r in rows
    ]


def participant(conn: Connection, site: str, subject: str) -> dict[str, Any]:
    """The participant ``subject`` of ``site``; :class:`NotFound` otherwise."""
    row = (
        conn.execute(
            select(participants).where(
                participants.c.subject == subject, participants.c.site_id == site_id(conn, site)
            )
        )
        .mappings()
        .first()
    )
    if row is None:
        raise NotFound(f"subject: got {subject!r}, expected a participant of site {site}")
    return dict(row)


def unblind(
    conn: Connection, ledger: Ledger, site: str, subject: str, reason: str, who: str
) -> str:
    """Reveal the arm of ``subject`` and record it for good (ledger + audit entry)."""
    row = participant(conn, site, subject)
    why = audit.checked_reason(reason)
    try:
        revelation = ledger.reveal_in(conn, subject, reason=why, by=who)
    except RandomizationError as error:
        raise CaptureError(f"unblinding: {error}") from None
    values = {
        "participant_id": row["id"],
        "reason": why,
        "requested_by": who,
        "requested_at_utc": revelation.revealed_at_utc.isoformat(),
    }
    audit.insert(conn, emergency_unblindings, values, who)
    return revelation.arm
