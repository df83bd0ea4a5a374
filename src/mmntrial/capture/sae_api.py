"""The JSON twin of the serious adverse event pages (:mod:`mmntrial.capture.sae_web`).

- ``GET /api/sites/{site}/saes`` (``api_saes``): the site's serious events with their
  clocks, those still to report first, as the site's page lists them;
- ``GET /api/sites/{site}/participants/{subject}/adverse-events/{record}/sae``
  (``api_sae``): one event, its clock and its reports;
- ``POST`` to the same path (``api_sae_report``, ``narrative``): the next report, the
  initial one and then follow-ups, stamped with who and the server's time (UTC).

Each named in the permission table with the roles of its page; a user error is a 4xx
naming its field (:func:`mmntrial.capture.routes.api_errors`). No answer holds an arm:
an event and its reports never carry one.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import sae
from mmntrial.capture.guard import signed_in
from mmntrial.capture.routes import api_errors, json_body
from mmntrial.storage import Database


def add_routes(app: FastAPI, database: Database) -> None:
    """Add the routes of this module to ``app``."""
    path = "/api/sites/{site}/participants/{subject}/adverse-events/{record}/sae"

    @app.get("/api/sites/{site}/saes", name="api_saes")
    def api_saes(site: str) -> list[dict[str, Any]]:
        """The site's serious adverse events, those still to report first: each with its
        ``status`` (``open``, ``overdue``, ``on_time``, ``late`` or
        ``awareness_missing``), ``due_at_utc`` and reports."""
        with api_errors("site"), database.read() as conn:
            return [found.as_json() for found in sae.saes(conn, site, sae.utc_now())]

    @app.get(path, name="api_sae")
    def api_sae(site: str, subject: str, record: int) -> dict[str, Any]:
        """One serious adverse event (``record``: the adverse event's id), its clock and
        its reports in order (the initial one, then follow-ups)."""
        with api_errors("record"), database.read() as conn:
            return sae.sae_of(conn, site, subject, record, sae.utc_now()).as_json()

    @app.post(path, name="api_sae_report", status_code=201)
    async def api_sae_report(
        request: Request, site: str, subject: str, record: int
    ) -> dict[str, Any]:
        """Report the serious adverse event: ``narrative`` (1 to 1,000 characters) is the
        initial report, or the next follow-up once that is made."""
        body = await json_body(request)
        return await run_in_threadpool(report_now, request, site, subject, record, body)

    def report_now(
        request: Request, site: str, subject: str, record: int, body: dict[str, str]
    ) -> dict[str, Any]:
        who = signed_in(request).username
        with api_errors("narrative"), database.write() as conn:
            return sae.report(conn, site, subject, record, body.get("narrative"), who)
