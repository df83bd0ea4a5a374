"""The ledger's rows and its hash chain, checked against each other.

Every row the ledger writes (an accepted list version, an allocation, an unblinding) is
also an entry of the hash chain ``ledger`` (:mod:`mmntrial.storage.chain`), in the same
transaction. :func:`check` re-reads both and refuses, naming the first bad entry:

- a chain entry changed, removed, inserted or reordered (the chain's own check);
- a chain entry whose row is missing (``DELETE`` after ``DROP TRIGGER``, or ``DROP
  TABLE``), a row that differs from its entry (a renamed subject, a changed who or when,
  a flipped sealed arm), or a row without an entry (a forged ``INSERT``).

The entry's content is exactly what the row says (no arm in clear: a minimization arm
appears sealed), so the chain can be shown to anyone who may see the ledger.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, RowMapping, select
from sqlalchemy.exc import DatabaseError

from mmntrial.errors import ChainBroken
from mmntrial.randomization.store import allocations, list_versions, unblindings
from mmntrial.storage import chain
from mmntrial.storage.chain import Entry, Head, Stored

CHAIN = "ledger"
LIST, ALLOCATION, UNBLINDING = "list", "allocation", "unblinding"
SYSTEM = "mmntrial"  # who accepts a list version: the ledger itself, at opening


def list_content(commitment: str, method: str, slots_sha256: str | None) -> dict[str, Any]:
    """The content of the entry that records an accepted list version."""
    return {"commitment": commitment, "method": method, "slots_sha256": slots_sha256}


def allocation_content(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """The content of an allocation's entry, from its row's values."""
    return {
        "subject": row["subject"],
        "stratum": row["stratum"],
        "seq": row["seq"],
        "kit": row["kit"],
        "strata": row["strata_json"],
        "list_commitment": row["list_commitment"],
        "sealed_arm": row["sealed_arm"],
    }


def unblinding_content(row: Mapping[str, Any] | RowMapping) -> dict[str, Any]:
    """The content of an unblinding's entry, from its row's values."""
    return {"subject": row["subject"], "kit": row["kit"], "reason": row["reason"]}


@contextmanager
def _table(name: str) -> Iterator[None]:
    try:
        yield
    except DatabaseError:
        raise ChainBroken(
            f"{CHAIN}: table {name} cannot be read (dropped or damaged); the ledger's records "
            "are incomplete"
        ) from None


def _rows(conn: Connection) -> dict[str, list[tuple[str, Entry]]]:
    """What each table says, as (row name, entry without position), in the order written."""
    with _table("list_versions"):
        versions = conn.execute(select(list_versions).order_by(list_versions.c.id)).mappings()
        listed = [
            (f"list_versions row {r['id']}", _said(LIST, SYSTEM, r["accepted_at_utc"], content))
            for r in versions
            for content in [list_content(r["commitment"], r["method"], None)]
        ]
    with _table("allocations"):
        made = conn.execute(select(allocations).order_by(allocations.c.id)).mappings()
        allocated = [
            (
                f"allocations row {r['id']} (subject {r['subject']!r})",
                _said(ALLOCATION, r["allocated_by"], r["allocated_at_utc"], allocation_content(r)),
            )
            for r in made
        ]
    with _table("unblindings"):
        reveals = conn.execute(select(unblindings).order_by(unblindings.c.id)).mappings()
        revealed = [
            (
                f"unblindings row {r['id']} (subject {r['subject']!r})",
                _said(UNBLINDING, r["revealed_by"], r["revealed_at_utc"], unblinding_content(r)),
            )
            for r in reveals
        ]
    return {LIST: listed, ALLOCATION: allocated, UNBLINDING: revealed}


def _said(kind: str, who: str, at_utc: str, content: dict[str, Any]) -> Entry:
    return Entry(0, kind, who, at_utc, content)


def read(conn: Connection) -> list[Stored]:
    """The ledger's chain as stored (see :func:`check` for the verified form)."""
    with _table("chain_entries"):
        return chain.read(conn, CHAIN)


def check(conn: Connection, given: Head | None = None) -> tuple[Head, list[Stored]]:
    """The verified head and entries of the ledger; :class:`ChainBroken` otherwise.

    ``given`` is a head taken earlier (printed by ``allocate`` or ``head``): the ledger
    must still start with exactly those entries.
    """
    stored = read(conn)
    head = chain.verify(CHAIN, stored)
    if given is not None:
        chain.check_against(CHAIN, stored, given)
    tables = _rows(conn)
    for kind, rows in tables.items():
        _match([s.entry for s in stored if s.entry.kind == kind], rows)
    unknown = [s.entry for s in stored if s.entry.kind not in tables]
    if unknown:
        raise ChainBroken(f"{CHAIN} {unknown[0].describe()}: a kind the ledger never writes")
    return head, stored


def _match(entries: Sequence[Entry], rows: Sequence[tuple[str, Entry]]) -> None:
    for index in range(max(len(entries), len(rows))):
        if index >= len(entries):
            name = rows[index][0]
            raise ChainBroken(
                f"{CHAIN}: {name} has no chain entry: it was inserted outside the ledger"
            )
        entry = entries[index]
        if index >= len(rows):
            raise ChainBroken(
                f"{CHAIN} {entry.describe()}: its row is missing from the table (removed)"
            )
        name, said = rows[index]
        changed = _differences(entry, said)
        if not changed:
            continue
        if index + 1 < len(entries) and not _differences(entries[index + 1], said):
            raise ChainBroken(
                f"{CHAIN} {entry.describe()}: its row is missing from the table (removed)"
            )
        if index + 1 < len(rows) and not _differences(entry, rows[index + 1][1]):
            raise ChainBroken(
                f"{CHAIN}: {name} has no chain entry: it was inserted outside the ledger"
            )
        raise ChainBroken(
            f"{CHAIN} {entry.describe()}: {name} differs from it (changed: {', '.join(changed)})"
        )


def _differences(entry: Entry, said: Entry) -> list[str]:
    fields = [f for f in ("who", "at_utc") if getattr(entry, f) != getattr(said, f)]
    for key, value in said.content.items():
        # A list_versions row does not hold the slots' hash: only the chain does.
        if value is None and key == "slots_sha256":
            continue
        if entry.content.get(key) != value:
            fields.append(key)
    return fields


def strata_json(values: Mapping[str, str]) -> str:
    """A subject's factor levels as stored in ``allocations.strata_json``."""
    return json.dumps(dict(values), sort_keys=True)


__all__ = [
    "ALLOCATION",
    "CHAIN",
    "LIST",
    "UNBLINDING",
    "allocation_content",
    "check",
    "list_content",
    "read",
    "strata_json",
    "unblinding_content",
]
