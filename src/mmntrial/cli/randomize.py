"""The ``mmntrial randomize`` command group: lists, assessment, the ledger.

Commands: ``generate``, ``verify``, ``extend``, ``assess``, ``init``, ``allocate``,
``reveal``, ``head``, ``audit``, ``unblindings``. Every user error is a
RandomizationError, StorageError (or ProtocolError), which ``cli.app.main`` turns into
one line and exit code 2.
"""

from __future__ import annotations

import importlib
import json
import math
import secrets
import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from mmntrial.errors import RandomizationError
from mmntrial.protocol.model import AllocationMethod
from mmntrial.randomization.assess import assess as run_assess
from mmntrial.randomization.audit import audit as run_audit
from mmntrial.randomization.audit import list_unblindings
from mmntrial.randomization.design import AllocationDesign
from mmntrial.randomization.ledger import Ledger
from mmntrial.randomization.listfile import load, save
from mmntrial.randomization.lists import AllocationList
from mmntrial.randomization.lists import extend as extend_list
from mmntrial.randomization.lists import generate as generate_list
from mmntrial.randomization.lists import verify as verify_list
from mmntrial.randomization.options import DesignOptions, design_from_options, pairs
from mmntrial.randomization.slots import SlotList, read_either, slots_of
from mmntrial.randomization.slots import save as save_slots
from mmntrial.storage.chain import Head

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
ListOpt = Annotated[
    Path,
    typer.Option(
        "--list",
        help="The slots file (what an allocator holds); a minimization list needs the list file.",
    ),
]
KeyOpt = Annotated[
    Path, typer.Option("--list", help="The list file: the sealed key (seed and arms).")
]
SlotsOpt = Annotated[
    Path | None,
    typer.Option("--slots", help="Where to write the allocator's slots file [LIST.slots.json]."),
]
ForceOpt = Annotated[
    bool,
    typer.Option(
        "--force", help="Replace an existing list; the old one is kept as LIST.bak-TIMESTAMP."
    ),
]
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
    slots: SlotsOpt = None,
    force: ForceOpt = False,
) -> None:
    """Write an allocation list (the key) and its slots file; print the commitment."""
    slots_path = slots or slots_path_for(out)
    # Checked before any work: a bad path is reported at once, not after the list is made.
    check_output(out, "--out", replace=force)
    check_output(slots_path, "--slots", replace=True)
    if slots_path.resolve() == out.resolve():
        raise RandomizationError(
            f"--slots: got {str(slots_path)!r}, the path of --out; expected another file (the "
            "slots file goes to the allocator, the list file stays sealed)"
        )
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
    per_stratum = math.ceil(size * (1 + headroom))
    lst = generate_list(design, per_stratum, seed)
    if force and out.exists():
        typer.echo(f"previous list kept at {backup(out)}")
    save(lst, out)
    save_slots(slots_of(lst), slots_path)
    per = {s: len(lst.slots(s)) for s in design.strata()}
    typer.echo(f"list: {out} ({len(lst.rows)} rows, method {lst.method})")
    typer.echo(f"slots file for allocation (no arms, no seed): {slots_path}")
    typer.echo(f"slots per stratum: {per_stratum} requested ({size} + {headroom:.0%} headroom)")
    for stratum, count in per.items():
        typer.echo(f"  {stratum}: {count}")
    typer.echo("keep the list file sealed: it holds the seed and the arms")
    typer.echo(f"commitment (SHA-256, publish this): {lst.commitment}")


@app.command()
def verify(
    list_file: Annotated[Path, typer.Argument(metavar="LIST", help="The list file.")],
    commitment: Annotated[
        str | None, typer.Option(help="The published commitment to check against.")
    ] = None,
    slots: Annotated[
        Path | None, typer.Option("--slots", help="A slots file to check against the list.")
    ] = None,
) -> None:
    """Re-derive the list from its parameters and seed; check rows and commitments."""
    lst = load(list_file)
    sha = verify_list(lst, commitment)
    typer.echo(f"ok: {list_file} ({len(lst.rows)} rows) matches its parameters and seed")
    if slots is not None:
        given = read_either(slots)
        if not isinstance(given, SlotList) or given != slots_of(lst):
            raise RandomizationError(
                f"--slots: got {str(slots)!r}, which is not the slots file of {str(list_file)!r}"
                " (its slots, kits or commitments differ); write it again with `mmntrial "
                "randomize extend` or `generate`"
            )
        typer.echo(f"ok: {slots} holds this list's slots (slots_sha256 {given.sha256})")
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
    slots: SlotsOpt = None,
) -> None:
    """Lengthen a list or add factor levels; committed rows never change."""
    target = out or list_file
    slots_path = slots or slots_path_for(target)
    if out is not None:
        check_output(out, "--out", replace=False)
    check_output(slots_path, "--slots", replace=True)
    old = load(list_file)
    verify_list(old)
    additions: dict[str, list[str]] = {}
    for name, level in (item.partition("=")[::2] for item in add_level or []):
        if not name or not level:
            raise RandomizationError(f"--add-level: got {add_level!r}, expected FACTOR=LEVEL")
        additions.setdefault(name, []).append(level)
    new = extend_list(old, size, additions)
    save(new, target)
    save_slots(slots_of(new), slots_path)
    typer.echo(f"list: {target} ({len(old.rows)} -> {len(new.rows)} rows)")
    typer.echo(f"slots file for allocation (no arms, no seed): {slots_path}")
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
def init(
    db: DbOpt,
    list_file: ListOpt,
) -> None:
    """Create the ledger for a list; print its head (allocate never creates one)."""
    with Ledger.open(db, read_either(list_file), create=True) as ledger:
        head = ledger.head()
    typer.echo(f"ledger: {db} ready for list {ledger.slots.commitment}")
    typer.echo(f"ledger head (keep it: COUNT:HASH): {head}")


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
    """Randomize a subject: print the slot and kit code (never the arm) and the new head."""
    strata = pairs("--stratum", stratum)
    with Ledger.open(db, read_either(list_file), create=False) as ledger:
        done = ledger.allocate(subject, strata, by=by)
    typer.echo(
        f"subject {done.subject}: kit {done.kit} (stratum {done.stratum}, slot "
        f"{done.seq}) by {done.allocated_by} at {done.allocated_at_utc.isoformat()}"
    )
    typer.echo(f"ledger head (keep it: COUNT:HASH): {done.head}")


@app.command()
def reveal(
    subject: Annotated[str, typer.Argument(help="The subject identifier.")],
    db: DbOpt,
    list_file: KeyOpt,
    by: ByOpt,
    reason: Annotated[str, typer.Option(help="Why the arm must be revealed.")],
) -> None:
    """Unblind one subject (needs the list file, the key); recorded in the ledger for good."""
    key = read_either(list_file)
    if not isinstance(key, AllocationList):
        raise RandomizationError(
            f"--list: got the slots file {str(list_file)!r}, expected the list file (the "
            "sealed key with seed and arms), which only the unblinded roles hold"
        )
    with Ledger.open(db, key, create=False) as ledger:
        shown = ledger.reveal(subject, reason=reason, by=by)
    typer.echo(f"subject {shown.subject} (kit {shown.kit}): arm {shown.arm}")
    typer.echo(
        f"recorded: revealed to {shown.revealed_by} at "
        f"{shown.revealed_at_utc.isoformat()}, reason: {shown.reason}"
    )


@app.command()
def head(db: DbOpt) -> None:
    """Check the whole ledger and print its head (COUNT:HASH), for a DSMB or sponsor."""
    typer.echo(str(run_audit(db).head))


@app.command()
def audit(
    db: DbOpt,
    head: Annotated[
        str | None, typer.Option("--head", help="A head taken earlier (COUNT:HASH).")
    ] = None,
) -> None:
    """Check every ledger entry (and an earlier head); exit 2 naming the first bad one."""
    given = None if head is None else Head.parse(head, "--head")
    report = run_audit(db, given)
    typer.echo(
        f"ok: ledger {db} intact: {report.head.count} entries ({report.lists} list versions, "
        f"{report.allocations} allocations, {report.unblindings} unblindings)"
    )
    if given is not None:
        typer.echo(f"ok: it starts with the {given.count} entries of the head given")
    typer.echo(f"ledger head: {report.head}")


@app.command()
def unblindings(
    db: DbOpt,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List every unblinding: who, when, which subject and why (never the arm)."""
    records = list_unblindings(db)
    if as_json:
        rows = [
            {
                "subject": r.subject,
                "kit": r.kit,
                "revealed_by": r.revealed_by,
                "revealed_at_utc": r.revealed_at_utc.isoformat(),
                "reason": r.reason,
            }
            for r in records
        ]
        typer.echo(json.dumps(rows, indent=1))
        return
    table = Table(title=f"unblindings: {len(records)}")
    for column in ("when (UTC)", "who", "subject", "kit", "why"):
        table.add_column(column)
    for r in records:
        # Text, not markup: a reason may hold [brackets] that Rich would read as styles.
        cells = (r.revealed_at_utc.isoformat(), r.revealed_by, r.subject, r.kit, r.reason)
        table.add_row(*(Text(cell) for cell in cells))
    Console(highlight=False).print(table)


def slots_path_for(list_path: Path) -> Path:
    """The slots file written beside a list: ``list.json`` gives ``list.slots.json``."""
    return list_path.with_name(f"{list_path.stem}.slots{list_path.suffix or '.json'}")


def check_output(path: Path, option: str, *, replace: bool) -> None:
    """Refuse an output path in a missing folder, a directory, or (unless ``replace``) a file."""
    if path.is_dir():
        raise RandomizationError(f"{option}: got {str(path)!r}, a directory; expected a file")
    if not path.parent.is_dir():
        raise RandomizationError(
            f"{option}: got {str(path)!r}, in a folder that does not exist "
            f"({str(path.parent)!r}); expected a file in an existing folder"
        )
    if path.exists() and not replace:
        raise RandomizationError(
            f"{option}: got {str(path)!r}, which exists; expected a new file (a list is "
            "never overwritten: choose another path, or --force to replace it and keep the "
            "old one as a backup beside it)"
        )


def backup(path: Path) -> Path:
    """Copy ``path`` beside itself as ``NAME.bak-YYYYMMDDTHHMMSSZ`` (never over a backup)."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    target = path.with_name(f"{path.name}.bak-{stamp}")
    number = 1
    while target.exists():
        number += 1
        target = path.with_name(f"{path.name}.bak-{stamp}-{number}")
    shutil.copy2(path, target)  # copy2 keeps the 0600 mode
    return target
