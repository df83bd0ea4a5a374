"""Shared fixtures: the reference values stored in tests/reference/."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"


def load_reference(name: str) -> dict[str, Any]:
    """One reference file; every file must say where its numbers come from."""
    data: dict[str, Any] = json.loads((REFERENCE_DIR / name).read_text(encoding="utf-8"))
    if not data.get("source"):
        raise ValueError(f"{name} has no 'source' field")
    return data


@pytest.fixture
def reference() -> Callable[[str], dict[str, Any]]:
    return load_reference
