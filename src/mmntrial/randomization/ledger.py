"""The allocation ledger: append-only, concurrency-safe, checked against its list.

The ledger lives in a database of the storage layer (:mod:`mmntrial.storage`): a SQLite
file or PostgreSQL. Guarantees (see :mod:`.store` and :mod:`mmntrial.storage.engine` for
how the database enforces them):

- a subject is randomized at most once (:class:`~mmntrial.errors.AlreadyRandomized`);
- a slot (stratum, seq) and a kit code are given at most once, in list order;
- an allocation or an unblinding is never changed or deleted;
- each allocation records who made it and when (UTC);
- at start-up the list is re-derived from its seed and checked against its commitment,
  and the ledger refuses a list that is neither the one it started with nor an extension
  of it (:class:`~mmntrial.errors.ListTampered`);
- a stratum that has used all its slots raises :class:`~mmntrial.errors.ListExhausted`,
  which says how to extend the list; there is never a silent fallback.

:meth:`Ledger.allocate` returns a blinded :class:`Allocation` (kit code, no arm);
:meth:`Ledger.reveal` gives the arm and records who asked and why.
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
from mmntrial.randomization.blinding import Revelation, check_reveal_request
from mmntrial.randomization.lists import AllocationList, Row, verify
from mmntrial.randomization.store import allocations, list_versions, unblindings
from mmntrial.randomization.streams import stream
from mmntrial.storage.database import Database


@dataclass(frozen=True)
class Allocation:
    """A blinded allocation: the slot and kit code a subject received, by whom and when."""

    subject: str
    stratum: str
    seq: int
    kit: str
    allocated_by: str
    allocated_at_utc: datetime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Ledger:
    """Allocations of one trial, in a SQLite file or PostgreSQL. Use :meth:`open`, then close.

    >>> import tempfile, pathlib
    >>> from mmntrial.randomization.design import make_design
    >>> from mmntrial.randomization.lists import generate
    >>> lst = generate(make_design("blocks", [("mmf", 1), ("placebo", 1)], block_sizes=[2]),
    ...                4, seed=3)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     with Ledger.open(pathlib.Path(tmp) / "ledger.db", lst) as ledger:
    ...         first = ledger.allocate("MMN-001", {}, by="nurse.a")
    ...         (first.seq, first.kit == lst.rows[0].kit)
    (1, True)
    """

    def __init__(
        self, database: Database, allocation_list: AllocationList, clock: Callable[[], datetime]
    ) -> None:
        self.database = database
        self.list = allocation_list
        self._clock = clock
        self._slots: dict[str, tuple[Row, ...]] = {
            s: allocation_list.slots(s) for s in allocation_list.design.strata()
        }

    @classmethod
    def open(
        cls,
        db: str | Path,
        allocation_list: AllocationList,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> Ledger:
        """Open (or create) the ledger in ``db`` for ``allocation_list``, after checking both.

        ``db`` is a SQLite file path or a database URL (``postgresql+psycopg://...``);
        opening migrates the database to the storage layer's head revision. ``clock``
        returns the current time (timezone-aware); tests pass a frozen one.
        """
        verify(allocation_list)
        ledger = cls(Database.open(db), allocation_list, clock)
        try:
            ledger._start_up()
        except BaseException:
            ledger.close()
            raise
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
        """Close every database connection."""
        self.database.close()

    def _now(self) -> str:
        now = self._clock()
        if now.tzinfo is None:
            raise RandomizationError(f"clock: got naive {now!r}, expected a timezone-aware time")
        return now.astimezone(UTC).isoformat()

    def _start_up(self) -> None:
        lst = self.list
        with self.database.write() as conn:
            accepted = [r.commitment for r in conn.execute(select(list_versions.c.commitment))]
            history = [c.sha256 for c in lst.history]
            if accepted and lst.commitment not in accepted and accepted[-1] not in history:
                raise ListTampered(
                    f"list: got commitment {lst.commitment}, expected the ledger's list "
                    f"{accepted[-1]} or an extension of it made with `mmntrial randomize "
                    "extend`; the list on disk has changed"
                )
            if lst.commitment not in accepted:
                conn.execute(
                    insert(list_versions).values(
                        commitment=lst.commitment, method=lst.method, accepted_at_utc=self._now()
                    )
                )
            self._check_allocations(conn)

    def _check_allocations(self, conn: Connection) -> None:
        minimization = not self.list.design.allocator.arms_in_list
        rows = conn.execute(
            select(
                allocations.c.subject,
                allocations.c.stratum,
                allocations.c.seq,
                allocations.c.kit,
                allocations.c.arm,
            )
        )
        for subject, stratum, seq, kit, arm in rows:
            slots = self._slots.get(stratum, ())
            row = slots[seq - 1] if 0 < seq <= len(slots) else None
            if row is None or row.kit != kit or (not minimization and row.arm != arm):
                raise ListTampered(
                    f"allocation of {subject!r} (stratum {stratum!r}, seq {seq}, kit {kit!r}): "
                    f"expected the list's slot {row}, which does not match"
                )

    def allocate(self, subject: str, strata: Mapping[str, str], *, by: str) -> Allocation:
        """Allocate ``subject`` (with these factor levels) to the next slot of its stratum.

        Raises AlreadyRandomized, ListExhausted, or a RandomizationError for unknown
        strata values. Safe to call from many processes at once.
        """
        subject = _required("subject", subject, "a subject identifier such as 'MMN-001'")
        by = _required("by", by, "the person who randomizes")
        design = self.list.design
        stratum = design.stratum_of(strata)
        values = {f.name: strata[f.name] for f in design.factors}
        with self.database.write() as conn:
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
            slots = self._slots[stratum]
            if used >= len(slots):
                raise ListExhausted(
                    f"stratum {stratum!r}: all {len(slots)} slots of list "
                    f"{self.list.commitment[:12]} are used; extend the list with `mmntrial "
                    f"randomize extend LIST --size {2 * self.list.size_per_stratum}` (committed "
                    "rows stay unchanged), then restart allocation with the extended list"
                )
            row = slots[used]
            arm = row.arm if row.arm is not None else self._arm_at_allocation(conn, values, row.seq)
            at = self._now()
            try:
                conn.execute(
                    insert(allocations).values(
                        subject=subject,
                        stratum=stratum,
                        seq=row.seq,
                        kit=row.kit,
                        arm=arm,
                        strata_json=json.dumps(values, sort_keys=True),
                        allocated_by=by,
                        allocated_at_utc=at,
                        list_commitment=self.list.commitment,
                    )
                )
            except IntegrityError as error:
                # Unreachable while every writer takes the write lock; kept as a backstop.
                raise RandomizationError(
                    f"subject {subject!r}: the ledger refused slot {stratum} #{row.seq} "
                    f"({error.orig})"
                ) from None
        return Allocation(subject, stratum, row.seq, row.kit, by, datetime.fromisoformat(at))

    def _arm_at_allocation(self, conn: Connection, values: Mapping[str, str], seq: int) -> str:
        # A method whose list leaves the arm open (minimization) chooses it from every
        # earlier allocation; the ledger only reads them and draws one stream per slot, so
        # the draw depends on the seed and the slot, not on the process.
        design = self.list.design
        index = {arm: k for k, arm in enumerate(design.arms)}
        earlier = [
            (json.loads(strata_json), index[arm])
            for strata_json, arm in conn.execute(
                select(allocations.c.strata_json, allocations.c.arm).order_by(allocations.c.id)
            )
        ]
        rng = stream(self.list.seed, design.method.value, str(seq))
        return design.arms[design.allocator.arm_at_allocation(design, earlier, values, rng)]

    def allocations(self) -> list[Allocation]:
        """Every allocation, blinded, in the order made."""
        with self.database.read() as conn:
            rows = conn.execute(select(allocations).order_by(allocations.c.id)).all()
        return [
            Allocation(
                r.subject,
                r.stratum,
                r.seq,
                r.kit,
                r.allocated_by,
                datetime.fromisoformat(r.allocated_at_utc),
            )
            for r in rows
        ]

    def reveal(self, subject: str, *, reason: str, by: str) -> Revelation:
        """Reveal the arm of ``subject``; the request is written to the ledger for good.

        Role checks (emergency unblinding by the investigator; the unblinded pharmacist
        and DSMB statistician) belong to the capture app that calls this.
        """
        reason, by = check_reveal_request(reason, by)
        with self.database.write() as conn:
            row = conn.execute(
                select(allocations.c.kit, allocations.c.arm).where(allocations.c.subject == subject)
            ).first()
            if row is None:
                raise RandomizationError(
                    f"subject: got {subject!r}, expected a randomized subject of this ledger"
                )
            at = self._now()
            conn.execute(
                insert(unblindings).values(
                    subject=subject,
                    kit=row.kit,
                    arm=row.arm,
                    reason=reason,
                    revealed_by=by,
                    revealed_at_utc=at,
                )
            )
        return Revelation(subject, row.kit, row.arm, reason, by, datetime.fromisoformat(at))

    def revelations(self) -> list[Revelation]:
        """Every unblinding so far, in order (this list itself shows arms: restrict it)."""
        with self.database.read() as conn:
            rows = conn.execute(select(unblindings).order_by(unblindings.c.id)).all()
        return [
            Revelation(
                r.subject,
                r.kit,
                r.arm,
                r.reason,
                r.revealed_by,
                datetime.fromisoformat(r.revealed_at_utc),
            )
            for r in rows
        ]


def _required(name: str, value: object, expected: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RandomizationError(f"{name}: got {value!r}, expected {expected}")
    return value.strip()
