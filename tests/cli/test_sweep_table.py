"""The sweep's terminal table fits 80 columns, cuts no header and shows the control's harm."""

from __future__ import annotations

import io

from rich.console import Console

from mmntrial.cli.sweep_table import sweep_table
from tests.report.test_sweep_figures import made_up_sweep


def test_the_table_of_four_axes_fits_80_columns_with_whole_headers() -> None:
    axes = {
        "n_per_arm": [8, 14],
        "effect": [0.0, 0.5],
        "taper.step_percent": [25, 50],
        "threshold.grip_kpa": [8, 12],
    }
    result = made_up_sweep(axes)
    records = result.to_frame().to_dict(orient="records")
    out = io.StringIO()
    Console(file=out, width=80, color_system=None).print(sweep_table(result, records))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "…" not in text
    for word in ("step", "percent", "grip", "kpa", "power", "placebo", "reached"):
        assert word in text
    # The control arm's weeks of weakness (12 in the made-up summaries) on every row.
    rows = [line for line in text.splitlines() if line.strip().startswith(("8 ", "14 "))]
    assert len(rows) == 16
    assert all(line.split()[-1] == "12.0" for line in rows)
