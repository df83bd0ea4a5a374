"""The capture app's routes: sign-in, CSRF, pages, the JSON API and its bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mmntrial.capture import audit
from mmntrial.capture.permissions import PERMISSIONS
from mmntrial.capture.tables import screening_log
from mmntrial.storage import chain
from tests.capture.conftest import PASSWORD
from tests.capture.web_client import app_client, sign_in, token_of
from tests.storage.postgres import raw

DAY = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
BEFORE = (datetime.now(UTC).date() - timedelta(days=4)).isoformat()
ENROL = {
    "screening_id": "SCR-1",
    "screened_on": DAY,
    "outcome": "enrolled",
    "consent_version": "v2.1",
    "consent_date": BEFORE,
}
NURSE = "study_nurse_amc"


def test_every_route_has_exactly_one_permission_entry(study: str | Path) -> None:
    with app_client(study) as (client, _):
        names = [getattr(route, "name", None) for route in client.app.routes]  # type: ignore[attr-defined]
    assert sorted(n for n in names if n not in PERMISSIONS) == []
    assert sorted(set(PERMISSIONS) - set(names)) == []
    assert len(names) == len(set(names))


def test_per_site_rules_are_exactly_the_routes_with_a_site_in_their_path(
    study: str | Path,
) -> None:
    with app_client(study) as (client, _):
        routes = {r.name: r.path for r in client.app.routes}  # type: ignore[attr-defined]
    assert {n for n, p in routes.items() if "{site}" in p} == {
        n for n, rule in PERMISSIONS.items() if rule.per_site
    }


def test_a_route_without_an_entry_is_refused(tmp_path: Path, study: str | Path) -> None:
    with app_client(study) as (client, _):
        app: Any = client.app

        @app.get("/forgotten", name="forgotten")
        def forgotten() -> str:
            return "open"

        sign_in(client, "alice")
        response = client.get("/forgotten")
    assert response.status_code == 403
    assert "no entry in the permission table" in response.text


def test_a_page_without_a_session_sends_to_sign_in_and_the_api_says_401(
    study: str | Path,
) -> None:
    with app_client(study) as (client, _):
        assert client.get("/").headers["location"] == "/login"
        assert client.get("/sites/AMC/screening").status_code == 303
        assert client.get("/api/study").status_code == 401


def test_the_session_cookie_is_signed_httponly_and_samesite_lax(study: str | Path) -> None:
    with app_client(study) as (client, _):
        token = token_of(client.get("/login").text)
        done = client.post(
            "/login", data={"username": "alice", "password": PASSWORD, "csrf_token": token}
        )
    cookie = done.headers["set-cookie"].lower()
    assert cookie.startswith("mmntrial_session=")
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_a_wrong_password_or_a_retired_user_does_not_sign_in(study: str | Path) -> None:
    with app_client(study) as (client, _):
        token = token_of(client.get("/login").text)
        wrong = client.post(
            "/login", data={"username": "alice", "password": "nope", "csrf_token": token}
        )
        assert wrong.status_code == 400
        assert "does not match an active account" in wrong.text
        assert 'value="alice"' in wrong.text
        admin = sign_in(client, "alice")
        retire = {"user": NURSE, "reason": "left the study", "csrf_token": admin}
        assert client.post("/admin/users/retire", data=retire).status_code == 303
        client.post("/logout", data={"csrf_token": admin})
        token = token_of(client.get("/login").text)
        retired = client.post(
            "/login", data={"username": NURSE, "password": PASSWORD, "csrf_token": token}
        )
        assert retired.status_code == 400


@pytest.mark.parametrize("token", [None, "forged"])
def test_an_unsafe_request_without_the_session_token_is_refused(
    study: str | Path, token: str | None
) -> None:
    with app_client(study) as (client, _):
        real = sign_in(client, NURSE)
        data = {**ENROL, **({"csrf_token": token} if token else {})}
        assert client.post("/sites/AMC/screening", data=data).status_code == 403
        headers = {"X-CSRF-Token": token} if token else {}
        api = client.post("/api/sites/AMC/screening", json=ENROL, headers=headers)
        assert api.status_code == 403
        assert "csrf_token" in api.json()["detail"]
        assert client.post("/logout", data={"csrf_token": token or ""}).status_code == 403
        # The same requests with the session's token go through.
        ok = client.post("/api/sites/AMC/screening", json=ENROL, headers={"X-CSRF-Token": real})
        assert ok.status_code == 201
    assert raw(study, "SELECT screening_id FROM screening_log") == [("SCR-1",)]


def test_a_nurse_screens_a_patient_and_the_trail_names_her(study: str | Path) -> None:
    with app_client(study) as (client, database):
        token = sign_in(client, NURSE)
        done = client.post("/sites/AMC/screening", data={**ENROL, "csrf_token": token})
        assert done.status_code == 303
        page = client.get("/sites/AMC/screening").text
        assert "SCR-1" in page
        assert "v2.1" in page
        with database.read() as conn:
            row = conn.execute(select(screening_log)).mappings().one()
            last = chain.read(conn, audit.CHAIN)[-1].entry
            audit.check(conn)
    assert row["outcome"] == "enrolled"
    assert (last.who, last.kind, last.content["table"]) == (NURSE, "insert", "screening_log")


def test_a_bad_form_is_shown_again_with_the_message_and_the_values(study: str | Path) -> None:
    with app_client(study) as (client, _):
        token = sign_in(client, NURSE)
        bad = {**ENROL, "consent_date": "31/12/2026", "csrf_token": token}
        page = client.post("/sites/AMC/screening", data=bad)
    assert page.status_code == 422
    assert "consent_date: got &#39;31/12/2026&#39;, expected a date YYYY-MM-DD" in page.text
    assert 'value="SCR-1"' in page.text
    assert 'value="v2.1"' in page.text
    assert raw(study, "SELECT count(*) FROM screening_log") == [(0,)]


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({k: v for k, v in ENROL.items() if k != "outcome"}, "outcome", "got none"),
        ({**ENROL, "screening_id": 7}, "screening_id", "got 7, expected"),
        ({**ENROL, "screened_on": "yesterday"}, "screened_on", "got 'yesterday', expected a date"),
        ({**ENROL, "outcome": "excluded"}, "exclusion_code", "one of the protocol's exclusions"),
    ],
)
def test_bad_api_input_is_a_422_naming_the_field(
    study: str | Path, body: dict[str, Any], field: str, words: str
) -> None:
    with app_client(study) as (client, _):
        token = sign_in(client, NURSE)
        done = client.post("/api/sites/AMC/screening", json=body, headers={"X-CSRF-Token": token})
    assert done.status_code == 422
    [problem] = done.json()["detail"]
    assert problem["field"] == field
    assert problem["message"].startswith(f"{field}: got ")
    assert words in problem["message"]


FIELDS = ("screening_id", "screened_on", "outcome", "exclusion_code", "consent_version",
          "consent_date", "other")  # fmt: skip
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=80),
    st.sampled_from([DAY, BEFORE, "enrolled", "excluded", "neutropenia", "2026-02-30"]),
    st.lists(st.integers(), max_size=2),
)  # fmt: skip


def test_no_api_body_gets_a_5xx(tmp_path: Path) -> None:
    target = tmp_path / "study.db"
    _make_study(target)
    with app_client(target) as (client, _):
        token = sign_in(client, NURSE)

        @settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
        @given(body=st.dictionaries(st.sampled_from(FIELDS), VALUES))
        def post(body: dict[str, Any]) -> None:
            done = client.post(
                "/api/sites/AMC/screening", json=body, headers={"X-CSRF-Token": token}
            )
            assert done.status_code in (201, 422), done.text
            if done.status_code == 422:
                for problem in done.json()["detail"]:
                    assert problem["message"].startswith(f"{problem['field']}: got")

        post()


def _make_study(target: Path) -> None:
    from mmntrial.capture import accounts
    from mmntrial.capture.study import init_study
    from mmntrial.storage import Database

    with Database.open(target) as db, db.write() as conn:
        init_study(conn, "piepers-2007", ["AMC", "UMCU"], "alice", PASSWORD)
        accounts.add_user(conn, NURSE, PASSWORD, "setup")
        accounts.grant(conn, NURSE, "study_nurse", "AMC", "setup")


def test_the_admin_pages_add_grant_revoke_with_reasons(study: str | Path) -> None:
    with app_client(study) as (client, database):
        token = sign_in(client, "alice")
        add = {"user": "nora", "password": PASSWORD, "role": "study_nurse", "site": "UMCU"}
        assert client.post("/admin/users", data={**add, "csrf_token": token}).status_code == 303
        grant = {"user": "nora", "role": "monitor", "site": "", "csrf_token": token}
        assert client.post("/admin/grants", data=grant).status_code == 303
        revoke = {"user": "nora", "role": "monitor", "site": "", "csrf_token": token}
        refused = client.post("/admin/grants/revoke", data=revoke)
        assert refused.status_code == 422
        assert "reason: got" in refused.text
        done = client.post("/admin/grants/revoke", data={**revoke, "reason": "granted by mistake"})
        assert done.status_code == 303
        page = client.get("/admin/users").text
        assert "study_nurse at UMCU" in page
        with database.read() as conn:
            entries = chain.read(conn, audit.CHAIN)
            audit.check(conn)
    last = entries[-1].entry
    assert (last.kind, last.who) == ("update", "alice")
    assert last.content["reason"] == "granted by mistake"
    assert last.content["changes"] == {"active": [True, False]}


def test_a_weak_password_on_the_admin_page_is_refused_without_echoing_it(
    study: str | Path,
) -> None:
    with app_client(study) as (client, _):
        token = sign_in(client, "alice")
        add = {"user": "nora", "password": "short", "role": "monitor", "csrf_token": token}
        page = client.post("/admin/users", data=add)
    assert page.status_code == 422
    assert "password: got 5 characters" in page.text
    assert "short" not in page.text.replace("shortcut", "")


def test_the_api_has_an_openapi_document(study: str | Path) -> None:
    with app_client(study) as (client, _):
        sign_in(client, "monitor")
        document = client.get("/api/openapi.json").json()
    assert set(document["paths"]) == {
        "/api/openapi.json",
        "/api/study",
        "/api/sites/{site}/screening",
        "/api/sites/{site}/screening/{entry}/eligibility",
        "/api/sites/{site}/screening/{entry}/randomize",
        "/api/sites/{site}/participants",
        "/api/sites/{site}/participants/{subject}/unblind",
        "/api/sites/{site}/participants/{subject}/calendar",
        "/api/sites/{site}/participants/{subject}/visits",
        "/api/sites/{site}/overdue",
        "/api/sites/{site}/participants/{subject}/visits/{visit}/assessment",
        "/api/sites/{site}/participants/{subject}/infusions",
        "/api/sites/{site}/participants/{subject}/panel",
        "/api/sites/{site}/participants/{subject}/decision",
        "/api/sites/{site}/participants/{subject}/infusions/{given_on}",
        "/api/sites/{site}/participants/{subject}/visits/{visit}/grip",
        "/api/sites/{site}/participants/{subject}/adverse-events",
        "/api/sites/{site}/participants/{subject}/adverse-events/{record}",
        "/api/sites/{site}/participants/{subject}/labs",
        "/api/sites/{site}/participants/{subject}/labs/{record}",
        "/api/sites/{site}/participants/{subject}/conmeds",
        "/api/sites/{site}/participants/{subject}/conmeds/{record}",
        "/api/sites/{site}/participants/{subject}/disposition",
        "/api/sites/{site}/participants/{subject}/disposition/{record}",
        "/api/sites/{site}/action-items",
        "/api/sites/{site}/action-items/resolved",
        "/api/sites/{site}/action-items/{record}",
        "/api/sites/{site}/participants/{subject}/action-items",
        "/api/sites/{site}/participants/{subject}/lab-schedule",
        "/api/sites/{site}/saes",
        "/api/sites/{site}/participants/{subject}/adverse-events/{record}/sae",
        "/api/sites/{site}/participants/{subject}/review",
        "/api/sites/{site}/participants/{subject}/queries",
        "/api/sites/{site}/queries",
        "/api/sites/{site}/queries/{query}/answer",
        "/api/sites/{site}/queries/{query}/close",
        "/api/sites/{site}/queries/{query}/reopen",
        "/api/sites/{site}/participants/{subject}/locks",
        "/api/sites/{site}/participants/{subject}/unlock",
        "/api/sites/{site}/participants/{subject}/sign",
        "/api/sites/{site}/participants/{subject}/verify",
    }


def test_a_nurse_sees_only_her_sites(study: str | Path) -> None:
    with app_client(study) as (client, _):
        token = sign_in(client, "investigator_amc")
        client.post("/sites/AMC/screening", data={**ENROL, "csrf_token": token})
        client.post("/logout", data={"csrf_token": token})
        sign_in(client, NURSE)
        home = client.get("/").text
        assert "/sites/AMC/screening" in home
        assert "/sites/UMCU/screening" not in home
        assert client.get("/api/study").json()["sites"] == ["AMC"]
        assert client.get("/sites/UMCU/screening").status_code == 403
        assert client.get("/api/sites/UMCU/screening").status_code == 403
        assert client.get("/sites/NOWHERE/screening").status_code == 404


@pytest.mark.parametrize(
    ("body", "words"),
    [(b"\x80", "cannot be read"), (b'{"screening_id": ', "not JSON")],
)
def test_an_api_body_that_is_no_json_is_refused_naming_the_body(
    study: str | Path, body: bytes, words: str
) -> None:
    # Found by tests/capture/test_bad_input_routes.py: bytes that are not UTF-8 got
    # FastAPI's bare 400 "There was an error parsing the body", and broken JSON a 422
    # naming a character position as its field.
    with app_client(study) as (client, _):
        token = sign_in(client, NURSE)
        done = client.post(
            "/api/sites/AMC/screening",
            content=body,
            headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        )
    assert done.status_code in (400, 422)
    [problem] = done.json()["detail"]
    assert problem["field"] == "body"
    assert problem["message"].startswith("body: got ")
    assert words in problem["message"]


def test_the_admin_form_names_the_user_field_its_message_names(study: str | Path) -> None:
    # Found by tests/capture/test_bad_input_routes.py: the form's field was "username",
    # the message (shared with the command line's --user) said "user: got ...".
    with app_client(study) as (client, _):
        token = sign_in(client, "alice")
        page = client.post("/admin/users", data={"user": "", "csrf_token": token}).text
    assert 'name="user"' in page
    assert "user: got &#39;&#39;" in page
