"""The audit trail's CSV holds no participant's arm, after a randomization and an unblinding.

The sealed allocation lives in the ledger (its own chain), and an emergency unblinding
records who asked, when and why, never the arm it showed. The arm names appear in the
trail only as the trial's design: the protocol's text (table ``study``) and the slots
file's parameters (table ``allocation_lists``), which name the arms and their ratio and
no slot's arm.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from fastapi.testclient import TestClient

from mmntrial.capture.export import export_audit
from mmntrial.capture.permissions import Role
from mmntrial.capture.web import create_app
from mmntrial.storage import Database
from tests.capture.conftest import user_for
from tests.capture.test_randomize import _arm_words
from tests.capture.trial_setup import enrol_eligible, with_list
from tests.capture.web_client import sign_in

#: Where the design names its arms: the protocol's text, the slots file's parameters.
DESIGN = {("study", "protocol_text"), ("allocation_lists", "slots_json")}


def test_the_audit_csv_holds_no_participants_arm(study: str | Path, tmp_path: Path) -> None:
    key = with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-A1")
        with TestClient(create_app(db, secret="s", key=key), follow_redirects=False) as client:
            client.headers["X-CSRF-Token"] = sign_in(client, user_for(Role.INVESTIGATOR))
            assert client.post(f"/api/sites/AMC/screening/{entry}/randomize").status_code == 201
            told = client.post(
                "/api/sites/AMC/participants/AMC-001/unblind", json={"reason": "emergency"}
            )
            assert told.json()["arm"] in key.design.arms, told.text
        with db.read() as conn:
            export_audit(conn, tmp_path / "audit.csv")
    words = _arm_words(key, study)
    with (tmp_path / "audit.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert any(r["table"] == "emergency_unblindings" for r in rows)
    elsewhere = [
        (r["table"], r["field"])
        for r in rows
        if (r["table"], r["field"]) not in DESIGN and any(w in ",".join(r.values()) for w in words)
    ]
    assert elsewhere == []
    (slots,) = [json.loads(r["new"]) for r in rows if (r["table"], r["field"]) == (
        "allocation_lists", "slots_json")]  # fmt: skip
    assert all(set(row) == {"kit", "seq", "stratum"} for row in slots["rows"])
