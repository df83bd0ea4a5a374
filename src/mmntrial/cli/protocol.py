"""The ``mmntrial protocol`` command group: list, show and check protocols.

A protocol is named by a built-in name (``piepers-2007``) or a path to a TOML file.
An invalid protocol raises :class:`~mmntrial.errors.ProtocolError`; ``cli.app.main``
prints every problem and exits with code 2.
"""

from __future__ import annotations

import json

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from mmntrial.protocol.loader import builtin_names, load_protocol
from mmntrial.protocol.model import Criterion, Protocol, TaperMode
from mmntrial.protocol.serialize import protocol_to_dict

app = typer.Typer(no_args_is_help=True, help="List, show and check trial protocols.")

_PROTOCOL_ARG = typer.Argument(..., metavar="NAME|PATH", help="A built-in name or a TOML file.")


def _console() -> Console:
    # No markup and no highlighting: protocol texts quote sources as [S1], which Rich
    # would otherwise read as markup or colour at random.
    return Console(markup=False, highlight=False)


@app.command("list")
def list_protocols() -> None:
    """List the built-in protocols: name, title and taper mode."""
    table = Table(title="Built-in protocols")
    for column in ("name", "title", "taper mode"):
        table.add_column(column)
    for name in builtin_names():
        protocol = load_protocol(name)
        table.add_row(name, protocol.title, protocol.taper.mode.value)
    _console().print(table)


@app.command("show")
def show(
    protocol: str = _PROTOCOL_ARG,
    as_json: bool = typer.Option(False, "--json", help="Print the whole protocol as JSON."),
) -> None:
    """Show a protocol's whole design, readably or as JSON."""
    loaded = load_protocol(protocol)
    if as_json:
        typer.echo(json.dumps(protocol_to_dict(loaded), indent=2))
        return
    console = _console()
    for part in _summary(loaded):
        console.print(part)
        console.print()


@app.command("check")
def check(protocol: str = _PROTOCOL_ARG) -> None:
    """Validate a protocol; print every problem (exit code 2) or 'ok'."""
    load_protocol(protocol)
    typer.echo(f"ok: {protocol} is valid")


def _heading(text: str) -> Text:
    return Text(text, style="bold")


def _summary(p: Protocol) -> list[Table | Text]:
    # The file wraps its description at its own width; let the terminal wrap it instead.
    description = " ".join(p.description.split())
    head = Text.assemble(
        (p.title, "bold"),
        f"\n{p.name} version {p.version}  (from {p.origin or 'data'})",
        f"\n\n{description}" if description else "",
        f"\nsources: {', '.join(p.sources)}" if p.sources else "",
    )
    return [
        head,
        _arms(p),
        _eligibility(p),
        _schedule(p),
        _taper(p),
        _deterioration(p),
        _endpoints(p),
        _randomization_and_measures(p),
    ]


def _arms(p: Protocol) -> Table:
    table = Table(title="Arms", title_justify="left")
    for column in ("arm", "label", "drug", "ratio", "regimen"):
        table.add_column(column)
    for arm in p.arms:
        regimen = "\n".join(
            f"from day {s.from_day}: {s.dose_mg:g} mg x{s.times_per_day}"
            + (f" every {s.every_days} days" if s.every_days != 1 else " daily")
            for s in arm.regimen
        )
        table.add_row(arm.name, arm.label, arm.drug, str(arm.ratio), regimen)
    return table


def _eligibility(p: Protocol) -> Table:
    e = p.eligibility
    table = Table(title="Eligibility", title_justify="left", show_header=False)
    table.add_column("item")
    table.add_column("value")
    table.add_row("EFNS/PNS categories", ", ".join(e.efns_categories))
    table.add_row("IVIg response required", "yes" if e.ivig_response_required else "no")
    table.add_row("stable maintenance", f"{e.stable_maintenance_months} months")
    table.add_row("age", f"{e.age_min_years}-{e.age_max_years} years")
    table.add_row("IVIg interval", f"{e.ivig_interval_days_min}-{e.ivig_interval_days_max} days")
    for item in e.exclusions:
        table.add_row(f"exclusion {item.id}", item.text)
    return table


def _schedule(p: Protocol) -> Table:
    table = Table(title=f"Visits (baseline = mean of last {p.baseline.n_infusions} infusions)")
    table.title_justify = "left"
    for column in ("visit", "day", "window", "measures"):
        table.add_column(column)
    for visit in p.schedule.visits:
        window = f"+/-{visit.window_days}" if visit.window_days else "-"
        table.add_row(visit.name, str(visit.day), window, ", ".join(visit.measures))
    return table


def _taper(p: Protocol) -> Text:
    t = p.taper
    lines = [f"starts on day {t.start_day}, mode {t.mode.value}"]
    if t.mode is TaperMode.INTERVAL:
        lines.append(
            f"dose kept; interval +{t.interval_step_days} days per step, "
            f"at most {t.max_interval_days} days"
        )
    else:
        levels = " -> ".join(f"{level:g}%" for level in t.dose_levels_percent())
        lines.append(f"levels of baseline intensity: {levels}")
    cadence = t.cadence.value + (f" ({t.cadence_weeks} weeks)" if t.cadence_weeks else "")
    lines.append(f"cadence {cadence}; floor {t.floor_percent:g}% of baseline")
    after = t.after_deterioration.value
    if t.resume_after_weeks is not None:
        after += f" (after {t.resume_after_weeks} stable weeks)"
    lines.append(f"after a confirmed deterioration: {after}, back to {t.restore_to.value}")
    if t.rescue is not None:
        fired = "; ".join(_criterion_text(c) for c in t.rescue.criteria)
        lines.append(f"rescue {t.rescue.dose_g_per_kg:g} g/kg when any of: {fired}")
    return Text.assemble(_heading("Taper"), *(f"\n  {line}" for line in lines))


def _criterion_text(c: Criterion) -> str:
    sides = {"either": " (either side)", "both": " (both sides)"}
    side = "" if c.side is None else sides[c.side.value]
    return f"{c.measure} {c.direction.value} >= {c.threshold:g}{side} vs {c.reference.value}"


def _deterioration(p: Protocol) -> Text:
    d = p.deterioration
    confirm = (
        f"confirmed within {d.confirmation_days} days; unrepeated drops {d.unrepeated.value}"
        if d.confirmation_days
        else "a single assessment decides"
    )
    lines = [f"combine: {d.combine.value}; {confirm}; confirmed by {d.confirm_by.value}"]
    lines.append(
        f"pre-taper reference: {d.reference_statistic.value} of the last "
        f"{d.reference_assessments} assessments; renewed after "
        + (f"{d.renew_reference_after} stable assessments" if d.renew_reference_after else "never")
    )
    quiet = d.stable_assessments
    lines.append(f"stable at a dose after {quiet} quiet assessment{'s' * (quiet != 1)} in a row")
    lines.append(
        "a taper step needs every criterion assessed "
        + (
            f"within {d.assessed_within_days} days"
            if d.assessed_within_days is not None
            else "since the last step"
        )
    )
    lines += [_criterion_text(c) for c in d.criteria]
    return Text.assemble(_heading("Deterioration"), *(f"\n  {line}" for line in lines))


def _endpoints(p: Protocol) -> Table:
    primary = p.endpoints.primary
    table = Table(
        title=(
            f"Endpoints (primary: intensity reduced >= {primary.reduction_percent:g}% "
            f"at day {primary.day}; withdrawal = {primary.withdrawal.value})"
        ),
        title_justify="left",
    )
    for column in ("secondary", "kind", "measure", "day", "analysis"):
        table.add_column(column)
    for s in p.endpoints.secondary:
        day = "" if s.at_day is None else str(s.at_day)
        table.add_row(s.name, s.kind, s.measure or "", day, s.analysis)
    return table


def _randomization_and_measures(p: Protocol) -> Text:
    r = p.randomization
    lines = [f"method {r.method}; ratio " + ":".join(str(arm.ratio) for arm in p.arms)]
    if r.block_sizes:
        lines.append("block sizes " + ", ".join(map(str, r.block_sizes)))
    if r.strata:
        lines.append("strata " + ", ".join(r.strata))
    if r.minimization is not None:
        m = r.minimization
        weights = ", ".join(f"{name} {weight:g}" for name, weight in m.factor_weights)
        lines.append(f"minimization: {m.imbalance}, p = {m.p_preferred:g}; factors {weights}")
    ms = p.measures
    lines.append(
        f"MRC sum over {len(ms.mrc_muscles)} muscle groups per side; quarter steps "
        f"{'yes' if ms.mrc_quarter_steps else 'no'}; missing muscle: {ms.mrc_missing}; "
        f"functional scale {ms.functional_scale}"
    )
    return Text.assemble(_heading("Randomization and measures"), *(f"\n  {x}" for x in lines))
