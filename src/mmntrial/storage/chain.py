"""Tamper evidence: an append-only hash chain of entries, for the ledger and the audit trail.

Each entry records who did what, when, and its content (a small JSON object: subject,
slot, kit, stratum, ...), together with the hash of the entry before it::

    text = json.dumps({"chain": CHAIN, "position": N, "kind": KIND, "who": WHO,
                       "at_utc": AT, "content": CONTENT, "previous": PREVIOUS},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    hash = SHA-256("mmntrial-chain-v1" + "\\x1f" + text, UTF-8), hex

The first entry's ``previous`` is 64 zeros. The *head* of a chain is its number of
entries and its last hash, written ``COUNT:HASH``; whoever holds a head (a DSMB, a
sponsor) can later check that the chain still starts with exactly those entries.

What the chain shows, and what it cannot:

- an entry changed in place no longer hashes to its recorded hash; one removed, inserted
  or moved breaks the link of the entry after it (:func:`verify` names the first one);
- someone who rewrites the whole chain consistently, removes its last entries, or puts
  an older copy of the database back is caught only against a head taken earlier
  (:func:`check_against`): keep heads outside the database.

Entries live in the table ``chain_entries`` (several chains may share it, each named by
``chain``); the migration adds triggers that refuse every UPDATE and DELETE. A caller
appends inside its own write transaction (:meth:`mmntrial.storage.Database.write`), so
that an entry and the record it vouches for are committed together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Column, Connection, Integer, Table, Text, insert, select

from mmntrial.errors import ChainBroken, StorageError
from mmntrial.storage.schema import metadata

GENESIS = "0" * 64
_PREFIX = "mmntrial-chain-v1\x1f"
_HEAD = re.compile(r"(\d{1,12}):([0-9a-f]{64})")

chain_entries = Table(
    "chain_entries",
    metadata,
    Column("chain", Text, primary_key=True),
    Column("position", Integer, primary_key=True, autoincrement=False),
    Column("kind", Text, nullable=False),
    Column("who", Text, nullable=False),
    Column("at_utc", Text, nullable=False),
    Column("content", Text, nullable=False),
    Column("previous", Text, nullable=False),
    Column("hash", Text, nullable=False),
)


@dataclass(frozen=True)
class Entry:
    """What one entry says: its position (from 1), kind, who, when (UTC, ISO 8601), content."""

    position: int
    kind: str
    who: str
    at_utc: str
    content: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        """A short, printable name for messages: position, kind and subject if any."""
        subject = self.content.get("subject")
        about = f", subject {subject!r}" if subject is not None else ""
        return f"entry {self.position} ({self.kind}{about})"


@dataclass(frozen=True)
class Stored:
    """An entry as read back: what it says, and the hashes recorded with it."""

    entry: Entry
    previous: str
    hash: str


@dataclass(frozen=True)
class Head:
    """The number of entries of a chain and the hash of its last one.

    >>> head = Head.parse("2:" + "ab" * 32)
    >>> head.count, str(head) == "2:" + "ab" * 32
    (2, True)
    """

    count: int
    hash: str

    def __str__(self) -> str:
        return f"{self.count}:{self.hash}"

    @classmethod
    def parse(cls, text: str, option: str = "head") -> Head:
        """A head written ``COUNT:HASH``; a :class:`~mmntrial.errors.StorageError` otherwise."""
        match = _HEAD.fullmatch(text.strip().lower())
        if match is None:
            raise StorageError(
                f"{option}: got {text!r}, expected COUNT:HASH as printed by `mmntrial "
                "randomize head` (a number, a colon and 64 hexadecimal digits)"
            )
        return cls(int(match.group(1)), match.group(2))


def canonical(content: Mapping[str, Any]) -> str:
    """``content`` as canonical JSON (sorted keys, no spaces), the form that is hashed.

    >>> canonical({"slot": 3, "kit": "K"})
    '{"kit":"K","slot":3}'
    """
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def entry_hash(chain: str, previous: str, entry: Entry) -> str:
    """The hash of ``entry`` in ``chain`` after an entry with hash ``previous``."""
    text = canonical(
        {
            "chain": chain,
            "position": entry.position,
            "kind": entry.kind,
            "who": entry.who,
            "at_utc": entry.at_utc,
            "content": entry.content,
            "previous": previous,
        }
    )
    return hashlib.sha256((_PREFIX + text).encode("utf-8")).hexdigest()


def append(
    conn: Connection, chain: str, kind: str, who: str, at_utc: str, content: Mapping[str, Any]
) -> Head:
    """Add an entry after the last one of ``chain``; return the new head.

    The caller holds the database's write lock (:meth:`mmntrial.storage.Database.write`).
    """
    last = conn.execute(
        select(chain_entries.c.position, chain_entries.c.hash)
        .where(chain_entries.c.chain == chain)
        .order_by(chain_entries.c.position.desc())
        .limit(1)
    ).first()
    position, previous = (last.position + 1, last.hash) if last is not None else (1, GENESIS)
    entry = Entry(position, kind, who, at_utc, dict(content))
    digest = entry_hash(chain, previous, entry)
    conn.execute(
        insert(chain_entries).values(
            chain=chain,
            position=position,
            kind=kind,
            who=who,
            at_utc=at_utc,
            content=canonical(entry.content),
            previous=previous,
            hash=digest,
        )
    )
    return Head(position, digest)


def read(conn: Connection, chain: str) -> list[Stored]:
    """Every entry of ``chain`` in position order, as stored (not yet verified)."""
    rows = conn.execute(
        select(chain_entries).where(chain_entries.c.chain == chain).order_by("position")
    )
    out = []
    for row in rows:
        try:
            content = json.loads(row.content)
        except json.JSONDecodeError:
            content = {"unreadable": row.content}
        entry = Entry(row.position, row.kind, row.who, row.at_utc, content)
        out.append(Stored(entry, row.previous, row.hash))
    return out


def verify(chain: str, stored: Sequence[Stored]) -> Head:
    """The head of ``stored`` if every entry hashes and links; else :class:`ChainBroken`.

    The message names the first entry that was changed, removed, inserted or reordered.

    >>> verify("ledger", [])
    Head(count=0, hash='0000000000000000000000000000000000000000000000000000000000000000')
    """
    hashes = {s.hash: s.entry.position for s in stored}
    previous = GENESIS
    for index, item in enumerate(stored, start=1):
        entry = item.entry
        if entry.position != index:
            raise ChainBroken(
                f"{chain} entry {index}: removed (the entries jump from {index - 1} to "
                f"{entry.position})"
            )
        if entry_hash(chain, item.previous, entry) != item.hash:
            moved = _recorded_position(chain, item, len(stored))
            if moved is not None:
                raise ChainBroken(
                    f"{chain} {entry.describe()}: reordered (it was recorded as entry {moved})"
                )
            raise ChainBroken(
                f"{chain} {entry.describe()}: changed (its content no longer matches the hash "
                "recorded when it was written)"
            )
        if item.previous != previous:
            follows = hashes.get(item.previous)
            if follows is None:
                raise ChainBroken(
                    f"{chain} {entry.describe()}: follows an entry that is no longer there "
                    f"(an entry between {index - 1} and it was removed or replaced)"
                )
            if follows < index - 1:
                raise ChainBroken(
                    f"{chain} entry {follows + 1}: inserted (entry {index} was written right "
                    f"after entry {follows})"
                )
            raise ChainBroken(
                f"{chain} {entry.describe()}: reordered (it was written after entry {follows})"
            )
        previous = item.hash
    return Head(len(stored), previous)


def _recorded_position(chain: str, item: Stored, count: int) -> int | None:
    for position in range(1, count + 2):
        if position != item.entry.position:
            moved = replace(item.entry, position=position)
            if entry_hash(chain, item.previous, moved) == item.hash:
                return position
    return None


def check_against(chain: str, stored: Sequence[Stored], given: Head) -> None:
    """Refuse ``stored`` unless it starts with the entries of the head ``given``.

    A verified chain that is shorter than ``given``, or whose entry at ``given.count``
    has another hash, has lost entries, was rolled back to an older copy or replaced.
    """
    if len(stored) < given.count:
        raise ChainBroken(
            f"{chain}: has {len(stored)} entries, the head given has {given.count}: entries "
            f"{len(stored) + 1} to {given.count} were removed, or an older copy of the "
            "database was put back (rolled back)"
        )
    at = stored[given.count - 1].hash if given.count else GENESIS
    if at != given.hash:
        raise ChainBroken(
            f"{chain} entry {given.count}: its hash {at[:16]}... differs from the head given "
            f"{given.hash[:16]}...: the database was replaced or rewritten"
        )


__all__ = [
    "GENESIS",
    "Entry",
    "Head",
    "Stored",
    "append",
    "canonical",
    "chain_entries",
    "check_against",
    "entry_hash",
    "read",
    "verify",
]
