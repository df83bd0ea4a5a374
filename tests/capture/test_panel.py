"""The engine panel in the app: read from the records, vials from the site's setting, the
investigator's accept or override recorded and audited, holding when data are missing."""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from mmntrial.capture import audit, dosing
from mmntrial.capture.site_vials import set_vials, vials_of
from mmntrial.capture.study import load_study
from mmntrial.capture.web import create_app
from mmntrial.measures.vials import SiteVials
from mmntrial.storage import Database, chain
from tests.capture.test_assessments import grades
from tests.capture.trial_setup import TODAY, enrol_eligible, with_list
from tests.capture.web_client import sign_in
from tests.cli.running import run_main

SUBJECT = "/sites/AMC/participants/AMC-001"
PANEL, DECIDE = "/api" + SUBJECT + "/panel", "/api" + SUBJECT + "/decision"


@dataclass
class Trial:
    """An investigator's client of a study whose clock the test moves, and its database."""

    client: TestClient
    db: Database
    clock: list[date]

    def on_day(self, day: int) -> None:
        self.clock[0] = TODAY + timedelta(days=day)

    def infusion(self, day: int, dose_g: float = 40) -> None:
        given = {
            "given_on": (TODAY + timedelta(days=day)).isoformat(),
            "product": "Kiovig",
            "lot": f"L{day + 100}",
            "dose_g": str(dose_g),
            "weight_kg": "70",
            "interval_days": "28",
        }
        done = self.client.post("/api" + SUBJECT + "/infusions", json=given)
        assert done.status_code == 201, done.text

    def visit(self, name: str, day: int, mrc: str = "5", gnds: str = "2") -> None:
        on = (TODAY + timedelta(days=day)).isoformat()
        done = self.client.post(
            "/api" + SUBJECT + "/visits", json={"visit": name, "visited_on": on}
        )
        assert done.status_code == 201, done.text
        form = {**grades(mrc), "value.gnds_upper": gnds}
        saved = self.client.post("/api" + SUBJECT + f"/visits/{name}/assessment", json=form)
        assert saved.status_code == 201, saved.text


@pytest.fixture
def trial(study: str | Path) -> Iterator[Trial]:
    """AMC-001 randomized on TODAY with three baseline infusions of 40 g every 28 days."""
    clock = [TODAY]
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            entry = enrol_eligible(conn, "AMC", "SCR-P1")
        app = create_app(db, secret="test secret", today=lambda: clock[0])
        with TestClient(app, follow_redirects=False) as client:
            client.headers["X-CSRF-Token"] = sign_in(client, "investigator_amc")
            assert client.post(f"/api/sites/AMC/screening/{entry}/randomize").status_code == 201
            made = Trial(client, db, clock)
            for day in (-84, -56, -28):
                made.infusion(day)
            yield made


def test_the_panel_reads_the_records_and_gives_the_run_in_dose(trial: Trial) -> None:
    panel = trial.client.get(PANEL).json()
    assert (panel["day"], panel["action"], panel["dose_g"], panel["interval_days"]) == (
        0,
        "baseline",
        40.0,
        28.0,
    )
    assert panel["current"].startswith("Current regimen: 40 g every 28 days")
    assert panel["vials"] is None
    assert any("No vial sizes are set for this site" in line for line in panel["lines"])
    page = html.unescape(trial.client.get(SUBJECT).text)
    assert "Engine panel for an infusion on 2026-12-01" in page
    assert "Run-in until day 91" in page


def test_the_engine_holds_and_says_what_is_missing(trial: Trial) -> None:
    """At the first taper step with no assessment (and grip never measured), the engine
    holds at the full dose and names each missing measure; an undated visit is not read."""
    for day in (0, 28, 56, 84):
        trial.on_day(day)
        trial.infusion(day)
    trial.on_day(112)
    form = {**grades("5"), "value.gnds_upper": "2"}
    saved = trial.client.post("/api" + SUBJECT + "/visits/M3/assessment", json=form)
    assert saved.status_code == 201
    panel = trial.client.get(PANEL).json()
    assert (panel["action"], panel["dose_g"], panel["holds"]) == ("hold", 40.0, True)
    missing = {(m["kind"], m["measure"]) for m in panel["missing"]}
    assert {("no_assessment", "mrc_sum"), ("no_assessment", "grip_kpa")} <= missing
    assert panel["unread"] == [
        "Not read: the assessment of visit M3 has no date: record the date the visit was done."
    ]
    assert "Missing data never lowers a dose" in panel["explanation"]


def test_grip_rows_per_hand_are_read_by_their_series_keys(trial: Trial) -> None:
    trial.visit("M0", 0)
    with trial.db.write() as conn:
        participant_id = conn.exec_driver_sql("SELECT id FROM participants").scalar_one()
        for side, value in (("left", 61.0), ("right", 58.0)):
            row = {"participant_id": participant_id, "visit": "M0", "measure": "grip_kpa",
                   "side": side}  # fmt: skip
            audit.insert(
                conn,
                audit.TABLES["assessments"],
                {**row, "value": value, "detail_json": "{}"},
                "test",
            )
        records = dosing.patient_history(conn, "AMC", "AMC-001")
    (m0,) = records.history.assessments
    assert dict(m0.values) == {
        "gnds_upper": 2.0,
        "grip_kpa:left": 61.0,
        "grip_kpa:right": 58.0,
        "mrc_sum": 100.0,
    }


def test_the_dose_is_given_in_the_vials_the_site_sets(trial: Trial) -> None:
    with trial.db.write() as conn:
        set_vials(conn, "AMC", SiteVials((5, 10, 20), 5), "test", None)
    panel = trial.client.get(PANEL).json()
    assert (panel["dispensed_g"], panel["vials"]) == (40.0, "2 x 20 g")
    assert panel["vials"] == "2 x 20 g"
    with trial.db.write() as conn:
        set_vials(conn, "AMC", SiteVials((15,), 5), "test", "the pharmacy stocks 15 g only")
        assert vials_of(conn, "UMCU") is None
    panel = trial.client.get(PANEL).json()
    assert panel["dispensed_g"] is None
    assert any("No dispensable dose within 5% of 40 g" in line for line in panel["lines"])
    refused = trial.client.post(DECIDE, json={"outcome": "accept"})
    assert refused.status_code == 422
    (problem,) = refused.json()["detail"]
    assert problem["field"] == "outcome"
    assert "no whole number of the site's vials" in problem["message"]


def test_accepting_records_the_panel_dose_audited(trial: Trial) -> None:
    with trial.db.write() as conn:
        set_vials(conn, "AMC", SiteVials((5, 10, 20), 5), "test", None)
    accepted = trial.client.post(DECIDE, json={"outcome": "accept", "weight_kg": "70"})
    assert accepted.status_code == 201, accepted.text
    made = accepted.json()
    assert (made["outcome"], made["ordered_dose_g"], made["ordered_interval_days"]) == (
        "accepted",
        40.0,
        28,
    )
    assert (made["action"], made["engine_dose_g"], made["decided_by"]) == (
        "baseline",
        40.0,
        "investigator_amc",
    )
    again = trial.client.post(DECIDE, json={"outcome": "accept"})
    assert again.status_code == 409  # the record's state refuses it, not the value typed
    assert "decided already" in again.json()["detail"][0]["message"]
    with trial.db.read() as conn:
        audit.check(conn)
        last = [e.entry for e in chain.read(conn, audit.CHAIN)][-1]
    assert (last.who, last.content["table"]) == ("investigator_amc", "dose_decisions")
    assert last.content["changes"]["outcome"] == [None, "accepted"]
    page = trial.client.get(SUBJECT + "/panel").text
    assert "infusions?given_on=2026-12-01&amp;dose_g=40&amp;interval_days=28" in page
    prefilled = trial.client.get(SUBJECT + "/infusions?given_on=2026-12-01&dose_g=40").text
    assert 'name="dose_g" inputmode="decimal" value="40"' in prefilled


def test_an_override_needs_a_reason_and_is_a_protocol_deviation(trial: Trial) -> None:
    bare = trial.client.post(DECIDE, json={"outcome": "override", "given_dose_g": "35"})
    assert bare.status_code == 422
    (problem,) = bare.json()["detail"]
    assert problem["field"] == "reason"
    assert problem["message"].startswith("reason: got '', expected why the dose given differs")
    form = {"outcome": "override", "given_dose_g": "35", "csrf_token": "x"}
    form["csrf_token"] = trial.client.headers["X-CSRF-Token"]
    page = trial.client.post(SUBJECT + "/decision", data=form)
    assert page.status_code == 422
    assert "reason: got" in html.unescape(page.text)
    same = trial.client.post(
        DECIDE, json={"outcome": "override", "given_dose_g": "40", "reason": "as planned"}
    )
    assert same.status_code == 422
    assert same.json()["detail"][0]["field"] == "given_dose_g"
    form["reason"] = "patient asked for a lower dose"
    assert trial.client.post(SUBJECT + "/decision", data=form).status_code == 303
    with trial.db.read() as conn:
        audit.check(conn)
        last = [e.entry for e in chain.read(conn, audit.CHAIN)][-1]
    assert last.content["table"] == "dose_decisions"
    assert last.content["changes"]["outcome"] == [None, "deviation"]
    assert last.content["changes"]["reason"] == [None, "patient asked for a lower dose"]
    assert last.content["changes"]["protocol_dose_g"] == [None, 40.0]
    listed = html.unescape(trial.client.get("/sites/AMC/deviations").text)
    assert "patient asked for a lower dose" in listed
    assert "35 g every 28 days" in listed
    decisions = trial.client.get(PANEL).json()["decisions"]
    assert [(d["outcome"], d["ordered_dose_g"]) for d in decisions] == [("deviation", 35.0)]
    assert "protocol deviation" in trial.client.get(SUBJECT + "/panel").text


def test_a_bad_weight_and_an_unknown_outcome_are_named(trial: Trial) -> None:
    weight = trial.client.get(PANEL + "?weight_kg=heavy")
    assert weight.status_code == 422
    assert weight.json()["detail"][0]["field"] == "weight_kg"
    assert trial.client.get(SUBJECT + "/panel?weight_kg=heavy").status_code == 422
    outcome = trial.client.post(DECIDE, json={"outcome": "maybe"})
    assert outcome.status_code == 422
    assert outcome.json()["detail"][0]["message"].startswith("outcome: got 'maybe'")
    assert trial.client.get("/api/sites/AMC/participants/NOBODY/panel").status_code == 404


def test_a_panel_before_any_infusion_says_why_it_cannot_decide(study: str | Path) -> None:
    with_list(study)
    with Database.open(study) as db:
        with db.write() as conn:
            enrol_eligible(conn, "AMC", "SCR-P2")
        with TestClient(
            create_app(db, secret="s", today=lambda: TODAY), follow_redirects=False
        ) as client:
            client.headers["X-CSRF-Token"] = sign_in(client, "investigator_amc")
            assert client.post("/api/sites/AMC/screening/1/randomize").status_code == 201
            panel = client.get(PANEL).json()
            assert panel["problem"].startswith("The engine cannot decide yet: subject AMC-001")
            refused = client.post(DECIDE, json={"outcome": "accept"})
            assert refused.status_code == 409
            assert refused.json()["detail"][0]["field"] == "outcome"
            form = client.post(DECIDE.removeprefix("/api"), data={"outcome": "accept"})
            assert (form.status_code, "cannot decide yet" in form.text) == (409, True)


def test_study_vials_sets_and_changes_a_site_setting_with_a_reason(study: str | Path) -> None:
    db = str(study)
    args = ["study", "vials", "--db", db, "--site", "AMC", "--sizes", "20,5,10"]
    assert run_main([*args, "--tolerance", "5"]) == (
        0,
        "site AMC: vials of 20, 10, 5 g, tolerance 5% (set)",
    )
    code, output = run_main([*args, "--tolerance", "10"])
    assert code == 2
    assert "reason: got None" in output
    assert run_main([*args, "--tolerance", "10", "--reason", "new contract"])[0] == 0
    code, output = run_main([*args, "--tolerance", "80"])
    assert code == 2
    assert "--tolerance: tolerance_percent: got 80.0" in output
    code, output = run_main(["study", "vials", "--db", db, "--site", "XYZ", "--sizes", "5",
                             "--tolerance", "5"])  # fmt: skip
    assert code == 2
    assert "--site: got 'XYZ', expected a site of the study" in output
    with Database.open(study) as database, database.read() as conn:
        assert vials_of(conn, "AMC") == SiteVials((20, 10, 5), 10)
        assert load_study(conn).protocol_name == "piepers-2007"


def grip(trial: Trial, visit: str, left: float = 60, right: float = 60) -> None:
    """Grip rows per hand for ``visit``, as the grip form stores them (it has no page yet)."""
    with trial.db.write() as conn:
        participant_id = conn.exec_driver_sql("SELECT id FROM participants").scalar_one()
        for side, value in (("left", left), ("right", right)):
            row = {"participant_id": participant_id, "visit": visit, "measure": f"grip_kpa:{side}"}
            audit.insert(
                conn, audit.TABLES["assessments"], {**row, "value": value, "detail_json": "{}"}, "t"
            )


def test_a_drop_brings_a_confirmation_visit_whose_repeat_the_engine_reads(trial: Trial) -> None:
    """Three reference visits, a taper step, a drop, the repeat on its own visit, the
    restore: each decision the engine's, each accepted on its day."""
    for day, visit in ((0, "M0"), (30, "M1"), (61, "M2"), (91, "M3")):
        trial.on_day(day)
        trial.visit(visit, day)
        grip(trial, visit)
    for day in (0, 28, 56, 84):
        trial.on_day(day)
        trial.infusion(day)
    trial.on_day(112)
    step = trial.client.post(DECIDE, json={"outcome": "accept"}).json()
    assert (step["action"], step["ordered_dose_g"]) == ("reduce", 30.0)
    trial.infusion(112, 30)
    trial.on_day(122)
    trial.visit("M4", 122, mrc="4")  # every grade one lower: a drop of 20 points
    grip(trial, "M4")
    trial.on_day(124)
    pending = trial.client.get(PANEL).json()["pending"]
    assert (pending["drop_on"], pending["from"], pending["by"]) == (
        "2027-04-02",
        "2027-04-03",
        "2027-04-16",
    )
    assert pending["repeat"] == [{"measure": "mrc_sum", "sides": []}]
    page = html.unescape(trial.client.get(SUBJECT).text)
    assert "Confirmation visit" in page
    assert "Repeat MRC sum from 2027-04-03 to 2027-04-16 (due)" in page
    assert "/visits/repeat-2027-04-02/assessment" in page
    early = trial.client.post(
        "/api" + SUBJECT + "/visits",
        json={"visit": "repeat-2027-04-02", "visited_on": "2027-04-02"},
    )
    assert early.status_code == 422
    assert early.json()["detail"][0]["field"] == "visited_on"
    trial.on_day(126)
    trial.visit("repeat-2027-04-02", 126, mrc="4")
    repeat_form = trial.client.get(SUBJECT + "/visits/repeat-2027-04-02/assessment").text
    assert 'name="value.gnds_upper"' in repeat_form
    assert "repeat-2027-04-02" in trial.client.get(SUBJECT).text
    assert [v["visit"] for v in trial.client.get("/api" + SUBJECT + "/calendar").json()["visits"]][
        :2
    ] == ["M0", "M1"]
    trial.on_day(140)
    restore = trial.client.get(PANEL).json()
    assert (restore["action"], restore["dose_g"], restore["pending"]) == ("restore", 40.0, None)
    assert "Deterioration confirmed on day 126" in restore["explanation"]
    accepted = trial.client.post(DECIDE, json={"outcome": "accept"}).json()
    assert (accepted["action"], accepted["ordered_dose_g"]) == ("restore", 40.0)


def test_a_withdrawn_participant_gets_no_dose_from_the_engine(trial: Trial) -> None:
    """The end of study is read with the records: after a withdrawal the panel gives no
    dose, and there is none to accept (the engine never doses a withdrawn patient)."""
    assert trial.client.get(PANEL).json()["dose_g"] == 40.0
    left = {"status": "withdrawn", "last_on": TODAY.isoformat(), "reason": "moved abroad"}
    done = trial.client.post("/api" + SUBJECT + "/disposition", json=left)
    assert done.status_code == 201, done.text
    panel = trial.client.get(PANEL).json()
    assert (panel["action"], panel["dose_g"]) == ("none", None), panel
    refused = trial.client.post(DECIDE, json={"outcome": "accept"})
    assert refused.status_code == 422
    assert "recommends no dose" in refused.json()["detail"][0]["message"]
