"""The IVIg infusion log of a participant: date, product, lot, grams, weight, interval.

One row per infusion given (table ``infusions``, revision 0005), before day 0 (the
baseline infusions the reduction is measured against) and after it, as the dataset's
``infusions`` table needs them (docs/dataset.md: study day, dose, weight, interval,
product, route). Each value is checked naming its field: the date a real one from ten
years before day 0 to today, at most one infusion a day; the grams by
:func:`mmntrial.measures.ivig.check_dose_g` (at most 3 g/kg of the weight); the interval
by :func:`~mmntrial.measures.ivig.check_interval_days`; the weight by the plausibility
verdict (:func:`mmntrial.measures.plausibility.judge`): impossible weights are refused,
unusual ones saved only once confirmed (``confirm_weight``). Every row is audited.

A logged infusion is corrected (:func:`correct`) with a reason: the fields typed replace
the saved ones, the whole infusion is checked again, and the audit trail keeps the old
and the new value of each field changed. Logging or correcting an infusion evaluates
the protocol's safety rules again (a haemoglobin fall after it opens an action item:
:mod:`mmntrial.capture.action_items`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import action_items, audit
from mmntrial.capture.allocation import participant
from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import infusions
from mmntrial.engine.calendar import study_day
from mmntrial.errors import EngineError, MeasureError
from mmntrial.measures.ivig import check_dose_g, check_interval_days
from mmntrial.measures.plausibility import Verdict, judge

ROUTES = ("IV", "SC")
#: Product names and lot numbers are short labels, not notes.
MAX_LABEL = 100


@dataclass(frozen=True)
class Infusion:
    """A checked infusion, as stored."""

    given_on: date
    product: str
    lot: str
    route: str
    dose_g: float
    weight_kg: float
    interval_days: int
    weight_note: str

    def values(self) -> dict[str, Any]:
        """The row's values (the date as YYYY-MM-DD)."""
        return {
            "given_on": self.given_on.isoformat(),
            "product": self.product,
            "lot": self.lot,
            "route": self.route,
            "dose_g": self.dose_g,
            "weight_kg": self.weight_kg,
            "interval_days": self.interval_days,
            "weight_note": self.weight_note,
        }


def _label(typed: Mapping[str, str], field: str) -> str:
    text = typed.get(field, "").strip()
    if not text or len(text) > MAX_LABEL or not text.isprintable():
        raise FieldError(
            field,
            f"{field}: got {typed.get(field)!r}, expected 1 to {MAX_LABEL} printable characters",
        )
    return text


def _number(typed: Mapping[str, str], field: str, expected: str) -> float:
    text = typed.get(field, "").strip()
    try:
        return float(text)
    except ValueError:
        raise FieldError(field, f"{field}: got {typed.get(field)!r}, expected {expected}") from None


def _given_on(typed: Mapping[str, str], day0: date, today: date) -> date:
    text = typed.get("given_on", "").strip()
    try:
        on = date.fromisoformat(text)
    except ValueError:
        raise FieldError(
            "given_on", f"given_on: got {typed.get('given_on')!r}, expected a date as YYYY-MM-DD"
        ) from None
    if on > today:
        raise FieldError(
            "given_on",
            f"given_on: got {on.isoformat()}, expected a date on or before today "
            f"({today.isoformat()})",
        )
    try:
        study_day(day0, on)
    except EngineError as error:
        raise FieldError("given_on", f"given_on: {error}") from None
    return on


def checked_infusion(typed: Mapping[str, str], day0: date, today: date) -> Infusion:
    """The typed infusion checked, or a FieldError (or :class:`Unconfirmed`) naming the field."""
    given_on = _given_on(typed, day0, today)
    product = _label(typed, "product")
    lot = _label(typed, "lot")
    route = typed.get("route", "IV").strip() or "IV"
    if route not in ROUTES:
        raise FieldError("route", f"route: got {route!r}, expected {' or '.join(ROUTES)}")
    weight = judge(
        "weight_kg",
        "weight_kg",
        _number(typed, "weight_kg", "a weight in kg"),
        "kg",
        confirmed=typed.get("confirm_weight") in ("on", "true", "1"),
    )
    if weight.verdict is Verdict.REFUSED or weight.value is None:
        raise FieldError("weight_kg", weight.message)
    if weight.verdict is Verdict.NEEDS_CONFIRMATION:
        raise Unconfirmed([weight])
    dose = _number(typed, "dose_g", "grams given")
    interval = _number(typed, "interval_days", "whole days until the next infusion")
    if not interval.is_integer():
        raise FieldError(
            "interval_days",
            f"interval_days: got {typed.get('interval_days')!r}, expected whole days until "
            "the next infusion",
        )
    try:
        checked_dose = check_dose_g(dose, weight.value)
        checked_interval = check_interval_days(int(interval))
    except MeasureError as error:
        field = str(error).split(":", 1)[0]
        raise FieldError(field, str(error)) from None
    return Infusion(
        given_on, product, lot, route, checked_dose, weight.value, checked_interval, weight.message
    )


def record(
    conn: Connection, site: str, subject: str, typed: Mapping[str, str], who: str, today: date
) -> Infusion:
    """Check and add an infusion to the log of ``subject``; one a day at most."""
    row = participant(conn, site, subject)
    infusion = checked_infusion(typed, date.fromisoformat(row["randomized_on"]), today)
    _refuse_second_that_day(conn, row["id"], infusion.given_on, 0)
    audit.insert(conn, infusions, {"participant_id": row["id"], **infusion.values()}, who)
    # A lab fall soon after an infusion is a safety finding: the rules look again.
    action_items.open_findings(conn, site, subject, who, today)
    return infusion


def _refuse_second_that_day(conn: Connection, participant_id: int, on: date, own: int) -> None:
    taken = conn.execute(
        select(infusions.c.id).where(
            infusions.c.participant_id == participant_id,
            infusions.c.given_on == on.isoformat(),
            infusions.c.id != own,
        )
    ).first()
    if taken is not None:
        raise FieldError(
            "given_on",
            f"given_on: got {on.isoformat()}, expected a date without an "
            "infusion logged already (one infusion a day)",
        )


#: The typed fields of an infusion, as the form and the API name them.
FIELDS = ("given_on", "product", "lot", "route", "dose_g", "weight_kg", "interval_days")


def correct(
    conn: Connection,
    site: str,
    subject: str,
    given_on: str,
    typed: Mapping[str, str],
    who: str,
    today: date,
) -> Infusion:
    """Correct the infusion of ``subject`` logged on ``given_on`` with ``typed["reason"]``.

    Fields not typed keep their saved values; a weight confirmed when it was logged
    stays confirmed unless it is typed again.
    """
    row = participant(conn, site, subject)
    saved = (
        conn.execute(
            select(infusions).where(
                infusions.c.participant_id == row["id"], infusions.c.given_on == given_on
            )
        )
        .mappings()
        .first()
    )
    if saved is None:
        raise NotFound(
            f"given_on: got {given_on!r}, expected the date of an infusion logged for {subject}"
        )
    merged = {field: str(saved[field]) for field in FIELDS}
    if saved["weight_note"] and "weight_kg" not in typed:
        merged["confirm_weight"] = "true"
    merged.update(typed)
    infusion = checked_infusion(merged, date.fromisoformat(row["randomized_on"]), today)
    _refuse_second_that_day(conn, row["id"], infusion.given_on, saved["id"])
    audit.update(conn, infusions, saved["id"], infusion.values(), who, typed.get("reason"))
    action_items.open_findings(conn, site, subject, who, today)
    return infusion


def log(conn: Connection, site: str, subject: str) -> list[dict[str, Any]]:
    """The infusions of ``subject``, by date, each with its study day."""
    row = participant(conn, site, subject)
    day0 = date.fromisoformat(row["randomized_on"])
    rows = conn.execute(
        select(infusions)
        .where(infusions.c.participant_id == row["id"])
        .order_by(infusions.c.given_on)
    ).mappings()
    return [
        {
            **{k: v for k, v in r.items() if k not in ("id", "participant_id")},
            "day": study_day(day0, date.fromisoformat(r["given_on"])),
        }
        for r in rows
    ]
