"""``mmntrial size``: the smallest n per arm for a target power, by simulation."""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.table import Table

import mmntrial
from mmntrial.protocol.loader import load_protocol
from mmntrial.protocol.model import Protocol
from mmntrial.simulate.population import Population, load_population
from mmntrial.simulate.provenance import size_record
from mmntrial.simulate.size import SizeAnswer, SizeQuestion, find_sample_size

# The fields of SizeQuestion as the user typed them, for error messages.
OPTION_NAMES = {
    "effect": "--effect",
    "power": "--power",
    "alpha": "--alpha",
    "seed": "--seed",
    "max_n": "--max-n",
    "max_trials": "--max-trials",
    "precision": "--precision",
    "max_weeks_deteriorated": "--max-weeks-deteriorated",
}

CURVE_ROWS_BELOW = 6  # sizes shown below the answer in the power table


def size(
    effect: float = typer.Option(..., "--effect", help="Drug effect on the IVIg need, in (0, 1)."),
    protocol: str = typer.Option("piepers-2007", "--protocol", "-p", help="Protocol name or file."),
    population: str = typer.Option("mmn-default", "--population", help="Population name or file."),
    power: float = typer.Option(0.8, "--power", help="Target power, in (0, 1)."),
    alpha: float | None = typer.Option(
        None, "--alpha", help="Significance level (default: the protocol's endpoints.alpha)."
    ),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same answer."),
    max_n: int = typer.Option(200, "--max-n", help="Largest n per arm to consider."),
    max_trials: int = typer.Option(20_000, "--max-trials", help="Most trials to simulate."),
    precision: float = typer.Option(
        0.02, "--precision", help="Half-width of the 95% interval of the power at the answer."
    ),
    max_weeks_deteriorated: float | None = typer.Option(
        None,
        "--max-weeks-deteriorated",
        help="Harm limit: weeks of meaningful weakness per patient, in any arm.",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
) -> None:
    """Smallest n per arm for a target power, with its interval, the power curve and harm."""
    question = SizeQuestion(
        effect=effect,
        power=power,
        alpha=alpha,
        seed=seed,
        max_n=max_n,
        max_trials=max_trials,
        precision=precision,
        max_weeks_deteriorated=max_weeks_deteriorated,
    )
    question.check(labels=OPTION_NAMES)
    design = load_protocol(protocol)
    people = load_population(population)
    answer = find_sample_size(design, people, question)
    if as_json:
        typer.echo(json.dumps(answer_json(answer, design, people, population), indent=1))
        return
    print_answer(Console(highlight=False, soft_wrap=True), answer, design.name, population)


def answer_json(
    answer: SizeAnswer, design: Protocol, people: Population, population: str
) -> dict[str, Any]:
    """The answer as plain data, with what it was asked, how to reproduce it and its
    provenance record (``population``: the name or path as given)."""
    q = answer.question
    asked = {
        "effect": q.effect,
        "power": q.power,
        "alpha": q.alpha,
        "seed": q.seed,
        "max_n": q.max_n,
        "max_trials": q.max_trials,
        "precision": q.precision,
        "max_weeks_deteriorated": q.max_weeks_deteriorated,
    }
    protocol = design.name
    return {
        "protocol": protocol,
        "population": population,
        "question": asked,
        "alpha": answer.alpha,
        "sidedness": "one_sided" if answer.one_sided else "two_sided",
        "n_per_arm": answer.n_per_arm,
        "power_at_n": None if answer.power_at_n is None else answer.power_at_n.power,
        "power_at_n_ci95": None if answer.power_at_n is None else list(answer.power_at_n.ci95),
        "n_trials": answer.n_trials,
        "n_simulated": answer.n_simulated,
        "curve": [
            {"n_per_arm": p.n_per_arm, "power": p.power, "ci95": list(p.ci95)} for p in answer.curve
        ],
        "harm": {
            h.arm: {
                "weeks_deteriorated_per_patient": h.weeks_deteriorated_per_patient,
                "deteriorations_per_patient": h.deteriorations_per_patient,
                "proportion_reaching_primary": h.proportion_reaching_primary,
            }
            for h in answer.harm
        },
        "harm_limit_met": answer.harm_limit_met,
        "version": mmntrial.__version__,
        "command": reproduce_command(answer, protocol, population),
        "provenance": size_record(
            design, people, asked, trials=answer.n_trials, n_per_arm=answer.n_per_arm
        ),
    }


def reproduce_command(answer: SizeAnswer, protocol: str, population: str) -> str:
    """The command line that asks the same question (and, with the same version, gets the
    same answer)."""
    q = answer.question
    parts = [
        "mmntrial size",
        f"--protocol {protocol}",
        f"--population {population}",
        f"--effect {q.effect:g}",
        f"--power {q.power:g}",
        f"--seed {q.seed}",
        f"--max-n {q.max_n}",
        f"--max-trials {q.max_trials}",
        f"--precision {q.precision:g}",
    ]
    if q.alpha is not None:
        parts.append(f"--alpha {q.alpha:g}")
    if q.max_weeks_deteriorated is not None:
        parts.append(f"--max-weeks-deteriorated {q.max_weeks_deteriorated:g}")
    return " ".join(parts)


def print_answer(console: Console, answer: SizeAnswer, protocol: str, population: str) -> None:
    """The answer, the power curve around it, and each arm's harm."""
    q = answer.question
    asked = (
        f"{protocol} with {population}, effect {q.effect:g}, target power {q.power:.0%}, "
        f"{'one-sided' if answer.one_sided else 'two-sided'} Fisher exact test at alpha "
        f"{answer.alpha:g}"
    )
    console.print(asked, markup=False)
    if answer.power_at_n is None:
        top = answer.curve[-1]
        console.print(
            f"Not reached: power {top.power:.1%} at the largest size tried, {top.n_per_arm} "
            f"per arm (--max-n {q.max_n}), over {answer.n_trials:,} trials "
            f"({answer.n_simulated:,} simulated in all).",
            markup=False,
        )
    else:
        at = answer.power_at_n
        console.print(
            f"[bold]{at.n_per_arm} patients per arm[/] ({2 * at.n_per_arm} in all): power "
            f"{at.power:.1%} (95% Monte-Carlo interval {at.ci95[0]:.1%} to {at.ci95[1]:.1%}), "
            f"the smallest size from which the power stays at or above {q.power:.0%}; "
            f"{answer.n_trials:,} trials ({answer.n_simulated:,} simulated in all)"
        )
    table = Table(title="Power by size (the same virtual patients at every size)")
    table.add_column("n per arm", justify="right")
    table.add_column("power", justify="right")
    table.add_column("95% interval", justify="right")
    first = (answer.n_per_arm or answer.curve[-1].n_per_arm) - CURVE_ROWS_BELOW
    for point in answer.curve:
        if point.n_per_arm >= first:
            low, high = point.ci95
            table.add_row(str(point.n_per_arm), f"{point.power:.1%}", f"{low:.1%}-{high:.1%}")
    console.print(table)
    harm = Table(title="Per arm (every simulated patient; these do not depend on n)")
    for column in ("arm", "reaching the primary", "taper failures/patient", "weeks weak/patient"):
        harm.add_column(column, justify="left" if column == "arm" else "right")
    for arm in answer.harm:
        harm.add_row(
            arm.arm,
            f"{arm.proportion_reaching_primary:.1%}",
            f"{arm.deteriorations_per_patient:.2f}",
            f"{arm.weeks_deteriorated_per_patient:.1f}",
        )
    console.print(harm)
    if answer.harm_limit_met is not None:
        verdict = "met" if answer.harm_limit_met else "NOT met"
        console.print(
            f"Harm limit of {q.max_weeks_deteriorated:g} weeks of weakness per patient in "
            f"every arm: {verdict}.",
            markup=False,
        )
    console.print(f"reproduce: {reproduce_command(answer, protocol, population)}", markup=False)
