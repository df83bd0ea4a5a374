"""Engines and the one-writer-at-a-time transaction, for SQLite and PostgreSQL.

Writers that read "the next free slot" and then take it must run one after another, or
two of them read the same slot. Each engine gets that guarantee its own way:

- SQLite: every write transaction starts with ``BEGIN IMMEDIATE``, which takes the
  database's write lock at once. WAL lets readers carry on meanwhile, and
  ``synchronous=FULL`` makes every commit survive a power cut. A read transaction is a
  plain (deferred) ``BEGIN``: under WAL its first statement fixes a snapshot that every
  later statement of the transaction sees, and it takes no lock a writer waits for. It
  runs with ``PRAGMA query_only`` on, so a write slipped into a read transaction (which
  would skip the write lock) fails instead of racing the writers. SQLite's own wait for
  a busy lock sleeps in growing steps (up to 100 ms), which makes eight busy writers
  crawl; where the OS has ``flock``, writers therefore first queue on an advisory lock
  file next to the database (``DB.lock``), which wakes the next one as soon as the lock
  is free. ``BEGIN IMMEDIATE`` still guards correctness on its own.
- PostgreSQL: a write transaction first takes a transaction-level advisory lock
  (``pg_advisory_xact_lock``), held until commit or rollback; statements after it see
  every commit made before it was granted (READ COMMITTED), so the next writer reads
  what the previous one wrote. A read transaction is ``READ ONLY`` and ``REPEATABLE
  READ``: one snapshot for all its statements, and a write in it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: SQLite's busy timeout does the queueing
    fcntl = None  # type: ignore[assignment]

from sqlalchemy import URL, Connection, Engine, create_engine, event, text

# Any fixed 64-bit number will do; every mmntrial writer of a database takes this one.
WRITE_LOCK_KEY = 0x6D6D6E7472696131  # "mmntria1"
# The execution option that marks a connection's transaction as a write (SQLite).
WRITE_OPTION = "mmntrial_write"
#: What a SQLite database's write queue adds to its path: the lock file beside it, which
#: stays when the writers are done (a folder that holds a study holds it too).
WRITE_LOCK_SUFFIX = ".lock"


def make_engine(url: URL) -> Engine:
    """An engine on ``url`` (SQLite or PostgreSQL, see :func:`.target.database_url`).

    Write through :func:`write_transaction` only: on SQLite any other transaction of this
    engine is a read (``query_only``), and a write in it fails.
    """
    if url.get_backend_name() == "sqlite":
        return _sqlite_engine(url)
    return create_engine(url, connect_args={"connect_timeout": 10})


def _sqlite_engine(url: URL) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 60.0})

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
    def _on_begin(connection: Connection) -> None:
        # query_only is a flag of the connection, so each BEGIN sets it both ways: a pooled
        # connection that served a read must not refuse the next write (not even its
        # BEGIN IMMEDIATE, hence first), nor the reverse.
        if connection.get_execution_options().get(WRITE_OPTION):
            connection.exec_driver_sql("PRAGMA query_only = OFF")
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")
            connection.exec_driver_sql("PRAGMA query_only = ON")

    return engine


@contextmanager
def write_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that no other mmntrial writer of the same database runs alongside."""
    if engine.dialect.name == "sqlite":
        with _write_queue(engine.url.database), engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn
        return
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": WRITE_LOCK_KEY})
        yield conn


@contextmanager
def read_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction that only reads, from one snapshot, and waits for no writer."""
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


@contextmanager
def _write_queue(database: str | None) -> Iterator[None]:
    """Hold the advisory lock file of ``database`` (a no-op where flock does not exist)."""
    if fcntl is None or database is None:  # pragma: no cover
        yield
        return
    # Opened per transaction, not per engine: flock does not exclude threads sharing an fd.
    fd = os.open(f"{database}{WRITE_LOCK_SUFFIX}", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock
