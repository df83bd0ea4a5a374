"""The DSMB statistician's pages: the open and the closed DSMB report of the live study,
each as a page and as its PDF.

Both reports are made from the study as a dataset (:func:`mmntrial.capture.dataset_export.
export_study`, the code path of ``mmntrial study export``), which holds every subject's
arm: this is the one capture web module allowed to import the export, and every route
here is the DSMB statistician's alone (tests check both), so no blinded role ever gets
a page built from unblinded data. The data manager, blinded, runs ``mmntrial dsmb`` on an
export at database lock instead. The page and the PDF are rendered by
:mod:`mmntrial.report.dsmb`, the renderer of ``mmntrial dsmb``: one report, however read.

The arms are unsealed with the key the server holds (``mmntrial serve --key``): without
it there is no report (409, naming the key). Each request reads the study afresh (a
verified audit chain, one transaction), so the report is of the data as they stand.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from mmntrial.capture.dataset_export import export_study
from mmntrial.capture.guard import signed_in
from mmntrial.capture.participantsweb import NO_KEY
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import MmntrialError
from mmntrial.protocol.model import Safety
from mmntrial.randomization.lists import AllocationList
from mmntrial.report.dsmb import dsmb_pdf, file_names, render_dsmb
from mmntrial.report.reproduce import dataset_hash
from mmntrial.storage import Database

#: The routes of this module; the permission table gives each to the DSMB statistician only.
ROUTES = ("dsmb_open", "dsmb_closed", "dsmb_open_pdf", "dsmb_closed_pdf")
PDF_NOTE = "The same report as PDF:"
#: A report is private to the DSMB and of the data as they stand: never cached.
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class _Study:
    """The study now as a dataset, with what the report reads of its protocol."""

    dataset: Dataset
    labels: Mapping[str, str]
    safety: Safety
    digest: str


def _study(database: Database, key: AllocationList | None, who: str) -> _Study:
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
    return _Study(dataset, labels, protocol.safety, dataset_hash(dataset))


def report_page(
    database: Database, key: AllocationList | None, who: str, *, closed: bool
) -> HTMLResponse:
    """The open or closed report of the study in ``database`` now, as a page."""
    study = _study(database, key, who)
    html = render_dsmb(
        study.dataset,
        study.labels,
        closed=closed,
        safety=study.safety,
        pdf_note=PDF_NOTE,
        digest=study.digest,
        pdf_href=f"/dsmb/{'closed' if closed else 'open'}.pdf",
    )
    return HTMLResponse(html, headers=NO_STORE)


def report_pdf(
    database: Database, key: AllocationList | None, who: str, *, closed: bool
) -> Response:
    """The open or closed report of the study now as PDF; where no PDF can be made here
    (WeasyPrint or Pango missing), the same report as a page saying why."""
    study = _study(database, key, who)
    data, html = dsmb_pdf(
        study.dataset, study.labels, closed=closed, safety=study.safety, digest=study.digest
    )
    if data is None:
        return HTMLResponse(html, headers=NO_STORE)
    disposition = f'inline; filename="{file_names(closed=closed)[1]}"'
    headers = {**NO_STORE, "Content-Disposition": disposition}
    return Response(data, media_type="application/pdf", headers=headers)


def add_routes(app: FastAPI, database: Database, key: AllocationList | None) -> None:
    """The report routes (plain ``def``: the export runs in FastAPI's threadpool)."""

    @app.get("/dsmb/open", name="dsmb_open", response_class=HTMLResponse, include_in_schema=False)
    def dsmb_open(request: Request) -> HTMLResponse:
        return report_page(database, key, signed_in(request).username, closed=False)

    @app.get(
        "/dsmb/closed", name="dsmb_closed", response_class=HTMLResponse, include_in_schema=False
    )
    def dsmb_closed(request: Request) -> HTMLResponse:
        return report_page(database, key, signed_in(request).username, closed=True)

    @app.get("/dsmb/open.pdf", name="dsmb_open_pdf", include_in_schema=False)
    def dsmb_open_pdf(request: Request) -> Response:
        return report_pdf(database, key, signed_in(request).username, closed=False)

    @app.get("/dsmb/closed.pdf", name="dsmb_closed_pdf", include_in_schema=False)
    def dsmb_closed_pdf(request: Request) -> Response:
        return report_pdf(database, key, signed_in(request).username, closed=True)


__all__ = ["PDF_NOTE", "ROUTES", "add_routes", "report_page", "report_pdf"]
