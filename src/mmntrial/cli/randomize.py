"""The ``mmntrial randomize`` command group: lists, assessment, the ledger.

Commands: ``generate``, ``verify``, ``extend``, ``assess``, ``allocate``, ``reveal``.
Every user error is a RandomizationError (or ProtocolError), which ``cli.app.main`` turns
into one line and exit code 2.
"""

from __future__ import annotations

import importlib
import json
import math
import secrets
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import AllocationMethod
from mmntrial.randomization.assess import assess as run_assess
from mmntrial.randomization.design import AllocationDesign
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import extend as extend_list
from mmntrial.randomization.lists import generate as generate_list
from mmntrial.randomization.lists import verify as verify_list
from mmntrial.randomization.options import DesignOptions, design_from_options, pairs

app = typer.Typer(
    no_args_is_help=True,
    help="Allocation lists (generate, verify, extend), assessment, the allocation ledger.",
)

ProtocolOpt = Annotated[
    str | None, typer.Option("--protocol", help="Built-in protocol name or TOML path.")
]
_METHODS = [m.value for m in AllocationMethod]
MethodOpt = Annotated[
    str | None,
    typer.Option(help=f"{', '.join(_METHODS[:-1])} or {_METHODS[-1]} (without --protocol)."),
]
ArmsOpt = Annotated[str | None, typer.Option(help="Arm names, comma-separated: mmf,placebo.")]
RatioOpt = Annotated[str | None, typer.Option(help="Allocation ratio, one number per arm: 2:1.")]
BlocksOpt = Annotated[
    str | None, typer.Option("--block-sizes", help="Block sizes, comma-separated: 2,4.")
]
StrataOpt = Annotated[
    list[str] | None,
    typer.Option("--strata", help="A factor and its levels: centre=AMC,UMCU (repeatable)."),
]
ImbalanceOpt = Annotated[str, typer.Option(help="Minimization imbalance: range or variance.")]
WeightOpt = Annotated[
    list[str] | None, typer.Option("--weight", help="Minimization factor weight: centre=2.")
]
PreferredOpt = Annotated[
    float, typer.Option("--p-preferred", help="Minimization: P(preferred arm).")
]
DbOpt = Annotated[
    str,
    typer.Option(
        "--db", help="The ledger's database: a SQLite file, or a URL (postgresql+psycopg://...)."
    ),
]
ListOpt = Annotated[Path, typer.Option("--list", help="The allocation list file.")]
ByOpt = Annotated[str, typer.Option("--by", help="Who does this (recorded in the ledger).")]


def build_design(
    protocol: str | None,
    method: str | None,
    arms: str | None,
    ratio: str | None,
    block_sizes: str | None,
    strata: list[str] | None,
    imbalance: str = "range",
    weights: list[str] | None = None,
    p_preferred: float = 0.8,
) -> AllocationDesign:
    """The design from a protocol (plus factor levels) or from the options alone."""
    options = DesignOptions(
        protocol, method, arms, ratio, block_sizes, tuple(strata or ()), imbalance,
        tuple(weights or ()), p_preferred,
    )  # fmt: skip
    return design_from_options(options, _load_protocol)


def _load_protocol(name: str) -> Any:
    # Imported by name, and only with --protocol, so that this module does not tie
    # itself to the loader's import.
    return importlib.import_module("mmntrial.protocol.loader").load_protocol(name)


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Where to write the list (JSON).")],
    size: Annotated[int, typer.Option(help="Subjects expected per stratum.")],
    headroom: Annotated[
        float, typer.Option(help="Extra slots per stratum, as a fraction of --size.")
    ] = 0.5,
    seed: Annotated[
        int | None, typer.Option(help="Secret seed; leave out to draw a 128-bit one.")
    ] = None,
    protocol: ProtocolOpt = None,
    method: MethodOpt = None,
    arms: ArmsOpt = None,
    ratio: RatioOpt = None,
    block_sizes: BlocksOpt = None,
    strata: StrataOpt = None,
    imbalance: ImbalanceOpt = "range",
    weight: WeightOpt = None,
    p_preferred: PreferredOpt = 0.8,
) -> None:
    """Write an allocation list and print its SHA-256 commitment (publish that)."""
    design = build_design(
        protocol, method, arms, ratio, block_sizes, strata, imbalance, weight, p_preferred
    )
    if size < 1 or not math.isfinite(headroom) or headroom < 0:
        raise RandomizationError(
            f"--size/--headroom: got {size}/{headroom}, expected a size >= 1 and headroom >= 0"
        )
    if seed is None:
        seed = secrets.randbits(128)
        typer.echo("seed: drawn at random (128 bits), stored in the list file")
    elif seed.bit_length() < 64:
        typer.echo(
            "warning: a seed under 64 bits can be found by trying seeds, and with it the list "
            "from its commitment; leave --seed out for a real trial",
            err=True,
        )
    slots = math.ceil(size * (1 + headroom))
    lst = generate_list(design, slots, seed)
    save(lst, out)
    per = {s: len(lst.slots(s)) for s in design.strata()}
    typer.echo(f"list: {out} ({len(lst.rows)} rows, method {lst.method})")
    typer.echo(f"slots per stratum: {slots} requested ({size} + {headroom:.0%} headroom)")
    for stratum, count in per.items():
        typer.echo(f"  {stratum}: {count}")
    typer.echo("keep the list file secret: it holds the seed")
    typer.echo(f"commitment (SHA-256, publish this): {lst.commitment}")


@app.command()
def verify(
    list_file: Annotated[Path, typer.Argument(metavar="LIST", help="The list file.")],
    commitment: Annotated[
        str | None, typer.Option(help="The published commitment to check against.")
    ] = None,
) -> None:
    """Re-derive the list from its parameters and seed; check rows and commitments."""
    lst = load(list_file)
    sha = verify_list(lst, commitment)
    typer.echo(f"ok: {list_file} ({len(lst.rows)} rows) matches its parameters and seed")
    for number, entry in enumerate(lst.history, start=1):
        typer.echo(f"  commitment {number}: {entry.sha256}")
    typer.echo(f"commitment: {sha}")


@app.command()
def extend(
    list_file: Annotated[Path, typer.Argument(metavar="LIST", help="The list file.")],
    size: Annotated[int | None, typer.Option(help="New slots per stratum.")] = None,
    add_level: Annotated[
        list[str] | None,
        typer.Option("--add-level", help="A new factor level: centre=RADBOUD (repeatable)."),
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of in place.")] = None,
) -> None:
    """Lengthen a list or add factor levels; committed rows never change."""
    old = load(list_file)
    verify_list(old)
    additions: dict[str, list[str]] = {}
    for name, level in (item.partition("=")[::2] for item in add_level or []):
        if not name or not level:
            raise RandomizationError(f"--add-level: got {add_level!r}, expected FACTOR=LEVEL")
        additions.setdefault(name, []).append(level)
    new = extend_list(old, size, additions)
    target = save(new, out or list_file)
    typer.echo(f"list: {target} ({len(old.rows)} -> {len(new.rows)} rows)")
    typer.echo(f"previous commitment: {old.commitment}")
    typer.echo(f"commitment (SHA-256, publish this): {new.commitment}")


@app.command()
def assess(
    subjects: Annotated[int, typer.Option(help="Subjects per simulated trial.")] = 28,
    simulations: Annotated[int, typer.Option(help="Simulated trials.")] = 1000,
    seed: Annotated[int, typer.Option(help="Seed of the simulation.")] = 1,
    protocol: ProtocolOpt = None,
    method: MethodOpt = None,
    arms: ArmsOpt = None,
    ratio: RatioOpt = None,
    block_sizes: BlocksOpt = None,
    strata: StrataOpt = None,
    imbalance: ImbalanceOpt = "range",
    weight: WeightOpt = None,
    p_preferred: PreferredOpt = 0.8,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Simulate a method: imbalance (final, worst) and predictability."""
    design = build_design(
        protocol, method, arms, ratio, block_sizes, strata, imbalance, weight, p_preferred
    )
    console = Console()
    with Progress(console=Console(stderr=True), transient=True, disable=as_json) as bar:
        task = bar.add_task("simulating", total=simulations)
        result = run_assess(
            design,
            subjects,
            simulations,
            seed=seed,
            progress=lambda done: bar.update(task, completed=done),
        )
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=1))
        return
    table = Table(title=f"{result.method}: {subjects} subjects, {simulations} simulations")
    for column in ("group", "final mean", "final max", "worst mean", "worst max"):
        table.add_column(column, justify="left" if column == "group" else "right")
    for g in result.balance:
        table.add_row(
            g.group,
            f"{g.final_mean:.2f}",
            f"{g.final_max:.0f}",
            f"{g.worst_mean:.2f}",
            f"{g.worst_max:.0f}",
        )
    console.print(table)
    console.print(
        f"predictability (convergence strategy): {result.predictability:.3f} "
        f"(Monte Carlo SE {result.predictability_se:.3f})"
    )


@app.command()
def allocate(
    subject: Annotated[str, typer.Argument(help="The subject identifier.")],
    db: DbOpt,
    list_file: ListOpt,
    by: ByOpt,
    stratum: Annotated[
        list[str] | None, typer.Option("--stratum", help="factor=level (repeatable).")
    ] = None,
) -> None:
    """Randomize a subject: print the slot and kit code (never the arm)."""
    with Ledger.open(db, load(list_file)) as ledger:
        done = ledger.allocate(subject, pairs("--stratum", stratum), by=by)
    typer.echo(
        f"subject {done.subject}: kit {done.kit} (stratum {done.stratum}, slot "
        f"{done.seq}) by {done.allocated_by} at {done.allocated_at_utc.isoformat()}"
    )


@app.command()
def reveal(
    subject: Annotated[str, typer.Argument(help="The subject identifier.")],
    db: DbOpt,
    list_file: ListOpt,
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why the arm must be revealed.")],
) -> None:
    """Unblind one subject; the request is recorded in the ledger for good."""
    with Ledger.open(db, load(list_file)) as ledger:
        shown = ledger.reveal(subject, reason=reason, by=by)
    typer.echo(f"subject {shown.subject} (kit {shown.kit}): arm {shown.arm}")
    typer.echo(
        f"recorded: revealed to {shown.revealed_by} at "
        f"{shown.revealed_at_utc.isoformat()}, reason: {shown.reason}"
    )
