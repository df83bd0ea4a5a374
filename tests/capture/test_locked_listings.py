"""The listings of adverse events, labs, conmeds and disposition mark a locked record, with
who locked it and when, and offer no change of it (its save would be refused); their JSON
twins give each record's ``locked``, the same facts; a listing, page or JSON, asks for its
locks in one query, however many rows it has."""

from __future__ import annotations

import html
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from mmntrial.capture.permissions import Role
from tests.capture.conftest import user_for
from tests.capture.forms_client import PARTICIPANT, nurse_client
from tests.capture.web_client import sign_in

API = "/api" + PARTICIPANT
#: One record of each listing, as its API takes it: path part, table, fields.
RECORDS = [
    ("adverse-events", "adverse_events",
     {"term": "Nausea", "onset_on": "2026-11-20", "grade": "1", "serious": "no",
      "related_to": "none", "action_taken": "none", "outcome": "recovering"}),
    ("labs", "labs",
     {"sampled_on": "2026-11-20", "test": "alt", "value": "30", "lln": "5", "uln": "40"}),
    ("conmeds", "conmeds", {"medication": "Paracetamol", "started_on": "2026-11-01"}),
    ("disposition", "dispositions",
     {"status": "withdrawn", "last_on": "2026-12-01", "reason": "moved abroad"}),
]  # fmt: skip


@pytest.fixture
def nurse(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


@contextmanager
def _manager(nurse: TestClient) -> Iterator[TestClient]:
    with TestClient(nurse.app, follow_redirects=False) as other:
        other.headers["X-CSRF-Token"] = sign_in(other, user_for(Role.DATA_MANAGER))
        yield other


def _add(nurse: TestClient, slug: str, fields: dict[str, str]) -> int:
    added = nurse.post(f"{API}/{slug}", json=fields)
    assert added.status_code == 201, added.text
    return int(added.json()["id"])


def _lock(nurse: TestClient, table: str, record: int) -> None:
    with _manager(nurse) as manager:
        locked = manager.post(f"{API}/locks", json={"table": table, "record": str(record)})
        assert locked.status_code == 200, locked.text


@pytest.mark.parametrize(("slug", "table", "fields"), RECORDS, ids=[r[0] for r in RECORDS])
def test_a_locked_record_is_marked_and_offers_no_change(
    nurse: TestClient, slug: str, table: str, fields: dict[str, str]
) -> None:
    record = _add(nurse, slug, fields)
    listing = f"{PARTICIPANT}/{slug}"
    before = nurse.get(listing).text
    assert f'href="{listing}?change={record}"' in before
    assert "locked" not in before
    _lock(nurse, table, record)
    after = html.unescape(nurse.get(listing).text)
    assert f"?change={record}" not in after
    assert '<strong class="locked">locked</strong> (by data_manager at ' in after
    # Asked for by its address, the change form of the locked record is not offered.
    asked = html.unescape(nurse.get(f"{listing}?change={record}").text)
    assert f"Change record {record}" not in asked
    assert f'action="{listing}/{record}"' not in asked
    # So a monitor, who may not change it either, also sees that it is locked.
    with TestClient(nurse.app, follow_redirects=False) as monitor:
        sign_in(monitor, user_for(Role.MONITOR))
        assert '<strong class="locked">locked</strong>' in monitor.get(listing).text


@pytest.mark.parametrize(("slug", "table", "fields"), RECORDS, ids=[r[0] for r in RECORDS])
def test_the_json_listing_says_who_locked_a_record_and_when(
    nurse: TestClient, slug: str, table: str, fields: dict[str, str]
) -> None:
    record = _add(nurse, slug, fields)
    before = nurse.get(f"{API}/{slug}")
    assert before.status_code == 200, before.text
    assert [(r["id"], r["locked"]) for r in before.json()] == [(record, None)]
    _lock(nurse, table, record)
    (listed,) = nurse.get(f"{API}/{slug}").json()
    lock = listed["locked"]
    assert set(lock) == {"locked_by", "locked_at_utc"}
    assert lock["locked_by"] == "data_manager"
    # The same facts the page shows for the row.
    page = html.unescape(nurse.get(f"{PARTICIPANT}/{slug}").text)
    assert f"(by data_manager at {lock['locked_at_utc']} UTC" in page


def test_the_json_listing_marks_only_the_locked_record(nurse: TestClient) -> None:
    slug, table, fields = RECORDS[2]
    kept = _add(nurse, slug, fields)
    locked = _add(nurse, slug, {**fields, "medication": "Ibuprofen"})
    _lock(nurse, table, locked)
    listed = {r["id"]: r["locked"] for r in nurse.get(f"{API}/{slug}").json()}
    assert listed[kept] is None
    assert listed[locked] is not None


def test_only_the_locked_row_is_marked(nurse: TestClient) -> None:
    slug, table, fields = RECORDS[2]
    kept = _add(nurse, slug, fields)
    locked = _add(nurse, slug, {**fields, "medication": "Ibuprofen"})
    _lock(nurse, table, locked)
    page = nurse.get(f"{PARTICIPANT}/{slug}").text
    rows = page[page.index("<tbody>") : page.index("</tbody>")].split("</tr>")
    kept_row = next(r for r in rows if "Paracetamol" in r)
    locked_row = next(r for r in rows if "Ibuprofen" in r)
    assert f"?change={kept}" in kept_row
    assert "locked" not in kept_row
    assert f"?change={locked}" not in locked_row
    assert "locked" in locked_row


def _lock_queries(nurse: TestClient, path: str) -> int:
    """How many statements reading ``record_locks`` the page ``path`` runs."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        statement = str(args[2])
        if "record_locks" in statement:
            seen.append(statement)

    engine = nurse.app.state.database.engine  # type: ignore[attr-defined]
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert nurse.get(path).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(seen)


def test_a_listing_asks_for_its_locks_in_one_query(nurse: TestClient) -> None:
    slug, table, fields = RECORDS[2]
    for number in range(6):
        record = _add(nurse, slug, {**fields, "medication": f"Medication {number}"})
        if number % 2:
            _lock(nurse, table, record)
    assert _lock_queries(nurse, f"{PARTICIPANT}/{slug}") == 1
    assert _lock_queries(nurse, f"{API}/{slug}") == 1
