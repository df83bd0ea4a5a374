"""Serious adverse events in the app: the awareness moment, the 24-hour clock at its
edges, initial report and numbered follow-ups (audited), the site's and the
participant's lists, and the expedited report as a blinded PDF."""

from __future__ import annotations

import html
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.report.pdf import pdf_unavailable_reason
from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of
from tests.capture.web_client import sign_in

EVENTS = "/api" + PARTICIPANT + "/adverse-events"
AWARE = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
SERIOUS = {
    "term": "Pneumonia",
    "onset_on": "2026-11-29",
    "grade": "3",
    "serious": "yes",
    "related_to": "study_drug",
    "action_taken": "interrupted",
    "outcome": "recovering",
}


class Clock:
    """The SAE routes' "now", moved by the test."""

    def __init__(self) -> None:
        self.at = AWARE

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    made = Clock()
    monkeypatch.setattr("mmntrial.capture.sae.utc_now", made)
    return made


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def _serious(client: TestClient, **fields: str) -> int:
    added = client.post(EVENTS, json={**SERIOUS, **fields})
    assert added.status_code == 201, added.text
    record: int = added.json()["id"]
    return record


def _report(client: TestClient, record: int, narrative: str) -> int:
    token = client.headers["X-CSRF-Token"]
    path = f"{PARTICIPANT}/adverse-events/{record}/sae"
    return client.post(path, data={"narrative": narrative, "csrf_token": token}).status_code


def _as(client: TestClient, user: str) -> None:
    """Sign ``client`` in again as ``user`` (a new session and its token)."""
    client.cookies.clear()
    del client.headers["X-CSRF-Token"]
    client.headers["X-CSRF-Token"] = sign_in(client, user)


def _site(client: TestClient) -> str:
    return html.unescape(client.get("/sites/AMC/saes").text)


def test_awareness_is_stored_in_utc_and_only_for_a_serious_event(client: TestClient) -> None:
    added = client.post(EVENTS, json={**SERIOUS, "aware_at_utc": "2026-11-30 09:00+01:00"})
    assert added.json()["aware_at_utc"] == "2026-11-30T08:00+00:00"
    for fields, expected in (
        ({"serious": "no", "aware_at_utc": "2026-11-30 08:00"}, "that is not serious"),
        ({"aware_at_utc": "30.11.2026 8h"}, "expected a date and time as YYYY-MM-DD HH:MM"),
        ({"aware_at_utc": "2026-12-02 08:00"}, "expected a moment from the onset"),
        ({"aware_at_utc": "2026-11-28 08:00"}, "expected a moment from the onset"),
    ):
        refused = client.post(EVENTS, json={**SERIOUS, **fields})
        assert refused.status_code == 422, fields
        (problem,) = refused.json()["detail"]
        assert problem["field"] == "aware_at_utc"
        assert expected in problem["message"]


@pytest.mark.parametrize(
    ("after", "status"),
    [(timedelta(hours=23, minutes=59), "on time"), (timedelta(hours=24, minutes=1), "late")],
)
def test_the_initial_report_is_late_only_after_24_hours(
    client: TestClient, clock: Clock, after: timedelta, status: str
) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    clock.at = AWARE + after
    assert _report(client, record, "Admitted to hospital with pneumonia.") == 303
    listed = _site(client)
    assert f"<td>{status}</td>" in listed
    assert "2026-12-01T08:00+00:00" in listed  # due 24 h after awareness


def test_an_unreported_sae_is_open_then_overdue_on_the_site_and_participant_pages(
    client: TestClient, clock: Clock
) -> None:
    _serious(client, aware_at_utc="2026-11-30 08:00")
    clock.at = AWARE + timedelta(hours=23, minutes=59)
    assert "<td>open</td>" in _site(client)
    assert "<td>open</td>" in client.get(PARTICIPANT).text
    clock.at = AWARE + timedelta(hours=24, minutes=1)
    assert "<td>overdue</td>" in _site(client)
    page = html.unescape(client.get(PARTICIPANT).text)
    assert "Serious adverse events" in page
    assert "<td>overdue</td>" in page


def test_follow_ups_are_numbered_and_audited(
    client: TestClient, clock: Clock, study: str | Path
) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    clock.at = AWARE + timedelta(hours=2)
    for narrative in ("Admitted.", "Antibiotics started.", "Discharged home."):
        assert _report(client, record, narrative) == 303
        clock.at += timedelta(hours=1)
    listing = client.get(f"{PARTICIPANT}/adverse-events").text
    assert f'href="{PARTICIPANT}/adverse-events/{record}/sae"' in listing
    page = html.unescape(client.get(f"{PARTICIPANT}/adverse-events/{record}/sae").text)
    assert page.index("initial") < page.index("follow-up 1") < page.index("follow-up 2")
    assert "Add follow-up 3" in page
    trail = trail_of(study, "sae_reports")
    assert [e.content["changes"]["sequence"][1] for e in trail] == [0, 1, 2]
    assert trail[0].content["changes"]["reported_at_utc"][1] == "2026-11-30T10:00:00+00:00"
    assert _report(client, record, " ") == 422


def test_without_awareness_the_clock_does_not_run_and_no_report_is_taken(
    client: TestClient, clock: Clock
) -> None:
    record = _serious(client)
    assert "<td>awareness missing</td>" in _site(client)
    assert _report(client, record, "Admitted.") == 409
    minor = _serious(client, serious="no", grade="1")
    assert client.get(f"{PARTICIPANT}/adverse-events/{minor}/sae").status_code == 409


def test_the_expedited_report_is_for_the_investigator_and_the_data_manager(
    client: TestClient, clock: Clock
) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    clock.at = AWARE + timedelta(hours=3)
    assert _report(client, record, "Admitted with pneumonia.") == 303
    pdf = f"{PARTICIPANT}/adverse-events/{record}/sae.pdf"
    assert client.get(pdf).status_code == 403  # the study nurse
    for user in ("investigator_amc", "data_manager", "monitor"):
        _as(client, user)
        answer = client.get(pdf)
        assert answer.status_code == (403 if user == "monitor" else 200), user


@pytest.mark.skipif(pdf_unavailable_reason() is not None, reason="no PDF here")
@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="no pdftotext to read the PDF")
def test_the_pdf_holds_the_event_the_clock_and_the_reports_and_no_arm(
    client: TestClient, clock: Clock, tmp_path: Path
) -> None:
    record = _serious(client, aware_at_utc="2026-11-30 08:00")
    clock.at = AWARE + timedelta(hours=3)
    assert _report(client, record, "Admitted with pneumonia.") == 303
    clock.at += timedelta(days=1)
    assert _report(client, record, "Discharged home.") == 303
    _as(client, "investigator_amc")
    answer = client.get(f"{PARTICIPANT}/adverse-events/{record}/sae.pdf")
    assert answer.headers["content-type"] == "application/pdf"
    path = tmp_path / "sae.pdf"
    path.write_bytes(answer.content)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    text = " ".join(text.split())  # the layout wraps long cells
    for expected in (
        "Expedited serious adverse event report",
        "AMC-001",
        "AE-001",
        "Pneumonia",
        "2026-11-30T08:00+00:00",
        "2026-12-01T08:00+00:00",
        "on time",
        "Admitted with pneumonia.",
        "Follow-up 1",
        "Discharged home.",
    ):
        assert expected in text, expected
    assert "mmf" not in text.lower()
    assert "placebo" not in text.lower()
