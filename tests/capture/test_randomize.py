"""Randomization in the app: through the ledger, blinded, and emergency unblinding."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from mmntrial.capture import audit
from mmntrial.capture.allocation import check_list, strata_of
from mmntrial.capture.eligibility import checked_assessment
from mmntrial.capture.eligibility import record as eligibility_record
from mmntrial.capture.permissions import Role
from mmntrial.capture.study import load_study
from mmntrial.capture.web import SESSION_COOKIE, create_app
from mmntrial.errors import CaptureError
from mmntrial.protocol.loader import load_protocol
from mmntrial.randomization.design import make_design
from mmntrial.randomization.lists import AllocationList, generate
from mmntrial.randomization.slots import slots_of
from mmntrial.randomization.store import allocations, unblindings
from mmntrial.storage import Database, chain
from tests.capture.conftest import SITES
from tests.capture.trial_setup import (
    SCREENED,
    TODAY,
    assessment,
    enrol,
    enrol_eligible,
    with_list,
)
from tests.capture.web_client import sign_in

BLINDED = [r for r in Role if r not in (Role.PHARMACIST, Role.DSMB_STATISTICIAN)]


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The study's 'today', so that screening dates of the setup stay in the past."""
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)


@contextmanager
def keyed_client(target: str | Path, key: AllocationList | None) -> Iterator[TestClient]:
    """A client of the app holding ``key`` (the sealed list) in memory."""
    with Database.open(target) as database:
        app = create_app(database, secret="test secret", key=key)
        with TestClient(app, follow_redirects=False) as client:
            yield client


def _entries(target: str | Path, eligible: int, site: str = "AMC") -> list[int]:
    with Database.open(target) as db, db.write() as conn:
        return [enrol_eligible(conn, site, f"SCR-{site}-{n}") for n in range(eligible)]


def _post(client: TestClient, path: str, token: str, body: object = None) -> Response:
    return client.post(path, json=body or {}, headers={"X-CSRF-Token": token})


def test_an_eligible_patient_becomes_a_participant_through_the_ledger(study: str | Path) -> None:
    key = with_list(study)
    first, second = _entries(study, 2)
    with keyed_client(study, key) as client:
        token = sign_in(client, "study_nurse_amc")
        made = _post(client, f"/api/sites/AMC/screening/{first}/randomize", token)
        assert made.status_code == 201, made.text
        again = _post(client, f"/api/sites/AMC/screening/{first}/randomize", token)
        other = _post(client, f"/api/sites/AMC/screening/{second}/randomize", token).json()
    expected = [row.kit for row in key.slots("centre=AMC")[:2]]
    assert made.json() == {
        "subject": "AMC-001",
        "site": "AMC",
        "randomized_on": TODAY.isoformat(),
        "day0": TODAY.isoformat(),
        "kit": expected[0],
        "screening_entry_id": first,
    }
    assert again.status_code == 409
    assert "randomized already as AMC-001" in again.text
    assert (other["subject"], other["kit"]) == ("AMC-002", expected[1])
    with Database.open(study) as db, db.read() as conn:
        ledger = conn.execute(allocations.select().order_by(allocations.c.id)).mappings().all()
        audit.check(conn)
    assert [(r["subject"], r["stratum"], r["seq"], r["allocated_by"]) for r in ledger] == [
        ("AMC-001", "centre=AMC", 1, "study_nurse_amc"),
        ("AMC-002", "centre=AMC", 2, "study_nurse_amc"),
    ]


def test_randomization_needs_an_eligible_patient_and_a_list(study: str | Path) -> None:
    with Database.open(study) as db, db.write() as conn:
        unassessed = enrol(conn, "AMC", "SCR-NEW")
    (eligible,) = _entries(study, 1)
    with keyed_client(study, None) as client:
        token = sign_in(client, "investigator_amc")
        no_list = _post(client, f"/api/sites/AMC/screening/{eligible}/randomize", token)
        assert no_list.status_code == 422
        assert "mmntrial study list --db DB --slots" in no_list.text
    with_list(study)
    with keyed_client(study, None) as client:
        token = sign_in(client, "investigator_amc")
        refused = _post(client, f"/api/sites/AMC/screening/{unassessed}/randomize", token)
        assert refused.status_code == 422
        assert "no eligibility assessment, expected a patient assessed eligible" in refused.text
        elsewhere = _post(client, f"/api/sites/UMCU/screening/{eligible}/randomize", token)
        assert elsewhere.status_code == 403
        # Without the key the app still randomizes: the slots file is all it needs.
        assert _post(client, f"/api/sites/AMC/screening/{eligible}/randomize", token).is_success


def _arm_words(key: AllocationList, study: str | Path) -> list[str]:
    with Database.open(study) as db, db.read() as conn:
        protocol = load_study(conn).protocol
    return [w for arm in protocol.arms for w in (arm.name, arm.label)] + list(key.design.arms)


def _session_data(set_cookie: str) -> str:
    """The data a Set-Cookie header carries: a session cookie's JSON payload (Starlette
    signs base64 JSON as ``payload.timestamp.signature``), any other cookie as it is."""
    name, _, rest = set_cookie.partition("=")
    value = rest.split(";", 1)[0]
    if name.strip() != SESSION_COOKIE or "." not in value:
        return set_cookie
    payload = value.split(".", 1)[0]
    return base64.b64decode(payload + "=" * (-len(payload) % 4)).decode("utf-8")


def test_emergency_unblinding_shows_the_arm_once_and_records_it(study: str | Path) -> None:
    key = with_list(study)
    (entry,) = _entries(study, 1)
    path = "/sites/AMC/participants/AMC-001/unblind"
    with keyed_client(study, key) as client:
        token = sign_in(client, "investigator_amc")
        assert _post(client, f"/api/sites/AMC/screening/{entry}/randomize", token).is_success
        no_reason = client.post(path, data={"csrf_token": token, "reason": " "})
        assert no_reason.status_code == 422
        assert "reason: got" in no_reason.text
        shown = client.post(path, data={"csrf_token": token, "reason": "SUSAR: needs the arm"})
        participants = client.get("/sites/AMC/participants").text
        client.cookies.clear()
        nurse_token = sign_in(client, "study_nurse_amc")
        nurse = client.post(path, data={"csrf_token": nurse_token, "reason": "curious"})
    arm = key.slots("centre=AMC")[0].arm
    assert arm is not None
    assert shown.status_code == 200
    assert f"<code>{arm}</code>" in shown.text
    assert shown.headers["cache-control"] == "no-store"
    assert arm not in participants
    assert nurse.status_code == 403
    with Database.open(study) as db, db.read() as conn:
        recorded = conn.execute(unblindings.select()).mappings().all()
        audit.check(conn)
        trail = [s.entry for s in chain.read(conn, audit.CHAIN)]
    assert [(r["subject"], r["revealed_by"], r["reason"]) for r in recorded] == [
        ("AMC-001", "investigator_amc", "SUSAR: needs the arm")
    ]
    entry_of = [e for e in trail if e.content["table"] == "emergency_unblindings"]
    assert len(entry_of) == 1
    assert entry_of[0].who == "investigator_amc"
    assert arm not in str(entry_of[0].content)


def test_unblinding_needs_the_key_and_the_investigators_own_site(study: str | Path) -> None:
    with_list(study)
    (entry,) = _entries(study, 1)
    with keyed_client(study, None) as client:
        token = sign_in(client, "investigator_amc")
        assert _post(client, f"/api/sites/AMC/screening/{entry}/randomize", token).is_success
        answer = _post(
            client, "/api/sites/AMC/participants/AMC-001/unblind", token, {"reason": "x"}
        )
    assert answer.status_code == 422
    assert "mmntrial serve --key" in answer.text
    assert SITES == ("AMC", "UMCU")


def test_strata_come_from_the_site_and_the_recorded_anti_gm1() -> None:
    arms = [("mmf", 1), ("placebo", 1)]
    levels = {"centre": ["AMC", "UMCU"], "anti_gm1": ["positive", "negative"]}
    design = make_design("stratified_blocks", arms, block_sizes=[2], factors=levels)
    listed = slots_of(generate(design, 2, seed=5))
    findings = assessment()
    assert strata_of(listed, "UMCU", findings) == {"centre": "UMCU", "anti_gm1": "positive"}
    findings["supportive"]["anti_gm1"] = False
    assert strata_of(listed, "AMC", findings)["anti_gm1"] == "negative"
    unknown = make_design("stratified_blocks", arms, block_sizes=[2], factors={"age": ["old"]})
    with pytest.raises(CaptureError, match="got the factor 'age', expected factors the app"):
        check_list(slots_of(generate(unknown, 2, seed=5)), load_protocol("piepers-2007"), ["AMC"])


def test_an_unblinding_without_a_reason_names_the_reason_field(study: str | Path) -> None:
    # Found by tests/capture/test_bad_input_routes.py: the 422 named the field "body"
    # while its message was about "reason".
    key = with_list(study)
    (entry,) = _entries(study, 1)
    with keyed_client(study, key) as client:
        token = sign_in(client, "investigator_amc")
        assert _post(client, f"/api/sites/AMC/screening/{entry}/randomize", token).is_success
        answer = _post(client, "/api/sites/AMC/participants/AMC-001/unblind", token, {"x": 1})
    assert answer.status_code == 422
    [problem] = answer.json()["detail"]
    assert problem["field"] == "reason"
    assert problem["message"].startswith("reason: got ")


def test_randomization_refuses_a_patient_without_age_and_sex(study: str | Path) -> None:
    # An assessment saved before the form asked for age and sex: the export needs them,
    # so the patient is not randomized until they are recorded.
    with_list(study)
    with Database.open(study) as db, db.write() as conn:
        entry = enrol(conn, "AMC", "SCR-OLD")
        checked = checked_assessment(
            assessment(), load_study(conn).protocol, date.fromisoformat(SCREENED), TODAY
        )
        eligibility_record(conn, entry, checked, "investigator_amc", None)
    with keyed_client(study, None) as client:
        token = sign_in(client, "investigator_amc")
        api = _post(client, f"/api/sites/AMC/screening/{entry}/randomize", token)
        page = client.post(f"/sites/AMC/screening/{entry}/randomize", data={"csrf_token": token})
        shown = client.get(f"/sites/AMC/screening/{entry}/eligibility").text
    assert api.status_code == 422
    [problem] = api.json()["detail"]
    assert problem["field"] == "age_years"
    assert "expected the age and sex recorded with the eligibility assessment" in problem["message"]
    assert page.status_code == 422
    assert "age_years: got none" in page.text
    assert "Age and sex not recorded" in shown
    with Database.open(study) as db, db.read() as conn:
        assert conn.execute(allocations.select()).first() is None
