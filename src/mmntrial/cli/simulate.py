"""``mmntrial simulate`` and ``mmntrial sweep``: Monte-Carlo trials of a design, or of a grid."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mmntrial.atomic import check_output_file, check_output_folder, replacing_file
from mmntrial.simulate.provenance import PARQUET_KEY, plan_record
from mmntrial.simulate.sweep import SWEEP_DEFAULTS, make_plan, run_sweep
from mmntrial.simulate.sweep.execute import dask_client
from mmntrial.simulate.sweep.syntax import option_axes, sweep_plan
from mmntrial.simulate.trials import check_arguments
from mmntrial.simulate.trials.summary import ArmSummary, DesignSummary

if TYPE_CHECKING:
    import pandas as pd


@contextmanager
def progress_bar(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    """A Rich progress bar over trials; a no-op callback when disabled (``--json``)."""
    if not enabled:
        yield lambda _done: None
        return
    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done: bar.advance(task, done)


def _client(workers: int | None, scheduler: str | None) -> Any:
    if workers is None and scheduler is None:
        return nullcontext(None)
    return dask_client(workers=workers, scheduler=scheduler)


def _percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def print_summary(console: Console, summary: DesignSummary) -> None:
    """The summary of one design as a table: power, endpoint, savings and harm per arm."""
    low, high = summary.rejection_rate_ci95
    console.print(
        f"[bold]{summary.measure}[/]: {_percent(summary.rejection_rate)} "
        f"(95% Monte-Carlo interval {_percent(low)} to "
        f"{_percent(high)}) over {summary.n_trials:,} trials"
    )
    drug, control = summary.drug, summary.control
    table = Table(title_justify="left")
    table.add_column("per arm")
    table.add_column(drug.arm, justify="right")
    table.add_column(control.arm, justify="right")
    rows: tuple[tuple[str, Callable[[ArmSummary], str]], ...] = (
        ("reaching the primary endpoint", lambda a: _percent(a.proportion_reaching_primary)),
        ("mean reduction of IVIg", lambda a: f"{a.mean_reduction_pct:.1f}%"),
        ("median reduction of IVIg", lambda a: f"{a.median_reduction_pct:.1f}%"),
        ("IVIg saved per patient-year", lambda a: f"{a.ivig_saved_g_per_patient_year:.0f} g"),
        ("deteriorations per patient", lambda a: f"{a.deteriorations_per_patient:.2f}"),
        ("episodes at full dose per patient", lambda a: f"{a.full_dose_episodes_per_patient:.2f}"),
        ("weeks deteriorated per patient", lambda a: f"{a.weeks_deteriorated_per_patient:.1f}"),
        ("dropouts per trial", lambda a: f"{a.dropouts_per_trial:.2f}"),
    )
    for label, show in rows:
        table.add_row(label, show(drug), show(control))
    console.print(table)


# The arguments of simulate.trials.check_arguments as the user typed them.
OPTION_NAMES = {
    "effect": "--effect",
    "n_trials": "--trials",
    "seed": "--seed",
    "n_per_arm": "--n-per-arm",
    "chunk_trials": "--chunk-trials",
}


def simulate(
    protocol: str = typer.Option("piepers-2007", "--protocol", "-p", help="Protocol name or file."),
    population: str = typer.Option("mmn-default", "--population", help="Population name or file."),
    trials: int = typer.Option(1000, "--trials", "-n", help="Number of simulated trials."),
    effect: float = typer.Option(0.0, "--effect", help="Drug effect on the IVIg need, in [0, 1)."),
    seed: int = typer.Option(1, "--seed", help="Seed: the same seed gives the same results."),
    n_per_arm: int | None = typer.Option(None, "--n-per-arm", help="Patients per arm."),
    chunk_trials: int = typer.Option(500, "--chunk-trials", help="Trials per chunk (memory)."),
    workers: int | None = typer.Option(None, "--workers", help="Start a local Dask cluster."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Use a Dask scheduler."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    out: Path | None = typer.Option(None, "--out", help="Write per-trial results (.parquet)."),
    dataset: Path | None = typer.Option(None, "--dataset", help="Write trial 0's full dataset."),
) -> None:
    """Simulate many trials of one design: power (or type I error), savings and harm."""
    check_arguments(
        labels=OPTION_NAMES,
        effect=effect,
        n_trials=trials,
        seed=seed,
        n_per_arm=n_per_arm,
        chunk_trials=chunk_trials,
    )
    # Checked before the simulation runs, not after it, so no work is lost to a typo.
    if out is not None:
        check_output_file(out, "--out", suffix=".parquet")
    if dataset is not None:
        from mmntrial.dataset.io import DATASET_FILES

        check_output_folder(dataset, "--dataset", owned=DATASET_FILES)
    plan = make_plan(
        protocol=protocol,
        population=population,
        axes={"effect": [effect], **({"n_per_arm": [n_per_arm]} if n_per_arm else {})},
        trials=trials,
        seed=seed,
        chunk_trials=chunk_trials,
    )
    with (
        progress_bar(trials, "simulating", not as_json) as tick,
        _client(workers, scheduler) as client,
    ):
        result = run_sweep(plan, client=client, progress=tick)
    point, summary = plan.points[0], result.summaries[0]
    record = plan_record(plan, "simulate")
    if out is not None:
        with replacing_file(out) as temporary:
            write_trials(result.per_trial, record, temporary)
    if dataset is not None:
        _write_dataset(plan.protocol, plan.population, effect, seed, n_per_arm, dataset)
    if as_json:
        typer.echo(json.dumps({**result.rows()[0], "provenance": record}, default=float))
        return
    console = Console()
    console.print(
        f"[bold]{point.protocol.name}[/] with population [bold]{population}[/], effect {effect}, "
        f"seed {seed}"
    )
    print_summary(console, summary)
    for path in (out, dataset):
        if path is not None:
            console.print(f"wrote {path}")


def write_trials(per_trial: pd.DataFrame, record: dict[str, Any], path: Path) -> None:
    """Write one row per trial (Parquet) with the provenance record in the file metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(per_trial.drop(columns=["point"]), preserve_index=False)
    metadata = {**(table.schema.metadata or {}), PARQUET_KEY: json.dumps(record).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)


def _write_dataset(
    protocol: Any, population: Any, effect: float, seed: int, n_per_arm: int | None, path: Path
) -> None:
    from mmntrial.dataset.io import write_dataset
    from mmntrial.simulate.trials.one_trial import simulate_trial

    trial = simulate_trial(
        protocol,
        population,
        effect=effect,
        seed=seed,
        n_per_arm=n_per_arm,
        created_utc=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    # An earlier dataset at this path is replaced whole (checked before the simulation).
    write_dataset(trial.dataset, path, format="parquet", overwrite=True)


def _default(setting: str) -> str:
    return f"[default: {SWEEP_DEFAULTS[setting]}]"


def sweep(
    grid: Path | None = typer.Argument(None, help="A sweep file (TOML); or give the axes below."),
    out: Path = typer.Option(
        ..., "--out", help="Folder for the table and figures (replaced as a whole)."
    ),
    protocol: str | None = typer.Option(
        None, "--protocol", "-p", help=f"Protocol name or file {_default('protocol')}."
    ),
    population: str | None = typer.Option(
        None, "--population", help=f"Population name or file {_default('population')}."
    ),
    trials: int | None = typer.Option(
        None, "--trials", "-n", help=f"Trials per design point {_default('trials')}."
    ),
    seed: int | None = typer.Option(
        None, "--seed", help=f"Seed, common to every design point {_default('seed')}."
    ),
    chunk_trials: int | None = typer.Option(
        None, "--chunk-trials", help=f"Trials per chunk {_default('chunk_trials')}."
    ),
    n_per_arm: str | None = typer.Option(None, "--n-per-arm", help="e.g. 14,28"),
    effect: str | None = typer.Option(None, "--effect", help="e.g. 0,0.25,0.5"),
    taper_step: str | None = typer.Option(None, "--taper-step", help="Percent steps: 25,50"),
    cadence_weeks: str | None = typer.Option(None, "--cadence-weeks", help="0 = every infusion"),
    threshold: list[str] = typer.Option([], "--threshold", help="MEASURE=v1,v2 (repeatable)"),
    set_: list[str] = typer.Option([], "--set", help="PROTOCOL.KEY=v1,v2 (repeatable)"),
    workers: int | None = typer.Option(None, "--workers", help="Start a local Dask cluster."),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Use a Dask scheduler."),
    as_json: bool = typer.Option(False, "--json", help="Print the table as JSON lines."),
) -> None:
    """Simulate a grid of designs; write sweep.csv and power / harm-vs-savings plots.

    With a sweep file, the options --protocol, --population, --trials, --seed and
    --chunk-trials replace the file's values; the grid axes come from the file only.
    """
    from mmntrial.cli.sweep_table import sweep_table
    from mmntrial.report.sweep_figures import SWEEP_FILES, write_sweep

    # Checked before the sweep runs, so that no work is lost to a wrong --out.
    check_output_folder(out, "--out", owned=SWEEP_FILES)
    counts = {"n_trials": trials, "seed": seed, "chunk_trials": chunk_trials}
    check_arguments(labels=OPTION_NAMES, **{k: v for k, v in counts.items() if v is not None})
    settings: dict[str, Any] = {
        name: value
        for name, value in (
            ("protocol", protocol),
            ("population", population),
            ("trials", trials),
            ("seed", seed),
            ("chunk_trials", chunk_trials),
        )
        if value is not None
    }
    axes = option_axes(
        [
            ("n_per_arm", "--n-per-arm", n_per_arm),
            ("effect", "--effect", effect),
            ("taper.step_percent", "--taper-step", taper_step),
            ("cadence_weeks", "--cadence-weeks", cadence_weeks),
        ],
        threshold,
        set_,
    )
    plan = sweep_plan(grid, axes, settings)
    total = plan.trials * len(plan.points)
    with (
        progress_bar(total, f"{len(plan.points)} designs", not as_json) as tick,
        _client(workers, scheduler) as client,
    ):
        result = run_sweep(plan, client=client, progress=tick)
    frame = result.to_frame()
    provenance = plan_record(plan, "sweep")
    table_path, *figures = write_sweep(result, frame, out, provenance)
    # The axes as sweep.csv shows them (a column of 0 and 0.5 reads 0.0 and 0.5).
    records = frame.to_dict(orient="records")
    if as_json:
        # Each line stands alone (a line may be kept without the others), so each
        # carries the sweep's record, as provenance.json beside sweep.csv does.
        for record in records:
            typer.echo(json.dumps({**record, "provenance": provenance}, default=str))
        return
    console = Console()
    table = sweep_table(result, records)
    console.print(table)
    console.print(f"wrote {table_path} and {', '.join(p.name for p in figures)}")


__all__ = ["print_summary", "progress_bar", "simulate", "sweep", "write_trials"]
