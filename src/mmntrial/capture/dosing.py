"""A participant's records as the engine reads them, and the engine panel on a date.

:func:`patient_history` reads the infusion log and the assessments into a
:class:`~mmntrial.measures.history.PatientHistory` (the one owner of a patient's history),
in study days from the randomization date:

- each infusion logged (before day 0: the baseline) with its grams, weight, interval,
  product and route;
- each visit's assessments on the date the visit was recorded as done, by the series
  keys the engine reads: ``mrc_sum``, a scale's name (``gnds_upper``), and a sided
  measure per hand (a grip row with side ``left`` is ``grip_kpa:left``). An MRC sum left
  incomplete (no value) is not a value;
- the end of study: a participant withdrawn, lost to follow-up or dead is withdrawn on
  the disposition's last date (the engine recommends no dose from that day on).

The engine never reads a value on a guess. An assessment whose visit has no recorded
date has no study day: it is not read, and :class:`Records` lists it in ``unread``.
Two visits recorded on one day are one assessment; a measure with two different values
that day is contradictory, and neither is read (listed too). A criterion left without
a value is then what the engine holds for, never lowers on (:mod:`mmntrial.engine.panel`).

:func:`panel_of` computes the panel (:func:`mmntrial.engine.panel.engine_panel`) for an
infusion on ``today`` with the site's vials (:mod:`mmntrial.capture.site_vials`), or
says why the engine cannot decide yet (no baseline infusion, for instance).
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, select

from mmntrial.capture.allocation import participant
from mmntrial.capture.site_vials import vials_of
from mmntrial.capture.tables import assessments, dispositions, infusions
from mmntrial.capture.visits import recorded
from mmntrial.dataset.schema import STAYED_STATUSES
from mmntrial.engine.calendar import study_day
from mmntrial.engine.panel import Panel, engine_panel
from mmntrial.errors import MmntrialError
from mmntrial.measures.catalogue import series_key
from mmntrial.measures.history import Assessment, PatientHistory
from mmntrial.measures.ivig import Infusion
from mmntrial.measures.vials import SiteVials
from mmntrial.protocol.model import Protocol


@dataclass(frozen=True)
class Records:
    """A participant's history for the engine, day 0, and what could not be read (why)."""

    history: PatientHistory
    randomized_on: date
    unread: tuple[str, ...]


def _infusions(conn: Connection, participant_id: int, day0: date) -> tuple[Infusion, ...]:
    rows = conn.execute(
        select(infusions).where(infusions.c.participant_id == participant_id)
    ).mappings()
    return tuple(
        Infusion(
            study_day(day0, date.fromisoformat(r["given_on"])),
            float(r["dose_g"]),
            float(r["weight_kg"]),
            int(r["interval_days"]),
            r["product"],
            r["route"],
        )
        for r in rows
    )


def _assessments(
    conn: Connection, participant_id: int, day0: date
) -> tuple[tuple[Assessment, ...], list[str]]:
    dates = recorded(conn, participant_id)
    rows = conn.execute(
        select(assessments.c.visit, assessments.c.measure, assessments.c.side, assessments.c.value)
        .where(assessments.c.participant_id == participant_id)
        .order_by(assessments.c.id)
    ).all()
    unread: list[str] = []
    by_day: dict[int, dict[str, set[float]]] = defaultdict(lambda: defaultdict(set))
    undated: set[str] = set()
    for visit, measure, side, value in rows:
        if value is None or math.isnan(value):
            continue  # an incomplete MRC sum: nothing measured to read
        on = dates.get(visit)
        if on is None:
            undated.add(visit)
            continue
        # side "" is a measure not taken per hand (the engine's key is its name).
        by_day[study_day(day0, on)][series_key(measure, side)].add(float(value))
    unread += [
        f"Not read: the assessment of visit {visit} has no date: record the date the visit "
        "was done."
        for visit in sorted(undated)
    ]
    read = []
    for day in sorted(by_day):
        values: dict[str, float] = {}
        for measure, seen in sorted(by_day[day].items()):
            if len(seen) > 1:
                shown = " and ".join(f"{v:g}" for v in sorted(seen))
                unread.append(
                    f"Not read: {measure} on day {day} was recorded as {shown} at two visits "
                    "that day: correct one of them."
                )
                continue
            values[measure] = seen.pop()
        read.append(Assessment(day, values))
    return tuple(read), unread


def patient_history(conn: Connection, site: str, subject: str) -> Records:
    """The records of ``subject`` of ``site`` as the engine reads them (NotFound if none)."""
    row = participant(conn, site, subject)
    day0 = date.fromisoformat(row["randomized_on"])
    read, unread = _assessments(conn, row["id"], day0)
    left = conn.execute(
        select(dispositions.c.status, dispositions.c.last_on, dispositions.c.reason).where(
            dispositions.c.participant_id == row["id"]
        )
    ).first()
    # A participant who left the study (withdrawn, lost, died) is withdrawn for the
    # engine on their last day: it recommends no dose from then on. Completing the
    # study is not a withdrawal (docs/dataset.md's dispositions).
    history = PatientHistory(subject, _infusions(conn, row["id"], day0), read)
    if left is not None and left.status not in STAYED_STATUSES:
        history = replace(
            history,
            withdrawal_day=study_day(day0, date.fromisoformat(left.last_on)),
            withdrawal_reason=left.reason or "",
        )
    return Records(history, day0, tuple(unread))


@dataclass(frozen=True)
class PanelView:
    """The engine panel of a participant on a date, or why there is none.

    ``panel`` is None when the engine cannot decide (``problem`` says why); ``vials`` is
    the site's setting (None: not set, so no dispensing in vials).
    """

    subject: str
    today: date
    panel: Panel | None
    problem: str | None
    unread: tuple[str, ...]
    vials: SiteVials | None

    def lines(self) -> list[str]:
        """The panel in words, then what was not read and a missing vial setting."""
        lines = [self.problem] if self.panel is None and self.problem else []
        if self.panel is not None:
            lines += self.panel.lines()
        lines += list(self.unread)
        if self.vials is None:
            lines.append(
                "No vial sizes are set for this site: the dose is shown in exact grams "
                "(`mmntrial study vials`)."
            )
        return lines


def panel_of(
    conn: Connection,
    protocol: Protocol,
    site: str,
    subject: str,
    today: date,
    weight_kg: float | None = None,
) -> PanelView:
    """The engine panel of ``subject`` for an infusion on ``today`` (see the module doc)."""
    records = patient_history(conn, site, subject)
    vials = vials_of(conn, site)
    try:
        # The engine refuses what it cannot decide from (no baseline infusion, a date
        # before day 0): the panel says why, the page still answers.
        panel = engine_panel(
            protocol,
            records.history,
            records.randomized_on,
            today,
            weight_kg=weight_kg,
            vials=vials,
        )
    except MmntrialError as error:
        problem = f"The engine cannot decide yet: {error}."
        return PanelView(subject, today, None, problem, records.unread, vials)
    return PanelView(subject, today, panel, None, records.unread, vials)
