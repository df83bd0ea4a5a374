"""The `mmntrial engine` command group."""

import typer

app = typer.Typer(no_args_is_help=True, help="engine commands.")
