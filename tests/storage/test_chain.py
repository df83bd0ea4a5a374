"""The hash chain on its own: recipe, head, and naming the first bad entry."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from mmntrial.errors import ChainBroken, StorageError
from mmntrial.storage import Database
from mmntrial.storage.chain import (
    GENESIS,
    Entry,
    Head,
    Stored,
    append,
    check_against,
    entry_hash,
    read,
    verify,
)
from tests.storage.postgres import raw

AT = "2026-03-01T08:30:00+00:00"


def _chain(count: int) -> list[Stored]:
    out, previous = [], GENESIS
    for position in range(1, count + 1):
        entry = Entry(position, "allocation", "nurse", AT, {"subject": f"S{position}"})
        digest = entry_hash("audit", previous, entry)
        out.append(Stored(entry, previous, digest))
        previous = digest
    return out


def test_the_hash_follows_the_documented_recipe() -> None:
    entry = Entry(1, "allocation", "nurse", AT, {"subject": "S1", "seq": 1})
    text = json.dumps(
        {
            "chain": "ledger",
            "position": 1,
            "kind": "allocation",
            "who": "nurse",
            "at_utc": AT,
            "content": {"subject": "S1", "seq": 1},
            "previous": GENESIS,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    expected = hashlib.sha256(("mmntrial-chain-v1\x1f" + text).encode()).hexdigest()
    assert entry_hash("ledger", GENESIS, entry) == expected


def test_an_intact_chain_verifies_to_its_head() -> None:
    stored = _chain(4)
    assert verify("audit", stored) == Head(4, stored[-1].hash)
    check_against("audit", stored, Head(2, stored[1].hash))
    check_against("audit", stored, Head(0, GENESIS))


def test_a_changed_entry_is_named() -> None:
    stored = _chain(4)
    stored[2] = replace(stored[2], entry=replace(stored[2].entry, who="intruder"))
    with pytest.raises(ChainBroken, match=r"audit entry 3 \(allocation, subject 'S3'\): changed"):
        verify("audit", stored)


def test_a_removed_entry_is_named() -> None:
    stored = _chain(4)
    del stored[1]
    with pytest.raises(ChainBroken, match=r"audit entry 2: removed \(the entries jump from 1 to 3"):
        verify("audit", stored)


def test_a_renumbered_removal_is_named_by_its_broken_link() -> None:
    # Someone removes entry 2 and rewrites entry 3 as entry 2 with a fresh hash.
    stored = _chain(4)
    moved = replace(stored[2].entry, position=2)
    stored[1] = Stored(moved, stored[2].previous, entry_hash("audit", stored[2].previous, moved))
    del stored[2]
    with pytest.raises(ChainBroken, match=r"entry 2 \(allocation, subject 'S3'\): follows an"):
        verify("audit", stored)


def test_an_inserted_entry_is_named() -> None:
    stored = _chain(3)
    forged = Entry(4, "allocation", "intruder", AT, {"subject": "X"})
    # Linked to entry 1, not to entry 3: written "in between", appended at the end.
    stored.append(Stored(forged, stored[0].hash, entry_hash("audit", stored[0].hash, forged)))
    with pytest.raises(ChainBroken, match=r"audit entry 2: inserted \(entry 4 was written"):
        verify("audit", stored)


def test_reordered_entries_are_named() -> None:
    stored = _chain(4)
    a, b = stored[1], stored[2]
    stored[1] = replace(b, entry=replace(b.entry, position=2))
    stored[2] = replace(a, entry=replace(a.entry, position=3))
    with pytest.raises(ChainBroken, match=r"entry 2 \(allocation, subject 'S3'\): reordered"):
        verify("audit", stored)


def test_a_head_given_catches_truncation_and_replacement() -> None:
    stored = _chain(4)
    with pytest.raises(ChainBroken, match=r"has 3 entries, the head given has 4"):
        check_against("audit", stored[:3], Head(4, stored[3].hash))
    with pytest.raises(ChainBroken, match=r"entry 2: its hash .* differs from the head given"):
        check_against("audit", _chain(4), Head(2, "ab" * 32))


@pytest.mark.parametrize("text", ["", "3", "3:xyz", "-1:" + "0" * 64, "3:" + "0" * 63])
def test_a_malformed_head_is_refused(text: str) -> None:
    with pytest.raises(StorageError, match=r"head: got .* expected COUNT:HASH"):
        Head.parse(text)


def test_append_and_read_in_a_database(database: str | Path) -> None:
    with Database.open(database) as db:
        with db.write() as conn:
            first = append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S1"})
            second = append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S2"})
            append(conn, "other", "edit", "x", AT, {})
        with db.read() as conn:
            stored = read(conn, "audit")
    assert (first.count, second.count) == (1, 2)
    assert verify("audit", stored) == second
    assert stored[1].previous == first.hash


def test_chain_entries_are_append_only(database: str | Path) -> None:
    with Database.open(database) as db, db.write() as conn:
        append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S1"})
    for sql in ("UPDATE chain_entries SET who = 'x'", "DELETE FROM chain_entries"):
        with pytest.raises(IntegrityError, match="append-only"):
            raw(database, sql)
