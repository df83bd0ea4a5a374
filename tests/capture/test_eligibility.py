"""Eligibility: the protocol's exclusions and the EFNS/PNS 2010 category, computed."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from mmntrial.capture import audit, eligibility
from mmntrial.capture.eligibility import checked_assessment, from_form
from mmntrial.capture.screening import FieldError
from mmntrial.diagnosis.category import diagnose
from mmntrial.diagnosis.clinical import ClinicalFindings, SupportiveFindings
from mmntrial.diagnosis.conduction import SegmentStudy
from mmntrial.protocol.loader import load_protocol
from mmntrial.storage import Database, chain
from tests.capture.conftest import SITES
from tests.capture.trial_setup import (
    CLINICAL,
    DEFINITE_SEGMENT,
    EXCLUSION_IDS,
    TODAY,
    assessment,
    enrol,
    with_list,
)
from tests.capture.web_client import app_client, sign_in

PROTOCOL = load_protocol("piepers-2007")
SCREENED = date(2026, 11, 20)


def _check(data: dict[str, Any]) -> eligibility.Assessment:
    return checked_assessment(data, PROTOCOL, SCREENED, TODAY)


def test_definite_mmn_without_exclusions_is_eligible() -> None:
    result = _check(assessment())
    assert result.diagnosis.category.value == "definite"
    assert result.eligible


def test_the_category_is_the_diagnosis_modules_own() -> None:
    data = assessment()
    expected = diagnose(
        ClinicalFindings(**CLINICAL),
        [SegmentStudy(**DEFINITE_SEGMENT)],
        SupportiveFindings(**data["supportive"]),
        sensory_conduction_normal=True,
    )
    assert _check(data).diagnosis == expected


def test_an_exclusion_that_applies_makes_the_patient_ineligible() -> None:
    answers = dict.fromkeys(EXCLUSION_IDS, False) | {"neutropenia": True}
    result = _check(assessment(exclusions=answers))
    assert result.diagnosis.category.value == "definite"
    assert not result.eligible


def test_a_category_the_protocol_does_not_admit_is_ineligible() -> None:
    # No conduction block, two supportive criteria, normal sensory conduction: possible,
    # which piepers-2007 does not admit (definite, probable).
    result = _check(assessment(segments=[]))
    assert result.diagnosis.category.value == "possible"
    assert not result.eligible


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"assessed_on": "2026-11-19"}, "assessed_on", "from the screening date"),
        ({"assessed_on": "2026-12-02"}, "assessed_on", "to today"),
        (
            {"exclusions": dict.fromkeys(EXCLUSION_IDS[1:], False)},
            "exclusions.pregnancy",
            "true or false",
        ),
        ({"exclusions": {"age": True}}, "exclusions.age", "no such exclusion"),
        (
            {"clinical": CLINICAL | {"affected_nerves": 2.5}},
            "clinical.affected_nerves",
            "a whole number",
        ),
        ({"clinical": CLINICAL | {"weakness_months": -1}}, "clinical", "weakness_months"),
        (
            {"clinical": CLINICAL | {"reduced_reflexes": "no"}},
            "clinical.reduced_reflexes",
            "true or false",
        ),
        ({"supportive": None}, "supportive", "an object"),
        (
            {"segments": [DEFINITE_SEGMENT | {"distal_area_mv_ms": 0}]},
            "segments[0]",
            "a number > 0",
        ),
        ({"segments": [DEFINITE_SEGMENT | {"nerve": ""}]}, "segments[0].nerve", "a name"),
        ({"segments": [DEFINITE_SEGMENT] * 41}, "segments", "at most 40"),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(
    change: dict[str, Any], field: str, words: str
) -> None:
    with pytest.raises(FieldError) as caught:
        _check(assessment(**change))
    assert caught.value.field == field
    assert str(caught.value).startswith(field)
    assert words in str(caught.value)


def test_the_form_leaves_an_unanswered_exclusion_unanswered() -> None:
    form = {"assessed_on": "2026-11-25", "exclusions.pregnancy": "no"}
    data = from_form(form, EXCLUSION_IDS)
    assert data["exclusions"]["pregnancy"] is False
    assert data["exclusions"]["neutropenia"] is None
    with pytest.raises(FieldError, match=r"exclusions\.immunosuppressant: got None"):
        _check(data)


def _form(**extra: str) -> dict[str, str]:
    form = {"assessed_on": "2026-11-25", "sensory_conduction_normal": "on"}
    form |= {"age_years": "52", "sex": "F"}
    form |= {f"exclusions.{i}": "no" for i in EXCLUSION_IDS}
    form |= {f"clinical.{k}": "on" for k, v in CLINICAL.items() if v is True}
    form |= {"clinical.affected_nerves": "3", "clinical.weakness_months": "14"}
    form |= {"supportive.anti_gm1": "on", "supportive.ivig_improvement": "on"}
    for name, value in DEFINITE_SEGMENT.items():
        if value is True:
            form[f"segments.0.{name}"] = "on"
        elif value is not False:
            form[f"segments.0.{name}"] = str(value)
    return form | extra


def test_the_page_computes_shows_stores_and_audits_the_category(
    study: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with Database.open(study) as db, db.write() as conn:
        entry = enrol(conn, SITES[0], "SCR-1")
    path = f"/sites/AMC/screening/{entry}/eligibility"
    with app_client(study) as (client, database):
        token = sign_in(client, "investigator_amc")
        assert "Assess eligibility" in client.get(path).text
        bad = client.post(path, data=_form(**{"clinical.affected_nerves": "two"}, csrf_token=token))
        assert bad.status_code == 422
        assert "clinical.affected_nerves: got &#39;two&#39;" in bad.text
        saved = client.post(path, data=_form(csrf_token=token))
        assert saved.status_code == 303, saved.text
        page = client.get(path).text
        assert "<strong>definite</strong>" in page
        assert "<strong>Eligible</strong>" in page
        assert "definite conduction block with normal sensory conduction in median" in page
        # A change needs a reason; with one, the verdict follows the new answers.
        changed = _form(**{"exclusions.neutropenia": "yes"}, csrf_token=token)
        assert client.post(path, data=changed).status_code == 422
        assert client.post(path, data=changed | {"reason": "lab came back"}).status_code == 303
        assert "<strong>Not eligible</strong>" in client.get(path).text
        # The other site's investigator cannot reach it; a nurse of AMC reads it by API.
        client.cookies.clear()
        sign_in(client, "monitor")
        api = client.get(f"/api/sites/AMC/screening/{entry}/eligibility").json()
        assert (api["category"], api["eligible"]) == ("definite", False)
        assert client.get(f"/sites/UMCU/screening/{entry}/eligibility").status_code == 404
        with database.read() as conn:
            audit.check(conn)
            trail = [stored.entry for stored in chain.read(conn, audit.CHAIN)]
    changes = [e.content for e in trail if e.content["table"] == "eligibility"]
    assert [c["reason"] for c in changes] == [None, "lab came back"]
    assert changes[1]["changes"]["eligible"] == [True, False]


def test_only_an_enrolled_entry_of_the_site_is_assessed(study: str | Path) -> None:
    with Database.open(study) as db, db.write() as conn:
        entry = enrol(conn, SITES[1], "SCR-2")
    with app_client(study) as (client, _):
        token = sign_in(client, "investigator_amc")
        answer = client.post(
            f"/api/sites/AMC/screening/{entry}/eligibility",
            json=assessment(),
            headers={"X-CSRF-Token": token},
        )
        assert answer.status_code == 404
        assert "an enrolled patient of the screening log of site AMC" in answer.text


def test_an_entry_id_beyond_any_row_id_is_not_found(study: str | Path) -> None:
    # Found by tests/capture/test_bad_input_routes.py: SQLite's driver raised
    # OverflowError (a 500) on an id past 64 bits instead of finding nothing.
    huge = 2**64
    with_list(study)
    with app_client(study) as (client, _):
        token = sign_in(client, "investigator_amc")
        page = client.get(f"/sites/AMC/screening/{huge}/eligibility")
        answer = client.post(
            f"/api/sites/AMC/screening/{huge}/eligibility",
            json=assessment(),
            headers={"X-CSRF-Token": token},
        )
        randomized = client.post(
            f"/api/sites/AMC/screening/{huge}/randomize", headers={"X-CSRF-Token": token}
        )
    assert page.status_code == 404
    assert (answer.status_code, randomized.status_code) == (404, 404)
    assert f"screening entry: got {huge}" in answer.text


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("age_years", "", "age_years: got &#39;&#39;"),
        ("age_years", "121", "age_years: got &#39;121&#39;"),
        ("age_years", "nan", "age_years: got &#39;nan&#39;"),
        ("sex", "X", "sex: got &#39;X&#39;, expected F or M"),
        ("sex", None, "sex: got None, expected F or M"),
    ],
)
def test_the_page_refuses_a_bad_age_or_sex_naming_it(
    study: str | Path,
    monkeypatch: pytest.MonkeyPatch,
    field: str,
    value: str | None,
    shown: str,
) -> None:
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with Database.open(study) as db, db.write() as conn:
        entry = enrol(conn, SITES[0], "SCR-1")
    path = f"/sites/AMC/screening/{entry}/eligibility"
    with app_client(study) as (client, database):
        token = sign_in(client, "investigator_amc")
        form = _form(csrf_token=token)
        if value is None:
            del form[field]
        else:
            form[field] = value
        answer = client.post(path, data=form)
        with database.read() as conn:
            assert eligibility.stored(conn, entry) is None  # nothing half-saved
    assert answer.status_code == 422
    assert shown in answer.text


def test_the_api_records_age_and_sex_with_the_assessment_audited(
    study: str | Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with Database.open(study) as db, db.write() as conn:
        entry = enrol(conn, SITES[0], "SCR-1")
    path = f"/api/sites/AMC/screening/{entry}/eligibility"
    with app_client(study) as (client, database):
        headers = {"X-CSRF-Token": sign_in(client, "investigator_amc")}
        bad = client.post(path, json=assessment(age_years=True), headers=headers)
        no_sex = client.post(path, json=assessment(sex=None), headers=headers)
        saved = client.post(path, json=assessment(age_years=61.5, sex="M"), headers=headers)
        older = assessment(age_years=62, sex="M", reason="birth date corrected")
        changed = client.post(path, json=older, headers=headers)
        read = client.get(path).json()
        page = client.get(path.removeprefix("/api")).text
        with database.read() as conn:
            audit.check(conn)
            trail = [s.entry.content for s in chain.read(conn, audit.CHAIN)]
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["field"] == "age_years"
    assert no_sex.status_code == 422
    assert no_sex.json()["detail"][0]["field"] == "sex"
    assert (saved.status_code, changed.status_code) == (201, 201)
    assert (read["age_years"], read["sex"]) == (62.0, "M")
    assert "Age 62 years, sex M" in page
    recorded = [c for c in trail if c["table"] == "demographics"]
    assert [(c["changes"].get("age_years"), c["reason"]) for c in recorded] == [
        ([None, 61.5], None),
        ([61.5, 62.0], "birth date corrected"),
    ]
