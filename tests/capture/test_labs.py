"""Lab values in the app: units, normal ranges, computed CTCAE grades, confirmation,
changes, audit."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of

PAGE = PARTICIPANT + "/labs"
API = "/api" + PAGE
LAB = {"sampled_on": "2026-11-30", "test": "neutrophils", "value": "1.2", "lln": "2", "uln": "7.5"}


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def test_labs_are_graded_against_their_normal_range_and_igg_keeps_its_entered_grade(
    client: TestClient, study: str | Path
) -> None:
    added = client.post(API, json=LAB)
    assert added.status_code == 201, added.text
    assert (added.json()["unit"], added.json()["grade"]) == ("10^9/L", 2)  # CTCAE v5.0 [S50]
    alt = {
        **{"sampled_on": "2026-11-30", "test": "alt", "value": "95", "unit": "U/L"},
        **{"uln": "40", "grade": "1"},
    }
    token = client.headers["X-CSRF-Token"]
    assert client.post(PAGE, data={**alt, "csrf_token": token}).status_code == 303
    igg = client.post(API, json={"sampled_on": "2026-11-30", "test": "igg", "value": "12"})
    assert igg.json()["grade"] is None
    record = added.json()["id"]
    fixed = client.post(f"{API}/{record}", json={"value": "2.4", "reason": "decimal slip"})
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["grade"] == 0
    listed = client.get(API).json()
    assert [(r["test"], r["value"], r["grade"]) for r in listed] == [
        ("neutrophils", 2.4, 0),
        ("alt", 95.0, 1),
        ("igg", 12.0, None),
    ]
    assert "neutrophils" in client.get(PAGE).text
    (update,) = [e for e in trail_of(study, "labs") if e.kind == "update"]
    assert update.content["changes"] == {"grade": [2, 0], "value": [1.2, 2.4]}
    assert update.content["reason"] == "decimal slip"


@pytest.mark.parametrize(
    ("lab", "grade"),
    [
        ({"test": "platelets", "value": "49", "lln": "150", "uln": "400"}, 3),
        ({"test": "haemoglobin", "value": "9.5", "lln": "12", "uln": "16"}, 2),
        ({"test": "bilirubin", "value": "31", "lln": "3", "uln": "20"}, 2),
        ({"test": "creatinine", "value": "100", "lln": "60", "uln": "110"}, 0),
        ({"test": "ast", "value": "41", "uln": "40"}, 1),
    ],
)
def test_every_lab_ctcae_grades_against_the_normal_range_is_graded(
    client: TestClient, lab: dict[str, str], grade: int
) -> None:
    added = client.post(API, json={"sampled_on": "2026-11-30", **lab})
    assert added.status_code == 201, added.text
    assert (added.json()["grade"], added.json()["ungraded"]) == (grade, None)


def test_a_lab_without_the_limit_its_grade_needs_is_not_graded_and_says_why(
    client: TestClient,
) -> None:
    bare = {"sampled_on": "2026-11-30", "test": "alt", "value": "300"}
    added = client.post(API, json=bare)
    assert added.status_code == 201, added.text
    assert added.json()["grade"] is None
    assert added.json()["ungraded"] == "alt: no ULN given; CTCAE v5.0 grades it against the ULN"
    assert "no ULN given" in client.get(PAGE).text
    guessed = client.post(API, json={**bare, "sampled_on": "2026-11-29", "grade": "3"})
    assert guessed.status_code == 422
    (problem,) = guessed.json()["detail"]
    assert problem["field"] == "grade"
    assert problem["message"].startswith("grade: got 3, expected it empty: alt: no ULN given")


@pytest.mark.parametrize(
    ("change", "field", "expected"),
    [
        ({"sampled_on": ""}, "sampled_on", "sampled_on: got '', expected a date as YYYY-MM-DD"),
        ({"sampled_on": "2000-01-01"}, "sampled_on", "sampled_on: "),
        ({"test": "crp"}, "test", "test: got 'crp', expected one of neutrophils, wbc"),
        ({"value": "low"}, "value", "value: got 'low', expected a finite number"),
        ({"value": "nan"}, "value", "value: got 'nan', expected a finite number"),
        ({"value": "-1"}, "value", "value: neutrophils: got -1.0, expected a finite value"),
        ({"unit": "cells/uL"}, "unit", "unit: got 'cells/uL', expected '10^9/L' for neutrophils"),
        ({"grade": "3"}, "grade", "grade: got 3, expected 2: CTCAE v5.0 grades neutrophils"),
        ({"grade": "5"}, "grade", "grade: got '5', expected a whole number from 0 to 4"),
        ({"lln": "8"}, "lln", "lln: got 8, expected below uln (7.5)"),
        ({"uln": "-1"}, "uln", "uln: got -1, expected a number at least 0"),
        ({"lln": "low"}, "lln", "lln: got 'low', expected a finite number"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    client: TestClient, change: dict[str, str], field: str, expected: str
) -> None:
    api = client.post(API, json={**LAB, **change})
    assert api.status_code == 422
    (problem,) = api.json()["detail"]
    assert problem["field"] == field
    assert problem["message"].startswith(expected), problem
    page = client.post(PAGE, data={**LAB, **change, "csrf_token": client.headers["X-CSRF-Token"]})
    assert page.status_code == 422
    assert expected in html.unescape(page.text)
    assert client.get(API).json() == []


def test_an_unusual_value_waits_for_confirmation_and_a_second_sample_is_refused(
    client: TestClient,
) -> None:
    low = {**LAB, "value": "0.3"}
    waiting = client.post(API, json=low)
    assert waiting.status_code == 422
    assert waiting.json()["detail"][0]["needs_confirmation"] is True
    page = client.post(PAGE, data={**low, "csrf_token": client.headers["X-CSRF-Token"]})
    assert 'name="confirm.value"' in page.text
    assert client.get(API).json() == []
    saved = client.post(API, json={**low, "confirm.value": "true"})
    assert (saved.json()["grade"], saved.json()["note"].endswith("(confirmed)")) == (4, True)
    again = client.post(API, json=LAB)
    assert again.status_code == 422
    assert again.json()["detail"][0]["field"] == "sampled_on"
    assert "expected one not recorded already" in again.json()["detail"][0]["message"]


def test_the_listing_follows_the_sample_dates_not_the_order_typed(client: TestClient) -> None:
    for sampled_on in ("2026-11-30", "2026-11-02", "2026-11-16"):
        made = client.post(API, json={**LAB, "sampled_on": sampled_on, "value": "3.1"})
        assert made.status_code == 201, made.text
    listed = [lab["sampled_on"] for lab in client.get(API).json()]
    assert listed == ["2026-11-02", "2026-11-16", "2026-11-30"]
