"""One participant through the trial in Debian's Chromium, the server's clock moving.

An investigator screens a patient, assesses eligibility, randomizes, logs the baseline
infusions, fills three monthly visits and a fourth (the MRC sum shown as the grades are
typed, before saving), accepts the engine's doses at each infusion (the run-in, then a
taper step), sees a drop bring a confirmation visit, fills the repeat, and accepts the
engine's restore. Every step goes through the pages; the
server (tests/capture/clock_server.py) reads its date from a file this test writes.

Seeded, not typed: the study, its list and the investigator (the command line's work).
The baseline infusions are logged through the infusion page, and the grip per hand
(three trials, the best kept) through the visit's grip form.

``MMNTRIAL_SCREENSHOTS=docs/images`` also writes the README's screenshots there
(palette PNG): ``MMNTRIAL_SCREENSHOTS=docs/images uv run pytest -k journey``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect, sync_playwright

from mmntrial.capture import accounts
from mmntrial.capture.study import init_study
from mmntrial.storage import Database
from tests.capture.conftest import PASSWORD
from tests.capture.test_assessments import MUSCLES
from tests.capture.trial_setup import CLINICAL, DEFINITE_SEGMENT, EXCLUSION_IDS, study_list
from tests.cli.running import run_main
from tests.report.test_report_browser import CHROMIUM, CHROMIUM_ARGS
from tests.storage.postgres import free_port

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: run `sudo bash scripts/system-deps` to install Chromium",
)

DAY0 = date(2026, 12, 1)
DOCTOR = "dr.jansen"
STARTUP_LIMIT_S = 60  # how long to wait for the server to listen (not a measured time)
SUBJECT = "/sites/AMC/participants/AMC-001"
BASELINE = "Next dose: 40 g (2 x 20 g) every 28 days (baseline)"


@dataclass
class Journey:
    """The browser page, the server's base URL, its clock file and database."""

    page: Page
    base: str
    clock: Path
    db: Path
    shots: Path

    def on_day(self, day: int) -> None:
        self.clock.write_text((DAY0 + timedelta(days=day)).isoformat(), encoding="utf-8")

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)

    def submit(self, form: str) -> None:
        self.page.click(f"{form} button[type=submit]")
        assert self.page.locator("#error").count() == 0, self.page.locator("#error").inner_text()

    def visit(self, name: str, day: int, grade: str = "5") -> None:
        """Record ``name`` done on ``day`` and fill its form (MRC grades, GNDS)."""
        on = (DAY0 + timedelta(days=day)).isoformat()
        self.go(SUBJECT)
        if name.startswith("repeat-"):
            self.page.fill("#record-repeat input[name=visited_on]", on)
            self.submit("#record-repeat")
        else:
            self.page.select_option("form[action$='/visits'] select[name=visit]", name)
            self.page.fill("form[action$='/visits']:not(#record-repeat) input[name=visited_on]", on)
            self.submit("form[action$='/visits']:not(#record-repeat)")
        self.go(f"{SUBJECT}/visits/{name}/assessment")
        # The sum, the grades missing and a refused grade show as typed (htmx asks the
        # server), before any save: the page showed a sum of 0 when it opened.
        first = f"input[name='mrc.left.{MUSCLES[0]}']"
        self.page.fill(first, "7")
        expect(self.page.locator("#mrc-refused")).to_contain_text(f"mrc.left.{MUSCLES[0]}")
        self.page.fill(first, grade)
        expect(self.page.locator("#mrc-sum")).to_contain_text(f"entered: {grade} of 100")
        expect(self.page.locator("#mrc-missing")).to_contain_text(
            f"{MUSCLES[1].replace('_', ' ')} (left)"
        )
        for side in ("left", "right"):
            for muscle in MUSCLES:
                self.page.fill(f"input[name='mrc.{side}.{muscle}']", grade)
        expect(self.page.locator("#mrc-sum")).to_contain_text(f"(MRC sum {20 * int(grade)})")
        self.page.fill("input[name='value.gnds_upper']", "2")
        self.submit("form[action$='/assessment']")
        self.grip(name)

    def grip(self, visit: str) -> None:
        """Fill ``visit``'s grip form: three trials per hand on the Martin vigorimeter."""
        self.go(f"{SUBJECT}/visits/{visit}/grip")
        self.page.select_option("select[name=instrument]", "martin_vigorimeter")
        self.page.fill("input[name=unit]", "kPa")
        for side in ("left", "right"):
            for n, reading in enumerate(("58", "60", "59"), start=1):
                self.page.fill(f"input[name='grip.{side}.trial{n}']", reading)
        self.submit("form[action$='/grip']")

    def accept_and_give(self, day: int, expected: str) -> None:
        """Accept the panel's dose on ``day`` and log it through the pre-filled form."""
        self.on_day(day)
        self.go(SUBJECT + "/panel")
        assert self.page.locator("#next-dose").inner_text() == expected
        self.submit("#accept")
        self.page.locator("#decisions tbody tr").last.locator("a").click()
        self.infusion(None)

    def infusion(self, given: tuple[str, str] | None) -> None:
        if given is not None:
            self.go(SUBJECT + "/infusions")
            self.page.fill("input[name=given_on]", given[0])
            self.page.fill("input[name=dose_g]", given[1])
            self.page.fill("input[name=interval_days]", "28")
        self.page.fill("input[name=product]", "Kiovig")
        self.page.fill("input[name=lot]", "LE12A345")
        self.page.fill("input[name=weight_kg]", "70")
        self.submit("form[action$='/infusions']")


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    """The study served with a movable clock: (base URL, clock file, database)."""
    path, clock = tmp_path / "study.db", tmp_path / "today.txt"
    clock.write_text(DAY0.isoformat(), encoding="utf-8")
    with Database.open(path) as db, db.write() as conn:
        init_study(conn, "piepers-2007", ["AMC", "UMCU"], "alice", PASSWORD)
        accounts.add_user(conn, DOCTOR, PASSWORD, "setup")
        accounts.grant(conn, DOCTOR, "investigator", "AMC", "setup")
        study_list(conn)
    assert run_main(["study", "vials", "--db", str(path), "--site", "AMC", "--sizes",
                     "5,10,20", "--tolerance", "5"])[0] == 0  # fmt: skip
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tests.capture.clock_server", str(path), str(clock), str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_LIMIT_S
        while not _listening(port):
            if server.poll() is not None or time.monotonic() > deadline:
                output = server.stdout.read().decode() if server.stdout else ""
                pytest.fail(f"the clock server did not start: {output}")
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}", clock, path
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()


def _enrol_and_randomize(j: Journey) -> None:
    page = j.page
    j.go("/sites/AMC/screening")
    page.fill("input[name=screening_id]", "SCR-001")
    page.fill("input[name=screened_on]", DAY0.isoformat())
    page.check("input[name=outcome][value=enrolled]")
    page.fill("input[name=consent_version]", "v2.1")
    page.fill("input[name=consent_date]", (DAY0 - timedelta(days=1)).isoformat())
    page.click("button:has-text('Save')")
    page.click("a:has-text('eligibility')")
    page.fill("input[name=assessed_on]", DAY0.isoformat())
    page.fill("input[name=age_years]", "52")
    page.check("input[name=sex][value=F]")
    for code in EXCLUSION_IDS:
        page.check(f"input[name='exclusions.{code}'][value=no]")
    for name, value in CLINICAL.items():
        if isinstance(value, bool):
            if value:
                page.check(f"input[name='clinical.{name}']")
        else:
            page.fill(f"input[name='clinical.{name}']", str(value))
    for name in ("anti_gm1", "ivig_improvement", "sensory_conduction_normal"):
        selector = "supportive." + name if name != "sensory_conduction_normal" else name
        page.check(f"input[name='{selector}']")
    for field, value in DEFINITE_SEGMENT.items():
        selector = f"input[name='segments.0.{field}']"
        if isinstance(value, bool):
            if value:
                page.check(selector)
        else:
            page.fill(selector, str(value))
    j.submit("form[action$='/eligibility']")
    assert page.locator("#verdict").inner_text() == "Eligible"
    assert page.locator("#demographics").inner_text() == "Age 52 years, sex F"
    page.click("#randomize")
    assert page.url == j.base + "/sites/AMC/participants"
    page.click("a:has-text('AMC-001')")
    assert "Day 0 (randomized): 2026-12-01" in page.locator("main").inner_text()


def _save(page: Page, path: Path, docs: str | None, name: str) -> None:
    page.screenshot(path=str(path / f"{name}.png"), full_page=True)
    if docs:
        Image.open(path / f"{name}.png").convert("RGB").quantize(64).save(
            Path(docs) / f"{name}.png", optimize=True
        )


def test_journey_from_screening_to_an_accepted_restore(
    served: tuple[str, Path, Path], tmp_path: Path
) -> None:
    base, clock, path = served
    docs = os.environ.get("MMNTRIAL_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            j = Journey(page, base, clock, path, tmp_path)
            j.go("/login")
            page.fill("input[name=username]", DOCTOR)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            _enrol_and_randomize(j)
            for day in (-84, -56, -28):  # the baseline, logged through the page
                j.infusion(((DAY0 + timedelta(days=day)).isoformat(), "40"))
            for given, day, visit in ((0, 0, "M0"), (28, 30, "M1"), (56, 61, "M2"), (84, 91, "M3")):
                j.accept_and_give(given, BASELINE)
                j.on_day(day)
                j.visit(visit, day)
            j.accept_and_give(112, "Next dose: 30 g (1 x 20 g + 1 x 10 g) every 28 days (reduce)")
            j.on_day(122)
            j.visit("M4", 122, grade="4")  # weaker: the MRC sum falls 20 points
            j.on_day(124)
            j.go(SUBJECT)
            confirmation = page.locator("#confirmation").inner_text()
            assert "Repeat MRC sum from 2027-04-03 to 2027-04-16 (due)" in confirmation
            _save(page, tmp_path, docs, "confirmation-visit")
            j.on_day(126)
            j.visit("repeat-2027-04-02", 126, grade="4")
            j.on_day(140)
            j.go(SUBJECT + "/panel")
            assert page.locator("#next-dose").inner_text() == (
                "Next dose: 40 g (2 x 20 g) every 28 days (restore)"
            )
            panel = page.locator("#panel").inner_text()
            assert "Deterioration confirmed on day 126" in panel
            _save(page, tmp_path, docs, "engine-panel")
            j.submit("#accept")
            last = page.locator("#decisions tbody tr").last.inner_text()
            assert last.startswith("2027-04-20")
            assert "restore 40.00 g" in last
            assert "40 g every 28 days" in last
            assert "accepted" in last
        finally:
            browser.close()
    code, output = run_main(["audit", "verify", "--db", str(path)])
    assert code == 0, output
