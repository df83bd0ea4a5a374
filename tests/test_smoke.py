"""The package imports and the command line answers."""

import subprocess
import sys

import mmntrial


def test_version_is_set() -> None:
    assert mmntrial.__version__ != "0+unknown"


def test_cli_version_exits_zero() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mmntrial", "--version"], capture_output=True, text=True
    )
    assert done.returncode == 0
    assert done.stdout.startswith("mmntrial ")
