"""``mmntrial simulate`` and ``mmntrial sweep``: Monte-Carlo trials of a design, or of a grid."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from mmntrial.errors import SimulationError
from mmntrial.simulate.sweep import SWEEP_DEFAULTS, load_sweep, make_plan, run_sweep
from mmntrial.simulate.sweep.execute import dask_client
from mmntrial.simulate.trials import check_arguments


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


def print_summary(console: Console, row: dict[str, Any], drug: str, control: str) -> None:
    """The summary of one design as a table: power, endpoint, savings and harm per arm."""
    measure = row["measure"]
    console.print(
        f"[bold]{measure}[/]: {_percent(row['rejection_rate'])} "
        f"(95% Monte-Carlo interval {_percent(row['rejection_rate_low'])} to "
        f"{_percent(row['rejection_rate_high'])}) over {row['n_trials']:,} trials"
    )
    table = Table(title_justify="left")
    table.add_column("per arm")
    table.add_column(drug, justify="right")
    table.add_column(control, justify="right")
    rows = (
        ("reaching the primary endpoint", "proportion_reaching_primary", _percent),
        ("mean reduction of IVIg", "mean_reduction_pct", lambda v: f"{v:.1f}%"),
        ("median reduction of IVIg", "median_reduction_pct", lambda v: f"{v:.1f}%"),
        ("IVIg saved per patient-year", "ivig_saved_g_per_patient_year", lambda v: f"{v:.0f} g"),
        ("deteriorations per patient", "deteriorations_per_patient", lambda v: f"{v:.2f}"),
        ("weeks deteriorated per patient", "weeks_deteriorated_per_patient", lambda v: f"{v:.1f}"),
        ("dropouts per trial", "dropouts_per_trial", lambda v: f"{v:.2f}"),
    )
    for label, key, fmt in rows:
        table.add_row(label, fmt(row[f"drug_{key}"]), fmt(row[f"control_{key}"]))
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
    if out is not None and out.suffix != ".parquet":
        raise SimulationError(f"--out: got {str(out)!r}, expected a file name ending in .parquet")
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
    row = {str(key): value for key, value in result.table.iloc[0].to_dict().items()}
    if out is not None:
        result.per_trial.drop(columns=["point"]).to_parquet(out, index=False)
    if dataset is not None:
        _write_dataset(plan.protocol, plan.population, effect, seed, n_per_arm, dataset)
    if as_json:
        typer.echo(json.dumps(row, default=float))
        return
    point = plan.points[0]
    names = [arm.name for arm in point.protocol.arms]
    console = Console()
    console.print(
        f"[bold]{point.protocol.name}[/] with population [bold]{population}[/], effect {effect}, "
        f"seed {seed}"
    )
    print_summary(console, row, names[0], names[1])
    for path in (out, dataset):
        if path is not None:
            console.print(f"wrote {path}")


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
    write_dataset(trial.dataset, path, format="parquet")


def _values(text: str, name: str) -> list[Any]:
    """``14,28`` -> [14, 28]; ``every_infusion`` stays text."""
    values: list[Any] = []
    for item in text.split(","):
        item = item.strip()
        try:
            values.append(int(item))
        except ValueError:
            try:
                values.append(float(item))
            except ValueError:
                if not item:
                    message = f"{name}: got {text!r}, expected comma-separated values"
                    raise SimulationError(message) from None
                values.append(item)
    return values


def _default(setting: str) -> str:
    return f"[default: {SWEEP_DEFAULTS[setting]}]"


def sweep(
    grid: Path | None = typer.Argument(None, help="A sweep file (TOML); or give the axes below."),
    out: Path = typer.Option(..., "--out", help="Folder for the table and figures."),
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
    from mmntrial.report.sweep_figures import save_sweep_figures

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
    axes: dict[str, list[Any]] = {}
    for name, option, text in (
        ("n_per_arm", "--n-per-arm", n_per_arm),
        ("effect", "--effect", effect),
        ("taper.step_percent", "--taper-step", taper_step),
        ("cadence_weeks", "--cadence-weeks", cadence_weeks),
    ):
        if text is not None:
            axes[name] = _values(text, option)
    for option, prefix, items in (
        ("--threshold", "threshold.", threshold),
        ("--set", "", set_),
    ):
        for item in items:
            key, sep, text = item.partition("=")
            if not sep or not key:
                raise SimulationError(f"{option}: got {item!r}, expected KEY=v1,v2")
            axes[prefix + key] = _values(text, option)
    if grid is None:
        plan = make_plan(axes=axes, **{**SWEEP_DEFAULTS, **settings})
    elif axes:
        raise SimulationError(
            f"grid axes: got {sorted(axes)} as options and the sweep file {grid}, "
            "expected the axes in one of them (the file's [grid], or the options)"
        )
    else:
        plan = load_sweep(grid, settings)
    total = plan.trials * len(plan.points)
    with (
        progress_bar(total, f"{len(plan.points)} designs", not as_json) as tick,
        _client(workers, scheduler) as client,
    ):
        result = run_sweep(plan, client=client, progress=tick)
    out.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out / "sweep.csv", index=False)
    figures = save_sweep_figures(result.table, out)
    if as_json:
        for record in result.table.to_dict(orient="records"):
            typer.echo(json.dumps(record, default=str))
        return
    console = Console()
    table = Table(title=f"{len(plan.points)} designs x {plan.trials:,} trials, seed {plan.seed}")
    axes_names = list(plan.points[0].settings)
    for column in (*axes_names, "power", "drug reached", "saved g/pt-yr", "weeks deteriorated"):
        table.add_column(column, justify="right")
    for row in result.table.to_dict(orient="records"):
        table.add_row(
            *(str(row[name]) for name in axes_names),
            f"{100 * row['rejection_rate']:.1f}%",
            f"{100 * row['drug_proportion_reaching_primary']:.1f}%",
            f"{row['drug_ivig_saved_g_per_patient_year']:.0f}",
            f"{row['drug_weeks_deteriorated_per_patient']:.1f}",
        )
    console.print(table)
    console.print(f"wrote {out / 'sweep.csv'} and {', '.join(p.name for p in figures)}")


__all__ = ["print_summary", "progress_bar", "simulate", "sweep"]
