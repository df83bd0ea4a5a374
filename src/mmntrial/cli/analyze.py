"""``mmntrial analyze``: run the analysis plan on a trial dataset and write the report.

The protocol is the one ``dataset.json`` names unless ``--protocol`` gives one (a
protocol file that is not built in must be given); a protocol whose name differs from
the dataset's, or whose content hash differs from the ``protocol_sha256`` that
``dataset.json`` records (the same name with a changed threshold), is refused with one
message before the tables are read, rather than as thousands of rows that do not fit it
or as results under another protocol's rules. A dataset without ``protocol_sha256`` is
checked by the name only. The command then reads the dataset (Parquet
or CSV), runs the protocol's analysis plan,
writes ``report.html`` (and ``report.pdf`` where WeasyPrint works) into ``--out``, which
is replaced as a whole (an existing folder may hold only an earlier report), and
prints the headline: the primary endpoint per arm, the risk difference with its
interval and p-value, and where the report is.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mmntrial.analysis.result import PERCENT, RISK_DIFFERENCE, format_p

if TYPE_CHECKING:
    from mmntrial.analysis.plan import PlanResults
    from mmntrial.dataset.schema import Dataset
    from mmntrial.protocol.model import Protocol
    from mmntrial.report.write import ReportPaths


#: ``--protocol`` of a command that reads a dataset (analyze, dsmb): see :func:`choose_protocol`.
DATASET_PROTOCOL: str | None = typer.Option(
    None,
    "--protocol",
    "-p",
    help="Built-in protocol name or a protocol file [default: the protocol dataset.json names].",
)


def analyze(
    dataset: Path = typer.Argument(
        ..., help="Dataset directory (one Parquet or CSV file per table, and dataset.json)."
    ),
    protocol: str | None = DATASET_PROTOCOL,
    out: Path = typer.Option(
        Path("report"), "--out", "-o", help="Directory for report.html, report.pdf, figures/."
    ),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the PDF (WeasyPrint)."),
) -> None:
    """Analyse a trial dataset and write the trial report (HTML, and PDF where possible)."""
    # Imported here so that `mmntrial --help` does not load pandas, matplotlib and the plan.
    from mmntrial.atomic import check_output_folder
    from mmntrial.dataset.io import read_dataset
    from mmntrial.report.write import REPORT_FILES

    # Checked first: a wrong --out is refused before the dataset is read and analysed.
    check_output_folder(out, "--out", owned=REPORT_FILES)
    design = choose_protocol(dataset, protocol)
    report_and_print(
        Console(highlight=False, soft_wrap=True), read_dataset(dataset, design), design, out, pdf
    )


def _dataset_meta(folder: Path) -> dict[str, object]:
    """``dataset.json`` of ``folder`` as read, or {} when it is missing or broken (reading
    the dataset then reports why, with every other problem of the dataset)."""
    from mmntrial.dataset.io import META_FILE
    from mmntrial.dataset.table_files import MAX_FILE_BYTES
    from mmntrial.inputs import read_bounded

    try:
        content = read_bounded(folder / META_FILE, MAX_FILE_BYTES)
        data = json.loads(content.decode("utf-8")) if content is not None else None
    except (OSError, ValueError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def dataset_protocol_name(folder: Path) -> str | None:
    """The protocol name ``dataset.json`` of ``folder`` gives, or None if it gives none.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "dataset.json").write_text('{"protocol": "cidp-levels"}')
    ...     dataset_protocol_name(Path(tmp)), dataset_protocol_name(Path(tmp) / "none")
    ('cidp-levels', None)
    """
    name = _dataset_meta(folder).get("protocol")
    return name if isinstance(name, str) and name else None


def dataset_protocol_hash(folder: Path) -> str | None:
    """The protocol's content hash ``dataset.json`` of ``folder`` records
    (``protocol_sha256``), or None: a dataset written before it was recorded, or one
    whose exporter does not write it, is checked by the protocol's name only."""
    digest = _dataset_meta(folder).get("protocol_sha256")
    return digest if isinstance(digest, str) and digest else None


def check_protocol_hash(folder: Path, design: Protocol, given: str | None) -> None:
    """DatasetError unless ``design`` has the content hash ``dataset.json`` records.

    The hash is of the protocol as parsed (:func:`mmntrial.simulate.provenance.protocol_hash`):
    comments, blank lines and key order do not change it; any setting does, a changed
    threshold under the same name included, which the name check cannot see.
    """
    from mmntrial.errors import DatasetError
    from mmntrial.simulate.provenance import protocol_hash

    recorded = dataset_protocol_hash(folder)
    if recorded is None:
        return
    now = protocol_hash(design)
    if now == recorded:
        return
    where = folder / "dataset.json"
    if given is None:
        raise DatasetError(
            f"--protocol: got none, and the built-in protocol {design.name!r} has content "
            f"hash (sha256) {now}, but {where} records {recorded} for the protocol the data "
            f"were collected under; expected that protocol: give its file with --protocol "
            f"FILE (this version's built-in {design.name!r} differs from it)"
        )
    raise DatasetError(
        f"--protocol: got protocol {design.name!r} ({design.origin}) with content hash "
        f"(sha256) {now}, but {where} records {recorded} for the protocol the data were "
        f"collected under; expected that protocol: give the file the dataset was made with "
        f"(a changed setting changes the hash; comments and key order do not)"
    )


def choose_protocol(folder: Path, given: str | None) -> Protocol:
    """The protocol to analyse the dataset in ``folder`` under.

    ``given`` (``--protocol``) wins if its name is the dataset's; without it, the
    built-in protocol ``dataset.json`` names. A mismatch of the name, or of the content
    hash where ``dataset.json`` records one (:func:`check_protocol_hash`), or a dataset
    of a protocol that is not built in without ``--protocol``, is one DatasetError.
    """
    from mmntrial.errors import DatasetError
    from mmntrial.protocol.loader import builtin_names, load_protocol

    named = dataset_protocol_name(folder)
    if given is not None:
        design = load_protocol(given)
        if named is not None and design.name != named:
            raise DatasetError(
                f"--protocol: got protocol {design.name!r} ({design.origin}), but "
                f"{folder / 'dataset.json'} names protocol {named!r}; expected the "
                f"dataset's protocol: leave --protocol out to use it, or give the file "
                f"of {named!r}"
            )
        check_protocol_hash(folder, design, given)
        return design
    if named is None:
        # Nothing to go by: reading the dataset reports what is wrong with dataset.json.
        from mmntrial.dataset.io import read_dataset

        return load_protocol(read_dataset(folder).meta.protocol)
    if named not in builtin_names():
        raise DatasetError(
            f"--protocol: got none, and {folder / 'dataset.json'} names protocol {named!r}, "
            f"which is not built in ({', '.join(builtin_names())}); expected its file: "
            f"--protocol FILE"
        )
    design = load_protocol(named)
    check_protocol_hash(folder, design, None)
    return design


def report_and_print(
    console: Console, data: Dataset, design: Protocol, out: Path, pdf: bool
) -> Path:
    """Run the plan, write the report into ``out``, print the headline; return the HTML path."""
    results, paths = run_and_write(console, data, design, out, pdf)
    print_headline(console, design, results, paths)
    return paths.html


def run_and_write(
    console: Console, data: Dataset, design: Protocol, out: Path, pdf: bool
) -> tuple[PlanResults, ReportPaths]:
    """Run the plan and write the report into ``out`` (replaced whole); print nothing."""
    from mmntrial.analysis.plan import run_plan
    from mmntrial.report.write import write_report

    with console.status("Running the analysis plan and writing the report..."):
        results = run_plan(data, design)
        paths = write_report(data, design, results, out, pdf=pdf)
    return results, paths


def print_headline(
    console: Console, design: Protocol, results: PlanResults, paths: ReportPaths
) -> None:
    """The primary endpoint per arm, the primary test and its verdict at the protocol's
    alpha, the dataset hash and the files."""
    endpoints = results.endpoints
    table = Table(title=design.endpoints.primary.shown_label(), title_justify="left")
    table.add_column("arm")
    table.add_column("reached", justify="right")
    table.add_column("n", justify="right")
    table.add_column("%", justify="right")
    for arm in design.arms:
        in_arm = endpoints["arm"] == arm.name
        got = int(endpoints.loc[in_arm, "reached"].astype(bool).sum())
        n = int(in_arm.sum())
        percent = PERCENT.format(100 * got / n, suffix=False) if n else "-"
        table.add_row(arm.label, str(got), str(n), percent)
    console.print(table)
    primary = results.primary
    interval = (
        f"{primary.level_percent} CI {RISK_DIFFERENCE.interval(primary.ci_low, primary.ci_high)}"
    )
    if primary.interval_method:
        interval += f", {primary.interval_method}"
    # Text, not markup: labels quote arm names, which may hold [brackets].
    console.print(
        Text.assemble(
            f"{primary.estimate_label}: ",
            (RISK_DIFFERENCE.format(primary.estimate), "bold"),
            f" ({interval}); {primary.test} p = {format_p(primary.p_value)}",
            f" ({results.primary_conclusion} at alpha = {design.endpoints.alpha:g})",
        )
    )
    console.print(f"dataset hash (SHA-256 of the content): {paths.dataset_hash}", markup=False)
    console.print(f"report: {paths.html}", markup=False)
    if paths.results is not None:
        console.print(f"results: {paths.results}", markup=False)
    console.print(f"pdf: {paths.pdf}" if paths.pdf else paths.pdf_note, markup=False)


__all__ = [
    "DATASET_PROTOCOL",
    "analyze",
    "check_protocol_hash",
    "choose_protocol",
    "dataset_protocol_hash",
    "dataset_protocol_name",
    "print_headline",
    "report_and_print",
    "run_and_write",
]
