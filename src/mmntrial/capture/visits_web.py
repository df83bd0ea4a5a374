"""The routes of the visit calendar: a participant's page, a site's visits, overdue visits.

Pages and the JSON API beside them, each named in the permission table. The calendar
is computed on the day the page is asked for (:mod:`mmntrial.capture.visits`); recording
a visit's date is audited, and changing it needs a reason. No answer here holds an arm:
the schedule is the same for every arm.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import action_items, dosing, queries, sae, signatures, visits
from mmntrial.capture.allocation import participant
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.lab_visits import lab_visits
from mmntrial.capture.repeats import drop_of, repeat_name
from mmntrial.capture.routes import Page, api_errors, form_fields
from mmntrial.capture.study import load_study
from mmntrial.engine.calendar import VisitCalendar
from mmntrial.errors import CaptureError
from mmntrial.storage import Database


class VisitIn(BaseModel):
    """A visit done, sent to the API (checked as the form's values are)."""

    visit: str = ""
    visited_on: str = ""
    reason: str | None = None


def calendar_json(cal: VisitCalendar) -> list[dict[str, Any]]:
    """A calendar's visits as the API answers them (dates as YYYY-MM-DD)."""
    return [
        {
            "visit": v.window.name,
            "day": v.window.day,
            "target": v.window.target.isoformat(),
            "earliest": v.window.earliest.isoformat(),
            "latest": v.window.latest.isoformat(),
            "status": v.status.value,
            "visited_on": v.recorded_on.isoformat() if v.recorded_on else None,
            "days_outside_window": v.days_outside_window,
        }
        for v in cal.visits
    ]


def add_routes(app: FastAPI, database: Database, page: Page, today: Callable[[], date]) -> None:
    """Add the routes of this module to ``app``."""

    def participant_view(
        request: Request,
        site: str,
        subject: str,
        error: CaptureError | None = None,
        values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        try:
            with database.read() as conn:
                protocol = load_study(conn).protocol
                cal = visits.calendar(conn, protocol, site, subject, today())
                view = dosing.panel_of(conn, protocol, site, subject, today())
                person = int(participant(conn, site, subject)["id"])
                done = visits.recorded(conn, person)
                # The monitoring state the calendar shows: each visit's signature and
                # the participant's queries not yet closed (the review page has the rest).
                signed = {g["visit"]: g for g in signatures.signed(conn, person)}
                unsettled = len(queries.listed(conn, site, subject, unsettled=True))
                serious = sae.saes(conn, site, sae.utc_now(), subject)
                items = action_items.of_participant(conn, site, subject)
                due_labs = lab_visits(conn, protocol, site, subject, today())
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        context = {
            "site": site,
            "subject": subject,
            "calendar": cal,
            "view": view,
            "repeat": None
            if view.panel is None or view.panel.pending is None
            else repeat_name(view.panel.pending.visit.drop_on),
            "repeats": sorted((k, v) for k, v in done.items() if drop_of(k) is not None),
            "items": items,
            "due_labs": due_labs,
            "can_edit": may_use(request, "visit_record", site),
            "saes": serious,
            "signed": signed,
            "unsettled": unsettled,
            "error": str(error) if error else None,
            "values": values or {},
        }
        return page(request, "participant.html", context, 422 if error else 200)

    base = "/sites/{site}/participants/{subject}"

    @app.get(base, name="participant_page", response_class=HTMLResponse, include_in_schema=False)
    def show_participant(request: Request, site: str, subject: str) -> HTMLResponse:
        return participant_view(request, site, subject)

    @app.post(base + "/visits", name="visit_record", include_in_schema=False)
    async def record_visit(request: Request, site: str, subject: str) -> Response:
        form = await form_fields(request)
        return await run_in_threadpool(_record_visit_now, request, site, subject, form)

    def _record_visit_now(
        request: Request, site: str, subject: str, form: dict[str, str]
    ) -> Response:
        try:
            with database.write() as conn:
                protocol = load_study(conn).protocol
                visits.record(
                    conn, protocol, site, subject, form, signed_in(request).username, today()
                )
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return participant_view(request, site, subject, error, form)
        return RedirectResponse(f"/sites/{site}/participants/{subject}", status_code=303)

    @app.get(
        "/sites/{site}/visits",
        name="visits_page",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def site_visits(request: Request, site: str) -> HTMLResponse:
        with database.read() as conn:
            protocol = load_study(conn).protocol
            rows = visits.calendars(conn, protocol, site, today())
        names = [v.name for v in protocol.schedule.visits]
        context = {"site": site, "rows": rows, "names": names, "today": today()}
        return page(request, "visits.html", context, 200)

    @app.get(
        "/sites/{site}/overdue",
        name="overdue_page",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def site_overdue(request: Request, site: str) -> HTMLResponse:
        with database.read() as conn:
            late = visits.overdue(conn, load_study(conn).protocol, site, today())
        return page(request, "overdue.html", {"site": site, "late": late, "today": today()}, 200)

    api = "/api/sites/{site}"

    @app.get(api + "/participants/{subject}/calendar", name="api_calendar")
    def api_calendar(site: str, subject: str) -> dict[str, Any]:
        """A participant's visits: target, window, status and the date done, on today."""
        try:
            with database.read() as conn:
                cal = visits.calendar(conn, load_study(conn).protocol, site, subject, today())
        except NotFound as missing:
            raise HTTPException(404, [{"field": "subject", "message": str(missing)}]) from None
        return {
            "subject": subject,
            "day0": cal.randomized_on.isoformat(),
            "today": cal.today.isoformat(),
            "visits": calendar_json(cal),
        }

    @app.post(api + "/participants/{subject}/visits", name="api_visit_record", status_code=201)
    def api_visit_record(
        request: Request, site: str, subject: str, body: VisitIn
    ) -> dict[str, Any]:
        """Record the date a visit was done (a changed date needs a reason)."""
        form = {"visit": body.visit, "visited_on": body.visited_on, "reason": body.reason or ""}
        with api_errors("reason"), database.write() as conn:
            protocol = load_study(conn).protocol
            on = visits.record(
                conn, protocol, site, subject, form, signed_in(request).username, today()
            )
        return {"subject": subject, "visit": body.visit, "visited_on": on.isoformat()}

    @app.get(api + "/overdue", name="api_overdue")
    def api_overdue(site: str) -> list[dict[str, Any]]:
        """Every overdue visit of the site's participants, with its window."""
        with database.read() as conn:
            late = visits.overdue(conn, load_study(conn).protocol, site, today())
        return [
            {
                "subject": o.subject,
                "visit": o.visit.window.name,
                "target": o.visit.window.target.isoformat(),
                "latest": o.visit.window.latest.isoformat(),
            }
            for o in late
        ]
