"""Command groups whose commands are imported only when one of them is run.

Each command module pulls in what its command needs (the engine and numba, the
simulator, pandas and the statistics, the ledger's database), which takes seconds; a
user asking for ``--help`` or checking a protocol should not wait for all of them. A
:class:`LazyGroup` lists its commands from :class:`LazyCommand` entries that hold a
name, the one-line help and where the command lives (``"module:attribute"``); help is
printed from those entries alone, and a command's module is imported when that command
is resolved to be run (or its own help shown).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
import typer.main
from typer import _click  # Typer ships its own copy of click; its groups hold these types.
from typer.core import TyperCommand, TyperGroup

from mmntrial.cli.repeats import refuse_repeated_options


@dataclass(frozen=True)
class LazySpec:
    """Where a command lives: its name on the command line, one-line help, ``module:attr``.

    ``attr`` names a :class:`typer.Typer` (a command group) or a function (one command).
    """

    name: str
    help: str
    target: str

    def load(self) -> _click.Command:
        """Import the target's module and build its click command.

        The command (and each below it) refuses a single-valued option given twice
        (:mod:`mmntrial.cli.repeats`).
        """
        module_name, _, attribute = self.target.partition(":")
        obj: Any = getattr(importlib.import_module(module_name), attribute)
        if isinstance(obj, typer.Typer):
            # get_group, not get_command: a group added under another gets no
            # shell-completion options of its own (the root has none either).
            return refuse_repeated_options(typer.main.get_group(obj))
        single = typer.Typer(add_completion=False)
        single.command(self.name)(obj)
        return refuse_repeated_options(typer.main.get_command(single))


class LazyCommand(TyperCommand):
    """A stand-in listed in its group's help; :meth:`load` gives the real command."""

    def __init__(self, spec: LazySpec) -> None:
        super().__init__(spec.name, help=spec.help)
        self.spec = spec
        self._loaded: _click.Command | None = None

    def load(self) -> _click.Command:
        """The real command, imported on first call."""
        if self._loaded is None:
            self._loaded = self.spec.load()
        return self._loaded


class LazyGroup(TyperGroup):
    """A Typer group whose commands, listed in ``specs``, are imported when resolved.

    Subclass it with ``specs`` set and pass the subclass as ``cls=`` to
    :class:`typer.Typer`, so that the root keeps its callback and options.
    """

    specs: tuple[LazySpec, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for spec in self.specs:
            self.add_command(LazyCommand(spec))

    def resolve_command(
        self, ctx: _click.Context, args: list[str]
    ) -> tuple[str | None, _click.Command | None, list[str]]:
        """Find the command named by ``args[0]`` (with typo suggestions) and import it."""
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, LazyCommand):
            command = command.load()
        return name, command, rest
