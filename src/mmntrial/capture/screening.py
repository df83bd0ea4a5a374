"""The screening log: every patient assessed at a site, excluded or enrolled.

A patient is excluded with a coded reason (an id of the protocol's exclusion checklist)
or enrolled with the version and date of the consent form signed. CONSORT's first
counts come from this log. Entries are audited like every capture record.

:func:`checked_screening` validates what a form or the API sends and raises a
:class:`FieldError` naming the field, the value received and what was expected.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.accounts import site_id
from mmntrial.capture.tables import screening_log
from mmntrial.errors import CaptureError
from mmntrial.identifiers import checked_identifier

#: Screening dates before this are typing errors (the EFNS/PNS criteria date from 2010).
EARLIEST = date(2010, 1, 1)
MAX_VERSION = 64


class Outcome(StrEnum):
    """What screening concluded."""

    EXCLUDED = "excluded"
    ENROLLED = "enrolled"


class FieldError(CaptureError):
    """One field's value refused: ``field`` names it for the form that shows the message."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class StateConflict(FieldError):
    """A well-formed request the record's state refuses (409), e.g. a dose decided twice
    or asked for before the engine can decide: no value typed would make it pass."""


@dataclass(frozen=True)
class Screening:
    """One validated screening: enrolled ones carry consent, excluded ones a reason code."""

    screening_id: str
    screened_on: date
    outcome: Outcome
    exclusion_code: str | None = None
    consent_version: str | None = None
    consent_date: date | None = None

    def values(self) -> dict[str, Any]:
        """The row's values (dates as ISO text)."""
        return {
            "screening_id": self.screening_id,
            "screened_on": self.screened_on.isoformat(),
            "outcome": self.outcome.value,
            "exclusion_code": self.exclusion_code,
            "consent_version": self.consent_version,
            "consent_date": self.consent_date.isoformat() if self.consent_date else None,
        }


def _refuse(field: str, value: object, expected: str) -> FieldError:
    return FieldError(field, f"{field}: got {value!r}, expected {expected}")


def _date(field: str, value: object, today: date) -> date:
    expected = f"a date YYYY-MM-DD from {EARLIEST.isoformat()} to today ({today.isoformat()})"
    if not isinstance(value, str):
        raise _refuse(field, value, expected)
    try:
        parsed = date.fromisoformat(value.strip())
    except ValueError:
        raise _refuse(field, value, expected) from None
    if not EARLIEST <= parsed <= today:
        raise _refuse(field, value, expected)
    return parsed


def _text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    return value.strip() if isinstance(value, str) else ""


def checked_screening(
    data: Mapping[str, Any], exclusions: Mapping[str, str], today: date
) -> Screening:
    """A :class:`Screening` from submitted values; :class:`FieldError` for the first bad one."""
    try:
        screening_id = checked_identifier("screening_id", data.get("screening_id"), CaptureError)
    except CaptureError as error:
        raise FieldError("screening_id", str(error)) from None
    screened_on = _date("screened_on", data.get("screened_on"), today)
    raw = data.get("outcome")
    if raw not in {o.value for o in Outcome}:
        raise _refuse("outcome", raw, "excluded or enrolled")
    outcome = Outcome(str(raw))
    if outcome is Outcome.EXCLUDED:
        code = _text(data, "exclusion_code")
        if code not in exclusions:
            raise _refuse(
                "exclusion_code",
                data.get("exclusion_code"),
                f"one of the protocol's exclusions ({', '.join(exclusions)})",
            )
        for unused in ("consent_version", "consent_date"):
            if _text(data, unused):
                raise _refuse(unused, data.get(unused), "none for an excluded patient")
        return Screening(screening_id, screened_on, outcome, exclusion_code=code)
    if _text(data, "exclusion_code"):
        raise _refuse("exclusion_code", data.get("exclusion_code"), "none for an enrolled patient")
    version = _text(data, "consent_version")
    if not version or len(version) > MAX_VERSION or not version.isprintable():
        raise _refuse(
            "consent_version",
            data.get("consent_version"),
            f"the consent form's version as printed on it (1 to {MAX_VERSION} characters)",
        )
    consent = _date("consent_date", data.get("consent_date"), today)
    if consent > screened_on:
        raise _refuse(
            "consent_date",
            data.get("consent_date"),
            f"a date on or before the screening date ({screened_on.isoformat()}): consent "
            "comes before enrolment",
        )
    return Screening(screening_id, screened_on, outcome, None, version, consent)


def record(conn: Connection, site: str, screening: Screening, who: str) -> int:
    """Add a screening to the site's log (audited); refuses a screening id used already."""
    where = site_id(conn, site)
    taken = conn.execute(
        select(screening_log.c.id).where(
            screening_log.c.site_id == where,
            screening_log.c.screening_id == screening.screening_id,
        )
    ).first()
    if taken is not None:
        raise _refuse(
            "screening_id", screening.screening_id, f"a screening id not used at site {site} yet"
        )
    return audit.insert(conn, screening_log, {"site_id": where, **screening.values()}, who)


def site_log(conn: Connection, site: str) -> list[dict[str, Any]]:
    """The screening log of ``site``, in the order entered."""
    where = site_id(conn, site)
    rows = conn.execute(
        select(screening_log).where(screening_log.c.site_id == where).order_by(screening_log.c.id)
    ).mappings()
    return [{k: v for k, v in row.items() if k != "site_id"} for row in rows]
