"""``mmntrial study init``: a new study database with its protocol, sites and first admin."""

from __future__ import annotations

from typing import Annotated

import typer

from mmntrial.capture.study import init_study, site_codes
from mmntrial.cli.studydb import DbOpt, read_password
from mmntrial.errors import CaptureError
from mmntrial.identifiers import checked_identifier
from mmntrial.storage import Database

app = typer.Typer(no_args_is_help=True, help="Start a study for the capture app.")


@app.command()
def init(
    protocol: Annotated[
        str, typer.Option("--protocol", help="Built-in protocol name or TOML path.")
    ],
    db: DbOpt,
    site: Annotated[str, typer.Option("--site", help="Site codes, comma-separated: AMC,UMCU.")],
    admin: Annotated[str, typer.Option("--admin", help="User name of the first administrator.")],
) -> None:
    """Store the protocol, the sites and the first admin (password: MMNTRIAL_PASSWORD or asked)."""
    codes = site_codes(site)
    name = checked_identifier("--admin", admin, CaptureError)
    password = read_password(name)
    with Database.open(db) as database, database.write() as conn:
        made = init_study(conn, protocol, codes, name, password)
    typer.echo(f"study: protocol {made.protocol_name} (content hash {made.protocol_hash[:16]}...)")
    typer.echo(f"sites: {', '.join(codes)}; admin: {name}")
    typer.echo(f"next: mmntrial serve --db {db}")
