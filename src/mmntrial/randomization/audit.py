"""Auditing a ledger without its list: the chain, its head, and every unblinding.

A DSMB, a sponsor or a monitor holds no list and no key; what they can hold is a head
(``COUNT:HASH``) printed at an allocation or by ``mmntrial randomize head``. :func:`audit`
checks the whole ledger (every chain entry against its hash and its row, see
:mod:`.ledgerchain`) and, given an earlier head, that the ledger still starts with
exactly those entries: a deleted, replaced or rolled-back ledger fails here. A missing
ledger is refused, never created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

from mmntrial.randomization import ledgerchain
from mmntrial.randomization.blinding import Unblinding
from mmntrial.randomization.store import unblindings
from mmntrial.storage.chain import Head
from mmntrial.storage.database import Database


@dataclass(frozen=True)
class AuditReport:
    """An intact ledger: its head and how many entries of each kind it holds."""

    head: Head
    lists: int
    allocations: int
    unblindings: int


def audit(db: str | Path, given: Head | None = None) -> AuditReport:
    """Check the ledger in ``db`` (against ``given``, a head taken earlier, if any).

    Raises :class:`~mmntrial.errors.ChainBroken` naming the first bad entry, or a
    :class:`~mmntrial.errors.StorageError` when there is no ledger at ``db``.
    """
    with Database.open(db, create=False) as database, database.read() as conn:
        head, stored = ledgerchain.check(conn, given)
    kinds = [s.entry.kind for s in stored]
    return AuditReport(
        head,
        kinds.count(ledgerchain.LIST),
        kinds.count(ledgerchain.ALLOCATION),
        kinds.count(ledgerchain.UNBLINDING),
    )


def read_unblindings(conn: Connection) -> list[Unblinding]:
    """Every unblinding recorded, in order (the caller has checked the chain)."""
    rows = conn.execute(select(unblindings).order_by(unblindings.c.id)).all()
    return [
        Unblinding(
            r.subject, r.kit, r.reason, r.revealed_by, datetime.fromisoformat(r.revealed_at_utc)
        )
        for r in rows
    ]


def list_unblindings(db: str | Path) -> list[Unblinding]:
    """Every unblinding of the ledger in ``db``, after checking the whole ledger."""
    with Database.open(db, create=False) as database, database.read() as conn:
        ledgerchain.check(conn)
        return read_unblindings(conn)


__all__ = ["AuditReport", "audit", "list_unblindings", "read_unblindings"]
