"""Fixtures of the protocol tests."""

from __future__ import annotations

from typing import Any

import pytest

from tests.protocol.helpers import piepers_data


@pytest.fixture
def piepers() -> dict[str, Any]:
    """piepers-2007.toml as parsed TOML, a fresh copy for each test."""
    return piepers_data()
