"""The capture app in Debian's Chromium: `mmntrial serve`, sign in, screen a patient.

The server is the real command (``python -m mmntrial serve``) on 127.0.0.1 and a free
port, started by the test; Chromium comes from Debian (``scripts/system-deps``) and is
driven through Playwright's Python API, which never downloads a browser here. After the
screening the audit trail names the nurse and verifies.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

from mmntrial.capture import accounts, audit
from mmntrial.capture.study import init_study
from mmntrial.storage import Database, chain
from tests.capture.conftest import PASSWORD
from tests.cli.running import run_main
from tests.report.test_report_browser import CHROMIUM, CHROMIUM_ARGS
from tests.storage.postgres import free_port

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason=f"{CHROMIUM} is missing: run `sudo bash scripts/system-deps` to install Chromium",
)

NURSE = "nina"
STARTUP_LIMIT_S = 60  # how long to wait for the server to listen (not a measured time)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """A study served by `mmntrial serve` on a free loopback port: (base URL, database)."""
    path = tmp_path / "study.db"
    with Database.open(path) as db, db.write() as conn:
        init_study(conn, "piepers-2007", ["AMC", "UMCU"], "alice", PASSWORD)
        accounts.add_user(conn, NURSE, PASSWORD, "setup")
        accounts.grant(conn, NURSE, "study_nurse", "AMC", "setup")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "mmntrial", "serve", "--db", str(path), "--port", str(port)],
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
        yield f"http://127.0.0.1:{port}", path
    finally:
        server.terminate()
        server.wait(timeout=30)
        if server.stdout:
            server.stdout.close()


def test_a_nurse_signs_in_and_screens_a_patient(served: tuple[str, Path], tmp_path: Path) -> None:
    base, path = served
    today = datetime.now(UTC).date()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(f"{base}/sites/AMC/screening")
            assert page.url == f"{base}/login"
            page.fill("input[name=username]", NURSE)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            assert page.locator("h1").inner_text().startswith("Study:")
            page.click("text=AMC: screening log")
            page.fill("input[name=screening_id]", "SCR-001")
            page.fill("input[name=screened_on]", today.isoformat())
            page.check("input[name=outcome][value=enrolled]")
            page.fill("input[name=consent_version]", "v2.1")
            page.fill("input[name=consent_date]", (today - timedelta(days=1)).isoformat())
            page.click("button:has-text('Save')")
            assert page.url == f"{base}/sites/AMC/screening"
            row = page.locator("tbody tr").first
            assert "SCR-001" in row.inner_text()
            assert "enrolled" in row.inner_text()
            page.screenshot(path=str(tmp_path / "screening.png"), full_page=True)
        finally:
            browser.close()
    with Database.open(path) as db, db.read() as conn:
        last = chain.read(conn, audit.CHAIN)[-1].entry
    assert (last.who, last.kind, last.content["table"]) == (NURSE, "insert", "screening_log")
    assert last.content["changes"]["screening_id"] == [None, "SCR-001"]
    code, output = run_main(["audit", "verify", "--db", str(path)])
    assert code == 0, output
    assert "audit trail verified" in output
