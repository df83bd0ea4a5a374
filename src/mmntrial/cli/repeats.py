"""Refuse an option that takes one value when it is given twice.

Click keeps the last value of a repeated option without a word, so ``allocate ...
--stratum centre=AMC --db old.db --db new.db`` would write to ``new.db`` while the user
believed the first. Every command of the app refuses instead: the error names the option
and both values, and exits with code 2 like any other usage error. Options declared to
repeat (a ``list`` option such as ``--stratum`` or ``--set``) keep accumulating; a flag
given twice the same way (``--json --json``) is harmless and stays allowed, but its two
opposite forms (``--pdf --no-pdf``) are refused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer import _click  # Typer's own copy of click, whose commands the app builds
from typer._click.exceptions import BadOptionUsage
from typer._click.parser import _Option, _OptionParser, _ParsingState
from typer.core import TyperGroup

_Process = Callable[[Any, _ParsingState], None]


def _shown_name(option: _Option) -> str:
    """``--db``, or ``--pdf/--no-pdf`` for a flag with two forms."""
    declared = option.obj
    forms = [*declared.opts[:1], *declared.secondary_opts[:1]]
    return "/".join(forms) if forms else (option._long_opts or option._short_opts)[0]


def _once(option: _Option, ctx: _click.Context) -> _Process:
    """``option``'s parser step, refusing a second value."""
    store = option.process

    def process(value: Any, state: _ParsingState) -> None:
        if option.dest in state.opts:
            name = _shown_name(option)
            if option.action == "store_const":  # a flag: harmless twice, not both ways
                if state.opts[option.dest] == option.const:
                    return
                message = f"{name}: got both forms, expected one of them"
            else:
                message = (
                    f"{name}: got {state.opts[option.dest]!r} and then {value!r}, expected "
                    "the option once (it takes one value; the last would otherwise win silently)"
                )
            raise BadOptionUsage(name, message, ctx)
        store(value, state)

    return process


def _guarded(make_parser: Callable[[_click.Context], _OptionParser]) -> Any:
    def make(ctx: _click.Context) -> _OptionParser:
        parser = make_parser(ctx)
        options = {id(o): o for o in (*parser._long_opt.values(), *parser._short_opt.values())}
        for option in options.values():
            # "append" (list options) and "count" may repeat by design.
            if option.action in ("store", "store_const"):
                option.process = _once(option, ctx)  # type: ignore[method-assign,assignment]
        return parser

    return make


def refuse_repeated_options(command: _click.Command) -> _click.Command:
    """Make ``command`` and every command below it refuse a repeated single-valued option.

    Returns ``command``. The parser is wrapped per instance because Typer builds the
    commands and groups of each module itself, with its own classes.
    """
    command.make_parser = _guarded(command.make_parser)  # type: ignore[method-assign]
    if isinstance(command, TyperGroup):
        for sub in command.commands.values():
            refuse_repeated_options(sub)
    return command


__all__ = ["refuse_repeated_options"]
