"""The JSON twin of the SAE pages: the site's list with each clock status, one event
with its reports, the initial report and a follow-up, their refusals, and who may use
them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture.study import load_study
from mmntrial.storage import Database
from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of
from tests.capture.test_sae import AWARE, EVENTS, SERIOUS, Clock, _as, _serious

SAES = "/api/sites/AMC/saes"


def _sae(record: int) -> str:
    return f"/api{PARTICIPANT}/adverse-events/{record}/sae"


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr("mmntrial.capture.sae.utc_now", made)
    return made


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def _statuses(client: TestClient) -> dict[str, str]:
    listed = client.get(SAES)
    assert listed.status_code == 200, listed.text
    return {s["event"]["ae_id"]: s["status"] for s in listed.json()}


def _detail(answer: Any) -> dict[str, str]:
    (problem,) = answer.json()["detail"]
    assert isinstance(problem, dict)
    return problem


def test_the_site_list_gives_every_clock_status(client: TestClient, clock: Clock) -> None:
    on_time = _serious(client, aware_at_utc="2026-11-30 08:00")  # AE-001
    late = _serious(client, aware_at_utc="2026-11-30 08:00")  # AE-002
    _serious(client, aware_at_utc="2026-11-30 08:00")  # AE-003, never reported
    _serious(client)  # AE-004, no awareness moment
    clock.at = AWARE + timedelta(hours=23, minutes=59)
    assert client.post(_sae(on_time), json={"narrative": "Admitted."}).status_code == 201
    assert _statuses(client)["AE-003"] == "open"
    clock.at = AWARE + timedelta(hours=24, minutes=1)
    assert client.post(_sae(late), json={"narrative": "Admitted."}).status_code == 201
    assert _statuses(client) == {
        "AE-001": "on_time",
        "AE-002": "late",
        "AE-003": "overdue",
        "AE-004": "awareness_missing",
    }
    listed = client.get(SAES).json()
    # Those still to act on first, as the site's page lists them.
    assert [s["event"]["ae_id"] for s in listed][:2] in (["AE-003", "AE-004"], ["AE-004", "AE-003"])
    first = next(s for s in listed if s["event"]["ae_id"] == "AE-001")
    assert first["subject"] == "AMC-001"
    assert first["due_at_utc"] == "2026-12-01T08:00+00:00"
    assert [r["label"] for r in first["reports"]] == ["initial"]


def test_an_initial_report_and_a_follow_up_are_filed_read_and_audited(
    client: TestClient, clock: Clock, study: str | Path
) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    clock.at = AWARE + timedelta(hours=2)
    initial = client.post(_sae(record), json={"narrative": "Admitted with pneumonia."})
    assert initial.status_code == 201, initial.text
    assert initial.json() == {
        "label": "initial",
        "adverse_event_id": record,
        "sequence": 0,
        "narrative": "Admitted with pneumonia.",
        "reported_by": "study_nurse_amc",
        "reported_at_utc": "2026-11-30T10:00:00+00:00",
    }
    clock.at += timedelta(days=2)
    follow_up = client.post(_sae(record), json={"narrative": "Discharged home."})
    assert follow_up.status_code == 201
    assert follow_up.json()["label"] == "follow-up 1"
    read = client.get(_sae(record))
    assert read.status_code == 200
    shown = read.json()
    assert shown["status"] == "on_time"
    assert shown["event"]["aware_at_utc"] == "2026-11-30T08:00+00:00"
    assert [(r["sequence"], r["narrative"]) for r in shown["reports"]] == [
        (0, "Admitted with pneumonia."),
        (1, "Discharged home."),
    ]
    trail = trail_of(study, "sae_reports")
    assert [e.content["changes"]["sequence"][1] for e in trail] == [0, 1]


def test_refusals_name_their_field(client: TestClient, clock: Clock) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    for body in ({}, {"narrative": "  "}, {"narrative": "x" * 1001}):
        refused = client.post(_sae(record), json=body)
        assert refused.status_code == 422, body
        assert _detail(refused)["field"] == "narrative"
    unaware = _serious(client)
    refused = client.post(_sae(unaware), json={"narrative": "Admitted."})
    assert refused.status_code == 409
    assert _detail(refused)["field"] == "aware_at_utc"
    minor = client.post(EVENTS, json={**SERIOUS, "serious": "no", "grade": "1"}).json()["id"]
    for answer in (client.get(_sae(minor)), client.post(_sae(minor), json={"narrative": "x"})):
        assert answer.status_code == 409
        assert _detail(answer)["field"] == "serious"
    for missing in (client.get(_sae(9999)), client.post(_sae(9999), json={"narrative": "x"})):
        assert missing.status_code == 404
        assert _detail(missing)["field"] == "record"
    nobody = client.get(f"/api/sites/AMC/participants/AMC-999/adverse-events/{record}/sae")
    assert nobody.status_code == 404
    assert _detail(nobody)["field"] == "subject"
    assert client.get(SAES.replace("AMC", "UMCU")).status_code == 403
    # No refused request took a report.
    assert [r for s in client.get(SAES).json() for r in s["reports"]] == []


def test_the_roles_of_the_pages_may_use_it_and_only_the_site_may_report(
    client: TestClient, clock: Clock
) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    for user, reads, reports in (
        ("investigator_amc", 200, 201),
        ("data_manager", 200, 403),
        ("monitor", 200, 403),
        ("pharmacist", 403, 403),
        ("dsmb_statistician", 403, 403),
    ):
        _as(client, user)
        assert client.get(SAES).status_code == reads, user
        assert client.get(_sae(record)).status_code == reads, user
        filed = client.post(_sae(record), json={"narrative": f"By {user}."})
        assert filed.status_code == reports, user


def test_no_answer_names_an_arm(client: TestClient, clock: Clock, study: str | Path) -> None:
    with Database.open(study) as db, db.read() as conn:
        arms = load_study(conn).protocol.arms
    words = [w.lower() for arm in arms for w in (arm.name, arm.label)]
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    filed = client.post(_sae(record), json={"narrative": "Admitted."})
    for answer in (filed, client.get(SAES), client.get(_sae(record))):
        text = answer.text.lower()
        assert '"arm' not in text
        assert not [w for w in words if w in text], answer.text
