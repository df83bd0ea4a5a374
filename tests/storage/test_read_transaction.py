"""Read transactions: they wait for no writer, see one snapshot, and cannot write."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select
from sqlalchemy.exc import DBAPIError

from mmntrial.storage import Database
from mmntrial.storage.chain import append, chain_entries

AT = "2026-03-01T08:30:00+00:00"


def _count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(chain_entries)).scalar_one())


def test_a_read_does_not_wait_for_a_writer_holding_the_lock(database: str | Path) -> None:
    with Database.open(database) as db:
        with db.write() as conn:
            append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S1"})
        seen: list[int] = []
        with db.write() as conn:
            append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S2"})

            def read() -> None:
                with db.read() as reader:
                    seen.append(_count(reader))

            # The writer holds its lock until this block ends, so a read that waited for
            # it would never finish here; the join's timeout only keeps a failure short.
            thread = threading.Thread(target=read, daemon=True)
            thread.start()
            thread.join(timeout=30)
            finished_while_locked = not thread.is_alive()
    assert finished_while_locked, "a read waited for the writer's lock"
    assert seen == [1]  # the last commit, not the writer's uncommitted row


def test_a_read_sees_one_snapshot(database: str | Path) -> None:
    with Database.open(database) as db:
        with db.write() as conn:
            append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S1"})
        with db.read() as reader:
            before = _count(reader)
            with db.write() as conn:
                append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S2"})
            after = _count(reader)
        with db.read() as reader:
            later = _count(reader)
    assert (before, after, later) == (1, 1, 2)


def test_a_write_inside_a_read_fails_and_the_next_write_works(database: str | Path) -> None:
    with Database.open(database) as db:
        with pytest.raises(DBAPIError, match=r"(?i)read.?only"), db.read() as conn:
            append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S1"})
        with db.write() as conn:  # the pooled connection is writable again
            append(conn, "audit", "edit", "dm.smit", AT, {"subject": "S1"})
        with db.read() as conn:
            assert _count(conn) == 1
