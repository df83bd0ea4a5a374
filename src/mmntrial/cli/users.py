"""``mmntrial users``: add a user or a role, revoke a role, retire a user; all audited."""

from __future__ import annotations

from typing import Annotated

import typer

from mmntrial.capture import accounts
from mmntrial.cli.studydb import DbOpt, open_existing, operator, read_password

app = typer.Typer(no_args_is_help=True, help="Accounts and roles of a study.")

UserOpt = Annotated[str, typer.Option("--user", help="The user name.")]
RoleOpt = Annotated[
    str, typer.Option("--role", help="admin, investigator, study_nurse, data_manager, ...")
]
SiteOpt = Annotated[
    str | None,
    typer.Option("--site", help="The site code (investigators and study nurses only)."),
]
ReasonOpt = Annotated[str, typer.Option("--reason", help="Why (recorded in the audit trail).")]


@app.command()
def add(db: DbOpt, user: UserOpt, role: RoleOpt, site: SiteOpt = None) -> None:
    """Grant a role; a new user is created first (password: MMNTRIAL_PASSWORD or asked)."""
    who = operator()
    accounts.checked_role(role)
    with open_existing(db) as database:
        with database.read() as conn:
            exists = accounts.find_user(conn, user) is not None
        password = None if exists else read_password(user)
        with database.write() as conn:
            if password is not None:
                accounts.add_user(conn, user, password, who)
            accounts.grant(conn, user, role, site, who)
    where = f" at {site}" if site else " at all sites"
    typer.echo(f"{'' if exists else 'new user '}{user}: {role}{where}")


@app.command()
def revoke(
    db: DbOpt, user: UserOpt, role: RoleOpt, reason: ReasonOpt, site: SiteOpt = None
) -> None:
    """End a role of a user (kept, inactive, in the audit trail)."""
    with open_existing(db) as database, database.write() as conn:
        accounts.revoke(conn, user, role, site, operator(), reason)
    typer.echo(f"{user}: {role} revoked")


@app.command()
def retire(db: DbOpt, user: UserOpt, reason: ReasonOpt) -> None:
    """Retire a user: no more sign-in; the account and its records stay."""
    with open_existing(db) as database, database.write() as conn:
        accounts.retire(conn, user, operator(), reason)
    typer.echo(f"{user}: retired")
