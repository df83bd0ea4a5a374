"""A visit's assessment form in the app: MRC grades, scales, plausibility, audit."""

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

MUSCLES = (
    "shoulder_abduction", "elbow_flexion", "elbow_extension", "wrist_extension",
    "wrist_flexion", "finger_extension", "finger_flexion", "finger_abduction",
    "thumb_abduction", "ankle_dorsiflexion",
)  # fmt: skip
FORM = "/sites/AMC/participants/AMC-001/visits/M0/assessment"
API = "/api" + FORM


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A study nurse's client, participant AMC-001 randomized."""
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-A1")
        with TestClient(create_app(db, secret="test secret"), follow_redirects=False) as made:
            token = sign_in(made, "study_nurse_amc")
            made.headers["X-CSRF-Token"] = token
            done = made.post(f"/api/sites/AMC/screening/{entry}/randomize")
            assert done.status_code == 201, done.text
            yield made


def grades(value: str = "5", **change: str) -> dict[str, str]:
    """Every MRC grade of the form set to ``value``, some changed (``side__muscle``)."""
    typed = {f"mrc.{s}.{m}": value for s in ("left", "right") for m in MUSCLES}
    typed.update({f"mrc.{k.replace('__', '.')}": v for k, v in change.items()})
    return typed


def test_the_form_shows_the_sum_and_lists_missing_grades(client: TestClient) -> None:
    typed = grades(left__elbow_flexion="4-")
    del typed["mrc.right.thumb_abduction"]
    page = client.post(FORM, data={"csrf_token": client.headers["X-CSRF-Token"], **typed})
    assert page.status_code == 303
    shown = client.get(FORM).text
    assert "Sum of the grades entered: 94 of 100." in shown  # 4- is 4 without quarter steps
    assert "Missing grades: thumb abduction (right)." in shown
    # Muscles and scales in words, as the reports name them (the catalogue's labels).
    assert "<td>shoulder abduction</td>" in shown
    assert "GNDS upper limb (grade)" in shown
    whole = client.post(API, json={**grades(), "reason": "thumb graded after all"})
    assert whole.json() == {"mrc_sum": 100.0}
    assert "(MRC sum 100)" in client.get(FORM).text


def test_refused_values_are_422_naming_each_field(client: TestClient) -> None:
    typed = {**grades(left__wrist_flexion="7"), "value.gnds_upper": "9"}
    api = client.post(API, json=typed)
    assert api.status_code == 422
    message = api.json()["detail"][0]["message"]
    assert "mrc.left.wrist_flexion: " in message
    assert "value.gnds_upper: " in message
    page = client.post(FORM, data={"csrf_token": client.headers["X-CSRF-Token"], **typed})
    assert page.status_code == 422
    assert "mrc.left.wrist_flexion: " in html.unescape(page.text)
    unknown = client.post("/api/sites/AMC/participants/AMC-001/visits/M99/assessment", json={})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "visit"
    assert client.post(API, json=["not", "an", "object"]).status_code == 422
    assert client.post(API, json={}).json() == {}  # nothing typed, nothing saved


def test_an_unusual_value_is_saved_only_once_confirmed(
    client: TestClient, study: str | Path
) -> None:
    typed = {"value.anti_gm1_log2": "20", "value.gnds_upper": "2"}
    waiting = client.post(API, json=typed)
    assert waiting.status_code == 422
    assert waiting.json()["detail"] == [
        {
            "field": "value.anti_gm1_log2",
            "message": "value.anti_gm1_log2: 20 log2_steps is possible but outside the "
            "plausible range 0-16 log2_steps; confirm it or correct it",
            "needs_confirmation": True,
        }
    ]
    page = client.post(FORM, data={"csrf_token": client.headers["X-CSRF-Token"], **typed})
    assert page.status_code == 422
    assert 'name="confirm.anti_gm1_log2"' in page.text
    with Database.open(study) as db, db.read() as conn:
        trail = chain.read(conn, audit.CHAIN)
    assert [s for s in trail if s.entry.content.get("table") == "assessments"] == []
    saved = client.post(API, json={**typed, "confirm.anti_gm1_log2": "true"})
    assert saved.status_code == 201, saved.text
    assert saved.json() == {"anti_gm1_log2": 20.0, "gnds_upper": 2.0}


def test_a_change_needs_a_reason_and_is_audited(client: TestClient, study: str | Path) -> None:
    assert client.post(API, json={"value.gnds_lower": "1"}).status_code == 201
    silent = client.post(API, json={"value.gnds_lower": "2"})
    assert silent.status_code == 422
    assert silent.json()["detail"][0]["message"].startswith("reason: got None")
    why = "transcription error"
    changed = client.post(API, json={"value.gnds_lower": "2", "reason": why})
    assert changed.status_code == 201
    with Database.open(study) as db, db.read() as conn:
        audit.check(conn)
        trail = [s.entry for s in chain.read(conn, audit.CHAIN)]
    rows = [e for e in trail if e.content["table"] == "assessments"]
    assert [(e.who, e.content["changes"]["value"], e.content["reason"]) for e in rows] == [
        ("study_nurse_amc", [None, 1.0], None),
        ("study_nurse_amc", [1.0, 2.0], why),
    ]
