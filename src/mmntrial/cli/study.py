"""``mmntrial study``: a new study database (``init``), the list it allocates from (``list``),
the vial sizes of a site (``vials``), the study as a dataset (``export``, unblinded) and
as CDISC ODM 1.3.2 XML (``odm``, blinded)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mmntrial.capture import allocation
from mmntrial.capture.passwords import check_password
from mmntrial.capture.site_vials import checked_vials, parsed_sizes, set_vials
from mmntrial.capture.study import all_sites, init_study, load_study, site_codes
from mmntrial.cli.studydb import DbOpt, open_existing, operator, read_password
from mmntrial.errors import CaptureError
from mmntrial.identifiers import checked_identifier
from mmntrial.protocol.loader import load_protocol
from mmntrial.randomization.slots import SlotList, read_either
from mmntrial.storage import Database

app = typer.Typer(
    no_args_is_help=True,
    help="Start a study for the capture app; load its list; set vial sizes; export it.",
)


@app.command()
def init(
    protocol: Annotated[
        str, typer.Option("--protocol", help="Built-in protocol name or TOML path.")
    ],
    db: DbOpt,
    site: Annotated[str, typer.Option("--site", help="Site codes, comma-separated: AMC,UMCU.")],
    admin: Annotated[str, typer.Option("--admin", help="User name of the first administrator.")],
) -> None:
    """Store the protocol, the sites and the first admin (password: MMNTRIAL_PASSWORD or asked)."""
    codes = site_codes(site)
    name = checked_identifier("--admin", admin, CaptureError)
    # Everything that can be checked without the database is checked before it is
    # opened: opening creates it, and a refused init must not leave an empty one behind.
    password = check_password(read_password(name))
    load_protocol(protocol)
    with Database.open(db) as database, database.write() as conn:
        made = init_study(conn, protocol, codes, name, password)
    typer.echo(f"study: protocol {made.protocol_name} (content hash {made.protocol_hash[:16]}...)")
    typer.echo(f"sites: {', '.join(codes)}; admin: {name}")
    typer.echo(f"next: mmntrial serve --db {db}")


@app.command("list")
def load_list(
    db: DbOpt,
    slots: Annotated[
        Path,
        typer.Option(
            "--slots", help="The slots file of the study's list (list.slots.json: no arms)."
        ),
    ],
) -> None:
    """Load the list the study allocates from: its slots file, checked against the protocol."""
    given = read_either(slots)
    if not isinstance(given, SlotList):
        raise CaptureError(
            f"--slots: got the list file {str(slots)!r} (the sealed key, with its seed and "
            "arms), expected its slots file (list.slots.json); give the key to `mmntrial "
            "serve --key` only, never to the database"
        )
    with open_existing(db) as database:
        with database.write() as conn:
            study = load_study(conn)
            allocation.check_list(given, study.protocol, all_sites(conn))
            allocation.store_list(conn, given, operator())
        # The ledger checks the list and records it (an extension of its earlier list only).
        allocation.open_ledger(database, given, None)
    typer.echo(f"list {given.commitment} loaded: {len(given.rows)} slots")
    typer.echo(f"next: mmntrial serve --db {db} [--key LIST.json for the unblinded views]")


@app.command("vials")
def set_site_vials(
    db: DbOpt,
    site: Annotated[str, typer.Option("--site", help="The site whose pharmacy stocks them.")],
    sizes: Annotated[
        str, typer.Option("--sizes", help="Vial sizes in grams, comma-separated: 5,10,20.")
    ],
    tolerance: Annotated[
        float,
        typer.Option(
            "--tolerance",
            help="How far a dispensed dose may be from the engine's, in percent of it.",
        ),
    ],
    reason: Annotated[
        str | None, typer.Option("--reason", help="Why a site's setting is changed.")
    ] = None,
) -> None:
    """Set the vial sizes a site stocks: the engine panel gives the dose in whole vials."""
    vials = checked_vials(parsed_sizes(sizes), tolerance)
    code = checked_identifier("--site", site, CaptureError)
    with open_existing(db) as database, database.write() as conn:
        load_study(conn)
        first = set_vials(conn, code, vials, operator(), reason)
    shown = ", ".join(f"{size:g}" for size in vials.sizes_g)
    typer.echo(
        f"site {code}: vials of {shown} g, tolerance {vials.tolerance_percent:g}% "
        f"({'set' if first else 'changed'})"
    )


@app.command()
def export(
    db: DbOpt,
    out: Annotated[Path, typer.Option("--out", help="The dataset folder (replaced whole).")],
    key: Annotated[
        Path,
        typer.Option(
            "--key", help="The study's list file (the sealed key): the export is unblinded."
        ),
    ],
    format: Annotated[str, typer.Option("--format", help="parquet or csv.")] = "parquet",
) -> None:
    """Write the study as a dataset (docs/dataset.md), arms included: data manager only."""
    from mmntrial.atomic import check_output_folder
    from mmntrial.capture.dataset_export import export_study, write_checked
    from mmntrial.dataset.io import DATASET_FILES, FORMATS
    from mmntrial.randomization.listfile import load

    if format not in FORMATS:
        raise CaptureError(f"--format: got {format!r}, expected one of {', '.join(FORMATS)}")
    target = check_output_folder(out, "--out", owned=DATASET_FILES)
    sealed = load(key)
    with open_existing(db) as database:
        dataset, protocol = export_study(database, sealed, operator())
    written = write_checked(dataset, protocol, target, "csv" if format == "csv" else "parquet")
    typer.echo(
        f"dataset: {len(written.subjects)} subjects, {len(written.screening)} screened, "
        f"written to {target} (validated)"
    )
    typer.echo(f"provenance: {written.meta.notes}")
    typer.echo(f"next: mmntrial analyze {target}")


@app.command()
def odm(
    db: DbOpt,
    out: Annotated[Path, typer.Option("--out", help="The ODM 1.3.2 XML file to write.")],
) -> None:
    """Write the study's clinical data as CDISC ODM 1.3.2 XML: blinded, no arm or kit code."""
    from mmntrial.atomic import check_output_file
    from mmntrial.capture.odm_export import export_odm

    target = check_output_file(out, "--out", suffix=".xml")
    with open_existing(db) as database:
        head, subjects = export_odm(database, target)
    typer.echo(
        f"ODM 1.3.2: {subjects} participants and the screening log written to {target} (blinded)"
    )
    typer.echo(f"audit trail head: {head}")
