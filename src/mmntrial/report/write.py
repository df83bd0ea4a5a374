"""Write the trial report: one self-contained HTML file, the PDF where WeasyPrint works.

:func:`write_report` takes the dataset, the protocol and the analysis plan's results and
formats them; it computes no test statistic (the plan did). The HTML is always
written; the PDF is made from the same HTML. When the PDF cannot be made, the HTML says
"PDF not written: <reason>" and the report is still complete. The report folder is
replaced as a whole, so the HTML, the PDF and the figures always belong together.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from mmntrial import __version__
from mmntrial.analysis.consort import ConsortCounts
from mmntrial.analysis.estimand import SensitivityRow
from mmntrial.analysis.plan import PlanResults
from mmntrial.analysis.result import RISK_DIFFERENCE, format_p
from mmntrial.atomic import check_output_folder, replacing_folder
from mmntrial.dataset.schema import Dataset
from mmntrial.errors import ReportError
from mmntrial.protocol.model import Protocol
from mmntrial.report.baseline import TOTAL, baseline_table
from mmntrial.report.consort import ArmFlow, Flow, consort_svg
from mmntrial.report.figures import dose_intensity_svg, km_svg, measures_svg
from mmntrial.report.html import (
    FigureBlock,
    PrimaryArmRow,
    ReportContext,
    ResultGroup,
    SensitivityLine,
    render_html,
)
from mmntrial.report.pdf import pdf_unavailable_reason, write_pdf
from mmntrial.report.reproduce import HASH_NAME, dataset_hash
from mmntrial.report.results_json import RESULTS_NAME, results_json, results_record
from mmntrial.report.safety_tables import safety_tables
from mmntrial.report.shown import screening_reason, shown_results
from mmntrial.report.summary import protocol_summary
from mmntrial.report.versions import software_versions
from mmntrial.simulate.provenance import protocol_hash

HTML_NAME = "report.html"
PDF_NAME = "report.pdf"
FIGURE_DIR = "figures"
# What a report folder holds: a folder holding only these may be replaced by a new report.
REPORT_FILES = frozenset({HTML_NAME, PDF_NAME, FIGURE_DIR, RESULTS_NAME})
# Libraries whose versions change the numbers or the figures: printed for reproduction.
_LIBRARIES = ("numpy", "scipy", "pandas", "statsmodels", "lifelines", "matplotlib")
# ConsortCounts.withdrawn keys are "<status>: <reason>"; lost subjects get their own line.
_LOST = "lost_to_follow_up: "
_WITHDRAWN = "withdrawn: "


@dataclass(frozen=True)
class ReportPaths:
    """What :func:`write_report` wrote: the HTML, the PDF (or why not), the SVG figures
    and ``results.json`` (every number of the result tables, for a machine)."""

    html: Path
    pdf: Path | None
    pdf_note: str
    dataset_hash: str
    figures: Mapping[str, Path] = field(default_factory=dict)
    results: Path | None = None

    def moved_to(self, folder: Path) -> ReportPaths:
        """The same paths once the report folder is ``folder`` (a report written staged).

        >>> km = {"km": Path("a/figures/km.svg")}
        >>> paths = ReportPaths(Path("a/report.html"), None, "", "", km)
        >>> paths.moved_to(Path("b")).figures["km"].as_posix()
        'b/figures/km.svg'
        """
        home = self.html.parent

        def move(path: Path) -> Path:
            return folder / path.relative_to(home)

        return replace(
            self,
            html=move(self.html),
            pdf=None if self.pdf is None else move(self.pdf),
            results=None if self.results is None else move(self.results),
            figures={name: move(path) for name, path in self.figures.items()},
        )


def _reasons(counts: Mapping[str, int], protocol: Protocol | None) -> dict[str, int]:
    """Reasons in the protocol's words (see :func:`~mmntrial.report.shown.screening_reason`)."""
    if protocol is None:
        return dict(counts)
    worded: dict[str, int] = {}
    for reason, n in counts.items():
        text = screening_reason(reason, protocol)
        worded[text] = worded.get(text, 0) + n
    return worded


def consort_flow(
    counts: ConsortCounts, labels: Mapping[str, str], protocol: Protocol | None = None
) -> Flow:
    """The diagram's input from the plan's counts: left early split into withdrawn and lost.

    With ``protocol``, a screening failure names the protocol's exclusion criterion in
    its words, not its id.
    """
    arms = []
    for arm in counts.arms:
        left = counts.withdrawn.get(arm, {})
        lost = {k.removeprefix(_LOST): n for k, n in left.items() if k.startswith(_LOST)}
        withdrawn = {
            k.removeprefix(_WITHDRAWN): n for k, n in left.items() if not k.startswith(_LOST)
        }
        # Every randomized subject is analysed but one still ongoing short of the primary
        # endpoint day (an interim look), who is not yet evaluable.
        missing = counts.allocated[arm] - counts.analysed[arm]
        arms.append(
            ArmFlow(
                arm=arm,
                label=labels.get(arm, arm),
                allocated=counts.allocated[arm],
                withdrawn=_reasons(withdrawn, protocol),
                lost=_reasons(lost, protocol),
                analysed=counts.analysed[arm],
                excluded_from_analysis={"ongoing, not yet evaluable": missing} if missing else {},
            )
        )
    return Flow(counts.assessed, _reasons(counts.excluded, protocol), counts.randomized, arms)


def _figures(dataset: Dataset, protocol: Protocol, plan: PlanResults) -> list[FigureBlock]:
    arms = [a.name for a in protocol.arms]
    labels = {a.name: a.label for a in protocol.arms}
    taper = protocol.taper.start_day
    return [
        FigureBlock(
            "fig-dose-intensity",
            "IVIg dose intensity over time",
            "Each patient's IVIg dose intensity (g/kg/week; thin lines) from the infusion "
            "records, one panel per arm; thick line: the arm's median among the patients "
            "still on study, dashed: the other arm's median. Solid vertical line: "
            f"randomization (day 0); dotted: start of the taper (day {taper}).",
            dose_intensity_svg(
                dataset.subjects, dataset.infusions, arms=arms, labels=labels, taper_start_day=taper
            ),
        ),
        FigureBlock(
            "fig-measures",
            "Strength over time by arm",
            "MRC sum score and grip strength (mean of both hands) at the scheduled visits: "
            "mean ± standard error per arm. Repeat and unscheduled visits are not shown.",
            measures_svg(dataset.subjects, dataset.assessments, arms=arms, labels=labels),
        ),
        FigureBlock(
            "fig-km",
            "Time to first confirmed deterioration",
            "Kaplan-Meier estimate per arm with its pointwise 95% interval (shaded); ticks "
            "mark censored subjects; the number at risk is given under the plot. The "
            "log-rank test and hazard ratio are in table 2.",
            km_svg(plan.km, labels=labels, x_max=float(protocol.schedule.last_day)),
        ),
    ]


def _primary_by_arm(plan: PlanResults, labels: Mapping[str, str]) -> list[PrimaryArmRow]:
    # Reached / n over the subjects the primary test judged: an ongoing subject short of
    # the primary day is not yet evaluable (the test's note says how many).
    table = plan.endpoints[plan.endpoints["evaluable"].to_numpy(dtype=bool)]
    return [
        PrimaryArmRow(
            label,
            int(table.loc[table["arm"] == arm, "reached"].astype(bool).sum()),
            int((table["arm"] == arm).sum()),
        )
        for arm, label in labels.items()
    ]


def build_context(
    dataset: Dataset, protocol: Protocol, plan: PlanResults, *, digest: str, pdf_note: str
) -> ReportContext:
    """Everything the page shows, from the dataset, the protocol and the plan's results."""
    labels = {a.name: a.label for a in protocol.arms}
    primary = protocol.endpoints.primary
    meta = dataset.meta
    reproducibility = (
        ("mmntrial version", __version__),
        ("Libraries", software_versions(_LIBRARIES)),
        ("Dataset hash", f"{digest} ({HASH_NAME})"),
        (
            "Dataset",
            f"schema {meta.schema_version}, {meta.source}, written by mmntrial "
            f"{meta.software_version} at {meta.created_utc}, seed {meta.seed}",
        ),
        ("Protocol", f"{protocol.name} version {protocol.version}"),
        ("Protocol hash", f"{protocol_hash(protocol)} (SHA-256 of the protocol as parsed)"),
        ("Results file", f"{RESULTS_NAME} beside this page: every number of tables 2 and 3"),
    )
    command = (
        f"mmntrial analyze DATASET --protocol {protocol.name} --out DIR\n"
        'python -c "from mmntrial.dataset.io import read_dataset; '
        "from mmntrial.report.reproduce import dataset_hash; "
        "print(dataset_hash(read_dataset('DATASET')))\""
    )
    return ReportContext(
        title=f"{protocol.title}: trial report",
        source=meta.source,
        software_version=__version__,
        protocol=protocol_summary(protocol),
        consort_svg=consort_svg(consort_flow(plan.consort, labels, protocol)),
        baseline=baseline_table(
            dataset.subjects, dataset.assessments, arms=list(labels), labels=labels
        ),
        baseline_columns=[*labels.values(), TOTAL],
        result_groups=_result_groups(plan, protocol),
        figures=_figures(dataset, protocol, plan),
        safety=safety_tables(plan.safety, dataset.adverse_events, dataset.subjects, labels),
        safety_population={labels.get(a, a): n for a, n in plan.consort.allocated.items()},
        reproducibility=reproducibility,
        reproduce_command=command,
        pdf_note=pdf_note,
        primary_by_arm=_primary_by_arm(plan, labels),
        primary_definition=(
            f"{primary.shown_label()} (IVIg dose intensity reduced by at least "
            f"{primary.reduction_percent:g}% from baseline at day {primary.day}); withdrawal "
            f"before then counts as {primary.withdrawal.value.replace('_', ' ')}"
        ),
        direction=plan.direction,
        plan_notes=[n for n in plan.notes if n != plan.direction],
        plan_statement=plan.plan_statement,
        estimand=plan.estimand,
        sensitivity=[_sensitivity_line(row) for row in plan.sensitivity],
    )


def _result_groups(plan: PlanResults, protocol: Protocol) -> tuple[ResultGroup, ...]:
    """Table 2's groups: the primary test, the supportive one, the secondary family and
    the descriptive mixed models, each result with its label and unit."""
    shown = shown_results(plan, protocol)
    return (
        ResultGroup(
            "Primary endpoint (the one primary test)",
            (shown.primary,),
            ((plan.primary.p_value, plan.primary_conclusion),),
        ),
        ResultGroup("Supportive analysis (not adjusted; supports no claim)", (shown.supportive,)),
        ResultGroup(
            f"Secondary endpoints (multiplicity: {plan.multiplicity})",
            shown.secondary,
            tuple((a.adjusted_p, a.conclusion) for a in plan.secondary_adjusted),
        ),
        ResultGroup("Mixed models of all monthly values (descriptive)", shown.mixed_models),
    )


def _sensitivity_line(row: SensitivityRow) -> SensitivityLine:
    result = row.result
    interval = (
        f"{result.level_percent} CI {RISK_DIFFERENCE.interval(result.ci_low, result.ci_high)}"
    )
    return SensitivityLine(
        case=row.case,
        handling=row.handling,
        counts=", ".join(f"{arm} {row.reached[arm]}/{n}" for arm, n in row.n.items()),
        estimate=f"{result.estimate_label}: {RISK_DIFFERENCE.format(result.estimate)}",
        interval=interval,
        p=format_p(result.p_value),
    )


def write_report(
    dataset: Dataset,
    protocol: Protocol,
    plan_results: PlanResults,
    out_dir: Path,
    *,
    pdf: bool = True,
) -> ReportPaths:
    """Write ``report.html`` (and ``report.pdf``, SVG figures) into ``out_dir``.

    ``pdf=False`` skips the PDF (the HTML then says so). The folder is replaced as a
    whole (:func:`mmntrial.atomic.replacing_folder`): a crash or an error leaves the old
    report or the new one, never a new HTML beside an old PDF. It may be new, empty or
    an earlier report; a folder holding anything else is refused, before any work.
    """
    out_dir = check_output_folder(out_dir, "out_dir", owned=REPORT_FILES)
    digest = dataset_hash(dataset)
    reason = pdf_unavailable_reason() if pdf else "not requested (pdf=False)"
    note = f"PDF not written: {reason}" if reason else f"Also as PDF: {PDF_NAME} (same content)."
    context = build_context(dataset, protocol, plan_results, digest=digest, pdf_note=note)
    html = render_html(context)
    svgs = [("consort", context.consort_svg)] + [
        (f.id.removeprefix("fig-"), f.svg) for f in context.figures
    ]
    pdf_written = False
    with replacing_folder(out_dir, owned=REPORT_FILES) as staging:
        (staging / FIGURE_DIR).mkdir()
        for name, svg in svgs:
            (staging / FIGURE_DIR / f"{name}.svg").write_text(svg + "\n", encoding="utf-8")
        if reason is None:
            outcome = write_pdf(html, staging / PDF_NAME)
            pdf_written = outcome.written
            if outcome.reason is not None:
                # The HTML would promise a PDF that could not be made: say why instead.
                note = f"PDF not written: {outcome.reason}"
                html = render_html(replace(context, pdf_note=note))
        (staging / HTML_NAME).write_text(html, encoding="utf-8")
        record = results_record(dataset, protocol, plan_results, digest=digest)
        (staging / RESULTS_NAME).write_text(results_json(record), encoding="utf-8")
    figures = {name: out_dir / FIGURE_DIR / f"{name}.svg" for name, _ in svgs}
    pdf_path = out_dir / PDF_NAME if pdf_written else None
    return ReportPaths(
        out_dir / HTML_NAME, pdf_path, note, digest, figures, results=out_dir / RESULTS_NAME
    )


__all__ = [
    "FIGURE_DIR",
    "HTML_NAME",
    "PDF_NAME",
    "REPORT_FILES",
    "RESULTS_NAME",
    "ReportError",
    "ReportPaths",
    "build_context",
    "consort_flow",
    "write_report",
]
