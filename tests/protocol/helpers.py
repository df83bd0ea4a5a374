"""Helpers of the protocol tests: the reference file as fresh, editable data."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources
from typing import Any

import pytest

from mmntrial.errors import ProtocolError
from mmntrial.protocol.loader import parse_protocol

_PIEPERS = tomllib.loads(
    resources.files("mmntrial.protocol")
    .joinpath("builtin/piepers-2007.toml")
    .read_text(encoding="utf-8")
)


def piepers_data() -> dict[str, Any]:
    """A deep copy of piepers-2007.toml as parsed TOML, safe to edit."""
    return copy.deepcopy(_PIEPERS)


def messages(data: dict[str, Any]) -> list[str]:
    """Every problem parse_protocol reports for ``data``, as printed; fails if valid."""
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(data, "test")
    return [str(problem) for problem in caught.value.problems]
