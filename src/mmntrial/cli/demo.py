"""The ``mmntrial demo`` command: the product's front door, in under a minute.

1. The protocol engine on an example patient of the reference trial: each decision and
   the rule, values and thresholds behind it.
2. A small power analysis of the reference design: no effect versus a 50% fall in the
   IVIg need, 14 and 28 patients per arm.
3. One simulated trial of the reference design (fixed seed): its dataset written, the
   planned analysis run, and the trial report written into ``mmntrial-demo/``, a folder
   replaced as a whole (checked before anything runs), with the DSMB's open and closed
   reports of the trial beside it (``dsmb-open/``, ``dsmb-closed/``).
4. The same trial loaded into a study database of the capture app
   (``mmntrial-demo/study.db``, through the app's own write functions, audited), with
   its sealed list (``study-list.json``) and one demo account per role, so that
   ``mmntrial serve`` opens a populated trial. The accounts share one printed password
   and exist for the demo only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib.resources import as_file, files
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from mmntrial.atomic import check_output_folder, replacing_folder
from mmntrial.capture.permissions import SITE_ROLES, Role
from mmntrial.cli.analyze import print_headline, run_and_write
from mmntrial.cli.engine import print_timeline
from mmntrial.dataset.history_csv import read_histories
from mmntrial.engine.replay import replay
from mmntrial.protocol.loader import load_protocol
from mmntrial.storage.engine import WRITE_LOCK_SUFFIX

if TYPE_CHECKING:
    from mmntrial.dataset.schema import Dataset
    from mmntrial.protocol.model import Protocol

DEMO_PROTOCOL = "piepers-2007"
DEMO_POPULATION = "mmn-default"
DEMO_HISTORIES = "piepers-2007-histories.csv"
DEMO_PATIENT = "P02-restored"
DEMO_SEED = 2007
POWER_TRIALS = 300
DATASET_DIR = "dataset"
REPORT_DIR = "report"
#: The DSMB's open (pooled) and closed (by arm) reports of the same trial.
DSMB_DIRS = {False: "dsmb-open", True: "dsmb-closed"}
STUDY_DB = "study.db"
STUDY_KEY = "study-list.json"
#: The password of every demo account: printed, because the study is a demo's only.
DEMO_PASSWORD = "mmntrial-demo-only"
# What the demo folder holds; it is replaced as a whole, so it may hold nothing else
# (SQLite's -wal and -shm files appear beside the study while it is served, and the
# write queue's lock file once it has been written: a second demo replaces them all).
DEMO_FILES = frozenset(
    {DATASET_DIR, REPORT_DIR, *DSMB_DIRS.values(), STUDY_DB, STUDY_KEY}
    | {f"{STUDY_DB}-wal", f"{STUDY_DB}-shm", f"{STUDY_DB}{WRITE_LOCK_SUFFIX}"}
)


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


def demo_account(role: Role) -> str:
    """The demo account holding ``role``."""
    return f"demo-{role.value.replace('_', '-')}"


def _demo_study(dataset: Dataset, protocol: Protocol, folder: Path) -> tuple[str, int]:
    """Load ``dataset`` into ``folder/study.db`` with its key and the demo accounts;
    return the site of the site roles and the audit trail's length."""
    from mmntrial.capture import accounts, audit
    from mmntrial.capture.dataset_load import load_dataset
    from mmntrial.capture.permissions import SITE_ROLES
    from mmntrial.randomization.listfile import save
    from mmntrial.storage import Database

    admin = demo_account(Role.ADMIN)
    with Database.open(folder / STUDY_DB) as database:
        loaded = load_dataset(
            database, dataset, protocol, admin, DEMO_PASSWORD, datetime.now(UTC).date()
        )
        site = str(sorted(dataset.subjects["site"])[0])
        with database.write() as conn:
            for role in Role:
                if role is Role.ADMIN:
                    continue
                accounts.add_user(conn, demo_account(role), DEMO_PASSWORD, admin)
                where = site if role in SITE_ROLES else None
                accounts.grant(conn, demo_account(role), role.value, where, admin)
        with database.read() as conn:
            head = audit.check(conn)
    save(loaded.key, folder / STUDY_KEY)
    return site, head.count


def demo(
    out: Path = typer.Option(
        Path("mmntrial-demo"),
        "--out",
        help="Folder for the simulated dataset and the report (replaced as a whole).",
    ),
) -> None:
    """Engine decisions, a power analysis, and one simulated trial analysed into a report."""
    from mmntrial.dataset.io import write_dataset
    from mmntrial.report.dsmb import write_dsmb
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
        labels = {arm.name: arm.label for arm in protocol.arms}
        dsmb = {
            closed: write_dsmb(
                trial.dataset, labels, staging / folder, closed=closed, safety=protocol.safety
            )
            for closed, folder in DSMB_DIRS.items()
        }
        site, entries = _demo_study(trial.dataset, protocol, staging)
    console.print(f"dataset: {out / DATASET_DIR}", markup=False)
    print_headline(console, protocol, results, paths.moved_to(out / REPORT_DIR))
    for closed, written in dsmb.items():
        kind = "closed (by arm)" if closed else "open (pooled)"
        html = out / DSMB_DIRS[closed] / written.html.name
        console.print(f"DSMB {kind} report: {html}", markup=False)

    console.print(
        f"\n[bold]4. The trial as a study[/] in the capture app: {len(trial.dataset.subjects)} "
        f"participants loaded through its forms, audit trail verified ({entries} entries)"
    )
    console.print(
        f"  open it: mmntrial serve --db {out / STUDY_DB} --key {out / STUDY_KEY}",
        markup=False,
        soft_wrap=True,  # one line to copy, however narrow the terminal
    )
    console.print(
        f"  then http://127.0.0.1:8000/ as one of these accounts, password "
        f"{DEMO_PASSWORD!r} (demo only):",
        markup=False,
    )
    for role in Role:
        where = f" at {site}" if role in SITE_ROLES else ""
        console.print(f"    {demo_account(role)}: {role.value}{where}", markup=False)
