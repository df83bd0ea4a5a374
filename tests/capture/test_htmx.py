"""htmx in the pages: the app serves its own copy, and the MRC sum is answered as typed."""

from __future__ import annotations

import html
from pathlib import Path

from fastapi.testclient import TestClient

from mmntrial.capture import audit
from mmntrial.capture.static_web import HTMX_PATH
from mmntrial.storage import chain
from tests.capture.test_assessments import FORM, client, grades
from tests.capture.web_client import app_client, sign_in, token_of

__all__ = ["client"]  # the fixture, shared with the assessment form's tests

SUM = FORM + "/mrc-sum"
STATIC = Path(__file__).parents[2] / "src" / "mmntrial" / "capture" / "static"


def test_the_app_serves_its_htmx_cached_and_as_javascript(client: TestClient) -> None:
    page = client.get(FORM).text
    assert f'<script src="{HTMX_PATH}" defer></script>' in page
    served = client.get(HTMX_PATH)
    assert served.status_code == 200
    assert served.headers["content-type"] == "text/javascript; charset=utf-8"
    assert served.content == (STATIC / "htmx-2.0.4.min.js").read_bytes()
    assert "immutable" in served.headers["cache-control"]
    again = client.get(HTMX_PATH, headers={"If-None-Match": served.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


def test_htmx_needs_signing_in(study: str | Path) -> None:
    with app_client(study) as (anonymous, _):
        assert anonymous.get(HTMX_PATH).status_code == 303  # to the sign-in page
        assert "<script" not in anonymous.get("/login").text
        sign_in(anonymous, "monitor")
        assert anonymous.get(HTMX_PATH).status_code == 200  # a reader's pages load it too


def _audit_length(client: TestClient) -> int:
    database = client.app.state.database  # type: ignore[attr-defined]
    with database.read() as conn:
        return len(chain.read(conn, audit.CHAIN))


def _sum(client: TestClient, typed: dict[str, str]) -> str:
    answer = client.post(SUM, data={"csrf_token": client.headers["X-CSRF-Token"], **typed})
    assert answer.status_code == 200, answer.text
    return html.unescape(answer.text)


def test_the_sum_is_answered_as_typed_and_nothing_is_saved(client: TestClient) -> None:
    before = _audit_length(client)
    whole = _sum(client, grades())
    assert "Sum of the grades entered: 100 of 100 (MRC sum 100)." in whole
    assert "Missing grades" not in whole
    typed = grades(left__elbow_flexion="4-")
    del typed["mrc.right.thumb_abduction"]
    partial = _sum(client, typed)
    assert "Sum of the grades entered: 94 of 100." in partial
    assert "Missing grades: thumb abduction (right)." in partial
    refused = _sum(client, grades(left__wrist_flexion="7"))
    assert "mrc.left.wrist_flexion: " in refused
    assert "(MRC sum" not in refused  # no total while a grade is refused
    assert _audit_length(client) == before
    assert "Sum of the grades entered: 0 of 100." in client.get(FORM).text


def test_the_form_asks_for_the_sum_as_typed_only_of_those_who_may_save(
    client: TestClient, study: str | Path
) -> None:
    assert f'hx-post="{SUM}"' in client.get(FORM).text
    assert 'hx-trigger="input changed delay:300ms"' in client.get(FORM).text
    with app_client(study) as (monitor, _):
        sign_in(monitor, "monitor")
        page = monitor.get(FORM)
        assert page.status_code == 200
        assert "hx-post" not in page.text
        token = {"csrf_token": token_of(monitor.get("/").text)}
        assert monitor.post(SUM, data=token).status_code == 403  # the table: writers only


def test_unknown_visits_and_subjects_are_404(client: TestClient) -> None:
    token = {"csrf_token": client.headers["X-CSRF-Token"]}
    unknown = client.post(FORM.replace("M0", "M99") + "/mrc-sum", data=token)
    assert unknown.status_code == 404
    nobody = client.post(SUM.replace("AMC-001", "AMC-999"), data=token)
    assert nobody.status_code == 404
