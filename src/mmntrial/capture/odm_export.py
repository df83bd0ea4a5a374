"""The study as CDISC ODM 1.3.2 XML: what ``mmntrial study odm`` writes.

The file is **blinded**: it holds no arm, no kit code, no allocation list and no record
of an emergency unblinding, and not the protocol's text (which names the arms), so it may
go to anyone who may see the clinical data. It is a snapshot (``FileType="Snapshot"``)
of one state of the database: the audit trail is verified first (a
:class:`~mmntrial.errors.ChainBroken` names what is wrong) and everything is read in one
transaction.

- ``Study``: the protocol's name; ``BasicDefinitions``: the units of the items;
  ``MetaDataVersion`` (:mod:`mmntrial.capture.odm_forms`): ``SCREENING`` (the screening
  log entry, the eligibility assessment: findings, exclusions answered, category and
  verdict, and its conduction studies, one group per nerve segment), one
  ``StudyEventDef`` per scheduled visit of the protocol (forms: visit date, assessments,
  grip), one repeating ``REPEAT`` event for the repeat visits (keyed by their name,
  ``repeat-YYYY-MM-DD``), ``ENROLMENT`` (demographics and the randomization date) and
  ``LOG`` (the infusion log, the dose decisions on the engine panel, keyed by the date
  decided, adverse events, labs, concomitant medications, the disposition);
- ``AdminData``: the users the audit records name and the sites;
- ``ClinicalData``: one ``SubjectData`` per participant (``SubjectKey`` the subject id,
  ``SiteRef`` the site), then one per patient of the screening log who was not
  randomized (``SubjectKey`` ``SCR.<site>.<screening id>``, the screening event only),
  so the whole screening log is in the file; each record an ``ItemGroupData`` (a record
  form's repeating group keyed by its identifier, ``AE-001``, or by its order), each value an
  ``ItemData``; a value not recorded (an MRC sum with grades missing, an open end date)
  has no ``ItemData``. Each ``ItemGroupData`` carries an ``AuditRecord``: who changed the
  records behind it last, when, at which site, and the reason of a change.

A visit name that is neither the protocol's nor a repeat visit is a
:class:`~mmntrial.errors.CaptureError` naming the subject and the visit: the file has
no event to put it in. Text a site typed that XML 1.0 cannot hold (a control
character) is written escaped as ``\\xNN``, never dropped.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RowMapping, Table, select

import mmntrial
from mmntrial.atomic import replacing_file
from mmntrial.capture import audit
from mmntrial.capture.odm_forms import (
    AE,
    CONMEDS,
    DEMOGRAPHICS,
    DISPOSITION,
    DOSE_DECISIONS,
    EXCLUSION,
    INFUSIONS,
    LABS,
    LOG_FORMS,
    OdmForm,
    screening_forms,
    visit_forms,
)
from mmntrial.capture.repeats import drop_of
from mmntrial.capture.study import Study, load_study
from mmntrial.capture.tables import (
    adverse_events,
    assessments,
    conmeds,
    demographics,
    dispositions,
    dose_decisions,
    eligibility,
    infusions,
    labs,
    participants,
    screening_log,
    sites,
    visits,
)
from mmntrial.errors import CaptureError
from mmntrial.storage import Database, chain
from mmntrial.storage.chain import Head

NS = "http://www.cdisc.org/ns/odm/v1.3"
ODM_VERSION = "1.3.2"
MDV = "MDV.1"
REPEAT_EVENT = "SE.REPEAT"
SCREENING_EVENT = "SE.SCREENING"
#: The SubjectKey of a screened patient who was not randomized: ``SCR.<site>.<id>``.
SCREENED_KEY = "SCR"
ENROLMENT_EVENT = "SE.ENROLMENT"
LOG_EVENT = "SE.LOG"

# Characters XML 1.0 cannot carry (C0 controls but tab, newline, carriage return).
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

Row = RowMapping


@dataclass(frozen=True)
class Touch:
    """The last audit entry of a record: who, when, and the reason of a change."""

    position: int
    who: str
    at_utc: str
    reason: str | None


def _text(value: str) -> str:
    return _NOT_XML.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def odm_value(value: Any) -> str:
    """A value as ODM writes it: booleans ``true``/``false``, numbers as plain decimals,
    a character XML 1.0 cannot carry escaped.

    >>> odm_value(True), odm_value(3), odm_value(0.000012), odm_value(2.5e16)
    ('true', '3', '0.000012', '25000000000000000')
    >>> odm_value("dizzy\\x1bspell")
    'dizzy\\\\x1bspell'
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # ODM's float is xs:decimal: no exponent, and repr keeps every digit stored.
        text = format(Decimal(repr(value)), "f")
        return text[:-2] if text.endswith(".0") else text
    return _text(str(value))


def _el(parent: ET.Element, tag: str, **attrs: str | None) -> ET.Element:
    shown = {k: _text(v) for k, v in attrs.items() if v is not None}
    return ET.SubElement(parent, f"{{{NS}}}{tag}", shown)


def _translated(parent: ET.Element, tag: str, text: str) -> None:
    _el(
        _el(parent, tag), "TranslatedText", **{"{http://www.w3.org/XML/1998/namespace}lang": "en"}
    ).text = _text(text)


def _oid(stem: str, name: str) -> str:
    return f"{stem}.{name}"


def last_touches(conn: Connection) -> dict[tuple[str, int], Touch]:
    """The last audit entry of every record, by table and record id."""
    touched: dict[tuple[str, int], Touch] = {}
    for item in chain.read(conn, audit.CHAIN):
        entry = item.entry
        key = (str(entry.content.get("table")), int(entry.content.get("record", 0)))
        reason = entry.content.get("reason")
        touched[key] = Touch(entry.position, entry.who, entry.at_utc, reason)
    return touched


@dataclass(frozen=True)
class Record:
    """One item group's data: its values and the database rows they come from."""

    values: Mapping[Any, Any]  # a stored row, or the values gathered for one form
    rows: tuple[tuple[str, int], ...]
    repeat_key: str | None = None


class Snapshot:
    """Everything the file holds, read in one transaction."""

    def __init__(self, conn: Connection, study: Study) -> None:
        self.study = study
        self.touches = last_touches(conn)
        self.site = dict(conn.execute(select(sites.c.id, sites.c.code)).all())
        self.people = (
            conn.execute(select(participants).order_by(participants.c.id)).mappings().all()
        )
        self.demographics = {
            row["screening_entry_id"]: row for row in conn.execute(select(demographics)).mappings()
        }
        self.screened = (
            conn.execute(select(screening_log).order_by(screening_log.c.id)).mappings().all()
        )
        self.eligibility = {
            row["screening_entry_id"]: row for row in conn.execute(select(eligibility)).mappings()
        }
        self.screening_forms = screening_forms(study.protocol)
        held = conn.execute(select(assessments.c.measure).distinct()).scalars()
        self.visit_forms = visit_forms(study.protocol, held)
        self.tables = {
            table.name: self._by_participant(conn, table)
            for table in (
                visits,
                assessments,
                infusions,
                dose_decisions,
                adverse_events,
                labs,
                conmeds,
                dispositions,
            )
        }

    @staticmethod
    def _by_participant(conn: Connection, table: Table) -> dict[int, list[Row]]:
        grouped: dict[int, list[Row]] = defaultdict(list)
        for row in conn.execute(select(table).order_by(table.c.id)).mappings():
            grouped[row["participant_id"]].append(row)
        return grouped

    def rows(self, table: Table, pid: int) -> list[Row]:
        """The rows of ``table`` for participant ``pid``, in the order they were added."""
        return self.tables[table.name].get(pid, [])


def _audit_record(parent: ET.Element, record: Record, snap: Snapshot, site: str) -> None:
    known = [snap.touches[r] for r in record.rows if r in snap.touches]
    if not known:
        return
    last = max(known, key=lambda t: t.position)
    node = _el(parent, "AuditRecord")
    _el(node, "UserRef", UserOID=_oid("USR", last.who))
    _el(node, "LocationRef", LocationOID=_oid("LOC", site))
    _el(node, "DateTimeStamp").text = last.at_utc
    if last.reason:
        _el(node, "ReasonForChange").text = _text(last.reason)


def _form_data(
    parent: ET.Element, form: OdmForm, records: Sequence[Record], snap: Snapshot, site: str
) -> None:
    if not records:
        return
    node = _el(parent, "FormData", FormOID=form.oid)
    for n, record in enumerate(records, start=1):
        key = record.repeat_key or (str(n) if form.repeating else None)
        group = _el(node, "ItemGroupData", ItemGroupOID=form.group_oid, ItemGroupRepeatKey=key)
        _audit_record(group, record, snap, site)
        for item in form.items:
            value = record.values.get(item.name)
            if value is not None:
                _el(group, "ItemData", ItemOID=form.item_oid(item.name), Value=odm_value(value))


def _records(form: OdmForm, table: Table, rows: Iterable[Row]) -> list[Record]:
    return [
        Record(
            row,
            ((table.name, row["id"]),),
            str(row[form.key_item]) if form.key_item else None,
        )
        for row in rows
    ]


def event_of(snap: Snapshot, subject: str, visit: str) -> tuple[str, str | None]:
    """The event OID of ``visit`` and its repeat key (a repeat visit's name), or a
    :class:`CaptureError` naming ``subject`` and a visit that is neither the protocol's
    nor a repeat visit."""
    scheduled = {v.name for v in snap.study.protocol.schedule.visits}
    if visit in scheduled:
        return _oid("SE", visit), None
    if drop_of(visit) is not None:
        return REPEAT_EVENT, visit
    raise CaptureError(
        f"subject {subject}: got records of visit {visit!r}, expected a visit of the "
        f"protocol's schedule ({', '.join(sorted(scheduled))}) or a repeat visit"
    )


def _visit_events(parent: ET.Element, snap: Snapshot, pid: int, subject: str, site: str) -> None:
    visit, measured, grip = snap.visit_forms
    by_visit: dict[str, dict[str, list[Record]]] = defaultdict(lambda: defaultdict(list))
    for row in snap.rows(visits, pid):
        by_visit[row["visit"]][visit.key].append(Record(row, (("visits", row["id"]),)))
    measures: dict[str, dict[str, Any]] = defaultdict(dict)
    hands: dict[tuple[str, str], dict[str, Any]] = defaultdict(dict)
    sources: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for row in snap.rows(assessments, pid):
        where = (row["visit"], row["side"])
        (hands[where] if row["side"] else measures[row["visit"]])[row["measure"]] = row["value"]
        sources[where].append(("assessments", row["id"]))
    for name, values in measures.items():
        by_visit[name][measured.key].append(Record(values, tuple(sources[name, ""])))
    for (name, side), values in sorted(hands.items()):
        record = Record({"side": side, **values}, tuple(sources[name, side]), side)
        by_visit[name][grip.key].append(record)
    order = [v.name for v in snap.study.protocol.schedule.visits]
    ranked = sorted(by_visit, key=lambda n: (order.index(n) if n in order else len(order), n))
    for name in ranked:
        oid, repeat = event_of(snap, subject, name)
        event = _el(parent, "StudyEventData", StudyEventOID=oid, StudyEventRepeatKey=repeat)
        for form in (visit, measured, grip):
            _form_data(event, form, by_visit[name][form.key], snap, site)


def _screening_event(parent: ET.Element, snap: Snapshot, entry: Row, site: str) -> None:
    """The screening log entry and, where assessed, the eligibility and its segments."""
    screening, assessed, studied = snap.screening_forms
    event = _el(parent, "StudyEventData", StudyEventOID=SCREENING_EVENT)
    _form_data(event, screening, [Record(entry, (("screening_log", entry["id"]),))], snap, site)
    row = snap.eligibility.get(entry["id"])
    if row is None:
        return
    source = (("eligibility", row["id"]),)
    findings = json.loads(row["findings_json"])
    answers = json.loads(row["exclusions_json"])
    values = {
        **findings["clinical"],
        **findings["supportive"],
        "sensory_conduction_normal": findings["sensory_conduction_normal"],
        **{f"{EXCLUSION}{name}": answer for name, answer in answers.items()},
        "assessed_on": row["assessed_on"],
        "category": row["category"],
        "eligible": row["eligible"],
    }
    _form_data(event, assessed, [Record(values, source)], snap, site)
    segments = [Record(segment, source) for segment in findings["segments"]]
    _form_data(event, studied, segments, snap, site)


def _screened(parent: ET.Element, snap: Snapshot, entry: Row) -> None:
    """A screened patient who was not randomized: the screening event only."""
    site = snap.site[entry["site_id"]]
    key = f"{SCREENED_KEY}.{site}.{entry['screening_id']}"
    node = _el(parent, "SubjectData", SubjectKey=key)
    _el(node, "SiteRef", LocationOID=_oid("LOC", site))
    _screening_event(node, snap, entry, site)


def _subject(parent: ET.Element, snap: Snapshot, person: Row, entry: Row) -> None:
    pid, subject = person["id"], person["subject"]
    site = snap.site[person["site_id"]]
    node = _el(parent, "SubjectData", SubjectKey=subject)
    _el(node, "SiteRef", LocationOID=_oid("LOC", site))
    _screening_event(node, snap, entry, site)
    enrolment = _el(node, "StudyEventData", StudyEventOID=ENROLMENT_EVENT)
    shown: dict[str, Any] = {"randomized_on": person["randomized_on"]}
    rows: list[tuple[str, int]] = [("participants", pid)]
    known = snap.demographics.get(person["screening_entry_id"])
    if known is not None:  # an older study's participant may have none: items left out
        shown.update(age_years=known["age_years"], sex=known["sex"])
        rows.append(("demographics", known["id"]))
    _form_data(enrolment, DEMOGRAPHICS, [Record(shown, tuple(rows))], snap, site)
    _visit_events(node, snap, pid, subject, site)
    logged = {
        INFUSIONS.key: _records(INFUSIONS, infusions, snap.rows(infusions, pid)),
        DOSE_DECISIONS.key: _records(
            DOSE_DECISIONS, dose_decisions, snap.rows(dose_decisions, pid)
        ),
        AE.key: _records(AE, adverse_events, snap.rows(adverse_events, pid)),
        LABS.key: _records(LABS, labs, snap.rows(labs, pid)),
        CONMEDS.key: _records(CONMEDS, conmeds, snap.rows(conmeds, pid)),
        DISPOSITION.key: _records(DISPOSITION, dispositions, snap.rows(dispositions, pid)),
    }
    if any(logged.values()):
        log = _el(node, "StudyEventData", StudyEventOID=LOG_EVENT)
        for form in LOG_FORMS:
            _form_data(log, form, logged[form.key], snap, site)


def _units(forms: Sequence[OdmForm]) -> dict[str, str]:
    units = dict.fromkeys(i.unit for f in forms for i in f.items if i.unit is not None)
    return {unit: f"MU.{n}" for n, unit in enumerate(units, start=1)}


def _metadata(study_node: ET.Element, snap: Snapshot) -> None:
    study = snap.study
    visit, measured, grip = snap.visit_forms
    screening = snap.screening_forms
    forms = (*screening, DEMOGRAPHICS, visit, measured, grip, *LOG_FORMS)
    units = _units(forms)
    basic = _el(study_node, "BasicDefinitions")
    for unit, oid in units.items():
        _translated(_el(basic, "MeasurementUnit", OID=oid, Name=unit), "Symbol", unit)
    mdv = _el(
        study_node,
        "MetaDataVersion",
        OID=MDV,
        Name=f"{study.protocol_name} (protocol content hash {study.protocol_hash[:16]})",
    )
    scheduled = [
        (_oid("SE", v.name), v.name, "Scheduled", "No") for v in study.protocol.schedule.visits
    ]
    events = [
        (SCREENING_EVENT, "Screening", "Common", "No", screening),
        (ENROLMENT_EVENT, "Enrolment", "Common", "No", (DEMOGRAPHICS,)),
        *((oid, name, kind, rep, (visit, measured, grip)) for oid, name, kind, rep in scheduled),
        (REPEAT_EVENT, "Repeat visit", "Unscheduled", "Yes", (visit, measured, grip)),
        (LOG_EVENT, "Logs", "Common", "No", LOG_FORMS),
    ]
    protocol = _el(mdv, "Protocol")
    for n, (oid, *_rest) in enumerate(events, start=1):
        _el(protocol, "StudyEventRef", StudyEventOID=oid, OrderNumber=str(n), Mandatory="No")
    for oid, name, kind, repeating, its_forms in events:
        event = _el(mdv, "StudyEventDef", OID=oid, Name=name, Repeating=repeating, Type=kind)
        for n, form in enumerate(its_forms, start=1):
            _el(event, "FormRef", FormOID=form.oid, OrderNumber=str(n), Mandatory="No")
    for form in forms:
        node = _el(mdv, "FormDef", OID=form.oid, Name=form.name, Repeating="No")
        _el(node, "ItemGroupRef", ItemGroupOID=form.group_oid, Mandatory="Yes")
    for form in forms:
        group = _el(
            mdv,
            "ItemGroupDef",
            OID=form.group_oid,
            Name=form.name,
            Repeating="Yes" if form.repeating else "No",
        )
        for n, item in enumerate(form.items, start=1):
            key = "1" if item.name == form.key_item else None
            _el(
                group,
                "ItemRef",
                ItemOID=form.item_oid(item.name),
                OrderNumber=str(n),
                Mandatory="No",
                KeySequence=key,
            )
    for form in forms:
        for item in form.items:
            node = _el(
                mdv,
                "ItemDef",
                OID=form.item_oid(item.name),
                Name=item.name,
                DataType=item.data_type,
            )
            _translated(node, "Question", item.label)
            if item.unit is not None:
                _el(node, "MeasurementUnitRef", MeasurementUnitOID=units[item.unit])
            if item.codes:
                _el(node, "CodeListRef", CodeListOID=form.code_list_oid(item.name))
    for form in forms:
        for item in form.items:
            if item.codes:
                codes = _el(
                    mdv,
                    "CodeList",
                    OID=form.code_list_oid(item.name),
                    Name=item.label,
                    DataType="text",
                )
                for code in item.codes:
                    _translated(_el(codes, "CodeListItem", CodedValue=code), "Decode", code)


def _admin(root: ET.Element, snap: Snapshot, study_oid: str, on: str) -> None:
    admin = _el(root, "AdminData", StudyOID=study_oid)
    for who in sorted({t.who for t in snap.touches.values()}):
        _el(_el(admin, "User", OID=_oid("USR", who)), "LoginName").text = _text(who)
    for code in sorted(snap.site.values()):
        location = _el(admin, "Location", OID=_oid("LOC", code), Name=code, LocationType="Site")
        _el(
            location,
            "MetaDataVersionRef",
            StudyOID=study_oid,
            MetaDataVersionOID=MDV,
            EffectiveDate=on,
        )


def odm_document(snap: Snapshot, head: Head, at_utc: str) -> ET.ElementTree:
    """The ODM document of ``snap``, read at ``at_utc`` with the audit trail at ``head``."""
    # ODM's namespace as the default one: elements unprefixed, as ODM readers expect.
    ET.register_namespace("", NS)
    study = snap.study
    study_oid = _oid("ST", study.protocol_name)
    root = ET.Element(
        f"{{{NS}}}ODM",
        {
            "FileType": "Snapshot",
            "FileOID": f"mmntrial.{study.protocol_name}.{head.count}",
            "CreationDateTime": at_utc,
            "ODMVersion": ODM_VERSION,
            "Granularity": "All",
            "Description": f"blinded snapshot; audit trail head {head}",
            "SourceSystem": "mmntrial",
            "SourceSystemVersion": mmntrial.__version__,
        },
    )
    study_node = _el(root, "Study", OID=study_oid)
    variables = _el(study_node, "GlobalVariables")
    _el(variables, "StudyName").text = study.protocol_name
    _el(variables, "StudyDescription").text = f"mmntrial study, protocol {study.protocol_name}"
    _el(variables, "ProtocolName").text = study.protocol_name
    _metadata(study_node, snap)
    _admin(root, snap, study_oid, at_utc[:10])
    clinical = _el(root, "ClinicalData", StudyOID=study_oid, MetaDataVersionOID=MDV)
    entries = {entry["id"]: entry for entry in snap.screened}
    for person in snap.people:
        _subject(clinical, snap, person, entries[person["screening_entry_id"]])
    randomized = {person["screening_entry_id"] for person in snap.people}
    for entry in snap.screened:
        if entry["id"] not in randomized:
            _screened(clinical, snap, entry)
    return ET.ElementTree(root)


def export_odm(database: Database, out: Path) -> tuple[Head, int]:
    """Write the study in ``database`` to ``out`` as ODM 1.3.2 XML, atomically; return
    the verified head of the audit trail it reflects and the number of participants (the
    screened patients not randomized are in the file besides)."""
    with database.read() as conn:
        study = load_study(conn)
        head = audit.check(conn)
        snap = Snapshot(conn, study)
    document = odm_document(snap, head, audit.now_utc())
    ET.indent(document)
    with replacing_file(out) as temporary:
        document.write(temporary, encoding="UTF-8", xml_declaration=True)
    return head, len(snap.people)
