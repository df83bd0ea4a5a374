"""SIGKILL during 200 concurrent screening saves loses no acknowledged save (issue 14).

A real `mmntrial serve` runs on a SQLite file and on PostgreSQL. 20 clients, each
signed in with its own session and CSRF token, send 10 screenings each, all 200 at the
same time, half through the form (acknowledged by the redirect to the log, 303) and half
through the JSON API (201). The server is killed with SIGKILL the moment the
``KILL_AFTER``-th acknowledgment arrives: a count of answers, not a sleep, so the kill
always lands with saves still in flight. After a restart on the same database:

- every acknowledged save is in the screening log exactly once;
- no partial record: every row is a complete, valid screening and equals what its one
  audit entry says, and every audit entry of the screening log has its row;
- `mmntrial audit verify` passes.

A response that is neither an acknowledgment nor a dropped connection (a 5xx, a 4xx)
fails the test too: under load the app must save or refuse for a reason, never stumble.
"""

from __future__ import annotations

import asyncio
import signal
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from mmntrial.capture import audit, screening
from mmntrial.capture.permissions import Role
from mmntrial.capture.study import load_study
from mmntrial.capture.tables import screening_log
from mmntrial.storage import Database, chain
from tests.capture.conftest import PASSWORD, user_for
from tests.capture.server import REQUEST_LIMIT_S, client, serving, sign_in
from tests.cli.running import run_main

pytestmark = pytest.mark.slow

SAVES = 200
KILL_AFTER = 60  # acknowledgments before the kill: well under SAVES, so many are in flight
SITE = "AMC"
NURSE = user_for(Role.STUDY_NURSE)
# 20 sessions rather than 200: each sign-in costs three requests, and sign-ins are not
# what is tested; a session's requests still run concurrently (one connection each).
SESSIONS = 20


def _screening(number: int, exclusion: str) -> dict[str, str]:
    today = datetime.now(UTC).date()
    if number % 2:
        return {
            "screening_id": f"SCR-{number:03d}",
            "screened_on": today.isoformat(),
            "outcome": "enrolled",
            "consent_version": "v2.1",
            "consent_date": (today - timedelta(days=1)).isoformat(),
        }
    return {
        "screening_id": f"SCR-{number:03d}",
        "screened_on": today.isoformat(),
        "outcome": "excluded",
        "exclusion_code": exclusion,
    }


class Saves:
    """The outcome of the concurrent saves: what was acknowledged, what else came back."""

    def __init__(self) -> None:
        self.acknowledged: list[str] = []
        self.dropped = 0
        self.unexpected: list[str] = []


async def _save_all(base: str, exclusion: str, kill: Any) -> Saves:
    sessions = [client(base) for _ in range(SESSIONS)]
    outcome = Saves()
    try:
        tokens = await asyncio.gather(*(sign_in(s, NURSE, PASSWORD) for s in sessions))

        async def save(number: int) -> None:
            session, token = sessions[number % SESSIONS], tokens[number % SESSIONS]
            values = _screening(number, exclusion)
            path = f"/sites/{SITE}/screening"
            try:
                if number % 2:
                    answer = await session.post(
                        f"/api{path}", json=values, headers={"X-CSRF-Token": token}
                    )
                    acknowledged = answer.status_code == 201
                else:
                    answer = await session.post(path, data={**values, "csrf_token": token})
                    acknowledged = (
                        answer.status_code == 303 and answer.headers.get("location") == path
                    )
            except httpx.TransportError:
                outcome.dropped += 1  # the server died before it answered
                return
            if not acknowledged:
                outcome.unexpected.append(f"{values['screening_id']}: {answer.status_code}")
                return
            outcome.acknowledged.append(values["screening_id"])
            if len(outcome.acknowledged) == KILL_AFTER:
                kill()

        await asyncio.gather(*(save(n) for n in range(SAVES)))
    finally:
        await asyncio.gather(*(s.aclose() for s in sessions))
    return outcome


async def _logged_ids(base: str) -> list[str]:
    async with client(base) as session:
        await sign_in(session, NURSE, PASSWORD)
        answer = await session.get(f"/api/sites/{SITE}/screening")
    assert answer.status_code == 200, answer.text
    return [row["screening_id"] for row in answer.json()]


def _check_records(target: str | Path) -> None:
    """Every screening row is complete and valid and has exactly one audit entry, and back."""
    today = datetime.now(UTC).date()
    with Database.open(target) as db, db.read() as conn:
        exclusions = load_study(conn).exclusion_codes()
        rows = conn.execute(screening_log.select()).mappings().all()
        entries = [
            stored.entry
            for stored in chain.read(conn, audit.CHAIN)
            if stored.entry.content["table"] == screening_log.name
        ]
    by_record: dict[int, list[dict[str, Any]]] = {}
    for entry in entries:
        assert entry.kind == audit.INSERT, entry
        by_record.setdefault(entry.content["record"], []).append(entry.content["changes"])
    assert set(by_record) == {row["id"] for row in rows}
    for row in rows:
        values = {k: v for k, v in row.items() if k not in ("id", "site_id")}
        assert screening.checked_screening(values, exclusions, today).values() == values
        (changes,) = by_record[row["id"]]
        assert {field: new for field, (_old, new) in changes.items()} == {
            k: v for k, v in row.items() if k != "id"
        }


def test_sigkill_during_concurrent_saves_loses_no_acknowledged_save(
    study: str | Path, tmp_path: Path
) -> None:
    with Database.open(study) as db, db.read() as conn:
        exclusion = next(iter(load_study(conn).exclusion_codes()))
    log = tmp_path / "serve.log"
    with serving(study, log) as served:
        saves = asyncio.run(_save_all(served.base, exclusion, served.process.kill))
        assert not saves.unexpected, saves.unexpected
        assert len(saves.acknowledged) >= KILL_AFTER  # else no kill was sent: do not wait
        assert served.process.wait(timeout=REQUEST_LIMIT_S) == -signal.SIGKILL
    assert saves.dropped > 0, "the kill came after every save: nothing was in flight"

    with serving(study, log) as served:
        logged = asyncio.run(_logged_ids(served.base))
    for screening_id in saves.acknowledged:
        assert logged.count(screening_id) == 1, screening_id
    assert len(logged) == len(set(logged))
    _check_records(study)
    code, output = run_main(["audit", "verify", "--db", str(study)])
    assert code == 0, output
    assert "audit trail verified" in output
