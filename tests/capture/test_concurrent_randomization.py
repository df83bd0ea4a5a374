"""100 concurrent randomizations over HTTP against a real `mmntrial serve`.

On SQLite and PostgreSQL: every eligible patient is randomized once (a second request
for the same patient is refused), no slot and no subject id is given twice, every
acknowledged randomization is in the ledger with its participant, and both hash chains
(the ledger and the audit trail) verify afterwards.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from mmntrial.capture import audit
from mmntrial.capture.tables import participants
from mmntrial.randomization import listfile
from mmntrial.randomization.ledgerchain import check as check_ledger
from mmntrial.randomization.store import allocations
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD
from tests.capture.trial_setup import enrol_eligible, study_list
from tests.storage.postgres import free_port

PATIENTS = 100
REPEATS = 20  # requests for patients already asked for: each must be refused
STARTUP_LIMIT_S = 60  # how long to wait for the server to listen (not a measured time)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def served(study: str | Path, tmp_path: Path) -> Iterator[tuple[str, list[int]]]:
    """The study with its list and 100 eligible patients at AMC, served: (URL, entries)."""
    with Database.open(study) as db, db.write() as conn:
        key = study_list(conn, size=PATIENTS)
        entries = [enrol_eligible(conn, "AMC", f"SCR-{n:03d}") for n in range(PATIENTS)]
    key_file = listfile.save(key, tmp_path / "list.json")
    port = free_port()
    command = [sys.executable, "-m", "mmntrial", "serve", "--db", str(study)]
    server = subprocess.Popen(
        [*command, "--port", str(port), "--key", str(key_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"mmntrial serve did not start: {output}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", entries
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()


def _signed_in(base: str, user: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=base, timeout=120)
    page = client.get("/login").text
    token = TOKEN.search(page)
    assert token is not None
    client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": token[1]})
    home = TOKEN.search(client.get("/").text)
    assert home is not None
    return client, home[1]


def test_100_concurrent_randomizations_give_each_slot_and_subject_once(
    served: tuple[str, list[int]], study: str | Path
) -> None:
    base, entries = served
    # Two users, two sessions, as two site staff would be.
    sessions = [_signed_in(base, "investigator_amc"), _signed_in(base, "study_nurse_amc")]
    asked = entries + entries[:REPEATS]

    def randomize(number: int) -> tuple[int, int, dict[str, object] | None]:
        client, token = sessions[number % 2]
        entry = asked[number]
        answer = client.post(
            f"/api/sites/AMC/screening/{entry}/randomize", headers={"X-CSRF-Token": token}
        )
        return entry, answer.status_code, answer.json() if answer.status_code == 201 else None

    try:
        with ThreadPoolExecutor(max_workers=len(asked)) as pool:
            results = list(pool.map(randomize, range(len(asked))))
    finally:
        for client, _ in sessions:
            client.close()
    statuses = Counter(status for _, status, _ in results)
    assert statuses == {201: PATIENTS, 409: REPEATS}
    acknowledged = {str(made["subject"]): made for _, _, made in results if made is not None}
    assert len(acknowledged) == PATIENTS
    with Database.open(study) as db, db.read() as conn:
        ledger = conn.execute(allocations.select()).mappings().all()
        made = conn.execute(participants.select()).mappings().all()
        check_ledger(conn)
        audit.check(conn)
    slots = Counter((row["stratum"], row["seq"]) for row in ledger)
    assert len(ledger) == PATIENTS
    assert max(slots.values()) == 1  # 0 duplicate slots
    assert sorted(s for s, _ in slots) == ["centre=AMC"] * PATIENTS
    assert sorted(seq for _, seq in slots) == list(range(1, PATIENTS + 1))  # none skipped
    assert len({row["subject"] for row in made}) == len(made) == PATIENTS  # 0 duplicate subjects
    in_ledger = {row["subject"]: row["kit"] for row in ledger}
    assert {s: m["kit"] for s, m in acknowledged.items()} == in_ledger
    assert {row["subject"]: row["kit"] for row in made} == in_ledger
