"""Adverse events in the app: each field named when refused, updates with a reason, audit."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of
from tests.storage.postgres import raw

PAGE = PARTICIPANT + "/adverse-events"
API = "/api" + PAGE
AE = {
    "term": "Headache",
    "onset_on": "2026-11-28",
    "grade": "2",
    "serious": "no",
    "related_to": "ivig",
    "action_taken": "none",
    "outcome": "recovering",
}


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def test_an_event_is_recorded_numbered_and_resolved_with_a_reason(
    client: TestClient, study: str | Path
) -> None:
    added = client.post(API, json=AE)
    assert added.status_code == 201, added.text
    assert added.json()["ae_id"] == "AE-001"
    token = client.headers["X-CSRF-Token"]
    page = client.post(PAGE, data={**AE, "term": "Rash", "csrf_token": token})
    assert page.status_code == 303, page.text
    record = added.json()["id"]
    resolve = {"resolved_on": "2026-11-30", "outcome": "recovered"}
    refused = client.post(f"{API}/{record}", json=resolve)
    assert refused.status_code == 422
    assert refused.json()["detail"][0]["field"] == "reason"
    done = client.post(f"{API}/{record}", json={**resolve, "reason": "headache gone"})
    assert done.status_code == 200, done.text
    assert done.json()["term"] == "Headache"
    regrade = client.post(
        f"{PAGE}/{record}",
        data={**AE, **resolve, "grade": "1", "reason": "regraded", "csrf_token": token},
    )
    assert regrade.status_code == 303
    listed = client.get(API).json()
    assert [(e["ae_id"], e["term"], e["grade"], e["resolved_on"]) for e in listed] == [
        ("AE-001", "Headache", 1, "2026-11-30"),
        ("AE-002", "Rash", 2, None),
    ]
    shown = client.get(f"{PAGE}?change={record}").text
    assert 'name="reason"' in shown
    listing = client.get(PAGE).text
    assert "Headache" in listing
    assert "<th>AE</th>" in listing  # a heading in words, not the column's name
    entries = trail_of(study, "adverse_events")
    assert [(e.kind, e.content["reason"]) for e in entries] == [
        ("insert", None),
        ("insert", None),
        ("update", "headache gone"),
        ("update", "regraded"),
    ]
    assert entries[2].content["changes"]["outcome"] == ["recovering", "recovered"]
    assert entries[3].content["changes"] == {"grade": [2, 1]}
    with pytest.raises(Exception, match="never deleted"):
        raw(study, "DELETE FROM adverse_events")


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"term": ""}, "term", "term: got '', expected 1 to 100 printable characters (required)"),
        ({"term": "a\nb"}, "term", "term: got 'a\\nb', expected 1 to 100"),
        ({"onset_on": "yesterday"}, "onset_on", "onset_on: got 'yesterday', expected a date"),
        ({"onset_on": "2026-12-05"}, "onset_on", "onset_on: got 2026-12-05, expected a date on"),
        ({"resolved_on": "2026-11-01"}, "resolved_on", "resolved_on: got 2026-11-01, expected"),
        ({"grade": "6"}, "grade", "grade: got '6', expected a whole number from 1 to 5"),
        ({"grade": "2.5"}, "grade", "grade: got '2.5'"),
        ({"grade": "5"}, "grade", "grade: got 5 with outcome 'recovering'"),
        ({"serious": "maybe"}, "serious", "serious: got 'maybe', expected yes or no"),
        ({"serious": ""}, "serious", "serious: got '', expected yes or no (required)"),
        ({"related_to": "mmf"}, "related_to", "related_to: got 'mmf', expected one of study_drug"),
        ({"action_taken": "halved"}, "action_taken", "action_taken: got 'halved'"),
        ({"outcome": "better"}, "outcome", "outcome: got 'better', expected one of recovered"),
        ({"outcome": "recovered"}, "resolved_on", "resolved_on: got none, expected the date"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    client: TestClient, change: dict[str, str], field: str, expected: str
) -> None:
    api = client.post(API, json={**AE, **change})
    assert api.status_code == 422
    (problem,) = api.json()["detail"]
    assert problem["field"] == field
    assert problem["message"].startswith(expected), problem
    page = client.post(PAGE, data={**AE, **change, "csrf_token": client.headers["X-CSRF-Token"]})
    assert page.status_code == 422
    assert expected in html.unescape(page.text)
    assert client.get(API).json() == []


def test_an_unknown_participant_or_record_is_a_404(client: TestClient) -> None:
    assert client.get("/api/sites/AMC/participants/NOBODY/adverse-events").status_code == 404
    missing = client.post(f"{API}/999", json={"grade": "1", "reason": "typo"})
    assert missing.status_code == 404
    assert missing.json()["detail"][0]["message"].startswith("record: got 999")
    huge = client.post(f"{API}/{2**63}", json={"grade": "1", "reason": "typo"})
    assert huge.status_code == 404
