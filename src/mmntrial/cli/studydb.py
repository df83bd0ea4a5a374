"""What the capture commands share: the ``--db`` option, opening a study, the operator.

The audit trail records who made each change. A command line has no sign-in, so the
commands record the operating-system account that ran them (``command line (alice)``).
A password is read from the environment variable ``MMNTRIAL_PASSWORD`` or a hidden
prompt, never from an option: options end up in shell histories and process lists.
"""

from __future__ import annotations

import getpass
import os
from typing import Annotated

import typer

from mmntrial.capture.study import load_study
from mmntrial.errors import CaptureError
from mmntrial.storage import Database

PASSWORD_VARIABLE = "MMNTRIAL_PASSWORD"

DbOpt = Annotated[
    str,
    typer.Option(
        "--db", help="The study's database: a SQLite file, or a URL (postgresql+psycopg://...)."
    ),
]


def open_existing(db: str) -> Database:
    """The study's database at ``db``; refused (not created) when it does not exist, and
    when it holds no study (users, lists and an audit need the study they belong to)."""
    database = Database.open(
        db, create=False, expected="a study database (create one with `mmntrial study init`)"
    )
    try:
        with database.read() as conn:
            load_study(conn)
    except CaptureError:
        database.close()
        raise
    return database


def operator() -> str:
    """Who the audit trail names for a change made from the command line."""
    try:
        name = getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        name = f"uid {os.getuid()}"
    return f"command line ({name})"


def read_password(user: str) -> str:
    """The password for ``user``: ``MMNTRIAL_PASSWORD``, else asked twice without echo."""
    given = os.environ.get(PASSWORD_VARIABLE)
    if given is not None:
        return given
    if not os.isatty(0):
        raise CaptureError(
            f"password: got no {PASSWORD_VARIABLE} and no terminal to ask on, expected the "
            f"password for {user!r} in the environment variable {PASSWORD_VARIABLE}"
        )
    entered: str = typer.prompt(f"password for {user}", hide_input=True, confirmation_prompt=True)
    return entered
