"""Queries and record locks: who does each step, what is refused, the audit trail."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import audit
from mmntrial.capture.permissions import Role
from mmntrial.capture.review import field_labels
from mmntrial.capture.reviewed import NOT_DATA, REVIEWED
from mmntrial.capture.tables import conmeds
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD, user_for
from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of
from tests.capture.test_assessments import grades
from tests.capture.trial_setup import TODAY
from tests.capture.web_client import sign_in

API = "/api" + PARTICIPANT
QUERIES = "/api/sites/AMC/queries"
MED = {"medication": "Prednisolone", "started_on": "2026-11-01", "category": "prohibited"}


@contextmanager
def _as(nurse: TestClient, role: Role) -> Iterator[TestClient]:
    """Another user's client of the same app, its CSRF token in ``X-CSRF-Token``."""
    with TestClient(nurse.app, follow_redirects=False) as other:
        other.headers["X-CSRF-Token"] = sign_in(other, user_for(role))
        yield other


@pytest.fixture
def nurse(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def _medication(nurse: TestClient) -> int:
    added = nurse.post(API + "/conmeds", json=MED)
    assert added.status_code == 201, added.text
    return int(added.json()["id"])


def _raise(client: TestClient, number: int, **change: str) -> Any:
    body = {"table": "conmeds", "record": str(number), "field": "medication",
            "question": "Source says prednisone: which?", **change}  # fmt: skip
    return client.post(API + "/queries", json=body)


def test_a_query_is_raised_answered_closed_and_reopened(
    nurse: TestClient, study: str | Path
) -> None:
    record = _medication(nurse)
    with _as(nurse, Role.DATA_MANAGER) as manager, _as(nurse, Role.MONITOR) as monitor:
        raised = _raise(manager, record)
        assert raised.status_code == 200, raised.text
        number = raised.json()["id"]
        (listed,) = nurse.get(QUERIES, params={"unsettled": "true"}).json()
        assert (listed["subject"], listed["field"], listed["status"]) == (
            "AMC-001", "medication", "open")  # fmt: skip
        # Beside the field of its record on the participant's review page.
        (shown,) = nurse.get(API + "/review").json()["records"]
        assert [q["id"] for q in shown["queries"]] == [number]
        page = nurse.get(PARTICIPANT + "/review").text
        assert "Source says prednisone: which?" in html.unescape(page)
        assert "1 query not closed" in nurse.get(PARTICIPANT).text  # on the calendar
        answered = nurse.post(f"{QUERIES}/{number}/answer", json={"answer": "prednisolone"})
        assert answered.json()["status"] == "answered", answered.text
        # Only whoever raised it closes it; a closed query takes no answer.
        other = monitor.post(f"{QUERIES}/{number}/close", json={})
        assert other.status_code == 409, other.text
        assert other.json()["detail"][0]["field"] == "query"
        assert manager.post(f"{QUERIES}/{number}/close", json={}).json()["status"] == "closed"
        late = nurse.post(f"{QUERIES}/{number}/answer", json={"answer": "again"})
        assert late.status_code == 409
        assert nurse.get(QUERIES, params={"unsettled": "true"}).json() == []
        unexplained = manager.post(f"{QUERIES}/{number}/reopen", json={})
        assert unexplained.json()["detail"][0]["field"] == "reason"
        again = manager.post(f"{QUERIES}/{number}/reopen", json={"reason": "dose missing"})
        assert again.json()["status"] == "open"
    steps = [(e.kind, e.who, e.content["reason"]) for e in trail_of(study, "queries")]
    assert steps == [
        ("insert", "data_manager", None),
        ("update", "study_nurse_amc", "the site answers the query"),
        ("update", "data_manager", "query closed"),
        ("update", "data_manager", "dose missing"),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"table": "users"}, "table"),
        ({"record": "999"}, "record"),
        ({"record": "x"}, "record"),
        ({"record": "\u00b2"}, "record"),  # a digit to str.isdigit, not to int()
        ({"field": "participant_id"}, "field"),
        ({"field": "arm"}, "field"),
        ({"question": "  "}, "question"),
    ],
)
def test_a_bad_query_names_its_field(nurse: TestClient, change: dict[str, str], field: str) -> None:
    record = _medication(nurse)
    with _as(nurse, Role.MONITOR) as monitor:
        answer = _raise(monitor, record, **change)
        assert answer.status_code == 422, answer.text
        (problem,) = answer.json()["detail"]
        assert problem["field"] == field, problem
        page = monitor.post(
            PARTICIPANT + "/queries",
            data={"table": "conmeds", "record": str(record), "field": "medication",
                  "question": "q", **change, "csrf_token": monitor.headers["X-CSRF-Token"]},
        )  # fmt: skip
        assert page.status_code == 422
        assert problem["message"] in html.unescape(page.text)


def test_a_locked_record_refuses_every_change_until_unlocked_with_a_reason(
    nurse: TestClient, study: str | Path
) -> None:
    record = _medication(nurse)
    change = {"ended_on": TODAY.isoformat(), "reason": "stopped"}
    with _as(nurse, Role.DATA_MANAGER) as manager:
        assert manager.post(
            API + "/locks", json={"table": "conmeds", "record": str(record)}
        ).json() == {"locked": [{"table": "conmeds", "record": record}]}
        refused = nurse.post(f"{API}/conmeds/{record}", json=change)
        assert refused.status_code == 409, refused.text
        (problem,) = refused.json()["detail"]
        assert problem["field"] == "record"
        assert f"conmeds record {record}, which is locked" in problem["message"]
        form = nurse.post(
            f"{PARTICIPANT}/conmeds/{record}",
            data={**change, "csrf_token": nurse.headers["X-CSRF-Token"]},
        )
        assert form.status_code == 422
        assert "which is locked" in html.unescape(form.text)
        # The same refusal below the web: the audit trail's update is the one place.
        with (
            Database.open(study) as db,
            db.write() as conn,
            pytest.raises(audit.CaptureError, match="locked"),
        ):
            audit.update(conn, conmeds, record, {"ended_on": None}, "cli", "test")
        unexplained = manager.post(
            API + "/unlock", json={"table": "conmeds", "record": str(record)}
        )
        assert unexplained.json()["detail"][0]["field"] == "reason"
        unlocked = manager.post(
            API + "/unlock", json={"table": "conmeds", "record": str(record), "reason": "query"}
        )
        assert unlocked.status_code == 200, unlocked.text
        twice = manager.post(
            API + "/unlock", json={"table": "conmeds", "record": str(record), "reason": "query"}
        )
        assert twice.status_code == 409
    assert nurse.post(f"{API}/conmeds/{record}", json=change).status_code == 200
    entries = [(e.kind, e.content["reason"]) for e in trail_of(study, "record_locks")]
    assert entries == [("insert", None), ("update", "query")]


def test_a_visit_is_locked_with_its_assessments(nurse: TestClient) -> None:
    done = nurse.post(API + "/visits", json={"visit": "M0", "visited_on": TODAY.isoformat()})
    assert done.status_code == 201, done.text
    form = API + "/visits/M0/assessment"
    saved = nurse.post(form, json={**grades("5"), "value.gnds_upper": "2"})
    assert saved.status_code < 300, saved.text
    with _as(nurse, Role.DATA_MANAGER) as manager:
        locked = manager.post(API + "/locks", json={"visit": "M0"})
        tables = [r["table"] for r in locked.json()["locked"]]
        assert (tables[0], set(tables[1:])) == ("visits", {"assessments"}), locked.text
        unknown = manager.post(API + "/locks", json={"visit": "M99"})
        assert unknown.json()["detail"][0]["field"] == "visit"
    changed = nurse.post(form, json={**grades("4"), "value.gnds_upper": "2", "reason": "typo"})
    assert changed.status_code == 409, changed.text
    review = nurse.get(API + "/review").json()["records"]
    assert all(r["lock"]["locked_by"] == "data_manager" for r in review)


def test_a_signature_holds_until_a_signed_record_changes(
    nurse: TestClient, study: str | Path
) -> None:
    done = nurse.post(API + "/visits", json={"visit": "M0", "visited_on": TODAY.isoformat()})
    assert done.status_code == 201, done.text
    form = API + "/visits/M0/assessment"
    assert nurse.post(form, json={**grades("5"), "value.gnds_upper": "2"}).status_code < 300
    with _as(nurse, Role.INVESTIGATOR) as investigator:
        wrong = investigator.post(API + "/sign", json={"visit": "M0", "password": "not mine"})
        assert wrong.status_code == 422
        assert wrong.json()["detail"][0]["field"] == "password"
        assert "not mine" not in wrong.text
        unknown = investigator.post(API + "/sign", json={"visit": "M99", "password": PASSWORD})
        assert unknown.json()["detail"][0]["field"] == "visit"
        signed = investigator.post(API + "/sign", json={"visit": "M0", "password": PASSWORD})
        assert signed.status_code == 200, signed.text
        assert signed.json()["records"][0] == "visits:1"
        (shown,) = investigator.get(API + "/review").json()["signatures"]
        assert (shown["signed_by"], shown["holds"]) == ("investigator_amc", True)
        changed = nurse.post(form, json={**grades("4"), "value.gnds_upper": "2", "reason": "typo"})
        assert changed.status_code < 300, changed.text
        (broken,) = investigator.get(API + "/review").json()["signatures"]
        assert broken["holds"] is False
        assert "needs signing again" in investigator.get(PARTICIPANT + "/review").text
        assert "needs signing again" in investigator.get(PARTICIPANT).text  # the calendar
        again = investigator.post(API + "/sign", json={"visit": "M0", "password": PASSWORD})
        assert again.status_code == 200
        assert investigator.get(API + "/review").json()["signatures"][0]["holds"] is True
    trail = trail_of(study, "signatures")
    assert [e.kind for e in trail] == ["insert", "update"]
    assert all("password" not in e.content["changes"] for e in trail)


def test_a_verification_is_cleared_by_a_later_change(nurse: TestClient, study: str | Path) -> None:
    record = _medication(nurse)
    with _as(nurse, Role.MONITOR) as monitor:
        body = {"table": "conmeds", "record": str(record)}
        verified = monitor.post(API + "/verify", json=body)
        assert verified.json()["verified_by"] == "monitor", verified.text
        (shown,) = monitor.get(API + "/review").json()["records"]
        assert shown["verification"]["holds"] is True
        assert "verified by monitor" in monitor.get(PARTICIPANT + "/review").text
        change = {"ended_on": TODAY.isoformat(), "reason": "stopped"}
        assert nurse.post(f"{API}/conmeds/{record}", json=change).status_code == 200
        (cleared,) = monitor.get(API + "/review").json()["records"]
        assert cleared["verification"]["holds"] is False
        assert "changed after verification" in monitor.get(PARTICIPANT + "/review").text
    assert [e.kind for e in trail_of(study, "verifications")] == ["insert"]


def test_a_locked_visit_takes_no_new_assessment(nurse: TestClient) -> None:
    done = nurse.post(API + "/visits", json={"visit": "M0", "visited_on": TODAY.isoformat()})
    assert done.status_code == 201, done.text
    with _as(nurse, Role.DATA_MANAGER) as manager:
        assert manager.post(API + "/locks", json={"visit": "M0"}).status_code == 200
    added = nurse.post(API + "/visits/M0/assessment", json={**grades("5"), "value.gnds_upper": "2"})
    assert added.status_code == 409, added.text
    (problem,) = added.json()["detail"]
    assert problem["field"] == "record"
    assert "a new assessment of visit M0, whose records are locked" in problem["message"]


def test_every_reviewed_field_has_its_label() -> None:
    labels = field_labels()
    for name, (table, _) in REVIEWED.items():
        columns = {c.name for c in table.columns} - NOT_DATA
        assert set(labels[name]) == columns, name
        assert all(label and label != column for column, label in labels[name].items()), name


def test_the_review_and_query_pages_name_fields_in_words(nurse: TestClient) -> None:
    done = nurse.post(API + "/visits", json={"visit": "M0", "visited_on": TODAY.isoformat()})
    assert done.status_code == 201, done.text
    record = _medication(nurse)
    with _as(nurse, Role.DATA_MANAGER) as manager:
        assert _raise(manager, record).status_code == 200
        review = html.unescape(manager.get(PARTICIPANT + "/review").text)
        for shown in ("<td>Date of the visit</td>", "<td>Medication</td>", "<td>Stopped on</td>"):
            assert shown in review
        for column in ("visited_on", "medication", "ended_on", "list_note"):
            assert f"<td>{column}</td>" not in review
        # A query is raised from the record's own form, its fields offered by label.
        assert '<option value="medication">Medication</option>' in review
        page = html.unescape(manager.get("/sites/AMC/queries").text)
        assert "<td>concomitant medication 1</td><td>Medication</td>" in page
        assert "<td>conmeds 1</td>" not in page


def test_the_review_shows_an_assessments_measure_in_words(nurse: TestClient) -> None:
    done = nurse.post(API + "/visits", json={"visit": "M0", "visited_on": TODAY.isoformat()})
    assert done.status_code == 201, done.text
    saved = nurse.post(API + "/visits/M0/assessment", json={**grades("5"), "value.gnds_upper": "2"})
    assert saved.status_code < 300, saved.text
    review = html.unescape(nurse.get(PARTICIPANT + "/review").text)
    assert "<td>Measure</td><td>MRC sum score (points)</td>" in review
    for measure in ("mrc_sum", "gnds_upper"):
        assert f"<td>{measure}</td>" not in review
    # The JSON keeps the id in the values and gives the words beside them.
    shown = {
        r["values"]["measure"]: r["words"]["measure"]
        for r in nurse.get(API + "/review").json()["records"]
        if r["table"] == "assessments"
    }
    assert shown["mrc_sum"] == "MRC sum score (points)"
    assert set(shown) == {"mrc_sum", "gnds_upper"}
    assert all(words != measure for measure, words in shown.items())
