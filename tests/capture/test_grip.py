"""A visit's grip form in the app: best of three per hand, instrument and unit, audit."""

from __future__ import annotations

import html
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import audit
from mmntrial.capture.web import create_app
from mmntrial.storage import Database, chain
from tests.capture.trial_setup import TODAY, enrol_eligible, with_list
from tests.capture.web_client import sign_in
from tests.storage.postgres import raw

FORM = "/sites/AMC/participants/AMC-001/visits/M1/grip"
API = "/api" + FORM
TRIALS = {
    "instrument": "martin_vigorimeter",
    "unit": "kPa",
    "grip.left.trial1": "48",
    "grip.left.trial2": "52",
    "grip.left.trial3": "50",
    "grip.right.trial1": "41",
    "grip.right.trial2": "40",
}


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """A study nurse's client, participant AMC-001 randomized."""
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-G1")
        with TestClient(create_app(db, secret="test secret"), follow_redirects=False) as made:
            made.headers["X-CSRF-Token"] = sign_in(made, "study_nurse_amc")
            assert made.post(f"/api/sites/AMC/screening/{entry}/randomize").status_code == 201
            yield made


def test_the_best_trial_of_each_hand_is_one_row_per_side(
    client: TestClient, study: str | Path
) -> None:
    page = client.post(FORM, data={**TRIALS, "csrf_token": client.headers["X-CSRF-Token"]})
    assert page.status_code == 303, page.text
    rows = raw(
        study,
        "SELECT measure, side, value, detail_json FROM assessments WHERE visit = 'M1' "
        "ORDER BY side",
    )
    assert [(m, s, v) for m, s, v, _ in rows] == [
        ("grip_kpa", "left", 52.0),
        ("grip_kpa", "right", 41.0),
    ]
    assert json.loads(str(rows[0][3]))["trials"] == [48.0, 52.0, 50.0]
    saved = client.get(API).json()
    assert saved["right"]["detail"]["instrument"] == "martin_vigorimeter"
    shown = client.get(FORM).text
    assert "52" in shown
    # The measure and the instruments in words, not their identifiers.
    assert "<td>grip strength</td>" in shown
    assert ">martin vigorimeter</option>" in shown
    # The MRC and scales of the same visit are still one row each, beside the hands.
    assert client.post(
        API.replace("grip", "assessment"), json={"value.gnds_upper": "2"}
    ).json() == {"gnds_upper": 2.0}
    with pytest.raises(Exception, match="never deleted"):
        raw(study, "DELETE FROM assessments")


def test_changing_a_saved_hand_needs_a_reason_and_is_audited(
    client: TestClient, study: str | Path
) -> None:
    assert client.post(API, json=TRIALS).status_code == 201
    changed = {**TRIALS, "grip.left.trial2": "49"}
    refused = client.post(API, json=changed)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "reason"
    assert client.post(API, json={**changed, "reason": "trial 2 misread"}).json() == {
        "left": 50.0,
        "right": 41.0,
    }
    with Database.open(study) as db, db.read() as conn:
        audit.check(conn)
        trail = [s.entry for s in chain.read(conn, audit.CHAIN)]
    (update,) = [e for e in trail if e.kind == "update"]
    assert update.content["changes"]["value"] == [52.0, 50.0]
    assert update.content["reason"] == "trial 2 misread"


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"instrument": "jamar_dynamometer"}, "instrument", "instrument: got 'jamar_dynamometer'"),
        ({"instrument": ""}, "instrument", "expected 'martin_vigorimeter'"),
        ({"unit": "kg"}, "unit", "unit: got 'kg', expected the unit"),
        ({"unit": ""}, "unit", "unit: got ''"),
        ({"grip.left.trial1": "strong"}, "grip.left.trial1", "grip.left.trial1: got 'strong'"),
        ({"grip.right.trial2": "520"}, "grip.right.trial2", "grip.right.trial2: grip_kpa"),
        ({"grip.right.trial1": "-3"}, "grip.right.trial1", "grip.right.trial1: grip_kpa"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    client: TestClient, change: dict[str, str], field: str, expected: str
) -> None:
    api = client.post(API, json={**TRIALS, **change})
    assert api.status_code == 422
    (problem,) = api.json()["detail"]
    assert problem["field"] == field
    assert problem["message"].startswith(expected) or expected in problem["message"], problem
    page = client.post(
        FORM, data={**TRIALS, **change, "csrf_token": client.headers["X-CSRF-Token"]}
    )
    assert page.status_code == 422
    assert expected in html.unescape(page.text)
    assert client.get(API).json() == {}


def test_no_trial_and_a_visit_without_grip_are_refused(client: TestClient) -> None:
    empty = client.post(API, json={"instrument": "martin_vigorimeter", "unit": "kPa"})
    assert empty.json()["detail"][0]["field"] == "grip.left.trial1"
    unknown = client.post(API.replace("M1", "M99"), json=TRIALS)
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "visit"


def test_an_unusual_trial_is_saved_only_once_confirmed(client: TestClient) -> None:
    strong = {**TRIALS, "grip.left.trial3": "175"}
    waiting = client.post(API, json=strong)
    assert waiting.status_code == 422
    assert waiting.json()["detail"][0] == {
        "field": "grip.left.trial3",
        "message": waiting.json()["detail"][0]["message"],
        "needs_confirmation": True,
    }
    page = client.post(FORM, data={**strong, "csrf_token": client.headers["X-CSRF-Token"]})
    assert 'name="confirm.grip.left.trial3"' in page.text
    assert client.get(API).json() == {}
    saved = client.post(API, json={**strong, "confirm.grip.left.trial3": "true"})
    assert saved.json()["left"] == 175.0
    note = client.get(API).json()["left"]["detail"]["plausibility"]
    assert len(note) == 1
    assert note[0].endswith("(confirmed)")
