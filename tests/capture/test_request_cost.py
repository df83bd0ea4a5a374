"""What a request costs the server: transactions per check, and no stalled event loop."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, event

from mmntrial.capture.permissions import Role
from tests.capture.conftest import user_for
from tests.capture.web_client import app_client, sign_in

TODAY = datetime.now(UTC).date()
ENROL = {
    "screening_id": "SCR-1",
    "screened_on": TODAY.isoformat(),
    "outcome": "enrolled",
    "consent_version": "v2.1",
    "consent_date": (TODAY - timedelta(days=1)).isoformat(),
}


def test_the_permission_check_reads_in_one_transaction(study: str | Path) -> None:
    with app_client(study) as (client, database):
        sign_in(client, user_for(Role.STUDY_NURSE))
        begun: list[object] = []

        def count(conn: Connection) -> None:
            begun.append(conn)

        event.listen(database.engine, "begin", count)
        try:
            answer = client.get("/api/sites/AMC/screening")
        finally:
            event.remove(database.engine, "begin", count)
    assert answer.status_code == 200
    # One for the guard (user, grants and site together), one for the route's own read.
    assert len(begun) == 2


def test_a_save_waiting_for_the_lock_does_not_stall_other_requests(study: str | Path) -> None:
    with app_client(study) as (client, database):
        token = sign_in(client, user_for(Role.STUDY_NURSE))
        order: list[str] = []
        locked, entered, release = threading.Event(), threading.Event(), threading.Event()
        write = database.write

        @contextmanager
        def noted_write() -> Iterator[Connection]:
            entered.set()  # the save has reached its write transaction and now waits
            with write() as conn:
                yield conn

        def hold_the_lock() -> None:
            with write():
                locked.set()
                release.wait(timeout=30)  # only so that a failing run ends
                order.append("released")

        def save() -> None:
            answer = client.post("/sites/AMC/screening", data={**ENROL, "csrf_token": token})
            order.append(f"saved {answer.status_code}")

        holder = threading.Thread(target=hold_the_lock, daemon=True)
        holder.start()
        locked.wait()
        database.write = noted_write  # type: ignore[method-assign]
        saver = threading.Thread(target=save, daemon=True)
        saver.start()
        entered.wait()
        # Served while the save waits for the lock: a save blocking the event loop
        # would hold this request until the lock is released.
        study_answer = client.get("/api/study")
        order.append(f"read {study_answer.status_code}")
        release.set()
        holder.join()
        saver.join()
    assert order == ["read 200", "released", "saved 303"]
