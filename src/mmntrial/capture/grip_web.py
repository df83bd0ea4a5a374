"""The routes of a visit's grip form: three trials per hand, instrument and unit named.

A page (plain re-render: the best trial of each hand is shown after each save) and the
JSON API beside it, each named in the permission table. A refused value answers 422
naming its field; an unusual trial answers 422 with its message and a confirm box, and
is saved only once confirmed. No answer here holds an arm.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import grip
from mmntrial.capture.allocation import participant
from mmntrial.capture.assessments import Unconfirmed, visit_form
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError
from mmntrial.measures.grip import MAX_TRIALS, GripInstrument
from mmntrial.storage import Database

PATH = "/sites/{site}/participants/{subject}/visits/{visit}/grip"


def _typed_back(saved: dict[str, dict[str, Any]]) -> dict[str, str]:
    """The saved hands as the form's fields (trials in the catalogue's unit)."""
    values: dict[str, str] = {}
    for side, hand in saved.items():
        values["instrument"] = hand["detail"]["instrument"]
        values["unit"] = GripInstrument(hand["detail"]["instrument"]).unit
        for n, trial in enumerate(hand["detail"]["trials"], start=1):
            values[grip.trial_field(side, n)] = f"{trial:g}"
    return values


def add_routes(app: FastAPI, database: Database, page: Page) -> None:
    """Add the routes of this module to ``app``."""

    def form_view(
        request: Request,
        site: str,
        subject: str,
        visit: str,
        error: CaptureError | None = None,
        typed: dict[str, str] | None = None,
    ) -> HTMLResponse:
        try:
            with database.read() as conn:
                visit_form(load_study(conn).protocol, visit)
                row = participant(conn, site, subject)
                saved = grip.stored(conn, row["id"], visit)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as unknown:
            raise HTTPException(404, str(unknown)) from None
        context = {
            "site": site,
            "subject": subject,
            "visit": visit,
            "saved": saved,
            "values": typed if typed is not None else _typed_back(saved),
            "instruments": [i.value for i in GripInstrument],
            "trials": range(1, MAX_TRIALS + 1),
            "waiting": [v.field for v in error.verdicts] if isinstance(error, Unconfirmed) else [],
            "can_edit": may_use(request, "grip_save", site),
            "error": str(error) if error else None,
        }
        return page(request, "grip.html", context, 422 if error else 200)

    @app.get(PATH, name="grip_page", response_class=HTMLResponse, include_in_schema=False)
    def show_grip(request: Request, site: str, subject: str, visit: str) -> HTMLResponse:
        return form_view(request, site, subject, visit)

    @app.post(PATH, name="grip_save", include_in_schema=False)
    async def save_grip(request: Request, site: str, subject: str, visit: str) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(_save_now, request, site, subject, visit, typed)

    def _save_now(
        request: Request, site: str, subject: str, visit: str, typed: dict[str, str]
    ) -> Response:
        try:
            with database.write() as conn:
                protocol = load_study(conn).protocol
                grip.record(
                    conn, protocol, site, subject, visit, typed, signed_in(request).username
                )
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return form_view(request, site, subject, visit, error, typed)
        return RedirectResponse(request.url.path, status_code=303)

    @app.get("/api" + PATH, name="api_grip")
    def api_grip(site: str, subject: str, visit: str) -> dict[str, Any]:
        """The hands saved at a visit: side to measure, best trial (value) and detail."""
        with api_errors("visit"), database.read() as conn:
            row = participant(conn, site, subject)
            return grip.stored(conn, row["id"], visit)

    @app.post("/api" + PATH, name="api_grip_save", status_code=201)
    async def api_grip_save(
        request: Request, site: str, subject: str, visit: str
    ) -> dict[str, float]:
        """Save a visit's grip: ``{"instrument": "martin_vigorimeter", "unit": "kPa",
        "grip.left.trial1": 48, ..., "confirm.grip.left.trial2": "true", "reason": ...}``;
        answers the best trial saved per hand."""
        body = await json_body(request)
        return await run_in_threadpool(_api_save_now, request, site, subject, visit, body)

    def _api_save_now(
        request: Request, site: str, subject: str, visit: str, body: dict[str, str]
    ) -> dict[str, float]:
        with api_errors("reason"), database.write() as conn:
            protocol = load_study(conn).protocol
            return grip.record(
                conn, protocol, site, subject, visit, body, signed_in(request).username
            )
