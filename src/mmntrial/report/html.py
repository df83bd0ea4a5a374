"""The HTML report: one self-contained page rendered from a Jinja2 template.

Self-contained means a reader can mail the file or open it offline: the CSS is inline,
every figure is an inline SVG, and nothing is loaded from a URL (no fonts, scripts or
images). Every section has an id (:data:`SECTION_IDS`), which the browser test and
links use. Text from the data is escaped by the template (autoescape); only the SVG
and HTML made by this package are marked safe.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import jinja2
import pandas as pd
from markupsafe import Markup

from mmntrial.analysis.result import PERCENT, format_p
from mmntrial.report.safety_tables import SafetyTable
from mmntrial.report.shown import Shown, in_words
from mmntrial.report.summary import ProtocolSummary

SECTION_IDS = ("protocol", "consort", "baseline", "results", "figures", "safety", "reproducibility")
TEMPLATE = "report.html.j2"


@dataclass(frozen=True)
class FigureBlock:
    """One figure of the figures section: element id, title, caption and its SVG."""

    id: str
    title: str
    caption: str
    svg: str


@dataclass(frozen=True)
class ResultGroup:
    """A heading of the results table and the test results under it.

    ``adjusted`` holds, per result, the multiplicity-adjusted p-value and the conclusion
    the plan drew (the primary test's own p and verdict; the secondary family's adjusted
    p and claim); a group without them (supportive, descriptive) leaves those cells empty.
    """

    heading: str
    results: Sequence[Shown]
    adjusted: Sequence[tuple[float, str]] = ()


@dataclass(frozen=True)
class SensitivityLine:
    """One row of the sensitivity table of the primary endpoint, formatted."""

    case: str
    handling: str
    counts: str  # "arm reached/n, arm reached/n"
    estimate: str
    interval: str
    p: str


@dataclass(frozen=True)
class PrimaryArmRow:
    """The primary endpoint in one arm: how many of how many reached it."""

    label: str
    reached: int
    n: int

    @property
    def percent(self) -> str:
        """The share that reached it, as a percentage with one decimal."""
        return PERCENT.format(100.0 * self.reached / self.n, suffix=False) if self.n else "–"


@dataclass(frozen=True)
class ReportContext:
    """Everything the page shows, already computed and formatted where it is text."""

    title: str
    source: str
    software_version: str
    protocol: ProtocolSummary
    consort_svg: str
    baseline: pd.DataFrame
    baseline_columns: Sequence[str]
    result_groups: Sequence[ResultGroup]
    figures: Sequence[FigureBlock]
    safety: Sequence[SafetyTable]
    safety_population: Mapping[str, int]
    reproducibility: Sequence[tuple[str, str]]
    reproduce_command: str
    pdf_note: str
    primary_by_arm: Sequence[PrimaryArmRow] = ()
    primary_definition: str = ""
    direction: str = ""
    plan_notes: Sequence[str] = field(default=())
    plan_statement: str = ""
    estimand: str = ""
    sensitivity: Sequence[SensitivityLine] = ()


def _result_row(shown: Shown, adjusted: tuple[float, str] | None) -> dict[str, str]:
    result = shown.result
    return {
        "name": result.name,
        "label": shown.label,
        # The number first, what it estimates under it: a narrow column stays readable.
        "estimate": shown.unit.format(result.estimate),
        "estimate_label": result.estimate_label,
        "interval": shown.interval(),
        "interval_method": result.interval_method,
        "p": format_p(result.p_value),
        "test": result.test,
        "n": ", ".join(f"{arm} {n}" for arm, n in result.n_per_arm.items()),
        "adjusted_p": "" if adjusted is None else format_p(adjusted[0]),
        "conclusion": "" if adjusted is None else adjusted[1],
    }


def report_environment() -> jinja2.Environment:
    """The Jinja2 environment of every report template (the trial and the design report)."""
    return jinja2.Environment(
        loader=jinja2.PackageLoader("mmntrial.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default_for_string=True),
        undefined=jinja2.StrictUndefined,  # a misspelt name fails the render, not the reader
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(context: ReportContext) -> str:
    """The report page for ``context``, as one string of HTML."""
    groups = [
        {
            "heading": group.heading,
            "rows": [
                _result_row(r, group.adjusted[i] if group.adjusted else None)
                for i, r in enumerate(group.results)
            ],
        }
        for group in context.result_groups
        if group.results
    ]
    notes = [
        f"{shown.label}: {in_words(note)}"
        for group in context.result_groups
        for shown in group.results
        for note in shown.result.notes
    ]
    rows = [
        {
            "characteristic": record["characteristic"],
            "level": int(record["level"]),
            "cells": {c: str(record.get(c, "")) for c in context.baseline_columns},
        }
        for record in context.baseline.to_dict("records")
    ]
    figures = [
        {"id": f.id, "title": f.title, "caption": f.caption, "svg": Markup(f.svg)}
        for f in context.figures
    ]
    return (
        report_environment()
        .get_template(TEMPLATE)
        .render(
            title=context.title,
            source=context.source,
            software_version=context.software_version,
            protocol=context.protocol,
            consort_svg=Markup(context.consort_svg),
            baseline_columns=list(context.baseline_columns),
            baseline_rows=rows,
            result_groups=groups,
            result_notes=notes,
            primary_by_arm=list(context.primary_by_arm),
            primary_definition=context.primary_definition,
            figures=figures,
            safety_tables=list(context.safety),
            safety_population=", ".join(f"{a} {n}" for a, n in context.safety_population.items()),
            direction=context.direction,
            plan_notes=[in_words(note) for note in context.plan_notes],
            plan_statement=context.plan_statement,
            estimand=context.estimand,
            sensitivity=list(context.sensitivity),
            reproducibility=list(context.reproducibility),
            reproduce_command=context.reproduce_command,
            pdf_note=context.pdf_note,
        )
    )


__all__ = [
    "SECTION_IDS",
    "FigureBlock",
    "PrimaryArmRow",
    "ReportContext",
    "ResultGroup",
    "SensitivityLine",
    "render_html",
    "report_environment",
]
