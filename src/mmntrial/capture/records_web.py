"""The routes of a kind of record (:class:`mmntrial.capture.records.RecordForm`).

For a form named ``N`` with the path part ``SLUG``, under
``/sites/{site}/participants/{subject}/SLUG``: the page listing the records with the
form to add one (``N_page``, ``N_add``), the same form filled with a record to change it
with a reason (``?change=ID``, posted to ``.../SLUG/{record}``: ``N_change``; a locked
record is marked so, with who locked it and when, and offers no change), and the
JSON API beside them (``api_N``, ``api_N_add``, ``api_N_change``; its listing gives each
record's ``locked``, the same facts), each named in the
permission table. A refused value answers 422 naming its field; a value awaiting
confirmation answers 422 with a confirm box. No answer here holds an arm.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import adverse_events, conmeds, dispositions, labs, records
from mmntrial.capture.assessments import Unconfirmed
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.lockstate import locks_of
from mmntrial.capture.records import RecordForm
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.errors import CaptureError
from mmntrial.storage import Database


def add_routes(
    app: FastAPI, database: Database, page: Page, today: Callable[[], date], form: RecordForm
) -> None:
    """Add the page and API routes of ``form`` to ``app``."""
    path = f"/sites/{{site}}/participants/{{subject}}/{form.slug}"
    name = form.name

    def view(
        request: Request,
        site: str,
        subject: str,
        changing: int | None = None,
        error: CaptureError | None = None,
        typed: dict[str, str] | None = None,
    ) -> HTMLResponse:
        try:
            with database.read() as conn:
                rows = records.listed(conn, form, site, subject)
                locked = locks_of(conn, form.table, [r["id"] for r in rows])
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        values = typed
        if changing in locked:
            # A locked record is not offered for change: its save would be refused.
            changing, values = None, {}
        if values is None:
            chosen = [r for r in rows if r["id"] == changing]
            values = records.as_typed(form, chosen[0]) if chosen else {}
            changing = changing if chosen else None
        context = {
            "site": site,
            "subject": subject,
            "form": form,
            "rows": rows,
            "locked": locked,
            "values": values,
            "changing": changing,
            "waiting": [v.field for v in error.verdicts] if isinstance(error, Unconfirmed) else [],
            "can_edit": may_use(request, f"{name}_add", site),
            "error": str(error) if error else None,
        }
        return page(request, "records.html", context, 422 if error else 200)

    def show(request: Request, site: str, subject: str, change: int | None = None) -> HTMLResponse:
        return view(request, site, subject, change)

    async def add_page(request: Request, site: str, subject: str) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(save_page, request, site, subject, None, typed)

    async def change_page(request: Request, site: str, subject: str, record: int) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(save_page, request, site, subject, record, typed)

    def save_page(
        request: Request, site: str, subject: str, record: int | None, typed: dict[str, str]
    ) -> Response:
        who = signed_in(request).username
        try:
            with database.write() as conn:
                if record is None:
                    records.add(conn, form, site, subject, typed, who, today())
                else:
                    records.change(conn, form, site, subject, record, typed, who, today())
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return view(request, site, subject, record, error, typed)
        listing = request.url.path if record is None else request.url.path.rsplit("/", 1)[0]
        return RedirectResponse(listing, status_code=303)

    def api_list(site: str, subject: str) -> list[dict[str, Any]]:
        with api_errors("subject"), database.read() as conn:
            rows = records.listed(conn, form, site, subject)
            locked = locks_of(conn, form.table, [r["id"] for r in rows])
        # The same facts the page shows, so that a client knows before it tries that a
        # change of the record would be refused.
        return [{**r, "locked": locked.get(r["id"])} for r in rows]

    async def api_add(request: Request, site: str, subject: str) -> dict[str, Any]:
        body = await json_body(request)
        return await run_in_threadpool(api_save, request, site, subject, None, body)

    async def api_change(request: Request, site: str, subject: str, record: int) -> dict[str, Any]:
        body = await json_body(request)
        return await run_in_threadpool(api_save, request, site, subject, record, body)

    def api_save(
        request: Request, site: str, subject: str, record: int | None, body: dict[str, str]
    ) -> dict[str, Any]:
        who = signed_in(request).username
        with api_errors("reason"), database.write() as conn:
            if record is None:
                return records.add(conn, form, site, subject, body, who, today())
            return records.change(conn, form, site, subject, record, body, who, today())

    fields = ", ".join(f"``{f.name}``" for f in form.fields)
    api_add.__doc__ = f"Add a record of {form.title.lower()}: {fields} as text."
    api_change.__doc__ = (
        f"Change a record of {form.title.lower()}: the fields changed and ``reason``."
    )
    api_list.__doc__ = (
        f"The participant's records of {form.title.lower()}, in order, each with ``locked``: "
        "null, or ``locked_by`` and ``locked_at_utc`` of the lock that holds on it."
    )
    app.get(path, name=f"{name}_page", response_class=HTMLResponse, include_in_schema=False)(show)
    app.post(path, name=f"{name}_add", include_in_schema=False)(add_page)
    app.post(path + "/{record}", name=f"{name}_change", include_in_schema=False)(change_page)
    app.get("/api" + path, name=f"api_{name}")(api_list)
    app.post("/api" + path, name=f"api_{name}_add", status_code=201)(api_add)
    app.post("/api" + path + "/{record}", name=f"api_{name}_change")(api_change)


#: The kinds of record with these routes.
FORMS = (adverse_events.FORM, labs.FORM, conmeds.FORM, dispositions.FORM)


def add_all_routes(app: FastAPI, database: Database, page: Page, today: Callable[[], date]) -> None:
    """Add the routes of every form of :data:`FORMS` to ``app``."""
    for form in FORMS:
        add_routes(app, database, page, today, form)
