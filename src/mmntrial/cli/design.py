"""``mmntrial design-report``: a design simulated and written up for a protocol committee.

The default run (1,000 trials at each of three effects, a size search of at most 2,000
trials) takes well under a minute on one core once the simulator is compiled; the
options make it bigger.
"""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console

# The arguments of the checks as the user typed them, for error messages.
OPTION_NAMES = {
    "effect": "--size-effect",
    "power": "--power",
    "seed": "--seed",
    "max_n": "--max-n",
    "max_trials": "--size-trials",
    "n_trials": "--trials",
    "n_per_arm": "--n-per-arm",
}


def design_report(
    out: Path = typer.Option(
        ..., "--out", "-o", help="Folder for design-report.html, its PDF and figures/."
    ),
    protocol: str = typer.Option("piepers-2007", "--protocol", "-p", help="Protocol name or file."),
    population: str = typer.Option("mmn-default", "--population", help="Population name or file."),
    effects: str = typer.Option(
        "0,0.25,0.5", "--effects", help="Drug effects to simulate, comma-separated (0: type I)."
    ),
    trials: int = typer.Option(1000, "--trials", "-n", help="Trials at each effect."),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same report."),
    n_per_arm: int | None = typer.Option(
        None, "--n-per-arm", help="Patients per arm [default: the population's trial size]."
    ),
    size_effect: float | None = typer.Option(
        None, "--size-effect", help="Effect of the power-vs-n search [default: largest effect]."
    ),
    power: float = typer.Option(0.8, "--power", help="Target power of the size search."),
    size_trials: int = typer.Option(2000, "--size-trials", help="Most trials of the size search."),
    max_n: int = typer.Option(200, "--max-n", help="Largest n per arm of the size search."),
    pdf: bool = typer.Option(True, "--pdf/--no-pdf", help="Also write the PDF (WeasyPrint)."),
) -> None:
    """Simulate a design and write its report for a protocol committee (HTML, and PDF)."""
    # Imported here so that `mmntrial --help` loads neither the simulator nor matplotlib.
    from mmntrial.atomic import check_output_folder
    from mmntrial.protocol.loader import load_protocol
    from mmntrial.report.design_report import (
        DESIGN_REPORT_FILES,
        reproduce_command,
        write_design_report,
    )
    from mmntrial.report.design_study import check_effects, run_design_study
    from mmntrial.simulate.population import load_population
    from mmntrial.simulate.size import SizeQuestion
    from mmntrial.simulate.sweep.syntax import parse_values
    from mmntrial.simulate.trials import check_arguments

    # Every option is checked before any simulation, so no work is lost to a typo.
    check_output_folder(out, "--out", owned=DESIGN_REPORT_FILES)
    values = parse_values(effects, "--effects")
    for value in values:
        check_arguments(labels={"effect": "--effects"}, effect=value)
    chosen = check_effects([float(v) for v in values], "--effects")
    check_arguments(labels=OPTION_NAMES, n_trials=trials, seed=seed, n_per_arm=n_per_arm)
    question = SizeQuestion(
        effect=size_effect if size_effect is not None else (max(chosen) or 0.5),
        power=power,
        seed=seed,
        max_n=max_n,
        max_trials=size_trials,
    )
    question.check(labels=OPTION_NAMES)
    console = Console(highlight=False, soft_wrap=True)
    with console.status("Simulating the design and searching its sample size..."):
        study = run_design_study(
            load_protocol(protocol),
            load_population(population),
            population_name=population,
            effects=chosen,
            trials=trials,
            seed=seed,
            n_per_arm=n_per_arm,
            size_question=question,
        )
        command = reproduce_command(study, protocol=protocol, population=population, out=str(out))
        paths = write_design_report(study, out, command=command, pdf=pdf)
    for row in study.effects:
        low, high = row.rejection_rate_ci95
        console.print(
            f"effect {row.effect:g}: {row.measure} {100 * row.rejection_rate:.1f}% "
            f"({100 * low:.1f}% to {100 * high:.1f}%)"
        )
    answer = study.size.power_at_n
    if answer is None:
        console.print(
            f"{question.power:.0%} power not reached up to {study.size.curve[-1].n_per_arm} per arm"
        )
    else:
        target = f"{question.power:.0%} power at effect {question.effect:g}"
        console.print(f"{answer.n_per_arm} per arm for {target}")
    console.print(f"wrote {paths.html}", markup=False)
    console.print(paths.pdf_note if paths.pdf is None else f"wrote {paths.pdf}", markup=False)


__all__ = ["design_report"]
