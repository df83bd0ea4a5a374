"""The ledger's tables, its append-only triggers and the SQLite engine settings.

Three tables, each append-only: ``list_versions`` (every list commitment the ledger has
accepted), ``allocations`` (one row per randomized subject) and ``unblindings`` (one row
per revealed allocation). Unique constraints make a subject, a slot (stratum, seq) and a
kit code appear at most once; triggers abort any UPDATE or DELETE, so even a hand-typed
SQL statement cannot change or remove an allocation.

Every transaction starts with ``BEGIN IMMEDIATE``: it takes SQLite's write lock at once,
so concurrent allocators (threads or processes) run one after another instead of reading
the same "next slot" and colliding. WAL lets readers carry on meanwhile, and
``synchronous=FULL`` makes every committed allocation survive a power cut.

SQLite's own wait for a busy lock sleeps in growing steps (up to 100 ms), which makes
eight busy allocators crawl. Where the OS has ``flock``, writers therefore first queue on
an advisory lock file next to the database (``LEDGER.db.lock``), which wakes the next one
as soon as the lock is free; ``BEGIN IMMEDIATE`` still guards correctness on its own.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy timeout does the queueing
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import (
    Column,
    Engine,
    ForeignKey,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)

metadata = MetaData()

list_versions = Table(
    "list_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commitment", Text, nullable=False, unique=True),
    Column("method", Text, nullable=False),
    Column("accepted_at_utc", Text, nullable=False),
)

allocations = Table(
    "allocations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", Text, nullable=False, unique=True),
    Column("stratum", Text, nullable=False),
    Column("seq", Integer, nullable=False),
    Column("kit", Text, nullable=False, unique=True),
    Column("arm", Text, nullable=False),
    Column("strata_json", Text, nullable=False),
    Column("allocated_by", Text, nullable=False),
    Column("allocated_at_utc", Text, nullable=False),
    Column("list_commitment", Text, nullable=False),
    UniqueConstraint("stratum", "seq", name="uq_allocations_slot"),
)

unblindings = Table(
    "unblindings",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("subject", Text, ForeignKey("allocations.subject"), nullable=False),
    Column("kit", Text, nullable=False),
    Column("arm", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("revealed_by", Text, nullable=False),
    Column("revealed_at_utc", Text, nullable=False),
)

APPEND_ONLY = ("list_versions", "allocations", "unblindings")


def trigger_statements() -> list[str]:
    """CREATE TRIGGER statements that abort every UPDATE and DELETE on the ledger tables."""
    statements = []
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            statements.append(
                f"CREATE TRIGGER IF NOT EXISTS {table}_no_{action.lower()} "
                f"BEFORE {action} ON {table} BEGIN "
                f"SELECT RAISE(ABORT, 'mmntrial ledger: {table} is append-only'); END"
            )
    return statements


def make_engine(path: str | Path) -> Engine:
    """A SQLAlchemy engine on the SQLite file, with immediate write transactions."""
    engine = create_engine(f"sqlite:///{Path(path)}", connect_args={"timeout": 60.0})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take BEGIN out of the driver's hands so that we can say IMMEDIATE ourselves.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA busy_timeout = 60000")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = FULL")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


@contextmanager
def write_queue(database: Path) -> Iterator[None]:
    """Hold the advisory lock file of ``database`` (a no-op where flock does not exist)."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    # Opened per transaction, not per Ledger: flock does not exclude threads sharing an fd.
    fd = os.open(f"{database}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
