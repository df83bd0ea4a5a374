"""The routes of a participant's IVIg infusion log: the page and the JSON API beside it.

Each named in the permission table. A refused value answers 422 naming its field; an
unusual weight comes back with a confirm box and is logged only once confirmed. A
logged infusion is corrected at ``.../infusions/DATE`` with a reason (the page's
``?correct=DATE`` fills the form with it). The
log holds what was given, never an arm: both arms receive IVIg.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import infusions
from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.errors import CaptureError
from mmntrial.storage import Database


def add_routes(app: FastAPI, database: Database, page: Page, today: Callable[[], date]) -> None:
    """Add the routes of this module to ``app``."""

    def log_view(
        request: Request,
        site: str,
        subject: str,
        error: CaptureError | None = None,
        typed: dict[str, str] | None = None,
        correcting: str | None = None,
    ) -> HTMLResponse:
        try:
            with database.read() as conn:
                logged = infusions.log(conn, site, subject)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        values = typed or {}
        if typed is None:
            chosen = [i for i in logged if i["given_on"] == correcting]
            values = {f: str(chosen[0][f]) for f in infusions.FIELDS} if chosen else {}
            correcting = correcting if chosen else None
        context = {
            "site": site,
            "subject": subject,
            "log": logged,
            "correcting": correcting,
            "values": values,
            "confirm_weight": isinstance(error, Unconfirmed),
            "can_edit": may_use(request, "infusion_add", site),
            "error": str(error) if error else None,
        }
        return page(request, "infusions.html", context, 422 if error else 200)

    path = "/sites/{site}/participants/{subject}/infusions"

    @app.get(path, name="infusions_page", response_class=HTMLResponse, include_in_schema=False)
    def show_log(
        request: Request, site: str, subject: str, correct: str | None = None
    ) -> HTMLResponse:
        # ?correct=DATE opens that infusion's correction; otherwise the engine panel's
        # decision may link here with the new infusion's form pre-filled (date, grams).
        if correct is not None:
            return log_view(request, site, subject, correcting=correct)
        return log_view(request, site, subject, typed=dict(request.query_params) or None)

    @app.post(path, name="infusion_add", include_in_schema=False)
    async def add_infusion(request: Request, site: str, subject: str) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(_add_infusion_now, request, site, subject, typed)

    def _add_infusion_now(
        request: Request, site: str, subject: str, typed: dict[str, str]
    ) -> Response:
        try:
            with database.write() as conn:
                infusions.record(conn, site, subject, typed, signed_in(request).username, today())
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return log_view(request, site, subject, error, typed)
        return RedirectResponse(request.url.path, status_code=303)

    @app.post(path + "/{given_on}", name="infusion_correct", include_in_schema=False)
    async def correct_infusion(
        request: Request, site: str, subject: str, given_on: str
    ) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(_correct_now, request, site, subject, given_on, typed)

    def _correct_now(
        request: Request, site: str, subject: str, given_on: str, typed: dict[str, str]
    ) -> Response:
        try:
            with database.write() as conn:
                who = signed_in(request).username
                infusions.correct(conn, site, subject, given_on, typed, who, today())
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return log_view(request, site, subject, error, typed, given_on)
        return RedirectResponse(request.url.path.rsplit("/", 1)[0], status_code=303)

    api = "/api" + path

    @app.get(api, name="api_infusions")
    def api_log(site: str, subject: str) -> list[dict[str, Any]]:
        """The participant's infusions by date, each with its study day."""
        try:
            with database.read() as conn:
                return infusions.log(conn, site, subject)
        except NotFound as missing:
            raise HTTPException(404, [{"field": "subject", "message": str(missing)}]) from None

    @app.post(api, name="api_infusion_add", status_code=201)
    async def api_add(request: Request, site: str, subject: str) -> dict[str, Any]:
        """Log an infusion: ``given_on``, ``product``, ``lot``, ``route`` (IV or SC),
        ``dose_g``, ``weight_kg``, ``interval_days`` and, for an unusual weight,
        ``confirm_weight``."""
        body = await json_body(request)
        return await run_in_threadpool(_api_add_now, request, site, subject, body)

    def _api_add_now(
        request: Request, site: str, subject: str, body: dict[str, str]
    ) -> dict[str, Any]:
        with api_errors("body"), database.write() as conn:
            username = signed_in(request).username
            added = infusions.record(conn, site, subject, body, username, today())
        return added.values()

    @app.post(api + "/{given_on}", name="api_infusion_correct")
    async def api_correct(
        request: Request, site: str, subject: str, given_on: str
    ) -> dict[str, Any]:
        """Correct the infusion logged on ``given_on``: the fields changed and ``reason``
        (the others keep their saved values)."""
        body = await json_body(request)
        return await run_in_threadpool(_api_correct_now, request, site, subject, given_on, body)

    def _api_correct_now(
        request: Request, site: str, subject: str, given_on: str, body: dict[str, str]
    ) -> dict[str, Any]:
        with api_errors("reason"), database.write() as conn:
            username = signed_in(request).username
            fixed = infusions.correct(conn, site, subject, given_on, body, username, today())
        return fixed.values()
