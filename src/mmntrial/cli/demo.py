"""The ``mmntrial demo`` command: the product's front door, in under a minute.

1. The protocol engine on an example patient of the reference trial: each decision and
   the rule, values and thresholds behind it.
2. A small power analysis of the reference design: no effect versus a 50% fall in the
   IVIg need, 14 and 28 patients per arm.
3. One simulated trial of the reference design (fixed seed): its dataset written, the
   planned analysis run, and the trial report written into ``mmntrial-demo/``, a folder
   replaced as a whole (checked before anything runs).
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import as_file, files
from pathlib import Path

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from mmntrial.atomic import check_output_folder, replacing_folder
from mmntrial.cli.analyze import print_headline, run_and_write
from mmntrial.cli.engine import print_timeline
from mmntrial.dataset.history_csv import read_histories
from mmntrial.engine.replay import replay
from mmntrial.protocol.loader import load_protocol

DEMO_PROTOCOL = "piepers-2007"
DEMO_POPULATION = "mmn-default"
DEMO_HISTORIES = "piepers-2007-histories.csv"
DEMO_PATIENT = "P02-restored"
DEMO_SEED = 2007
POWER_TRIALS = 300
DATASET_DIR = "dataset"
REPORT_DIR = "report"
# What the demo folder holds; it is replaced as a whole, so it may hold nothing else.
DEMO_FILES = frozenset({DATASET_DIR, REPORT_DIR})


def _power_table(console: Console) -> None:
    from mmntrial.cli.simulate import progress_bar
    from mmntrial.simulate.sweep import make_plan, run_sweep

    plan = make_plan(
        protocol=DEMO_PROTOCOL,
        population=DEMO_POPULATION,
        axes={"n_per_arm": [14, 28], "effect": [0.0, 0.5]},
        trials=POWER_TRIALS,
        seed=DEMO_SEED,
    )
    with progress_bar(POWER_TRIALS * len(plan.points), "simulating", True) as tick:
        result = run_sweep(plan, progress=tick)
    out = Table(
        title=f"2. Power of the reference design ({POWER_TRIALS} simulated trials per row)",
        title_justify="left",
    )
    for column in (
        "per arm",
        "effect on need",
        "power",
        "mmf reaching 50%",
        "placebo",
        "weeks deteriorated (mmf)",
    ):
        out.add_column(column, justify="right")
    for point, summary in zip(plan.points, result.summaries, strict=True):
        low, high = summary.rejection_rate_ci95
        out.add_row(
            str(point.n_per_arm),
            f"{100 * point.effect:.0f}%",
            f"{100 * summary.rejection_rate:.0f}% ({100 * low:.0f}-{100 * high:.0f})",
            f"{100 * summary.drug.proportion_reaching_primary:.0f}%",
            f"{100 * summary.control.proportion_reaching_primary:.0f}%",
            f"{summary.drug.weeks_deteriorated_per_patient:.1f}",
        )
    console.print(out)
    console.print(
        "  At effect 0 the 'power' is the type I error. More: mmntrial simulate, mmntrial sweep.\n"
    )


def demo(
    out: Path = typer.Option(
        Path("mmntrial-demo"),
        "--out",
        help="Folder for the simulated dataset and the report (replaced as a whole).",
    ),
) -> None:
    """Engine decisions, a power analysis, and one simulated trial analysed into a report."""
    from mmntrial.dataset.io import write_dataset
    from mmntrial.simulate.population import load_population
    from mmntrial.simulate.trials.one_trial import simulate_trial

    # Checked before the demo runs: a wrong --out must not cost a minute of waiting.
    check_output_folder(out, "--out", owned=DEMO_FILES)
    console = Console()
    protocol = load_protocol(DEMO_PROTOCOL)
    taper = protocol.taper
    console.print(
        Panel.fit(
            f"[bold]{protocol.title}[/]\n"
            f"protocol [cyan]{protocol.name}[/]: taper from day {taper.start_day}, "
            f"{', '.join(f'{p:g}%' for p in taper.dose_levels_percent())} of baseline, "
            f"{taper.cadence.value}; deterioration confirmed within "
            f"{protocol.deterioration.confirmation_days} days",
            title="mmntrial demo",
        )
    )

    console.print(f"[bold]1. The protocol engine[/] on example patient {DEMO_PATIENT}")
    with as_file(files("mmntrial.examples") / DEMO_HISTORIES) as path:
        histories = [h for h in read_histories(path) if h.subject == DEMO_PATIENT]
    print_timeline(console, protocol, replay(protocol, histories), changes_only=True)
    console.print(
        "  All five example patients: mmntrial engine replay examples/piepers-2007-histories.csv\n"
    )

    _power_table(console)

    console.print(f"[bold]3. One simulated trial[/] (seed {DEMO_SEED}, no drug effect)")
    trial = simulate_trial(
        protocol,
        load_population(DEMO_POPULATION),
        effect=0.0,
        seed=DEMO_SEED,
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    # The dataset and its report are replaced together: never a new dataset beside an old
    # report. Both are written staged, so the paths printed are the final ones.
    with replacing_folder(out, owned=DEMO_FILES) as staging:
        write_dataset(trial.dataset, staging / DATASET_DIR, format="parquet")
        results, paths = run_and_write(console, trial.dataset, protocol, staging / REPORT_DIR, True)
    console.print(f"dataset: {out / DATASET_DIR}", markup=False)
    print_headline(console, protocol, results, paths.moved_to(out / REPORT_DIR))
