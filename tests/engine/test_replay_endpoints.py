"""The replay never claims a primary endpoint before its day (issue 11, item 3).

A history that ends before the primary endpoint day, of a patient who has not
withdrawn, says nothing yet about the regimen on that day: however far the dose has
come down, a visit before that day may still confirm a deterioration and restore it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mmntrial.engine.endpoints import endpoint_values
from mmntrial.engine.replay import replay
from mmntrial.engine.states import Action
from mmntrial.measures.history import PatientHistory
from tests.engine.builders import VISIT_DAYS, history, infusions, piepers

EXAMPLE = Path(__file__).parents[2] / "examples" / "piepers-2007-histories.csv"
PRIMARY_DAY = 365


def cut(days_until: int) -> PatientHistory:
    """A stable patient whose records stop after ``days_until`` (no withdrawal)."""
    visits = tuple(d for d in VISIT_DAYS if d <= days_until)
    return history(visit_days=visits, regimen=infusions(until=days_until + 1))


@pytest.mark.parametrize("last", [0, 91, 196, 280, 364])
def test_a_history_that_ends_before_the_primary_day_is_pending(last: int) -> None:
    p = piepers()
    result = replay(p, [cut(last)])
    (values,) = endpoint_values(p, result)
    assert values.last_day == last
    assert values.pending
    assert not values.reached_primary
    assert values.reduction_percent is None
    assert values.intensity_g_per_kg_week is None
    assert values.primary_status == f"pending until day {PRIMARY_DAY}"


def test_pending_even_when_the_dose_is_already_below_the_target() -> None:
    # By day 196 the taper is at 0%: a full reduction, but day 365 is not here yet.
    p = piepers()
    result = replay(p, [cut(200)])
    assert result.decisions[0][-1].action is Action.REDUCE
    assert result.decisions[0][-1].reduction_percent == pytest.approx(100.0)
    (values,) = endpoint_values(p, result)
    assert values.pending
    assert not values.reached_primary


def test_a_history_that_reaches_the_primary_day_is_judged() -> None:
    p = piepers()
    (values,) = endpoint_values(p, replay(p, [history()]))
    assert values.last_day == PRIMARY_DAY
    assert not values.pending
    assert values.reached_primary
    assert values.primary_status == "reached"


def test_a_withdrawal_before_the_primary_day_is_judged_not_pending() -> None:
    p = piepers()
    patient = history(withdrawal_day=200, visit_days=(0, 30, 61, 91, 122, 152, 182))
    (values,) = endpoint_values(p, replay(p, [patient]))
    assert not values.pending
    assert values.primary_status == "not reached"  # withdrawal = "failure"


def test_patients_are_judged_each_on_their_own_history() -> None:
    p = piepers()
    result = replay(p, [history("whole"), cut(200)])
    statuses = [v.primary_status for v in endpoint_values(p, result)]
    assert statuses == ["reached", "pending until day 365"]


def test_the_command_line_says_pending_and_never_reached(tmp_path: Path) -> None:
    lines = EXAMPLE.read_text(encoding="utf-8").splitlines()
    header, rows = lines[0], lines[1:]
    short = [r for r in rows if r.startswith("P01-floor,") and int(r.split(",")[1]) <= 200]
    path = tmp_path / "short.csv"
    path.write_text("\n".join([header, *short]) + "\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "mmntrial", "engine", "replay", str(path)],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    row = next(line for line in done.stdout.splitlines() if line.startswith("│ P01-floor"))
    assert "pending until day 365" in row
    assert "reached" not in row
    assert "P01-floor: the history ends on day 196; the primary endpoint (day 365)" in (
        " ".join(done.stdout.split())
    )
    assert "is not yet assessable" in done.stdout
