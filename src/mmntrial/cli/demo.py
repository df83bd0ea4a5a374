"""The ``mmntrial demo`` command: the most complete thing mmntrial can do today.

At this stage: load the reference protocol, replay the shipped example patient
histories through the protocol engine, and show each patient's timeline of decisions
with the reasons, then the primary endpoint per patient.
"""

from __future__ import annotations

from importlib.resources import as_file, files

from rich.console import Console
from rich.panel import Panel

from mmntrial.cli.engine import print_endpoints, print_timeline
from mmntrial.dataset.history_csv import read_histories
from mmntrial.engine.endpoints import endpoint_values
from mmntrial.engine.replay import replay
from mmntrial.protocol.loader import load_protocol

DEMO_PROTOCOL = "piepers-2007"
DEMO_HISTORIES = "piepers-2007-histories.csv"


def demo() -> None:
    """Replay the example patients of the reference trial and show every decision."""
    console = Console()
    protocol = load_protocol(DEMO_PROTOCOL)
    with as_file(files("mmntrial.examples") / DEMO_HISTORIES) as path:
        histories = read_histories(path)
    taper = protocol.taper
    console.print(
        Panel.fit(
            f"[bold]{protocol.title}[/]\n"
            f"protocol [cyan]{protocol.name}[/]: taper from day {taper.start_day}, "
            f"{taper.mode.value} ({', '.join(f'{p:g}%' for p in taper.dose_levels_percent())}), "
            f"{taper.cadence.value}; deterioration confirmed within "
            f"{protocol.deterioration.confirmation_days} days\n"
            f"{len(histories)} example patients from examples/{DEMO_HISTORIES}",
            title="mmntrial demo",
        )
    )
    result = replay(protocol, histories)
    print_timeline(console, protocol, result, changes_only=True)
    print_endpoints(console, protocol, endpoint_values(protocol, result))
    console.print(
        "\nTry: [bold]mmntrial protocol show piepers-2007[/], "
        "[bold]mmntrial engine replay examples/piepers-2007-histories.csv --json[/]"
    )
