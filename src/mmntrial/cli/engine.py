"""The ``mmntrial engine`` command group: replay patient histories through the engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

from mmntrial.dataset.history_csv import read_histories
from mmntrial.engine.endpoints import EndpointValues, endpoint_values
from mmntrial.engine.explain import explain
from mmntrial.engine.replay import DecisionRecord, Replay, replay
from mmntrial.engine.states import Action
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol

app = typer.Typer(no_args_is_help=True, help="Run the protocol engine on patient histories.")

_ACTION_STYLE = {
    Action.BASELINE: "dim",
    Action.REDUCE: "cyan",
    Action.HOLD: "",
    Action.RESTORE: "bold yellow",
    Action.RESCUE: "bold red",
    Action.NONE: "dim",
}


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def fired_names(record: DecisionRecord) -> list[str]:
    """Names of the criteria that fired at the latest judged assessment."""
    return [f"{c.measure}:{c.side}" if c.side else c.measure for c in record.criteria if c.fired]


def decision_json(protocol: Protocol, record: DecisionRecord) -> dict[str, Any]:
    """One decision as a JSON-ready object (the fields of ``engine replay --json``)."""
    return {
        "subject": record.subject,
        "day": record.day,
        "action": record.action.label,
        "state": record.state.label,
        "level": record.level,
        "dose_g": record.dose_g,
        "interval_days": record.interval_days,
        "intensity_g_per_kg_week": record.intensity_g_per_kg_week,
        "reduction_percent": record.reduction_percent,
        "baseline_intensity_g_per_kg_week": record.baseline_intensity_g_per_kg_week,
        "fired": fired_names(record),
        # The criteria whose measure was missing when a taper step was due (a hold).
        "unassessed": [c.measure for c in record.criteria if c.unassessed],
        "criteria": [
            {
                "measure": c.measure,
                "side": c.side,
                "reference_kind": c.reference_kind,
                "reference": c.reference,
                "value": c.value,
                "worsening": c.worsening,
                "threshold": c.threshold,
                "fired": c.fired,
                "rescue": c.rescue,
                "assessed_day": c.assessed_day,
            }
            for c in record.criteria
        ],
        "assessment_day": record.evaluation_day,
        "explanation": explain(protocol, record),
    }


def print_timeline(
    console: Console, protocol: Protocol, result: Replay, *, changes_only: bool = False
) -> None:
    """Per patient: a table of decisions, then the decisions explained in words.

    With ``changes_only``, only decisions whose action or state differs from the
    previous decision are explained (the turning points of the taper).
    """
    for subject, decisions in zip(result.subjects, result.decisions, strict=True):
        table = Table(title=f"{subject}", title_justify="left", expand=False)
        for column, justify in (
            ("day", "right"),
            ("action", "left"),
            ("dose g", "right"),
            ("every d", "right"),
            ("g/kg/wk", "right"),
            ("reduction", "right"),
            ("state", "left"),
            ("fired", "left"),
        ):
            table.add_column(column, justify=justify)  # type: ignore[arg-type]
        for record in decisions:
            table.add_row(
                str(record.day),
                record.action.label,
                _fmt(record.dose_g),
                _fmt(record.interval_days, 0),
                _fmt(record.intensity_g_per_kg_week, 3),
                "-" if record.reduction_percent is None else f"{record.reduction_percent:.0f}%",
                record.state.label,
                ", ".join(fired_names(record)),
                style=_ACTION_STYLE[record.action],
            )
        console.print(table)
        previous: DecisionRecord | None = None
        for record in decisions:
            turning = previous is None or (record.action, record.state) != (
                previous.action,
                previous.state,
            )
            if not changes_only or turning:
                console.print(f"  {explain(protocol, record)}", highlight=False)
            previous = record
        console.print()


def print_endpoints(console: Console, protocol: Protocol, values: list[EndpointValues]) -> None:
    """The end-of-follow-up values per patient."""
    primary = protocol.endpoints.primary
    table = Table(
        title=f"Primary endpoint: reduction >= {primary.reduction_percent:g}% on day {primary.day}",
        title_justify="left",
    )
    for column in ("subject", "reduction", "primary", "deteriorations", "withdrawn", "state"):
        table.add_column(column)
    for v in values:
        table.add_row(
            v.subject,
            "-" if v.reduction_percent is None else f"{v.reduction_percent:.0f}%",
            v.primary_status,
            str(v.deteriorations),
            "-" if v.withdrawn_day is None else f"day {v.withdrawn_day}",
            v.final_state.label,
        )
    console.print(table)
    for v in values:
        if v.pending:
            console.print(
                f"{v.subject}: the history ends on day {v.last_day}; the primary endpoint "
                f"(day {v.primary_day}) is not yet assessable.",
                highlight=False,
            )


@app.command("replay")
def replay_command(
    history: Path = typer.Argument(..., help="History CSV: one row per infusion or value."),
    protocol: str = typer.Option(
        "piepers-2007", "--protocol", "-p", help="A built-in protocol name or a protocol file."
    ),
    as_json: bool = typer.Option(
        False, "--json", help="Print one JSON object per decision, one per line."
    ),
) -> None:
    """Replay patient histories: the dose the protocol recommends at each infusion, and why."""
    design = load_protocol(protocol)
    result = replay(design, read_histories(history))
    if as_json:
        for record in result.all_decisions():
            typer.echo(json.dumps(decision_json(design, record)))
        return
    console = Console()
    print_timeline(console, design, result)
    print_endpoints(console, design, endpoint_values(design, result))
