"""The allocation ledger: append-only, hash-chained, blinded, concurrency-safe.

The ledger lives in a database of the storage layer (:mod:`mmntrial.storage`): a SQLite
file or PostgreSQL. Guarantees (see :mod:`.store`, :mod:`.ledgerchain` and
:mod:`mmntrial.storage.engine` for how they are enforced):

- a subject is randomized at most once (:class:`~mmntrial.errors.AlreadyRandomized`);
- a slot (stratum, seq) and a kit code are given at most once, in list order;
- an allocation or an unblinding is never changed or deleted, and every one is an entry
  of a hash chain: a change, removal, insertion or reordering, even by hand, is
  detected, and the ledger refuses to allocate until it is resolved
  (:class:`~mmntrial.errors.ChainBroken`); the head after each allocation is returned,
  so that whoever keeps it can later detect a deleted or rolled-back ledger;
- each allocation records who made it and when (UTC);
- no arm in clear: the ledger allocates from the slots of the list
  (:class:`~.slots.SlotList`, no arms, no seed); a minimization arm, chosen at
  allocation from the earlier ones, is stored sealed, and choosing it needs the sealed
  key (the list file with its seed);
- at start-up the list is checked: a key is re-derived from its seed, slots must be the
  ones the ledger accepted for their commitment, and the ledger refuses a list that is
  neither the one it started with nor an extension of it
  (:class:`~mmntrial.errors.ListTampered`);
- a stratum that has used all its slots raises :class:`~mmntrial.errors.ListExhausted`,
  which says how to extend the list; there is never a silent fallback.

:meth:`Ledger.allocate` returns a blinded :class:`Allocation` (kit code, no arm);
:meth:`Ledger.reveal` needs the key, gives the arm and records who asked and why.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType

from sqlalchemy import Connection, func, insert, select
from sqlalchemy.exc import IntegrityError

from mmntrial.errors import AlreadyRandomized, ListExhausted, ListTampered, RandomizationError
from mmntrial.identifiers import checked_identifier
from mmntrial.randomization import ledgerchain
from mmntrial.randomization.audit import read_unblindings
from mmntrial.randomization.blinding import (
    Revelation,
    Unblinding,
    arm_key,
    check_reveal_request,
    seal_arm,
    unseal_arm,
)
from mmntrial.randomization.lists import AllocationList, verify
from mmntrial.randomization.slots import Slot, SlotList, slots_of
from mmntrial.randomization.store import allocations, list_versions, unblindings
from mmntrial.randomization.streams import stream
from mmntrial.storage import chain
from mmntrial.storage.chain import Head
from mmntrial.storage.database import Database


@dataclass(frozen=True)
class Allocation:
    """A blinded allocation: the slot and kit code a subject received, by whom and when.

    ``head`` is the ledger's head right after this allocation was written (``COUNT:HASH``):
    whoever keeps it can later check that the ledger still holds it.
    """

    subject: str
    stratum: str
    seq: int
    kit: str
    allocated_by: str
    allocated_at_utc: datetime
    head: Head


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """Allocations of one trial, in a SQLite file or PostgreSQL. Use :meth:`open`, then close.

    >>> import tempfile, pathlib
    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> from mmntrial.randomization.slots import slots_of
    >>> lst = generate(make_design("blocks", [("mmf", 1), ("placebo", 1)], block_sizes=[2]),
    ...                4, seed=3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with Ledger.open(pathlib.Path(tmp) / "ledger.db", slots_of(lst)) as ledger:
    ...         first = ledger.allocate("MMN-001", {}, by="nurse.a")
    ...         (first.seq, first.kit == lst.rows[0].kit, first.head.count)
    (1, True, 2)
    """

    def __init__(
        self,
        database: Database,
        slot_list: SlotList,
        key: AllocationList | None,
        clock: Callable[[], datetime],
        *,
        owns_database: bool = True,
    ) -> None:
        self.database = database
        self._owns_database = owns_database
        self.slots = slot_list
        self._key = key
        self._clock = clock
        self._by_stratum: dict[str, tuple[Slot, ...]] = {
            s: slot_list.slots(s) for s in slot_list.design.strata()
        }

    @classmethod
    def open(
        cls,
        db: str | Path,
        allocation_list: SlotList | AllocationList,
        *,
        clock: Callable[[], datetime] = _utc_now,
        create: bool = True,
    ) -> Ledger:
        """Open (or create) the ledger in ``db`` for a list, after checking both.

        ``allocation_list`` is what the allocator holds, the :class:`~.slots.SlotList`
        (no arms, no seed), or the sealed key, the whole :class:`~.lists.AllocationList`
        (re-derived from its seed and verified first), which :meth:`reveal` and a
        minimization list's :meth:`allocate` need. ``db`` is a SQLite file path or a
        database URL (``postgresql+psycopg://...``); opening migrates the database to the
        storage layer's head revision. With ``create`` false a missing ledger is refused
        instead of created. ``clock`` returns the current time (timezone-aware); tests
        pass a frozen one.
        """
        key = None
        if isinstance(allocation_list, AllocationList):
            verify(allocation_list)
            key, allocation_list = allocation_list, slots_of(allocation_list)
        ledger = cls(Database.open(db, create=create), allocation_list, key, clock)
        try:
            ledger._start_up()
        except BaseException:
            ledger.close()
            raise
        return ledger

    @classmethod
    def attach(
        cls,
        database: Database,
        allocation_list: SlotList | AllocationList,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> Ledger:
        """The ledger in an open ``database`` that the caller keeps (and closes).

        As :meth:`open`, for a process that holds its database already (the capture app):
        the list is checked and accepted the same way, and :meth:`allocate_in` and
        :meth:`reveal_in` then write in the caller's own transaction, so that the app's
        records and the ledger's entry commit together or not at all.
        """
        key = None
        if isinstance(allocation_list, AllocationList):
            verify(allocation_list)
            key, allocation_list = allocation_list, slots_of(allocation_list)
        ledger = cls(database, allocation_list, key, clock, owns_database=False)
        ledger._start_up()
        return ledger

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close every database connection (unless the database was attached)."""
        if self._owns_database:
            self.database.close()

    def _now(self) -> str:
        now = self._clock()
        if now.tzinfo is None:
            raise RandomizationError(f"clock: got naive {now!r}, expected a timezone-aware time")
        return now.astimezone(UTC).isoformat()

    def _start_up(self) -> None:
        lst = self.slots
        with self.database.write() as conn:
            _, stored = ledgerchain.check(conn)
            accepted = {
                s.entry.content["commitment"]: s.entry.content.get("slots_sha256")
                for s in stored
                if s.entry.kind == ledgerchain.LIST
            }
            last = list(accepted)[-1] if accepted else None
            if last is not None and lst.commitment not in accepted and last not in lst.history:
                raise ListTampered(
                    f"list: got commitment {lst.commitment}, expected the ledger's list "
                    f"{last} or an extension of it made with `mmntrial randomize extend`; "
                    "the list on disk has changed"
                )
            recorded = accepted.get(lst.commitment)
            if recorded is not None and recorded != lst.sha256:
                raise ListTampered(
                    f"slots: got slots hashing to {lst.sha256} for commitment "
                    f"{lst.commitment[:12]}, expected {recorded}, the slots the ledger "
                    "accepted for it; the slots file has changed"
                )
            if lst.commitment not in accepted:
                at = self._now()
                conn.execute(
                    insert(list_versions).values(
                        commitment=lst.commitment,
                        method=lst.design.method.value,
                        accepted_at_utc=at,
                    )
                )
                chain.append(
                    conn,
                    ledgerchain.CHAIN,
                    ledgerchain.LIST,
                    ledgerchain.SYSTEM,
                    at,
                    ledgerchain.list_content(lst.commitment, lst.design.method.value, lst.sha256),
                )
            self._check_allocations(conn)

    def _check_allocations(self, conn: Connection) -> None:
        rows = conn.execute(
            select(
                allocations.c.subject,
                allocations.c.stratum,
                allocations.c.seq,
                allocations.c.kit,
                allocations.c.sealed_arm,
            )
        )
        design = self.slots.design
        for subject, stratum, seq, kit, sealed in rows:
            slots = self._by_stratum.get(stratum, ())
            slot = slots[seq - 1] if 0 < seq <= len(slots) else None
            if slot is None or slot.kit != kit:
                raise ListTampered(
                    f"allocation of {subject!r} (stratum {stratum!r}, seq {seq}, kit {kit!r}): "
                    f"expected the list's slot, which holds "
                    + ("no such slot" if slot is None else f"kit {slot.kit!r}")
                )
            if (sealed is None) == (not design.allocator.arms_in_list):
                raise ListTampered(
                    f"allocation of {subject!r} (stratum {stratum!r}, seq {seq}): a sealed arm "
                    f"is {'missing' if sealed is None else 'present'}, which a "
                    f"{design.method.value} list never leaves"
                )
            if self._key is not None and sealed is not None:
                unseal_arm(self._arm_key(), stratum, seq, sealed, len(design.arms))

    def _arm_key(self) -> bytes:
        assert self._key is not None  # callers check; a missing key is a user error there
        return arm_key(self._key.seed)

    @property
    def holds_key(self) -> bool:
        """Whether the ledger was opened with the sealed key (needed to show an arm)."""
        return self._key is not None

    def _needs_key(self, what: str) -> AllocationList:
        if self._key is None:
            raise RandomizationError(
                f"{what}: got the slots file, expected the sealed key (the list file with its "
                "seed), which only the unblinded roles and the allocation service hold"
            )
        return self._key

    def head(self) -> Head:
        """The ledger's head (``COUNT:HASH``), after checking the whole chain."""
        with self.database.read() as conn:
            head, _ = ledgerchain.check(conn)
        return head

    def allocate(self, subject: str, strata: Mapping[str, str], *, by: str) -> Allocation:
        """Allocate ``subject`` (with these factor levels) to the next slot of its stratum.

        Raises AlreadyRandomized, ListExhausted, ChainBroken (the ledger was tampered
        with: nothing is allocated), or a RandomizationError for unknown strata values.
        Safe to call from many processes at once.
        """
        with self.database.write() as conn:
            return self.allocate_in(conn, subject, strata, by=by)

    def allocate_in(
        self, conn: Connection, subject: str, strata: Mapping[str, str], *, by: str
    ) -> Allocation:
        """:meth:`allocate` within ``conn``, a write transaction of the ledger's database.

        The caller's transaction must come from ``self.database.write()`` (the one writer
        at a time that keeps slots apart); what it writes besides commits with the
        allocation or not at all.
        """
        subject = checked_identifier("subject", subject, RandomizationError)
        by = checked_identifier("by", by, RandomizationError)
        design = self.slots.design
        stratum = design.stratum_of(strata)
        values = {f.name: strata[f.name] for f in design.factors}
        if not design.allocator.arms_in_list:
            self._needs_key(f"{design.method.value} allocation")
        ledgerchain.check(conn)
        earlier = conn.execute(
            select(allocations.c.allocated_at_utc, allocations.c.kit).where(
                allocations.c.subject == subject
            )
        ).first()
        if earlier is not None:
            raise AlreadyRandomized(
                f"subject: got {subject!r}, randomized already at {earlier.allocated_at_utc} "
                f"(kit {earlier.kit}); an allocation is never repeated or changed"
            )
        used = conn.execute(
            select(func.coalesce(func.max(allocations.c.seq), 0)).where(
                allocations.c.stratum == stratum
            )
        ).scalar_one()
        slots = self._by_stratum[stratum]
        if used >= len(slots):
            raise ListExhausted(
                f"stratum {stratum!r}: all {len(slots)} slots of list "
                f"{self.slots.commitment[:12]} are used; extend the list with `mmntrial "
                f"randomize extend LIST --size {2 * self.slots.size_per_stratum}` "
                "(committed rows stay unchanged), then restart allocation with the "
                "extended list"
            )
        slot = slots[used]
        sealed = None
        if not design.allocator.arms_in_list:
            arm = self._arm_at_allocation(conn, values, slot)
            sealed = seal_arm(self._arm_key(), stratum, slot.seq, arm)
        row = {
            "subject": subject,
            "stratum": stratum,
            "seq": slot.seq,
            "kit": slot.kit,
            "strata_json": ledgerchain.strata_json(values),
            "allocated_by": by,
            "allocated_at_utc": self._now(),
            "list_commitment": self.slots.commitment,
            "sealed_arm": sealed,
        }
        try:
            conn.execute(insert(allocations).values(**row))
        except IntegrityError as error:
            # Unreachable while every writer takes the write lock; kept as a backstop.
            raise RandomizationError(
                f"subject {subject!r}: the ledger refused slot {stratum} #{slot.seq} ({error.orig})"
            ) from None
        head = chain.append(
            conn,
            ledgerchain.CHAIN,
            ledgerchain.ALLOCATION,
            by,
            row["allocated_at_utc"],
            ledgerchain.allocation_content(row),
        )
        at = datetime.fromisoformat(row["allocated_at_utc"])
        return Allocation(subject, stratum, slot.seq, slot.kit, by, at, head)

    def _arm_at_allocation(self, conn: Connection, values: Mapping[str, str], slot: Slot) -> int:
        # A method whose list leaves the arm open (minimization) chooses it from every
        # earlier allocation, unsealed with the key; it draws one stream per slot, so the
        # draw depends on the seed and the slot, not on the process.
        key = self._needs_key("minimization")
        design = self.slots.design
        earlier = [
            (
                json.loads(values_json),
                unseal_arm(self._arm_key(), stratum, seq, sealed, len(design.arms)),
            )
            for values_json, stratum, seq, sealed in conn.execute(
                select(
                    allocations.c.strata_json,
                    allocations.c.stratum,
                    allocations.c.seq,
                    allocations.c.sealed_arm,
                ).order_by(allocations.c.id)
            )
        ]
        rng = stream(key.seed, design.method.value, str(slot.seq))
        return design.allocator.arm_at_allocation(design, earlier, values, rng)

    def allocations(self) -> list[Allocation]:
        """Every allocation, blinded, in the order made, each with the head it left."""
        with self.database.read() as conn:
            _, stored = ledgerchain.check(conn)
            rows = conn.execute(select(allocations).order_by(allocations.c.id)).all()
        heads = [
            Head(s.entry.position, s.hash) for s in stored if s.entry.kind == ledgerchain.ALLOCATION
        ]
        return [
            Allocation(
                r.subject,
                r.stratum,
                r.seq,
                r.kit,
                r.allocated_by,
                datetime.fromisoformat(r.allocated_at_utc),
                head,
            )
            for r, head in zip(rows, heads, strict=True)
        ]

    def reveal(self, subject: str, *, reason: str, by: str) -> Revelation:
        """Reveal the arm of ``subject``; the request is written to the ledger for good.

        Needs the sealed key (the ledger opened with the whole list). Role checks
        (emergency unblinding by the investigator; the unblinded pharmacist and DSMB
        statistician) belong to the capture app that calls this.
        """
        with self.database.write() as conn:
            return self.reveal_in(conn, subject, reason=reason, by=by)

    def reveal_in(self, conn: Connection, subject: str, *, reason: str, by: str) -> Revelation:
        """:meth:`reveal` within ``conn``, a write transaction of the ledger's database."""
        subject = checked_identifier("subject", subject, RandomizationError)
        reason, by = check_reveal_request(reason, by)
        by = checked_identifier("by", by, RandomizationError)
        self._needs_key("reveal")
        ledgerchain.check(conn)
        kit, arm = self._arm_of(conn, subject)
        record = {
            "subject": subject,
            "kit": kit,
            "reason": reason,
            "revealed_by": by,
            "revealed_at_utc": self._now(),
        }
        conn.execute(insert(unblindings).values(**record))
        chain.append(
            conn,
            ledgerchain.CHAIN,
            ledgerchain.UNBLINDING,
            by,
            record["revealed_at_utc"],
            ledgerchain.unblinding_content(record),
        )
        at = datetime.fromisoformat(record["revealed_at_utc"])
        return Revelation(subject, kit, arm, reason, by, at)

    def arms_in(self, conn: Connection) -> dict[str, str]:
        """Every randomized subject's arm, for the unblinded roles only (nothing recorded).

        The pharmacist dispenses by arm and the DSMB statistician reads arms by their
        role: their view is not an unblinding. Needs the sealed key.
        """
        self._needs_key("arms")
        subjects = conn.execute(select(allocations.c.subject).order_by(allocations.c.id))
        return {subject: self._arm_of(conn, subject)[1] for (subject,) in subjects}

    def _arm_of(self, conn: Connection, subject: str) -> tuple[str, str]:
        key = self._needs_key("reveal")
        design = key.design
        row = conn.execute(
            select(
                allocations.c.stratum,
                allocations.c.seq,
                allocations.c.kit,
                allocations.c.sealed_arm,
            ).where(allocations.c.subject == subject)
        ).first()
        if row is None:
            raise RandomizationError(
                f"subject: got {subject!r}, expected a randomized subject of this ledger"
            )
        if row.sealed_arm is not None:
            index = unseal_arm(
                self._arm_key(), row.stratum, row.seq, row.sealed_arm, len(design.arms)
            )
            return row.kit, design.arms[index]
        return row.kit, _listed_arm(key, row.stratum, row.seq, row.kit)

    def unblindings(self) -> list[Unblinding]:
        """Every unblinding so far, in order: who, when, which subject and why (no arm)."""
        with self.database.read() as conn:
            ledgerchain.check(conn)
            return read_unblindings(conn)


def _listed_arm(key: AllocationList, stratum: str, seq: int, kit: str) -> str:
    for row in key.slots(stratum):
        if row.seq == seq and row.kit == kit and row.arm is not None:
            return row.arm
    raise ListTampered(
        f"allocation in slot {stratum} #{seq} (kit {kit!r}): expected the key to hold this "
        "slot with this kit; the key is not this ledger's list"
    )
