"""The grip form of a visit: three trials per hand on one named instrument, the best kept.

The instrument (``instrument``: ``martin_vigorimeter`` or ``jamar_dynamometer``) fixes
the catalogue measure (``grip_kpa`` or ``grip_jamar_kg``) and must be the one the
protocol's schedule measures at the visit: readings of two instruments never meet in one
comparison (DOMAIN.md section 3). The unit the dial was read in (``unit``) is typed
explicitly and converted only where the catalogue allows it (a Jamar dial in lb). The
trials (``grip.<side>.trial<n>``, n 1 to 3) are read by
:func:`mmntrial.measures.grip_form.grip_form`: each gets a plausibility verdict; a
refused trial answers 422 naming it, an unusual one waits for its confirm box
(``confirm.grip.<side>.trial<n>``).

Each hand with a trial is one row of ``assessments`` (revision 0007): the measure, the
side, the best trial in the catalogue's unit as the value the engine reads, and the
trials, the unit typed and any confirmed message in the detail. A hand saved before is
changed only with ``typed["reason"]``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.allocation import participant
from mmntrial.capture.assessments import Unconfirmed, visit_form
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import assessments
from mmntrial.errors import MeasureError
from mmntrial.measures.catalogue import convert_value
from mmntrial.measures.grip import MAX_TRIALS, GripInstrument
from mmntrial.measures.grip_form import GripForm, grip_form
from mmntrial.measures.plausibility import Verdict
from mmntrial.protocol.model import Protocol

SIDES = ("left", "right")
GRIP_MEASURES = frozenset(i.measure for i in GripInstrument)
CONFIRMED = ("on", "true", "1")


def trial_field(side: str, n: int) -> str:
    """The form field of trial ``n`` (from 1) of a hand."""
    return f"grip.{side}.trial{n}"


def _instrument(protocol: Protocol, visit: str, typed: Mapping[str, str]) -> GripInstrument:
    measured = [m for m in visit_form(protocol, visit).visit.measures if m in GRIP_MEASURES]
    if not measured:
        raise FieldError(
            "visit", f"visit: got {visit!r}, expected a visit whose schedule measures grip"
        )
    expected = " or ".join(repr(i.value) for i in GripInstrument if i.measure in measured)
    text = typed.get("instrument", "").strip()
    try:
        instrument = GripInstrument(text)
    except ValueError:
        instrument = None
    if instrument is None or instrument.measure not in measured:
        raise FieldError(
            "instrument",
            f"instrument: got {typed.get('instrument')!r}, expected {expected} (visit "
            f"{visit} measures {', '.join(measured)}; one instrument per measure)",
        )
    return instrument


def _unit(instrument: GripInstrument, typed: Mapping[str, str]) -> str:
    unit = typed.get("unit", "").strip()
    try:
        convert_value(instrument.measure, 0.0, unit)
    except MeasureError as error:
        raise FieldError(
            "unit",
            f"unit: got {typed.get('unit')!r}, expected the unit the {instrument.value} was "
            f"read in ({error})",
        ) from None
    return unit


def _trials(typed: Mapping[str, str], side: str) -> list[float | None]:
    values: list[float | None] = []
    for n in range(1, MAX_TRIALS + 1):
        field = trial_field(side, n)
        text = typed.get(field, "").strip()
        if not text:
            values.append(None)
            continue
        try:
            values.append(float(text))
        except ValueError:
            raise FieldError(
                field, f"{field}: got {typed.get(field)!r}, expected a number"
            ) from None
    return values


def checked(protocol: Protocol, visit: str, typed: Mapping[str, str]) -> GripForm:
    """The typed grip form checked: a FieldError naming the first bad field (the message
    lists every refused trial), :class:`Unconfirmed` for unusual trials not confirmed."""
    instrument = _instrument(protocol, visit, typed)
    unit = _unit(instrument, typed)
    left, right = _trials(typed, "left"), _trials(typed, "right")
    if all(v is None for v in (*left, *right)):
        first = trial_field("left", 1)
        raise FieldError(
            first, f"{first}: got no trial, expected 1 to {MAX_TRIALS} trials on a hand"
        )
    confirmed = {
        trial_field(side, n)
        for side in SIDES
        for n in range(1, MAX_TRIALS + 1)
        if typed.get(f"confirm.{trial_field(side, n)}") in CONFIRMED
    }
    form = grip_form(instrument, unit, left=left, right=right, confirmed=confirmed)
    refused = [v for v in form.verdicts if v.verdict is Verdict.REFUSED]
    if refused:
        raise FieldError(refused[0].field, "; ".join(v.message for v in refused))
    waiting = [v for v in form.verdicts if v.verdict is Verdict.NEEDS_CONFIRMATION]
    if waiting:
        raise Unconfirmed(waiting)
    return form


def _saved(conn: Connection, participant_id: int, visit: str) -> dict[tuple[str, str], int]:
    rows = conn.execute(
        select(assessments.c.id, assessments.c.measure, assessments.c.side).where(
            assessments.c.participant_id == participant_id,
            assessments.c.visit == visit,
            assessments.c.measure.in_(GRIP_MEASURES),
        )
    )
    return {(r.measure, r.side): r.id for r in rows}


def record(
    conn: Connection,
    protocol: Protocol,
    site: str,
    subject: str,
    visit: str,
    typed: Mapping[str, str],
    who: str,
) -> dict[str, float]:
    """Check and save the grip form of ``visit``; return the best trial saved per hand."""
    row = participant(conn, site, subject)
    form = checked(protocol, visit, typed)
    measure = form.instrument.measure
    saved = _saved(conn, row["id"], visit)
    best: dict[str, float] = {}
    for side in SIDES:
        value = form.best(side)
        if value is None:
            continue  # this hand was not tested at this visit
        trials = form.trials[side]
        detail = {
            "instrument": form.instrument.value,
            "unit_typed": typed.get("unit", "").strip(),
            "trials": [t.value for t in trials],
            "plausibility": [t.message for t in trials if t.message],
        }
        values = {"value": value, "detail_json": json.dumps(detail, sort_keys=True)}
        record_id = saved.get((measure, side))
        if record_id is None:
            keys = {"participant_id": row["id"], "visit": visit, "measure": measure, "side": side}
            audit.insert(conn, assessments, {**keys, **values}, who)
        else:
            audit.update(conn, assessments, record_id, values, who, typed.get("reason"))
        best[side] = value
    return best


def stored(conn: Connection, participant_id: int, visit: str) -> dict[str, dict[str, Any]]:
    """The hands saved for a visit: side to ``{"measure", "value", "detail"}``."""
    rows = conn.execute(
        select(assessments).where(
            assessments.c.participant_id == participant_id,
            assessments.c.visit == visit,
            assessments.c.measure.in_(GRIP_MEASURES),
        )
    ).mappings()
    return {
        r["side"]: {
            "measure": r["measure"],
            "value": r["value"],
            "detail": json.loads(r["detail_json"]),
        }
        for r in rows
    }
