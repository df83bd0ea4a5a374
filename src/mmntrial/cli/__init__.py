"""The ``mmntrial`` command line: one Typer app, a module per command group."""
