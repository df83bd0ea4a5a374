"""The IVIg infusion log in the app: validation naming each field, confirmation, audit."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import audit
from mmntrial.capture.web import create_app
from mmntrial.storage import Database, chain
from tests.capture.trial_setup import TODAY, enrol_eligible, with_list
from tests.capture.web_client import sign_in

PAGE = "/sites/AMC/participants/AMC-001/infusions"
API = "/api" + PAGE
#: A baseline infusion three weeks before day 0 (TODAY).
GIVEN = {
    "given_on": "2026-11-10",
    "product": "Kiovig",
    "lot": "LE12A345",
    "route": "IV",
    "dose_g": "140",
    "weight_kg": "70",
    "interval_days": "28",
}


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A study nurse's client, participant AMC-001 randomized on TODAY."""
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-I1")
        with TestClient(create_app(db, secret="test secret"), follow_redirects=False) as made:
            made.headers["X-CSRF-Token"] = sign_in(made, "study_nurse_amc")
            assert made.post(f"/api/sites/AMC/screening/{entry}/randomize").status_code == 201
            yield made


def test_an_infusion_is_logged_with_its_study_day_and_audited(
    client: TestClient, study: str | Path
) -> None:
    added = client.post(API, json=GIVEN)
    assert added.status_code == 201, added.text
    token = client.headers["X-CSRF-Token"]
    form = {**GIVEN, "given_on": TODAY.isoformat(), "dose_g": "70", "csrf_token": token}
    assert client.post(PAGE, data=form).status_code == 303
    logged = client.get(API).json()
    assert [(i["given_on"], i["day"], i["dose_g"], i["lot"]) for i in logged] == [
        ("2026-11-10", -21, 140.0, "LE12A345"),
        ("2026-12-01", 0, 70.0, "LE12A345"),
    ]
    assert "Kiovig" in client.get(PAGE).text
    with Database.open(study) as db, db.read() as conn:
        audit.check(conn)
        trail = [s.entry for s in chain.read(conn, audit.CHAIN)]
    rows = [e for e in trail if e.content["table"] == "infusions"]
    assert [(e.who, e.content["changes"]["dose_g"]) for e in rows] == [
        ("study_nurse_amc", [None, 140.0]),
        ("study_nurse_amc", [None, 70.0]),
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"given_on": "10/11/2026"}, "given_on: got '10/11/2026', expected a date"),
        ({"given_on": "2026-12-02"}, "given_on: got 2026-12-02, expected a date on or before"),
        ({"product": ""}, "product: got '', expected 1 to 100"),
        ({"lot": "x" * 101}, "lot: got 'xxx"),
        ({"route": "oral"}, "route: got 'oral', expected IV or SC"),
        ({"dose_g": "lots"}, "dose_g: got 'lots', expected grams given"),
        ({"dose_g": "400"}, "dose_g: got 400.0, expected 0 to 210 g (3 g/kg at 70 kg)"),
        ({"weight_kg": "7000"}, "weight_kg: weight_kg: got 7000.0"),
        ({"interval_days": "2.5"}, "interval_days: got '2.5', expected whole days"),
        ({"interval_days": "0"}, "interval_days: got 0, expected whole days from 1 to 365"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    client: TestClient, change: dict[str, str], expected: str
) -> None:
    api = client.post(API, json={**GIVEN, **change})
    assert api.status_code == 422
    (problem,) = api.json()["detail"]
    assert problem["field"] == next(iter(change))
    assert problem["message"].startswith(expected), problem
    page = client.post(PAGE, data={**GIVEN, **change, "csrf_token": client.headers["X-CSRF-Token"]})
    assert page.status_code == 422
    assert expected in html.unescape(page.text)
    assert client.get(API).json() == []


def test_an_unusual_weight_and_a_second_infusion_a_day(client: TestClient) -> None:
    heavy = {**GIVEN, "weight_kg": "190"}
    waiting = client.post(API, json=heavy)
    assert waiting.status_code == 422
    assert waiting.json()["detail"][0]["needs_confirmation"] is True
    page = client.post(PAGE, data={**heavy, "csrf_token": client.headers["X-CSRF-Token"]})
    assert 'name="confirm_weight"' in page.text
    assert client.get(API).json() == []
    assert client.post(API, json={**heavy, "confirm_weight": "true"}).status_code == 201
    again = client.post(API, json=GIVEN)
    assert again.status_code == 422
    assert "one infusion a day" in again.json()["detail"][0]["message"]
    assert client.get("/api/sites/AMC/participants/NOBODY/infusions").status_code == 404


def test_a_correction_needs_a_reason_and_keeps_old_and_new_in_the_trail(
    client: TestClient, study: str | Path
) -> None:
    assert client.post(API, json=GIVEN).status_code == 201
    one = f"{API}/2026-11-10"
    unexplained = client.post(one, json={"lot": "LE12A346"})
    assert unexplained.status_code == 422
    assert unexplained.json()["detail"][0]["field"] == "reason"
    bad = client.post(one, json={"dose_g": "400", "reason": "typo"})
    assert bad.json()["detail"][0]["field"] == "dose_g"
    fixed = client.post(one, json={"lot": "LE12A346", "reason": "lot misread from the vial"})
    assert fixed.status_code == 200, fixed.text
    assert (fixed.json()["lot"], fixed.json()["dose_g"]) == ("LE12A346", 140.0)
    token = client.headers["X-CSRF-Token"]
    shown = client.get(f"{PAGE}?correct=2026-11-10").text
    assert 'name="reason"' in shown
    assert 'value="LE12A346"' in shown
    moved = client.post(
        f"{PAGE}/2026-11-10",
        data={
            **GIVEN,
            "lot": "LE12A346",
            "given_on": "2026-11-11",
            "reason": "date",
            "csrf_token": token,
        },
    )
    assert moved.status_code == 303, moved.text
    assert [i["given_on"] for i in client.get(API).json()] == ["2026-11-11"]
    assert client.post(f"{API}/2026-11-10", json={"reason": "x"}).status_code == 404
    with Database.open(study) as db, db.read() as conn:
        audit.check(conn)
        trail = [s.entry for s in chain.read(conn, audit.CHAIN)]
    updates = [e.content for e in trail if e.content["table"] == "infusions" and e.kind == "update"]
    assert [(u["changes"], u["reason"]) for u in updates] == [
        ({"lot": ["LE12A345", "LE12A346"]}, "lot misread from the vial"),
        ({"given_on": ["2026-11-10", "2026-11-11"]}, "date"),
    ]


def test_a_correction_onto_another_infusion_day_is_refused(client: TestClient) -> None:
    assert client.post(API, json=GIVEN).status_code == 201
    assert client.post(API, json={**GIVEN, "given_on": "2026-11-24"}).status_code == 201
    clash = client.post(f"{API}/2026-11-24", json={"given_on": "2026-11-10", "reason": "date"})
    assert clash.status_code == 422
    assert "one infusion a day" in clash.json()["detail"][0]["message"]
    heavy = client.post(
        API, json={**GIVEN, "given_on": "2026-11-01", "weight_kg": "190", "confirm_weight": "true"}
    )
    assert heavy.status_code == 201
    # The weight confirmed when logged stays confirmed while another field is corrected.
    lot = client.post(f"{API}/2026-11-01", json={"lot": "B2", "reason": "lot"})
    assert lot.status_code == 200, lot.text
