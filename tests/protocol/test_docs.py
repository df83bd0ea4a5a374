"""docs/protocol.md documents every key the loader accepts, every code, every command."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mmntrial.cli.protocol import app
from mmntrial.protocol.codes import CODES
from mmntrial.protocol.schema import schema_rows

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
TEXT = DOC.read_text(encoding="utf-8")
KEY_SECTION = TEXT.partition("\n## Every key\n")[2].partition("\n## ")[0]
# A row of a key table: | `dotted.key` | type | required / default | meaning |
DOCUMENTED_KEYS = re.findall(r"^\| `([^`]+)` \|", KEY_SECTION, flags=re.MULTILINE)
SCHEMA_KEYS = [row.key for row in schema_rows()]


@pytest.mark.parametrize("key", SCHEMA_KEYS)
def test_every_key_has_a_row(key: str) -> None:
    assert key in DOCUMENTED_KEYS, f"docs/protocol.md has no row for `{key}`"


def test_no_row_for_a_key_the_loader_refuses() -> None:
    assert len(DOCUMENTED_KEYS) == len(SCHEMA_KEYS)
    assert sorted(set(DOCUMENTED_KEYS) - set(SCHEMA_KEYS)) == []


def test_rows_say_what_is_required() -> None:
    rows = {row.key: row for row in schema_rows()}
    checked = 0
    for line in KEY_SECTION.splitlines():
        found = re.match(r"^\| `([^`]+)` \| .* \| (.+) \| .* \|$", line)
        if found and found.group(1) in rows:
            assert found.group(2) == rows[found.group(1)].requirement, line
            checked += 1
    assert checked == len(rows)


def test_rows_state_the_upper_bounds() -> None:
    # The plausibility limits are documented where a protocol author looks them up.
    rows = {row.key: row for row in schema_rows()}
    bounded = {key for key, row in rows.items() if "<=" in row.type_text}
    checked = set()
    for line in KEY_SECTION.splitlines():
        found = re.match(r"^\| `([^`]+)` \| (.*?) \| .+ \| .* \|$", line)
        if found and found.group(1) in bounded:
            assert found.group(2) == rows[found.group(1)].type_text, line
            checked.add(found.group(1))
    assert checked == bounded


@pytest.mark.parametrize("code", list(CODES))
def test_every_code_is_in_the_table(code: str) -> None:
    assert f"| {code} | {CODES[code]} |" in TEXT


@pytest.mark.parametrize("command", [c.name for c in app.registered_commands])
def test_every_command_is_shown(command: str | None) -> None:
    assert f"mmntrial protocol {command}" in TEXT


def test_rows_list_the_allowed_values_of_the_model_enums() -> None:
    # The allowed values come from the model's enums (methods, analyses ...): a row that
    # lists values must list exactly the schema's, so a new enum member needs its doc.
    rows = {row.key: row for row in schema_rows()}
    checked = set()
    for line in KEY_SECTION.splitlines():
        found = re.match(r"^\| `([^`]+)` \| (.*?) \| .+ \| .* \|$", line)
        if found and "one of " in found.group(2):
            assert found.group(2) == rows[found.group(1)].type_text, line
            checked.add(found.group(1))
    assert {"randomization.method", "endpoints.secondary[].analysis"} <= checked
