"""A study nurse's client with participant AMC-001 randomized on TODAY, for form tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import audit
from mmntrial.capture.web import create_app
from mmntrial.storage import Database, chain
from mmntrial.storage.chain import Entry
from tests.capture.trial_setup import TODAY, enrol_eligible, with_list
from tests.capture.web_client import sign_in

PARTICIPANT = "/sites/AMC/participants/AMC-001"


@contextmanager
def nurse_client(study: str | Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    """The client, signed in as AMC's study nurse, its CSRF token in ``X-CSRF-Token``."""
    monkeypatch.setattr("mmntrial.capture.web._today", lambda: TODAY)
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-F1")
        with TestClient(create_app(db, secret="test secret"), follow_redirects=False) as made:
            made.headers["X-CSRF-Token"] = sign_in(made, "study_nurse_amc")
            assert made.post(f"/api/sites/AMC/screening/{entry}/randomize").status_code == 201
            yield made


def trail_of(study: str | Path, table: str) -> list[Entry]:
    """The audit entries of ``table``, after checking the whole trail against the tables."""
    with Database.open(study) as db, db.read() as conn:
        audit.check(conn)
        entries = [s.entry for s in chain.read(conn, audit.CHAIN)]
    return [e for e in entries if e.content["table"] == table]
