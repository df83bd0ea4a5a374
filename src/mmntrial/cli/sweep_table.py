"""The terminal table of ``mmntrial sweep``: one row per design, within 80 columns.

Headers are short and wrap onto lines of one word (never cut with an ellipsis); the control
arm's harm stands beside the drug arm's, so the table shows what a taper costs without
the drug too. ``sweep.csv`` has every figure in full.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.table import Table

from mmntrial.simulate.sweep import SweepResult

# Axis names as a header shows them: the last part of a dotted protocol key, one word a line.
_SHORT = {"n_per_arm": "n/arm"}


def axis_header(name: str) -> str:
    """A grid axis as a column header.

    >>> axis_header("taper.step_percent"), axis_header("n_per_arm")
    ('step\\npercent', 'n/arm')
    """
    return _SHORT.get(name, name.rsplit(".", 1)[-1].replace("_", "\n"))


def sweep_table(result: SweepResult, records: Sequence[Mapping[Any, Any]]) -> Table:
    """The table of a sweep; ``records`` are its rows as ``sweep.csv`` shows them."""
    plan = result.plan
    control = result.summaries[0].control_arm
    table = Table(
        title=f"{len(plan.points)} designs x {plan.trials:,} trials, seed {plan.seed}",
        box=box.SIMPLE_HEAD,  # no vertical rules: ten more columns for the figures
        padding=(0, 1),
    )
    names = list(plan.points[0].settings)
    headers = (
        *(axis_header(name) for name in names),
        "power",
        "drug\nreached",
        "saved\ng/yr",
        "weeks\nweak\ndrug",
        f"weeks\nweak\n{control}",
    )
    for header in headers:
        table.add_column(header, justify="right", overflow="fold")
    for record, summary in zip(records, result.summaries, strict=True):
        drug = summary.drug
        table.add_row(
            *(str(record[name]) for name in names),
            f"{100 * summary.rejection_rate:.1f}%",
            f"{100 * drug.proportion_reaching_primary:.1f}%",
            f"{drug.ivig_saved_g_per_patient_year:.0f}",
            f"{drug.weeks_deteriorated_per_patient:.1f}",
            f"{summary.control.weeks_deteriorated_per_patient:.1f}",
        )
    return table


__all__ = ["axis_header", "sweep_table"]
