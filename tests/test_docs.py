"""The README documents every command of the command line (a new command fails here)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from mmntrial.cli.app import app
from mmntrial.cli.lazy import LazyCommand

README = (Path(__file__).parents[1] / "README.md").read_text()


def command_paths() -> list[str]:
    """Every leaf command as typed: ``protocol list``, ``engine replay``, ``demo``..."""
    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(command: object, prefix: str) -> None:
        if isinstance(command, LazyCommand):
            command = command.load()
        children = getattr(command, "commands", None)
        if not children:
            paths.append(prefix.strip())
            return
        for name, child in children.items():
            walk(child, f"{prefix} {name}")

    walk(root, "")
    return paths


def test_every_command_is_in_the_readme() -> None:
    paths = command_paths()
    assert len(paths) >= 10
    missing = [p for p in paths if f"mmntrial {p}" not in README]
    assert missing == []


def test_readme_starts_with_the_two_commands_ci_runs() -> None:
    head = README.split("## ", 1)[0]
    assert "bash scripts/demo" in head
    assert "bash scripts/test" in head
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert "bash scripts/test" in ci
