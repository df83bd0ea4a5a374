"""The routes of a visit's assessment form: MRC grades and the other scalar scales.

A page (plain re-render: the sum and the missing grades are shown after each submit,
no script needed) and the JSON API beside it, each named in the permission table. With
htmx loaded, the page also posts its grades as they are typed to a fragment route that
answers the sum, the grades missing and the grades refused (read by
:func:`mmntrial.capture.assessments.read_mrc`, so the arithmetic has one owner and no
script does any) and saves nothing.
Refused values answer 422 naming each field; values that need confirmation answer 422
with the message and a confirm box, and are saved only once confirmed. No answer here
holds an arm.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import assessments
from mmntrial.capture.allocation import participant
from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError
from mmntrial.storage import Database


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
                protocol = load_study(conn).protocol
                row = participant(conn, site, subject)
                form = assessments.visit_form(protocol, visit)
                saved = assessments.stored(conn, row["id"], visit)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as unknown:
            raise HTTPException(404, str(unknown)) from None
        values = typed
        if values is None:  # show what was saved
            values = {f"value.{m}": str(v["value"]) for m, v in saved.items() if m in form.scalars}
            for side, grades in (
                saved.get(assessments.MRC, {}).get("detail", {}).get("grades", {}).items()
            ):
                values.update({f"mrc.{side}.{muscle}": f"{g:g}" for muscle, g in grades.items()})
        mrc = assessments.read_mrc(form, protocol, values)
        context = {
            "site": site,
            "subject": subject,
            "form": form,
            "mrc": mrc,
            "values": values,
            "saved": bool(saved),
            "waiting": [v.field for v in error.verdicts] if isinstance(error, Unconfirmed) else [],
            "can_edit": may_use(request, "assessment_save", site),
            "error": str(error) if error else None,
        }
        return page(request, "assessment.html", context, 422 if error else 200)

    path = "/sites/{site}/participants/{subject}/visits/{visit}/assessment"

    @app.get(path, name="assessment_page", response_class=HTMLResponse, include_in_schema=False)
    def show_assessment(request: Request, site: str, subject: str, visit: str) -> HTMLResponse:
        return form_view(request, site, subject, visit)

    @app.post(
        path + "/mrc-sum",
        name="assessment_mrc_sum",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    async def mrc_sum(request: Request, site: str, subject: str, visit: str) -> HTMLResponse:
        typed = await form_fields(request)
        return await run_in_threadpool(_mrc_sum_now, request, site, subject, visit, typed)

    def _mrc_sum_now(
        request: Request, site: str, subject: str, visit: str, typed: dict[str, str]
    ) -> HTMLResponse:
        try:
            with database.read() as conn:  # a read: this answer saves nothing
                protocol = load_study(conn).protocol
                participant(conn, site, subject)
                form = assessments.visit_form(protocol, visit)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as unknown:
            raise HTTPException(404, str(unknown)) from None
        mrc = assessments.read_mrc(form, protocol, typed)
        if mrc is None:
            raise HTTPException(404, f"visit: got {visit!r}, expected a visit with MRC grades")
        # 200 even when a grade is refused: htmx swaps in only a 2xx answer, and the
        # refusal is what the user must see as they type.
        return page(request, "mrc_sum.html", {"mrc": mrc, "live": True}, 200)

    @app.post(path, name="assessment_save", include_in_schema=False)
    async def save_assessment(request: Request, site: str, subject: str, visit: str) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(_save_assessment_now, request, site, subject, visit, typed)

    def _save_assessment_now(
        request: Request, site: str, subject: str, visit: str, typed: dict[str, str]
    ) -> Response:
        try:
            with database.write() as conn:
                protocol = load_study(conn).protocol
                assessments.record(
                    conn, protocol, site, subject, visit, typed, signed_in(request).username
                )
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return form_view(request, site, subject, visit, error, typed)
        return RedirectResponse(request.url.path, status_code=303)

    @app.post(
        "/api/sites/{site}/participants/{subject}/visits/{visit}/assessment",
        name="api_assessment_save",
        status_code=201,
    )
    async def api_assessment_save(
        request: Request, site: str, subject: str, visit: str
    ) -> dict[str, Any]:
        """Save a visit's form: ``{"mrc.left.<muscle>": "4-", "value.gnds_upper": "3",
        "confirm.<measure>": "true", "reason": ...}``, as the page's fields."""
        body = await json_body(request)
        return await run_in_threadpool(
            _api_assessment_save_now, request, site, subject, visit, body
        )

    def _api_assessment_save_now(
        request: Request, site: str, subject: str, visit: str, body: dict[str, str]
    ) -> dict[str, Any]:
        with api_errors("reason"), database.write() as conn:
            protocol = load_study(conn).protocol
            saved = assessments.record(
                conn, protocol, site, subject, visit, body, signed_in(request).username
            )
        return {m: row["value"] for m, row in saved.items()}
