"""Any single wrong value gives a ProtocolError that names its key, never another exception."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mmntrial.errors import ProtocolError
from mmntrial.protocol.codes import CODES
from mmntrial.protocol.loader import parse_protocol
from mmntrial.protocol.model import Protocol
from tests.protocol.helpers import piepers_data

Path = tuple[str | int, ...]


def _paths(node: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every (path, value) in the tree, tables and lists included, root excluded."""
    if isinstance(node, dict):
        children: Iterator[tuple[str | int, Any]] = iter(node.items())
    elif isinstance(node, list):
        children = iter(enumerate(node))
    else:
        return
    for key, child in children:
        yield (*path, key), child
        yield from _paths(child, (*path, key))


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _replaced(path: Path, value: object) -> dict[str, Any]:
    data = piepers_data()
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return data


def _wrong_values(value: object) -> list[object]:
    """Values of a type other than ``value``'s (an int is a fine float, so never offered)."""
    table: dict[type, list[object]] = {
        str: [1, True, ["x"], {"a": 1}, None],
        bool: [1, "true", [True], {}, None],
        int: ["1", True, [1], {"a": 1}, None],
        float: ["1", True, [1.0], {}, None],
        list: ["x", 1, True, {"a": 1}, None],
        dict: ["x", 1, True, [1], None],
    }
    return table[type(value)]


ALL_PATHS = [path for path, _ in _paths(piepers_data())]
SWEEP = [
    pytest.param(path, wrong, id=f"{_dotted(path)}={wrong!r}")
    for path, value in _paths(piepers_data())
    for wrong in _wrong_values(value)
]


@pytest.mark.parametrize(("path", "wrong"), SWEEP)
def test_a_wrong_type_anywhere_is_a_protocol_error_naming_the_key(
    path: Path, wrong: object
) -> None:
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(_replaced(path, wrong), "mutated")
    keys = [problem.key for problem in caught.value.problems]
    assert _dotted(path) in keys


def test_the_sweep_covers_every_section() -> None:
    tops = {param.values[0][0] for param in SWEEP}  # type: ignore[index]
    assert len(SWEEP) > 300
    assert tops >= {"protocol", "arms", "taper", "randomization", "measures"}


# Values a TOML or JSON document could hold, and a few that only Python data could.
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.sampled_from(["percent_step", "levels", "mrc_sum", "grip_kpa", "either", "S1", ""])
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)


def _outcome(data: dict[str, Any], source: str) -> Protocol | ProtocolError:
    """The Protocol, or the ProtocolError; any other exception escapes and fails the test."""
    try:
        return parse_protocol(data, source)
    except ProtocolError as error:
        return error


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), value=_VALUES)
def test_any_value_anywhere_loads_or_is_a_protocol_error(path: Path, value: object) -> None:
    outcome = _outcome(_replaced(path, copy.deepcopy(value)), "fuzzed")
    if isinstance(outcome, ProtocolError):
        assert outcome.problems
        assert all(problem.code in CODES for problem in outcome.problems)
    else:
        assert outcome.name == "piepers-2007" or path == ("protocol", "name")


@settings(max_examples=200, deadline=None)
@given(path=st.sampled_from(ALL_PATHS))
def test_deleting_any_key_loads_or_is_a_protocol_error(path: Path) -> None:
    data = piepers_data()
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    outcome = _outcome(data, "deleted")
    assert isinstance(outcome, Protocol) or outcome.problems


def test_float_overflow_is_out_of_range() -> None:
    data = _replaced(("taper", "step_percent"), 10**400)
    with pytest.raises(ProtocolError) as caught:
        parse_protocol(data, "huge")
    (problem,) = caught.value.problems
    assert problem.code == "PROTO-E007"
