"""``mmntrial size`` from the command line: the answer, JSON, and bad input refused."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mmntrial.cli.app import app, main

RUNNER = CliRunner()


def test_size_prints_the_answer_its_curve_harm_and_how_to_reproduce_it() -> None:
    result = RUNNER.invoke(
        app, ["size", "--effect", "0.5", "--power", "0.6", "--max-trials", "1000",
              "--precision", "0.2", "--max-weeks-deteriorated", "1"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "patients per arm" in result.output
    assert "Power by size" in result.output
    assert "Harm limit of 1 weeks of weakness per patient in every arm: NOT met." in result.output
    assert "reproduce: mmntrial size --protocol piepers-2007 --population mmn-default " in (
        result.output
    )


def test_size_json_is_the_whole_answer() -> None:
    result = RUNNER.invoke(
        app, ["size", "--effect", "0.5", "--power", "0.6", "--max-trials", "1000",
              "--precision", "0.2", "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    n = answer["n_per_arm"]
    curve = {p["n_per_arm"]: p["power"] for p in answer["curve"]}
    assert answer["power_at_n"] == curve[n] >= 0.6 > curve[n - 1]
    assert set(answer["harm"]) == {"mmf", "placebo"}
    assert answer["harm_limit_met"] is None
    assert answer["command"].startswith("mmntrial size --protocol piepers-2007")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--effect", "1.5"], "--effect: got 1.5, expected in (0, 1)"),
        (["--effect", "0.5", "--power", "80"], "--power: got 80.0, expected in (0, 1)"),
        (["--effect", "0.5", "--max-n", "100000"], "--max-n: got 100000, expected 2-1000"),
        (["--effect", "0.5", "--protocol", "nope"], "nope"),
    ],
)
def test_bad_questions_exit_2_with_the_option_named(
    arguments: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["size", *arguments])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err
