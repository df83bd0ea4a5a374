"""docs/safety.md shows the grading rules the code grades with."""

from __future__ import annotations

from pathlib import Path

from mmntrial.safety.describe import rules_table

DOC = (Path(__file__).parents[2] / "docs" / "safety.md").read_text(encoding="utf-8")


def test_the_page_holds_the_rules_table_generated_from_the_data() -> None:
    assert rules_table() in DOC
