"""A concomitant medication on the prohibited or cautioned list: its category, the
warning shown on save and the protocol deviation it records (once), on the site's page."""

from __future__ import annotations

import html
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.capture.forms_client import PARTICIPANT, nurse_client, trail_of

CONMEDS = "/api" + PARTICIPANT + "/conmeds"
DEVIATIONS = "/sites/AMC/deviations"
STARTED = "2026-11-01"


@pytest.fixture
def client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    with nurse_client(study, monkeypatch) as made:
        yield made


def _add(client: TestClient, **fields: str) -> dict[str, object]:
    answer = client.post(CONMEDS, json={"started_on": STARTED, **fields})
    assert answer.status_code == 201, answer.text
    result: dict[str, object] = answer.json()
    return result


def test_a_cautioned_medication_is_a_warning_and_a_deviation(
    client: TestClient, study: str | Path
) -> None:
    token = client.headers["X-CSRF-Token"]
    form = {"medication": "Solu-Medrol 1 g", "started_on": STARTED, "csrf_token": token}
    assert client.post(CONMEDS.removeprefix("/api"), data=form).status_code == 303
    (saved,) = client.get(CONMEDS).json()
    assert saved["category"] == "warning"
    assert saved["list_note"].startswith("corticosteroids by the name 'solu medrol'")
    page = html.unescape(client.get(CONMEDS.removeprefix("/api")).text)
    assert "Protocol's medication list" in page
    assert "may worsen under them [S4, S52]" in page
    listed = html.unescape(client.get(DEVIATIONS).text)
    assert "cautioned medication" in listed
    assert "Solu-Medrol 1 g started: corticosteroids" in listed
    (inserted,) = trail_of(study, "protocol_deviations")
    assert inserted.content["changes"]["kind"] == [None, "cautioned_medication"]
    assert inserted.content["changes"]["record_table"] == [None, "conmeds"]


def test_a_prohibited_code_under_another_name_is_prohibited(client: TestClient) -> None:
    saved = _add(client, medication="Imurek", atc_code=" l04ax01 ")
    assert (saved["category"], saved["atc_code"]) == ("prohibited", "L04AX01")
    assert "azathioprine by its ATC code L04AX01" in str(saved["list_note"])
    assert "prohibited medication" in client.get(DEVIATIONS).text


def test_an_unlisted_medication_is_allowed_and_no_deviation(
    client: TestClient, study: str | Path
) -> None:
    saved = _add(client, medication="Paracetamol", atc_code="N02BE01")
    assert (saved["category"], saved["list_note"]) == ("allowed", "")
    assert trail_of(study, "protocol_deviations") == []
    assert "No protocol deviation recorded." in client.get(DEVIATIONS).text


def test_a_site_may_be_stricter_than_the_list_never_laxer(
    client: TestClient, study: str | Path
) -> None:
    laxer = client.post(
        CONMEDS, json={"medication": "Rituximab", "started_on": STARTED, "category": "allowed"}
    )
    assert laxer.status_code == 422
    (problem,) = laxer.json()["detail"]
    assert problem["field"] == "category"
    assert problem["message"].startswith("category: got 'allowed' for 'Rituximab', expected")
    assert "rituximab by the name 'rituximab'" in problem["message"]
    stricter = _add(client, medication="Tacrolimus", category="prohibited")
    assert stricter["list_note"] == ""
    (deviation,) = trail_of(study, "protocol_deviations")
    assert deviation.content["changes"]["description"] == [
        None,
        "Tacrolimus started: recorded as prohibited by the site",
    ]


def test_a_group_code_or_a_bad_code_is_named(client: TestClient) -> None:
    for code, expected in (("H02", "the code of one substance"), ("H2AB06", "a WHO ATC code")):
        answer = client.post(
            CONMEDS, json={"medication": "x", "started_on": STARTED, "atc_code": code}
        )
        assert answer.status_code == 422
        (problem,) = answer.json()["detail"]
        assert problem["field"] == "atc_code"
        assert expected in problem["message"]


def test_a_correction_to_a_listed_medication_records_its_deviation_once(
    client: TestClient, study: str | Path
) -> None:
    record = _add(client, medication="Cyclopentolate")["id"]
    assert trail_of(study, "protocol_deviations") == []
    changed = client.post(
        f"{CONMEDS}/{record}",
        json={"medication": "Cyclophosphamide", "category": "", "reason": "misread"},
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["category"] == "prohibited"
    stopped = client.post(
        f"{CONMEDS}/{record}", json={"ended_on": "2026-11-20", "reason": "stopped"}
    )
    assert stopped.status_code == 200, stopped.text
    assert len(trail_of(study, "protocol_deviations")) == 1
