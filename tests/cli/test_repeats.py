"""A single-valued option given twice is refused, naming it and both values; lists repeat."""

from __future__ import annotations

import pytest

from mmntrial.errors import RandomizationError, SimulationError
from mmntrial.randomization.options import pairs
from mmntrial.simulate.sweep.syntax import parse_assignments
from tests.cli.running import run_main


def _run(*args: str) -> tuple[int, str]:
    return run_main(args)


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("randomize", "allocate", "S1", "--db", "a.db", "--db", "b.db"),
         "--db: got 'a.db' and then 'b.db', expected the option once"),
        (("engine", "replay", "h.csv", "--protocol", "x", "-p", "y"),
         "--protocol: got 'x' and then 'y'"),
        (("simulate", "--trials", "5", "-n", "6"), "--trials: got '5' and then '6'"),
        (("analyze", "d", "--pdf", "--no-pdf"), "--pdf/--no-pdf: got both forms"),
        (("sweep", "--out", "o", "--seed", "1", "--seed=2"), "--seed: got '1' and then '2'"),
    ],
)  # fmt: skip
def test_a_repeated_single_valued_option_is_refused(args: tuple[str, ...], expected: str) -> None:
    code, output = _run(*args)
    assert code == 2, output
    assert expected in output
    assert "Traceback" not in output


def test_options_meant_to_repeat_still_repeat_per_key() -> None:
    assert pairs("--stratum", ["centre=AMC", "sex=F"]) == {"centre": "AMC", "sex": "F"}
    with pytest.raises(RandomizationError, match=r"--stratum: got centre='AMC' and then"):
        pairs("--stratum", ["centre=AMC", "centre=UMCU"])
    assert parse_assignments(["a=1", "b=2,3"], "--set") == {"a": [1], "b": [2, 3]}
    with pytest.raises(SimulationError, match=r"--set: got a twice \('a=1' and 'a=2'\)"):
        parse_assignments(["a=1", "a=2"], "--set")


def test_a_flag_given_twice_the_same_way_is_harmless() -> None:
    code, output = _run("simulate", "--json", "--json", "--trials", "0")
    assert code == 2, output
    assert "--trials: got 0, expected a whole number from 1 to 1,000,000" in output
