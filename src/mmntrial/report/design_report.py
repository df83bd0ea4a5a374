"""The design report: a protocol committee's or an ethics board's view of a simulated design.

One self-contained HTML page (and its PDF where WeasyPrint works, as the trial report):
the design, every assumption with its resolved source, what the drug effect does to the
responder rate of each arm, power and type I error with intervals, IVIg saved and harm
per arm, a power-vs-n and a harm-vs-savings figure, the seed, the version and the one
command that reproduces it. Every number comes from a
:class:`~mmntrial.report.design_study.DesignStudy`; nothing is computed here.

Its provenance record (:func:`provenance_record`: the protocol and population with their
content hashes, seed, trials, n per arm, effects, the size question, the version and
every number shown) is written beside the page as ``provenance.json``, shown in the
reproducibility section and embedded in the page as ``<script type="application/json"
id="provenance">``; ``mmntrial reproduce FOLDER`` re-runs the study and compares.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from mmntrial import __version__
from mmntrial.atomic import check_output_folder, replacing_folder
from mmntrial.protocol.model import Protocol, Sidedness
from mmntrial.report.design_figures import harm_savings_svg, power_curve_svg
from mmntrial.report.design_study import DesignStudy, Spread, study_numbers
from mmntrial.report.html import report_environment
from mmntrial.report.pdf import pdf_unavailable_reason, write_pdf
from mmntrial.report.summary import protocol_summary
from mmntrial.report.versions import software_versions
from mmntrial.simulate.provenance import SIDECAR, design_record

HTML_NAME = "design-report.html"
PDF_NAME = "design-report.pdf"
FIGURE_DIR = "figures"
PROVENANCE_NAME = SIDECAR
# What a design report folder holds: a folder holding only these may be replaced.
DESIGN_REPORT_FILES = frozenset({HTML_NAME, PDF_NAME, FIGURE_DIR, PROVENANCE_NAME})
SECTION_IDS = (
    "design",
    "assumptions",
    "responders",
    "power",
    "harm",
    "figures",
    "reproducibility",
)
TEMPLATE = "design_report.html.j2"
# Libraries whose versions change the simulated numbers or the figures.
_LIBRARIES = ("numpy", "numba", "scipy", "pandas", "matplotlib")


@dataclass(frozen=True)
class DesignReportPaths:
    """What :func:`write_design_report` wrote: the HTML, the PDF (or None) and the figures."""

    html: Path
    pdf: Path | None
    pdf_note: str
    figures: dict[str, Path]


def percent(value: float) -> str:
    """A fraction as a percentage with one decimal.

    >>> percent(0.8049)
    '80.5%'
    """
    return f"{100 * value:.1f}%"


def spread(value: Spread, digits: int = 1, *, as_percent: bool = False) -> str:
    """A mean and its 2.5-97.5 percentile range over trials, as one cell.

    >>> spread(Spread(412.4, 301.0, 530.6), 0)
    '412 (301 to 531)'
    """
    if as_percent:
        return f"{percent(value.mean)} ({percent(value.low)} to {percent(value.high)})"
    return f"{value.mean:.{digits}f} ({value.low:.{digits}f} to {value.high:.{digits}f})"


def reproduce_command(
    study: DesignStudy, *, protocol: str, population: str, out: str = "DIR"
) -> str:
    """The one command line that makes this report again (same version, same numbers)."""
    q = study.size.question
    effects = ",".join(f"{row.effect:g}" for row in study.effects)
    return (
        f"mmntrial design-report --protocol {protocol} --population {population} "
        f"--effects {effects} --trials {study.trials} --seed {study.seed} "
        f"--n-per-arm {study.n_per_arm} --size-effect {q.effect:g} --power {q.power:g} "
        f"--size-trials {q.max_trials} --max-n {q.max_n} --out {out}"
    )


def provenance_record(study: DesignStudy) -> dict[str, Any]:
    """How the report was made and every number it shows (see the module docstring)."""
    return design_record(
        study.protocol,
        study.population,
        seed=study.seed,
        trials=study.trials,
        n_per_arm=study.n_per_arm,
        effects=[row.effect for row in study.effects],
        question=dataclasses.asdict(study.size.question),
        numbers=study_numbers(study),
    )


def embedded_json(data: Any) -> Markup:
    """``data`` as JSON safe inside ``<script type="application/json">``: ``<`` is
    escaped, so that no text in it can close the element.

    >>> print(embedded_json({"a": "</script>"}))
    {"a": "\\u003c/script>"}
    """
    return Markup(json.dumps(data, ensure_ascii=False).replace("<", "\\u003c"))


def _sidedness(protocol: Protocol) -> str:
    return "one-sided" if protocol.endpoints.sidedness is Sidedness.ONE_SIDED else "two-sided"


def _size_sentence(study: DesignStudy) -> str:
    answer, q = study.size, study.size.question
    if answer.power_at_n is None:
        top = answer.curve[-1]
        return (
            f"At drug effect {q.effect:g}, {q.power:.0%} power is not reached up to "
            f"{top.n_per_arm} patients per arm (power there {percent(top.power)}; "
            f"{answer.n_trials:,} trials)."
        )
    at = answer.power_at_n
    return (
        f"At drug effect {q.effect:g}, {at.n_per_arm} patients per arm ({2 * at.n_per_arm} "
        f"in all) give {percent(at.power)} power (95% Monte-Carlo interval "
        f"{percent(at.ci95[0])} to {percent(at.ci95[1])}), the smallest size from which "
        f"the power stays at or above {q.power:.0%}; {answer.n_trials:,} trials."
    )


def render_design_report(
    study: DesignStudy, *, command: str, pdf_note: str, figures: Sequence[tuple[str, str]]
) -> str:
    """The design report page for ``study``; ``figures`` are (id, svg) pairs."""
    protocol = study.protocol
    record = provenance_record(study)
    arms = [(arm.name, arm.label) for arm in protocol.arms]
    captions = {
        "fig-power-n": (
            "Power against n per arm",
            f"Power of the primary test ({_sidedness(protocol)} Fisher exact test of the "
            f"primary endpoint at alpha {protocol.endpoints.alpha:g}) at each size, from "
            "the same simulated patients at every size (common random numbers), with its "
            "95% Monte-Carlo interval (band); dashed: the target; the dotted line marks the "
            "answer.",
        ),
        "fig-harm-savings": (
            "Harm against IVIg saved",
            "Per patient, at each drug effect simulated: weeks with a meaningful weakness "
            "against grams of IVIg saved per patient-year; filled: the drug arm, hollow: "
            "the control arm of the same effect, joined by a line.",
        ),
    }
    return (
        report_environment()
        .get_template(TEMPLATE)
        .render(
            title=f"{protocol.title}: design report",
            protocol=protocol_summary(protocol),
            population=study.population,
            population_name=study.population_name,
            study=study,
            arms=arms,
            size_sentence=_size_sentence(study),
            percent=percent,
            spread=spread,
            figures=[
                {
                    "id": fid,
                    "title": captions[fid][0],
                    "caption": captions[fid][1],
                    "svg": Markup(svg),
                }
                for fid, svg in figures
            ],
            software_version=__version__,
            versions=software_versions(_LIBRARIES),
            command=command,
            pdf_note=pdf_note,
            record=record,
            record_json=embedded_json(record),
        )
    )


def write_design_report(
    study: DesignStudy, out_dir: Path, *, command: str, pdf: bool = True
) -> DesignReportPaths:
    """Write ``design-report.html`` (and its PDF, SVG figures) into ``out_dir``, replaced
    as a whole; a folder holding anything but an earlier design report is refused."""
    out_dir = check_output_folder(out_dir, "out_dir", owned=DESIGN_REPORT_FILES)
    figures = [
        ("fig-power-n", power_curve_svg(study.size)),
        ("fig-harm-savings", harm_savings_svg(study.sweep)),
    ]
    reason = pdf_unavailable_reason() if pdf else "not requested (--no-pdf)"
    note = f"PDF not written: {reason}" if reason else f"Also as PDF: {PDF_NAME} (same content)."
    html = render_design_report(study, command=command, pdf_note=note, figures=figures)
    pdf_written = False
    with replacing_folder(out_dir, owned=DESIGN_REPORT_FILES) as staging:
        (staging / FIGURE_DIR).mkdir()
        for fid, svg in figures:
            (staging / FIGURE_DIR / f"{fid.removeprefix('fig-')}.svg").write_text(
                svg + "\n", encoding="utf-8"
            )
        if reason is None:
            outcome = write_pdf(html, staging / PDF_NAME)
            pdf_written = outcome.written
            if outcome.reason is not None:
                # The page would promise a PDF that could not be made: say why instead.
                note = f"PDF not written: {outcome.reason}"
                html = render_design_report(study, command=command, pdf_note=note, figures=figures)
        (staging / HTML_NAME).write_text(html, encoding="utf-8")
        (staging / PROVENANCE_NAME).write_text(
            json.dumps(provenance_record(study), indent=1) + "\n", encoding="utf-8"
        )
    return DesignReportPaths(
        html=out_dir / HTML_NAME,
        pdf=out_dir / PDF_NAME if pdf_written else None,
        pdf_note=note,
        figures={
            fid.removeprefix("fig-"): out_dir / FIGURE_DIR / f"{fid.removeprefix('fig-')}.svg"
            for fid, _ in figures
        },
    )


__all__ = [
    "DESIGN_REPORT_FILES",
    "HTML_NAME",
    "PDF_NAME",
    "PROVENANCE_NAME",
    "SECTION_IDS",
    "DesignReportPaths",
    "embedded_json",
    "percent",
    "provenance_record",
    "render_design_report",
    "reproduce_command",
    "spread",
    "write_design_report",
]
