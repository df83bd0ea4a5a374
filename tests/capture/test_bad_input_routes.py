"""Bad input on every route of the capture app: never a 5xx, and a 4xx names the field.

The routes come from the app itself (``app.routes``, each looked up in the permission
table), so a route added later is fuzzed here without an edit, or the test fails naming
it. Each route is used by a role the table allows at the study's own site, with the
session's CSRF token, in a small trial (a list with its key, an eligible patient, a
randomized participant) so that the path names real records as often as made-up ones.

- The JSON API is fuzzed from its OpenAPI document with schemathesis, positive and
  negative data; a POST whose body the document leaves open (read with
  :func:`mmntrial.capture.routes.json_body`) also gets JSON objects of its page's form
  fields with values of every JSON type.
- Every HTML form route gets, with hypothesis, its form's fields (read from the forms
  the app's pages render with that action) missing, empty, huge, with control
  characters, of the wrong type, or dates out of range.
- A few routes with a known valid submission get it with exactly one field spoiled: a
  4xx must then name that field.

Whatever the answer, after the run the audit chain verifies and replays against the
tables (:func:`mmntrial.capture.audit.check`): nothing was half-written.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from itertools import count
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi import FastAPI, Request, Response
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.generation.modes import GenerationMode
from starlette.routing import Route

from mmntrial.capture import accounts, audit
from mmntrial.capture.permissions import PERMISSIONS, SITE_ROLES, Role, Rule, may
from mmntrial.capture.study import init_study, load_study
from mmntrial.capture.web import create_app
from mmntrial.randomization.lists import AllocationList
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD, WHO, user_for
from tests.capture.trial_setup import enrol_eligible, study_list
from tests.capture.web_client import sign_in

SITE = "AMC"
#: The role tried first for a route: writers first, so that pages render their forms.
PREFERRED = (Role.INVESTIGATOR, Role.STUDY_NURSE, Role.ADMIN, Role.PHARMACIST,
             Role.DATA_MANAGER, Role.MONITOR, Role.DSMB_STATISTICIAN)  # fmt: skip
#: Examples per route and kind of data: about a minute in all on a shared 2-core machine.
EXAMPLES = 25
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
#: Values typed into a form field: empty, huge, control characters, wrong types, dates
#: out of range, and plain text.


def _huge(length: int) -> str:
    # Made when drawn: a strategy holding the text would print all of it in its repr.
    return "x" * length


WRONG_TYPES = ("abc", "0", "-1", "3.5", "1e309", "-1e309", "nan", "inf", "-0",
               "99999999999999999999", "1_000", "0x10", "true", "null", "[]", "{}")  # fmt: skip
BAD_DATES = ("0001-01-01", "9999-12-31", "2026-02-30", "2026-13-01", "1900-01-01",
             "20261201", "2026-12-01T00:00:00", "01/12/2026", "-2026-01-01")  # fmt: skip
NASTY = st.one_of(
    st.just(""),
    st.just(20_000).map(_huge),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=40),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"]), max_size=8),
    st.sampled_from(WRONG_TYPES),
    st.sampled_from(BAD_DATES),
    st.dates().map(lambda d: d.isoformat()),
)
#: Values of a JSON body's fields: every JSON type, nested ones too.
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(allow_nan=False, allow_infinity=False),
    NASTY,
)


def _nested(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)


JSON_VALUES = st.recursive(SCALARS, _nested, max_leaves=6)
#: A path parameter as a made-up value: huge numbers, other sites, odd text.
PATH_VALUES = st.one_of(
    st.sampled_from(["0", "-1", "99999999999999999999", "1e3", "UMCU", "NOWHERE", "AMC-999"]),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_characters="/?#%"), min_size=1, max_size=20
    ),
)
ERROR = re.compile(r'<p class="error" role="alert" id="error">(.*?)</p>', re.DOTALL)


class _Forms(HTMLParser):
    """The fields of each ``<form method="post">`` of a page, by its action."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, set[str]] = {}
        self._action: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form" and (found.get("method") or "").lower() == "post":
            self._action = found.get("action") or ""
            self.fields.setdefault(self._action, set())
        elif tag in ("input", "select", "textarea") and self._action is not None:
            name = found.get("name")
            if name and name != "csrf_token":
                self.fields[self._action].add(name)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._action = None


class Trial:
    """A signed-in client per role of a small trial, and the records its paths name."""

    def __init__(self, client: TestClient, database: Database, values: dict[str, str]) -> None:
        self.client = client
        self.database = database
        self.values = values
        self.tokens: dict[Role, str] = {}
        self._cookies: dict[Role, Any] = {}
        self.forms: dict[str, set[str]] = {}

    def as_role(self, role: Role) -> str:
        """Make ``client`` act as ``role`` (signing in the first time); its CSRF token."""
        if role not in self.tokens:
            self.client.cookies.clear()
            self.tokens[role] = sign_in(self.client, user_for(role))
            self._cookies[role] = dict(self.client.cookies)
        self.client.cookies.clear()
        self.client.cookies.update(self._cookies[role])
        return self.tokens[role]

    def path(self, route: Route, made_up: dict[str, str] | None = None) -> str:
        """The route's path with this trial's records (or ``made_up`` values) in it."""
        path = route.path
        for name in route.param_convertors:
            value = (made_up or {}).get(name, self.values.get(name, "unknown"))
            path = path.replace("{" + name + "}", quote(value, safe=""))
        return path


def _role_for(route: Route) -> Role:
    rule = PERMISSIONS[route.name]
    for role in PREFERRED:
        # The site roles hold at SITE, the site every path here names.
        if may({role}, rule):
            return role
    pytest.fail(f"route {route.name}: no role may use it, so no bad input reaches it")


def _routes(app: Any) -> list[Route]:
    return [r for r in app.routes if isinstance(r, Route)]


@contextmanager
def _trial(tmp_path: Path, add: Callable[[FastAPI], None] | None = None) -> Iterator[Trial]:
    target = tmp_path / "study.db"
    with Database.open(target) as db, db.write() as conn:
        init_study(conn, "piepers-2007", ["AMC", "UMCU"], "alice", PASSWORD)
        for role in Role:
            accounts.add_user(conn, user_for(role), PASSWORD, WHO)
            accounts.grant(conn, user_for(role), role.value,
                           SITE if role in SITE_ROLES else None, WHO)  # fmt: skip
        key: AllocationList = study_list(conn)
        entry = enrol_eligible(conn, SITE, "SCR-FUZZ")
        visit = load_study(conn).protocol.schedule.visits[0].name
    database = Database.open(target)
    try:
        app = create_app(database, secret="fuzz secret", key=key)
        if add is not None:
            add(app)
        with TestClient(app, follow_redirects=False) as client:
            trial = Trial(client, database, {"site": SITE, "entry": str(entry), "visit": visit})
            _read_forms(trial)  # before randomizing too: the eligibility form goes then
            token = trial.as_role(Role.INVESTIGATOR)
            made = client.post(f"/api/sites/{SITE}/screening/{entry}/randomize",
                               headers={"X-CSRF-Token": token})  # fmt: skip
            assert made.status_code == 201, made.text
            trial.values["subject"] = made.json()["subject"]
            _read_forms(trial)
            yield trial
    finally:
        database.close()


def _read_forms(trial: Trial) -> None:
    """The forms of every page (GET route outside the API), as each role that may open it
    sees it: a page offers some forms to some roles only (a query to a monitor, a lock to
    the data manager)."""
    for route in _routes(trial.client.app):
        if "GET" not in route.methods or route.path.startswith("/api/"):
            continue
        for role in PREFERRED:
            if not may({role}, PERMISSIONS[route.name]):
                continue
            trial.as_role(role)
            page = trial.client.get(trial.path(route))
            parser = _Forms()
            parser.feed(page.text)
            for action, fields in parser.fields.items():
                trial.forms.setdefault(action, set()).update(fields)


def _problem_names_field(response: Any, fields: set[str], where: str) -> None:
    """A 5xx fails; a 400 or 422 must name a field (one of ``fields``, or its own)."""
    assert response.status_code < 500, f"{where}: {response.status_code} {response.text[:2000]}"
    if response.status_code not in (400, 422):
        return
    if response.headers.get("content-type", "").startswith("application/json"):
        detail = response.json()["detail"]
        assert isinstance(detail, list), f"{where}: {detail!r:.500}"
        assert detail, where
        for problem in detail:
            assert problem["field"] in problem["message"], f"{where}: {problem!r:.500}"
        return
    shown = ERROR.search(response.text)
    assert shown is not None, f"{where}: a {response.status_code} page without its message"
    message = html.unescape(shown.group(1))
    assert any(f in message for f in fields), f"{where}: {message[:500]!r} names none of {fields}"


def _form_body(fields: set[str]) -> st.SearchStrategy[dict[str, str]]:
    names = [*sorted(fields), "unexpected_field"]
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, NASTY))


def _made_up_path(route: Route) -> st.SearchStrategy[dict[str, str]]:
    names = sorted(route.param_convertors)
    return st.fixed_dictionaries({}, optional=dict.fromkeys(names, PATH_VALUES))


def test_every_route_is_fuzzed(tmp_path: Path) -> None:
    with _trial(tmp_path) as trial:
        _fuzz_every_route(trial)
        with trial.database.read() as conn:
            audit.check(conn)


def test_a_route_added_later_is_fuzzed_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A route of another module, added with its permission entry and no edit here: an
    # empty form breaks it (a 500), and the run must find that and name the route.
    rule = Rule(frozenset({Role.STUDY_NURSE}), summary="a probe", per_site=True)
    monkeypatch.setitem(PERMISSIONS, "fuzz_probe", rule)

    def add(app: FastAPI) -> None:
        @app.post("/sites/{site}/probe", name="fuzz_probe", include_in_schema=False)
        async def probe(request: Request, site: str) -> Response:
            sent = await request.form()
            return Response(str(1 // (len(sent) - 1)))  # the CSRF token is always there

    with _trial(tmp_path, add) as trial, pytest.raises(AssertionError, match="fuzz_probe"):
        _fuzz_every_route(trial)


def _fuzz_every_route(trial: Trial) -> None:
    document = trial.client.get("/api/openapi.json").json()
    schema = schemathesis.openapi.from_dict(document)
    operations = {
        (op.method.upper(), op.path): op
        for op in (result.ok() for result in schema.get_all_operations())
    }
    for route in _routes(trial.client.app):
        for method in sorted(route.methods - {"HEAD"}):
            where = f"{method} {route.path} ({route.name})"
            if route.path.startswith("/api/"):
                operation = operations.get((method, route.path))
                assert operation is not None, f"{where}: not in the OpenAPI document"
                _fuzz_api(trial, route, method, operation, where)
            elif method == "POST":
                _fuzz_form(trial, route, where)
            else:
                _fuzz_page(trial, route, where)


def _send(trial: Trial, where: str, method: str, path: str, **kwargs: Any) -> Any:
    """The answer to one request; an exception in the app fails naming the route."""
    try:
        return trial.client.request(method, path, **kwargs)
    except Exception as error:
        raise AssertionError(f"{where}: {path} raised {error!r}") from error


def _fuzz_page(trial: Trial, route: Route, where: str) -> None:
    role = _role_for(route)

    @FUZZ
    @given(made_up=_made_up_path(route))
    def get(made_up: dict[str, str]) -> None:
        trial.as_role(role)
        answer = _send(trial, where, "GET", trial.path(route, made_up))
        _problem_names_field(answer, set(made_up), where)

    get()


def _fuzz_form(trial: Trial, route: Route, where: str) -> None:
    role = _role_for(route)
    fields = trial.forms.get(trial.path(route), set())

    @FUZZ
    @given(body=_form_body(fields), made_up=st.none() | _made_up_path(route))
    def post(body: dict[str, str], made_up: dict[str, str] | None) -> None:
        token = trial.as_role(role)
        response = _send(
            trial, where, "POST", trial.path(route, made_up), data={**body, "csrf_token": token}
        )
        _problem_names_field(response, fields | set(body) | set(made_up or {}), where)

    post()


def _fuzz_api(trial: Trial, route: Route, method: str, operation: Any, where: str) -> None:
    role = _role_for(route)
    known = {k: v for k, v in trial.values.items() if k in route.param_convertors}
    cases = st.one_of(
        *(
            operation.as_strategy(generation_mode=mode, path_parameters=fixed)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            for fixed in (known, None)
        )
    )
    # A body the document leaves open is read as the page's form fields.
    fields = trial.forms.get(trial.path(route).removeprefix("/api"), set())
    open_body = st.fixed_dictionaries({}, optional=dict.fromkeys(sorted(fields), JSON_VALUES))

    @FUZZ
    @given(case=cases, body=st.none() | open_body)
    def call(case: Any, body: dict[str, Any] | None) -> None:
        token = trial.as_role(role)
        made_up = {k: str(v) for k, v in case.path_parameters.items()}
        sent: Any = body if body is not None and method == "POST" else case.body
        kwargs: dict[str, Any] = {"headers": {"X-CSRF-Token": token}, "params": case.query}
        if isinstance(sent, bytes):  # negative data: a body that is no JSON at all
            kwargs["content"] = sent
            kwargs["headers"]["Content-Type"] = "application/json"
        elif method == "POST" and not isinstance(sent, NotSet):
            kwargs["json"] = sent
        response = _send(trial, where, method, trial.path(route, made_up), **kwargs)
        named = set(made_up) | set(fields) | (set(sent) if isinstance(sent, dict) else set())
        _problem_names_field(response, named | {"body"}, where)

    call()


#: Valid submissions of some routes, made fresh for each example (unique ids, dates).
TODAY = datetime.now(UTC).date()
_serial = count(1)


def _screening() -> dict[str, str]:
    day = (TODAY - timedelta(days=3)).isoformat()
    return {"screening_id": f"SCR-{next(_serial)}", "screened_on": day, "outcome": "enrolled",
            "consent_version": "v1", "consent_date": day}  # fmt: skip


def _infusion() -> dict[str, str]:
    day = (TODAY - timedelta(days=next(_serial))).isoformat()
    return {"given_on": day, "product": "Kiovig", "lot": "LOT1", "route": "IV",
            "dose_g": "30", "weight_kg": "70", "interval_days": "28"}  # fmt: skip


def _user() -> dict[str, str]:
    return {"user": f"user{next(_serial)}", "password": PASSWORD, "role": "monitor",
            "site": ""}  # fmt: skip


VALID: dict[str, Callable[[], dict[str, str]]] = {
    "screening_add": _screening,
    "api_screening_add": _screening,
    "infusion_add": _infusion,
    "api_infusion_add": _infusion,
    "user_add": _user,
}


@pytest.mark.parametrize("name", sorted(VALID))
def test_one_spoiled_field_is_named(tmp_path: Path, name: str) -> None:
    with _trial(tmp_path) as trial:
        [route] = [r for r in _routes(trial.client.app) if r.name == name]
        role = _role_for(route)
        fields = sorted(VALID[name]())

        @FUZZ
        @given(field=st.sampled_from(fields), value=st.none() | NASTY)
        def spoil(field: str, value: str | None) -> None:
            token = trial.as_role(role)
            body = VALID[name]()
            if value is None:
                del body[field]
            else:
                body[field] = value
            if name.startswith("api_"):
                response = trial.client.post(trial.path(route), json=body,
                                             headers={"X-CSRF-Token": token})  # fmt: skip
            else:
                response = trial.client.post(trial.path(route), data={**body, "csrf_token": token})
            _problem_names_field(response, {field}, f"{name} with {field}={value!r:.40}")

        spoil()
        with trial.database.read() as conn:
            audit.check(conn)
