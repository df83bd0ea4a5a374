"""The routes of serious adverse events: a site's SAEs, one SAE's reports, its document.

- ``/sites/{site}/saes`` (``saes_page``): the site's serious events with their 24-hour
  clocks, those still to report first;
- ``/sites/{site}/participants/{subject}/adverse-events/{record}/sae`` (``sae_page``):
  the event, its clock and reports, with the form for the next report (``sae_report``,
  posted to the same path: the initial report, then follow-ups);
- ``.../sae.pdf`` (``sae_pdf``): the expedited report document, for the site's
  investigator and the data manager.

Each named in the permission table. No answer here holds an arm. The clock's "now" is
the server's time in UTC (:func:`mmntrial.capture.sae.utc_now`; the reports' time
stamps are too).
"""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import sae
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.routes import Page, form_fields
from mmntrial.capture.sae_document import sae_html, sae_pdf
from mmntrial.capture.screening import StateConflict
from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError
from mmntrial.storage import Database


def add_routes(app: FastAPI, database: Database, page: Page) -> None:
    """Add the routes of this module to ``app``."""

    def now() -> datetime:
        return sae.utc_now()

    path = "/sites/{site}/participants/{subject}/adverse-events/{record}/sae"

    @app.get(
        "/sites/{site}/saes", name="saes_page", response_class=HTMLResponse, include_in_schema=False
    )
    def site_saes(request: Request, site: str) -> HTMLResponse:
        with database.read() as conn:
            listed = sae.saes(conn, site, now())
        return page(request, "saes.html", {"site": site, "saes": listed}, 200)

    def view(
        request: Request,
        site: str,
        subject: str,
        record: int,
        error: CaptureError | None = None,
        values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        try:
            with database.read() as conn:
                found = sae.sae_of(conn, site, subject, record, now())
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except StateConflict as conflict:
            raise HTTPException(409, str(conflict)) from None
        context = {
            "site": site,
            "subject": subject,
            "sae": found,
            "can_report": may_use(request, "sae_report", site),
            "can_print": may_use(request, "sae_pdf", site),
            "error": str(error) if error else None,
            "values": values or {},
        }
        return page(request, "sae.html", context, 422 if error else 200)

    @app.get(path, name="sae_page", response_class=HTMLResponse, include_in_schema=False)
    def show(request: Request, site: str, subject: str, record: int) -> HTMLResponse:
        return view(request, site, subject, record)

    @app.post(path, name="sae_report", include_in_schema=False)
    async def add_report(request: Request, site: str, subject: str, record: int) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(_report_now, request, site, subject, record, typed)

    def _report_now(
        request: Request, site: str, subject: str, record: int, typed: dict[str, str]
    ) -> Response:
        who = signed_in(request).username
        try:
            with database.write() as conn:
                sae.report(conn, site, subject, record, typed.get("narrative"), who, now())
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except StateConflict as conflict:
            raise HTTPException(409, str(conflict)) from None
        except CaptureError as error:
            return view(request, site, subject, record, error, typed)
        return RedirectResponse(request.url.path, status_code=303)

    @app.get(path + ".pdf", name="sae_pdf", include_in_schema=False)
    def document(site: str, subject: str, record: int) -> Response:
        made_at = now()
        try:
            with database.read() as conn:
                found = sae.sae_of(conn, site, subject, record, made_at)
                study_name = load_study(conn).protocol_name
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except StateConflict as conflict:
            raise HTTPException(409, str(conflict)) from None
        html = sae_html(found, site, study_name, made_at)
        data, reason = sae_pdf(html)
        if data is None:
            # No PDF on this machine (WeasyPrint or Pango missing): the same document as
            # HTML, saying why, rather than no report at all.
            return HTMLResponse(html.replace("<body>", f"<body><p>PDF not made: {reason}</p>", 1))
        filename = f"sae-{subject}-{found.event['ae_id']}.pdf"
        return Response(
            data,
            media_type="application/pdf",
            headers={"Content-Disposition": f'inline; filename="{filename}"'},
        )
