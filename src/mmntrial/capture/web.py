"""The capture web app: server-rendered pages and a JSON API beside them (FastAPI).

Every route is named, and :func:`mmntrial.capture.guard.guard` checks each request
against the permission table by that name before the route runs. Sessions are a signed
cookie (itsdangerous, through Starlette's session middleware: HttpOnly, SameSite=Lax)
holding the user name and the CSRF token; the signing key is drawn when the app starts,
so a restart signs everyone out and no key is stored anywhere.

A route that waits for the database or the CPU (a read, a save, a password hash) runs
in a worker thread, never on the server's event loop: a plain ``def`` route does so by
itself (FastAPI's threadpool), and an ``async`` route, which must await its form, hands
the rest to :func:`starlette.concurrency.run_in_threadpool`. On the event loop, one
request waiting for the write lock would hold up every other request.

Bad input on a form shows the form again with the message and the values typed (422);
on the API it is a 422 whose ``detail`` names the field, the value and what was
expected. A refused permission is 403, an unknown site 404, never a 5xx.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from mmntrial.capture import (
    accounts,
    action_items_web,
    assessments_web,
    dsmb_web,
    grip_web,
    infusions_web,
    monitoring_web,
    panel_web,
    participantsweb,
    records_web,
    sae_api,
    sae_web,
    screening,
    static_web,
    visits_web,
)
from mmntrial.capture.guard import NotSignedIn, csrf_token, guard, may_use, signed_in
from mmntrial.capture.passwords import DUMMY_HASH, verify_password
from mmntrial.capture.permissions import ROLE_NAMES, SITE_ROLES, Role
from mmntrial.capture.routes import field_of, form_fields
from mmntrial.capture.study import all_sites, load_study
from mmntrial.errors import CaptureError
from mmntrial.measures.catalogue import MEASURES
from mmntrial.randomization.lists import AllocationList
from mmntrial.storage import Database

TEMPLATES = Jinja2Templates(directory=Path(__file__).with_name("templates"))
TEMPLATES.env.globals["htmx_path"] = static_web.HTMX_PATH
# Pages name a measure as the reports do: the catalogue owns the words.
TEMPLATES.env.globals["measure_label"] = lambda measure: MEASURES[measure].label
TEMPLATES.env.globals["role_name"] = lambda role: ROLE_NAMES[Role(role)]
SESSION_COOKIE = "mmntrial_session"
SESSION_HOURS = 12


def _today() -> date:
    return datetime.now(UTC).date()


class ScreeningIn(BaseModel):
    """A screening sent to the API; the values are checked as the form's are."""

    screening_id: str
    screened_on: str
    outcome: str
    exclusion_code: str | None = None
    consent_version: str | None = None
    consent_date: str | None = None


def create_app(
    database: Database,
    secret: str | None = None,
    key: AllocationList | None = None,
    today: Callable[[], date] | None = None,
) -> FastAPI:
    """The app for the study in ``database``; ``secret`` signs sessions (drawn if None).

    ``key`` is the study's sealed list (the list file with its seed), held in memory
    only: without it the app randomizes, but shows no arm to anyone. ``today`` is the
    app's clock, today's date in UTC unless a test moves it through the months of a
    trial (never set from the environment: it dates real records).
    """
    clock = today or _today
    app = FastAPI(
        title="mmntrial capture",
        openapi_url=None,  # served by the route api_openapi, under the permission table
        docs_url=None,
        redoc_url=None,
        dependencies=[Depends(guard)],
    )
    app.state.database = database
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
    )
    _handlers(app)
    _pages(app, database, clock)
    participantsweb.add_routes(app, database, _page, clock, participantsweb.Ledgers(database, key))
    visits_web.add_routes(app, database, _page, clock)
    assessments_web.add_routes(app, database, _page)
    grip_web.add_routes(app, database, _page)
    infusions_web.add_routes(app, database, _page, clock)
    panel_web.add_routes(app, database, _page, clock)
    records_web.add_all_routes(app, database, _page, clock)
    dsmb_web.add_routes(app, database, key)
    sae_web.add_routes(app, database, _page)
    sae_api.add_routes(app, database)
    monitoring_web.add_routes(app, database, _page)
    action_items_web.add_routes(app, database, _page, clock)
    static_web.add_routes(app)
    _admin(app, database)
    _api(app, database, clock)
    return app


def _page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    context = {"csrf": csrf_token(request), "user": getattr(request.state, "user", None), **context}
    return TEMPLATES.TemplateResponse(request, name, context, status_code=status)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(NotSignedIn)
    async def _sign_in(_request: Request, _exc: NotSignedIn) -> Response:
        return RedirectResponse("/login", status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> Response:
        # Pydantic's own wording, reshaped so that every message names field, value and
        # what was expected, as the form pages do.
        return JSONResponse({"detail": [_problem(e) for e in exc.errors()]}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _unread(request: Request, exc: StarletteHTTPException) -> Response:
        # FastAPI answers a body it cannot read (bytes that are not UTF-8) with a bare 400;
        # the app raises no 400 of its own, so this one is the body's, named as such.
        if exc.status_code == 400 and isinstance(exc.detail, str):
            message = f"body: got a body that cannot be read ({exc.detail}), expected JSON in UTF-8"
            return JSONResponse({"detail": [{"field": "body", "message": message}]}, 400)
        return await http_exception_handler(request, exc)


def _problem(error: Any) -> dict[str, str]:
    if error["type"] == "json_invalid":  # its place is a character position, not a field
        where = error.get("ctx", {}).get("error", "")
        return {"field": "body", "message": f"body: got text that is not JSON ({where}), "
                "expected a JSON object"}  # fmt: skip
    field = ".".join(str(part) for part in error["loc"] if part != "body") or "body"
    if error["type"] == "missing":
        return {"field": field, "message": f"{field}: got none, expected a value (required)"}
    expected = str(error["msg"]).removeprefix("Input should be ").removeprefix("input should be ")
    return {"field": field, "message": f"{field}: got {error.get('input')!r}, expected {expected}"}


def _pages(app: FastAPI, database: Database, today: Callable[[], date]) -> None:
    @app.get("/login", name="login_form", response_class=HTMLResponse, include_in_schema=False)
    def login_form(request: Request) -> HTMLResponse:
        return _page(request, "login.html", {"error": None, "username": ""})

    @app.post("/login", name="login", include_in_schema=False)
    async def login(request: Request) -> Response:
        return await run_in_threadpool(sign_in, request, await request.form())

    def sign_in(request: Request, form: FormData) -> Response:
        username = str(form.get("username", ""))
        password = str(form.get("password", ""))
        with database.read() as conn:
            row = accounts.find_user(conn, username)
        stored = str(row["password_hash"]) if row is not None else DUMMY_HASH
        if not verify_password(stored, password) or row is None or not row["active"]:
            message = "username/password: got a pair that does not match an active account"
            return _page(request, "login.html", {"error": message, "username": username}, 400)
        request.session.clear()  # a new session id, so a token fixed before sign-in dies
        request.session["user"] = username
        csrf_token(request)
        return RedirectResponse("/", status_code=303)

    @app.post("/logout", name="logout", include_in_schema=False)
    def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse("/login", status_code=303)

    @app.get("/", name="home", response_class=HTMLResponse, include_in_schema=False)
    def home(request: Request) -> HTMLResponse:
        user = signed_in(request)
        with database.read() as conn:
            study = load_study(conn)
            every = all_sites(conn)
        context = {"study": study, "sites": user.sites(every), "grants": user.grants}
        return _page(request, "home.html", context)

    def screening_page(
        request: Request, site: str, error: str | None, values: dict[str, Any], status: int
    ) -> HTMLResponse:
        with database.read() as conn:
            study = load_study(conn)
            log = screening.site_log(conn, site)
        can_add = may_use(request, "screening_add", site)
        context = {
            "site": site,
            "log": log,
            "exclusions": study.exclusion_codes(),
            "error": error,
            "values": values,
            "can_add": can_add,
        }
        return _page(request, "screening.html", context, status)

    @app.get(
        "/sites/{site}/screening",
        name="screening_page",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def show_screening(request: Request, site: str) -> HTMLResponse:
        return screening_page(request, site, None, {}, 200)

    @app.post("/sites/{site}/screening", name="screening_add", include_in_schema=False)
    async def add_screening(request: Request, site: str) -> Response:
        return await run_in_threadpool(save_screening, request, site, await form_fields(request))

    def save_screening(request: Request, site: str, values: dict[str, str]) -> Response:
        try:
            with database.write() as conn:
                exclusions = load_study(conn).exclusion_codes()
                entry = screening.checked_screening(values, exclusions, today())
                screening.record(conn, site, entry, signed_in(request).username)
        except CaptureError as error:
            return screening_page(request, site, str(error), values, 422)
        return RedirectResponse(f"/sites/{site}/screening", status_code=303)


def _admin(app: FastAPI, database: Database) -> None:
    def users_page(
        request: Request, error: str | None = None, values: dict[str, str] | None = None
    ) -> HTMLResponse:
        with database.read() as conn:
            listed = accounts.all_users(conn)
            every = all_sites(conn)
        context = {
            "users": listed,
            "roles": [r.value for r in Role],
            "site_roles": sorted(SITE_ROLES),
            "sites": every,
            "error": error,
            "values": values or {},
        }
        return _page(request, "users.html", context, 200 if error is None else 422)

    @app.get(
        "/admin/users", name="users_page", response_class=HTMLResponse, include_in_schema=False
    )
    def show_users(request: Request) -> HTMLResponse:
        return users_page(request)

    async def change(request: Request, action: Any) -> Response:
        return await run_in_threadpool(changed, request, action, await request.form())

    def changed(request: Request, action: Any, form: FormData) -> Response:
        values = {k: str(v) for k, v in form.items() if k not in ("csrf_token", "password")}
        try:
            with database.write() as conn:
                action(conn, {k: str(v) for k, v in form.items()}, signed_in(request).username)
        except CaptureError as error:
            return users_page(request, str(error), values)
        return RedirectResponse("/admin/users", status_code=303)

    @app.post("/admin/users", name="user_add", include_in_schema=False)
    async def add_user(request: Request) -> Response:
        def act(conn: Any, form: dict[str, str], who: str) -> None:
            accounts.add_user(conn, form.get("user", ""), form.get("password", ""), who)
            accounts.grant(conn, form.get("user", ""), form.get("role", ""),
                           form.get("site") or None, who)  # fmt: skip

        return await change(request, act)

    @app.post("/admin/users/retire", name="user_retire", include_in_schema=False)
    async def retire_user(request: Request) -> Response:
        def act(conn: Any, form: dict[str, str], who: str) -> None:
            accounts.retire(conn, form.get("user", ""), who, form.get("reason"))

        return await change(request, act)

    @app.post("/admin/grants", name="grant_add", include_in_schema=False)
    async def add_grant(request: Request) -> Response:
        def act(conn: Any, form: dict[str, str], who: str) -> None:
            accounts.grant(conn, form.get("user", ""), form.get("role", ""),
                           form.get("site") or None, who)  # fmt: skip

        return await change(request, act)

    @app.post("/admin/grants/revoke", name="grant_revoke", include_in_schema=False)
    async def revoke_grant(request: Request) -> Response:
        def act(conn: Any, form: dict[str, str], who: str) -> None:
            accounts.revoke(conn, form.get("user", ""), form.get("role", ""),
                            form.get("site") or None, who, form.get("reason"))  # fmt: skip

        return await change(request, act)


def _api(app: FastAPI, database: Database, today: Callable[[], date]) -> None:
    @app.get("/api/openapi.json", name="api_openapi")
    def openapi() -> dict[str, Any]:
        """This API's OpenAPI document."""
        return app.openapi()

    @app.get("/api/study", name="api_study")
    def api_study(request: Request) -> dict[str, Any]:
        """The study's protocol and the sites the signed-in user may open."""
        user = signed_in(request)
        with database.read() as conn:
            study = load_study(conn)
            every = all_sites(conn)
        return {
            "protocol": study.protocol_name,
            "protocol_hash": study.protocol_hash,
            "sites": user.sites(every),
            "roles": sorted({g.role.value for g in user.grants}),
            "exclusions": study.exclusion_codes(),
        }

    @app.get("/api/sites/{site}/screening", name="api_screening_list")
    def api_screening_list(site: str) -> list[dict[str, Any]]:
        """The screening log of a site, in the order entered."""
        with database.read() as conn:
            return screening.site_log(conn, site)

    @app.post("/api/sites/{site}/screening", name="api_screening_add", status_code=201)
    def api_screening_add(request: Request, site: str, body: ScreeningIn) -> dict[str, Any]:
        """Screen a patient: excluded with a reason code, or enrolled with consent."""
        try:
            with database.write() as conn:
                exclusions = load_study(conn).exclusion_codes()
                entry = screening.checked_screening(body.model_dump(), exclusions, today())
                record = screening.record(conn, site, entry, signed_in(request).username)
        except CaptureError as error:
            field = field_of(error, "body")
            raise HTTPException(422, [{"field": field, "message": str(error)}]) from None
        return {"id": record, **entry.values()}
