"""No page, API answer or error a blinded role gets names an arm: every route, a full cycle.

A participant goes through a visit cycle by the app's own API (baseline infusions, a
visit with its assessment and grip per hand, an adverse event, a lab, a concomitant
medication, a disposition, an infusion correction, the engine panel and an overridden
decision, so a protocol deviation); then every blinded role (everyone but the pharmacist
and the DSMB statistician) uses EVERY route of the app: each page and API answer read
with this trial's records in its path, each POST sent empty (its error), and each route
again with records that do not exist or a patient not assessed (its 404 or 422), and
with the other site (its 403). Every answer, headers included,
is searched for each arm's name and label.

The routes come from the app itself (``app.routes``): a route added later is swept
without an edit here, or, when its path holds a parameter this test has no value for,
the test fails naming it (:func:`test_a_route_added_later_is_swept_and_named`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from httpx import Response
from starlette.routing import Route

from mmntrial.capture.permissions import PERMISSIONS, Role, Rule
from mmntrial.capture.web import create_app
from mmntrial.randomization.lists import AllocationList
from mmntrial.storage import Database
from tests.capture.conftest import user_for
from tests.capture.test_assessments import grades
from tests.capture.test_randomize import BLINDED, _arm_words, _session_data
from tests.capture.trial_setup import TODAY, enrol, enrol_eligible, with_list
from tests.capture.web_client import sign_in

SUBJECT = "/api/sites/AMC/participants/AMC-001"
BASELINE = (-84, -56, -28)
#: Path values naming nothing of this trial at its own site: the routes' 404s.
MADE_UP = {"subject": "NOBODY", "visit": "M99", "given_on": "2020-01-01", "record": "999",
           "query": "999"}  # fmt: skip


@dataclass
class Swept:
    """What the blinded roles were answered, and the routes the sweep could not fill."""

    answers: list[tuple[str, str, str]] = field(default_factory=list)
    unfilled: list[str] = field(default_factory=list)


@pytest.fixture(autouse=True)
def frozen_today(monkeypatch: pytest.MonkeyPatch) -> None:
    """The study's 'today', so that the setup's dates stay in the past."""
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)


@contextmanager
def _client(study: str | Path, key: AllocationList, add: Callable[[FastAPI], None] | None = None
            ) -> Iterator[TestClient]:  # fmt: skip
    with Database.open(study) as database:
        app = create_app(database, secret="test secret", key=key)
        if add is not None:
            add(app)
        with TestClient(app, follow_redirects=False) as client:
            yield client


def _day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()


def _cycle(client: TestClient, entry: int, keep: Callable[[str, Response], None]) -> str:
    """A visit cycle of AMC-001 by the investigator (a blinded role: its answers are kept
    too); the infusion day it corrects."""
    token = sign_in(client, user_for(Role.INVESTIGATOR))
    headers = {"X-CSRF-Token": token}

    def post(path: str, body: dict[str, str], expected: int = 201) -> Response:
        answer = client.post(path, json=body, headers=headers)
        keep(f"cycle POST {path}", answer)
        assert answer.status_code == expected, f"{path}: {answer.text}"
        return answer

    post(f"/api/sites/AMC/screening/{entry}/randomize", {})
    for day in BASELINE:
        post(SUBJECT + "/infusions", {"given_on": _day(day), "product": "Kiovig",
             "lot": f"L{day + 100}", "dose_g": "40", "weight_kg": "70",
             "interval_days": "28"})  # fmt: skip
    post(SUBJECT + "/infusions/" + _day(-28), {"lot": "LX1", "reason": "lot misread"}, 200)
    post(SUBJECT + "/visits", {"visit": "M0", "visited_on": _day(0)})
    post(SUBJECT + "/visits/M0/assessment", {**grades("5"), "value.gnds_upper": "2"})
    post(SUBJECT + "/visits/M0/grip", {"instrument": "martin_vigorimeter", "unit": "kPa",
         "grip.left.trial1": "48", "grip.left.trial2": "52", "grip.left.trial3": "50",
         "grip.right.trial1": "41", "grip.right.trial2": "40"})  # fmt: skip
    post(SUBJECT + "/adverse-events", {"term": "Headache", "onset_on": _day(-3), "grade": "2",
         "serious": "no", "related_to": "ivig", "action_taken": "none",
         "outcome": "recovering"})  # fmt: skip
    post(SUBJECT + "/labs", {"sampled_on": _day(-1), "test": "neutrophils", "value": "1.2"})
    post(SUBJECT + "/conmeds", {"medication": "Prednisolone", "started_on": _day(-30),
         "category": "prohibited"})  # fmt: skip
    post(SUBJECT + "/decision", {"outcome": "override", "given_dose_g": "35",
         "reason": "patient asked for less"})  # fmt: skip
    post(SUBJECT + "/disposition", {"status": "withdrawn", "last_on": _day(0),
         "reason": "moved abroad"})  # fmt: skip
    return _day(-28)


def _path(route: Route, values: dict[str, str]) -> str | None:
    path = route.path
    for name in route.param_convertors:
        if name not in values:
            return None
        path = path.replace("{" + name + "}", quote(values[name], safe=""))
    return path


def _sweep(client: TestClient, passes: list[dict[str, str]], swept: Swept) -> None:
    """Every blinded role uses every route of the app, once with each of ``passes`` (the
    values of the paths' parameters)."""
    routes = [r for r in client.app.routes if isinstance(r, Route)]  # type: ignore[attr-defined]
    for role in BLINDED:
        client.cookies.clear()
        token = sign_in(client, user_for(role))

        def keep(what: str, answer: Response, role: Role = role, token: str = token) -> None:
            # The client's own random secrets (its CSRF token, the session cookie's
            # signature) may hold an arm's letters by chance: the search reads the answer
            # without the token and the cookie as the data it carries.
            def readable(text: str) -> str:
                return text.replace(token, "<csrf token>")

            swept.answers.append((role.value, what, readable(answer.text)))
            for name, value in answer.headers.multi_items():
                shown = _session_data(value) if name.lower() == "set-cookie" else value
                swept.answers.append((role.value, f"{what} header {name}", readable(shown)))

        for route in routes:
            for given in passes:
                path = _path(route, given)
                if path is None:
                    swept.unfilled.append(f"{route.name} ({route.path})")
                    continue
                for method in sorted(route.methods - {"HEAD"}):
                    where = f"{method} {path} ({route.name})"
                    if method == "GET":
                        keep(where, client.get(path))
                    elif path.startswith("/api/"):
                        keep(where, client.post(path, json={}, headers={"X-CSRF-Token": token}))
                    else:
                        keep(where, client.post(path, data={"csrf_token": token}))
                    if route.name in ("login", "logout"):  # a new session either way
                        client.cookies.clear()
                        token = sign_in(client, user_for(role))


def _hits(swept: Swept, words: list[str]) -> list[tuple[str, str, str]]:
    return [(role, what, w) for role, what, text in swept.answers for w in words if w in text]


@dataclass
class Trial:
    """A study with its list and key, AMC-001 through a cycle, and the sweep's values."""

    study: str | Path
    key: AllocationList
    words: list[str]
    passes: list[dict[str, str]]
    swept: Swept


@pytest.fixture
def trial(study: str | Path) -> Trial:
    """The cycle done (its answers kept), the sweep not yet."""
    key = with_list(study)
    with Database.open(study) as db, db.write() as conn:
        entry = enrol_eligible(conn, "AMC", "SCR-1")
        spare = enrol_eligible(conn, "AMC", "SCR-2")
        unassessed = enrol(conn, "AMC", "SCR-NOT")
    swept = Swept()
    with _client(study, key) as client:

        def keep(what: str, answer: Response) -> None:
            swept.answers.append((Role.INVESTIGATOR.value, what, answer.text))

        corrected = _cycle(client, entry, keep)
    values = {"site": "AMC", "subject": "AMC-001", "visit": "M0", "given_on": corrected,
              "record": "1", "entry": str(spare), "query": "1"}  # fmt: skip
    passes = [
        values,
        {**values, **MADE_UP, "entry": str(unassessed)},
        {**values, "site": "UMCU"},
    ]
    return Trial(study, key, _arm_words(key, study), passes, swept)


def test_no_answer_to_a_blinded_role_on_any_route_names_an_arm(trial: Trial) -> None:
    with _client(trial.study, trial.key) as client:
        _sweep(client, trial.passes, trial.swept)
        client.cookies.clear()
        sign_in(client, user_for(Role.PHARMACIST))
        dispensing = client.get("/sites/AMC/dispensing").text
    assert trial.swept.unfilled == []
    # The grep can find: the pharmacist's page names the arms (with the key held).
    assert any(w in dispensing for w in trial.words)
    assert _hits(trial.swept, trial.words) == []
    # Each form's record was there to read: a page per form came back whole.
    seen = {what for _, what, _ in trial.swept.answers}
    for page in ("grip", "adverse-events", "labs", "conmeds", "disposition", "panel"):
        assert any(what.startswith("GET /sites/AMC/") and page in what for what in seen), page
    texts = {what: text for role, what, text in trial.swept.answers if role == "monitor"}
    assert "Headache" in texts["GET /sites/AMC/participants/AMC-001/adverse-events "
                               "(adverse_events_page)"]  # fmt: skip
    assert "LX1" in texts["GET /api/sites/AMC/participants/AMC-001/infusions (api_infusions)"]
    assert "deviation" in texts["GET /sites/AMC/deviations (deviations_page)"]


def test_a_route_added_later_is_swept_and_named(
    trial: Trial, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two routes of another module, each with its permission entry and no edit here: one
    # tells the arm to a monitor, the other's path holds a parameter the sweep lacks.
    rule = Rule(frozenset({Role.MONITOR}), summary="a probe", per_site=True)
    monkeypatch.setitem(PERMISSIONS, "sweep_probe", rule)
    monkeypatch.setitem(PERMISSIONS, "sweep_probe_unknown", rule)
    arm = trial.key.design.arms[0]

    def add(app: FastAPI) -> None:
        @app.get("/sites/{site}/probe", name="sweep_probe", include_in_schema=False)
        def probe(site: str) -> PlainTextResponse:
            return PlainTextResponse(f"site {site} allocates to {arm}")

        @app.get("/sites/{site}/probe/{batch}", name="sweep_probe_unknown",
                 include_in_schema=False)  # fmt: skip
        def unknown(site: str, batch: str) -> PlainTextResponse:
            return PlainTextResponse(batch)

    with _client(trial.study, trial.key, add) as client:
        _sweep(client, trial.passes, trial.swept)
    assert ("monitor", "GET /sites/AMC/probe (sweep_probe)", arm) in _hits(trial.swept, trial.words)
    assert "sweep_probe_unknown (/sites/{site}/probe/{batch})" in trial.swept.unfilled
