"""Every number of a protocol has an upper bound, labels are one printable line, and a
file too large or too deeply nested is refused with a code, not a traceback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mmntrial.errors import ProtocolError
from mmntrial.inputs import MAX_TOML_BYTES
from mmntrial.protocol.loader import load_protocol, parse_protocol
from tests.protocol.helpers import messages, piepers_data


def test_an_absurd_study_drug_dose_is_refused() -> None:
    data = piepers_data()
    data["arms"][0]["regimen"][0]["dose_mg"] = 1e308
    assert (
        "PROTO-E007 arms[0].regimen[0].dose_mg: got 1e+308, expected a number >= 0 and <= 10000"
        in messages(data)
    )


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("taper", "start_day"), 100_000_000_000),
        (("endpoints", "primary", "day"), 100_000),
        (("deterioration", "confirmation_days"), 10_000),
    ],
)
def test_days_beyond_ten_years_are_refused(path: tuple[str, ...], value: int) -> None:
    data = piepers_data()
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    assert any(f"{'.'.join(path)}: got {value}" in m and "<=" in m for m in messages(data))


@pytest.mark.parametrize("label", ["MMF\n+ IVIg", "MMF \x1b[31m", "x" * 81, "A\u202eB"])
def test_a_label_that_is_not_one_printable_line_is_refused(label: str) -> None:
    data = piepers_data()
    data["arms"][0]["label"] = label
    assert any(m.startswith("PROTO-E009 arms[0].label") for m in messages(data))


def test_a_label_with_dollar_signs_is_accepted_as_text() -> None:
    data = piepers_data()
    data["arms"][0]["label"] = r"MMF $\foo$ + IVIg"
    assert parse_protocol(data, "test").arms[0].label == r"MMF $\foo$ + IVIg"


def test_a_deeply_nested_file_is_a_problem_not_a_recursion_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"PROTO-E002 file: .* nest a few levels deep"):
        load_protocol(path)


def test_a_file_above_the_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_bytes(b"#" * (MAX_TOML_BYTES + 1))
    with pytest.raises(ProtocolError, match=r"PROTO-E003 file: .* at most 1,048,576 bytes"):
        load_protocol(path)


@pytest.mark.parametrize(
    ("edit", "key"),
    [
        (lambda d: d["protocol"].update(title="MMN\x1b]0;pwned\x07"), "protocol.title"),
        (lambda d: d["arms"][1].update(drug="placebo\r\n"), "arms[1].drug"),
    ],
)
def test_text_printed_in_terminals_holds_no_control_characters(
    edit: Callable[[dict[str, Any]], None], key: str
) -> None:
    data = piepers_data()
    edit(data)
    assert any(m.startswith(f"PROTO-E009 {key}") for m in messages(data))
