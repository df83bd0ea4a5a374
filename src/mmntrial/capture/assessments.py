"""The assessment form of a visit: MRC grades and the protocol's other scalar scales.

A visit's form holds what the protocol's schedule measures at it
(``schedule.visits[].measures``): the MRC grades per muscle group and side of
``measures.mrc_muscles`` (read by :func:`mmntrial.measures.mrc_form.mrc_form`: the sum,
the grades missing, a message per refused grade) and one value per other scalar measure
(GNDS, anti-GM1 titre...). Grip has its own form (three trials per hand, instrument
and unit) and is not part of this one.

Every scalar value gets a plausibility verdict (:func:`mmntrial.measures.plausibility.judge`):
a refused value is never saved; a value that needs confirmation is shown back with a
confirm box (``confirm.<measure>``) and saved only once confirmed, with the message
kept in the row. One row per participant, visit and measure (table ``assessments``,
revision 0005), audited; changing a saved value needs a reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from mmntrial.capture import audit
from mmntrial.capture.allocation import participant
from mmntrial.capture.repeats import repeat_visit
from mmntrial.capture.screening import FieldError
from mmntrial.capture.tables import assessments
from mmntrial.errors import CaptureError
from mmntrial.measures.catalogue import measure_spec
from mmntrial.measures.mrc import MuscleSet, protocol_muscle_set
from mmntrial.measures.mrc_form import MrcForm, mrc_form
from mmntrial.measures.plausibility import Plausibility, Verdict, judge
from mmntrial.protocol.model import Protocol, Visit

MRC = "mrc_sum"
#: Measures with a form of their own, not entered as one value on this one.
OWN_FORMS = frozenset({MRC, "grip_kpa"})


class Unconfirmed(CaptureError):
    """Values that are possible but unusual, awaiting the user's confirmation (422)."""

    def __init__(self, verdicts: list[Plausibility]) -> None:
        super().__init__("; ".join(v.message for v in verdicts))
        self.field = verdicts[0].field
        self.verdicts = verdicts


@dataclass(frozen=True)
class VisitForm:
    """What a visit's form asks for: its MRC muscle set (None if no MRC) and scalars."""

    visit: Visit
    muscles: MuscleSet | None
    scalars: tuple[str, ...]

    def unit(self, measure: str) -> str:
        """The unit a scalar is typed in (the catalogue's)."""
        return measure_spec(measure).unit


def visit_form(protocol: Protocol, name: str) -> VisitForm:
    """The form of visit ``name`` of the schedule, or of a confirmation visit
    (:mod:`mmntrial.capture.repeats`); a FieldError naming ``visit`` if none."""
    by_name = {v.name: v for v in protocol.schedule.visits}
    visit = by_name.get(name) or repeat_visit(protocol, name)
    if visit is None:
        raise FieldError(
            "visit",
            f"visit: got {name!r}, expected a visit of the schedule: {', '.join(by_name)} "
            "(or a confirmation visit, repeat-YYYY-MM-DD)",
        )
    muscles = (
        protocol_muscle_set(protocol.name, protocol.measures.mrc_muscles)
        if MRC in visit.measures
        else None
    )
    scalars = tuple(m for m in visit.measures if m not in OWN_FORMS)
    return VisitForm(visit, muscles, scalars)


def read_mrc(form: VisitForm, protocol: Protocol, typed: Mapping[str, str]) -> MrcForm | None:
    """The MRC part of the typed form (fields ``mrc.<side>.<muscle>``), or None if none."""
    if form.muscles is None:
        return None
    entries: dict[str, dict[str, str]] = {"left": {}, "right": {}}
    for side, by_muscle in entries.items():
        for muscle in form.muscles.muscles:
            by_muscle[muscle] = typed.get(f"mrc.{side}.{muscle}", "")
    return mrc_form(
        entries,
        form.muscles,
        quarter_steps=protocol.measures.mrc_quarter_steps,
        missing=protocol.measures.mrc_missing,
    )


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # judge refuses it, naming the field


def judged(form: VisitForm, typed: Mapping[str, str]) -> list[Plausibility]:
    """The verdict on each scalar typed (``value.<measure>``), confirmations applied."""
    verdicts = []
    for measure in form.scalars:
        field = f"value.{measure}"
        text = typed.get(field, "").strip()
        if not text:
            continue  # not assessed at this visit: nothing to save
        confirmed = typed.get(f"confirm.{measure}") in ("on", "true", "1")
        verdicts.append(
            judge(field, measure, _number(text), form.unit(measure), confirmed=confirmed)
        )
    return verdicts


def checked(
    protocol: Protocol, name: str, typed: Mapping[str, str]
) -> tuple[MrcForm | None, list[Plausibility]]:
    """The form's values checked: refused grades or values raise a FieldError naming the
    first field (the message lists all), unconfirmed unusual values :class:`Unconfirmed`."""
    form = visit_form(protocol, name)
    mrc = read_mrc(form, protocol, typed)
    verdicts = judged(form, typed)
    problems = dict(mrc.problems) if mrc is not None else {}
    problems.update({v.field: v.message for v in verdicts if v.verdict is Verdict.REFUSED})
    if problems:
        raise FieldError(next(iter(problems)), "; ".join(problems.values()))
    waiting = [v for v in verdicts if v.verdict is Verdict.NEEDS_CONFIRMATION]
    if waiting:
        raise Unconfirmed(waiting)
    return mrc, verdicts


def _rows(mrc: MrcForm | None, verdicts: list[Plausibility]) -> dict[str, dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    # No grade typed at all: the MRC was not assessed now, which saves nothing.
    if mrc is not None and any(mrc.grades.values()):
        detail = {
            "grades": {side: dict(g) for side, g in mrc.grades.items()},
            "missing": [list(pair) for pair in mrc.missing],
        }
        rows[MRC] = {"value": mrc.total, "detail_json": json.dumps(detail, sort_keys=True)}
    for verdict in verdicts:
        measure = verdict.field.removeprefix("value.")
        detail = {"plausibility": verdict.message} if verdict.message else {}
        rows[measure] = {"value": verdict.value, "detail_json": json.dumps(detail)}
    return rows


def record(
    conn: Connection,
    protocol: Protocol,
    site: str,
    subject: str,
    name: str,
    typed: Mapping[str, str],
    who: str,
) -> dict[str, dict[str, Any]]:
    """Check and save the form of visit ``name``; return the rows saved, by measure.

    A measure saved before is changed only with ``typed["reason"]``.
    """
    row = participant(conn, site, subject)
    mrc, verdicts = checked(protocol, name, typed)
    saved_rows = _rows(mrc, verdicts)
    for measure, values in saved_rows.items():
        saved = (
            conn.execute(
                select(assessments.c.id).where(
                    assessments.c.participant_id == row["id"],
                    assessments.c.visit == name,
                    assessments.c.measure == measure,
                    assessments.c.side == "",
                )
            )
            .scalars()
            .first()
        )
        if saved is None:
            keys = {"participant_id": row["id"], "visit": name, "measure": measure}
            audit.insert(conn, assessments, {**keys, **values}, who)
        else:
            audit.update(conn, assessments, saved, values, who, typed.get("reason"))
    return saved_rows


def stored(conn: Connection, participant_id: int, name: str) -> dict[str, dict[str, Any]]:
    """The values saved for a participant's visit, by measure (grip's hands excluded:
    :mod:`mmntrial.capture.grip` reads those)."""
    rows = conn.execute(
        select(assessments).where(
            assessments.c.participant_id == participant_id,
            assessments.c.visit == name,
            assessments.c.side == "",
        )
    ).mappings()
    return {
        r["measure"]: {"value": r["value"], "detail": json.loads(r["detail_json"])} for r in rows
    }
