"""docs/capture.md states the permission table and the roles as the code has them."""

from __future__ import annotations

from pathlib import Path

from mmntrial.capture.permissions import ROLE_PURPOSE, Role, role_table

DOC = (Path(__file__).parents[2] / "docs" / "capture.md").read_text(encoding="utf-8")


def test_the_page_holds_the_permission_table_generated_from_the_code() -> None:
    assert role_table() in DOC


def test_every_role_is_described() -> None:
    assert set(ROLE_PURPOSE) == set(Role)
    for role, purpose in ROLE_PURPOSE.items():
        assert f"- `{role.value}`: {purpose}." in DOC
