"""The study as a dataset (docs/dataset.md): what ``mmntrial study export`` writes.

The export is **unblinded**: each subject's arm comes from the ledger, read with the
sealed key (the list file). It is a command-line act of the data manager at database
lock (or of the unblinded statistician for an interim look). In the web app, where
blinded roles work, only :mod:`mmntrial.capture.dsmb_web` uses it, for the DSMB
statistician's reports and no one else's.

Each table of the dataset has one function here (:data:`TABLE_EXPORTS`), reading the
capture tables that hold it, so a table the app records later is added in one place:

- ``screening``: the screening log; an enrolled patient who was randomized is
  ``randomized``, an excluded one ``excluded`` with ``exclusion: CODE``; an enrolled
  patient assessed ineligible is ``excluded`` with the reason ``ineligible``; one not
  randomized yet (pending) is left out until randomized or found ineligible. A
  randomized patient's screening day counts from their day 0, any other's from the
  cut-off date (the export's date), so it is never after day 0.
- ``subjects``: participants, with age and sex (``demographics``), the EFNS/PNS
  category and anti-GM1 status (the eligibility findings: the supportive criterion
  ``anti_gm1``, so positive or negative), weight, dose and interval of the last
  infusion before day 0 and the protocol's baseline intensity from the infusion log.
- ``infusions``: the infusion log; ``action`` and ``level`` of each infusion from day
  0 are the engine's, from its replay of the captured records (below); a baseline
  infusion has none, nor one given after a withdrawal (the engine recommends none).
- ``assessments``: the visit forms, each on the day its visit was recorded as done
  (every repeat visit, ``repeat-YYYY-MM-DD``, is the dataset's ``repeat``); grip is one
  row per hand with its ``side``, other measures have none; an MRC sum with grades
  missing has no value and is left out.
- ``adverse_events``, ``labs``, ``conmeds``: their tables, dates as study days.
- ``dispositions``: the participant's disposition record (status, last date on study,
  reason); without one, from the calendar: ``completed`` when the schedule's last visit
  was done, else ``ongoing``, on the last day with a record (visit or infusion, day 0
  at least).
- ``deteriorations``: the episodes the engine confirmed in that replay.

The replay (:func:`mmntrial.engine.replay.replay`) reads each participant's records as
the engine panel does (:func:`mmntrial.capture.dosing.patient_history`: undated and
contradictory values are not read), withdrawn on the day of a disposition other than
completed, so the export carries what the engine judged from the records, every
infusion included, not only those decided on the panel (``dose_decisions`` holds the
panel's decisions, none for an infusion logged without one).

Anything the schema needs that the records lack (a subject without age and sex, without
the protocol's baseline infusions, a form of a visit without its date) is a
:class:`~mmntrial.errors.CaptureError` naming the subject and what is missing; the
dataset is validated as a whole on construction.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Connection, select

import mmntrial
from mmntrial.atomic import replacing_folder
from mmntrial.capture import audit
from mmntrial.capture.allocation import FACTOR_SOURCES, check_key, current_list, open_ledger
from mmntrial.capture.demographics import all_demographics
from mmntrial.capture.dosing import patient_history
from mmntrial.capture.repeats import dataset_visit
from mmntrial.capture.screening import Outcome
from mmntrial.capture.study import Study, load_study
from mmntrial.capture.tables import (
    adverse_events,
    assessments,
    conmeds,
    dispositions,
    eligibility,
    infusions,
    labs,
    participants,
    screening_log,
    sites,
    visits,
)
from mmntrial.dataset.io import DATASET_FILES, Format, read_dataset, write_tables
from mmntrial.dataset.schema import Dataset, DatasetMeta, empty_table
from mmntrial.engine.replay import Replay, replay
from mmntrial.engine.states import Action
from mmntrial.errors import CaptureError, MeasureError
from mmntrial.measures.catalogue import measure_spec
from mmntrial.measures.ivig import Infusion, baseline_intensity
from mmntrial.protocol.model import Protocol
from mmntrial.randomization.lists import AllocationList
from mmntrial.storage import Database
from mmntrial.storage.chain import Head

SOURCE = "captured"


@dataclass(frozen=True)
class Cut:
    """What every table's export reads besides its own records.

    ``day0`` and ``subjects`` are by participant id; ``arms`` by subject; ``cutoff`` is
    the date of the export.
    """

    study: Study
    day0: Mapping[int, date]
    subjects: Mapping[int, str]
    entries: Mapping[int, int]
    arms: Mapping[str, str]
    cutoff: date
    #: The engine's replay of the records, once computed (:func:`engine_replay`).
    replayed: dict[str, Replay] = field(default_factory=dict)

    def day(self, participant: int, on: str) -> int:
        """The study day of the date ``on`` (YYYY-MM-DD) for ``participant``."""
        return (date.fromisoformat(on) - self.day0[participant]).days

    def maybe_day(self, participant: int, on: str | None) -> int | None:
        """The study day of ``on``, None for no date (an event still going on)."""
        return None if on is None else self.day(participant, on)


def read_cut(conn: Connection, study: Study, arms: Mapping[str, str], cutoff: date) -> Cut:
    """The participants' day 0 and subject ids, with the arms and the cut-off date."""
    rows = conn.execute(
        select(
            participants.c.id,
            participants.c.subject,
            participants.c.randomized_on,
            participants.c.screening_entry_id,
        )
    ).all()
    missing = sorted(r.subject for r in rows if r.subject not in arms)
    if missing:
        raise CaptureError(
            f"--key: got a list without the arm of {', '.join(missing[:5])}, expected the "
            "sealed list of the study's ledger"
        )
    return Cut(
        study,
        {r.id: date.fromisoformat(r.randomized_on) for r in rows},
        {r.id: r.subject for r in rows},
        {r.id: r.screening_entry_id for r in rows},
        arms,
        cutoff,
    )


def _frame(name: str, rows: list[dict[str, Any]]) -> pd.DataFrame:
    # Built on the table's empty frame, so the columns are the schema's, in its order.
    empty = empty_table(name)
    return pd.DataFrame(rows, columns=empty.columns) if rows else empty


def screening_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``screening`` table (see the module doc)."""
    randomized = {entry: pid for pid, entry in cut.entries.items()}
    verdicts = dict(
        conn.execute(select(eligibility.c.screening_entry_id, eligibility.c.eligible)).all()
    )
    log = conn.execute(
        select(screening_log, sites.c.code)
        .join(sites, sites.c.id == screening_log.c.site_id)
        .order_by(screening_log.c.id)
    ).mappings()
    rows = []
    by_id: dict[str, int] = {}
    for entry in log:
        screened_on = date.fromisoformat(entry["screened_on"])
        row: dict[str, Any] = {"screening_id": entry["screening_id"], "site": entry["code"]}
        pid = randomized.get(entry["id"])
        if pid is not None:
            outcome, reason, subject = "randomized", None, cut.subjects[pid]
            day = (screened_on - cut.day0[pid]).days
        else:
            if entry["outcome"] == Outcome.EXCLUDED.value:
                reason = f"exclusion: {entry['exclusion_code']}"
            elif verdicts.get(entry["id"]) is False:
                reason = "ineligible"
            else:
                continue  # enrolled, not randomized yet: no outcome to report
            outcome, subject = "excluded", None
            day = (screened_on - cut.cutoff).days
        row.update(screening_day=day, outcome=outcome, reason=reason, subject_id=subject)
        by_id[row["screening_id"]] = by_id.get(row["screening_id"], 0) + 1
        rows.append(row)
    # Screening ids are unique per site; the dataset needs them unique in the study.
    for row in rows:
        if by_id[row["screening_id"]] > 1:
            row["screening_id"] = f"{row['site']}/{row['screening_id']}"
    return _frame("screening", rows)


def _infusions_of(conn: Connection, cut: Cut) -> dict[int, list[dict[str, Any]]]:
    rows = conn.execute(select(infusions).order_by(infusions.c.given_on)).mappings()
    by_participant: dict[int, list[dict[str, Any]]] = {pid: [] for pid in cut.subjects}
    for r in rows:
        pid = r["participant_id"]
        by_participant[pid].append({**r, "day": cut.day(pid, r["given_on"])})
    return by_participant


def subjects_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``subjects`` table (see the module doc)."""
    codes = dict(conn.execute(select(participants.c.id, sites.c.code).join(sites)).all())
    kits = dict(conn.execute(select(participants.c.id, participants.c.kit)).all())
    found = conn.execute(
        select(
            eligibility.c.screening_entry_id, eligibility.c.category, eligibility.c.findings_json
        )
    ).all()
    assessed = {r.screening_entry_id: r for r in found}
    people = all_demographics(conn)
    log = _infusions_of(conn, cut)
    n_baseline = cut.study.protocol.baseline.n_infusions
    rows = []
    for pid, subject in cut.subjects.items():
        entry = cut.entries[pid]
        person = people.get(entry)
        if person is None:
            raise CaptureError(
                f"subject {subject}: got no age and sex, expected them recorded at eligibility "
                "(the dataset's subjects table needs both)"
            )
        before = [
            Infusion(
                i["day"], i["dose_g"], i["weight_kg"], i["interval_days"], i["product"], i["route"]
            )
            for i in log[pid]
            if i["day"] < 0
        ]
        try:
            intensity = baseline_intensity(before, n_baseline)
        except MeasureError as error:
            raise CaptureError(f"subject {subject}: {error}") from None
        last = before[-1]
        findings = json.loads(assessed[entry].findings_json)
        rows.append(
            {
                "subject_id": subject,
                "site": codes[pid],
                "arm": cut.arms[subject],
                "kit_code": kits[pid],
                "age_years": person.age_years,
                "sex": person.sex,
                "weight_kg": last.weight_kg,
                "efns_category": assessed[entry].category,
                "anti_gm1_status": FACTOR_SOURCES["anti_gm1"](codes[pid], findings),
                "baseline_dose_g": last.dose_g,
                "baseline_interval_days": last.interval_days,
                "baseline_intensity_g_per_kg_week": intensity,
            }
        )
    return _frame("subjects", rows)


def engine_replay(conn: Connection, cut: Cut) -> Replay:
    """The engine's replay of every participant's records (module doc), computed once
    per export."""
    if "all" not in cut.replayed:
        codes = dict(conn.execute(select(participants.c.id, sites.c.code).join(sites)).all())
        histories = [
            patient_history(conn, codes[pid], subject).history
            for pid, subject in cut.subjects.items()
        ]
        cut.replayed["all"] = replay(cut.study.protocol, histories)
    return cut.replayed["all"]


def infusions_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``infusions`` table (see the module doc)."""
    # An infusion logged after a withdrawal is one the engine recommends none for
    # (Action.NONE): the dataset has no action for it, so it carries none.
    decided = {
        (record.subject, record.day): (record.action.label, record.level)
        for record in (engine_replay(conn, cut).all_decisions() if cut.subjects else [])
        if record.action is not Action.NONE
    }
    rows = [
        {
            "subject_id": cut.subjects[pid],
            "day": i["day"],
            "dose_g": i["dose_g"],
            "weight_kg": i["weight_kg"],
            "interval_days": i["interval_days"],
            "product": i["product"],
            "route": i["route"],
            "action": decided.get((cut.subjects[pid], i["day"]), (None, None))[0],
            "level": decided.get((cut.subjects[pid], i["day"]), (None, None))[1],
        }
        for pid, given in _infusions_of(conn, cut).items()
        for i in given
    ]
    return _frame("infusions", rows)


def _visit_days(conn: Connection, cut: Cut) -> dict[tuple[int, str], int]:
    rows = conn.execute(select(visits.c.participant_id, visits.c.visit, visits.c.visited_on))
    return {(pid, name): cut.day(pid, on) for pid, name, on in rows}


def assessments_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``assessments`` table (see the module doc)."""
    days = _visit_days(conn, cut)
    rows = []
    stored = conn.execute(select(assessments).order_by(assessments.c.id)).mappings()
    for r in stored:
        if r["value"] is None:
            continue  # an MRC sum with grades missing: no value to analyse
        pid, name = r["participant_id"], r["visit"]
        if (pid, name) not in days:
            raise CaptureError(
                f"subject {cut.subjects[pid]}: got the {name} form without the visit's date, "
                f"expected visit {name} recorded as done"
            )
        rows.append(
            {
                "subject_id": cut.subjects[pid],
                "visit": dataset_visit(name),  # every repeat-YYYY-MM-DD is a 'repeat'
                "day": days[pid, name],
                "measure": r["measure"],
                "side": r["side"] or None,  # "" is a measure not taken per hand
                "value": r["value"],
                "unit": measure_spec(r["measure"]).unit,
            }
        )
    return _frame("assessments", rows)


def adverse_events_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``adverse_events`` table (see the module doc)."""
    stored = conn.execute(select(adverse_events).order_by(adverse_events.c.id)).mappings()
    rows = [
        {
            "subject_id": cut.subjects[r["participant_id"]],
            "ae_id": r["ae_id"],
            "term": r["term"],
            "day_onset": cut.day(r["participant_id"], r["onset_on"]),
            "day_resolved": cut.maybe_day(r["participant_id"], r["resolved_on"]),
            "grade": r["grade"],
            "serious": bool(r["serious"]),
            "related_to": r["related_to"],
            "action_taken": r["action_taken"],
        }
        for r in stored
    ]
    return _frame("adverse_events", rows)


def labs_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``labs`` table (see the module doc)."""
    stored = conn.execute(select(labs).order_by(labs.c.id)).mappings()
    rows = [
        {
            "subject_id": cut.subjects[r["participant_id"]],
            "day": cut.day(r["participant_id"], r["sampled_on"]),
            "test": r["test"],
            "value": r["value"],
            "unit": r["unit"],
            "lln": r["lln"],
            "uln": r["uln"],
            "grade": r["grade"],
        }
        for r in stored
    ]
    return _frame("labs", rows)


def conmeds_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``conmeds`` table (see the module doc)."""
    stored = conn.execute(select(conmeds).order_by(conmeds.c.id)).mappings()
    rows = [
        {
            "subject_id": cut.subjects[r["participant_id"]],
            "medication": r["medication"],
            "start_day": cut.day(r["participant_id"], r["started_on"]),
            "end_day": cut.maybe_day(r["participant_id"], r["ended_on"]),
            "category": r["category"],
        }
        for r in stored
    ]
    return _frame("conmeds", rows)


def dispositions_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``dispositions`` table (see the module doc)."""
    last_visit = cut.study.protocol.schedule.visits[-1].name
    days = _visit_days(conn, cut)
    given = _infusions_of(conn, cut)
    stored = {r["participant_id"]: r for r in conn.execute(select(dispositions)).mappings()}
    rows = []
    for pid, subject in cut.subjects.items():
        if pid in stored:
            left = stored[pid]
            rows.append(
                {
                    "subject_id": subject,
                    "status": left["status"],
                    "day": cut.day(pid, left["last_on"]),
                    "reason": left["reason"],
                }
            )
            continue
        recorded = [d for (p, _), d in days.items() if p == pid]
        recorded += [i["day"] for i in given[pid]]
        done = (pid, last_visit) in days
        rows.append(
            {
                "subject_id": subject,
                "status": "completed" if done else "ongoing",
                "day": max([0, *recorded]),
                "reason": None,
            }
        )
    return _frame("dispositions", rows)


def deteriorations_table(conn: Connection, cut: Cut) -> pd.DataFrame:
    """The ``deteriorations`` table (see the module doc)."""
    if not cut.subjects:
        return empty_table("deteriorations")
    judged = engine_replay(conn, cut)
    rows = [
        episode.row(subject)
        for subject, found in zip(judged.subjects, judged.episodes, strict=True)
        for episode in found
    ]
    return _frame("deteriorations", rows)


#: The export of each dataset table, in schema order.
TABLE_EXPORTS: dict[str, Callable[[Connection, Cut], pd.DataFrame]] = {
    "screening": screening_table,
    "subjects": subjects_table,
    "infusions": infusions_table,
    "assessments": assessments_table,
    "deteriorations": deteriorations_table,
    "adverse_events": adverse_events_table,
    "labs": labs_table,
    "conmeds": conmeds_table,
    "dispositions": dispositions_table,
}


def study_dataset(
    conn: Connection, study: Study, arms: Mapping[str, str], who: str, at_utc: str, head: Head
) -> Dataset:
    """The study in ``conn`` as a validated :class:`Dataset` (a DatasetError if not valid).

    ``arms`` maps each subject to its arm (the ledger's, unsealed with the key); ``who``
    and ``at_utc`` say who exported it and when; ``head`` is the verified head of the
    audit chain the export reflects.
    """
    cut = read_cut(conn, study, arms, date.fromisoformat(at_utc[:10]))
    frames = {name: export(conn, cut) for name, export in TABLE_EXPORTS.items()}
    meta = DatasetMeta(
        protocol=study.protocol_name,
        source=SOURCE,
        created_utc=at_utc,
        software_version=mmntrial.__version__,
        seed=None,
        notes=f"mmntrial study export by {who}; audit trail head {head}",
        protocol_sha256=study.protocol_hash,
        provenance={
            "kind": "capture export",
            "exported_by": who,
            "exported_at_utc": at_utc,
            "audit_head": str(head),
            "audit_entries": head.count,
        },
    )
    return Dataset.from_frames(meta, frames, study.protocol)


def write_checked(dataset: Dataset, protocol: Protocol, out: Path, fmt: Format) -> Dataset:
    """Write ``dataset`` to ``out`` atomically, read back and validated (under the
    study's ``protocol``) by the dataset loader before it replaces ``out``; return the
    dataset as read back."""
    with replacing_folder(out, owned=DATASET_FILES) as staging:
        write_tables(dataset, staging, fmt)
        return read_dataset(staging, protocol)


def export_study(database: Database, key: AllocationList, who: str) -> tuple[Dataset, Protocol]:
    """The study in ``database`` as a validated dataset (its arms unsealed with ``key``)
    and the study's protocol.

    Verifies the audit trail first (a :class:`~mmntrial.errors.ChainBroken` names what
    is wrong) and reads everything in one transaction, so the export and the head it
    records are one state of the database.
    """
    with database.read() as conn:
        study = load_study(conn)
        check_key(conn, key)
        head = audit.check(conn)
        arms = open_ledger(database, current_list(conn), key).arms_in(conn)
        dataset = study_dataset(conn, study, arms, who, audit.now_utc(), head)
    return dataset, study.protocol
