"""docs/storage.md stays true to the storage package."""

from __future__ import annotations

from pathlib import Path

import mmntrial.storage as storage
from mmntrial.storage.migrate import MIGRATIONS

DOC = Path(__file__).resolve().parents[2] / "docs" / "storage.md"


def test_every_exported_name_is_documented() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert [name for name in storage.__all__ if f"`{name}`" not in text] == []


def test_every_revision_file_follows_the_documented_naming() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert "`vNNNN_what.py`" in text
    for revision in (MIGRATIONS / "versions").glob("*.py"):
        if revision.name != "__init__.py":
            assert revision.name.startswith("v"), revision.name
            assert revision.name[1:5].isdigit(), revision.name
            assert f"revision `{revision.name[1:5]}`" in text, revision.name
