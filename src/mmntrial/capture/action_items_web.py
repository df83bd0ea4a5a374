"""The routes of safety monitoring: a site's open action items (overdue ones marked),
resolving one, the site's resolved items (who, when, the resolution; a page and its JSON
twin), and a participant's items and lab schedule as JSON.

Pages and the JSON API beside them, each named in the permission table. The items and
the lab schedule of one participant are also on the participant's page
(:mod:`mmntrial.capture.visits_web`). Resolving needs a
resolution text and is audited; the permission table lets the roles that may own an
item in, and only the item's owner role resolves it (403 for the others, whose page
shows the item without its form). No answer here holds an arm: the rules are the same
for every arm.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import action_items
from mmntrial.capture.action_items import NotTheOwner
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.lab_visits import lab_visits
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError
from mmntrial.storage import Database


def add_routes(app: FastAPI, database: Database, page: Page, today: Callable[[], date]) -> None:
    """Add the routes of this module to ``app``."""
    path = "/sites/{site}/action-items"

    def view(request: Request, site: str, error: CaptureError | None = None) -> HTMLResponse:
        with database.read() as conn:
            items = action_items.of_site(conn, site, today())
        held = signed_in(request).roles_at(site)
        may = may_use(request, "action_item_resolve", site)
        context = {
            "site": site,
            "items": items,
            "today": today(),
            # The items this user resolves: theirs by the rule's owner role.
            "resolvable": {i["id"] for i in items if may and action_items.may_resolve(i, held)},
            "error": str(error) if error else None,
        }
        return page(request, "action_items.html", context, 422 if error else 200)

    @app.get(path, name="action_items_page", response_class=HTMLResponse, include_in_schema=False)
    def show(request: Request, site: str) -> HTMLResponse:
        return view(request, site)

    @app.get(path + "/resolved", name="action_items_resolved_page",
             response_class=HTMLResponse, include_in_schema=False)  # fmt: skip
    def show_resolved(request: Request, site: str) -> HTMLResponse:
        with database.read() as conn:
            items = action_items.resolved_of_site(conn, site)
        return page(request, "action_items_resolved.html", {"site": site, "items": items}, 200)

    @app.post(path + "/{record}", name="action_item_resolve", include_in_schema=False)
    async def resolve_page(request: Request, site: str, record: int) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(resolve_now, request, site, record, typed)

    def resolve_now(request: Request, site: str, record: int, typed: dict[str, str]) -> Response:
        user = signed_in(request)
        try:
            with database.write() as conn:
                action_items.resolve(
                    conn, site, record, typed.get("resolution"), user.username, user.roles_at(site)
                )
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except NotTheOwner as refused:
            raise HTTPException(403, str(refused)) from None
        except CaptureError as error:
            return view(request, site, error)
        return RedirectResponse(f"/sites/{site}/action-items", status_code=303)

    @app.get("/api" + path, name="api_action_items")
    def api_list(site: str) -> list[dict[str, Any]]:
        """The site's open action items by due date, each marked ``overdue`` or not."""
        with api_errors("site"), database.read() as conn:
            return action_items.of_site(conn, site, today())

    @app.get("/api" + path + "/resolved", name="api_action_items_resolved")
    def api_resolved(site: str) -> list[dict[str, Any]]:
        """The site's resolved action items, newest resolution first, as the page shows
        them: each with ``resolution``, ``resolved_by`` and ``resolved_at_utc`` (both null
        when the audit trail holds no update that resolved the item)."""
        with api_errors("site"), database.read() as conn:
            items = action_items.resolved_of_site(conn, site)
        # The listing sorts an unknown time as "" (oldest); JSON says it is unknown.
        return [{**i, "resolved_at_utc": i["resolved_at_utc"] or None} for i in items]

    @app.get(
        "/api/sites/{site}/participants/{subject}/action-items",
        name="api_participant_action_items",
    )
    def api_participant(site: str, subject: str) -> list[dict[str, Any]]:
        """Every action item of a participant, open and resolved, by due date."""
        with api_errors("subject"), database.read() as conn:
            return action_items.of_participant(conn, site, subject, only_open=False)

    @app.get(
        "/api/sites/{site}/participants/{subject}/lab-schedule",
        name="api_lab_schedule",
    )
    def api_lab_schedule(site: str, subject: str) -> list[dict[str, Any]]:
        """The participant's due lab samples from the protocol's schedule, on today: the
        study day, the due date, the window's last date, the status and the labs missing."""
        with api_errors("subject"), database.read() as conn:
            protocol = load_study(conn).protocol
            due = lab_visits(conn, protocol, site, subject, today())
        return [
            {
                "day": d.day,
                "due_on": d.due_on.isoformat(),
                "latest": d.latest.isoformat(),
                "status": d.status.value,
                "missing": list(d.missing),
            }
            for d in due
        ]

    @app.post("/api" + path + "/{record}", name="api_action_item_resolve")
    async def api_resolve(request: Request, site: str, record: int) -> dict[str, Any]:
        """Resolve an open action item: ``resolution`` says what was done. Only its owner
        role resolves it (403 naming ``item`` for the others)."""
        body = await json_body(request)
        return await run_in_threadpool(api_resolve_now, request, site, record, body)

    def api_resolve_now(
        request: Request, site: str, record: int, body: dict[str, str]
    ) -> dict[str, Any]:
        user = signed_in(request)
        with api_errors("resolution"), database.write() as conn:
            try:
                return action_items.resolve(
                    conn, site, record, body.get("resolution"), user.username, user.roles_at(site)
                )
            except NotTheOwner as refused:
                detail = [{"field": refused.field, "message": str(refused)}]
                raise HTTPException(403, detail) from None
