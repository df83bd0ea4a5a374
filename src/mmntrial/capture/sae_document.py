"""The expedited report of a serious adverse event, as a document: HTML, then PDF.

What a sponsor's safety desk reads: the study, the site, the participant's subject id
(never the arm: the document is blinded like every page a site sees), the event (term,
onset, grade, relatedness, action, outcome), the moment the site became aware of it,
when the initial report was due and whether it came in time, and every report, initial
and follow-ups, with who reported it and when. Rendered from its own Jinja2 template
(``sae_document.html``: a page to print, without the app's navigation) and printed
through the report's PDF path (:func:`mmntrial.report.pdf.render_pdf`).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from mmntrial.capture.sae import Sae
from mmntrial.report.pdf import render_pdf

_TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(default=True),
)


def sae_html(sae: Sae, site: str, study_name: str, made_at: datetime) -> str:
    """The document of ``sae`` at ``site`` of the study ``study_name``, made at ``made_at``."""
    return _TEMPLATES.get_template("sae_document.html").render(
        sae=sae,
        site=site,
        study_name=study_name,
        made_at=made_at.isoformat(timespec="seconds"),
    )


def sae_pdf(html: str) -> tuple[bytes | None, str | None]:
    """The document as PDF bytes, or None and why no PDF can be made here."""
    return render_pdf(html)
