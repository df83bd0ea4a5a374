"""The routes of the engine panel: its page, the decision on it, a site's deviations.

The panel (:mod:`mmntrial.capture.dosing`) is computed on the day the page is asked for,
never stored; the investigator's decision on it (:mod:`mmntrial.capture.decisions`) is.
Each route is named in the permission table: every site reader sees the panel, only an
investigator of the participant's site decides. No answer here holds an arm: the engine
decides the same way for every arm, and the panel never reads one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from mmntrial.capture import decisions, deviations, dosing
from mmntrial.capture.accounts import site_id
from mmntrial.capture.allocation import participant
from mmntrial.capture.dosing import PanelView
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.routes import Page, api_errors, form_fields, json_body
from mmntrial.capture.screening import FieldError, StateConflict
from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError, MeasureError
from mmntrial.measures.ivig import check_weight_kg
from mmntrial.storage import Database


def weight_of(text: str | None) -> float | None:
    """The weight taken on the day (``weight_kg``), None when not given; a FieldError."""
    if text is None or not text.strip():
        return None
    try:
        return check_weight_kg(float(text))
    except (ValueError, MeasureError):
        raise FieldError(
            "weight_kg", f"weight_kg: got {text!r}, expected the weight taken today in kg"
        ) from None


def panel_json(view: PanelView) -> dict[str, Any]:
    """The panel as the API answers it: the decision, its words, what is pending or missing."""
    body: dict[str, Any] = {
        "subject": view.subject,
        "today": view.today.isoformat(),
        "lines": view.lines(),
        "problem": view.problem,
        "unread": list(view.unread),
        "vials": None
        if view.vials is None
        else {
            "sizes_g": list(view.vials.sizes_g),
            "tolerance_percent": view.vials.tolerance_percent,
        },
    }
    panel = view.panel
    if panel is None:
        return body
    record, dispensed, pending = panel.decision, panel.dispensed, panel.pending
    body.update(
        {
            "day": panel.day,
            "weight_kg": panel.weight_kg,
            "current": panel.current.text(),
            "action": record.action.label,
            "dose_g": record.dose_g,
            "interval_days": record.interval_days,
            "percent_of_baseline": record.percent_of_baseline,
            "explanation": panel.explanation,
            "holds": panel.holds,
            "dispensed_g": None if dispensed is None else dispensed.amount_g,
            "vials": None if dispensed is None else dispensed.vials_text(),
            "pending": None
            if pending is None
            else {
                "repeat": [{"measure": r.measure, "sides": list(r.sides)} for r in pending.repeats],
                "from": pending.visit.earliest.isoformat(),
                "by": pending.visit.latest.isoformat(),
                "drop_on": pending.visit.drop_on.isoformat(),
                "status": pending.visit.status.value,
                "text": pending.text(),
            },
            "missing": [
                {"kind": m.kind.value, "measure": m.measure, "side": m.side, "text": m.text}
                for m in panel.missing
            ],
        }
    )
    return body


def add_routes(app: FastAPI, database: Database, page: Page, today: Callable[[], date]) -> None:
    """Add the routes of this module to ``app``."""

    def panel_view(
        request: Request,
        site: str,
        subject: str,
        weight: str | None,
        error: CaptureError | None = None,
        typed: dict[str, str] | None = None,
    ) -> HTMLResponse:
        try:
            weight_kg = weight_of(weight)
        except FieldError as bad:
            error, weight_kg = error or bad, None
        try:
            with database.read() as conn:
                protocol = load_study(conn).protocol
                view = dosing.panel_of(conn, protocol, site, subject, today(), weight_kg)
                made = decisions.decisions_of(conn, participant(conn, site, subject)["id"])
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        context = {
            "site": site,
            "subject": subject,
            "view": view,
            "decisions": made,
            "decided_today": any(d["decided_for"] == view.today.isoformat() for d in made),
            "can_decide": may_use(request, "dose_decide", site),
            "values": typed or {"weight_kg": weight or ""},
            "error": str(error) if error else None,
        }
        status = 200 if error is None else 409 if isinstance(error, StateConflict) else 422
        return page(request, "panel.html", context, status)

    base = "/sites/{site}/participants/{subject}"

    @app.get(
        base + "/panel", name="panel_page", response_class=HTMLResponse, include_in_schema=False
    )
    def show_panel(
        request: Request, site: str, subject: str, weight_kg: str | None = None
    ) -> HTMLResponse:
        return panel_view(request, site, subject, weight_kg)

    @app.post(base + "/decision", name="dose_decide", include_in_schema=False)
    async def decide(request: Request, site: str, subject: str) -> Response:
        typed = await form_fields(request)
        return await run_in_threadpool(_decide_now, request, site, subject, typed)

    def _decided(site: str, subject: str, typed: dict[str, str], who: str) -> decisions.Decision:
        weight_kg = weight_of(typed.get("weight_kg"))
        with database.write() as conn:
            protocol = load_study(conn).protocol
            view = dosing.panel_of(conn, protocol, site, subject, today(), weight_kg)
            return decisions.decide(conn, view, site, typed, who)

    def _decide_now(request: Request, site: str, subject: str, typed: dict[str, str]) -> Response:
        try:
            _decided(site, subject, typed, signed_in(request).username)
        except NotFound as missing:
            raise HTTPException(404, str(missing)) from None
        except CaptureError as error:
            return panel_view(request, site, subject, typed.get("weight_kg"), error, typed)
        return RedirectResponse(f"/sites/{site}/participants/{subject}/panel", status_code=303)

    @app.get(
        "/sites/{site}/deviations",
        name="deviations_page",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def site_deviations(request: Request, site: str) -> HTMLResponse:
        with database.read() as conn:
            listed = deviations.site_deviations(conn, site_id(conn, site))
        return page(request, "deviations.html", {"site": site, "deviations": listed}, 200)

    api = "/api" + base

    @app.get(api + "/panel", name="api_panel")
    def api_panel(site: str, subject: str, weight_kg: str | None = None) -> dict[str, Any]:
        """The engine panel for an infusion today: the regimen, the next dose and why, the
        confirmation pending, what is missing, the dose in the site's vials, decisions."""
        with api_errors("weight_kg"), database.read() as conn:
            protocol = load_study(conn).protocol
            view = dosing.panel_of(conn, protocol, site, subject, today(), weight_of(weight_kg))
            made = decisions.decisions_of(conn, participant(conn, site, subject)["id"])
        return {**panel_json(view), "decisions": made}

    @app.post(api + "/decision", name="api_dose_decide", status_code=201)
    async def api_decide(request: Request, site: str, subject: str) -> dict[str, Any]:
        """Accept the panel's dose (``{"outcome": "accept"}``) or override it
        (``{"outcome": "override", "given_dose_g": 35, "reason": "..."}``, optionally
        ``given_interval_days``; ``weight_kg``: the weight taken today)."""
        body = await json_body(request)
        return await run_in_threadpool(_api_decide_now, request, site, subject, body)

    def _api_decide_now(
        request: Request, site: str, subject: str, body: dict[str, str]
    ) -> dict[str, Any]:
        with api_errors("outcome"):
            made = _decided(site, subject, body, signed_in(request).username)
        return made.values()
