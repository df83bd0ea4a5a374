"""The ``mmntrial`` Typer app and the one place where errors become exit codes.

Every user error derives from :class:`mmntrial.errors.MmntrialError`; :func:`main`
prints its message on one line group (no traceback) and exits with code 2. Anything
else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.text import Text

from mmntrial import __version__
from mmntrial.errors import MmntrialError

EXIT_USER_ERROR = 2

app = typer.Typer(
    name="mmntrial",
    help="Design, simulate, run and analyse IVIg-sparing add-on trials in MMN.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"mmntrial {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version_callback, is_eager=True, help="Print the version."
    ),
) -> None:
    """Design, simulate, run and analyse IVIg-sparing add-on trials in MMN."""


def _register() -> None:
    # Imported here, not at module top, so that `import mmntrial.cli.app` stays cheap
    # and each command group stays in its own module.
    from mmntrial.cli import analyze, demo, engine, protocol, randomize, simulate

    app.add_typer(protocol.app, name="protocol")
    app.add_typer(engine.app, name="engine")
    app.add_typer(randomize.app, name="randomize")
    app.command("simulate")(simulate.simulate)
    app.command("sweep")(simulate.sweep)
    app.command("analyze")(analyze.analyze)
    app.command("demo")(demo.demo)


_register()


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
        message = Text("error: ", style="bold red") + Text(str(error))
        Console(stderr=True, highlight=False, soft_wrap=True).print(message)
        sys.exit(EXIT_USER_ERROR)
