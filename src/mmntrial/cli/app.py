"""The ``mmntrial`` Typer app and the one place where errors become exit codes.

Every command is declared here by name and one-line help, and imported only when it is
run (:mod:`mmntrial.cli.lazy`): ``mmntrial --help`` and ``mmntrial protocol check`` load
neither the engine nor the statistics. A test checks each line against its command.

Every user error derives from :class:`mmntrial.errors.MmntrialError`; :func:`main`
prints its message on one line group (no traceback) and exits with code 2. Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
import unicodedata

import typer
from rich.console import Console
from rich.text import Text

import mmntrial
from mmntrial.cli.lazy import LazyGroup, LazySpec
from mmntrial.errors import MmntrialError

EXIT_USER_ERROR = 2

# In the order --help lists them: single commands first, then the groups.
COMMANDS = (
    LazySpec(
        "simulate",
        "Simulate many trials of one design: power (or type I error), savings and harm.",
        "mmntrial.cli.simulate:simulate",
    ),
    LazySpec(
        "sweep",
        "Simulate a grid of designs; write sweep.csv and power / harm-vs-savings plots.",
        "mmntrial.cli.simulate:sweep",
    ),
    LazySpec(
        "size",
        "Smallest n per arm for a target power, with its interval, the power curve and harm.",
        "mmntrial.cli.size:size",
    ),
    LazySpec(
        "frontier",
        "Size each taper for a target power; which designs need fewer patients and harm less.",
        "mmntrial.cli.frontier:frontier",
    ),
    LazySpec(
        "design-report",
        "Simulate a design and write its report for a protocol committee (HTML, and PDF).",
        "mmntrial.cli.design:design_report",
    ),
    LazySpec(
        "reproduce",
        "Re-run what a result file records and check that every number is the same.",
        "mmntrial.cli.reproduce:reproduce",
    ),
    LazySpec(
        "analyze",
        "Analyse a trial dataset and write the trial report (HTML, and PDF where possible).",
        "mmntrial.cli.analyze:analyze",
    ),
    LazySpec(
        "dsmb",
        "The DSMB's open report (pooled) or closed report (by arm) from a trial dataset.",
        "mmntrial.cli.dsmb:dsmb",
    ),
    LazySpec(
        "demo",
        "Engine decisions, a power analysis, and one simulated trial analysed into a report.",
        "mmntrial.cli.demo:demo",
    ),
    LazySpec("protocol", "List, show and check trial protocols.", "mmntrial.cli.protocol:app"),
    LazySpec("engine", "Run the protocol engine on patient histories.", "mmntrial.cli.engine:app"),
    LazySpec(
        "randomize",
        "Allocation lists (generate, verify, extend), assessment, the allocation ledger.",
        "mmntrial.cli.randomize:app",
    ),
    LazySpec(
        "study",
        "Start a study for the capture app; load its list; set vial sizes; export it.",
        "mmntrial.cli.study:app",
    ),
    LazySpec("db", "The database: upgrade its schema.", "mmntrial.cli.db:app"),
    LazySpec("users", "Accounts and roles of a study.", "mmntrial.cli.users:app"),
    LazySpec("audit", "The audit trail: verify it, export it.", "mmntrial.cli.audit:app"),
    LazySpec(
        "serve",
        "Serve the capture web app on this machine (behind a TLS reverse proxy).",
        "mmntrial.cli.serve:serve",
    ),
)


class _Commands(LazyGroup):
    specs = COMMANDS


app = typer.Typer(
    cls=_Commands,
    name="mmntrial",
    help="Design, simulate, run and analyse IVIg-sparing add-on trials in MMN.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mmntrial {mmntrial.__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Design, simulate, run and analyse IVIg-sparing add-on trials in MMN."""


def main(argv: list[str] | None = None) -> None:
    """Run the command line; user errors become one message on stderr and exit code 2.

    Usage errors (unknown option, missing argument) already exit with code 2 through
    Typer's standalone mode; everything a user can get wrong inside a command raises a
    MmntrialError, translated here and nowhere else.
    """
    try:
        app(args=argv)
    except MmntrialError as error:
        # Text, not markup: messages quote user values, which may hold [brackets].
        message = Text("error: ", style="bold red") + Text(printable(str(error)))
        Console(stderr=True, highlight=False, soft_wrap=True).print(message)
        sys.exit(EXIT_USER_ERROR)


def printable(message: str) -> str:
    """``message`` with every control or invisible format character escaped, newlines kept.

    Messages quote what the user gave (a path, a cell of a file), which may hold an ANSI
    escape that would rewrite the terminal; escaped, it is shown for what it is.

    >>> printable("history a\\x1b[2Jb.csv: no such file")
    'history a\\\\x1b[2Jb.csv: no such file'
    """
    return "".join(
        char
        if char == "\n" or unicodedata.category(char) not in ("Cc", "Cf")
        else char.encode("unicode_escape").decode("ascii")
        for char in message
    )
