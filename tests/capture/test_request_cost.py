"""What a request costs the server: transactions per check."""

from __future__ import annotations

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
