"""``mmntrial db upgrade``: bring a database to this mmntrial's newest revision."""

from __future__ import annotations

import typer

from mmntrial.cli.studydb import DbOpt
from mmntrial.storage import HEAD, Database

app = typer.Typer(no_args_is_help=True, help="The database: upgrade its schema.")


@app.command()
def upgrade(db: DbOpt) -> None:
    """Migrate an existing database to the newest revision (opening it does the same)."""
    with Database.open(db, create=False, expected="an existing mmntrial database"):
        pass
    typer.echo(f"database at revision {HEAD}")
