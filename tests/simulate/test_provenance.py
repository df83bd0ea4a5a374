"""The provenance record and its content hashes: stable across formatting, not content."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import mmntrial
from mmntrial.protocol.loader import load_protocol
from mmntrial.simulate.population import load_population
from mmntrial.simulate.provenance import plan_record, population_hash, protocol_hash
from mmntrial.simulate.reproduce import differences, frame_differences
from mmntrial.simulate.sweep import make_plan

PIEPERS = resources.files("mmntrial.protocol").joinpath("builtin/piepers-2007.toml")
DEFAULT = resources.files("mmntrial.simulate.population").joinpath("builtin/mmn-default.toml")


def _uncommented(line: str) -> str:
    """``line`` without its comment (a ``#`` outside a string)."""
    quoted = False
    for position, char in enumerate(line):
        quoted ^= char == '"'
        if char == "#" and not quoted:
            return line[:position].rstrip()
    return line


def _reformatted(text: str) -> str:
    """The same TOML content written differently: no comments, more blank lines,
    ``25`` as ``25.0``."""
    lines = [_uncommented(line) for line in text.splitlines()]
    out = (
        "\n".join(lines)
        .replace("\n[", "\n\n\n[")
        .replace("step_percent = 25\n", "step_percent = 25.0\n")
    )
    assert "step_percent = 25.0" in out
    return out + "\n"


def test_the_protocol_hash_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    builtin = protocol_hash(load_protocol("piepers-2007"))
    text = PIEPERS.read_text(encoding="utf-8")
    same = tmp_path / "same.toml"
    same.write_text(_reformatted(text), encoding="utf-8")
    assert "ASSUMPTION" not in same.read_text(encoding="utf-8")
    assert protocol_hash(load_protocol(same)) == builtin
    changed = tmp_path / "changed.toml"
    changed.write_text(_reformatted(text).replace("step_percent = 25.0", "step_percent = 50"))
    assert protocol_hash(load_protocol(changed)) != builtin


def test_the_population_hash_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    builtin = population_hash(load_population("mmn-default"))
    text = DEFAULT.read_text(encoding="utf-8")
    same = tmp_path / "same.toml"
    same.write_text("# a copy\n\n" + text.replace("\n[", "\n\n\n["), encoding="utf-8")
    assert population_hash(load_population(same)) == builtin
    changed = tmp_path / "changed.toml"
    changed.write_text(
        text.replace("CL_L_per_day = { value = 0.308", "CL_L_per_day = { value = 0.31")
    )
    assert "0.31," in changed.read_text() or "0.31 " in changed.read_text()
    assert population_hash(load_population(changed)) != builtin


def test_a_record_names_every_input_of_a_simulation() -> None:
    plan = make_plan(
        protocol="piepers-2007",
        population="mmn-default",
        axes={"effect": [0.5]},
        trials=30,
        seed=7,
        chunk_trials=10,
    )
    record = plan_record(plan, "simulate")
    assert record["kind"] == "simulate"
    assert record["protocol"]["name"] == "piepers-2007"
    assert record["protocol"]["source"] == "builtin:piepers-2007"
    assert record["protocol"]["sha256"] == protocol_hash(plan.protocol)
    assert record["population"]["sha256"] == population_hash(plan.population)
    assert (record["seed"], record["trials"], record["chunk_trials"]) == (7, 30, 10)
    # Not an axis: the population's own size, resolved.
    assert record["n_per_arm"] == plan.population.trial.n_per_arm == 14
    assert record["effect"] == 0.5
    assert record["software"]["version"] == mmntrial.__version__


def test_a_sweep_record_leaves_what_the_grid_varies_to_the_grid() -> None:
    plan = make_plan(
        protocol="piepers-2007",
        population="mmn-default",
        axes={"n_per_arm": [10, 20], "effect": [0, 0.5]},
        trials=2,
        seed=1,
    )
    record = plan_record(plan, "sweep")
    assert record["n_per_arm"] is None
    assert record["effect"] is None
    assert record["grid"] == {"n_per_arm": [10, 20], "effect": [0, 0.5]}


def test_differences_name_the_cell() -> None:
    import pandas as pd

    old = pd.DataFrame({"trial": [0, 1], "p": [0.5, 0.25]})
    new = pd.DataFrame({"trial": [0, 1], "p": [0.5, 0.3]})
    assert frame_differences(old, new, "trial") == (["trial 1, p: recorded 0.25, re-run 0.3"], 1)
    assert frame_differences(old, new[["p", "trial"]], "trial")[0][0].startswith("columns")
    many = pd.DataFrame({"trial": range(100), "p": 0.5, "arm": "mmf"})
    other = many.assign(p=0.5 + 1e-9, arm=["mmf"] * 99 + ["placebo"])
    lines, total = frame_differences(many, other, "trial")
    assert total == 101
    assert lines[0] == "trial 0, p: recorded 0.5, re-run 0.500000001"
    assert len(lines) == 5
    # Within the tolerance: the last bits of another CPU.
    assert frame_differences(many, many.assign(p=0.5 * (1 + 1e-15)), "trial") == ([], 0)
    assert differences({"a": 1}, {"a": 1, "b": 2}) == ["b: recorded nothing, re-run 2"]
