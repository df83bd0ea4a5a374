"""``mmntrial audit``: verify the capture app's audit trail, export it as CSV."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmntrial.atomic import check_output_file
from mmntrial.capture.audit import check
from mmntrial.capture.export import export_audit
from mmntrial.cli.studydb import DbOpt, open_existing
from mmntrial.storage.chain import Head

app = typer.Typer(no_args_is_help=True, help="The audit trail: verify it, export it.")


@app.command()
def verify(
    db: DbOpt,
    head: Annotated[
        str | None,
        typer.Option("--head", help="A head taken earlier (COUNT:HASH) the trail must start with."),
    ] = None,
) -> None:
    """Check every entry and every record against the trail; name the first one wrong."""
    given = Head.parse(head, "--head") if head is not None else None
    with open_existing(db) as database, database.read() as conn:
        verified = check(conn, given)
    typer.echo(f"audit trail verified: {verified.count} entries")
    typer.echo(f"head (keep it elsewhere): {verified}")


@app.command()
def export(
    db: DbOpt,
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
) -> None:
    """Write every entry (one row per field changed) to a CSV file, streamed."""
    target = check_output_file(out, "--out", suffix=".csv")
    with open_existing(db) as database, database.read() as conn:
        head = export_audit(conn, target)
    typer.echo(f"audit trail: {head.count} entries written to {target}")
    typer.echo(f"head: {head}")
