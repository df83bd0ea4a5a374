"""The study as CDISC ODM 1.3.2 XML (``mmntrial study odm``).

The file is validated against the ODM 1.3.2 schema that odmlib ships (CDISC's
ODM1-3-2.xsd with its imports), read with xmlschema, and read by odmlib's ODM 1.3.2
model with its own checks (element order, OIDs, references, metadata conformance). The
schema leaves the patterns of dates and datetimes commented out and checks no reference
between OIDs, so the tests check those here too: every reference resolves, every coded
value is in its code list, every value parses as its item's DataType. Blinding is
checked by searching the file for the arms' names, labels and drugs and the kit codes.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import xmlschema
from argon2 import PasswordHasher
from odmlib.loader import ODMLoader
from odmlib.odm_1_3_2.rules.metadata_schema import MetadataSchema
from odmlib.odm_loader import XMLODMLoader
from odmlib.oid_generator import create_oid_checker
from odmlib.schema_manager import get_schema_path
from sqlalchemy import Connection, select

from mmntrial.capture import adverse_events, allocation, audit, passwords, records
from mmntrial.capture.dataset_load import load_dataset
from mmntrial.capture.decisions import ACCEPTED, DEVIATION, Decision
from mmntrial.capture.odm_export import REPEAT_EVENT, event_of
from mmntrial.capture.tables import adverse_events as ae_table
from mmntrial.capture.tables import assessments, dose_decisions, participants
from mmntrial.errors import CaptureError
from mmntrial.protocol.loader import load_protocol
from mmntrial.randomization.slots import slots_of
from mmntrial.simulate.population import load_population
from mmntrial.simulate.trials.one_trial import simulate_one_trial
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD, WHO
from tests.capture.trial_setup import enrol_eligible, study_list
from tests.cli.running import run_main
from tests.storage.postgres import raw

ODM = "{http://www.cdisc.org/ns/odm/v1.3}"
TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(get_schema_path("odm", "1.3.2"))


@pytest.fixture(scope="module")
def trial(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small simulated trial of piepers-2007 loaded as a study (SQLite)."""
    protocol = load_protocol("piepers-2007")
    simulated = simulate_one_trial(
        protocol, load_population("mmn-default"), effect=0.5, seed=14, n_per_arm=4
    )
    path = tmp_path_factory.mktemp("odm") / "study.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(passwords, "_HASHER", PasswordHasher(time_cost=1, memory_cost=64))
        with Database.open(path) as database:
            load_dataset(database, simulated, protocol, "admin", PASSWORD, TODAY)
            with database.write() as conn:
                _decide(conn)
    return path


def _decide(conn: Connection) -> None:
    """Two dose decisions, as the engine panel stores them: one accepted, one overridden
    (a protocol deviation with its reason)."""
    first, second = conn.execute(
        select(participants.c.id).order_by(participants.c.id).limit(2)
    ).scalars()
    for pid, outcome, ordered, reason in (
        (first, ACCEPTED, 40.0, None),
        (second, DEVIATION, 35.0, "patient asked for a lower dose"),
    ):
        decision = Decision(TODAY, "reduce", 40.0, 40.0, 28.0, ordered, 28, outcome, reason,
                            WHO, "2026-12-01T09:30:00+00:00")  # fmt: skip
        audit.insert(conn, dose_decisions, {"participant_id": pid, **decision.values()}, WHO)


def odm_of(db: str | Path, out: Path) -> ET.Element:
    code, output = run_main(["study", "odm", "--db", str(db), "--out", str(out)])
    assert code == 0, output
    assert "(blinded)" in output
    return ET.parse(out).getroot()


@pytest.fixture(scope="module")
def written(trial: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("odm-out") / "study.xml"
    odm_of(trial, out)
    return out


def test_the_file_is_valid_against_the_odm_1_3_2_schema(
    written: Path, schema: xmlschema.XMLSchema
) -> None:
    errors = [f"{e.path}: {e.reason}" for e in schema.iter_errors(str(written))]
    assert errors == []
    root = ET.parse(written).getroot()
    assert root.get("ODMVersion") == "1.3.2"
    # The validator is live: the same file without an ItemData's required OID fails.
    next(root.iter(f"{ODM}ItemData")).attrib.pop("ItemOID")
    assert not schema.is_valid(ET.tostring(root, encoding="unicode"))


def test_odmlib_reads_the_file_and_finds_it_conformant(written: Path) -> None:
    # odmlib's own checks: its ODM 1.3.2 model (typed attributes), the order of elements,
    # unique OIDs and every reference to a definition (its Cerberus rules cover the
    # metadata only, so they run on the Study).
    loader = ODMLoader(XMLODMLoader(model_package="odm_1_3_2", ns_uri=ODM[1:-1]))
    loader.open_odm_document(str(written))
    odm = loader.load_odm()
    assert odm.validate(collect_errors=True, oid_checker=create_oid_checker("odm_1_3_2")) == []
    assert odm.Study[0].validate(collect_errors=True, conformance_checker=MetadataSchema()) == []
    odm.ClinicalData[0].SubjectData[0].StudyEventData[0].FormData[0].FormOID = "F.NONE"
    (error,) = odm.validate(collect_errors=True, oid_checker=create_oid_checker("odm_1_3_2"))
    assert "F.NONE" in str(error)


def _defined(root: ET.Element, tag: str) -> dict[str, ET.Element]:
    return {node.get("OID", ""): node for node in root.iter(f"{ODM}{tag}")}


def _parses(data_type: str, value: str) -> bool:
    parse = {
        "date": date.fromisoformat,
        "integer": int,
        "float": Decimal,
        "boolean": {"true": True, "false": False}.__getitem__,
        "datetime": datetime.fromisoformat,
        "text": str,
    }[data_type]
    try:
        parse(value)
    except (ValueError, KeyError, ArithmeticError):
        return False
    return True


def test_every_reference_resolves_and_every_value_fits_its_item(written: Path) -> None:
    # What the schema does not check: OID references, code lists and value formats.
    root = ET.parse(written).getroot()
    events, forms = _defined(root, "StudyEventDef"), _defined(root, "FormDef")
    groups, items = _defined(root, "ItemGroupDef"), _defined(root, "ItemDef")
    codes = {
        oid: {i.get("CodedValue") for i in node.iter(f"{ODM}CodeListItem")}
        for oid, node in _defined(root, "CodeList").items()
    }
    users, locations = _defined(root, "User"), _defined(root, "Location")
    checked = 0
    for event in root.iter(f"{ODM}StudyEventData"):
        allowed = {r.get("FormOID") for r in events[event.get("StudyEventOID", "")]}
        for form in event.iter(f"{ODM}FormData"):
            assert form.get("FormOID") in allowed
            group_oids = {r.get("ItemGroupOID") for r in forms[form.get("FormOID", "")]}
            for group in form.iter(f"{ODM}ItemGroupData"):
                assert group.get("ItemGroupOID") in group_oids
                item_oids = {r.get("ItemOID") for r in groups[group.get("ItemGroupOID", "")]}
                for data in group.iter(f"{ODM}ItemData"):
                    oid, value = data.get("ItemOID", ""), data.get("Value", "")
                    assert oid in item_oids
                    assert _parses(items[oid].get("DataType", ""), value), (oid, value)
                    coded = items[oid].find(f"{ODM}CodeListRef")
                    if coded is not None:
                        assert value in codes[coded.get("CodeListOID", "")], (oid, value)
                    checked += 1
    assert checked > 1000
    for record in root.iter(f"{ODM}AuditRecord"):
        assert record.find(f"{ODM}UserRef").get("UserOID") in users  # type: ignore[union-attr]
        assert record.find(f"{ODM}LocationRef").get("LocationOID") in locations  # type: ignore[union-attr]
        stamp = record.find(f"{ODM}DateTimeStamp")
        assert stamp is not None
        datetime.fromisoformat(stamp.text or "")


def test_the_file_holds_every_participant_and_record(trial: Path, written: Path) -> None:
    root = ET.parse(written).getroot()
    subjects = [s.get("SubjectKey") for s in root.iter(f"{ODM}SubjectData")]
    # The participants, then every screened patient not randomized (the screening log).
    not_randomized = raw(
        trial,
        "SELECT code, screening_id FROM screening_log JOIN sites ON sites.id = site_id "
        "WHERE screening_log.id NOT IN (SELECT screening_entry_id FROM participants) "
        "ORDER BY screening_log.id",
    )
    assert len(not_randomized) > 0
    assert subjects == [
        *(s for (s,) in raw(trial, "SELECT subject FROM participants ORDER BY id")),
        *(f"SCR.{site}.{entry}" for site, entry in not_randomized),
    ]

    def count(group: str) -> int:
        return sum(1 for g in root.iter(f"{ODM}ItemGroupData") if g.get("ItemGroupOID") == group)

    for group, table in (("IG.AE", "adverse_events"), ("IG.LB", "labs"), ("IG.CM", "conmeds"),
                         ("IG.INFUSIONS", "infusions"), ("IG.DS", "dispositions"),
                         ("IG.VISIT", "visits"), ("IG.DD", "dose_decisions"),
                         ("IG.SCR", "screening_log"), ("IG.EL", "eligibility")):  # fmt: skip
        assert count(group) == raw(trial, f"SELECT count(*) FROM {table}")[0][0], group
    assert min(count("IG.AE"), count("IG.DD"), count("IG.EL")) > 0
    segments = sum(
        len(json.loads(f)["segments"])
        for (f,) in raw(trial, "SELECT findings_json FROM eligibility")
    )
    assert count("IG.ELSEG") == segments > 0
    grades = sorted(
        int(d.get("Value", ""))
        for d in root.iter(f"{ODM}ItemData")
        if d.get("ItemOID") == "IT.AE.GRADE"
    )
    assert grades == sorted(g for (g,) in raw(trial, "SELECT grade FROM adverse_events"))


def _values(root: ET.Element, group: str) -> list[dict[str, str]]:
    return [
        {d.get("ItemOID", ""): d.get("Value", "") for d in g.iter(f"{ODM}ItemData")}
        for g in root.iter(f"{ODM}ItemGroupData")
        if g.get("ItemGroupOID") == group
    ]


def test_dose_decisions_screening_and_eligibility_hold_their_values(written: Path) -> None:
    root = ET.parse(written).getroot()
    decided = _values(root, "IG.DD")
    assert [d["IT.DD.OUTCOME"] for d in decided] == [ACCEPTED, DEVIATION]
    assert decided[1]["IT.DD.REASON"] == "patient asked for a lower dose"
    assert decided[1]["IT.DD.ORDERED_DOSE_G"] == "35"
    assert "IT.DD.REASON" not in decided[0]  # accepted: no reason, no empty value
    keys = [g.get("ItemGroupRepeatKey") for g in root.iter(f"{ODM}ItemGroupData")
            if g.get("ItemGroupOID") == "IG.DD"]  # fmt: skip
    assert keys == [TODAY.isoformat()] * 2
    screened = _values(root, "IG.SCR")
    excluded = [s for s in screened if s["IT.SCR.OUTCOME"] == "excluded"]
    assert excluded
    assert all("IT.SCR.EXCLUSION_CODE" in s for s in excluded)
    assessed = _values(root, "IG.EL")
    exclusions = load_protocol("piepers-2007").eligibility.exclusions
    for values in assessed:
        assert values["IT.EL.ELIGIBLE"] == "true"
        assert {f"IT.EL.EXCLUSION_{e.id.upper()}" for e in exclusions} <= set(values)
        assert values["IT.EL.CATEGORY"] in {"definite", "probable", "possible"}


def test_the_file_names_no_arm_and_no_kit(trial: Path, written: Path) -> None:
    text = written.read_text(encoding="utf-8")
    protocol = load_protocol("piepers-2007")
    secrets = {word for arm in protocol.arms for word in (arm.name, arm.label, arm.drug)}
    secrets |= {kit for (kit,) in raw(trial, "SELECT kit FROM participants")}
    assert len(secrets) > 8
    for secret in secrets:
        assert not re.search(rf"(?<!\w){re.escape(secret)}(?!\w)", text, re.I), secret


def test_a_change_shows_who_when_and_why_in_its_audit_record(
    study: str | Path, tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    # On SQLite and PostgreSQL: one participant with an adverse event, then corrected.
    with Database.open(study) as database:
        with database.write() as conn:
            key = study_list(conn)
            entry = enrol_eligible(conn, "AMC", "S1")
        ledger = allocation.open_ledger(database, slots_of(key), key)
        with database.write() as conn:
            subject = allocation.randomize(conn, ledger, "AMC", entry, WHO, TODAY).subject
            typed = {"term": "Headache", "onset_on": "2026-12-01", "grade": "2",
                     "serious": "no", "related_to": "ivig", "action_taken": "none",
                     "outcome": "recovering"}  # fmt: skip
            added = records.add(conn, adverse_events.FORM, "AMC", subject, typed, WHO, TODAY)
            audit.update(conn, ae_table, added["id"], {"grade": 3}, "dm-dora", "grade misread")
    out = tmp_path / "study.xml"
    root = odm_of(study, out)
    assert schema.is_valid(str(out))
    (group,) = [g for g in root.iter(f"{ODM}ItemGroupData") if g.get("ItemGroupOID") == "IG.AE"]
    assert group.get("ItemGroupRepeatKey") == "AE-001"
    record = group.find(f"{ODM}AuditRecord")
    assert record is not None
    assert record.find(f"{ODM}UserRef").get("UserOID") == "USR.dm-dora"  # type: ignore[union-attr]
    assert record.findtext(f"{ODM}ReasonForChange") == "grade misread"
    values = {d.get("ItemOID"): d.get("Value") for d in group.iter(f"{ODM}ItemData")}
    assert values["IT.AE.GRADE"] == "3"
    assert "IT.AE.RESOLVED_ON" not in values  # still going on: no value, not an empty one


def test_a_measure_the_schedule_does_not_list_keeps_its_value(
    study: str | Path, tmp_path: Path, schema: xmlschema.XMLSchema
) -> None:
    # A value of a measure outside the schedule (a study whose protocol dropped it) gets
    # an item of its own rather than being left out of the file.
    with Database.open(study) as database:
        with database.write() as conn:
            key = study_list(conn)
            entry = enrol_eligible(conn, "AMC", "S1")
        ledger = allocation.open_ledger(database, slots_of(key), key)
        with database.write() as conn:
            pid = allocation.randomize(conn, ledger, "AMC", entry, WHO, TODAY).subject
            (row,) = conn.execute(select(participants.c.id).where(participants.c.subject == pid))
            audit.insert(conn, assessments, {"participant_id": row.id, "visit": "M0",
                                             "measure": "onls_arm", "value": 2.0,
                                             "detail_json": "{}", "side": ""}, WHO)  # fmt: skip
    out = tmp_path / "study.xml"
    root = odm_of(study, out)
    assert schema.is_valid(str(out))
    assert "onls_arm" not in {m for v in load_protocol("piepers-2007").schedule.visits
                              for m in v.measures}  # fmt: skip
    (value,) = [d.get("Value") for d in root.iter(f"{ODM}ItemData")
                if d.get("ItemOID") == "IT.ASSESSMENTS.ONLS_ARM"]  # fmt: skip
    assert value == "2"


def test_a_tampered_audit_trail_writes_nothing(trial: Path, tmp_path: Path) -> None:
    copy = tmp_path / "study.db"
    copy.write_bytes(trial.read_bytes())
    raw(copy, "UPDATE adverse_events SET grade = 1 WHERE id = 1")
    out = tmp_path / "study.xml"
    code, output = run_main(["study", "odm", "--db", str(copy), "--out", str(out)])
    assert code == 2
    assert "adverse_events row 1 differs from its audit trail" in output
    assert not out.exists()


def test_a_visit_the_protocol_does_not_have_is_named() -> None:
    # A visit name outside the schedule (a study whose protocol lost a visit) has no
    # event in the file: the export names it rather than file it under another.
    snapshot = SimpleNamespace(study=SimpleNamespace(protocol=load_protocol("piepers-2007")))
    with pytest.raises(CaptureError, match=r"subject AMC-001: got records of visit 'M99'"):
        event_of(snapshot, "AMC-001", "M99")  # type: ignore[arg-type]
    assert event_of(snapshot, "AMC-001", "repeat-2026-11-30") == (  # type: ignore[arg-type]
        REPEAT_EVENT,
        "repeat-2026-11-30",
    )
