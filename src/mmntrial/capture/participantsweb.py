"""The routes of eligibility, randomization, participants and emergency unblinding.

Pages and the JSON API beside them, each named in the permission table. What blinded
roles get (every page, API answer and error of this flow) holds kit codes, never an
arm: only two answers carry one, the pharmacist's dispensing page and the answer to an
investigator's emergency unblinding, which is sent to that person once, marked
``Cache-Control: no-store``, and recorded for good in the ledger and the audit trail.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from datetime import date
from typing import Any

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from mmntrial.capture import allocation, demographics, eligibility
from mmntrial.capture.allocation import AlreadyParticipant
from mmntrial.capture.eligibility import NotFound
from mmntrial.capture.guard import may_use, signed_in
from mmntrial.capture.permissions import Role
from mmntrial.capture.routes import Page, field_of, form_fields
from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.lists import AllocationList
from mmntrial.storage import Database

NO_KEY = (
    "key: got none, expected the list file (the sealed key) given to the server at start "
    "(`mmntrial serve --key LIST.json`); without it no arm can be shown"
)


class Ledgers:
    """The study's ledger for its current list, opened once per list (and key)."""

    def __init__(self, database: Database, key: AllocationList | None) -> None:
        self.database = database
        self.key = key
        self._open: dict[str, Ledger] = {}
        self._lock = threading.Lock()

    def current(self) -> Ledger:
        """The ledger for the list the study allocates from now."""
        with self.database.read() as conn:
            slot_list = allocation.current_list(conn)
        with self._lock:
            # Opening checks the list and records it in the ledger: one write, outside
            # the request's own write transaction (one writer at a time, even in-process).
            if slot_list.sha256 not in self._open:
                self._open[slot_list.sha256] = allocation.open_ledger(
                    self.database, slot_list, self.key
                )
            return self._open[slot_list.sha256]

    def keyed(self) -> Ledger:
        """The current ledger when the server holds its key; a CaptureError otherwise."""
        ledger = self.current()
        if not ledger.holds_key:
            raise CaptureError(NO_KEY)
        return ledger


class AssessmentIn(BaseModel):
    """An eligibility assessment sent to the API (checked as the form's values are)."""

    assessed_on: Any = None
    exclusions: Any = None
    clinical: Any = None
    supportive: Any = None
    sensory_conduction_normal: Any = None
    segments: Any = []
    age_years: Any = None
    sex: Any = None
    reason: str | None = None


class UnblindIn(BaseModel):
    """Why the arm is needed now."""

    reason: Any = None


def _status(error: CaptureError) -> int:
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, AlreadyParticipant):
        return 409
    return 422


def _api_error(error: CaptureError) -> HTTPException:
    field = field_of(error, "body")
    return HTTPException(_status(error), [{"field": field, "message": str(error)}])


def add_routes(
    app: FastAPI, database: Database, page: Page, today: Callable[[], date], ledgers: Ledgers
) -> None:
    """Add the routes of this module to ``app``."""

    def arm_labels() -> dict[str, str]:
        with database.read() as conn:
            return {arm.name: arm.label for arm in load_study(conn).protocol.arms}

    def eligibility_view(
        request: Request,
        site: str,
        entry: int,
        error: CaptureError | None = None,
        values: dict[str, str] | None = None,
    ) -> HTMLResponse:
        with database.read() as conn:
            study = load_study(conn)
            screened = eligibility.enrolled_entry(conn, site, entry)
            saved = eligibility.stored(conn, entry)
            person = demographics.stored(conn, entry)
            done = [
                p for p in allocation.site_participants(conn, site) if p.screening_entry_id == entry
            ]
        diagnosis = None
        if saved is not None:
            diagnosis = eligibility.diagnosis_of(json.loads(saved["findings_json"]))
        context = {
            "site": site,
            "entry": entry,
            "screened": screened,
            "saved": saved,
            "person": person,
            "sexes": demographics.SEXES,
            "saved_exclusions": json.loads(saved["exclusions_json"]) if saved else {},
            "diagnosis": diagnosis,
            "admitted": study.protocol.eligibility.efns_categories,
            "exclusions": study.exclusion_codes(),
            "clinical": eligibility.CLINICAL_FIELDS,
            "supportive": eligibility.SUPPORTIVE_FIELDS,
            "segment_fields": eligibility.SEGMENT_FIELDS,
            "rows": range(eligibility.FORM_SEGMENTS),
            "participant": done[0] if done else None,
            "can_edit": may_use(request, "eligibility_save", site),
            "error": str(error) if error else None,
            "values": values or {},
        }
        return page(request, "eligibility.html", context, _status(error) if error else 200)

    path = "/sites/{site}/screening/{entry}/eligibility"

    @app.get(path, name="eligibility_page", response_class=HTMLResponse, include_in_schema=False)
    def show_eligibility(request: Request, site: str, entry: int) -> Response:
        try:
            return eligibility_view(request, site, entry)
        except NotFound as error:
            raise HTTPException(404, str(error)) from None

    @app.post(path, name="eligibility_save", include_in_schema=False)
    async def save_eligibility(request: Request, site: str, entry: int) -> Response:
        # The save waits for the write lock: off the event loop (see mmntrial.capture.web).
        form = await form_fields(request)
        return await run_in_threadpool(saved_eligibility, request, site, entry, form)

    def saved_eligibility(
        request: Request, site: str, entry: int, form: dict[str, str]
    ) -> Response:
        try:
            with database.write() as conn:
                study = load_study(conn)
                screened = eligibility.enrolled_entry(conn, site, entry)
                data = eligibility.from_form(form, list(study.exclusion_codes()))
                checked = eligibility.checked_assessment(
                    data, study.protocol, date.fromisoformat(screened["screened_on"]), today()
                )
                person = demographics.checked_demographics(form)
                who, reason = signed_in(request).username, form.get("reason")
                eligibility.record(conn, entry, checked, who, reason)
                demographics.record(conn, site, entry, person, who, reason)
        except NotFound as error:
            raise HTTPException(404, str(error)) from None
        except CaptureError as error:
            return eligibility_view(request, site, entry, error, form)
        return RedirectResponse(f"/sites/{site}/screening/{entry}/eligibility", status_code=303)

    @app.post(
        "/sites/{site}/screening/{entry}/randomize", name="randomize", include_in_schema=False
    )
    def randomize_form(request: Request, site: str, entry: int) -> Response:
        try:
            do_randomize(request, site, entry)
        except NotFound as error:
            raise HTTPException(404, str(error)) from None
        except CaptureError as error:
            return eligibility_view(request, site, entry, error)
        return RedirectResponse(f"/sites/{site}/participants", status_code=303)

    def do_randomize(request: Request, site: str, entry: int) -> allocation.Participant:
        ledger = ledgers.current()
        with database.write() as conn:
            return allocation.randomize(
                conn, ledger, site, entry, signed_in(request).username, today()
            )

    def participants_view(request: Request, site: str) -> HTMLResponse:
        with database.read() as conn:
            listed = allocation.site_participants(conn, site)
        can_unblind = Role.INVESTIGATOR in signed_in(request).roles_at(site)
        context = {"site": site, "participants": listed, "can_unblind": can_unblind}
        return page(request, "participants.html", context, 200)

    @app.get(
        "/sites/{site}/participants",
        name="participants_page",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def show_participants(request: Request, site: str) -> HTMLResponse:
        return participants_view(request, site)

    unblind_path = "/sites/{site}/participants/{subject}/unblind"

    @app.get(
        unblind_path, name="unblind_form", response_class=HTMLResponse, include_in_schema=False
    )
    def show_unblind(request: Request, site: str, subject: str) -> HTMLResponse:
        with database.read() as conn:
            try:
                allocation.participant(conn, site, subject)
            except NotFound as error:
                raise HTTPException(404, str(error)) from None
        context = {"site": site, "subject": subject, "arm": None, "label": None}
        return page(request, "unblind.html", context, 200)

    def do_unblind(request: Request, site: str, subject: str, reason: object) -> tuple[str, str]:
        ledger = ledgers.keyed()
        with database.write() as conn:
            arm = allocation.unblind(
                conn, ledger, site, subject, reason if isinstance(reason, str) else "",
                signed_in(request).username,
            )  # fmt: skip
        return arm, arm_labels()[arm]

    @app.post(unblind_path, name="unblind", include_in_schema=False)
    async def unblind(request: Request, site: str, subject: str) -> Response:
        return await run_in_threadpool(unblinded, request, site, subject, await request.form())

    def unblinded(request: Request, site: str, subject: str, form: FormData) -> Response:
        context: dict[str, Any] = {"site": site, "subject": subject, "arm": None, "label": None}
        try:
            arm, label = do_unblind(request, site, subject, form.get("reason"))
        except NotFound as error:
            raise HTTPException(404, str(error)) from None
        except CaptureError as error:
            context["error"] = str(error)
            return page(request, "unblind.html", context, _status(error))
        shown = page(request, "unblind.html", {**context, "arm": arm, "label": label}, 200)
        shown.headers["Cache-Control"] = "no-store"
        return shown

    @app.get(
        "/sites/{site}/dispensing",
        name="dispensing_page",
        response_class=HTMLResponse,
        include_in_schema=False,
    )
    def dispensing(request: Request, site: str) -> HTMLResponse:
        error, arms = None, {}
        try:
            ledger = ledgers.keyed()
            with database.read() as conn:
                arms = ledger.arms_in(conn)
        except CaptureError as problem:
            error = str(problem)
        with database.read() as conn:
            listed = allocation.site_participants(conn, site)
        labels = arm_labels()
        rows = [(p, arms.get(p.subject), labels.get(arms.get(p.subject, ""), "")) for p in listed]
        shown = page(request, "dispensing.html", {"site": site, "rows": rows, "error": error}, 200)
        shown.headers["Cache-Control"] = "no-store"
        return shown

    api = "/api/sites/{site}"

    @app.get(api + "/screening/{entry}/eligibility", name="api_eligibility")
    def api_eligibility(site: str, entry: int) -> dict[str, Any]:
        """The stored eligibility assessment of an enrolled patient, with its category,
        age and sex."""
        with database.read() as conn:
            try:
                eligibility.enrolled_entry(conn, site, entry)
            except NotFound as error:
                raise _api_error(error) from None
            saved = eligibility.stored(conn, entry)
            person = demographics.stored(conn, entry)
        if saved is None:
            raise HTTPException(
                404, [{"field": "entry", "message": f"entry: got {entry}, not assessed yet"}]
            )
        findings = json.loads(saved["findings_json"])
        return {
            "assessed_on": saved["assessed_on"],
            "category": saved["category"],
            "reasons": list(eligibility.diagnosis_of(findings).reasons),
            "exclusions": json.loads(saved["exclusions_json"]),
            "eligible": saved["eligible"],
            "findings": findings,
            # None for an assessment saved before the form asked for them.
            "age_years": person.age_years if person else None,
            "sex": person.sex if person else None,
        }

    @app.post(api + "/screening/{entry}/eligibility", name="api_eligibility_save", status_code=201)
    def api_eligibility_save(
        request: Request, site: str, entry: int, body: AssessmentIn
    ) -> dict[str, Any]:
        """Assess an enrolled patient (with age and sex): the category is computed,
        eligibility decided."""
        try:
            with database.write() as conn:
                study = load_study(conn)
                screened = eligibility.enrolled_entry(conn, site, entry)
                checked = eligibility.checked_assessment(
                    body.model_dump(),
                    study.protocol,
                    date.fromisoformat(screened["screened_on"]),
                    today(),
                )
                person = demographics.checked_demographics(body.model_dump())
                who = signed_in(request).username
                eligibility.record(conn, entry, checked, who, body.reason)
                demographics.record(conn, site, entry, person, who, body.reason)
        except CaptureError as error:
            raise _api_error(error) from None
        return {
            "category": checked.diagnosis.category.value,
            "reasons": list(checked.diagnosis.reasons),
            "eligible": checked.eligible,
            "exclusions_applying": [k for k, v in checked.exclusions.items() if v],
        }

    @app.post(api + "/screening/{entry}/randomize", name="api_randomize", status_code=201)
    def api_randomize(request: Request, site: str, entry: int) -> dict[str, Any]:
        """Randomize an eligible patient with age and sex recorded: subject id, day 0 and
        kit code (never the arm)."""
        try:
            return do_randomize(request, site, entry).shown()
        except CaptureError as error:
            raise _api_error(error) from None

    @app.get(api + "/participants", name="api_participants")
    def api_participants(site: str) -> list[dict[str, Any]]:
        """The participants of a site: subject, day 0 and kit code."""
        with database.read() as conn:
            return [p.shown() for p in allocation.site_participants(conn, site)]

    @app.post(api + "/participants/{subject}/unblind", name="api_unblind")
    def api_unblind(
        request: Request, site: str, subject: str, body: UnblindIn, response: Response
    ) -> dict[str, Any]:
        """Emergency unblinding: the arm, to the asking investigator only; recorded for good."""
        try:
            arm, label = do_unblind(request, site, subject, body.reason)
        except CaptureError as error:
            raise _api_error(error) from None
        response.headers["Cache-Control"] = "no-store"
        return {"subject": subject, "arm": arm, "label": label}
