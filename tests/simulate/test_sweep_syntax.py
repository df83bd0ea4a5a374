"""The grid syntax of the command line and the sweep file, owned by simulate.sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

from mmntrial.errors import SimulationError
from mmntrial.simulate.sweep.syntax import parse_assignment, parse_values, sweep_plan


def test_values_are_numbers_where_they_can_be() -> None:
    assert parse_values("14, 28", "--n-per-arm") == [14, 28]
    assert parse_values("0,0.25", "--effect") == [0, 0.25]
    assert parse_values("every_infusion,12", "--set") == ["every_infusion", 12]


def test_an_empty_value_names_the_option() -> None:
    with pytest.raises(SimulationError, match=r"--effect: got '0,', expected comma-separated"):
        parse_values("0,", "--effect")


def test_an_assignment_needs_a_key_and_an_equals_sign() -> None:
    assert parse_assignment("grip_kpa=8,12", "--threshold", prefix="threshold.") == (
        "threshold.grip_kpa",
        [8, 12],
    )
    for item in ("grip_kpa", "=8,12"):
        with pytest.raises(SimulationError, match=r"--threshold: got .*, expected KEY=v1,v2"):
            parse_assignment(item, "--threshold")


def test_options_alone_use_the_defaults_and_a_file_takes_the_options_settings(
    tmp_path: Path,
) -> None:
    plan = sweep_plan(None, {"effect": [0, 0.5]}, {"trials": 4})
    assert (plan.trials, plan.seed, plan.protocol.name) == (4, 1, "piepers-2007")
    assert [p.effect for p in plan.points] == [0.0, 0.5]
    grid = tmp_path / "grid.toml"
    grid.write_text("[sweep]\ntrials = 3\nseed = 9\n[grid]\neffect = [0.5]\n")
    from_file = sweep_plan(grid, {}, {"trials": 2})
    assert (from_file.trials, from_file.seed) == (2, 9)


def test_axes_in_the_file_and_as_options_are_refused(tmp_path: Path) -> None:
    grid = tmp_path / "grid.toml"
    grid.write_text("[grid]\neffect = [0.5]\n")
    with pytest.raises(SimulationError, match=r"grid axes: got \['effect'\] as options and"):
        sweep_plan(grid, {"effect": [0.0]}, {})
