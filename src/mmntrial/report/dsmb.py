"""The DSMB's open and closed reports: one self-contained HTML page, and its PDF.

The closed report shows each table by arm, for the DSMB in closed session; the open
report shows the same tables pooled over arms (:data:`mmntrial.analysis.dsmb.POOLED`),
for the open session where the sponsor and the investigators sit, and holds no arm name
or label anywhere: not in a column, a caption, nor in the order of a listing (the
serious adverse events are listed by subject, not grouped by arm). The counts are
:func:`mmntrial.analysis.dsmb.dsmb_counts`; the tables are laid out as the trial
report's safety tables (:class:`~mmntrial.report.safety_tables.SafetyTable`) and
rendered with the same template macro and CSS. The safety rules fired are the protocol's
``[safety]`` rules evaluated on the dataset (:func:`mmntrial.analysis.dsmb.rules_fired`),
each named in words (:func:`mmntrial.safety.describe.rule_title`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

import pandas as pd

from mmntrial import __version__
from mmntrial.analysis.dsmb import (
    POOLED,
    DsmbCounts,
    RulesFired,
    ShiftTable,
    dsmb_counts,
    rules_fired,
    subject_groups,
)
from mmntrial.analysis.result import GRAMS, PERCENT
from mmntrial.atomic import check_output_folder, replacing_folder
from mmntrial.dataset.schema import Dataset
from mmntrial.measures.labs import LAB_UNITS
from mmntrial.protocol.model import Safety
from mmntrial.report.html import report_environment
from mmntrial.report.pdf import pdf_unavailable_reason, render_pdf, write_pdf
from mmntrial.report.reproduce import dataset_hash
from mmntrial.report.safety_tables import SafetyTable, grade_table, listing
from mmntrial.safety.describe import rule_title

TEMPLATE = "dsmb.html.j2"
POOLED_LABEL = "All subjects"
#: What the rules section says of a protocol without safety rules (no empty table).
NO_RULES = "The protocol states no safety rules."


def file_names(*, closed: bool) -> tuple[str, str]:
    """The HTML and PDF names of the closed or open report.

    >>> file_names(closed=False)
    ('dsmb-open.html', 'dsmb-open.pdf')
    """
    stem = "dsmb-closed" if closed else "dsmb-open"
    return f"{stem}.html", f"{stem}.pdf"


# What a DSMB report folder holds: a folder holding only these may be replaced.
DSMB_FILES = frozenset(name for closed in (False, True) for name in file_names(closed=closed))


@dataclass(frozen=True)
class Section:
    """One section of the page: its id, title, a sentence on what it counts, its tables."""

    id: str
    title: str
    intro: str
    tables: tuple[SafetyTable, ...]


def _n_percent(n: int, total: int) -> str:
    return f"{n} ({PERCENT.format(100.0 * n / total)})"


def _group_columns(counts: DsmbCounts, labels: Mapping[str, str], what: str) -> tuple[str, ...]:
    return tuple(f"{labels.get(g, g)}, {what}" for g in counts.groups)


def disposition(counts: DsmbCounts, labels: Mapping[str, str]) -> SafetyTable:
    """Subjects randomized and by disposition status, n (%) of the group."""
    columns = _group_columns(counts, labels, "n (%)")
    rows = tuple(
        (
            str(status).replace("_", " "),
            *(_n_percent(int(row[g]), n) for g, n in counts.groups.items()),
        )
        for status, row in counts.disposition.iterrows()
    )
    return SafetyTable("Enrolment and disposition", ("Subjects", *columns), rows, columns)


def by_soc(counts: DsmbCounts, labels: Mapping[str, str]) -> SafetyTable:
    """Subjects by MedDRA SOC and term: any grade n (%) and grade 3 or worse n."""
    any_grade = _group_columns(counts, labels, "n (%)")
    severe = _group_columns(counts, labels, "grade ≥ 3, n")
    rows = tuple(
        (
            str(row["soc"]),
            str(row["term"]) or "any term",
            *(_n_percent(int(row[f"{g} n"]), n) for g, n in counts.groups.items()),
            *(str(int(row[f"{g} grade>=3 n"])) for g in counts.groups),
        )
        for _, row in counts.by_soc.iterrows()
    )
    columns = ("System organ class", "Term", *any_grade, *severe)
    return SafetyTable(
        "Subjects by system organ class and term", columns, rows, (*any_grade, *severe)
    )


def shift(table: ShiftTable, labels: Mapping[str, str]) -> SafetyTable:
    """One test's shift table in one group: subjects by baseline and worst grade."""
    unit = LAB_UNITS.get(table.test, "")
    caption = (
        f"{table.test} ({unit}), {labels.get(table.group, table.group)}: baseline grade "
        "(rows) to worst grade after day 0 (columns), subjects"
    )
    columns = tuple(f"worst {c}" for c in table.counts.columns)
    rows = tuple(
        (f"baseline {level}", *(str(int(v)) for v in row))
        for level, row in zip(table.counts.index, table.counts.to_numpy(), strict=True)
    )
    return SafetyTable(caption, ("Baseline", *columns), rows, columns)


def rules_table(fired: RulesFired, safety: Safety, labels: Mapping[str, str]) -> SafetyTable:
    """Per rule: what it fires on, and per group the subjects with a finding n (%), the
    findings, and the findings it could not evaluate."""
    groups = fired.groups.items()
    subjects = tuple(f"{labels.get(g, g)}, subjects n (%)" for g in fired.groups)
    findings = tuple(f"{labels.get(g, g)}, findings" for g in fired.groups)
    unjudged = tuple(f"{labels.get(g, g)}, could not evaluate" for g in fired.groups)
    # The counts have a row per rule, in the protocol's order.
    rows = tuple(
        (
            rule.id,
            rule_title(rule),
            *(_n_percent(int(row[f"{g} subjects"]), n) for g, n in groups),
            *(str(int(row[f"{g} findings"])) for g in fired.groups),
            *(str(int(row[f"{g} could not evaluate"])) for g in fired.groups),
        )
        for rule, (_, row) in zip(safety.rules, fired.counts.iterrows(), strict=True)
    )
    numbers = (*subjects, *findings, *unjudged)
    return SafetyTable("Safety rules fired", ("Rule", "Fires on", *numbers), rows, numbers)


def _plain(caption: str, first: str, frame: pd.DataFrame, labels: Mapping[str, str]) -> SafetyTable:
    columns = tuple(labels.get(str(g), str(g)) for g in frame.columns)
    rows = tuple(
        (str(name), *(GRAMS.format(v, suffix=False) for v in row))
        for name, row in zip(frame.index, frame.to_numpy(), strict=True)
    )
    return SafetyTable(caption, (first, *columns), rows, columns)


def serious_listing(dataset: Dataset, labels: Mapping[str, str], *, closed: bool) -> SafetyTable:
    """The serious adverse events, one row each; the open report's has no arm column and
    lists by subject (an order by arm would tell the arms apart)."""
    if closed:
        return listing(dataset.adverse_events, dataset.subjects, labels, serious_only=True)
    pooled = pd.DataFrame({"subject_id": dataset.subjects["subject_id"].astype(str), "arm": POOLED})
    events = dataset.adverse_events.assign(
        subject_id=dataset.adverse_events["subject_id"].astype(str)
    )
    table = listing(events, pooled, {POOLED: POOLED_LABEL}, serious_only=True)
    keep = [i for i, c in enumerate(table.columns) if c != "Arm"]
    return replace(
        table,
        columns=tuple(table.columns[i] for i in keep),
        rows=tuple(tuple(row[i] for i in keep) for row in table.rows),
    )


def rules_section(
    dataset: Dataset, safety: Safety, labels: Mapping[str, str], *, closed: bool
) -> Section:
    """The protocol's safety rules fired, or that the protocol states none."""
    if not safety.rules:
        return Section("safety-rules", "Safety rules fired", NO_RULES, ())
    fired = rules_fired(dataset, safety, closed=closed)
    return Section(
        "safety-rules",
        "Safety rules fired",
        "Per safety rule of the protocol, evaluated on each subject's labs (against the "
        "lab's normal range), adverse events and infusions as the capture app evaluates "
        "them, with day 0 as the study-drug start: the subjects with at least one finding, "
        "the findings, and the values the rule could not evaluate (a lab without its "
        "normal range, a unit that is not the rule's, no baseline to compare with), "
        "which are not counted as findings.",
        (rules_table(fired, safety, labels),),
    )


def sections(
    dataset: Dataset, labels: Mapping[str, str], *, closed: bool, safety: Safety
) -> tuple[Section, ...]:
    """The report's sections, counted by arm (``closed``) or pooled; ``safety`` is the
    protocol's ``[safety]`` section, whose rules the report counts."""
    counts = dsmb_counts(dataset, closed=closed)
    shown = dict(labels) if closed else {POOLED: POOLED_LABEL}
    grouping = "by arm" if closed else "pooled over the arms"
    worst = () if counts.worst_grade is None else (grade_table(counts.worst_grade, shown),)
    return (
        Section(
            "disposition",
            "Enrolment and disposition",
            f"Subjects randomized and how they left the study ({grouping}).",
            (disposition(counts, shown),),
        ),
        Section(
            "adverse-events",
            "Adverse events",
            "Subjects with adverse events by worst CTCAE v5.0 grade, then by MedDRA system "
            "organ class and term (a subject counts once per row, at the worst grade; "
            "percentages of the subjects randomized). A term without a SOC in "
            "safety/soc-map.toml is listed under its own name, not a guessed SOC.",
            (*worst, by_soc(counts, shown), serious_listing(dataset, labels, closed=closed)),
        ),
        rules_section(dataset, safety, shown, closed=closed),
        Section(
            "labs",
            "Laboratory shift tables",
            "Per test, each subject's baseline grade (the last value on or before day 0) "
            "against their worst grade after day 0. A value the data do not grade is "
            "'not graded' and a subject without a value 'no value': neither is counted "
            "as normal.",
            tuple(shift(table, shown) for table in counts.shifts),
        ),
        Section(
            "deteriorations",
            "Deteriorations and IVIg exposure",
            "Confirmed deterioration episodes, and IVIg given from day 0 "
            f"({grouping}; grams, whole).",
            (
                _plain("Confirmed deteriorations", "Episodes", counts.deteriorations, shown),
                _plain("IVIg exposure from day 0", "IVIg", counts.exposure, shown),
            ),
        ),
    )


def render_dsmb(
    dataset: Dataset,
    labels: Mapping[str, str],
    *,
    closed: bool,
    safety: Safety,
    pdf_note: str,
    digest: str,
    pdf_href: str | None = None,
) -> str:
    """The closed or open report page as one string of HTML (``safety``: the protocol's
    ``[safety]`` section); ``pdf_href``, where given, links its PDF after ``pdf_note``."""
    kind = "closed" if closed else "open"
    groups = subject_groups(dataset.subjects, closed=closed)
    scope = (
        "Closed report: every table by arm. For the DSMB in closed session only."
        if closed
        else f"Open report: every table pooled over the arms ({len(groups)} subjects)."
    )
    meta = dataset.meta
    return (
        report_environment()
        .get_template(TEMPLATE)
        .render(
            title=f"DSMB {kind} report",
            kind=kind,
            protocol=meta.protocol,
            source=meta.source,
            created=meta.created_utc,
            scope=scope,
            sections=sections(dataset, labels, closed=closed, safety=safety),
            pdf_note=pdf_note,
            pdf_href=pdf_href,
            software_version=__version__,
            digest=digest,
        )
    )


#: The note of a PDF served rather than written (the capture app's DSMB pages).
SERVED_PDF_NOTE = "This PDF is the report of the data as they stood when it was made."


def dsmb_pdf(
    dataset: Dataset, labels: Mapping[str, str], *, closed: bool, safety: Safety, digest: str
) -> tuple[bytes | None, str]:
    """The closed or open report as PDF bytes and the page they were made from, or None
    and the page saying why no PDF could be made here (WeasyPrint or Pango missing)."""
    page = partial(render_dsmb, dataset, labels, closed=closed, safety=safety, digest=digest)
    html = page(pdf_note=SERVED_PDF_NOTE)
    data, reason = render_pdf(html)
    if data is None:
        return None, page(pdf_note=f"PDF not made: {reason}")
    return data, html


@dataclass(frozen=True)
class DsmbPaths:
    """What :func:`write_dsmb` wrote: the HTML, and the PDF or why not."""

    html: Path
    pdf: Path | None
    pdf_note: str


def write_dsmb(
    dataset: Dataset,
    labels: Mapping[str, str],
    out_dir: Path,
    *,
    closed: bool,
    safety: Safety,
    pdf: bool = True,
) -> DsmbPaths:
    """Write the closed or open DSMB report (HTML, and PDF where WeasyPrint works) into
    ``out_dir``, replaced as a whole; a folder holding other than DSMB reports is refused.

    ``labels`` maps each arm to its label (the closed report's columns); ``safety`` is
    the protocol's ``[safety]`` section.
    """
    out_dir = check_output_folder(out_dir, "out_dir", owned=DSMB_FILES)
    html_name, pdf_name = file_names(closed=closed)
    digest = dataset_hash(dataset)
    reason = pdf_unavailable_reason() if pdf else "not requested"
    note = f"PDF not written: {reason}" if reason else f"Also as PDF: {pdf_name} (same content)."
    page = partial(render_dsmb, dataset, labels, closed=closed, safety=safety, digest=digest)
    html = page(pdf_note=note)
    written = False
    with replacing_folder(out_dir, owned=DSMB_FILES) as staging:
        if reason is None:
            outcome = write_pdf(html, staging / pdf_name)
            written = outcome.written
            if outcome.reason is not None:
                note = f"PDF not written: {outcome.reason}"
                html = page(pdf_note=note)
        (staging / html_name).write_text(html, encoding="utf-8")
    return DsmbPaths(out_dir / html_name, out_dir / pdf_name if written else None, note)


__all__ = [
    "DSMB_FILES",
    "NO_RULES",
    "POOLED_LABEL",
    "SERVED_PDF_NOTE",
    "DsmbPaths",
    "Section",
    "by_soc",
    "disposition",
    "dsmb_pdf",
    "file_names",
    "render_dsmb",
    "rules_section",
    "rules_table",
    "sections",
    "serious_listing",
    "shift",
    "write_dsmb",
]
