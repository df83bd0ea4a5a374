"""A dataset loaded into a new study database: the inverse of the export.

:func:`load_dataset` writes a (simulated) dataset into a study through the capture
app's own write functions, as a site would type it, so every record is checked,
audited and chained like any other; the audit trail names the loader account
(:data:`LOADER`, a data manager retired once the load is done). It serves the demo (a
populated study to open) and the round-trip test (simulate, load, export, analyse).

Study days become dates: every subject's day 0 is the same date, chosen so that the
last record of the dataset falls on ``today``. Arms come from the study's ledger, as
in a real trial: the loader generates the study's list (the protocol's method and
strata, the dataset's sites) from the first seed, counting up from ``seed``, whose
first slots of each stratum hold as many of each arm as the dataset's subjects there,
then randomizes each subject into a slot of its own arm. Subject ids and kit codes are
the app's (``SITE-NNN``); :class:`Loaded` maps the dataset's ids to them.

What the app records is loaded: the screening log (randomized subjects as enrolled,
exclusions by their protocol code; declined and other outcomes have no place), age and
sex, the eligibility assessment (findings that give the dataset's EFNS/PNS category and
anti-GM1 status), the randomization, every infusion, the scheduled visits and the
repeat visits (each named by the latest assessment before it, the drop it repeats) with
their MRC sums (whole grades), scalar measures and grip per hand (one trial, the value),
then adverse events (numbered ``AE-NNN`` by the app in the dataset's order; the outcome
follows from grade and resolution: fatal, recovered, or not recovered), labs (with the
dataset's normal range; a grade CTCAE computes is computed against it, not typed),
concomitant medications, and every disposition
but ``ongoing`` (no record). A serious adverse event gets the moment the site became
aware of it and, most often, its initial SAE report (:func:`sae_timing`: the dataset
has neither, so both are drawn, deterministically from the dataset's seed, and marked
ASSUMPTION there). Not loaded: unscheduled visits (the app has none), the
engine's infusion actions and levels and the deteriorations (the export derives them
from the records).
"""

from __future__ import annotations

import copy
import math
import random
import secrets
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from mmntrial.capture import (
    accounts,
    action_items,
    adverse_events,
    allocation,
    assessments,
    conmeds,
    demographics,
    dispositions,
    eligibility,
    grip,
    infusions,
    labs,
    records,
    sae,
    screening,
    visits,
)
from mmntrial.capture.permissions import Role
from mmntrial.capture.repeats import REPEAT, repeat_name
from mmntrial.capture.study import init_study, load_study
from mmntrial.dataset.schema import ONGOING, Dataset
from mmntrial.errors import CaptureError
from mmntrial.measures.grip import GripInstrument
from mmntrial.protocol.model import AllocationMethod, Protocol
from mmntrial.randomization.design import AllocationDesign, design_from_protocol
from mmntrial.randomization.lists import AllocationList, generate
from mmntrial.randomization.slots import slots_of
from mmntrial.safety.tables import ctcae_v5
from mmntrial.storage import Database

#: The account the audit trail names for every loaded record.
LOADER = "dataset-loader"

# The lab and AE forms without their ``saved`` hook, which runs the safety rules over
# the participant's whole record after every save: the loader runs them once, when the
# participant's records are all in (findings are keyed by the data, so the same items
# open), rather than once per row, which cost a third of the demo's study load.
_AE_FORM = replace(adverse_events.FORM, saved=None)
_LAB_FORM = replace(labs.FORM, saved=None)
#: How many list seeds are tried for one whose slots can hold the dataset's arms.
SEED_TRIES = 5000
EXCLUSION_PREFIX = "exclusion: "
CONSENT_VERSION = "loaded"
LOT = "loaded"

_CLINICAL = {
    "focal_asymmetric_weakness": True,
    "affected_nerves": 3,
    "weakness_months": 24,
    "objective_sensory_abnormality": False,
    "predominant_upper_limb": True,
    "reduced_reflexes": True,
    "no_cranial_nerves": True,
    "cramps_fasciculations": False,
    "immunomodulation_response": True,
    "upper_motor_neuron_signs": False,
    "marked_bulbar_involvement": False,
    "diffuse_symmetric_weakness": False,
}
_SEGMENT = {
    "nerve": "median",
    "segment": "forearm",
    "distal_area_mv_ms": 10.0,
    "distal_amplitude_mv": 5.0,
    "proximal_amplitude_mv": 2.0,
    "distal_duration_ms": 5.0,
    "proximal_duration_ms": 5.5,
    "distal_amplitude_lln_mv": 4.0,
    "long_upper_limb_segment": True,
    "entrapment_site": False,
    "sensory_conduction_normal": True,
}
#: Per category: the proximal CMAP area of the one segment (None: no block studied) and
#: the supportive criteria besides anti-GM1. A 60% area reduction is a definite block,
#: 40% over a long upper limb segment a probable one (EFNS/PNS 2010; DOMAIN.md).
_CATEGORY_FINDINGS: dict[str, tuple[float | None, dict[str, bool]]] = {
    "definite": (4.0, {"csf_protein": False, "mri_plexus": False, "ivig_improvement": True}),
    "probable": (6.0, {"csf_protein": True, "mri_plexus": False, "ivig_improvement": True}),
    "possible": (None, {"csf_protein": True, "mri_plexus": False, "ivig_improvement": True}),
}


@dataclass(frozen=True)
class Loaded:
    """What a load made: the study's sealed list and the app's id of each subject."""

    key: AllocationList
    subjects: Mapping[str, str]
    day0: date


def _findings(protocol: Protocol, category: str, anti_gm1: str, on: str) -> dict[str, Any]:
    if category not in _CATEGORY_FINDINGS:
        raise CaptureError(
            f"efns_category: got {category!r}, expected one of definite, probable, possible"
        )
    proximal, supportive = _CATEGORY_FINDINGS[category]
    segments = [] if proximal is None else [{**_SEGMENT, "proximal_area_mv_ms": proximal}]
    return {
        "assessed_on": on,
        "exclusions": {item.id: False for item in protocol.eligibility.exclusions},
        "clinical": dict(_CLINICAL),
        "supportive": {**supportive, "anti_gm1": anti_gm1 == "positive"},
        "sensory_conduction_normal": True,
        "segments": copy.deepcopy(segments),
    }


def _levels(protocol: Protocol, site_codes: list[str]) -> dict[str, list[str]]:
    return {
        f: site_codes if f in ("centre", "site") else ["negative", "positive"]
        for f in protocol.randomization.strata
    }


def _strata(design: AllocationDesign, dataset: Dataset) -> dict[str, list[tuple[str, str]]]:
    """The dataset's subjects by stratum, each with its arm, in the subjects table's order."""
    by_stratum: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in dataset.subjects.itertuples(index=False):
        findings = {"supportive": {"anti_gm1": row.anti_gm1_status == "positive"}}
        values = {
            f.name: allocation.FACTOR_SOURCES[f.name](str(row.site), findings)
            for f in design.factors
        }
        by_stratum[design.stratum_of(values)].append((str(row.subject_id), str(row.arm)))
    return by_stratum


def _matching_list(
    design: AllocationDesign, dataset: Dataset, seed: int
) -> tuple[AllocationList, list[str]]:
    """A list whose first slots hold the dataset's arms; the subjects in allocation order."""
    by_stratum = _strata(design, dataset)
    size = max(len(s) for s in by_stratum.values())
    block = max(design.block_sizes or (1,))
    size = math.ceil(size / block) * block
    for tried in range(seed, seed + SEED_TRIES):
        key = generate(design, size, tried)
        order: list[str] = []
        for stratum, subjects in by_stratum.items():
            waiting: dict[str, list[str]] = defaultdict(list)
            for subject, arm in subjects:
                waiting[arm].append(subject)
            for slot in key.slots(stratum)[: len(subjects)]:
                if not waiting[str(slot.arm)]:
                    break
                order.append(waiting[str(slot.arm)].pop(0))
        if len(order) == len(dataset.subjects):
            return key, order
    raise CaptureError(
        f"seed: got {seed}, and none of the {SEED_TRIES} lists from it holds the dataset's "
        "arms in the first slots of each stratum; try another seed"
    )


def _mrc_grades(total: float, muscles: tuple[str, ...]) -> dict[str, str]:
    """Whole grades per ``mrc.<side>.<muscle>`` that add up to ``total``."""
    entries = [(side, m) for side in ("left", "right") for m in muscles]
    if not total.is_integer() or not 0 <= total <= 5 * len(entries):
        raise CaptureError(
            f"mrc_sum: got {total:g}, expected a whole sum from 0 to {5 * len(entries)} "
            "(the loader types whole grades)"
        )
    deficit = 5 * len(entries) - int(total)
    typed = {}
    for side, muscle in entries:
        taken = min(5, deficit)
        deficit -= taken
        typed[f"mrc.{side}.{muscle}"] = str(5 - taken)
    return typed


def _load_subject(
    conn: Connection,
    protocol: Protocol,
    dataset: Dataset,
    ledger: Any,
    subject: str,
    day0: date,
    today: date,
) -> str:
    row = dataset.subjects.set_index("subject_id").loc[subject]
    site = str(row["site"])
    screened = dataset.screening[dataset.screening["subject_id"] == subject].iloc[0]
    on = day0 + timedelta(days=int(screened["screening_day"]))
    entry = screening.record(
        conn,
        site,
        screening.checked_screening(
            {
                "screening_id": str(screened["screening_id"]),
                "screened_on": on.isoformat(),
                "outcome": "enrolled",
                "consent_version": CONSENT_VERSION,
                "consent_date": on.isoformat(),
            },
            {},
            today,
        ),
        LOADER,
    )
    person = demographics.checked_demographics({"age_years": row["age_years"], "sex": row["sex"]})
    demographics.record(conn, site, entry, person, LOADER, None)
    data = _findings(
        protocol, str(row["efns_category"]), str(row["anti_gm1_status"]), on.isoformat()
    )
    assessed = eligibility.checked_assessment(data, protocol, on, today)
    if assessed.diagnosis.category.value != row["efns_category"]:
        raise CaptureError(
            f"subject {subject}: got category {assessed.diagnosis.category.value} from the "
            f"loader's findings, expected {row['efns_category']}"
        )
    eligibility.record(conn, entry, assessed, LOADER, None)
    made = allocation.randomize(conn, ledger, site, entry, LOADER, day0).subject
    given = dataset.infusions[dataset.infusions["subject_id"] == subject].sort_values("day")
    for inf in given.to_dict("records"):
        typed = {
            "given_on": (day0 + timedelta(days=int(inf["day"]))).isoformat(),
            "product": str(inf["product"]),
            "lot": LOT,
            "route": str(inf["route"]),
            "dose_g": repr(float(inf["dose_g"])),
            "weight_kg": repr(float(inf["weight_kg"])),
            "interval_days": str(int(inf["interval_days"])),
            "confirm_weight": "on",
        }
        infusions.record(conn, site, made, typed, LOADER, today)
    _load_visits(conn, protocol, dataset, site, subject, made, day0, today)
    _load_records(conn, dataset, site, subject, made, day0, today)
    return made


def _visit_names(rows: Any, scheduled: set[str], day0: date) -> dict[int, str]:
    """The app's visit name of each visit day: a scheduled visit's own name, a repeat's
    ``repeat-YYYY-MM-DD`` of the latest assessment before it (the drop it repeats)."""
    names: dict[int, str] = {}
    for day, visit in sorted(set(zip(rows["day"], rows["visit"], strict=True))):
        if visit in scheduled:
            names[int(day)] = str(visit)
        elif visit == REPEAT:
            earlier = [d for d in names if d < day]
            drop = max(earlier) if earlier else int(day) - 1
            names[int(day)] = repeat_name(day0 + timedelta(days=drop))
    return names


def _grip_typed(measure: str, side: str, value: float) -> dict[str, str]:
    instrument = next(i for i in GripInstrument if i.measure == measure)
    trial = grip.trial_field(side, 1)
    return {
        "instrument": instrument.value,
        "unit": instrument.unit,
        trial: repr(value),
        f"confirm.{trial}": "on",
    }


def _load_visits(
    conn: Connection,
    protocol: Protocol,
    dataset: Dataset,
    site: str,
    subject: str,
    made: str,
    day0: date,
    today: date,
) -> None:
    scheduled = {v.name for v in protocol.schedule.visits}
    table = dataset.assessments
    rows = table[(table["subject_id"] == subject) & table["visit"].isin([*scheduled, REPEAT])]
    names = _visit_names(rows, scheduled, day0)
    for _, values in rows.groupby("day", sort=True):
        day = int(values["day"].iloc[0])
        name = names[day]
        on = (day0 + timedelta(days=day)).isoformat()
        visits.record(conn, protocol, site, made, {"visit": name, "visited_on": on}, LOADER, today)
        form = assessments.visit_form(protocol, name)
        typed: dict[str, str] = {}
        gripped: dict[str, dict[str, str]] = defaultdict(dict)
        for measure, side, value in zip(
            values["measure"], values["side"], values["value"], strict=True
        ):
            if measure in grip.GRIP_MEASURES:
                gripped[str(measure)].update(_grip_typed(str(measure), str(side), float(value)))
            elif measure == assessments.MRC and form.muscles is not None:
                typed.update(_mrc_grades(float(value), form.muscles.muscles))
            elif measure in form.scalars:
                typed[f"value.{measure}"] = repr(float(value))
                typed[f"confirm.{measure}"] = "on"
        if typed:
            assessments.record(conn, protocol, site, made, name, typed, LOADER)
        for hands in gripped.values():
            grip.record(conn, protocol, site, made, name, hands, LOADER)


def _rows(frame: Any, subject: str) -> list[dict[str, Any]]:
    return list(frame[frame["subject_id"] == subject].to_dict("records"))


def _on(day0: date, day: Any) -> str:
    """The date of a study day, "" for none (an event still going on)."""
    if day is None or (isinstance(day, float) and math.isnan(day)) or day is pd.NA:
        return ""
    return (day0 + timedelta(days=int(day))).isoformat()


def _limit(value: Any) -> str:
    """A limit of normal as the lab form takes it, "" for none."""
    return "" if pd.isna(value) else repr(float(value))


def _ae_outcome(grade: int, resolved: str) -> str:
    # The dataset has no outcome: it follows from the grade (5 is death) and resolution.
    if grade == adverse_events.FATAL_GRADE:
        return "fatal"
    return "recovered" if resolved else "not_recovered"


#: ASSUMPTION (the dataset has no awareness moment): a site learns of a serious event on
#: its onset day, in the morning (09:00 UTC, office hours at the European centres of
#: the seeds' trials); an event whose onset is the load's today is known from that
#: day's midnight, so that no awareness lies ahead of whoever opens the study.
AWARE_AT = time(9, 0)
#: ASSUMPTION (the dataset has no SAE report): how the initial report follows awareness,
#: as (share of events, fewest hours, most hours): most within the 24 hours, some late,
#: the rest not reported yet; a report whose moment falls on or after the load's today
#: is not filed either (still open, or overdue, when the study is opened).
REPORTED_ON_TIME = (0.8, 2, 20)
REPORTED_LATE = (0.1, 26, 60)


@dataclass(frozen=True)
class SaeTiming:
    """A loaded serious event's awareness moment and its initial report's (None: none)."""

    aware_at: datetime
    reported_at: datetime | None


def sae_timing(seed: str, onset: date, today: date) -> SaeTiming:
    """When the site became aware of a serious event of ``onset``, and when it reported it
    (:data:`AWARE_AT`, :data:`REPORTED_ON_TIME`, :data:`REPORTED_LATE`), drawn from
    ``seed`` (the dataset's seed and the event's names: the same load, the same clocks).

    >>> sae_timing("7:S01-001:AE-001", date(2026, 11, 30), date(2026, 11, 30)).aware_at
    datetime.datetime(2026, 11, 30, 0, 0, tzinfo=datetime.timezone.utc)
    """
    start_of_today = datetime.combine(today, time(0, 0), UTC)
    aware = min(datetime.combine(onset, AWARE_AT, UTC), start_of_today)
    draw = random.Random(seed)  # seeded: a draw of the loader, nothing secret
    share = draw.random()
    if share < REPORTED_ON_TIME[0]:
        _, fewest, most = REPORTED_ON_TIME
    elif share < REPORTED_ON_TIME[0] + REPORTED_LATE[0]:
        _, fewest, most = REPORTED_LATE
    else:
        return SaeTiming(aware, None)
    reported = aware + timedelta(minutes=draw.randint(fewest * 60, most * 60))
    return SaeTiming(aware, reported if reported < start_of_today else None)


def _load_sae(
    conn: Connection,
    dataset: Dataset,
    site: str,
    made: str,
    event: Mapping[str, Any],
    timing: SaeTiming,
) -> None:
    """The initial report of a loaded serious event, when its timing has one."""
    if timing.reported_at is None:
        return
    narrative = (
        f"{event['term']}, grade {event['grade']}, onset {event['onset_on']}: initial report "
        f"loaded from the {dataset.meta.source} dataset."
    )
    sae.report(conn, site, made, int(event["id"]), narrative, LOADER, timing.reported_at)


def _load_records(
    conn: Connection, dataset: Dataset, site: str, subject: str, made: str, day0: date, today: date
) -> None:
    """The subject's adverse events, labs, conmeds and disposition, through their forms."""
    for number, ae in enumerate(_rows(dataset.adverse_events, subject), start=1):
        resolved = _on(day0, ae["day_resolved"])
        onset = _on(day0, ae["day_onset"])
        typed = {
            "term": str(ae["term"]),
            "onset_on": onset,
            "resolved_on": resolved,
            "grade": str(int(ae["grade"])),
            "serious": "yes" if ae["serious"] else "no",
            "related_to": str(ae["related_to"]),
            "action_taken": str(ae["action_taken"]),
            "outcome": _ae_outcome(int(ae["grade"]), resolved),
        }
        timing = None
        if ae["serious"]:
            seed = f"{dataset.meta.seed}:{subject}:{number}"
            timing = sae_timing(seed, date.fromisoformat(onset), today)
            typed["aware_at_utc"] = timing.aware_at.isoformat(sep=" ", timespec="minutes")
        event = records.add(conn, _AE_FORM, site, made, typed, LOADER, today)
        if timing is not None:
            _load_sae(conn, dataset, site, made, event, timing)
    computed = ctcae_v5().ranged
    for lab in _rows(dataset.labs, subject):
        graded = lab["grade"]
        typed = {
            "sampled_on": _on(day0, lab["day"]),
            "test": str(lab["test"]),
            "value": repr(float(lab["value"])),
            "unit": str(lab["unit"]),
            # A grade CTCAE computes from the value is the app's own: not typed.
            "grade": "" if lab["test"] in computed or pd.isna(graded) else str(int(graded)),
            # The lab form grades against the normal range typed: the dataset's own.
            "lln": _limit(lab["lln"]),
            "uln": _limit(lab["uln"]),
            "confirm.value": "on",
        }
        records.add(conn, _LAB_FORM, site, made, typed, LOADER, today)
    action_items.open_findings(conn, site, made, LOADER, today)
    for med in _rows(dataset.conmeds, subject):
        typed = {
            "medication": str(med["medication"]),
            "started_on": _on(day0, med["start_day"]),
            "ended_on": _on(day0, med["end_day"]),
            "category": str(med["category"]),
        }
        records.add(conn, conmeds.FORM, site, made, typed, LOADER, today)
    for left in _rows(dataset.dispositions, subject):
        if left["status"] == ONGOING:
            continue  # ongoing is no record: the participant has not left
        reason = left["reason"]
        typed = {
            "status": str(left["status"]),
            "last_on": _on(day0, left["day"]),
            "reason": "" if reason is None or pd.isna(reason) else str(reason),
        }
        records.add(conn, dispositions.FORM, site, made, typed, LOADER, today)


def _load_exclusions(
    conn: Connection, protocol: Protocol, dataset: Dataset, day0: date, today: date
) -> None:
    codes = {item.id for item in protocol.eligibility.exclusions}
    excluded = dataset.screening[dataset.screening["outcome"] == "excluded"]
    for row in excluded.to_dict("records"):
        code = str(row["reason"]).removeprefix(EXCLUSION_PREFIX)
        if code not in codes:
            continue  # a reason the log cannot code: not loaded
        on = day0 + timedelta(days=int(row["screening_day"]))
        typed = {
            "screening_id": str(row["screening_id"]),
            "screened_on": on.isoformat(),
            "outcome": "excluded",
            "exclusion_code": code,
        }
        screening.record(
            conn,
            str(row["site"]),
            screening.checked_screening(typed, {c: c for c in codes}, today),
            LOADER,
        )


def last_day(dataset: Dataset) -> int:
    """The latest study day of any record the loader writes."""
    days = [
        0,
        *dataset.infusions["day"],
        *dataset.assessments["day"],
        *dataset.adverse_events["day_onset"],
        *dataset.adverse_events["day_resolved"].dropna(),
        *dataset.labs["day"],
        *dataset.conmeds["start_day"],
        *dataset.conmeds["end_day"].dropna(),
        *dataset.dispositions["day"],
    ]
    return int(max(days))


def load_dataset(
    database: Database,
    dataset: Dataset,
    protocol: Protocol,
    admin: str,
    password: str,
    today: date,
    seed: int = 1,
) -> Loaded:
    """Start a study in the empty ``database`` and load ``dataset`` into it (module doc).

    ``protocol`` is the dataset's (a built-in one: the study stores it by name);
    ``admin`` (with ``password``) is the study's first administrator; ``today`` the date
    the last record falls on; ``seed`` where the search for the list starts.
    """
    if protocol.randomization.method is AllocationMethod.MINIMIZATION:
        raise CaptureError(
            "dataset: got a minimization protocol, expected a list method: the loader picks "
            "a list whose slots hold the dataset's arms, and minimization decides arms at "
            "allocation"
        )
    site_codes = sorted({str(s) for s in dataset.subjects["site"]} | set(dataset.screening["site"]))
    design = design_from_protocol(
        protocol.arms, protocol.randomization, _levels(protocol, site_codes)
    )
    key, order = _matching_list(design, dataset, seed)
    day0 = today - timedelta(days=last_day(dataset))
    made: dict[str, str] = {}
    with database.write() as conn:
        init_study(conn, dataset.meta.protocol, site_codes, admin, password)
        accounts.add_user(conn, LOADER, secrets.token_urlsafe(24), admin)
        accounts.grant(conn, LOADER, Role.DATA_MANAGER, None, admin)
        allocation.check_list(slots_of(key), protocol, site_codes)
        allocation.store_list(conn, slots_of(key), LOADER)
    ledger = allocation.open_ledger(database, slots_of(key), key)
    with database.write() as conn:
        study = load_study(conn).protocol
        _load_exclusions(conn, study, dataset, day0, today)
        for subject in order:
            made[subject] = _load_subject(conn, study, dataset, ledger, subject, day0, today)
        accounts.retire(conn, LOADER, admin, "the dataset is loaded")
    return Loaded(key, made, day0)
