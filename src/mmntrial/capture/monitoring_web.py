"""The routes of monitoring: a participant's review page, queries, locks, signatures, SDV.

Under ``/sites/{site}``: the review page of a participant (``review_page``: every
record with its queries beside the field they name, its lock and its verification, and
the visits' signatures), where a data manager or monitor raises a query
(``query_raise``), the data manager locks a record or a visit's records and unlocks one
with a reason (``record_lock``, ``record_unlock``), the investigator signs a visit with
their password (``visit_sign``) and the monitor verifies a record against its source
(``record_verify``); the
site's queries (``queries_page``), where the site answers (``query_answer``) and the
raiser closes or re-opens with a reason (``query_close``, ``query_reopen``). Each has a
JSON twin under ``/api``, each is named in the permission table. A form's refusal shows
its page again with the message (422); the API answers 422 naming the field, 409 for a
step the record's state refuses. No answer here holds an arm.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import locks, queries, signatures, verification
from mmntrial.capture.allocation import participant
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.review import field_labels, review
from mmntrial.capture.reviewed import REVIEWED, record_of
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.capture.screening import FieldError
from mmntrial.errors import CaptureError
from mmntrial.storage import Database

Action = Callable[[Connection, str, dict[str, str], str], dict[str, Any]]
"""A step on a participant: connection, site, the typed fields, who; what it did."""


def _raise(conn: Connection, site: str, subject: str, typed: dict[str, str], who: str) -> Any:
    return queries.raise_query(conn, site, subject, typed, who)


def _lock(conn: Connection, site: str, subject: str, typed: dict[str, str], who: str) -> Any:
    person = int(participant(conn, site, subject)["id"])
    if typed.get("visit"):
        done = locks.lock_visit(conn, person, typed["visit"], who)
    elif not typed.get("table"):
        raise FieldError(
            "visit",
            "visit: got none (and no table), expected a visit (to lock all its records) or "
            "a table and a record (to lock one)",
        )
    else:
        record = record_of(conn, person, typed.get("table"), typed.get("record"))
        done = [record] if locks.lock(conn, record, who) else []
    return {"locked": [{"table": r.table, "record": r.id} for r in done]}


def _unlock(conn: Connection, site: str, subject: str, typed: dict[str, str], who: str) -> Any:
    person = int(participant(conn, site, subject)["id"])
    record = record_of(conn, person, typed.get("table"), typed.get("record"))
    locks.unlock(conn, record, who, typed.get("reason"))
    return {"unlocked": {"table": record.table, "record": record.id}}


def _sign(conn: Connection, site: str, subject: str, typed: dict[str, str], who: str) -> Any:
    person = int(participant(conn, site, subject)["id"])
    return signatures.sign(conn, person, typed.get("visit", ""), typed.get("password", ""), who)


def _verify(conn: Connection, site: str, subject: str, typed: dict[str, str], who: str) -> Any:
    person = int(participant(conn, site, subject)["id"])
    record = record_of(conn, person, typed.get("table"), typed.get("record"))
    return verification.verify(conn, record, who)


#: The steps on a participant's records: route stem, path part, what it does.
PARTICIPANT_STEPS: tuple[tuple[str, str, Callable[..., Any], str], ...] = (
    ("query_raise", "queries", _raise,
     "Raise a query on a field of a record: ``table``, ``record``, ``field``, ``question``."),
    ("record_lock", "locks", _lock,
     "Lock a record (``table``, ``record``) or every record of a ``visit``."),
    ("record_unlock", "unlock", _unlock, "Unlock a record: ``table``, ``record``, ``reason``."),
    ("visit_sign", "sign", _sign,
     "Sign a visit's records: ``visit`` and the investigator's ``password``, re-entered."),
    ("record_verify", "verify", _verify,
     "Verify a record against its source: ``table``, ``record``."),
)  # fmt: skip


def _answer(conn: Connection, site: str, number: int, typed: dict[str, str], who: str) -> Any:
    return queries.answer(conn, site, number, typed, who)


def _close(conn: Connection, site: str, number: int, _typed: dict[str, str], who: str) -> Any:
    return queries.close(conn, site, number, who)


def _reopen(conn: Connection, site: str, number: int, typed: dict[str, str], who: str) -> Any:
    return queries.reopen(conn, site, number, typed, who)


#: The steps of a query: route stem, path part, what it does.
QUERY_STEPS: tuple[tuple[str, str, Callable[..., Any], str], ...] = (
    ("query_answer", "answer", _answer, "The site answers an open query: ``answer``."),
    ("query_close", "close", _close, "Whoever raised the query closes it (an empty object)."),
    ("query_reopen", "reopen", _reopen, "Whoever raised the query opens it again: ``reason``."),
)


def add_routes(app: FastAPI, database: Database, page: Page) -> None:
    """Add the routes of this module to ``app``."""
    base = "/sites/{site}/participants/{subject}"

    def review_view(
        request: Request, site: str, subject: str, error: CaptureError | None = None
    ) -> HTMLResponse:
        try:
            with database.read() as conn:
                shown = review(conn, site, subject)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        context = {
            "site": site,
            "subject": subject,
            "records": shown["records"],
            "tables": {name: label for name, (_, label) in REVIEWED.items()},
            "can_raise": may_use(request, "query_raise", site),
            "can_lock": may_use(request, "record_lock", site),
            "can_sign": may_use(request, "visit_sign", site),
            "can_verify": may_use(request, "record_verify", site),
            "signatures": shown["signatures"],
            "labels": shown["labels"],
            "error": str(error) if error else None,
        }
        return page(request, "review.html", context, 422 if error else 200)

    @app.get(base + "/review", name="review_page", response_class=HTMLResponse,
             include_in_schema=False)  # fmt: skip
    def show_review(request: Request, site: str, subject: str) -> HTMLResponse:
        return review_view(request, site, subject)

    @app.get("/api" + base + "/review", name="api_review")
    def api_review(site: str, subject: str) -> dict[str, Any]:
        """The participant's records, each with its queries by field and its lock."""
        with api_errors("subject"), database.read() as conn:
            return review(conn, site, subject)

    def queries_view(request: Request, site: str, error: CaptureError | None = None) -> Response:
        with database.read() as conn:
            listed = queries.listed(conn, site)
        context = {
            "site": site,
            "queries": listed,
            "tables": {name: label for name, (_, label) in REVIEWED.items()},
            "labels": field_labels(),
            "user_name": signed_in(request).username,
            "can_answer": may_use(request, "query_answer", site),
            "can_close": may_use(request, "query_close", site),
            "error": str(error) if error else None,
        }
        return page(request, "queries.html", context, 422 if error else 200)

    @app.get("/sites/{site}/queries", name="queries_page", response_class=HTMLResponse,
             include_in_schema=False)  # fmt: skip
    def show_queries(request: Request, site: str) -> Response:
        return queries_view(request, site)

    @app.get("/api/sites/{site}/queries", name="api_queries")
    def api_queries(site: str, unsettled: bool = False) -> list[dict[str, Any]]:
        """The site's queries in the order raised (not closed ones only when
        ``unsettled``)."""
        with database.read() as conn:
            return queries.listed(conn, site, unsettled=unsettled)

    for name, part, step, doc in PARTICIPANT_STEPS:
        _participant_step(app, database, review_view, base, (name, part, doc), step)
    for name, part, step, doc in QUERY_STEPS:
        _query_step(app, database, queries_view, (name, part, doc), step)


def _participant_step(
    app: FastAPI,
    database: Database,
    view: Callable[..., HTMLResponse],
    base: str,
    route: tuple[str, str, str],
    step: Callable[..., Any],
) -> None:
    name, part, doc = route

    def run_page(request: Request, site: str, subject: str, typed: dict[str, str]) -> Response:
        try:
            with database.write() as conn:
                step(conn, site, subject, typed, signed_in(request).username)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return view(request, site, subject, error)
        return RedirectResponse(f"/sites/{site}/participants/{subject}/review", status_code=303)

    async def on_page(request: Request, site: str, subject: str) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(run_page, request, site, subject, typed)

    def run_api(request: Request, site: str, subject: str, body: dict[str, str]) -> Any:
        with api_errors("body"), database.write() as conn:
            return step(conn, site, subject, body, signed_in(request).username)

    async def on_api(request: Request, site: str, subject: str) -> Any:
        body = await json_body(request)
        return await run_in_threadpool(run_api, request, site, subject, body)

    on_api.__doc__ = doc
    app.post(f"{base}/{part}", name=name, include_in_schema=False)(on_page)
    app.post(f"/api{base}/{part}", name=f"api_{name}")(on_api)


def _query_step(
    app: FastAPI,
    database: Database,
    view: Callable[..., Response],
    route: tuple[str, str, str],
    step: Callable[..., Any],
) -> None:
    name, part, doc = route
    path = "/sites/{site}/queries/{query}/" + part

    def run_page(request: Request, site: str, query: int, typed: dict[str, str]) -> Response:
        try:
            with database.write() as conn:
                step(conn, site, query, typed, signed_in(request).username)
        except CaptureError as error:
            return view(request, site, error)
        return RedirectResponse(f"/sites/{site}/queries", status_code=303)

    async def on_page(request: Request, site: str, query: int) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(run_page, request, site, query, typed)

    def run_api(request: Request, site: str, query: int, body: dict[str, str]) -> Any:
        with api_errors("query"), database.write() as conn:
            return step(conn, site, query, body, signed_in(request).username)

    async def on_api(request: Request, site: str, query: int) -> Any:
        body = await json_body(request)
        return await run_in_threadpool(run_api, request, site, query, body)

    on_api.__doc__ = doc
    app.post(path, name=name, include_in_schema=False)(on_page)
    app.post("/api" + path, name=f"api_{name}")(on_api)
