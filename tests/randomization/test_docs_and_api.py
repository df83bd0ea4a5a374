"""The docs name every command and option; the public API is pinned."""

from __future__ import annotations

from pathlib import Path

import typer.main

import mmntrial.randomization as randomization
from mmntrial.cli.randomize import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "randomization.md"


def test_every_command_and_option_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    group = typer.main.get_command(app)
    assert isinstance(group, typer.core.TyperGroup)
    assert set(group.commands) == {
        "generate",
        "verify",
        "extend",
        "assess",
        "init",
        "allocate",
        "reveal",
        "head",
        "audit",
        "unblindings",
    }
    for name, command in group.commands.items():
        assert f"`{name}" in text, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--") and opt != "--help":
                    assert opt in text, f"{name} {opt}"


def test_every_exported_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [name for name in randomization.__all__ if f"`{name}`" not in text]
    assert not missing


def test_public_api_is_pinned() -> None:
    assert randomization.__all__ == [
        "ALLOCATORS",
        "Allocation",
        "AllocationDesign",
        "AllocationList",
        "Allocator",
        "Assessment",
        "AuditReport",
        "Commitment",
        "Factor",
        "GroupBalance",
        "Imbalance",
        "Ledger",
        "MarginalCounts",
        "Method",
        "MinimizationSettings",
        "Revelation",
        "Row",
        "Slot",
        "SlotList",
        "Unblinding",
        "assess",
        "audit",
        "block_sequence",
        "canonical_text",
        "commitment_of",
        "design_from_parameters",
        "design_from_protocol",
        "extend",
        "generate",
        "kit_code",
        "kit_key",
        "list_unblindings",
        "load",
        "make_design",
        "minimize",
        "read_either",
        "save",
        "simple_sequence",
        "slots_of",
        "verify",
    ]
    assert all(hasattr(randomization, name) for name in randomization.__all__)
