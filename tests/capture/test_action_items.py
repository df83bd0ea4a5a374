"""Safety action items in the app: a fired rule opens one item, once; a value a rule
cannot judge opens one asking for the data; a site lists its open and overdue items; a
resolution is required and audited; the site's resolved items, as a page and as JSON; the
participant's page shows items and lab schedule."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from mmntrial.capture.permissions import Role
from mmntrial.capture.tables import action_items
from mmntrial.storage import Database
from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of
from tests.capture.test_monitoring import _as

LABS = "/api" + PARTICIPANT + "/labs"
EVENTS = "/api" + PARTICIPANT + "/adverse-events"
ITEMS = "/api" + PARTICIPANT + "/action-items"
SITE_ITEMS = "/api/sites/AMC/action-items"
LOW = {"sampled_on": "2026-11-20", "test": "neutrophils", "value": "1.2", "lln": "2", "uln": "7.5"}


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def test_a_fired_rule_opens_one_item_and_a_resave_opens_none(
    client: TestClient, study: str | Path
) -> None:
    added = client.post(LABS, json=LOW)
    assert added.status_code == 201, added.text
    (item,) = client.get(ITEMS).json()
    assert (item["rule_id"], item["kind"], item["owner_role"]) == (
        "neutrophils_low",
        "fired",
        "investigator",
    )
    assert item["finding"] == "neutrophils 1.2 10^9/L on 2026-11-20 is below 1.3 10^9/L"
    assert item["action"].startswith("Interrupt or reduce the study drug")
    assert (item["found_on"], item["due_on"], item["status"]) == (
        "2026-11-20",
        "2026-11-22",
        "open",
    )
    changed = client.post(f"{LABS}/{added.json()['id']}", json={"value": "1.1", "reason": "typo"})
    assert changed.status_code == 200, changed.text
    assert [i["id"] for i in client.get(ITEMS).json()] == [item["id"]]
    normal = {**LOW, "sampled_on": "2026-11-27", "value": "3.0"}
    assert client.post(LABS, json=normal).status_code == 201
    assert len(client.get(ITEMS).json()) == 1
    (opened,) = [e for e in trail_of(study, "action_items") if e.kind == "insert"]
    assert opened.content["changes"]["rule_id"] == [None, "neutrophils_low"]


def test_a_value_a_rule_cannot_judge_opens_an_item_naming_what_is_missing(
    client: TestClient,
) -> None:
    bare = {"sampled_on": "2026-11-30", "test": "alt", "value": "300"}
    assert client.post(LABS, json=bare).status_code == 201
    (item,) = client.get(ITEMS).json()
    assert (item["rule_id"], item["kind"]) == ("lab_grade_3", "cannot_evaluate")
    assert item["finding"].endswith("alt: no ULN given; CTCAE v5.0 grades it against the ULN")
    assert item["action"].startswith("Enter what is missing")


def test_a_value_corrected_into_a_firing_rule_opens_its_item_beside_the_missing_one(
    client: TestClient,
) -> None:
    # ALT 300 without a ULN cannot be graded: one item asks for the ULN. The site adds
    # the ULN (40 U/L): 300 is 7.5 x ULN, CTCAE v5.0 grade 3 (">5.0-20.0 x ULN"), so the
    # grade rule fires and must open its own item, not hide behind the first one.
    bare = {"sampled_on": "2026-11-30", "test": "alt", "value": "300"}
    added = client.post(LABS, json=bare)
    assert added.status_code == 201, added.text
    corrected = {"uln": "40", "reason": "ULN from the lab report"}
    changed = client.post(f"{LABS}/{added.json()['id']}", json=corrected)
    assert changed.status_code == 200, changed.text
    items = client.get(ITEMS).json()
    assert sorted((i["rule_id"], i["kind"]) for i in items) == [
        ("lab_grade_3", "cannot_evaluate"),
        ("lab_grade_3", "fired"),
    ]


def test_a_new_central_sign_opens_the_pml_alert(client: TestClient) -> None:
    event = {
        **{"term": "Ataxia", "onset_on": "2026-11-30", "grade": "2", "serious": "no"},
        **{"related_to": "none", "action_taken": "none", "outcome": "not_recovered"},
    }
    made = client.post(EVENTS, json=event)
    assert made.status_code == 201, made.text
    (item,) = client.get(ITEMS).json()
    assert (item["rule_id"], item["due_on"]) == ("pml_alert", "2026-12-01")
    assert item["action"].startswith("PML alert")


def test_the_site_lists_open_items_with_overdue_marked_and_resolving_needs_a_resolution(
    client: TestClient, study: str | Path
) -> None:
    assert client.post(LABS, json=LOW).status_code == 201
    late = {**LOW, "sampled_on": "2026-11-30", "test": "alt", "value": "300", "lln": ""}
    assert client.post(LABS, json={**late, "uln": ""}).status_code == 201
    listed = client.get(SITE_ITEMS).json()
    assert [(i["subject"], i["rule_id"], i["overdue"]) for i in listed] == [
        ("AMC-001", "neutrophils_low", True),  # due 2026-11-22, today 2026-12-01
        ("AMC-001", "lab_grade_3", False),  # due 2026-12-03
    ]
    page = html.unescape(client.get("/sites/AMC/action-items").text)
    assert "neutrophils 1.2 10^9/L on 2026-11-20 is below 1.3 10^9/L" in page
    assert 'class="overdue"' in page
    item = listed[0]["id"]
    with _as(client, Role.INVESTIGATOR) as investigator:
        empty = investigator.post(f"{SITE_ITEMS}/{item}", json={"resolution": "  "})
        assert empty.status_code == 422
        assert empty.json()["detail"][0]["field"] == "resolution"
        token = investigator.headers["X-CSRF-Token"]
        refused = investigator.post(f"/sites/AMC/action-items/{item}", data={"csrf_token": token})
        assert refused.status_code == 422
        assert "resolution: got None, expected what was done" in html.unescape(refused.text)
        resolution = {"resolution": "MMF held, count repeated"}
        done = investigator.post(f"{SITE_ITEMS}/{item}", json=resolution)
        assert done.status_code == 200, done.text
        assert (done.json()["status"], done.json()["resolution"]) == (
            "resolved",
            "MMF held, count repeated",
        )
        assert [i["rule_id"] for i in client.get(SITE_ITEMS).json()] == ["lab_grade_3"]
        again = investigator.post(f"{SITE_ITEMS}/{item}", json={"resolution": "twice"})
        assert again.status_code == 409
        missing = investigator.post(f"{SITE_ITEMS}/99999", json={"resolution": "x"})
        assert missing.status_code == 404
    (update,) = [e for e in trail_of(study, "action_items") if e.kind == "update"]
    assert update.content["reason"] == "MMF held, count repeated"
    assert update.content["changes"]["status"] == ["open", "resolved"]
    statuses = [(i["rule_id"], i["status"]) for i in client.get(ITEMS).json()]
    assert statuses == [("neutrophils_low", "resolved"), ("lab_grade_3", "open")]


def test_the_participant_page_shows_open_items_and_the_lab_schedule(client: TestClient) -> None:
    assert client.post(LABS, json=LOW).status_code == 201
    page = html.unescape(client.get(PARTICIPANT).text)
    assert "Open action items" in page
    assert "is below 1.3 10^9/L" in page
    assert 'id="lab-schedule"' in page
    # Day 0 is today (2026-12-01): its sample's window is open, day 7's is upcoming.
    assert "<td>2026-12-01</td><td>2026-12-04</td><td>open</td>" in page
    assert "<td>2026-12-08</td><td>2026-12-11</td><td>upcoming</td>" in page


def test_an_infusion_logged_after_the_labs_opens_the_haemolysis_check(client: TestClient) -> None:
    haemoglobin = {"test": "haemoglobin", "lln": "12", "uln": "16"}
    before = {**haemoglobin, "sampled_on": "2026-11-10", "value": "13.5"}
    after = {**haemoglobin, "sampled_on": "2026-11-13", "value": "12.5"}
    for lab in (before, after):
        assert client.post(LABS, json=lab).status_code == 201
    assert client.get(ITEMS).json() == []
    infusion = {
        **{"given_on": "2026-11-10", "product": "Kiovig", "lot": "LE12A345", "route": "IV"},
        **{"dose_g": "140", "weight_kg": "70", "interval_days": "28"},
    }
    logged = client.post("/api" + PARTICIPANT + "/infusions", json=infusion)
    assert logged.status_code == 201, logged.text
    (item,) = client.get(ITEMS).json()
    assert item["rule_id"] == "haemolysis_check"
    assert item["finding"] == (
        "haemoglobin 12.5 g/dL on 2026-11-13 fell 1 g/dL from 13.5 (2026-11-10) within 10 "
        "days of the infusion of 2026-11-10"
    )


def test_the_lab_schedule_api_names_what_is_missing(client: TestClient) -> None:
    counts = ("neutrophils", "wbc", "haemoglobin", "platelets")
    for test in counts:  # the day-0 sample without creatinine
        value = {"neutrophils": "4", "wbc": "6", "haemoglobin": "14", "platelets": "250"}[test]
        lab = {"sampled_on": "2026-12-01", "test": test, "value": value}
        assert client.post(LABS, json=lab).status_code == 201
    due = client.get("/api" + PARTICIPANT + "/lab-schedule").json()
    assert due[0] == {
        "day": 0,
        "due_on": "2026-12-01",
        "latest": "2026-12-04",
        "status": "open",
        "missing": ["creatinine"],
    }
    assert (due[1]["day"], due[1]["status"]) == (7, "upcoming")
    assert len(due) == 19


def test_the_item_pages_name_the_rule_and_the_owner_in_words(client: TestClient) -> None:
    assert client.post(LABS, json=LOW).status_code == 201
    (item,) = client.get(ITEMS).json()
    assert item["rule"] == "Neutrophils below 1.3 10^9/L"
    for path in ("/sites/AMC/action-items", PARTICIPANT):
        page = html.unescape(client.get(path).text)
        assert "<td>Neutrophils below 1.3 10^9/L</td>" in page, path
        assert "neutrophils_low" not in page, path


def test_only_the_owner_role_resolves_an_item(client: TestClient) -> None:
    assert client.post(LABS, json=LOW).status_code == 201
    (item,) = client.get(ITEMS).json()
    assert item["owner_role"] == "investigator"
    path = f"{SITE_ITEMS}/{item['id']}"
    # The study nurse may use the route (the permission table) but owns no such item.
    refused = client.post(path, json={"resolution": "MMF held"})
    assert refused.status_code == 403, refused.text
    (problem,) = refused.json()["detail"]
    assert problem["field"] == "item"
    for named in (f"item {item['id']}", "study nurse", "the investigator"):
        assert named in problem["message"]
    page = html.unescape(client.get("/sites/AMC/action-items").text)
    assert f'action="/sites/AMC/action-items/{item["id"]}"' not in page
    assert "to be resolved by the investigator" in page
    token = client.headers["X-CSRF-Token"]
    form = {"csrf_token": token, "resolution": "MMF held"}
    assert client.post(f"/sites/AMC/action-items/{item['id']}", data=form).status_code == 403
    with _as(client, Role.MONITOR) as monitor:
        assert monitor.post(path, json={"resolution": "MMF held"}).status_code == 403
    assert client.get(ITEMS).json()[0]["status"] == "open"
    with _as(client, Role.INVESTIGATOR) as investigator:
        page = html.unescape(investigator.get("/sites/AMC/action-items").text)
        assert f'action="/sites/AMC/action-items/{item["id"]}"' in page
        done = investigator.post(path, json={"resolution": "MMF held"})
        assert done.status_code == 200, done.text


def test_the_resolved_items_page_says_who_when_and_what_newest_first(
    client: TestClient, study: str | Path
) -> None:
    assert client.post(LABS, json=LOW).status_code == 201
    bare = {"sampled_on": "2026-11-30", "test": "alt", "value": "300"}
    assert client.post(LABS, json=bare).status_code == 201
    first, second = (i["id"] for i in client.get(SITE_ITEMS).json())
    assert "/sites/AMC/action-items/resolved" in client.get("/sites/AMC/action-items").text
    with _as(client, Role.INVESTIGATOR) as investigator:
        for item, text in ((first, "MMF held, count repeated"), (second, "ULN entered")):
            done = investigator.post(f"{SITE_ITEMS}/{item}", json={"resolution": text})
            assert done.status_code == 200, done.text
    page = html.unescape(client.get("/sites/AMC/action-items/resolved").text)
    at = {e.content["record"]: e.at_utc for e in trail_of(study, "action_items")
          if e.kind == "update"}  # fmt: skip
    newest = f"<td>investigator_amc</td><td>{at[second]}</td><td>ULN entered</td>"
    oldest = f"<td>investigator_amc</td><td>{at[first]}</td><td>MMF held, count repeated</td>"
    assert newest in page
    assert oldest in page
    assert page.index(newest) < page.index(oldest)
    assert "<td>Neutrophils below 1.3 10^9/L</td>" in page
    assert "neutrophils_low" not in page
    assert "lab_grade_3" not in page


def test_the_resolved_items_json_gives_what_the_page_shows_newest_first(
    client: TestClient, study: str | Path
) -> None:
    resolved = SITE_ITEMS + "/resolved"
    assert client.post(LABS, json=LOW).status_code == 201
    bare = {"sampled_on": "2026-11-30", "test": "alt", "value": "300"}
    assert client.post(LABS, json=bare).status_code == 201
    first, second = (i["id"] for i in client.get(SITE_ITEMS).json())
    assert client.get(resolved).json() == []  # open items are not resolved ones
    with _as(client, Role.INVESTIGATOR) as investigator:
        for item, text in ((first, "MMF held, count repeated"), (second, "ULN entered")):
            done = investigator.post(f"{SITE_ITEMS}/{item}", json={"resolution": text})
            assert done.status_code == 200, done.text
    at = {e.content["record"]: e.at_utc for e in trail_of(study, "action_items")
          if e.kind == "update"}  # fmt: skip
    listed = client.get(resolved)
    assert listed.status_code == 200, listed.text
    assert [
        (i["id"], i["status"], i["resolved_by"], i["resolved_at_utc"], i["resolution"])
        for i in listed.json()
    ] == [
        (second, "resolved", "investigator_amc", at[second], "ULN entered"),
        (first, "resolved", "investigator_amc", at[first], "MMF held, count repeated"),
    ]
    assert listed.json()[1]["rule"] == "Neutrophils below 1.3 10^9/L"
    assert client.get(SITE_ITEMS).json() == []


def test_a_resolution_missing_from_the_audit_trail_is_null_in_the_json(
    client: TestClient, study: str | Path
) -> None:
    assert client.post(LABS, json=LOW).status_code == 201
    (item,) = client.get(SITE_ITEMS).json()
    # Resolved by hand, outside the app: no audited update says who or when.
    with Database.open(study) as database, database.write() as conn:
        conn.execute(
            update(action_items)
            .where(action_items.c.id == item["id"])
            .values(status="resolved", resolution="settled by phone")
        )
    (shown,) = client.get(SITE_ITEMS + "/resolved").json()
    assert (shown["resolved_by"], shown["resolved_at_utc"], shown["resolution"]) == (
        None,
        None,
        "settled by phone",
    )
