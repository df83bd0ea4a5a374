"""The DSMB statistician's pages: the open and the closed DSMB report of the live study.

Both reports are made from the study as a dataset (:func:`mmntrial.capture.dataset_export.
export_study`, the code path of ``mmntrial study export``), which holds every subject's
arm: this is the one capture web module allowed to import the export, and every route
here is the DSMB statistician's alone (tests check both), so no blinded role ever gets
a page built from unblinded data. The data manager, blinded, runs ``mmntrial dsmb`` on an
export at database lock instead.

The arms are unsealed with the key the server holds (``mmntrial serve --key``): without
it there is no report (409, naming the key). Each request reads the study afresh (a
verified audit chain, one transaction), so the report is of the data as they stand.
"""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse

from mmntrial.capture.dataset_export import export_study
from mmntrial.capture.guard import signed_in
from mmntrial.capture.participantsweb import NO_KEY
from mmntrial.errors import MmntrialError
from mmntrial.randomization.lists import AllocationList
from mmntrial.report.dsmb import render_dsmb
from mmntrial.report.reproduce import dataset_hash
from mmntrial.storage import Database

#: The routes of this module; the permission table gives each to the DSMB statistician only.
ROUTES = ("dsmb_open", "dsmb_closed")
PDF_NOTE = "The PDF of this report: mmntrial dsmb on the study's export."


def report_page(
    database: Database, key: AllocationList | None, who: str, *, closed: bool
) -> HTMLResponse:
    """The open or closed report of the study in ``database`` now, as a page."""
    if key is None:
        raise HTTPException(409, [{"field": "key", "message": NO_KEY}])
    try:
        dataset, protocol = export_study(database, key, who)
    except MmntrialError as error:
        # A study whose records do not yet make a dataset (a subject without age and
        # sex, a form without its date): the message names the subject and what lacks.
        message = f"study: the records do not make a dataset yet: {error}"
        raise HTTPException(409, [{"field": "study", "message": message}]) from None
    labels = {arm.name: arm.label for arm in protocol.arms}
    digest = dataset_hash(dataset)
    html = render_dsmb(
        dataset, labels, closed=closed, safety=protocol.safety, pdf_note=PDF_NOTE, digest=digest
    )
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def add_routes(app: FastAPI, database: Database, key: AllocationList | None) -> None:
    """The two report routes (plain ``def``: the export runs in FastAPI's threadpool)."""

    @app.get("/dsmb/open", name="dsmb_open", response_class=HTMLResponse, include_in_schema=False)
    def dsmb_open(request: Request) -> HTMLResponse:
        return report_page(database, key, signed_in(request).username, closed=False)

    @app.get(
        "/dsmb/closed", name="dsmb_closed", response_class=HTMLResponse, include_in_schema=False
    )
    def dsmb_closed(request: Request) -> HTMLResponse:
        return report_page(database, key, signed_in(request).username, closed=True)


__all__ = ["PDF_NOTE", "ROUTES", "add_routes", "report_page"]
