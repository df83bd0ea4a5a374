"""Sweep files of the wrong shape, too large or too deep are refused, naming the key."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from mmntrial.errors import SimulationError
from mmntrial.inputs import MAX_TOML_BYTES
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.sweep.grid import design_points
from mmntrial.simulate.sweep.run import load_sweep


def _sweep(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sweep = 5\n", "sweep: got 5, expected a table [sweep]"),
        ("grid = 5\n", "grid: got 5, expected a table [grid]"),
        ("[sweep]\nprotocol = 5\n[grid]\neffect = [0]\n", "sweep.protocol: got 5, expected"),
        ("[sweep]\npopulation = [1]\n[grid]\neffect = [0]\n", "sweep.population: got [1]"),
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "got TOML nested too deeply to read"),
    ],
)
def test_a_sweep_file_of_the_wrong_shape_is_refused(
    tmp_path: Path, text: str, expected: str
) -> None:
    with pytest.raises(SimulationError, match="sweep file") as caught:
        load_sweep(_sweep(tmp_path, text))
    assert expected in str(caught.value)


def test_a_sweep_file_above_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "sweep.toml"
    path.write_bytes(b"#" * (MAX_TOML_BYTES + 1))
    with pytest.raises(SimulationError, match=r"at most 1,048,576 bytes \(1 MiB\)"):
        load_sweep(path)


def test_a_grid_beyond_the_cap_is_refused_before_any_design_is_built() -> None:
    axes = {"effect": [0.0] * 100, "n_per_arm": list(range(2, 22))}
    with pytest.raises(SimulationError, match=r"grid: got 100 x 20 = 2,000 design points"):
        design_points(load_protocol("piepers-2007"), axes)


def test_a_population_file_nested_too_deeply_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "people.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(SimulationError, match="POP-E002"):
        load_population(str(path))


def test_a_population_with_absurd_arms_is_refused_with_the_cap(tmp_path: Path) -> None:
    builtin = resources.files("mmntrial.simulate.population").joinpath("builtin/mmn-default.toml")
    text = builtin.read_text(encoding="utf-8").replace("value = 14,", "value = 100000000,", 1)
    path = tmp_path / "people.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SimulationError, match=r"trial.n_per_arm.value: got 100000000, .* <= 1000"):
        load_population(str(path))
