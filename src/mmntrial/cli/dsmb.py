"""``mmntrial dsmb``: the DSMB's open report (pooled over arms) or, with ``--closed``, its
closed report (by arm), from a trial dataset.

The dataset is read under its protocol as ``mmntrial analyze`` reads it (the protocol
``dataset.json`` names, or ``--protocol``, checked against the recorded hash); the
protocol gives the arms' labels of the closed report and the safety rules both reports
count. ``--out`` is replaced as a whole and may hold only earlier DSMB reports; it is
checked before the dataset is read.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

from mmntrial.cli.analyze import DATASET_PROTOCOL


def dsmb(
    dataset: Path = typer.Argument(
        ..., help="Dataset directory (one Parquet or CSV file per table, and dataset.json)."
    ),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Directory for dsmb-open.html/.pdf (dsmb-closed with --closed)."
    ),
    closed: bool = typer.Option(
        False, "--closed", help="The closed report, by arm (for the DSMB in closed session)."
    ),
    protocol: str | None = DATASET_PROTOCOL,
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the PDF (WeasyPrint)."),
) -> None:
    """The DSMB's open report (pooled) or closed report (by arm) from a trial dataset."""
    # Imported here so that `mmntrial --help` does not load pandas and the report.
    from mmntrial.atomic import check_output_folder
    from mmntrial.cli.analyze import choose_protocol
    from mmntrial.dataset.io import read_dataset
    from mmntrial.report.dsmb import DSMB_FILES, write_dsmb

    check_output_folder(out, "--out", owned=DSMB_FILES)
    design = choose_protocol(dataset, protocol)
    data = read_dataset(dataset, design)
    console = Console(highlight=False, soft_wrap=True)
    with console.status("Writing the DSMB report..."):
        paths = write_dsmb(
            data,
            {a.name: a.label for a in design.arms},
            out,
            closed=closed,
            safety=design.safety,
            pdf=pdf,
        )
    console.print(f"{'closed' if closed else 'open'} DSMB report: {paths.html}", markup=False)
    console.print(f"pdf: {paths.pdf}" if paths.pdf else paths.pdf_note, markup=False)


__all__ = ["dsmb"]
