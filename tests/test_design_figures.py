"""benchmarks/design_figures.py runs on every built-in protocol (a small run, no figures checked).

The script gives the before/after figures of issue 11; this keeps it running as the
engine and the protocol format change.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from mmntrial.protocol.loader import builtin_names

SCRIPT = Path(__file__).parents[1] / "benchmarks" / "design_figures.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("design_figures", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_design_figures_prints_every_figure_for_every_built_in_protocol(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    script = load_script()
    argv = [str(SCRIPT), "--trials", "4", "--patients", "28", "--seed", "3"]
    monkeypatch.setattr(sys, "argv", argv)
    script.main()
    blocks = capsys.readouterr().out.split("\n\n")
    for name in builtin_names():
        block = next(b for b in blocks if b.startswith(f"{name}\n"))
        assert "false alarms: " in block
        assert "with the dose held at 99.99%" in block
        assert block.count("type I error") == 2
        assert block.count("power") == 2
