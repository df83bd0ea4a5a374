"""Visits in the app: the calendar of a participant, recording visits, overdue lists."""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import audit
from mmntrial.capture.web import create_app
from mmntrial.storage import Database, chain
from tests.capture.trial_setup import TODAY, enrol_eligible, with_list
from tests.capture.web_client import sign_in

DAY0 = TODAY
#: Day 75 of piepers-2007: M0, M1 and M2 (day 61 +/- 7) have closed, M3 (91 +/- 7) not.
LATER = DAY0 + timedelta(days=75)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> dict[str, date]:
    """The app's 'today', moved by the test."""
    now = {"today": DAY0}
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: now["today"])
    return now


@pytest.fixture
def client(study: str | Path, clock: dict[str, date]) -> Iterator[TestClient]:
    """A client of the study with participant AMC-001 randomized on DAY0; today is LATER."""
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-V1")
        app = create_app(db, secret="test secret")
        with TestClient(app, follow_redirects=False) as made:
            token = sign_in(made, "study_nurse_amc")
            done = made.post(
                f"/api/sites/AMC/screening/{entry}/randomize", headers={"X-CSRF-Token": token}
            )
            assert done.json()["subject"] == "AMC-001", done.text
            clock["today"] = LATER
            yield made


def _token(client: TestClient) -> str:
    return sign_in(client, "study_nurse_amc")


def test_the_calendar_shows_done_due_and_overdue_visits(client: TestClient) -> None:
    token = _token(client)
    path = "/sites/AMC/participants/AMC-001"
    first = {"csrf_token": token, "visit": "M0", "visited_on": DAY0.isoformat()}
    assert client.post(f"{path}/visits", data=first).status_code == 303
    late = {"visit": "M1", "visited_on": (DAY0 + timedelta(days=40)).isoformat()}
    api = client.post(
        "/api/sites/AMC/participants/AMC-001/visits", json=late, headers={"X-CSRF-Token": token}
    )
    assert api.status_code == 201, api.text
    calendar = client.get("/api/sites/AMC/participants/AMC-001/calendar").json()
    states = [(v["visit"], v["status"], v["days_outside_window"]) for v in calendar["visits"]]
    assert states[:4] == [("M0", "done", 0), ("M1", "done", 3), ("M2", "overdue", None),
                          ("M3", "upcoming", None)]  # fmt: skip
    assert calendar["visits"][2]["target"] == (DAY0 + timedelta(days=61)).isoformat()
    page = client.get(path)
    assert page.status_code == 200
    assert "3 days outside the window" in page.text
    assert client.get("/api/sites/AMC/overdue").json()[0] == {
        "subject": "AMC-001",
        "visit": "M2",
        "target": (DAY0 + timedelta(days=61)).isoformat(),
        "latest": (DAY0 + timedelta(days=68)).isoformat(),
    }
    # Cells, not bare names: a page's random CSRF token may hold "M0".
    assert "<td>M2</td>" in client.get("/sites/AMC/overdue").text
    assert "<td>M0</td>" not in client.get("/sites/AMC/overdue").text
    grid = client.get("/sites/AMC/visits").text
    assert 'href="/sites/AMC/participants/AMC-001"' in grid
    assert '<td class="overdue" title="target 2027-01-31">overdue</td>' in grid


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"visit": "M99", "visited_on": "2026-12-01"}, "visit: got 'M99'"),
        ({"visit": "M1", "visited_on": "1 Jan"}, "visited_on: got '1 Jan'"),
        ({"visit": "M1", "visited_on": "2026-11-30"}, "visited_on: got 2026-11-30"),
        ({"visit": "M1", "visited_on": "2099-01-01"}, "visited_on: got 2099-01-01"),
    ],
)
def test_a_bad_visit_is_refused_naming_the_field(
    client: TestClient, values: dict[str, str], field: str
) -> None:
    token = _token(client)
    form = client.post(
        "/sites/AMC/participants/AMC-001/visits", data={"csrf_token": token, **values}
    )
    assert form.status_code == 422
    assert field in html.unescape(form.text)
    api = client.post(
        "/api/sites/AMC/participants/AMC-001/visits", json=values, headers={"X-CSRF-Token": token}
    )
    assert api.status_code == 422
    assert field in api.json()["detail"][0]["message"]


def test_an_unknown_participant_is_404(client: TestClient) -> None:
    token = _token(client)
    assert client.get("/sites/AMC/participants/NOBODY").status_code == 404
    assert client.get("/api/sites/AMC/participants/NOBODY/calendar").status_code == 404
    missing = client.post(
        "/api/sites/AMC/participants/NOBODY/visits",
        json={"visit": "M0", "visited_on": DAY0.isoformat()},
        headers={"X-CSRF-Token": token},
    )
    assert missing.status_code == 404


def test_changing_a_recorded_date_needs_a_reason_and_is_audited(
    client: TestClient, study: str | Path
) -> None:
    token = _token(client)
    path = "/api/sites/AMC/participants/AMC-001/visits"
    headers = {"X-CSRF-Token": token}
    first = (DAY0 + timedelta(days=30)).isoformat()
    second = (DAY0 + timedelta(days=31)).isoformat()
    assert client.post(path, json={"visit": "M1", "visited_on": first}, headers=headers).is_success
    unexplained = client.post(path, json={"visit": "M1", "visited_on": second}, headers=headers)
    assert unexplained.status_code == 422
    assert unexplained.json()["detail"][0]["message"].startswith("reason: got ''")
    why = "typed the wrong day"
    changed = client.post(
        path, json={"visit": "M1", "visited_on": second, "reason": why}, headers=headers
    )
    assert changed.status_code == 201, changed.text
    with Database.open(study) as db, db.read() as conn:
        audit.check(conn)
        trail = [s.entry for s in chain.read(conn, audit.CHAIN)]
    visits = [e for e in trail if e.content["table"] == "visits"]
    assert [(e.who, e.content["changes"]["visited_on"], e.content["reason"]) for e in visits] == [
        ("study_nurse_amc", [None, first], None),
        ("study_nurse_amc", [first, second], why),
    ]
