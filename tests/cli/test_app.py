"""The root command: every command listed with its help, imported only when it is run."""

from __future__ import annotations

import inspect
import json
import subprocess
import sys

import pytest

from mmntrial.cli.app import COMMANDS, main
from mmntrial.cli.lazy import LazyCommand, LazySpec

# What a site nurse asking for help or checking a protocol must not wait for.
HEAVY = ("pandas", "scipy", "statsmodels", "lifelines", "matplotlib", "numba", "dask",
         "weasyprint", "pyarrow", "sqlalchemy")  # fmt: skip

# Runs the command line as `python -m mmntrial` would, then names the heavy packages loaded.
_WRAPPER = """
import json, sys
from mmntrial.cli.app import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
heavy = json.loads({heavy!r})
print(json.dumps(sorted(name for name in heavy if name in sys.modules)))
"""


def _heavy_modules_after(*args: str) -> list[str]:
    code = _WRAPPER.format(heavy=json.dumps(HEAVY))
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True
    )
    loaded: list[str] = json.loads(done.stdout.splitlines()[-1])
    return loaded


@pytest.mark.parametrize(
    "args", [("--help",), ("protocol", "check", "piepers-2007"), ("protocol", "--help")]
)
def test_help_and_protocol_check_import_nothing_heavy(args: tuple[str, ...]) -> None:
    assert _heavy_modules_after(*args) == []


def _first_paragraph(text: str | None) -> str:
    return " ".join(inspect.cleandoc(text or "").split("\n\n")[0].split())


def test_the_root_help_lists_every_command_with_its_help() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mmntrial", "--help"],
        capture_output=True,
        text=True,
        env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 0, done.stderr
    rows = {" ".join(line.strip("│ ").split()) for line in done.stdout.splitlines()}
    for spec in COMMANDS:
        assert f"{spec.name} {spec.help}" in rows


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
def test_each_declared_help_line_is_the_commands_own(spec: LazySpec) -> None:
    assert _first_paragraph(spec.load().help) == spec.help


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda spec: spec.name)
def test_each_command_runs(spec: LazySpec, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([spec.name, "--help"])
    assert exit_info.value.code == 0
    assert f" {spec.name} [OPTIONS]" in capsys.readouterr().out


def test_a_stand_in_loads_its_command_once() -> None:
    stand_in = LazyCommand(COMMANDS[-1])
    assert stand_in.load() is stand_in.load()


def test_a_typo_is_still_answered_with_the_closest_command(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["protocl", "check", "piepers-2007"])
    assert exit_info.value.code == 2
    assert "Did you mean 'protocol'?" in capsys.readouterr().err
