"""``mmntrial frontier``: patients needed against harm done, across tapers."""

from __future__ import annotations

import dataclasses
import json
import shlex
from collections.abc import Sequence
from typing import Any

import typer
from rich import box
from rich.console import Console
from rich.table import Table

import mmntrial
from mmntrial.cli.size import OPTION_NAMES, answer_json
from mmntrial.cli.sweep_table import axis_header
from mmntrial.errors import SimulationError
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.frontier import SizedDesign, size_designs
from mmntrial.simulate.population import Population, load_population
from mmntrial.simulate.size import SizeQuestion
from mmntrial.simulate.sweep.grid import DesignPoint, design_points
from mmntrial.simulate.sweep.syntax import option_axes, parse_values


def frontier(
    effect: float = typer.Option(..., "--effect", help="Drug effect on the IVIg need, in (0, 1)."),
    protocol: str = typer.Option(
        "piepers-2007", "--protocol", "-p", help="Protocol names or files, comma-separated."
    ),
    population: str = typer.Option("mmn-default", "--population", help="Population name or file."),
    taper_step: str | None = typer.Option(None, "--taper-step", help="Percent steps: 25,50"),
    cadence_weeks: str | None = typer.Option(None, "--cadence-weeks", help="0 = every infusion"),
    threshold: list[str] = typer.Option([], "--threshold", help="MEASURE=v1,v2 (repeatable)"),
    set_: list[str] = typer.Option([], "--set", help="PROTOCOL.KEY=v1,v2 (repeatable)"),
    power: float = typer.Option(0.8, "--power", help="Target power, in (0, 1)."),
    alpha: float | None = typer.Option(
        None, "--alpha", help="Significance level (default: each protocol's endpoints.alpha)."
    ),
    seed: int = typer.Option(1, "--seed", help="Seed, common to every design."),
    max_n: int = typer.Option(200, "--max-n", help="Largest n per arm to consider."),
    max_trials: int = typer.Option(
        20_000, "--max-trials", help="Most trials to simulate per design."
    ),
    precision: float = typer.Option(
        0.02, "--precision", help="Half-width of the 95% interval of the power at each answer."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
) -> None:
    """Size each taper for a target power; which designs need fewer patients and harm less.

    The frontier holds the designs that no other beats on both patients needed and weeks
    of weakness per patient.
    """
    question = SizeQuestion(
        effect=effect,
        power=power,
        alpha=alpha,
        seed=seed,
        max_n=max_n,
        max_trials=max_trials,
        precision=precision,
    )
    question.check(labels=OPTION_NAMES)
    axes = option_axes(
        [
            ("taper.step_percent", "--taper-step", taper_step),
            ("cadence_weeks", "--cadence-weeks", cadence_weeks),
        ],
        threshold,
        set_,
    )
    points = _design_points([str(p) for p in parse_values(protocol, "--protocol")], axes)
    people = load_population(population)
    sized = size_designs(points, people, question)
    # The command that asks the same question: the options as typed, with every default
    # that the answer depends on spelled out.
    given: list[tuple[str, str | None]] = [("--protocol", protocol), ("--population", population)]
    given += [("--taper-step", taper_step), ("--cadence-weeks", cadence_weeks)]
    given += [("--threshold", item) for item in threshold] + [("--set", item) for item in set_]
    command = _command(question, given)
    if as_json:
        document = {
            "question": dataclasses.asdict(question),
            "population": population,
            "designs": [_design_json(design, people, population) for design in sized],
            "version": mmntrial.__version__,
            "command": command,
        }
        typer.echo(json.dumps(document, indent=1))
        return
    print_frontier(Console(highlight=False, soft_wrap=True), sized, question, command)


def _design_points(protocols: Sequence[str], axes: dict[str, list[Any]]) -> list[DesignPoint]:
    """Every protocol crossed with the axes; with several protocols, each design's settings
    start with its protocol's name, so that its label says which it is."""
    repeated = [name for k, name in enumerate(protocols) if name in protocols[:k]]
    if repeated:
        raise SimulationError(
            f"--protocol: got {repeated[0]!r} more than once, expected each protocol once"
        )
    points: list[DesignPoint] = []
    for name in protocols:
        for point in design_points(load_protocol(name), axes):
            settings = dict(point.settings)
            if len(protocols) > 1 or not settings:
                settings = {"protocol": point.protocol.name, **settings}
            points.append(dataclasses.replace(point, index=len(points), settings=settings))
    return points


def _design_json(design: SizedDesign, people: Population, population: str) -> dict[str, Any]:
    record = answer_json(design.answer, design.point.protocol, people, population)
    # A variant's own command would name the base protocol and miss the axis: the
    # comparison's command (at the top) is the one that reproduces it.
    del record["command"]
    return {
        "design": design.point.label,
        "settings": dict(design.point.settings),
        "on_frontier": design.on_frontier,
        "weeks_deteriorated_per_patient": design.weeks_deteriorated_per_patient,
        **record,
    }


def _command(question: SizeQuestion, given: Sequence[tuple[str, str | None]]) -> str:
    parts = ["mmntrial frontier", f"--effect {question.effect:g}"]
    parts += [f"{option} {shlex.quote(value)}" for option, value in given if value is not None]
    parts += [
        f"--power {question.power:g}",
        f"--seed {question.seed}",
        f"--max-n {question.max_n}",
        f"--max-trials {question.max_trials}",
        f"--precision {question.precision:g}",
    ]
    if question.alpha is not None:
        parts.append(f"--alpha {question.alpha:g}")
    return " ".join(parts)


def print_frontier(
    console: Console, sized: Sequence[SizedDesign], question: SizeQuestion, command: str
) -> None:
    """One row per design within 80 columns (as ``sweep``): its settings, patients
    needed, power there, harm over all patients and per arm, and the frontier mark."""
    console.print(
        f"Effect {question.effect:g}, target power {question.power:.0%}; every design meets "
        "the same virtual patients (one seed).",
        markup=False,
    )
    control = sized[0].answer.control_arm
    names = list(sized[0].point.settings)
    table = Table(
        title="Patients needed and harm done, per design",
        box=box.SIMPLE_HEAD,
        padding=(0, 1),
        collapse_padding=True,  # one space between columns: room for two axes in 80
        pad_edge=False,
    )
    headers = (
        "n/arm",
        "power\nat n",
        "95%\ninterval",
        "weeks\nweak\nall",
        f"weeks\nweak\ndrug/\n{control}",
        "taper\nfail-\nures",
        "on the\nfrontier",
    )
    # Settings may wrap (a protocol's file name is long); numbers never do.
    for name in names:
        header = axis_header(name)
        widest = max(len(word) for word in header.split())
        table.add_column(header, overflow="fold", min_width=min(widest, 12))
    for header in headers:
        table.add_column(header, justify="right", no_wrap=True)
    for design in sized:
        answer = design.answer
        at = answer.power_at_n
        if at is None:
            needed, power, interval = f">{question.max_n}", "-", "-"
        else:
            needed, power = str(at.n_per_arm), f"{at.power:.1%}"
            interval = f"{100 * at.ci95[0]:.1f}-{100 * at.ci95[1]:.1f}"
        by_arm = {arm.arm: arm for arm in answer.harm}
        drug = by_arm[answer.drug_arm].weeks_deteriorated_per_patient
        placebo = by_arm[answer.control_arm].weeks_deteriorated_per_patient
        patients = sum(a.patients for a in answer.harm)
        failures = sum(a.deteriorations_per_patient * a.patients for a in answer.harm) / patients
        table.add_row(
            *(str(design.point.settings[name]) for name in names),
            needed,
            power,
            interval,
            f"{design.weeks_deteriorated_per_patient:.1f}",
            f"{drug:.1f}/{placebo:.1f}",
            f"{failures:.2f}",
            "yes" if design.on_frontier else "",
        )
    console.print(table)
    best = [d.point.label for d in sized if d.on_frontier]
    if best:
        console.print(
            "On the frontier (no other design needs fewer patients and harms less): "
            + "; ".join(best),
            markup=False,
        )
    else:
        console.print(
            f"No design reaches {question.power:.0%} power by {question.max_n} per arm.",
            markup=False,
        )
    console.print(f"reproduce: {command}", markup=False)


__all__ = ["frontier", "print_frontier"]
