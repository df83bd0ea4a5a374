"""The investigator's decision on the engine panel: accept its dose, or override it.

For a participant and the date of an infusion the investigator either **accepts** the
panel's dose (the protocol's dose: the site's vial amount when its vials are set, else
the engine's exact grams) or **overrides** it with another dose (and interval) and a
reason: a protocol deviation, built by :func:`mmntrial.engine.deviation.override`, the
one owner of that rule (no reason, or the protocol's own dose, is refused there).

Both are stored in ``dose_decisions`` (revision 0006): the date decided for, the
engine's action, its exact dose, the protocol's dose and interval, the dose and
interval ordered, ``accepted`` or ``deviation``, the reason, who and when (UTC), once
per participant and date, audited. The infusion itself is logged afterwards in the
infusion log (:mod:`mmntrial.capture.infusions`), which the page pre-fills from the
decision: what was ordered and what was given are two records.

An accept is refused when there is nothing to accept: the engine recommends no dose
(withdrawn), or no whole number of the site's vials is within the tolerance (the
investigator decides, by an override).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.allocation import participant
from mmntrial.capture.dosing import PanelView
from mmntrial.capture.screening import FieldError, StateConflict
from mmntrial.capture.tables import dose_decisions
from mmntrial.engine.deviation import override
from mmntrial.errors import EngineError

ACCEPTED, DEVIATION = "accepted", "deviation"
OUTCOMES = {"accept": ACCEPTED, "override": DEVIATION}


@dataclass(frozen=True)
class Decision:
    """A decision as stored (see the module docstring)."""

    decided_for: date
    action: str
    engine_dose_g: float | None
    protocol_dose_g: float | None
    protocol_interval_days: float | None
    ordered_dose_g: float
    ordered_interval_days: int
    outcome: str
    reason: str | None
    decided_by: str
    decided_at_utc: str

    def values(self) -> dict[str, Any]:
        """The row's values (the date as YYYY-MM-DD)."""
        return {
            "decided_for": self.decided_for.isoformat(),
            "action": self.action,
            "engine_dose_g": self.engine_dose_g,
            "protocol_dose_g": self.protocol_dose_g,
            "protocol_interval_days": self.protocol_interval_days,
            "ordered_dose_g": self.ordered_dose_g,
            "ordered_interval_days": self.ordered_interval_days,
            "outcome": self.outcome,
            "reason": self.reason,
            "decided_by": self.decided_by,
            "decided_at_utc": self.decided_at_utc,
        }


def _number(typed: Mapping[str, str], field: str, expected: str) -> float:
    text = typed.get(field, "").strip()
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise FieldError(field, f"{field}: got {typed.get(field)!r}, expected {expected}")
    return value


def _accepted(view: PanelView) -> tuple[float, int]:
    """The panel's dose and interval, as accepted; a FieldError when there is none."""
    panel = view.panel
    assert panel is not None
    record = panel.decision
    if record.dose_g is None or record.interval_days is None:
        raise FieldError(
            "outcome",
            "outcome: got 'accept', expected 'override': the engine recommends no dose to accept",
        )
    dispensed = panel.dispensed
    if dispensed is None:
        return round(record.dose_g, 2), round(record.interval_days)
    if dispensed.amount_g is None:
        raise FieldError(
            "outcome",
            f"outcome: got 'accept', expected 'override': no whole number of the site's vials "
            f"is within {dispensed.tolerance_percent:g}% of {record.dose_g:g} g; order a dose "
            "with a reason",
        )
    return dispensed.amount_g, round(record.interval_days)


def decide(
    conn: Connection,
    view: PanelView,
    site: str,
    typed: Mapping[str, str],
    who: str,
    at: datetime | None = None,
) -> Decision:
    """Record the decision ``typed`` (``outcome``: accept or override; for an override
    ``given_dose_g``, ``reason`` and optionally ``given_interval_days``) on ``view``'s
    panel. Refusals are :class:`FieldError` naming the field; a decision the engine
    cannot make yet, or one already made for the date, is a :class:`StateConflict`."""
    row = participant(conn, site, view.subject)
    if view.panel is None:
        raise StateConflict("outcome", f"outcome: {view.problem}")
    panel = view.panel
    outcome = OUTCOMES.get(typed.get("outcome", ""))
    if outcome is None:
        raise FieldError(
            "outcome", f"outcome: got {typed.get('outcome')!r}, expected accept or override"
        )
    taken = conn.execute(
        select(dose_decisions.c.id).where(
            dose_decisions.c.participant_id == row["id"],
            dose_decisions.c.decided_for == view.today.isoformat(),
        )
    ).first()
    if taken is not None:
        raise StateConflict(
            "outcome",
            f"outcome: the dose of {view.today.isoformat()} was decided already (one decision "
            "per participant and date)",
        )
    when = at or datetime.now(UTC)
    record = panel.decision
    reason: str | None = None
    if outcome == ACCEPTED:
        dose, interval = _accepted(view)
        protocol_dose: float | None = dose
    else:
        given_interval = None
        if typed.get("given_interval_days", "").strip():
            number = _number(typed, "given_interval_days", "whole days to the next infusion")
            given_interval = int(number) if number.is_integer() else number
        try:
            deviation = override(
                panel,
                given_dose_g=_number(typed, "given_dose_g", "the grams ordered"),
                reason=typed.get("reason", ""),
                by=who,
                at=when,
                given_interval_days=given_interval,  # type: ignore[arg-type]
            )
        except EngineError as error:
            field = str(error).split(":", 1)[0]
            raise FieldError(field, str(error)) from None
        dose, interval = deviation.given_dose_g, deviation.given_interval_days
        protocol_dose, reason = deviation.protocol_dose_g, deviation.reason
    decision = Decision(
        decided_for=view.today,
        action=record.action.label,
        engine_dose_g=record.dose_g,
        protocol_dose_g=protocol_dose,
        protocol_interval_days=record.interval_days,
        ordered_dose_g=dose,
        ordered_interval_days=interval,
        outcome=outcome,
        reason=reason,
        decided_by=who,
        decided_at_utc=when.isoformat(timespec="seconds"),
    )
    audit.insert(conn, dose_decisions, {"participant_id": row["id"], **decision.values()}, who)
    return decision


def decisions_of(conn: Connection, participant_id: int) -> list[dict[str, Any]]:
    """The decisions recorded for a participant, by date."""
    rows = conn.execute(
        select(dose_decisions)
        .where(dose_decisions.c.participant_id == participant_id)
        .order_by(dose_decisions.c.decided_for)
    ).mappings()
    return [{k: v for k, v in r.items() if k not in ("id", "participant_id")} for r in rows]
