"""Concomitant medications and the disposition in the app: fields, reasons, audit."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of

CONMEDS = "/api" + PARTICIPANT + "/conmeds"
DISPOSITION = "/api" + PARTICIPANT + "/disposition"
MED = {"medication": "Prednisolone", "started_on": "2026-11-01", "category": "prohibited"}
LEFT = {"status": "withdrawn", "last_on": "2026-12-01", "reason": "moved abroad"}


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def test_a_medication_is_stopped_with_a_reason(client: TestClient, study: str | Path) -> None:
    added = client.post(CONMEDS, json=MED)
    assert added.status_code == 201, added.text
    record = added.json()["id"]
    assert client.post(f"{CONMEDS}/{record}", json={"ended_on": "2026-11-20"}).status_code == 422
    stopped = client.post(
        f"{CONMEDS}/{record}", json={"ended_on": "2026-11-20", "reason": "stopped"}
    )
    assert stopped.json()["ended_on"] == "2026-11-20"
    assert "Prednisolone" in client.get(CONMEDS.removeprefix("/api")).text
    (update,) = [e for e in trail_of(study, "conmeds") if e.kind == "update"]
    assert update.content["changes"] == {"ended_on": [None, "2026-11-20"]}


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"medication": ""}, "medication", "medication: got '', expected 1 to 100"),
        ({"started_on": "1.11.2026"}, "started_on", "started_on: got '1.11.2026', expected a date"),
        ({"ended_on": "2026-10-01"}, "ended_on", "ended_on: got 2026-10-01, expected a date on"),
        ({"category": "banned"}, "category", "category: got 'banned', expected one of allowed"),
    ],
)
def test_a_bad_medication_field_is_named(
    client: TestClient, change: dict[str, str], field: str, expected: str
) -> None:
    api = client.post(CONMEDS, json={**MED, **change})
    assert api.status_code == 422
    (problem,) = api.json()["detail"]
    assert (problem["field"], problem["message"].startswith(expected)) == (field, True), problem
    token = client.headers["X-CSRF-Token"]
    page = client.post(CONMEDS.removeprefix("/api"), data={**MED, **change, "csrf_token": token})
    assert page.status_code == 422
    assert expected in html.unescape(page.text)


def test_a_disposition_is_one_per_participant_and_corrected_with_a_reason(
    client: TestClient, study: str | Path
) -> None:
    assert client.get(DISPOSITION).json() == []  # none: ongoing
    token = client.headers["X-CSRF-Token"]
    page = client.post(DISPOSITION.removeprefix("/api"), data={**LEFT, "csrf_token": token})
    assert page.status_code == 303, page.text
    second = client.post(DISPOSITION, json={"status": "completed", "last_on": "2026-12-01"})
    assert second.status_code == 422
    assert second.json()["detail"][0]["field"] == "status"
    (record,) = client.get(DISPOSITION).json()
    corrected = client.post(
        f"{DISPOSITION}/{record['id']}",
        json={"status": "lost_to_follow_up", "reason": "no contact since"},
    )
    assert corrected.status_code == 200, corrected.text
    (update,) = [e for e in trail_of(study, "dispositions") if e.kind == "update"]
    assert update.content["changes"] == {
        "reason": ["moved abroad", "no contact since"],
        "status": ["withdrawn", "lost_to_follow_up"],
    }


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"status": "ongoing"}, "status", "status: got 'ongoing', expected one of completed"),
        ({"last_on": "2026-11-30"}, "last_on", "last_on: got 2026-11-30, expected a date on or"),
        ({"last_on": "2026-12-02"}, "last_on", "last_on: got 2026-12-02, expected a date on or"),
        ({"reason": ""}, "reason", "reason: got none, expected why the participant left"),
    ],
)
def test_a_bad_disposition_field_is_named(
    client: TestClient, change: dict[str, str], field: str, expected: str
) -> None:
    api = client.post(DISPOSITION, json={**LEFT, **change})
    assert api.status_code == 422
    (problem,) = api.json()["detail"]
    assert (problem["field"], problem["message"].startswith(expected)) == (field, True), problem
    assert client.get(DISPOSITION).json() == []


def test_a_completed_participant_needs_no_reason(client: TestClient) -> None:
    done = client.post(DISPOSITION, json={"status": "completed", "last_on": "2026-12-01"})
    assert done.status_code == 201, done.text
    assert done.json()["reason"] is None
